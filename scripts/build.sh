#!/usr/bin/env bash
# Configures and builds the release tree in build/ (Ninja, ccache when present).
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=${JOBS:-$(nproc)}
if [[ ! -f build/build.ninja ]]; then cmake --preset release >/dev/null; fi
cmake --build build -j "$JOBS"
