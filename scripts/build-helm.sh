#!/usr/bin/env bash
# Builds the helm binary with Go (`go install helm.sh/helm/v3/cmd/helm@<version>`; the machines
# reach the Go module proxy but no release downloads) into .cache/helm/<version>/, and prints its
# path on stdout. Skips the build when the binary is already there. On failure, says so in one
# line on stderr and keeps go's output in .cache/helm/<version>/build.log.
#
# HELM_VERSION overrides the pinned version; it must be on the Go proxy
# (`go list -m -versions helm.sh/helm/v3`) and build with this Go.
# charts/hearth-operator/chart.test.ts reads the helm_version line below to find the binary.
set -euo pipefail
helm_version=v3.22.0
version=${HELM_VERSION:-$helm_version}
me=scripts/build-helm.sh
root=$(cd "$(dirname "$0")/.." && pwd)
out=$root/.cache/helm/$version

# shellcheck source=lib/go-tool.sh
. "$root/scripts/lib/go-tool.sh"

if [ -x "$out/helm" ]; then
  echo "$out/helm"
  exit 0
fi

[[ $version =~ ^v3\.[0-9]+\.[0-9]+$ ]] || fail "HELM_VERSION=$version is not a Helm 3 release version like v3.22.0"

find_go helm

work=$(mktemp -d "${TMPDIR:-/tmp}/hearth-helm-build-XXXXXX")
trap 'rm -rf "$work"' EXIT
started=$(date +%s)

say "building helm $version with $("$go" env GOVERSION) into ${out#"$root"/} (a cold build takes a few minutes)"
# The stamps Helm's own Makefile sets: the release for `helm version`, and the Kubernetes version
# `helm template` and `helm lint` assume without a cluster (1.<client-go minor>, else it is 1.20).
run_go "downloading helm.sh/helm/v3@$version" "$work" mod download -json "helm.sh/helm/v3@$version"
helm_gomod=$(sed -nE 's/^[[:space:]]*"GoMod": "(.*)",?$/\1/p' <<<"$go_output")
[ -f "$helm_gomod" ] || fail "could not find helm.sh/helm/v3@$version's go.mod in the Go module cache"
kube_minor=$(sed -nE 's/^[[:space:]]*k8s\.io\/client-go v0\.([0-9]+)\..*/\1/p' "$helm_gomod" | head -n 1)
[ -n "$kube_minor" ] || fail "helm.sh/helm/v3@$version's go.mod requires no k8s.io/client-go v0.x"
ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=$version -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
for pkg in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
  ldflags+=" -X $pkg.k8sVersionMajor=1 -X $pkg.k8sVersionMinor=$kube_minor"
done
GOBIN="$work/bin" run_go "go install helm.sh/helm/v3/cmd/helm@$version" "$work" install -trimpath -ldflags "$ldflags" "helm.sh/helm/v3/cmd/helm@$version"
"$work/bin/helm" version --short >/dev/null 2>&1 || fail "the built helm does not run"

mkdir -p "$out"
rm -f "$out/build.log"
# A rename is atomic: the skip test above never sees a half-written binary.
mv -f "$work/bin/helm" "$out/helm"
say "built in $(($(date +%s) - started)) s: $(du -h "$out/helm" | cut -f1) helm ($("$out/helm" version --short))"
echo "$out/helm"
