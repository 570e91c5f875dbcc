#!/usr/bin/env bash
# Starts a Fabric 2.5 network on 127.0.0.1 with no Docker: 1 etcdraft orderer and one peer for
# each of Commerce, Customs and Police, TLS everywhere, all three joined to channel `ucx`.
# Returns once the network is usable: raft leader elected and every peer sees all 3 peers.
# State (crypto, ledgers, logs, pid files) goes to deploy/fabric/run or $UCX_FABRIC_RUN and is
# regenerated on every run. Stop with network-down.sh. Takes about 2 s.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
scrub_fabric_env
t0=$EPOCHREALTIME

case "$RUN$FAB" in *[[:space:]]*) die "paths with spaces are not supported: $RUN" ;; esac
"$FAB/scripts/build-tools.sh" >/dev/null   # no-op when cached
need_bins
export PATH=$FAB_BIN:$PATH

# A network already running from this folder is stopped first; anything else on our ports is
# somebody else's, and we refuse to start beside it.
if compgen -G "$PIDS/*.pid" >/dev/null; then
  say "stopping the network left running in $RUN"
  "$FAB/scripts/network-down.sh" >&2
fi
busy=()
for port in "$OSN_PORT" "$OSN_ADMIN_PORT" "$OSN_OPS_PORT"; do tcp_open 127.0.0.1 "$port" && busy+=("$port"); done
for org in $ORGS; do
  for port in $(peer_port "$org") $(peer_cc_port "$org") $(peer_ops_port "$org"); do
    tcp_open 127.0.0.1 "$port" && busy+=("$port")
  done
