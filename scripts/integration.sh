#!/usr/bin/env bash
# The integration tests against real services, which this script starts and stops itself:
# a redis-server (scripts/redis.sh: installed with apt-get when missing, on a free loopback
# port, AOF on) and a 3-organisation Fabric network (deploy/fabric: binaries built from the Go
# module proxy and cached by version; chaincode cmd/exportcc deployed as a service).
# UCX_INTEGRATION=1 makes a missing service a failure, never a skip.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
fabric=deploy/fabric/scripts

cleanup() {
  bash "$fabric/network-down.sh" >/tmp/ucx-fabric-down.log 2>&1 || cat /tmp/ucx-fabric-down.log
  bash scripts/redis.sh stop >/dev/null 2>&1 || true
}
trap cleanup EXIT

echo "== redis-server"
redis_url=$(bash scripts/redis.sh start | tail -n 1)
echo "redis at $redis_url"

echo "== fabric network"
bash "$fabric/network-up.sh"
bash "$fabric/deploy-cc.sh"

echo "== integration tests (UCX_INTEGRATION=1)"
export UCX_INTEGRATION=1 UCX_REDIS_URL="$redis_url" UCX_FABRIC_CONNECTION="$root/deploy/fabric/run/connection.env"
go test -race -shuffle=on -count=1 ./gateway/rediscache/ ./gateway/webhooks/
# The Fabric journey walks fixture vehicles from their first step: it runs first, on the fresh
# network, before TestFabricMode seeds every fixture licence.
go test -race -count=1 -run 'TestJourneyFabric' ./cmd/exportgw/
go test -race -count=1 -run 'Conformance|TestFabricMode|Replicas' ./gateway/fabric/ ./cmd/exportgw/ "$@"
