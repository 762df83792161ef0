#!/usr/bin/env bash
# rqlited for the image (Dockerfile, stage `rqlited`): the pinned rqlite release (bin/install-rqlited),
# either a tested build staged in docker/rqlited-prebuilt/ (kept when it matches its manifest and the
# pin) or built here from the Go module proxy. Never the npm fallback, never v9 or later.
# Usage: docker/build-rqlited.sh <out dir>   (writes <out>/rqlited and <out>/manifest.json)
# Env: RQLITED_SHA256  when set, the binary must have exactly this sha256.
set -euo pipefail
out="${1:?usage: docker/build-rqlited.sh <out dir>}"
cd "$(dirname "$(readlink -f "$0")")/.."
die() { printf 'build-rqlited: ERROR: %s\n' "$*" >&2; exit 1; }
field() { sed -n "s/^[[:space:]]*\"$2\":[[:space:]]*\"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}[[:space:]]*\$/\1/p" "$1" | head -n1; }

pin="$(sed -n 's/^RQLITE_VERSION="\(.*\)"$/\1/p' bin/install-rqlited)"
[ -n "$pin" ] || die "cannot read RQLITE_VERSION from bin/install-rqlited"
# bin/install-rqlited finds the checkout root by its package.json; this stage needs nothing else of it.
[ -f package.json ] || echo '{}' >package.json
staged=docker/rqlited-prebuilt
if [ -f "$staged/rqlited" ] && [ -f "$staged/manifest.json" ]; then
  mkdir -p .tools/rqlited
  cp "$staged/rqlited" "$staged/manifest.json" .tools/rqlited/
  chmod 0755 .tools/rqlited/rqlited
  echo "build-rqlited: checking the build staged in $staged" >&2
fi
# No 15-minute limit on `go build` here: a loaded or small builder can take longer, and nothing waits.
HOMECORE_CACHE_DIR=/tmp/homecore-cache HOMECORE_GO_BUILD_TIMEOUT=7200 bin/install-rqlited >&2 ||
  die "no rqlited v$pin: building it needs Go, a C compiler and the Go module proxy (GO_IMAGE, default golang:1.24-bookworm), or stage a tested build in $staged/ (see its README.md)"

m=.tools/rqlited/manifest.json
bin=.tools/rqlited/rqlited
sha="$(sha256sum "$bin" | cut -d' ' -f1)"
[ "$(field "$m" version)" = "$pin" ] || die "rqlited $(field "$m" version) is not the pinned v$pin"
[ "$(field "$m" source)" = go-module-proxy ] || die "rqlited source $(field "$m" source): only a go-module-proxy build of v$pin goes into the image"
[ "$(field "$m" multiCoreSafe)" = true ] || die "rqlited is not marked multiCoreSafe"
[ "$(field "$m" sha256)" = "$sha" ] || die "rqlited sha256 $sha differs from its manifest"
version_out="$("$bin" -version 2>&1 | head -n1)"
case "$version_out" in "rqlited v$pin "*|"rqlited v$pin") ;; *) die "rqlited -version printed '$version_out', expected v$pin" ;; esac
if [ -n "${RQLITED_SHA256:-}" ] && [ "$sha" != "$RQLITED_SHA256" ]; then
  die "rqlited sha256 is $sha, expected RQLITED_SHA256=$RQLITED_SHA256 (not the binary that was tested)"
fi
mkdir -p "$out"
cp "$bin" "$m" "$out/"
echo "build-rqlited: $version_out, sha256 $sha" >&2
