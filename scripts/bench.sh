#!/usr/bin/env bash
# `make bench`: the benchmarks, then the figures the issues ask for, as ratios from this one
# run. The Fabric part brings a network up and down itself (skipped with BENCH_FABRIC=0).
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp)
trap 'rm -f "$out"' EXIT
BENCHTIME=${BENCHTIME:-2s}
go test -run='^$' -bench='^Benchmark(Decode|Validate|Check|File)$' -benchmem -benchtime="$BENCHTIME" ./gateway/filings/ | tee "$out"
go test -run='^$' -bench='^BenchmarkLedgerEvents64$' -benchtime=50000x ./gateway/embedded/ | tee -a "$out"
go test -run='^$' -bench=. -benchmem -benchtime="$BENCHTIME" ./gateway/identity/ | tee -a "$out"

# --- production mode: Redis + agencysim, and the HTTP load harness in both modes -------------
mkdir -p bin
go build -o bin/ ./cmd/exportgw ./cmd/agencysim ./cmd/exportload
pids=()
stop_all() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  bash scripts/redis.sh stop >/dev/null 2>&1 || true
  bash deploy/fabric/scripts/network-down.sh >/dev/null 2>&1 || true
  rm -f "$out"; rm -rf "$tmpdata"
}
tmpdata=$(mktemp -d)
trap stop_all EXIT
wait_http() { for _ in $(seq 100); do curl -fsS "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done; echo "no answer from $1"; return 1; }
LOAD_SECONDS=${LOAD_SECONDS:-10s}
# The load harness files as each fixture exporter with a token minted from the gateway's key in
# its data directory (exportload --data-dir). The rate limiter stays in the request path, with
# rates no run reaches: the figures measure filing, not the limits.
export UCX_RATE_READ=1000000/s UCX_RATE_WRITE=1000000/s

redis_url=$(bash scripts/redis.sh start | tail -n 1)
UCX_REDIS_URL=$redis_url go test -run='^$' -bench='^BenchmarkLookupPerGet$' -benchtime="$BENCHTIME" ./gateway/rediscache/ | tee -a "$out"

bin/exportgw --addr 127.0.0.1:18181 --data-dir "$tmpdata/embedded" --log-level warn & pids+=($!)
wait_http http://127.0.0.1:18181/readyz
echo "BenchmarkHTTPEmbedded $(bin/exportload --url http://127.0.0.1:18181 --data-dir "$tmpdata/embedded" --concurrency 32 --duration "$LOAD_SECONDS" | tee /dev/stderr | awk '{for (i = 1; i <= NF; i++) if ($(i) == "filings/s,") print $(i-1)}') filings/s" | tee -a "$out"

bin/agencysim --addr 127.0.0.1:18190 --log-level warn & pids+=($!)
wait_http http://127.0.0.1:18190/healthz
UCX_REDIS_URL=$redis_url UCX_AGENCY_URL=http://127.0.0.1:18190 bin/exportgw --addr 127.0.0.1:18182 --data-dir "$tmpdata/prod" --log-level warn & pids+=($!)
wait_http http://127.0.0.1:18182/readyz
echo "BenchmarkHTTPProduction $(bin/exportload --url http://127.0.0.1:18182 --data-dir "$tmpdata/prod" --concurrency 32 --duration "$LOAD_SECONDS" | tee /dev/stderr | awk '{for (i = 1; i <= NF; i++) if ($(i) == "filings/s,") print $(i-1)}') filings/s" | tee -a "$out"
for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
wait 2>/dev/null || true
pids=()

if [ "${BENCH_FABRIC:-1}" = 1 ]; then
  fabric=deploy/fabric/scripts
  bash "$fabric/network-up.sh" >/dev/null && bash "$fabric/deploy-cc.sh" >/dev/null
  UCX_INTEGRATION=1 UCX_FABRIC_CONNECTION="$PWD/deploy/fabric/run/connection.env" \
    go test -run='^$' -bench='^BenchmarkFabricAnchoring$' -benchtime=8192x ./gateway/fabric/ | tee -a "$out"
fi

ns() { awk -v name="$1" '$1 ~ "^"name"(-[0-9]+)?$" {print $3; exit}' "$out"; }
metric() { awk -v name="$1" -v unit="$2" '$1 ~ "^"name"(-[0-9]+)?$" {for (i = 2; i < NF; i++) if ($(i+1) == unit) {print $i; exit}}' "$out"; }
decode=$(ns BenchmarkDecode); validate=$(ns BenchmarkValidate); check=$(ns BenchmarkCheck); file=$(ns BenchmarkFile)
ledger=$(metric BenchmarkLedgerEvents64 events/s)
lookupget=$(metric BenchmarkLookupPerGet/warm lookup/get)
httpemb=$(awk '$1 == "BenchmarkHTTPEmbedded" {print $2}' "$out"); httpprod=$(awk '$1 == "BenchmarkHTTPProduction" {print $2}' "$out")
batched=$(metric BenchmarkFabricAnchoring/batched events/s); single=$(metric BenchmarkFabricAnchoring/one-tx-per-event events/s)
echo
echo "== figures from this run ($(nproc) cores) =="
awk -v d="$decode" -v v="$validate" -v c="$check" -v f="$file" -v l="$ledger" -v b="$batched" -v s="$single" \
    -v lg="$lookupget" -v he="$httpemb" -v hp="$httpprod" 'BEGIN {
  printf "schema validation ÷ strict decode          : %.2f   (target ≤ 2.0)\n", v / d
  printf "full in-process check                      : %.0f µs/op   (target ≤ 200)\n", c / 1000
  printf "check + store + anchor, embedded (parallel): %.0f µs/op, %.0f filings/s\n", f / 1000, 1e9 / f
  printf "embedded ledger, 64 producers              : %.0f events/s   (target ≥ 50000)\n", l
  if (b != "" && s != "") printf "fabric anchoring batched ÷ one tx per event : %.0f / %.0f events/s = %.1f×   (target ≥ 10×)\n", b, s, b / s
  if (lg != "") printf "cached look-up ÷ one Redis GET              : %.2f   (target ≤ 1.3)\n", lg
  if (he != "" && hp != "") printf "HTTP filings/s, production ÷ embedded      : %.0f / %.0f = %.2f   (32 clients)\n", hp, he, hp / he
}'
