#!/usr/bin/env bash
# End-to-end check of the Fabric network: network-up → deploy-cc → a submit and queries → down.
# Arguments are passed to deploy-cc.sh (e.g. --binary PATH). The network is always stopped at
# the end (set UCX_FABRIC_KEEP=1 to leave it running); on failure the logs stay in run/logs.
#
# The smoke transactions default to the UCX contract (cmd/exportcc):
#   UCX_FABRIC_SMOKE_INVOKE  submitted as Commerce's User1, endorsed by Commerce and Customs
#                            (default RecordEvent(<fresh VIN>, AFTER_SALES_CONFIRMED, "", ci-smoke))
#   UCX_FABRIC_SMOKE_QUERY   then evaluated on every peer (default GetTrace(<VIN>, 10, ""))
#   UCX_FABRIC_SMOKE_EXPECT  text the query result must contain (default AFTER_SALES_CONFIRMED)
#   UCX_FABRIC_SMOKE_WHOAMI  evaluated as each org's User1, must return that org's MSP ID
#                            (default WhoAmI; "" skips)
# For another chaincode, set these (JSON as for `peer chaincode invoke -c`).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
scrub_fabric_env
t_all=$EPOCHREALTIME

# A fresh VIN per run (17 characters of [A-HJ-NPR-Z0-9]), so reruns never collide.
VIN=${UCX_FABRIC_SMOKE_VIN:-LSMKE$(printf '%012d' $(( $(date +%s%N) % 1000000000000 )))}
INVOKE=${UCX_FABRIC_SMOKE_INVOKE:-"{\"Args\":[\"RecordEvent\",\"$VIN\",\"AFTER_SALES_CONFIRMED\",\"\",\"ci-smoke\"]}"}
QUERY=${UCX_FABRIC_SMOKE_QUERY:-"{\"Args\":[\"GetTrace\",\"$VIN\",\"10\",\"\"]}"}
EXPECT=${UCX_FABRIC_SMOKE_EXPECT:-AFTER_SALES_CONFIRMED}
WHOAMI=${UCX_FABRIC_SMOKE_WHOAMI-'{"Args":["WhoAmI"]}'}

down() {
  local rc=$?
  if [ "${UCX_FABRIC_KEEP:-0}" = 1 ]; then
    say "UCX_FABRIC_KEEP=1: network left running; stop it with network-down.sh"
  else
    local t=$EPOCHREALTIME
    "$FAB/scripts/network-down.sh" || rc=1
    t_down=$(since "$t")s
  fi
  if [ $rc = 0 ]; then
    echo "ci-smoke ok: up ${t_up}s, deploy ${t_deploy}s, smoke ${t_smoke}s, down ${t_down:-skipped}, total $(since "$t_all")s"
  else
    echo "ci-smoke FAILED (exit $rc); logs in $LOGS" >&2
  fi
  exit $rc
}
trap down EXIT

t=$EPOCHREALTIME
"$FAB/scripts/network-up.sh"
t_up=$(since "$t")

t=$EPOCHREALTIME
"$FAB/scripts/deploy-cc.sh" "$@"
t_deploy=$(since "$t")

t=$EPOCHREALTIME
export PATH=$FAB_BIN:$PATH
. "$RUN/connection.env"
CC_NAME=$UCX_FABRIC_CHAINCODE

say "submit $INVOKE"
(as_user commerce User1
  peer chaincode invoke -o "$OSN_ADDR" --tls --cafile "$OSN_TLSCA" -C "$CHANNEL" -n "$CC_NAME" \
    --peerAddresses "$(peer_addr commerce)" --tlsRootCertFiles "$(peer_tlsca commerce)" \
    --peerAddresses "$(peer_addr customs)" --tlsRootCertFiles "$(peer_tlsca customs)" \
    --waitForEvent -c "$INVOKE") >"$LOGS/smoke-invoke.log" 2>&1 ||
  die "smoke submit failed" "$LOGS/smoke-invoke.log" "$LOGS/cc-$CC_NAME.log"
grep -q 'committed with status (VALID)' "$LOGS/smoke-invoke.log" ||
  die "smoke submit was not committed as VALID" "$LOGS/smoke-invoke.log"

# Every peer must have the committed write (Police did not endorse; it gets the block by
# gossip or from the orderer a few ms later, hence the short retry).
query_has() {
  (as_user "$1" User1; peer chaincode query -C "$CHANNEL" -n "$CC_NAME" -c "$QUERY") >"$LOGS/smoke-query-$1.log" 2>&1 &&
    grep -qF -- "$EXPECT" "$LOGS/smoke-query-$1.log"
}
for org in $ORGS; do
  wait_until 10 - "$LOGS/smoke-query-$org.log" query_has "$org"
  say "query on peer0.$org: $(head -c 200 "$LOGS/smoke-query-$org.log")"
done

if [ -n "$WHOAMI" ]; then
  for org in $ORGS; do
    got=$(as_user "$org" User1; peer chaincode query -C "$CHANNEL" -n "$CC_NAME" -c "$WHOAMI" 2>"$LOGS/smoke-whoami-$org.log") ||
      die "WhoAmI as $org failed" "$LOGS/smoke-whoami-$org.log"
    [ "$got" = "$(org_msp "$org")" ] || die "WhoAmI as $org returned '$got', want $(org_msp "$org")"
  done
  say "WhoAmI ok for $(for o in $ORGS; do printf '%s ' "$(org_msp "$o")"; done)"
fi
t_smoke=$(since "$t")
