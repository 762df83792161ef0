# Sourced by the bin/ launchers: puts the project's pinned Node 22 (npm package `node`) first on PATH.
# The machine's own node may be older; the project runs and is tested on Node 22 only.
HOMECORE_ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
export PATH="$HOMECORE_ROOT/node_modules/.bin:$PATH"
