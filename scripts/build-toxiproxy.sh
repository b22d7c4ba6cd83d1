#!/usr/bin/env bash
# Builds Shopify's toxiproxy server with Go (`go install github.com/Shopify/toxiproxy/v2/cmd/server@<version>`)
# into .cache/toxiproxy/<version>/ and prints the binary's path on stdout; skips the build when it is there.
# `make chaos` puts it between the services and PostgreSQL, NATS and Redis to inject network faults
# (latency, connection resets, a black hole) through its HTTP API on loopback (harness/src/toxiproxy.ts).
#
# TOXIPROXY_VERSION overrides the pinned version; it must be on the Go proxy
# (`go list -m -versions github.com/Shopify/toxiproxy/v2`). harness/src/toxiproxy.ts reads the line below.
set -euo pipefail
toxiproxy_version=v2.12.0
version=${TOXIPROXY_VERSION:-$toxiproxy_version}
me=scripts/build-toxiproxy.sh
root=$(cd "$(dirname "$0")/.." && pwd)
out=$root/.cache/toxiproxy/$version
# shellcheck source=lib/go-tool.sh
. "$root/scripts/lib/go-tool.sh"

if [ -x "$out/toxiproxy-server" ]; then
  echo "$out/toxiproxy-server"
  exit 0
fi
[[ $version =~ ^v2\.[0-9]+\.[0-9]+$ ]] || fail "TOXIPROXY_VERSION=$version is not a toxiproxy 2 release version like v2.12.0"
go_install_tool "github.com/Shopify/toxiproxy/v2/cmd/server@$version" server toxiproxy-server
echo "$out/toxiproxy-server"
