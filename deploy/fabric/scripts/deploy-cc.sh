#!/usr/bin/env bash
# Deploys a Go chaincode as a service (ccaas) on the running network: packages a
# connection.json, starts the chaincode server, installs on the 3 peers, approves for the
# 3 orgs, commits, checks every peer can reach the chaincode, waits until discovery gives
# endorsement layouts on every peer, then writes run/connection.env for clients.
#
# usage: deploy-cc.sh [--name NAME] [--version VERSION] [--binary PATH] [--address HOST:PORT]
#                     [--probe JSON|""]
#   --name     chaincode name (UCX_FABRIC_CC_NAME, default ucx)
#   --version  chaincode version (UCX_FABRIC_CC_VERSION, default 1.0); label NAME_VERSION
#   --binary   chaincode server binary (UCX_FABRIC_CC_BINARY; default: `go build ./cmd/exportcc`
#              from the repo root into run/cc/). It is started with CHAINCODE_SERVER_ADDRESS
#              and CORE_CHAINCODE_ID_NAME=<package id> (fabric-contract-api-go serves then).
#   --address  where the chaincode server listens (UCX_FABRIC_CC_ADDRESS, default 127.0.0.1:9999)
#   --probe    query run on every peer after the commit, so each peer dials the chaincode
#              (UCX_FABRIC_CC_PROBE, default contractapi's org.hyperledger.fabric:GetMetadata;
#              "" skips it)
# Deploying again (e.g. a new --version) restarts the server and commits the next sequence.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
scrub_fabric_env
t0=$EPOCHREALTIME

CC_NAME=${UCX_FABRIC_CC_NAME:-ucx}
CC_VERSION=${UCX_FABRIC_CC_VERSION:-1.0}
CC_BINARY=${UCX_FABRIC_CC_BINARY:-}
CC_ADDR=${UCX_FABRIC_CC_ADDRESS:-$CC_DEFAULT_ADDR}
CC_PROBE=${UCX_FABRIC_CC_PROBE-'{"Args":["org.hyperledger.fabric:GetMetadata"]}'}
while [ $# -gt 0 ]; do
  case $1 in
    --name) CC_NAME=$2; shift 2 ;;
    --version) CC_VERSION=$2; shift 2 ;;
    --binary) CC_BINARY=$2; shift 2 ;;
    --address) CC_ADDR=$2; shift 2 ;;
    --probe) CC_PROBE=$2; shift 2 ;;
    -h | --help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
