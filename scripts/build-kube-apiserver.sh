#!/usr/bin/env bash
# Builds kube-apiserver, kubectl, kube-controller-manager and kube-scheduler from the
# k8s.io/kubernetes Go module (the machines reach the Go module proxy but no release downloads)
# into .cache/kube/<version>/, and prints that folder on stdout. Skips the build when all four
# binaries are already there. The last two serve the simulated cluster (harness/src/kube-cluster.ts).
#
# k8s.io/kubernetes cannot be required as-is: its go.mod requires its staging modules
# (k8s.io/api, k8s.io/apiserver, ...) at v0.0.0 and replaces them with ./staging paths that
# are not part of the module. So a throwaway wrapper module requires k8s.io/kubernetes at
# $kube_version and replaces every one of those staging modules with its published v0.<minor>.<patch>.
#
# KUBE_VERSION overrides the version; it must be on the Go proxy as k8s.io/kubernetes (the proxy
# here has only some releases: `go list -m -versions k8s.io/kubernetes`) and need this Go.
# harness/src/kube.ts reads the kube_version line below to find the binaries.
set -euo pipefail
kube_version=v1.36.3
version=${KUBE_VERSION:-$kube_version}
me=scripts/build-kube-apiserver.sh
root=$(cd "$(dirname "$0")/.." && pwd)
out=$root/.cache/kube/$version

# shellcheck source=lib/go-tool.sh
. "$root/scripts/lib/go-tool.sh"

bins="kube-apiserver kube-controller-manager kube-scheduler kubectl"
missing=""
for bin in $bins; do [ -x "$out/$bin" ] || missing+=" $bin"; done
if [ -z "$missing" ]; then
  echo "$out"
  exit 0
fi

[[ $version =~ ^v1\.([0-9]+)\.([0-9]+)$ ]] || fail "KUBE_VERSION=$version is not a release version like v1.36.3"
minor=${BASH_REMATCH[1]}
staging_version=v0.${BASH_REMATCH[1]}.${BASH_REMATCH[2]}

find_go kube-apiserver

work=$(mktemp -d "${TMPDIR:-/tmp}/hearth-kube-build-XXXXXX")
trap 'rm -rf "$work"' EXIT
started=$(date +%s)
elapsed() { echo "$(($(date +%s) - started)) s"; }

mkdir -p "$work/module"
cat >"$work/module/go.mod" <<EOF
module hearth.local/kubebins

go $("$go" env GOVERSION | sed -E 's/^go([0-9]+\.[0-9]+).*/\1/').0
EOF

say "building$missing $version with $("$go" env GOVERSION) (staging modules at $staging_version) into $out"
say "reading k8s.io/kubernetes@$version's go.mod from the Go module proxy"
run_go "downloading k8s.io/kubernetes@$version" "$work/module" mod download -json "k8s.io/kubernetes@$version"
kube_gomod=$(sed -nE 's/^[[:space:]]*"GoMod": "(.*)",?$/\1/p' <<<"$go_output")
[ -f "$kube_gomod" ] || fail "could not find k8s.io/kubernetes@$version's go.mod in the Go module cache"

# The staging modules are the ones its go.mod requires at v0.0.0 (and replaces with ./staging/src/...).
staging=$(awk '$1 ~ /^k8s\.io\// && $2 == "v0.0.0" { print $1 }' "$kube_gomod" | sort -u)
[ -n "$staging" ] || fail "found no k8s.io staging modules in k8s.io/kubernetes@$version's go.mod"
{
  echo
  echo "require k8s.io/kubernetes $version"
  echo
  echo "replace ("
  for module in $staging; do echo "	$module => $module $staging_version"; done
  echo ")"
  echo
  echo "tool ("
  for bin in $bins; do echo "	k8s.io/kubernetes/cmd/$bin"; done
  echo ")"
} >>"$work/module/go.mod"
say "$(echo "$staging" | wc -l) staging modules replaced; resolving the dependencies (go mod tidy)"
run_go "resolving the modules" "$work/module" mod tidy
say "modules resolved after $(elapsed); compiling (a cold build takes minutes)"

# The same version stamps as Kubernetes' own builds (hack/lib/version.sh), so that
# `kubectl version` and /version tell the release rather than v0.0.0-master.
stamp=""
for pkg in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
  stamp+=" -X $pkg.gitVersion=$version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
done
mkdir -p "$work/bin"
packages=""
for bin in $missing; do packages+=" k8s.io/kubernetes/cmd/$bin"; done
# shellcheck disable=SC2086 # one word per package
run_go "compiling" "$work/module" build -trimpath -ldflags "-s -w$stamp" -o "$work/bin/" $packages
for bin in $missing; do
  [ "$bin" = kubectl ] && continue
  "$work/bin/$bin" --version >/dev/null 2>&1 || fail "the built $bin does not run"
done

mkdir -p "$out"
# A rename is atomic: the skip test above never sees a half-written binary.
for bin in $missing; do mv -f "$work/bin/$bin" "$out/$bin"; done
say "built$missing in $(elapsed)"
echo "$out"
