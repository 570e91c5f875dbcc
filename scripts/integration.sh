#!/usr/bin/env bash
# The integration tests against real services, which this script starts and stops itself:
# a 3-organisation Fabric network (deploy/fabric: binaries built from the Go module proxy and
# cached by version; chaincode cmd/exportcc deployed as a service). UCX_INTEGRATION=1 makes a
# missing service a failure, never a skip.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
fabric=deploy/fabric/scripts

cleanup() { bash "$fabric/network-down.sh" >/tmp/ucx-fabric-down.log 2>&1 || cat /tmp/ucx-fabric-down.log; }
trap cleanup EXIT

echo "== fabric network up"
bash "$fabric/network-up.sh"
bash "$fabric/deploy-cc.sh"

echo "== integration tests (UCX_INTEGRATION=1)"
UCX_INTEGRATION=1 UCX_FABRIC_CONNECTION="$root/deploy/fabric/run/connection.env" \
  go test -race -count=1 -run 'Fabric|Conformance' ./gateway/fabric/ ./cmd/exportgw/ "$@"
