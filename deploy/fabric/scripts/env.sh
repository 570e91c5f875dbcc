# shellcheck shell=bash disable=SC2034
# Shared settings and helpers for the deploy/fabric scripts. Source it from bash:
#   . deploy/fabric/scripts/env.sh
# It only defines variables and functions; it starts nothing.
#
# Never name a variable here ORDERER_* or CORE_*: the orderer and the peer read every such
# environment variable as configuration (an ORDERER_ADMIN=... once killed the orderer with
# "'Admin' expected a map, got 'string'"). Script variables use FAB_*, OSN_*, PEER_*, CC_*.
#
# Overridable from the environment:
#   UCX_FABRIC_RUN        state folder (default deploy/fabric/run)
#   UCX_CACHE             cache root for the Fabric binaries (default ~/.cache/ucx)
#   UCX_FABRIC_BIN        use Fabric binaries from this folder instead of the cache
#   UCX_FABRIC_CHANNEL    channel name (default ucx)
#   UCX_FABRIC_PORT_BASE  orderer listen port; every other port moves with it (default 7050)

FAB=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)     # deploy/fabric, wherever the clone is
REPO_ROOT=$(cd "$FAB/../.." && pwd)

# The Fabric version is the pseudo-version pinned in tools/go.mod (the v2.5.x tags are not
# usable module versions); the binaries are labelled 2.5.9, the release this commit follows.
FAB_MODULE=github.com/hyperledger/fabric
FAB_PSEUDO=$(awk -v m="$FAB_MODULE" '$1==m {print $2} $1=="require" && $2==m {print $3}' "$FAB/tools/go.mod" | head -n1)
FAB_VERSION_LABEL=2.5.9
FAB_COMMIT=${FAB_PSEUDO##*-}
FAB_CACHE=${UCX_CACHE:-$HOME/.cache/ucx}/fabric/$FAB_PSEUDO
FAB_BIN=${UCX_FABRIC_BIN:-$FAB_CACHE/bin}
FAB_SAMPLECONFIG=$FAB_CACHE/sampleconfig      # core.yaml and orderer.yaml copied from the module
FAB_TOOLS="peer orderer configtxgen cryptogen osnadmin discover"

RUN=${UCX_FABRIC_RUN:-$FAB/run}
CHANNEL=${UCX_FABRIC_CHANNEL:-ucx}
PROFILE=UcxChannel

# Ports (the recipe's layout, shifted together by UCX_FABRIC_PORT_BASE).
PORT_BASE=${UCX_FABRIC_PORT_BASE:-7050}
PORT_SHIFT=$((PORT_BASE - 7050))
OSN_PORT=$((7050 + PORT_SHIFT))        # orderer gRPC
OSN_ADMIN_PORT=$((7053 + PORT_SHIFT))  # channel participation API
OSN_OPS_PORT=$((9443 + PORT_SHIFT))    # /healthz, /metrics
OSN_ADDR=127.0.0.1:$OSN_PORT
OSN_ADMIN_ADDR=127.0.0.1:$OSN_ADMIN_PORT
CC_DEFAULT_ADDR=127.0.0.1:$((9999 + PORT_SHIFT))

ORGS="commerce customs police"

org_msp() {
  case $1 in
    commerce) echo CommerceMSP ;; customs) echo CustomsMSP ;; police) echo PoliceMSP ;;
    *) echo "unknown org $1" >&2; return 1 ;;
  esac
}
org_index() { case $1 in commerce) echo 0 ;; customs) echo 1 ;; police) echo 2 ;; *) return 1 ;; esac; }
org_domain() { echo "$1.example.com"; }
peer_port() { echo $((7051 + 1000 * $(org_index "$1") + PORT_SHIFT)); }      # 7051 8051 9051
peer_cc_port() { echo $(($(peer_port "$1") + 1)); }                           # 7052 8052 9052
peer_ops_port() { echo $((9444 + $(org_index "$1") + PORT_SHIFT)); }        # 9444 9445 9446
peer_addr() { echo "127.0.0.1:$(peer_port "$1")"; }

CRYPTO=$RUN/crypto
ARTIFACTS=$RUN/artifacts
CFG=$RUN/config          # FABRIC_CFG_PATH: rendered core.yaml + orderer.yaml
LOGS=$RUN/logs
PIDS=$RUN/pids
OSN_DIR=$CRYPTO/ordererOrganizations/example.com/orderers/orderer.example.com
OSN_TLSCA=$OSN_DIR/tls/ca.crt
OSN_ADMIN_USER=$CRYPTO/ordererOrganizations/example.com/users/Admin@example.com
TLS_BUNDLE=$ARTIFACTS/tls-roots.pem
BLOCK=$ARTIFACTS/$CHANNEL.block

