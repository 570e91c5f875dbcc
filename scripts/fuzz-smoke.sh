#!/usr/bin/env bash
# Runs every fuzz target of the parsers briefly (FUZZTIME, default 5s each): the seed corpora
# already run in `go test`; this explores a little further on every `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZTIME=${FUZZTIME:-5s}
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u); do
    echo "fuzz $pkg $target ($FUZZTIME)"
    go test -run='^$' -fuzz="^${target}\$" -fuzztime="$FUZZTIME" -fuzzminimizetime=1s "$pkg" >/tmp/ucx-fuzz.log 2>&1 || { cat /tmp/ucx-fuzz.log; exit 1; }
  done
done
