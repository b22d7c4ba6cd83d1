# Hearth: `make run` starts the embedded tier at http://localhost:8080; `make test` runs every test.
SHELL := /usr/bin/env bash
.SHELLFLAGS := -eu -o pipefail -c
NODE = $(shell ./scripts/node.sh)
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)

.PHONY: run test deps test-deps kube-bins web typecheck lint unit e2e e2e-embedded e2e-single e2e-clustered bench clean operator-e2e-cluster

node_modules/.installed: package.json package-lock.json $(wildcard services/*/package.json packages/*/package.json operator/package.json harness/package.json e2e/package.json bench/package.json)
	@./scripts/node.sh >/dev/null
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

deps: node_modules/.installed

web: deps
	$(NODE) services/web/build.ts

# With the runtime settings the image and the operator give the embedded tier's process (Dockerfile,
# operator/src/tiers/hearth-container.ts; docs/architecture.md#configuration).
run: deps web
	@GLIBC_TUNABLES=glibc.malloc.mmap_threshold=4194304 NODE_OPTIONS="--max-semi-space-size=8 $${NODE_OPTIONS:-}" \
	  $(NODE) services/hearth/src/main.ts --target=all

# What the tests need beyond npm: Debian's servers and Chromium (scripts/test-deps.sh), and
# nats-server built from Go at the release the operator deploys, and SeaweedFS as the backup tests' S3 server.
test-deps: nats-bin seaweedfs-bin toxiproxy-bin
	@./scripts/test-deps.sh

# nats-server, built with Go from github.com/nats-io/nats-server/v2 (pinned in the script) into
# .cache/nats/<version>/; a no-op once built (about 15 s the first time).
.PHONY: nats-bin
nats-bin:
	@./scripts/build-nats-server.sh >/dev/null

# SeaweedFS's weed, built with Go (pinned in the script) into .cache/seaweedfs/<version>/: a real S3
# server for the backup tests (harness/src/seaweedfs.ts); a no-op once built (about 4 min the first time).
.PHONY: seaweedfs-bin
seaweedfs-bin:
	@./scripts/build-seaweedfs.sh >/dev/null

# Shopify's toxiproxy, built with Go (pinned in the script) into .cache/toxiproxy/<version>/: the chaos run puts it
# between the services and their backends for network faults (harness/src/toxiproxy.ts); a no-op once built (about 20 s the first time).
.PHONY: toxiproxy-bin chaos
toxiproxy-bin:
	@./scripts/build-toxiproxy.sh >/dev/null

# The chaos run (bench/chaos.ts, e2e/chaos/): each tier of CHAOS_TIERS (single,clustered) under CHAOS_FAULTS_PER_KIND (10)
# faults of every kind in the order CHAOS_SEED (14) draws, counted in Jepsen's terms into bench/results/chaos.json; fails
# unless every count is 0. Then README.md's figures are rendered again. About half an hour; its short form runs in e2e-single.
chaos: deps web test-deps
	$(NODE) bench/chaos.ts
	$(NODE) bench/readme.ts

# kube-apiserver, kubectl, kube-controller-manager and kube-scheduler for the Kubernetes tests
# (harness/src/kube.ts, kube-cluster.ts), built with Go from the k8s.io/kubernetes module into
# .cache/kube/<version>/: minutes the first time, a no-op after. The tests that need them fail
# without them (a skipped test would hide breakage), so `make unit` builds them first.
kube-bins:
	@./scripts/build-kube-apiserver.sh >/dev/null

# KWOK, the simulated cluster's kubelets, built with Go from sigs.k8s.io/kwok (pinned in the script)
# into .cache/kwok/<version>/ with its default stages; a no-op once built (about 3 min the first time).
.PHONY: kwok-bin cluster
kwok-bin:
	@./scripts/build-kwok.sh >/dev/null

# A simulated cluster to explore with kubectl or helm (harness/src/kube-cluster.ts): the test control
# plane plus kube-controller-manager, kube-scheduler and KWOK's three nodes in two zones. Prints the
# kubeconfig's path and waits; Ctrl-C stops it (docs/operator.md, Try it without a cloud).
cluster: deps kube-bins kwok-bin
	@$(NODE) harness/src/kube-cluster-main.ts

# helm, built with Go from helm.sh/helm/v3 (pinned in the script) into .cache/helm/<version>/; a no-op once built.
.PHONY: helm-bin chart-test
helm-bin:
	@./scripts/build-helm.sh >/dev/null

# The hearth-operator chart: helm lint with its schema, its CRD identical to crds/, least-privilege
# RBAC, and helm template | kubectl apply --dry-run=server against the test kube-apiserver; then
# helm install, upgrade and uninstall on the simulated cluster (helm-install.test.ts).
chart-test: deps kube-bins kwok-bin helm-bin
	$(NODE) --test --test-concurrency=1 charts/hearth-operator/chart.test.ts charts/hearth-operator/helm-install.test.ts

# The Hearth CRD (crds/) and its reference (docs/crd-reference.md), generated from operator/src/api/hearth-crd.ts;
# and the chart's copies of deploy/monitoring's rules and dashboard (charts/hearth-operator/files/).
.PHONY: crds
crds: deps
	$(NODE) operator/src/api/generate.ts

typecheck: deps
	$(NODE) node_modules/typescript/bin/tsc -p tsconfig.json
	$(NODE) node_modules/typescript/bin/tsc -p services/web/tsconfig.json

