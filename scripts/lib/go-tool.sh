# Sourced by the scripts that build a tool with Go (scripts/build-*.sh): the machines reach the Go
# module proxy but no release downloads. Before sourcing, a script sets `me` (its name for
# messages), `root` (the repository) and `out` (the tool's cache folder, .cache/<tool>/<version>).
# Gives fail, say, find_go (sets `go`), run_go and go_install_tool.

fail() {
  echo "$me: $*" >&2
  exit 1
}
say() { echo "$me: $*" >&2; }

find_go() {
  go=$(command -v go || true)
  [ -n "$go" ] || go=/usr/local/go/bin/go
  [ -x "$go" ] || fail "Go is needed to build ${1:-this tool} (not on PATH nor at /usr/local/go/bin/go)"
}

# run_go WHAT DIR ARGS...: runs a go command quietly in DIR (CGO off, no VCS stamping); on failure
# keeps its output in $out/build.log and says what failed, with go's last line, in one line.
run_go() {
  local what=$1 dir=$2
  shift 2
  local log
  log=$(mktemp "${TMPDIR:-/tmp}/hearth-go-XXXXXX.log")
  if ! (cd "$dir" && CGO_ENABLED=0 GOFLAGS=-buildvcs=false "$go" "$@") >"$log" 2>&1; then
    mkdir -p "$out"
    cp "$log" "$out/build.log"
    rm -f "$log"
    # `go mod download -json` reports in an "Error" field; the other commands end with the error.
    local reason
    reason=$(sed -nE 's/^[[:space:]]*"Error": "(.*)",?$/\1/p' "$out/build.log" | tail -n 1 | sed 's/\\n.*//')
    [ -n "$reason" ] || reason=$(grep -v '^[[:space:]]*$' "$out/build.log" | tail -n 1)
    fail "$what failed: $reason (go's output: ${out#"$root"/}/build.log)"
  fi
  go_output=$(cat "$log")
  rm -f "$log"
}

# go_install_tool PACKAGE@VERSION BUILT NAME [VERSION_ARG]: `go install`s PACKAGE into a temporary
# GOBIN, checks that the binary it makes (BUILT) runs (VERSION_ARG, `--version` by default: some
# tools exit 0 on an unknown flag, so those name their own subcommand), and moves it to $out/NAME in
# one rename, so a script's "already built" test never sees a half-written binary. Says what it built.
go_install_tool() {
  local package=$1 built=$2 name=$3 version_arg=${4:---version} started
  find_go "$name"
  go_tool_work=$(mktemp -d "${TMPDIR:-/tmp}/hearth-$name-build-XXXXXX")
  trap 'rm -rf "$go_tool_work"' EXIT
  started=$(date +%s)
  say "building $name ${package##*@} with $("$go" env GOVERSION) into ${out#"$root"/}"
  GOBIN="$go_tool_work/bin" run_go "go install $package" "$go_tool_work" install -trimpath -ldflags "-s -w" "$package"
  "$go_tool_work/bin/$built" "$version_arg" >/dev/null 2>&1 || fail "the built $name does not run"
  mkdir -p "$out"
  rm -f "$out/build.log"
  mv -f "$go_tool_work/bin/$built" "$out/$name"
  say "built in $(($(date +%s) - started)) s: $("$out/$name" "$version_arg" 2>&1 | head -n 1)"
}
