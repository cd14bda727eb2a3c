#!/usr/bin/env bash
# brickyard cosearch end to end on a tiny configuration (seconds of training): the design
# file has every part simulate/export-rtl need, the report exists, the simulated design is
# bit-exact and within 5% of the estimate per layer; `retrain` accepts the design; bad
# configurations exit 2 with one line naming the field.
set -euo pipefail
BY=$1
CFG=$2
OUT=$(mktemp -d /tmp/by_cosearch_XXXXXX)
trap 'rm -rf "$OUT"' EXIT
export SC_COPYRIGHT_MESSAGE=DISABLE
"$BY" cosearch --config "$CFG" --out "$OUT/run" -q > "$OUT/stdout"
grep -q "EDAP vs uniform 8-bit" "$OUT/stdout"
python3 - "$OUT/run" <<'PY'
import json, sys, os
d = sys.argv[1]
design = json.load(open(os.path.join(d, "design.json")))
for k in ("network", "accelerator", "mappings", "choice", "predicted", "accuracy", "simulated"):
    assert k in design, "design.json lacks " + k
assert len(design["mappings"]) == len(design["network"]["layers"])
assert 0 <= design["accuracy"]["retrained_test"] <= 1
sim = design["simulated"]
assert sim["outputs_bit_exact"] is True
for r in sim["layers"]:
    assert abs(r["cycles_error"]) <= 0.05 or abs(r["est_cycles"] - r["sim_cycles"]) <= 100, r
report = json.load(open(os.path.join(d, "report.json")))
assert report["edap_vs_baseline"] > 0
assert report["search"]["misguided_checks"] >= 0
b = report["baselines"]
assert b["budget_exact_evaluations"] >= 1
for k in ("cosearch", "random_search", "hardware_only_uniform_8bit"):
    assert b[k]["predicted"]["edap"] > 0, k
assert os.path.getsize(os.path.join(d, "report.md")) > 0
print("design and report OK")
PY
# The design is a design: simulate and export-rtl take it.
"$BY" simulate --design "$OUT/run/design.json" -q > /dev/null
"$BY" export-rtl --design "$OUT/run/design.json" --out "$OUT/rtl" > /dev/null
"$BY" retrain --design "$OUT/run/design.json" --epochs 0 --transfer-epochs 0 -q > /dev/null
# Bad configurations: status 2, one stderr line naming the field.
bad() {
  local field=$1 json=$2
  echo "$json" > "$OUT/bad.json"
  set +e
  "$BY" cosearch --config "$OUT/bad.json" --out "$OUT/bad_run" 2> "$OUT/err" > /dev/null
  local st=$?
  set -e
  [[ $st -eq 2 ]] || { echo "bad config ($field): status $st"; cat "$OUT/err"; exit 1; }
  [[ $(wc -l < "$OUT/err") -eq 1 ]] || { echo "bad config ($field): not one line"; exit 1; }
  grep -q "$field" "$OUT/err" || { echo "bad config ($field):"; cat "$OUT/err"; exit 1; }
  [[ ! -e "$OUT/bad_run" ]] || { echo "bad config ($field) left an output directory"; exit 1; }
}
bad "search.epochs" '{"search": {"epochs": 0}}'
bad "hardware.lambda" '{"hardware": {"lambda": -1}}'
bad "hardware.preset" '{"hardware": {"preset": "fastest"}}'
bad "data.format" '{"data": {"format": "imagenet"}}'
bad "retrain.epochs" '{"retrain": {"epochs": "three"}}'
bad "quant.mode" '{"quant": {"mode": "half"}}'
bad "sarch" '{"sarch": {}}'
bad "space" '{"space": "no-such-space"}'
bad "calibration" '{"calibration": "/no/such/calibration.json"}'
echo "cosearch end to end: OK"
