#!/usr/bin/env bash
# A scratch redis-server for tests, benchmarks and the local production-like stack.
#
#   scripts/redis.sh start   install redis-server with apt-get when missing, start it on a free
#                            loopback port (never 6379) with deploy/redis/redis.conf, wait until
#                            it answers PING, print its URL and write it to $RUN/url
#                            (already running: print the URL again)
#   scripts/redis.sh url     print the URL of the running server; exit 1 when none runs
#   scripts/redis.sh stop    SHUTDOWN NOSAVE (or kill by pidfile), delete its data; safe to repeat
#
# The run folder RUN is .cache/redis/ in the repository (gitignored), or $UCX_REDIS_RUN_DIR. It
# holds url, redis.pid, redis.log and data/ (the AOF and RDB files). Each clone has its own, so
# two checkouts never share a server. UCX_REDIS_KEEP_DATA=1 keeps data/ on stop.
#
# Typical use (Makefile, integration script):
#   url=$(bash scripts/redis.sh start); trap 'bash scripts/redis.sh stop' EXIT
#   UCX_INTEGRATION=1 UCX_REDIS_URL=$url go test ./gateway/rediscache/
#
# Works as root on Debian without systemd: no service/systemctl; the server daemonizes itself.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
run=${UCX_REDIS_RUN_DIR:-$root/.cache/redis}
conf=$root/deploy/redis/redis.conf
pidfile=$run/redis.pid
urlfile=$run/url

log() { echo "redis.sh: $*" >&2; }

# install puts redis-server (and redis-cli) on the PATH with apt-get. A policy-rc.d that
# answers 101 keeps the package's maintainer scripts from starting a system Redis on 6379.
install() {
  command -v redis-server >/dev/null && command -v redis-cli >/dev/null && return
  log "installing redis-server with apt-get"
  local policy=/usr/sbin/policy-rc.d added=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && added=1
  fi
  local rc=0
  { DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server redis-tools; } >&2 || rc=$?
  [ "$added" = 1 ] && rm -f "$policy"
  [ "$rc" = 0 ] || { log "apt-get failed ($rc)"; exit "$rc"; }
}

# port_of prints the port of a redis:// URL.
port_of() { sed -E 's#^redis://[^:]+:([0-9]+)/.*#\1#' <<<"$1"; }

# running succeeds when the pidfile names a live process that answers PING on the URL's port.
running() {
  [ -s "$pidfile" ] && [ -s "$urlfile" ] || return 1
  kill -0 "$(cat "$pidfile")" 2>/dev/null || return 1
  [ "$(redis-cli -h 127.0.0.1 -p "$(port_of "$(cat "$urlfile")")" ping 2>/dev/null)" = PONG ]
}

# free_port prints a loopback port nobody listens on (best effort: start retries on a race).
free_port() {
  local p
  for _ in $(seq 1 100); do
    p=$((20000 + RANDOM % 40000))
    [ "$p" = 6379 ] && continue
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return
    fi
  done
  log "no free port found"
  return 1
}

start() {
  install
  if running; then
    cat "$urlfile"
    return
  fi
  stop_quietly
  mkdir -p "$run/data"
  local port
  for attempt in 1 2 3 4 5; do
    port=$(free_port)
    rm -f "$pidfile"
    : >"$run/redis.log"
    redis-server "$conf" --port "$port" --dir "$run/data" --pidfile "$pidfile" \
      --logfile "$run/redis.log" --daemonize yes >&2 || true
    for _ in $(seq 1 100); do # up to 10 s
      if [ "$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" = PONG ]; then
        echo "redis://127.0.0.1:$port/0" >"$urlfile"
        cat "$urlfile"
        return
      fi
      # Gave up already (port taken between the probe and the bind, bad config): retry/fail.
      if [ -s "$pidfile" ] && ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then break; fi
      if grep -q 'Address already in use' "$run/redis.log" 2>/dev/null; then break; fi
      sleep 0.1
    done
    log "attempt $attempt on port $port failed; log:"
    tail -n 5 "$run/redis.log" >&2 || true
    stop_quietly
  done
  log "redis-server did not start"
  exit 1
}

# stop_quietly shuts the server down if one runs and removes the pid and url files.
stop_quietly() {
  local pid="" port=""
  [ -s "$pidfile" ] && pid=$(cat "$pidfile")
  [ -s "$urlfile" ] && port=$(port_of "$(cat "$urlfile")")
  if [ -n "$port" ] && command -v redis-cli >/dev/null; then
    redis-cli -h 127.0.0.1 -p "$port" shutdown nosave >/dev/null 2>&1 || true
  fi
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    for _ in $(seq 1 50); do # up to 5 s for a clean exit, then SIGKILL
      kill -0 "$pid" 2>/dev/null || break
      [ "$_" = 20 ] && kill "$pid" 2>/dev/null
      sleep 0.1
    done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null
  fi
  rm -f "$pidfile" "$urlfile"
}

stop() {
  stop_quietly
  [ "${UCX_REDIS_KEEP_DATA:-0}" = 1 ] || rm -rf "$run/data"
}

url() {
  command -v redis-cli >/dev/null && running || { log "not running"; exit 1; }
  cat "$urlfile"
}

case "${1:-}" in
start) start ;;
stop) stop ;;
url) url ;;
*)
  echo "usage: $0 start|stop|url" >&2
  exit 2
  ;;
esac
