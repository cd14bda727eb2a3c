#!/usr/bin/env bash
# Regenerates the shipped estimator calibration, data/calibration/default.{json,csv,png},
# and the co-search cost model trained on it, data/cost/default.{pt,json}.
# Run it again whenever the simulator (sysc/) or the estimator (model/) changes what they
# count; the estimator, map, estimate and simulate load default.json.
#   scripts/calibrate_default.sh [extra calibrate options, e.g. -j 4 or --resume]
#   BRICKYARD=path/to/brickyard scripts/calibrate_default.sh      (default ./build/cli/brickyard)
#   BRICKYARD_MPIRUN="mpirun -np 4" scripts/calibrate_default.sh  (spread over MPI ranks)
# 1200 points (480 held out), seed 1: about 1.5 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
${BRICKYARD_MPIRUN:-} "${BRICKYARD:-./build/cli/brickyard}" calibrate --points 1200 --mappings 8 \
  --seed 1 --engine native --out data/calibration/default.json \
  --cost-model data/cost/default.pt "$@"
