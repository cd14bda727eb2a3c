#!/usr/bin/env bash
# Installs every system dependency brickyard needs (whole project, not only the
# parts built today). Idempotent: packages already present are skipped, so a
# second run does no network work.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config ccache clang-format
  libsystemc-dev verilator yosys
  libtorch-dev
  libboost-program-options-dev catch2 nlohmann-json3-dev libspdlog-dev libfmt-dev
  libbenchmark-dev
  glpk-utils libglpk-dev
  dataset-fashion-mnist
  openmpi-bin libopenmpi-dev
  gnuplot-nox
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "setup: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "setup: done"
