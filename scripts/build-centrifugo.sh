#!/usr/bin/env bash
# Builds Centrifugo with Go (`go install github.com/centrifugal/centrifugo/v6@<version>`) into
# .cache/centrifugo/<version>/ and prints the binary's path on stdout; skips the build when it is
# there. The fan-out benchmark (bench/fanout.ts, through harness/src/centrifugo.ts) runs it as Hearth's realtime peer: the same
# room, payload and clients, to compare deliveries per second at saturation.
#
# CENTRIFUGO_VERSION overrides the pinned version; it must be on the Go proxy
# (`go list -m -versions github.com/centrifugal/centrifugo/v6`) and build with this Go.
set -euo pipefail
centrifugo_version=v6.9.1
version=${CENTRIFUGO_VERSION:-$centrifugo_version}
me=scripts/build-centrifugo.sh
root=$(cd "$(dirname "$0")/.." && pwd)
out=$root/.cache/centrifugo/$version
# shellcheck source=lib/go-tool.sh
. "$root/scripts/lib/go-tool.sh"

if [ -x "$out/centrifugo" ]; then
  echo "$out/centrifugo"
  exit 0
fi
[[ $version =~ ^v6\.[0-9]+\.[0-9]+$ ]] || fail "CENTRIFUGO_VERSION=$version is not a Centrifugo 6 release version like v6.9.1"
# `centrifugo --version` exits 0 with "unknown flag"; `centrifugo version` is its own check.
go_install_tool "github.com/centrifugal/centrifugo/v6@$version" centrifugo centrifugo version
echo "$out/centrifugo"
