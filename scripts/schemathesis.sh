#!/usr/bin/env bash
# Installs schemathesis (the OpenAPI fuzzer `make api-contract` runs against /api/openapi.json)
# from PyPI into a Python venv at .cache/schemathesis/<version>/, and prints the path of its `st`
# command on stdout. Skips the install when that venv is already there. On failure, says so in one
# line on stderr and keeps pip's output in .cache/schemathesis/<version>/install.log.
#
# SCHEMATHESIS_VERSION overrides the pinned version; scripts/api-contract.ts passes 4.x flags.
set -euo pipefail
schemathesis_version=4.32.5
version=${SCHEMATHESIS_VERSION:-$schemathesis_version}
me=scripts/schemathesis.sh
root=$(cd "$(dirname "$0")/.." && pwd)
out=$root/.cache/schemathesis/$version

fail() {
  echo "$me: $*" >&2
  exit 1
}

# A venv cannot be moved (its scripts name their python by absolute path), so it is built in place
# and a stamp written last marks it whole; a half-built one, or one whose scripts name a path
# that is gone (built through another checkout's symlink to this .cache), is built again.
if [ -f "$out/venv/.installed" ] && "$out/venv/bin/st" --version >/dev/null 2>&1; then
  echo "$out/venv/bin/st"
  exit 0
fi

[[ $version =~ ^4\.[0-9]+\.[0-9]+$ ]] || fail "SCHEMATHESIS_VERSION=$version is not a schemathesis 4 release like 4.32.5"
python=$(command -v python3 || true)
[ -n "$python" ] || fail "python3 (3.9 or later) is needed to install schemathesis"
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 9))' || fail "python3 is $("$python" -V 2>&1); schemathesis needs 3.9 or later"

rm -rf "$out/venv"
mkdir -p "$out"
log=$out/install.log
echo "$me: installing schemathesis $version into ${out#"$root"/} (about a minute the first time)" >&2
if ! { "$python" -m venv "$out/venv" && "$out/venv/bin/python" -m pip install --quiet --disable-pip-version-check "schemathesis==$version"; } >"$log" 2>&1; then
  fail "pip install schemathesis==$version failed: $(grep -v '^[[:space:]]*$' "$log" | tail -n 1) (pip's output: ${log#"$root"/})"
fi
"$out/venv/bin/st" --version >/dev/null 2>&1 || fail "the installed st does not run"
rm -f "$log"
touch "$out/venv/.installed"
echo "$out/venv/bin/st"
