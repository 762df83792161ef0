#!/usr/bin/env bash
# Everything the Docker image test needs on this machine, installed and started when missing, as
# the test helpers do for PostgreSQL and rqlited (test/docker/docker-image.test.ts runs it):
#   1. Debian's docker.io and debootstrap (apt-get), when `dockerd` or `debootstrap` is missing;
#   2. a Docker engine: the running one, or `dockerd --bridge=none --iptables=false --ip-masq=false`
#      started here (no bridge: containers and builds use --network host, on loopback);
#   3. the local base images (test/docker/bases.sh), since public images cannot be pulled here.
# Usage: test/docker/prepare.sh [--go]   (--go: also the Go builder base, to build rqlited in the image)
# stdout: KEY=VALUE lines: DOCKERD_PID (empty if a daemon was already running), NODE_IMAGE, GO_IMAGE.
# Fails loudly (exit 1, reason on stderr) when Docker cannot run.
set -euo pipefail
ROOT="$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)"
log() { printf 'docker-prepare: %s\n' "$*" >&2; }
die() { printf 'docker-prepare: ERROR: %s\n' "$*" >&2; exit 1; }
DOCKERD_LOG="${HOMECORE_DOCKERD_LOG:-/var/tmp/homecore-dockerd.log}"

missing=()
command -v dockerd >/dev/null || missing+=(docker.io)
command -v docker >/dev/null || missing+=(docker.io)
command -v debootstrap >/dev/null || missing+=(debootstrap)
if [ "${1:-}" = --go ]; then command -v unzip >/dev/null || missing+=(unzip); fi
if [ "${#missing[@]}" -gt 0 ]; then
  [ "$(id -u)" = 0 ] || die "missing ${missing[*]} and not root: install them (apt-get install ${missing[*]})"
  log "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=300 update -qq >&2 || die "apt-get update failed"
  # --no-install-recommends: no bridge-utils, git, … ; tini (docker-init) comes as a dependency.
  apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${missing[@]}" >&2 ||
    die "apt-get install ${missing[*]} failed"
fi

dockerd_pid=""
if ! docker info >/dev/null 2>&1; then
  [ "$(id -u)" = 0 ] || die "no Docker engine answers and only root can start dockerd here"
  [ -S /var/run/docker.sock ] && ! docker info >/dev/null 2>&1 && rm -f /var/run/docker.sock
  log "starting dockerd (log: $DOCKERD_LOG)"
  # setsid: its own session, so it outlives this script; the test stops it by this pid at the end.
  setsid dockerd --bridge=none --iptables=false --ip-masq=false >"$DOCKERD_LOG" 2>&1 </dev/null &
  dockerd_pid=$!
  for _ in $(seq 1 120); do
    docker info >/dev/null 2>&1 && break
    kill -0 "$dockerd_pid" 2>/dev/null || { tail -n 20 "$DOCKERD_LOG" >&2; die "dockerd exited at start"; }
    sleep 0.5
  done
  docker info >/dev/null 2>&1 || { tail -n 20 "$DOCKERD_LOG" >&2; kill "$dockerd_pid" 2>/dev/null; die "dockerd did not answer within 60 s"; }
fi

bases="$("$ROOT/test/docker/bases.sh" "$@")" || {
  [ -n "$dockerd_pid" ] && kill "$dockerd_pid" 2>/dev/null
  die "making the local base images failed"
}
printf 'DOCKERD_PID=%s\n%s\n' "$dockerd_pid" "$bases"
