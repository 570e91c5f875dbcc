#!/usr/bin/env bash
# `make run-stack`: a production-like gateway on loopback — redis-server (scripts/redis.sh),
# agencysim standing in for the four agency systems, and exportgw using both. Ctrl-C stops
# all three. A demo token per role is printed first (scripts/demo-tokens.sh: source
# $DATA_DIR/demo-tokens.env, then curl -H "$AS_EXPORTER" …).
set -euo pipefail
cd "$(dirname "$0")/.."
ADDR=${ADDR:-127.0.0.1:8080}
SIM_ADDR=${UCX_AGENCYSIM_ADDR:-127.0.0.1:8090}
DATA_DIR=${DATA_DIR:-./data-stack}

mkdir -p bin
go build -o bin/ ./cmd/exportgw ./cmd/agencysim
bash scripts/demo-tokens.sh "$DATA_DIR"
redis_url=$(bash scripts/redis.sh start | tail -n 1)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  bash scripts/redis.sh stop >/dev/null 2>&1 || true
}
trap cleanup EXIT INT TERM

bin/agencysim --addr "$SIM_ADDR" & pids+=($!)
for _ in $(seq 50); do curl -fsS "http://$SIM_ADDR/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
echo "redis     $redis_url"
echo "agencysim http://$SIM_ADDR   (admin API: deploy/agencysim/README.md)"
echo "exportgw  http://$ADDR"
UCX_REDIS_URL=$redis_url UCX_AGENCY_URL=http://$SIM_ADDR bin/exportgw --addr "$ADDR" --data-dir "$DATA_DIR" \
  --credit-seed="${CREDIT_SEED-fixtures/credit/histories.json}" & pids+=($!)
wait "${pids[1]}"