done
[ ${#busy[@]} -eq 0 ] || die "ports already in use on 127.0.0.1: ${busy[*]} (another Fabric network? set UCX_FABRIC_PORT_BASE to move ours)"

# A half-started network is of no use: on failure stop what was started (logs stay in
# run/logs). UCX_FABRIC_KEEP=1 leaves it running for inspection.
on_exit() {
  local rc=$?
  if [ $rc != 0 ] && [ "${UCX_FABRIC_KEEP:-0}" != 1 ]; then
    "$FAB/scripts/network-down.sh" >&2 || true
  fi
  exit $rc
}
trap on_exit EXIT

# Fresh state. Only our own subfolders are removed, never $RUN itself.
mkdir -p "$RUN"
rm -rf "$CRYPTO" "$ARTIFACTS" "$CFG" "$LOGS" "$PIDS" "$RUN/orderer" "$RUN/peers" "$RUN/cc" "$RUN/connection.env"
mkdir -p "$ARTIFACTS" "$CFG" "$LOGS" "$PIDS"

# --- crypto material, configs, genesis block ---------------------------------------------
cryptogen generate --config="$FAB/config/crypto-config.yaml" --output="$CRYPTO" >"$LOGS/cryptogen.log" 2>&1 ||
  die "cryptogen failed" "$LOGS/cryptogen.log"

[ -f "$FAB_SAMPLECONFIG/core.yaml" ] || die "missing $FAB_SAMPLECONFIG/core.yaml: run build-tools.sh"
# core.yaml edits: no Docker endpoint (so the peer creates no Docker client) and our ccaas
# external builder in place of the sample's.
awk -v builder="$FAB/builders/ccaas" '
  /^vm:/ { invm = 1 }
  /^[a-z]/ && !/^vm:/ { invm = 0 }
  invm && /^    endpoint:/ { print "    endpoint: \"\""; next }
  /^    externalBuilders:/ {
    print "    externalBuilders:"
    print "       - name: ccaas"
    print "         path: " builder
    skip = 1; next
  }
  skip && /^       / { next }
  skip && /^ *$/ { next }
  { skip = 0; print }
' "$FAB_SAMPLECONFIG/core.yaml" >"$CFG/core.yaml"
grep -q '^    endpoint: ""' "$CFG/core.yaml" && grep -q "path: $FAB/builders/ccaas" "$CFG/core.yaml" ||
  die "could not apply the core.yaml edits to $FAB_SAMPLECONFIG/core.yaml"
cp "$FAB_SAMPLECONFIG/orderer.yaml" "$CFG/orderer.yaml"
sed -e "s|@@CRYPTO@@|$CRYPTO|g" -e "s|@@OSN_PORT@@|$OSN_PORT|g" \
  -e "s|@@COMMERCE_PORT@@|$(peer_port commerce)|g" -e "s|@@CUSTOMS_PORT@@|$(peer_port customs)|g" \
  -e "s|@@POLICE_PORT@@|$(peer_port police)|g" "$FAB/config/configtx.yaml" >"$CFG/configtx.yaml"
configtxgen -configPath "$CFG" -profile "$PROFILE" -channelID "$CHANNEL" -outputBlock "$BLOCK" \
  >"$LOGS/configtxgen.log" 2>&1 || die "configtxgen failed" "$LOGS/configtxgen.log"

# Reliability fix 1: every peer trusts every org's TLS CA from the start. Otherwise the first
# gossip dial to the anchor peers (learnt from the genesis block) fails TLS, and gossip waits
# reconnectInterval before retrying (~31 s with the defaults).
cat "$CRYPTO"/peerOrganizations/*/tlsca/*.pem "$CRYPTO"/ordererOrganizations/*/tlsca/*.pem >"$TLS_BUNDLE"

# --- orderer --------------------------------------------------------------------------------
mkdir -p "$RUN/orderer"
start_bg orderer "$LOGS/orderer.log" env \
  FABRIC_CFG_PATH="$CFG" \
  FABRIC_LOGGING_SPEC="${UCX_FABRIC_LOGGING_SPEC:-info}" \
  FABRIC_LOGGING_FORMAT="$FAB_LOG_FORMAT" \
  ORDERER_GENERAL_LISTENADDRESS=127.0.0.1 \
  ORDERER_GENERAL_LISTENPORT="$OSN_PORT" \
  ORDERER_GENERAL_LOCALMSPID=OrdererMSP \
  ORDERER_GENERAL_LOCALMSPDIR="$OSN_DIR/msp" \
  ORDERER_GENERAL_TLS_ENABLED=true \
  ORDERER_GENERAL_TLS_PRIVATEKEY="$OSN_DIR/tls/server.key" \
  ORDERER_GENERAL_TLS_CERTIFICATE="$OSN_DIR/tls/server.crt" \
  ORDERER_GENERAL_TLS_ROOTCAS="[$OSN_DIR/tls/ca.crt]" \
  ORDERER_GENERAL_CLUSTER_CLIENTCERTIFICATE="$OSN_DIR/tls/server.crt" \
  ORDERER_GENERAL_CLUSTER_CLIENTPRIVATEKEY="$OSN_DIR/tls/server.key" \
  ORDERER_GENERAL_CLUSTER_ROOTCAS="[$OSN_DIR/tls/ca.crt]" \
  ORDERER_GENERAL_BOOTSTRAPMETHOD=none \
  ORDERER_CHANNELPARTICIPATION_ENABLED=true \
  ORDERER_ADMIN_LISTENADDRESS="$OSN_ADMIN_ADDR" \
  ORDERER_ADMIN_TLS_ENABLED=true \
  ORDERER_ADMIN_TLS_CERTIFICATE="$OSN_DIR/tls/server.crt" \
  ORDERER_ADMIN_TLS_PRIVATEKEY="$OSN_DIR/tls/server.key" \
  ORDERER_ADMIN_TLS_ROOTCAS="[$OSN_DIR/tls/ca.crt]" \
  ORDERER_ADMIN_TLS_CLIENTAUTHREQUIRED=true \
  ORDERER_ADMIN_TLS_CLIENTROOTCAS="[$OSN_DIR/tls/ca.crt]" \
  ORDERER_OPERATIONS_LISTENADDRESS="127.0.0.1:$OSN_OPS_PORT" \
  ORDERER_METRICS_PROVIDER=prometheus \
  ORDERER_FILELEDGER_LOCATION="$RUN/orderer/ledger" \
  ORDERER_CONSENSUS_WALDIR="$RUN/orderer/etcdraft/wal" \
  ORDERER_CONSENSUS_SNAPDIR="$RUN/orderer/etcdraft/snap" \
  "$FAB_BIN/orderer"

# --- peers ----------------------------------------------------------------------------------
for org in $ORGS; do
  pd=$(peer_dir "$org")
  port=$(peer_port "$org")
  mkdir -p "$RUN/peers/$org"
  start_bg "peer-$org" "$LOGS/peer-$org.log" env \
    FABRIC_CFG_PATH="$CFG" \
    FABRIC_LOGGING_SPEC="${UCX_FABRIC_LOGGING_SPEC:-info}" \
    FABRIC_LOGGING_FORMAT="$FAB_LOG_FORMAT" \
    CORE_PEER_ID="peer0.$(org_domain "$org")" \
    CORE_PEER_LOCALMSPID="$(org_msp "$org")" \
    CORE_PEER_MSPCONFIGPATH="$pd/msp" \
    CORE_PEER_LISTENADDRESS="127.0.0.1:$port" \
    CORE_PEER_ADDRESS="127.0.0.1:$port" \
    CORE_PEER_CHAINCODELISTENADDRESS="127.0.0.1:$(peer_cc_port "$org")" \
    CORE_PEER_CHAINCODEADDRESS="127.0.0.1:$(peer_cc_port "$org")" \
    CORE_PEER_GOSSIP_BOOTSTRAP="127.0.0.1:$port" \
    CORE_PEER_GOSSIP_EXTERNALENDPOINT="127.0.0.1:$port" \
    CORE_PEER_TLS_ENABLED=true \
    CORE_PEER_TLS_CERT_FILE="$pd/tls/server.crt" \
    CORE_PEER_TLS_KEY_FILE="$pd/tls/server.key" \
    CORE_PEER_TLS_ROOTCERT_FILE="$TLS_BUNDLE" \
    CORE_PEER_FILESYSTEMPATH="$RUN/peers/$org/data" \
    CORE_LEDGER_SNAPSHOTS_ROOTDIR="$RUN/peers/$org/snapshots" \
    CORE_OPERATIONS_LISTENADDRESS="127.0.0.1:$(peer_ops_port "$org")" \
    CORE_METRICS_PROVIDER=prometheus \
    CORE_CHAINCODE_STARTUPTIMEOUT=30s \
    CORE_LEDGER_HISTORY_ENABLEHISTORYDATABASE=false \
    CORE_PEER_GOSSIP_RECONNECTINTERVAL=1s \
    CORE_PEER_GOSSIP_PUBLISHSTATEINFOINTERVAL=1s \
    CORE_PEER_GOSSIP_REQUESTSTATEINFOINTERVAL=1s \
    CORE_PEER_GOSSIP_ALIVETIMEINTERVAL=1s \
    CORE_PEER_GOSSIP_ALIVEEXPIRATIONTIMEOUT=5s \
    "$FAB_BIN/peer" node start
done
# (The last five lines are reliability fix 2, fast gossip; startup timeout 30 s instead of
# 300 s so a chaincode that never registers fails in 30 s, not 5 minutes. The history
# database is off: the contract keeps each vehicle's history itself, as numbered event keys,
# and never calls GetHistoryForKey; indexing every write on three peers is wasted work.)

# --- readiness: /healthz and the gRPC ports (healthz answers before gRPC listens) -------------
wait_until 60 orderer "$LOGS/orderer.log" http_ok "http://127.0.0.1:$OSN_OPS_PORT/healthz"
wait_until 30 orderer "$LOGS/orderer.log" tcp_open 127.0.0.1 "$OSN_PORT"
wait_until 30 orderer "$LOGS/orderer.log" tcp_open 127.0.0.1 "$OSN_ADMIN_PORT"
for org in $ORGS; do
  wait_until 60 "peer-$org" "$LOGS/peer-$org.log" http_ok "http://127.0.0.1:$(peer_ops_port "$org")/healthz"
  wait_until 30 "peer-$org" "$LOGS/peer-$org.log" tcp_open 127.0.0.1 "$(peer_port "$org")"
done
say "orderer and 3 peers up"

# --- channel ----------------------------------------------------------------------------------
osnadmin channel join --channelID "$CHANNEL" --config-block "$BLOCK" -o "$OSN_ADMIN_ADDR" \
  --ca-file "$OSN_TLSCA" --client-cert "$OSN_ADMIN_USER/tls/client.crt" \
  --client-key "$OSN_ADMIN_USER/tls/client.key" >"$LOGS/osnadmin-join.log" 2>&1 ||
  die "osnadmin channel join failed" "$LOGS/osnadmin-join.log" "$LOGS/orderer.log"
grep -q 'Status: 201' "$LOGS/osnadmin-join.log" ||
  die "osnadmin channel join did not answer 201" "$LOGS/osnadmin-join.log" "$LOGS/orderer.log"

for org in $ORGS; do
  (as_admin "$org"; peer channel join -b "$BLOCK") >"$LOGS/join-$org.log" 2>&1 ||
    die "peer0.$org could not join $CHANNEL" "$LOGS/join-$org.log" "$LOGS/peer-$org.log"
done

# The raft leader: a lifecycle transaction sent before it exists fails with "no Raft leader".
raft_leader() {
  curl -fsS --max-time 2 "http://127.0.0.1:$OSN_OPS_PORT/metrics" |
    grep -q "^consensus_etcdraft_is_leader{channel=\"$CHANNEL\"} 1"
}
wait_until 60 orderer "$LOGS/orderer.log" raft_leader

# Gossip convergence: every peer lists all 3 peers of the channel (the gateway plans
# endorsements from this membership).
peers_seen() {
  local org=$1
  discover peers --channel "$CHANNEL" --server "$(peer_addr "$org")" \
    --peerTLSCA "$(peer_tlsca "$org")" --MSP "$(org_msp "$org")" \
    --userCert "$(user_cert "$org" Admin)" --userKey "$(user_key "$org" Admin)" 2>/dev/null |
    grep -c '"MSPID"' | grep -qx 3
}
for org in $ORGS; do
  wait_until 60 "peer-$org" "$LOGS/peer-$org.log" peers_seen "$org"
done

say "network up in $(since "$t0") s: channel $CHANNEL, orderer $OSN_ADDR, peers $(for o in $ORGS; do printf '%s ' "$(peer_addr "$o")"; done)"