# eslint (typed rules, size bounds) and prettier --check: a file prettier would change fails the build;
# `npm run format` fixes it.
lint: deps
	$(NODE) node_modules/eslint/bin/eslint.js .
	$(NODE) node_modules/prettier/bin/prettier.cjs --check --log-level=warn .

# Unit and integration tests beside the code; the backends' suites start real PostgreSQL, Redis and NATS,
# and the operator's suite on the simulated cluster (operator-kwok.test.ts) installs the chart with helm.
unit: deps test-deps kube-bins kwok-bin helm-bin
	$(NODE) --test --test-concurrency=2 'services/*/src/**/*.test.ts' 'services/web/build/*.test.ts' 'harness/src/**/*.test.ts' 'operator/src/**/*.test.ts' 'packages/*/src/**/*.test.ts' 'bench/**/*.test.ts' 'deploy/**/*.test.ts' 'scripts/**/*.test.ts' 'e2e/chaos/*.test.ts'

# The end-to-end suite runs unchanged against each tier; e2e/ui/, the browser tests of what the web
# client does by itself (rendering, the composer, alerts, tabs, offline), once, on the embedded tier.
e2e: e2e-embedded e2e-single e2e-clustered

e2e-embedded: deps web test-deps
	HEARTH_E2E_TIER=embedded $(NODE) --test --test-concurrency=1 'e2e/*.test.ts' 'e2e/ui/*.test.ts'

# The single tier also gets its own tests: scale-out, faults (chaos, and the short form of `make chaos`) and start-up without backends.
e2e-single: deps web test-deps
	HEARTH_E2E_TIER=single $(NODE) --test --test-concurrency=1 'e2e/*.test.ts' 'e2e/single-tier/*.test.ts'

# The docs' pictures of the main screens, taken by the browser tests from the UI as it is.
.PHONY: screenshots
screenshots: deps web test-deps
	HEARTH_E2E_TIER=embedded HEARTH_SCREENSHOTS=1 $(NODE) --test --test-concurrency=1 e2e/ui/browser-screenshots.test.ts e2e/browser-files.test.ts e2e/browser-sessions.test.ts e2e/browser-avatars.test.ts

# The clustered tier as processes: a PostgreSQL pair, a 3-node NATS cluster, Redis with Sentinels, two of each service.
e2e-clustered: deps web test-deps
	HEARTH_E2E_TIER=clustered $(NODE) --test --test-concurrency=1 'e2e/*.test.ts' 'e2e/clustered-tier/*.test.ts'

test: deps test-deps web typecheck lint unit chart-test operator-e2e-cluster e2e api-contract

# The API contract: schemathesis (PyPI, pinned in scripts/schemathesis.sh, installed into .cache/schemathesis/)
# against an embedded Hearth, signed in, every check on; fails on any 5xx, any response /api/openapi.json
# does not describe and any status it does not list, and prints the counts (about a minute).
.PHONY: api-contract
api-contract: deps web
	$(NODE) e2e/api-contract.ts

# Centrifugo, built with Go (pinned in the script) into .cache/centrifugo/<version>/: the fan-out benchmark's
# realtime peer (harness/src/centrifugo.ts); a no-op once built (about 80 s the first time).
.PHONY: centrifugo-bin
centrifugo-bin:
	@./scripts/build-centrifugo.sh >/dev/null

# Every benchmark, each scenario of the fan-out and posting benchmarks in BENCH_REPEATS (3) rounds; then
# bench/results/summary.json (bench/summary.ts) and README.md's Performance section (bench/readme.ts) from their results.
bench: deps web test-deps centrifugo-bin kube-bins
	$(NODE) bench/run.ts
	$(NODE) bench/summary.ts
	$(NODE) bench/readme.ts

# The benchmarks behind summary.json at a small load, one round, into bench/results/quick/ (not committed):
# a before/after check of a change in about a minute (bench/quick.ts): it waits at most 4 s for a quiet machine.
.PHONY: bench-quick
bench-quick: deps web test-deps centrifugo-bin kube-bins
	BENCH_RESULTS_DIR=$(CURDIR)/bench/results/quick BENCH_REPEATS=1 BENCH_STARTUP_RUNS=3 \
	  BENCH_FANOUT_SCALE=0.05 BENCH_FANOUT_SECONDS=1 BENCH_FANOUT_WARM_SECONDS=0.3 BENCH_FANOUT_SETTLE_MS=300 BENCH_FANOUT_PEERS=summary \
	  BENCH_POST_SECONDS=1 BENCH_POST_WARM_SECONDS=1 BENCH_STARTUP_SETTLE_MS=2200 \
	  BENCH_OPERATOR_HEARTHS=10 BENCH_OPERATOR_AT_SCALE=0 BENCH_OPERATOR_IDLE_MS=1000 BENCH_QUIET_LOAD=3 BENCH_QUIET_SECONDS=4 \
	  $(NODE) bench/quick.ts

# The hearth image from the Dockerfile with buildah, over a base made with debootstrap (no Docker
# engine, no registry to pull from), then started to check /readyz and its non-root user (root only;
# docs/operator.md, Building the image).
.PHONY: image
image:
	./scripts/build-image.sh

clean:
	rm -rf node_modules .tools services/web/dist

# The operator's end-to-end suites in their existing-cluster mode (HEARTH_E2E_KUBECONFIG; docs/operator.md,
# Testing against a cluster), pointed at the simulated cluster (controllers, scheduler, KWOK's nodes), so that
# real controllers make and roll the pods and no test writes their status (~6 min).
operator-e2e-cluster: deps kube-bins kwok-bin
	$(NODE) operator/src/run-e2e-on-cluster.ts
