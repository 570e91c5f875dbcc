#!/usr/bin/env bash
# `make bench`: the benchmarks, then the ratios the issues ask for, all from this one run.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp)
trap 'rm -f "$out"' EXIT
BENCHTIME=${BENCHTIME:-2s}
go test -run='^$' -bench='^Benchmark(Decode|Validate|Check|File)$' -benchmem -benchtime="$BENCHTIME" ./gateway/filings/ | tee "$out"
go test -run='^$' -bench=. -benchmem -benchtime="$BENCHTIME" ./gateway/identity/ | tee -a "$out"

ns() { awk -v name="$1" '$1 ~ "^"name"(-[0-9]+)?$" {print $3; exit}' "$out"; }
decode=$(ns BenchmarkDecode); validate=$(ns BenchmarkValidate); check=$(ns BenchmarkCheck); file=$(ns BenchmarkFile)
echo
echo "== figures from this run ($(nproc) cores) =="
awk -v d="$decode" -v v="$validate" -v c="$check" -v f="$file" 'BEGIN {
  printf "schema validation ÷ strict decode : %.2f   (target ≤ 2.0)\n", v / d
  printf "full in-process check             : %.0f µs/op   (target ≤ 200)\n", c / 1000
  printf "check + durable store (parallel)  : %.0f µs/op, %.0f filings/s\n", f / 1000, 1e9 / f
}'