org_dir() { echo "$CRYPTO/peerOrganizations/$(org_domain "$1")"; }
peer_dir() { echo "$(org_dir "$1")/peers/peer0.$(org_domain "$1")"; }
peer_tlsca() { echo "$(peer_dir "$1")/tls/ca.crt"; }
user_dir() { echo "$(org_dir "$1")/users/$2@$(org_domain "$1")"; }   # user_dir commerce User1
# The private key's file name under keystore/ is random (cryptogen names it <SKI>_sk).
user_key() {
  local k
  for k in "$(user_dir "$1" "$2")"/msp/keystore/*; do [ -f "$k" ] && { echo "$k"; return 0; }; done
  echo "no key in $(user_dir "$1" "$2")/msp/keystore" >&2
  return 1
}
user_cert() { echo "$(user_dir "$1" "$2")/msp/signcerts/$2@$(org_domain "$1")-cert.pem"; }

# Fabric's default log format is coloured; the logs here are files, so drop the colour codes.
FAB_LOG_FORMAT='%{time:2006-01-02 15:04:05.000 MST} %{id:04x} %{level:.4s} [%{module}] %{shortfunc} -> %{message}'

# as_user ORG USER: point the peer CLI at ORG's peer as USER (Admin, User1). Use it in a
# subshell only:  (as_user customs Admin; peer channel join -b "$BLOCK")
as_user() {
  export FABRIC_CFG_PATH=$CFG
  export FABRIC_LOGGING_FORMAT=$FAB_LOG_FORMAT
  export CORE_PEER_LOCALMSPID=$(org_msp "$1")
  export CORE_PEER_MSPCONFIGPATH=$(user_dir "$1" "$2")/msp
  export CORE_PEER_ADDRESS=$(peer_addr "$1")
  export CORE_PEER_TLS_ENABLED=true
  export CORE_PEER_TLS_ROOTCERT_FILE=$(peer_tlsca "$1")
}
as_admin() { as_user "$1" Admin; }

# scrub_fabric_env: drop CORE_* and ORDERER_* variables inherited from the caller, so only the
# settings these scripts pass reach the peer, the orderer, the CLI and the chaincode.
scrub_fabric_env() {
  local v
  for v in $(compgen -e); do
    case $v in CORE_* | ORDERER_*) say "ignoring $v from the environment"; unset "$v" ;; esac
  done
}

say() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# since T0: seconds elapsed since T0 (an $EPOCHREALTIME value), with one decimal.
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }

# die MSG [LOG...]: print MSG and the tail of each log, then exit 1.
die() {
  local msg=$1 f
  shift
  echo "ERROR: $msg" >&2
  for f in "$@"; do
    [ -f "$f" ] || continue
    echo "----- last 40 lines of $f -----" >&2
    tail -n 40 "$f" >&2
  done
  exit 1
}

need_bins() {
  local t
  for t in $FAB_TOOLS; do
    [ -x "$FAB_BIN/$t" ] || die "missing $FAB_BIN/$t: run deploy/fabric/scripts/build-tools.sh"
  done
}

# start_bg NAME LOG CMD...: start CMD detached (own session, stdin closed, output to LOG) and
# record "PID BINARY" in $PIDS/NAME.pid for network-down.sh. CMD may start with `env VAR=...`;
# env and setsid exec the binary, so PID is the binary's own.
start_bg() {
  local name=$1 log=$2 bin a
  shift 2
  for a in "$@"; do
    case $a in env | *=*) continue ;; *) bin=$a; break ;; esac
  done
  mkdir -p "$PIDS" "$(dirname "$log")"
  if [[ $- == *m* ]]; then
    "$@" </dev/null >"$log" 2>&1 &        # job control on: the job has its own group already
  else
    setsid "$@" </dev/null >"$log" 2>&1 & # not a group leader, so setsid execs without forking
  fi
  echo "$! $bin" >"$PIDS/$name.pid"
}

pid_of() { local p; [ -f "$PIDS/$1.pid" ] && read -r p _ <"$PIDS/$1.pid" && echo "$p"; }

# ours PID BINARY: PID still runs BINARY, as recorded by start_bg (guards against PID reuse).
ours() {
  local exe
  [ -n "$1" ] && [ -d "/proc/$1" ] || return 1
  exe=$(tr '\0' '\n' <"/proc/$1/cmdline" 2>/dev/null | head -n1) || return 1
  [ "$exe" = "$2" ] || [ "$(basename -- "$exe")" = "$(basename -- "$2")" ]
}

# alive NAME LOG: die with LOG's tail if the process recorded as NAME has exited.
alive() {
  local p
  p=$(pid_of "$1") || die "$1: no pid file in $PIDS" "$2"
  kill -0 "$p" 2>/dev/null && return 0
  local st=0
  wait "$p" 2>/dev/null || st=$?    # the exit status, when this shell started it
  [ "$st" = 127 ] && st=unknown
  die "$1 (pid $p) has exited (status $st)" "$2"
}

tcp_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# wait_until SECONDS NAME LOG CMD...: retry CMD every 0.1 s until it succeeds; die if the
# process NAME dies or the time runs out. NAME "-" means no process to watch.
wait_until() {
  local secs=$1 name=$2 log=$3 end
  shift 3
  end=$((SECONDS + secs))
  while :; do
    "$@" >/dev/null 2>&1 && return 0
    [ "$name" = - ] || alive "$name" "$log"
    [ $SECONDS -lt $end ] || die "timed out after ${secs}s waiting for: $*" "$log"
    sleep 0.1
  done
}

http_ok() { curl -fsS --max-time 2 -o /dev/null "$1"; }
