#!/usr/bin/env bash
# Builds Fabric's peer, orderer, configtxgen, cryptogen, osnadmin and discover from the pinned
# module (deploy/fabric/tools) into ${UCX_CACHE:-~/.cache/ucx}/fabric/<pseudo-version>/bin, and
# copies the module's sampleconfig/{core,orderer}.yaml beside it. Does nothing when all of that
# is already there. The last line printed is the bin folder.
#
# Measured on 2 shared cores: cold ~16 s download + ~80 s compile (4 min under heavy load);
# warm Go build cache 6 s (link only); binaries already cached 0.01 s.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"

bins_ok() {
  local t
  for t in $FAB_TOOLS; do [ -x "$FAB_BIN/$t" ] || return 1; done
}
cfg_ok() { [ -f "$FAB_SAMPLECONFIG/core.yaml" ] && [ -f "$FAB_SAMPLECONFIG/orderer.yaml" ]; }

if bins_ok && cfg_ok; then
  echo "fabric binaries cached at $FAB_BIN" >&2
  echo "$FAB_BIN"
  exit 0
fi
bins_ok || [ -z "${UCX_FABRIC_BIN:-}" ] || die "UCX_FABRIC_BIN=$UCX_FABRIC_BIN lacks some of: $FAB_TOOLS"

# sum.golang.org has no entry for Fabric pseudo-versions; tools/go.sum pins the hashes.
export GONOSUMDB=$FAB_MODULE GOFLAGS=-mod=mod
cd "$FAB/tools"
mkdir -p "$FAB_CACHE"
tmp=$(mktemp -d "$FAB_CACHE.tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

if ! bins_ok; then
  start=$SECONDS
  say "building Fabric $FAB_VERSION_LABEL ($FAB_PSEUDO) into $FAB_BIN"
  M=$FAB_MODULE/common/metadata
  pkgs=()
  for t in $FAB_TOOLS; do pkgs+=("$FAB_MODULE/cmd/$t"); done
  go build -trimpath -buildvcs=false -o "$tmp/bin/" \
    -ldflags "-X $M.Version=$FAB_VERSION_LABEL -X $M.CommitSHA=$FAB_COMMIT" "${pkgs[@]}"
  # Move into place only once all six built, so a half-built cache is never "cached".
  rm -rf "$FAB_BIN"
  mv "$tmp/bin" "$FAB_BIN"
  say "built in $((SECONDS - start)) s: $("$FAB_BIN/peer" version | awk '/Version:/{print $2; exit}')"
fi

if ! cfg_ok; then
  src=$(go mod download -json "$FAB_MODULE" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -f "$src/sampleconfig/core.yaml" ] || die "no sampleconfig/core.yaml in the $FAB_MODULE module ($src)"
  mkdir -p "$tmp/sampleconfig"
  cp "$src/sampleconfig/core.yaml" "$src/sampleconfig/orderer.yaml" "$tmp/sampleconfig/"
  chmod 0644 "$tmp/sampleconfig/"*.yaml   # the module cache is read-only
  rm -rf "$FAB_SAMPLECONFIG"
  mv "$tmp/sampleconfig" "$FAB_SAMPLECONFIG"
fi
echo "$FAB_BIN"
