#!/usr/bin/env bash
# Builds KWOK (Kubernetes WithOut Kubelet) with Go (`go install sigs.k8s.io/kwok/cmd/kwok@<version>`;
# the machines reach the Go module proxy but no release downloads) into .cache/kwok/<version>/ and
# prints the binary's path on stdout; skips the build when it is there. KWOK plays the kubelets of
# the simulated cluster's nodes (harness/src/kube-cluster.ts): it marks nodes Ready and moves the
# scheduled pods through their lifecycle stages. The kwok binary has no stages of its own (kwokctl
# passes it some), so the stages kwokctl uses by default (the module's kustomize/stage/node/fast,
# node/heartbeat-with-lease and pod/fast) are copied beside it, into stages/, at the same version,
# with the Stage CRD (stages/crd/): the harness serves the stages as objects, so tests can add some.
#
# KWOK_VERSION overrides the pinned version; it must be on the Go proxy
# (`go list -m -versions sigs.k8s.io/kwok`) and build with this Go.
# harness/src/kube-cluster.ts reads the kwok_version line below to find the binary.
set -euo pipefail
kwok_version=v0.8.0
version=${KWOK_VERSION:-$kwok_version}
me=scripts/build-kwok.sh
root=$(cd "$(dirname "$0")/.." && pwd)
out=$root/.cache/kwok/$version
# shellcheck source=lib/go-tool.sh
. "$root/scripts/lib/go-tool.sh"

stages="node/fast/node-initialize node/heartbeat-with-lease/node-heartbeat-with-lease pod/fast/pod-ready pod/fast/pod-complete pod/fast/pod-delete"
if [ -x "$out/kwok" ] && [ -f "$out/stages/crd/kwok.x-k8s.io_stages.yaml" ]; then
  echo "$out/kwok"
  exit 0
fi
[[ $version =~ ^v0\.[0-9]+\.[0-9]+$ ]] || fail "KWOK_VERSION=$version is not a KWOK release version like v0.8.0"
find_go kwok

work=$(mktemp -d "${TMPDIR:-/tmp}/hearth-kwok-build-XXXXXX")
trap 'rm -rf "$work"' EXIT
started=$(date +%s)
say "building kwok $version with $("$go" env GOVERSION) into ${out#"$root"/}"
run_go "downloading sigs.k8s.io/kwok@$version" "$work" mod download -json "sigs.k8s.io/kwok@$version"
module_dir=$(sed -nE 's/^[[:space:]]*"Dir": "(.*)",?$/\1/p' <<<"$go_output")
[ -d "$module_dir/kustomize/stage" ] || fail "could not find sigs.k8s.io/kwok@$version's kustomize/stage in the Go module cache"
mkdir -p "$work/stages/crd"
cp "$module_dir/kustomize/crd/bases/kwok.x-k8s.io_stages.yaml" "$work/stages/crd/" || fail "sigs.k8s.io/kwok@$version has no Stage CRD"
for stage in $stages; do
  cp "$module_dir/kustomize/stage/$stage.yaml" "$work/stages/" || fail "sigs.k8s.io/kwok@$version has no kustomize/stage/$stage.yaml"
done
GOBIN="$work/bin" run_go "go install sigs.k8s.io/kwok/cmd/kwok@$version" "$work" install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$version"
"$work/bin/kwok" --help >/dev/null 2>&1 || fail "the built kwok does not run"
mkdir -p "$out"
rm -f "$out/build.log"
# A rename is atomic: the skip test above never sees a half-written binary.
rm -rf "$out/stages"
cp -r "$work/stages" "$out/stages"
mv -f "$work/bin/kwok" "$out/kwok"
say "built in $(($(date +%s) - started)) s"
echo "$out/kwok"
