#!/usr/bin/env bash
# Builds SeaweedFS's `weed` with Go into .cache/seaweedfs/<version>/ and prints the binary's path
# on stdout; skips the build when it is there. The backup tests use it as a real S3 server on
# loopback (harness/src/seaweedfs.ts: `weed mini` with a static S3 identity).
#
# `go install github.com/seaweedfs/seaweedfs/weed@<version>` is refused: the module's go.mod has
# a replace directive (go install allows none). So the module is downloaded from the Go proxy and
# built where it lies, as the main module, which applies its replace directive. The proxy serves
# SeaweedFS only as pseudo-versions of its main branch; the pin below is one.
#
# SEAWEEDFS_VERSION overrides the pinned version (`go list -m -versions` lists none: give a
# pseudo-version the proxy serves). harness/src/seaweedfs.ts reads the seaweedfs_version line below.
set -euo pipefail
seaweedfs_version=v0.0.0-20261109003541-7506e5f91cd6
version=${SEAWEEDFS_VERSION:-$seaweedfs_version}
me=scripts/build-seaweedfs.sh
root=$(cd "$(dirname "$0")/.." && pwd)
out=$root/.cache/seaweedfs/$version
module=github.com/seaweedfs/seaweedfs
# shellcheck source=lib/go-tool.sh
. "$root/scripts/lib/go-tool.sh"

if [ -x "$out/weed" ]; then
  echo "$out/weed"
  exit 0
fi
[[ $version =~ ^v[0-9]+\.[0-9]+\.[0-9]+(-[0-9]{14}-[0-9a-f]{12})?$ ]] || fail "SEAWEEDFS_VERSION=$version is not a version or pseudo-version like v0.0.0-20261109003541-7506e5f91cd6"
find_go weed

work=$(mktemp -d "${TMPDIR:-/tmp}/hearth-seaweedfs-build-XXXXXX")
trap 'rm -rf "$work"' EXIT
started=$(date +%s)
say "building SeaweedFS weed $version with $("$go" env GOVERSION) into ${out#"$root"/} (a cold build takes minutes)"
run_go "downloading $module@$version" "$work" mod download -json "$module@$version"
source_dir=$(sed -nE 's/^[[:space:]]*"Dir": "(.*)",?$/\1/p' <<<"$go_output")
[ -f "$source_dir/go.mod" ] || fail "could not find $module@$version in the Go module cache"
mkdir -p "$work/bin"
run_go "compiling weed" "$source_dir" build -trimpath -ldflags "-s -w" -o "$work/bin/weed" ./weed
"$work/bin/weed" version >/dev/null 2>&1 || fail "the built weed does not run"
mkdir -p "$out"
rm -f "$out/build.log"
# A rename is atomic: the skip test above never sees a half-written binary.
mv -f "$work/bin/weed" "$out/weed"
say "built in $(($(date +%s) - started)) s: $("$out/weed" version 2>/dev/null | head -n 1)"
echo "$out/weed"