CC_LABEL=${CC_NAME}_$CC_VERSION
CC_DIR=$RUN/cc/$CC_NAME
CC_HOST=${CC_ADDR%:*}
CC_PORT=${CC_ADDR##*:}

need_bins
export PATH=$FAB_BIN:$PATH
[ -f "$BLOCK" ] || die "no network in $RUN: run network-up.sh first"
alive orderer "$LOGS/orderer.log"
for org in $ORGS; do alive "peer-$org" "$LOGS/peer-$org.log"; done
rm -f "$RUN/connection.env"   # written again only once the chaincode is usable
mkdir -p "$CC_DIR"

# --- the chaincode server binary -------------------------------------------------------------
if [ -z "$CC_BINARY" ]; then
  [ -d "$REPO_ROOT/cmd/exportcc" ] || die "no --binary given and $REPO_ROOT/cmd/exportcc does not exist"
  say "building ./cmd/exportcc"
  (cd "$REPO_ROOT" && go build -o "$CC_DIR/exportcc" ./cmd/exportcc) >"$LOGS/cc-build.log" 2>&1 ||
    die "go build ./cmd/exportcc failed" "$LOGS/cc-build.log"
  CC_BINARY=$CC_DIR/exportcc
fi
[ -x "$CC_BINARY" ] || die "chaincode binary $CC_BINARY is not an executable file"
CC_BINARY=$(cd "$(dirname "$CC_BINARY")" && pwd)/$(basename "$CC_BINARY")

# --- package: deterministic tarballs, so the same inputs always give the same package ID -------
# (a package ID that differs from the server's CORE_CHAINCODE_ID_NAME makes the peer wait the
# whole startup timeout before failing)
(
  cd "$CC_DIR"
  printf '{"address":"%s","dial_timeout":"10s","tls_required":false}\n' "$CC_ADDR" >connection.json
  printf '{"type":"ccaas","label":"%s"}\n' "$CC_LABEL" >metadata.json
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf - connection.json | gzip -n >code.tar.gz
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf - metadata.json code.tar.gz | gzip -n >"$CC_LABEL.tgz"
)
PKG=$CC_DIR/$CC_LABEL.tgz
PKG_ID=$(FABRIC_CFG_PATH=$CFG peer lifecycle chaincode calculatepackageid "$PKG")
say "package $PKG_ID"

# --- chaincode server (one process serves all three peers) ------------------------------------
if [ -f "$PIDS/cc-$CC_NAME.pid" ]; then
  read -r old old_bin <"$PIDS/cc-$CC_NAME.pid" || true
  if ours "${old:-}" "${old_bin:-}"; then
    say "stopping the previous $CC_NAME chaincode server (pid $old)"
    kill -TERM "$old" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$old" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$old" 2>/dev/null || true
  fi
  rm -f "$PIDS/cc-$CC_NAME.pid"
fi
! tcp_open "$CC_HOST" "$CC_PORT" || die "$CC_ADDR is already in use: pick another --address"
CC_LOG=$LOGS/cc-$CC_NAME.log
start_bg "cc-$CC_NAME" "$CC_LOG" env \
  CHAINCODE_SERVER_ADDRESS="$CC_ADDR" \
  CORE_CHAINCODE_ID_NAME="$PKG_ID" \
  CORE_PEER_TLS_ENABLED=false \
  "$CC_BINARY"
wait_until 30 "cc-$CC_NAME" "$CC_LOG" tcp_open "$CC_HOST" "$CC_PORT"

# --- lifecycle ------------------------------------------------------------------------------
for org in $ORGS; do
  (
    as_admin "$org"
    if peer lifecycle chaincode queryinstalled 2>/dev/null | grep -qF "Package ID: $PKG_ID,"; then
      echo "already installed"
    else
      peer lifecycle chaincode install "$PKG"
    fi
  ) >"$LOGS/cc-install-$org.log" 2>&1 || die "install on peer0.$org failed" "$LOGS/cc-install-$org.log" "$LOGS/peer-$org.log"
done

committed=$(as_admin commerce; peer lifecycle chaincode querycommitted -C "$CHANNEL" -n "$CC_NAME" 2>/dev/null |
  sed -n 's/.*Sequence: \([0-9]*\).*/\1/p') || true
SEQ=$((${committed:-0} + 1))

osn_flags=(-o "$OSN_ADDR" --tls --cafile "$OSN_TLSCA")
# Approve for the 3 orgs in parallel; wait on these PIDs only (a bare `wait` would also wait
# for the chaincode server started above, forever).
approvals=()
for org in $ORGS; do
  (as_admin "$org"; peer lifecycle chaincode approveformyorg "${osn_flags[@]}" --channelID "$CHANNEL" \
    --name "$CC_NAME" --version "$CC_VERSION" --sequence "$SEQ" --package-id "$PKG_ID") \
    >"$LOGS/cc-approve-$org.log" 2>&1 &
  approvals+=("$!:$org")
done
for entry in "${approvals[@]}"; do
  wait "${entry%%:*}" || die "approve for ${entry#*:} failed" "$LOGS/cc-approve-${entry#*:}.log" "$LOGS/orderer.log"
done

peer_flags=()
for org in $ORGS; do peer_flags+=(--peerAddresses "$(peer_addr "$org")" --tlsRootCertFiles "$(peer_tlsca "$org")"); done
(as_admin commerce; peer lifecycle chaincode commit "${osn_flags[@]}" --channelID "$CHANNEL" \
  --name "$CC_NAME" --version "$CC_VERSION" --sequence "$SEQ" "${peer_flags[@]}") \
  >"$LOGS/cc-commit.log" 2>&1 || die "commit of $CC_NAME failed" "$LOGS/cc-commit.log" "$LOGS/peer-commerce.log"
say "committed $CC_NAME version $CC_VERSION sequence $SEQ on $CHANNEL"

# Every peer dials the chaincode server now rather than on a client's first call.
if [ -n "$CC_PROBE" ]; then
  for org in $ORGS; do
    (as_admin "$org"; peer chaincode query -C "$CHANNEL" -n "$CC_NAME" -c "$CC_PROBE") \
      >"$LOGS/cc-probe-$org.log" 2>&1 ||
      die "probe query of $CC_NAME on peer0.$org failed" "$LOGS/cc-probe-$org.log" "$CC_LOG" "$LOGS/peer-$org.log"
  done
fi

# Gateway readiness: the gateway plans endorsements the way discovery does; wait until every
# peer can give a layout for the chaincode (otherwise a first submit may fail with
# FailedPrecondition "no combination of peers can be derived").
endorsers_known() {
  local org=$1
  discover endorsers --channel "$CHANNEL" --chaincode "$CC_NAME" --server "$(peer_addr "$org")" \
    --peerTLSCA "$(peer_tlsca "$org")" --MSP "$(org_msp "$org")" \
    --userCert "$(user_cert "$org" Admin)" --userKey "$(user_key "$org" Admin)" 2>/dev/null |
    grep -q '"Layouts"'
}
for org in $ORGS; do
  wait_until 60 "peer-$org" "$LOGS/peer-$org.log" endorsers_known "$org"
done
alive "cc-$CC_NAME" "$CC_LOG"

# --- connection settings for clients ------------------------------------------------------------
{
  echo "# Written by deploy/fabric/scripts/deploy-cc.sh on $(date -u +%Y-%m-%dT%H:%M:%SZ)."
  echo "# KEY=VALUE lines, no quoting; paths are absolute. Source it from sh, or parse the lines."
  echo "UCX_FABRIC_CHANNEL=$CHANNEL"
  echo "UCX_FABRIC_CHAINCODE=$CC_NAME"
  echo "UCX_FABRIC_PACKAGE_ID=$PKG_ID"
  echo "UCX_FABRIC_ORDERER=$OSN_ADDR"
  echo "UCX_FABRIC_ORDERER_TLS_CA=$OSN_TLSCA"
  for org in $ORGS; do
    up=$(echo "$org" | tr '[:lower:]' '[:upper:]')
    echo
    echo "UCX_FABRIC_${up}_PEER=$(peer_addr "$org")"
    echo "UCX_FABRIC_${up}_TLS_CA=$(peer_tlsca "$org")"
    echo "UCX_FABRIC_${up}_MSPID=$(org_msp "$org")"
    echo "UCX_FABRIC_${up}_CERT=$(user_cert "$org" User1)"
    echo "UCX_FABRIC_${up}_KEY=$(user_key "$org" User1)"
    echo "UCX_FABRIC_${up}_ADMIN_CERT=$(user_cert "$org" Admin)"
    echo "UCX_FABRIC_${up}_ADMIN_KEY=$(user_key "$org" Admin)"
  done
} >"$RUN/connection.env.tmp"
mv "$RUN/connection.env.tmp" "$RUN/connection.env"
say "chaincode $CC_NAME deployed in $(since "$t0") s; clients: $RUN/connection.env"
