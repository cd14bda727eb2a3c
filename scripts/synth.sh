#!/usr/bin/env bash
# Yosys generic synthesis (synth -flatten, internal gate library) of the RTL:
#   fusion_unit                                      rtl/bitbrick.sv rtl/fusion_unit.sv
#   pe_array, ROWS=3 COLS=3 DATAFLOW=0 (WS)          + rtl/pe_array*.sv
# Prints a table of cell counts and writes, into the output directory, one yosys log per
# design (<design>.log), its `stat -json` (<design>.stat.json) and cells.json:
#   {"<design>": {"cells": N, "by_type": {"$_AND_": n, ...}}, ...}
# cells.json is updated in place: designs synthesized by this run replace their entries,
# skipped designs are removed, other entries are kept (so --only runs can share a DIR).
#
# Usage: scripts/synth.sh [--out DIR] [--only fusion_unit|pe_array] [--rtl DIR]
#   --out DIR   output directory (default: build/synth under the project root)
#   --only D    synthesize one design only
#   --rtl DIR   directory of the .sv sources (default: rtl/ under the project root)
# Exit status: 0 on success, 1 if yosys fails, 2 on usage errors, 77 when yosys is not
# installed or (with --only pe_array) no rtl/pe_array*.sv defines module pe_array yet.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT="$ROOT/build/synth"
RTL="$ROOT/rtl"
ONLY=""
PE_PARAMS=(ROWS 3 COLS 3 DATAFLOW 0)

usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --out) [[ $# -ge 2 ]] || { echo "synth.sh: --out needs a directory" >&2; exit 2; }
           OUT="$2"; shift 2 ;;
    --out=*) OUT="${1#--out=}"; shift ;;
    --only) [[ $# -ge 2 ]] || { echo "synth.sh: --only needs a design" >&2; exit 2; }
            ONLY="$2"; shift 2 ;;
    --only=*) ONLY="${1#--only=}"; shift ;;
    --rtl) [[ $# -ge 2 ]] || { echo "synth.sh: --rtl needs a directory" >&2; exit 2; }
           RTL="$2"; shift 2 ;;
    --rtl=*) RTL="${1#--rtl=}"; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "synth.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done

case "$ONLY" in
  ""|fusion_unit|pe_array) ;;
  *) echo "synth.sh: --only must be fusion_unit or pe_array, not '$ONLY'" >&2; exit 2 ;;
esac

if ! command -v yosys >/dev/null 2>&1; then
  echo "synth.sh: yosys not found in PATH; skipping synthesis" >&2
  exit 77
fi
if ! command -v python3 >/dev/null 2>&1; then
  echo "synth.sh: python3 is needed to summarize the yosys statistics" >&2
  exit 2
fi

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

SYNTHESIZED=()  # designs with a fresh <design>.stat.json
SKIPPED=()

# run_yosys <design> <yosys script>
run_yosys() {
  local design=$1 script=$2
  local log="$OUT/$design.log" stat="$OUT/$design.stat.json"
  rm -f "$stat"
  echo "== yosys: $design (log: $log)"
  if ! yosys -q -l "$log" -p "$script" >/dev/null 2>&1 || [[ ! -s "$stat" ]]; then
    echo "synth.sh: yosys failed on $design; last lines of $log:" >&2
    tail -n 20 "$log" >&2 || true
    exit 1
  fi
  SYNTHESIZED+=("$design")
}

synth_script() {  # synth_script <top>: shared tail of every script
  echo "synth -flatten -top $1; check -assert; tee -q -o $OUT/$1.stat.json stat -json; stat"
}

if [[ -z "$ONLY" || "$ONLY" == fusion_unit ]]; then
  run_yosys fusion_unit \
    "read_verilog -defer -sv $RTL/bitbrick.sv $RTL/fusion_unit.sv; $(synth_script fusion_unit)"
fi

if [[ -z "$ONLY" || "$ONLY" == pe_array ]]; then
  # pe_array.sv plus any per-dataflow variants it may instantiate (pe_array_ws.sv, ...).
  shopt -s nullglob
  pe_files=("$RTL"/pe_array*.sv)
  shopt -u nullglob
  if [[ ${#pe_files[@]} -gt 0 ]] && grep -Eqs '^[[:space:]]*module[[:space:]]+pe_array\b' \
      "${pe_files[@]}"; then
    chparams=""
    for ((i = 0; i < ${#PE_PARAMS[@]}; i += 2)); do
      chparams+=" -chparam ${PE_PARAMS[i]} ${PE_PARAMS[i + 1]}"
    done
    # -defer + hierarchy -chparam: parameters are set before the first elaboration, so
    # pe_array's parameters need no usable defaults.
    run_yosys pe_array \
      "read_verilog -defer -sv $RTL/bitbrick.sv $RTL/fusion_unit.sv ${pe_files[*]}; \
hierarchy -top pe_array$chparams; $(synth_script pe_array)"
  else
    echo "== pe_array: skipped, no $RTL/pe_array*.sv defines module pe_array (placeholder)"
    SKIPPED+=(pe_array)
    rm -f "$OUT/pe_array.stat.json"
    if [[ "$ONLY" == pe_array ]]; then
      exit 77
    fi
  fi
fi

# Merge into cells.json (under a lock: parallel --only runs may share the directory) and
# print the table.
(
  flock 9
  python3 - "$OUT" "${PE_PARAMS[*]}" "${SYNTHESIZED[*]:-}" "${SKIPPED[*]:-}" <<'EOF'
import json, os, sys
out, pe_params, done, skipped = sys.argv[1], sys.argv[2], sys.argv[3].split(), sys.argv[4].split()
path = os.path.join(out, "cells.json")
cells = {}
if os.path.exists(path):
    try:
        with open(path) as f:
            cells = json.load(f)
    except (OSError, ValueError):
        cells = {}
for d in skipped:
    cells.pop(d, None)
for d in done:
    with open(os.path.join(out, d + ".stat.json")) as f:
        st = json.load(f)["design"]
    cells[d] = {"cells": st["num_cells"], "by_type": dict(sorted(st["num_cells_by_type"].items()))}
tmp = path + ".tmp"
with open(tmp, "w") as f:
    json.dump(cells, f, indent=2, sort_keys=True)
    f.write("\n")
os.replace(tmp, path)

p = pe_params.split()
labels = {"pe_array": "pe_array " + " ".join(f"{k}={v}" for k, v in zip(p[::2], p[1::2]))}
print()
print(f"{'design':<34} {'cells':>7}  biggest cell types")
for d in done:
    top = sorted(cells[d]["by_type"].items(), key=lambda kv: (-kv[1], kv[0]))[:5]
    types = ", ".join(f"{t} {n}" for t, n in top)
    print(f"{labels.get(d, d):<34} {cells[d]['cells']:>7}  {types}")
for d in skipped:
    print(f"{labels.get(d, d):<34} {'-':>7}  skipped (module not defined yet)")
print(f"\ncells.json: {path}")
EOF
) 9>"$OUT/.cells.lock"
