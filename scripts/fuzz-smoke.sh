#!/usr/bin/env bash
# Runs every fuzz target of the project briefly (FUZZTIME, default 5s each): the seed corpora
# already run in `go test`; this explores a little further on every `make test`. A finding
# (a failing input written to testdata/fuzz) fails the run. Go's fuzzing engine sometimes
# reports "context deadline exceeded" when -fuzztime ends while a worker is busy, with no
# failing input: such a run is repeated once.
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZTIME=${FUZZTIME:-5s}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
fuzz() {
  go test -run='^$' -fuzz="^$2\$" -fuzztime="$FUZZTIME" -fuzzminimizetime=1s "$1" >"$log" 2>&1
}
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u); do
    echo "fuzz $pkg $target ($FUZZTIME)"
    if fuzz "$pkg" "$target"; then continue; fi
    if ! grep -q "Failing input written" "$log" && grep -q "context deadline exceeded" "$log"; then
      echo "  (fuzzing engine deadline without a finding: once more)"
      fuzz "$pkg" "$target" && continue
    fi
    cat "$log"
    exit 1
  done
done
