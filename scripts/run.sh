#!/usr/bin/env bash
# Quick start: installs dependencies (once), builds, and runs brickyard.
#
# With no arguments it runs the main job on the embedded default data set (Fashion-MNIST):
#   1. the default co-search (configs/default.json: network, per-layer bits and accelerator
#      searched jointly, the design retrained; about 15 minutes on 2 cores) into runs/default
#      (an interrupted run is resumed; a finished one is reused);
#   2. the found design simulated cycle by cycle (bit-exact outputs, estimator error);
#   3. its Verilog export, linted and verified layer by layer on the Verilated RTL;
#   4. the co-search report's summary.
# BRICKYARD_RUN_DIR=DIR picks another run directory.
#
# With arguments it runs `brickyard <args>`, e.g. scripts/run.sh map --net FILE --accel bitfusion
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >/dev/null
bash scripts/build.sh >/dev/null
BY=./build/cli/brickyard
if (($# > 0)); then exec "$BY" "$@"; fi
export SC_COPYRIGHT_MESSAGE=DISABLE

OUT=${BRICKYARD_RUN_DIR:-runs/default}
echo "== 1/3 co-search (configs/default.json) -> $OUT"
if [[ -f "$OUT/design.json" && -f "$OUT/report.md" ]]; then
  echo "   $OUT already holds a finished co-search; reusing it (delete it to search again)"
elif [[ -f "$OUT/checkpoint.pt" ]]; then
  "$BY" cosearch --resume "$OUT"
else
  mkdir -p "$(dirname "$OUT")"
  "$BY" cosearch --config configs/default.json --out "$OUT"
fi

echo
echo "== 2/3 simulate the found design cycle by cycle"
"$BY" simulate --design "$OUT/design.json" -q

echo
echo "== 3/3 export the design as Verilog and verify it in RTL"
"$BY" export-rtl --design "$OUT/design.json" --out "$OUT/rtl" --verify --force -q

echo
echo "== summary ($OUT/report.md)"
cat "$OUT/report.md"
