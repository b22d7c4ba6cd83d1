# syntax=docker/dockerfile:1
# The one Hearth image (DESIGN §2): its entrypoint is the `hearth` command, whose --target picks the
# role the operator gives each pod (all, gateway, realtime, messaging), and the operator runs from
# it too, as charts/hearth-operator starts it (`node operator/src/main.ts` from /app). Node runs
# the TypeScript sources directly, so they sit under /app as in the repository.
#
#   docker build -t ghcr.io/hearth/hearth:0.1.0 .
#
# operator/src/dockerfile.test.ts checks this file against the chart, the operator's pods,
# scripts/node.sh and what the two entry points import.

# The Node.js release scripts/node.sh pins (ADR 0001).
ARG NODE_VERSION=24.21.0

# The lock file and every workspace's package.json: npm ci checks the one against the others.
FROM node:${NODE_VERSION}-bookworm-slim AS manifests
WORKDIR /app
COPY package.json package-lock.json ./
COPY harness/package.json harness/
COPY services/core/package.json services/core/
COPY services/gateway/package.json services/gateway/
COPY services/realtime/package.json services/realtime/
COPY services/messaging/package.json services/messaging/
COPY services/web/package.json services/web/
COPY services/hearth/package.json services/hearth/
COPY e2e/package.json e2e/
COPY bench/package.json bench/
COPY packages/kube-runtime/package.json packages/kube-runtime/
COPY packages/testing/package.json packages/testing/
COPY operator/package.json operator/

# Production dependencies of the workspaces the two entry points load, and nothing else: no test,
# benchmark or build tooling.
FROM manifests AS deps
# No install scripts run, as in development (package.json allowScripts). The harness and the
# test kit are development dependencies whose links npm makes anyway; they are not in the image.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
      --workspace=@hearth/core --workspace=@hearth/gateway --workspace=@hearth/realtime \
      --workspace=@hearth/messaging --workspace=@hearth/hearth --workspace=@hearth/kube-runtime \
      --workspace=@hearth/operator \
 && rm -f node_modules/@hearth/harness node_modules/@hearth/testing

# The browser UI, bundled into the static files the gateway serves (`make web`).
FROM manifests AS web
RUN npm ci --ignore-scripts --no-audit --no-fund --workspace=@hearth/web
# The UI takes the domain types from @hearth/core.
COPY services/core/src services/core/src
COPY services/web services/web
RUN node services/web/build.ts

FROM node:${NODE_VERSION}-bookworm-slim
# npm and corepack build things; the running image has no use for them.
RUN rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack
WORKDIR /app
# The root file system is read-only in every pod; /tmp is the writable scratch volume there. The
# compile cache there holds every module's stripped and compiled code, main.ts's too, so a restart
# neither loads Node's TypeScript parser nor compiles them again (services/hearth/src/main.ts).
# Allocations of 4 MiB and more are mapped and unmapped on their own: password hashing (scrypt) takes
# 16 MiB on each libuv thread, which glibc's per-thread arenas otherwise keep for good, about 60 MiB
# of an idle server's memory; a hash costs a little more time (bench/README.md, Start-up and memory).
ENV NODE_ENV=production HOME=/tmp NODE_COMPILE_CACHE=/tmp/node-compile-cache GLIBC_TUNABLES=glibc.malloc.mmap_threshold=4194304
COPY --from=deps /app/node_modules node_modules
COPY package.json ./
COPY services/core/package.json services/core/
COPY services/core/src services/core/src
COPY services/gateway/package.json services/gateway/
COPY services/gateway/src services/gateway/src
COPY services/realtime/package.json services/realtime/
COPY services/realtime/src services/realtime/src
COPY services/messaging/package.json services/messaging/
COPY services/messaging/src services/messaging/src
COPY services/hearth/package.json services/hearth/
COPY services/hearth/src services/hearth/src
COPY --from=web /app/services/web/dist services/web/dist
COPY packages/kube-runtime/package.json packages/kube-runtime/
COPY packages/kube-runtime/src packages/kube-runtime/src
COPY operator/package.json operator/
COPY operator/src operator/src
# The rules and dashboard a Hearth's spec.observability installs: the operator reads them at run time.
COPY deploy/monitoring/hearth-rules.yaml deploy/monitoring/hearth-dashboard.json deploy/monitoring/
# The user the chart and the operator's pods run as (runAsUser); numeric, so runAsNonRoot can verify it.
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["node", "/app/services/hearth/src/main.ts"]
CMD ["--target=all"]
