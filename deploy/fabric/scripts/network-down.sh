#!/usr/bin/env bash
# Stops every process that network-up.sh and deploy-cc.sh started (the PIDs recorded in
# run/pids/), printing each one's peak memory and CPU time. Safe to run any number of times.
# Keeps run/ (logs, crypto) for inspection; --purge removes the generated state too.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"

purge=0
case ${1:-} in
  --purge) purge=1 ;;
  "") ;;
  *) echo "usage: $0 [--purge]" >&2; exit 2 ;;
esac

# Peak RSS and CPU seconds, read before the process goes away.
usage_of() {
  local hwm cpu tck
  hwm=$(awk '/^VmHWM:/ { printf "%d MB", $2 / 1024 }' "/proc/$1/status" 2>/dev/null) || hwm='?'
  tck=$(getconf CLK_TCK)
  cpu=$(awk -v t="$tck" '{ sub(/^.*\) /, ""); printf "%.1f s", ($12 + $13) / t }' "/proc/$1/stat" 2>/dev/null) || cpu='?'
  echo "peak RSS ${hwm:-?}, CPU ${cpu:-?}"
}

shopt -s nullglob
files=("$PIDS"/*.pid)
stopping=()
for f in "${files[@]}"; do
  name=$(basename "$f" .pid)
  read -r pid cmd <"$f" || true
  if [ -n "${pid:-}" ] && ours "$pid" "${cmd:-}"; then
    say "stopping $name (pid $pid): $(usage_of "$pid")"
    # The command may be `env ... peer`: env execs the binary, so PID is the binary itself.
    kill -TERM "$pid" 2>/dev/null || true
    stopping+=("$pid:$name:$f")
  else
    say "$name (pid ${pid:-?}) is not running"
    rm -f "$f"
  fi
done

# Wait up to 10 s for a clean exit, then SIGKILL.
end=$((SECONDS + 10))
for entry in "${stopping[@]}"; do
  IFS=: read -r pid name f <<<"$entry"
  while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $end ]; do sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    say "$name (pid $pid) ignored SIGTERM; killing"
    kill -KILL "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
  fi
  rm -f "$f"
done
[ ${#files[@]} -gt 0 ] || say "no Fabric processes recorded in $PIDS"
rm -f "$RUN/connection.env"

if [ $purge = 1 ]; then
  rm -rf "$CRYPTO" "$ARTIFACTS" "$CFG" "$LOGS" "$PIDS" "$RUN/orderer" "$RUN/peers" "$RUN/cc"
  rmdir "$RUN" 2>/dev/null || true
  say "removed the network state in $RUN"
fi
