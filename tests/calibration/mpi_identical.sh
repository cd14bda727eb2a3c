#!/bin/sh
# Usage: mpi_identical.sh MPIRUN BRICKYARD
# A 2-rank calibration must write the same CSV and JSON, byte for byte, as one process.
set -eu
mpirun=$1
by=$2
dir=$(mktemp -d "${TMPDIR:-/tmp}/brickyard_mpi_XXXXXX")
trap 'rm -rf "$dir"' EXIT
mkdir "$dir/one" "$dir/two"
args="calibrate --points 24 --mappings 4 --seed 5 --plot - -q"
(cd "$dir/one" && "$by" $args --out cal.json > /dev/null)
# Root in containers needs --allow-run-as-root; 2 ranks on fewer cores need --oversubscribe.
(cd "$dir/two" && OMPI_MCA_rmaps_base_oversubscribe=1 "$mpirun" --allow-run-as-root \
  --oversubscribe -np 2 "$by" $args --out cal.json > out.txt)
grep -q "2 MPI ranks" "$dir/two/out.txt"
cmp "$dir/one/cal.csv" "$dir/two/cal.csv"
cmp "$dir/one/cal.json" "$dir/two/cal.json"
test ! -e "$dir/two/cal.csv.rank1"
echo "2 ranks: identical CSV and JSON"
