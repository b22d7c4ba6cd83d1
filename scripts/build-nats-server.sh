#!/usr/bin/env bash
# Builds nats-server with Go (`go install github.com/nats-io/nats-server/v2@<version>`) into
# .cache/nats/<version>/ and prints the binary's path on stdout; skips the build when it is there.
# The tests of every tier run this build, and the operator deploys the same release (the
# `nats:<version>` image, operator/src/tiers/context.ts): what is tested is what is deployed.
# Debian's nats-server is 2.9.10, three years older.
#
# NATS_VERSION overrides the pinned version; it must be on the Go proxy
# (`go list -m -versions github.com/nats-io/nats-server/v2`) and build with this Go.
# harness/src/nats.ts and operator/src/tiers/context.ts read the nats_version line below.
set -euo pipefail
nats_version=v2.15.3
version=${NATS_VERSION:-$nats_version}
me=scripts/build-nats-server.sh
root=$(cd "$(dirname "$0")/.." && pwd)
out=$root/.cache/nats/$version
# shellcheck source=lib/go-tool.sh
. "$root/scripts/lib/go-tool.sh"

if [ -x "$out/nats-server" ]; then
  echo "$out/nats-server"
  exit 0
fi
[[ $version =~ ^v2\.[0-9]+\.[0-9]+$ ]] || fail "NATS_VERSION=$version is not a nats-server 2 release version like v2.15.3"
go_install_tool "github.com/nats-io/nats-server/v2@$version" nats-server nats-server
echo "$out/nats-server"
