#!/usr/bin/env bash
# Demo bearer tokens for the embedded gateway of a data directory (make run, make run-stack):
# one per role, signed with DATA_DIR/keys/token-signing.pem (created here when the gateway has
# not started yet; the gateway then uses the same key). Prints them and writes
# DATA_DIR/demo-tokens.env (mode 0600) to source in a shell:
#
#   scripts/demo-tokens.sh [DATA_DIR]      default ./data; DEMO_TOKEN_TTL (default 24h)
#   source ./data/demo-tokens.env
#   curl -s -H "$AS_EXPORTER" localhost:8080/v1/rulesets
#
# Each role X gets TOKEN_X (the token) and AS_X ("Authorization: Bearer <token>", for curl -H).
# Demo organisations: the exporter 深圳市前海鹏远 (91440300MA5GK7R3DQ), the inspection agency
# 新疆天山 (91650104MA77YK0H8U, in fixtures/agencies/inspection-agency-keys.json), the agencies
# by their role name, the operators "ucx". One more exporter token, TOKEN_HORGOS/AS_HORGOS, is
# 霍尔果斯丝路通达's (91654004MA78HK2T5H), the exporter of the README tour's sample filings: an
# exporter files only its own.
set -euo pipefail
cd "$(dirname "$0")/.."
data=${1:-./data}
ttl=${DEMO_TOKEN_TTL:-24h}
mkdir -p bin "$data"
go build -o bin/exportctl ./cmd/exportctl

roles=(exporter inspector police customs commerce admin horgos)
declare -A org=([exporter]=91440300MA5GK7R3DQ [inspector]=91650104MA77YK0H8U [police]=police
  [customs]=customs [commerce]=commerce [admin]=ucx [horgos]=91654004MA78HK2T5H)
declare -A role=([horgos]=exporter)
env=$data/demo-tokens.env
tmp=$(mktemp)
log=$(mktemp)
trap 'rm -f "$tmp" "$log"' EXIT
echo "# Demo bearer tokens ($ttl from $(date -u +%FT%TZ)) of the gateway with --data-dir $data: source this file." >"$tmp"
for name in "${roles[@]}"; do
  if ! tok=$(bin/exportctl token issue --data-dir "$data" --role "${role[$name]:-$name}" --org "${org[$name]}" --subject "demo-$name" --ttl "$ttl" 2>"$log"); then
    cat "$log" >&2
    exit 1
  fi
  up=${name^^}
  printf 'TOKEN_%s=%s\nAS_%s="Authorization: Bearer $TOKEN_%s"\n' "$up" "$tok" "$up" "$up" >>"$tmp"
done
install -m 600 "$tmp" "$env"

echo "Demo tokens, valid $ttl (signed with $data/keys/token-signing.pem; kid $(bin/exportctl token public-key --data-dir "$data" | sed 's/.*"kid":"\([^"]*\)".*/\1/')):"
# shellcheck disable=SC1090
source "$env"
for name in "${roles[@]}"; do
  var=TOKEN_${name^^}
  printf '  %-9s %-18s %s\n' "$name" "${org[$name]}" "${!var}"
done
echo "In another shell: source $env; curl -s -H \"\$AS_EXPORTER\" localhost:8080/v1/rulesets"
