#!/usr/bin/env bash
# Installs what the tests need from Debian's packages when it is missing (CI starts on a fresh machine).
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "scripts/test-deps.sh: the tests need: ${need[*]}; install them with apt-get (needs root)" >&2
  exit 1
fi
echo "scripts/test-deps.sh: installing ${need[*]} from Debian's packages" >&2
apt-get update -q >/dev/null
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null
