#!/usr/bin/env bash
# Installs the servers the tests run for real, from Debian's packages, when missing
# (CI starts on a fresh machine): Chromium for the browser tests, PostgreSQL and Redis for the
# server backends, nginx as the stand-in Ingress, etcd for the test Kubernetes control plane,
# Prometheus (promtool for the alert rules' unit tests, the server for the e2e suite's scrape),
# Python's venv for schemathesis.
# NATS is built with Go at the release the operator deploys (scripts/build-nats-server.sh), as is
# kube-apiserver (scripts/build-kube-apiserver.sh).
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || need+=(postgresql)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
command -v etcd >/dev/null 2>&1 || need+=(etcd-server)
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
# Python with venv and pip: scripts/schemathesis.sh installs the OpenAPI fuzzer from PyPI into a venv.
command -v python3 >/dev/null 2>&1 || need+=(python3)
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || need+=(python3-venv)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "scripts/test-deps.sh: the tests need: ${need[*]}; install them with apt-get (needs root)" >&2
  exit 1
fi
echo "scripts/test-deps.sh: installing ${need[*]} from Debian's packages" >&2
apt-get update -q >/dev/null
# policy-rc.d keeps the packages from starting their own system services: the tests start their own servers.
printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
trap 'rm -f /usr/sbin/policy-rc.d' EXIT
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null
