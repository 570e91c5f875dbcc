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

if [ "${BENCH_FABRIC:-1}" = 1 ]; then
  fabric=deploy/fabric/scripts
  trap 'bash "$fabric/network-down.sh" >/dev/null 2>&1 || true; rm -f "$out"' EXIT
  bash "$fabric/network-up.sh" >/dev/null && bash "$fabric/deploy-cc.sh" >/dev/null
  UCX_INTEGRATION=1 UCX_FABRIC_CONNECTION="$PWD/deploy/fabric/run/connection.env" \
    go test -run='^$' -bench='^BenchmarkFabricAnchoring$' -benchtime=8192x ./gateway/fabric/ | tee -a "$out"
fi

ns() { awk -v name="$1" '$1 ~ "^"name"(-[0-9]+)?$" {print $3; exit}' "$out"; }
metric() { awk -v name="$1" -v unit="$2" '$1 ~ "^"name"(-[0-9]+)?$" {for (i = 2; i < NF; i++) if ($(i+1) == unit) {print $i; exit}}' "$out"; }
decode=$(ns BenchmarkDecode); validate=$(ns BenchmarkValidate); check=$(ns BenchmarkCheck); file=$(ns BenchmarkFile)
ledger=$(metric BenchmarkLedgerEvents64 events/s)
batched=$(metric BenchmarkFabricAnchoring/batched events/s); single=$(metric BenchmarkFabricAnchoring/one-tx-per-event events/s)
echo
echo "== figures from this run ($(nproc) cores) =="
awk -v d="$decode" -v v="$validate" -v c="$check" -v f="$file" -v l="$ledger" -v b="$batched" -v s="$single" 'BEGIN {
  printf "schema validation ÷ strict decode          : %.2f   (target ≤ 2.0)\n", v / d
  printf "full in-process check                      : %.0f µs/op   (target ≤ 200)\n", c / 1000
  printf "check + store + anchor, embedded (parallel): %.0f µs/op, %.0f filings/s\n", f / 1000, 1e9 / f
  printf "embedded ledger, 64 producers              : %.0f events/s   (target ≥ 50000)\n", l
  if (b != "" && s != "") printf "fabric anchoring batched ÷ one tx per event : %.0f / %.0f events/s = %.1f×   (target ≥ 10×)\n", b, s, b / s
}'
