#!/usr/bin/env bash
# Quick start: installs dependencies (once), builds, and runs brickyard.
# With no arguments it runs the main job on the embedded default: the best mapping and
# the analytic cost of every layer of data/nets/fbnet_like_22.json on BitFusion's default
# accelerator (16x16 fusion units, 384 KB buffers, weight stationary, 500 MHz).
# With arguments it runs `brickyard <args>`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >/dev/null
bash scripts/build.sh >/dev/null
if (($# > 0)); then exec ./build/cli/brickyard "$@"; fi
./build/cli/brickyard map --net data/nets/fbnet_like_22.json --accel data/accels/bitfusion_default.json
echo
./build/cli/brickyard estimate --net data/nets/fbnet_like_22.json --accel data/accels/bitfusion_default.json
