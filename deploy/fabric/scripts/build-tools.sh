#!/usr/bin/env bash
# Builds Fabric's peer, orderer, configtxgen, cryptogen, osnadmin and discover from the pinned
# module (deploy/fabric/tools) into ${UCX_CACHE:-~/.cache/ucx}/fabric/<pseudo-version>/bin, and
# copies the module's sampleconfig/{core,orderer}.yaml beside it. Does nothing when all of that
# is already there. The last line printed is the bin folder.
#
# Cold (empty module and build caches, 2 cores): about 10 s download + 90-100 s compile.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"

cached() {
  local t
  for t in $FAB_TOOLS; do [ -x "$FAB_BIN/$t" ] || return 1; done
  [ -f "$FAB_SAMPLECONFIG/core.yaml" ] && [ -f "$FAB_SAMPLECONFIG/orderer.yaml" ]
}

if cached; then
  echo "fabric binaries cached at $FAB_BIN" >&2
  echo "$FAB_BIN"
  exit 0
fi
[ -z "${UCX_FABRIC_BIN:-}" ] || die "UCX_FABRIC_BIN=$UCX_FABRIC_BIN lacks some of: $FAB_TOOLS"

# sum.golang.org has no entry for Fabric pseudo-versions; tools/go.sum pins the hashes.
export GONOSUMDB=$FAB_MODULE GOFLAGS=-mod=mod
cd "$FAB/tools"
start=$SECONDS
say "building Fabric $FAB_VERSION_LABEL ($FAB_PSEUDO) into $FAB_BIN"
tmp=$(mktemp -d "$FAB_CACHE.tmp.XXXXXX" 2>/dev/null || { mkdir -p "$FAB_CACHE" && mktemp -d "$FAB_CACHE.tmp.XXXXXX"; })
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bin" "$tmp/sampleconfig"
M=$FAB_MODULE/common/metadata
pkgs=()
for t in $FAB_TOOLS; do pkgs+=("$FAB_MODULE/cmd/$t"); done
go build -trimpath -buildvcs=false -o "$tmp/bin/" \
  -ldflags "-X $M.Version=$FAB_VERSION_LABEL -X $M.CommitSHA=$FAB_COMMIT" "${pkgs[@]}"
src=$(go list -m -f '{{.Dir}}' "$FAB_MODULE")
cp "$src/sampleconfig/core.yaml" "$src/sampleconfig/orderer.yaml" "$tmp/sampleconfig/"
chmod 0644 "$tmp/sampleconfig/"*.yaml   # the module cache is read-only

# Move into place only once everything built, so a half-built cache is never "cached".
mkdir -p "$FAB_CACHE"
rm -rf "$FAB_CACHE/bin" "$FAB_CACHE/sampleconfig"
mv "$tmp/bin" "$FAB_CACHE/bin"
mv "$tmp/sampleconfig" "$FAB_CACHE/sampleconfig"
say "built in $((SECONDS - start)) s: $("$FAB_BIN/peer" version | awk '/Version:/{print $2; exit}')"
echo "$FAB_BIN"
