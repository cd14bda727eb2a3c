#!/usr/bin/env bash
# The test command of the README and of CI: setup, configure, build, ctest; then the
# model and CLI tests again under AddressSanitizer + UBSan; then the benchmarks
# (informational: it prints PASS/MISS against the speed goals, never fails the run).
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=${JOBS:-$(nproc)}
bash scripts/setup.sh
export SC_COPYRIGHT_MESSAGE=DISABLE

echo "== release build and tests"
cmake --preset release
cmake --build --preset release -j "$JOBS"
ctest --preset release -j "$JOBS"

if [[ "${BRICKYARD_SKIP_ASAN:-0}" != 1 ]]; then
  echo "== AddressSanitizer + UBSan build and tests"
  cmake --preset asan
  cmake --build --preset asan -j "$JOBS"
  ctest --preset asan -j "$JOBS"
fi

if [[ "${BRICKYARD_SKIP_BENCH:-0}" != 1 ]]; then
  echo "== benchmarks (informational)"
  ./build/bench/bench_mapper 11 || echo "bench_mapper failed to run (not a test failure)"
  ./build/bench/bench_engine || echo "bench_engine failed to run (not a test failure)"
  ./build/bench/bench_simulate || echo "bench_simulate failed to run (not a test failure)"
  if [[ -x ./build/bench/bench_hwcost ]]; then
    ./build/bench/bench_hwcost || echo "bench_hwcost failed to run (not a test failure)"
  fi
  if [[ -x ./build/bench/bench_search_memory ]]; then # ~20 s; --space fbnet22 (default) takes minutes
    ./build/bench/bench_search_memory --space small --batch 128 ||
      echo "bench_search_memory failed to run (not a test failure)"
  fi
fi
