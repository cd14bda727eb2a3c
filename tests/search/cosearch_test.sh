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
cp "$OUT/run/design.json" "$OUT/first_design.json" # retrain below rewrites the design
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
assert report["search"]["surrogate_disagreement_checks"] >= 1
assert report["search"]["misguided_checks"] == report["search"]["surrogate_disagreement_checks"]
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
set +e
"$BY" retrain --design "$OUT/run/design.json" --label-smoothing 1 -q 2> "$OUT/err" > /dev/null
st=$?
set -e
[[ $st -eq 2 ]] && grep -q "label-smoothing" "$OUT/err" || { echo "retrain --label-smoothing 1: status $st"; cat "$OUT/err"; exit 1; }
# Resume: stop at the end of the first epoch (as Ctrl-C would), resume and stop again inside
# the second epoch, resume to the end: the same design as the uninterrupted run, to the bit.
set +e
"$BY" cosearch --config "$CFG" --out "$OUT/res" -q --stop-after-steps 3 > "$OUT/stdout" 2>&1
st1=$?
"$BY" cosearch --resume "$OUT/res" -q --stop-after-steps 5 > "$OUT/stdout2" 2>&1
st2=$?
set -e
[[ $st1 -eq 130 && $st2 -eq 130 ]] || { echo "interrupted runs: status $st1, $st2"; cat "$OUT/stdout" "$OUT/stdout2"; exit 1; }
grep -q "brickyard cosearch --resume" "$OUT/stdout"
[[ -s "$OUT/res/checkpoint.pt" && ! -e "$OUT/res/design.json" ]]
"$BY" cosearch --resume "$OUT/res" -q > /dev/null
python3 - "$OUT/run" "$OUT/res" <<'PY'
import json, sys, os
a = json.load(open(os.path.join(os.path.dirname(sys.argv[1]), "first_design.json")))
b = json.load(open(os.path.join(sys.argv[2], "design.json")))
assert a == b, "resumed design differs:\n%s\n%s" % (json.dumps(a)[:2000], json.dumps(b)[:2000])
la, lb = ([json.loads(l) for l in open(os.path.join(d, "search_log.jsonl"))] for d in sys.argv[1:3])
assert len(la) == len(lb) == 3, (len(la), len(lb))
for x, y in zip(la, lb):
    for k in ("seconds", "images_per_s"):
        x.pop(k, None), y.pop(k, None)
    assert x == y, (x, y)
print("resume OK")
PY
# Sweep over lambda: interrupted inside the first point, resumed; two points, a Pareto flag
# each, the report and (with gnuplot) the plot.
set +e
"$BY" cosearch --config "$CFG" --out "$OUT/sweep" --sweep 0,30 -q --stop-after-steps 4 > "$OUT/stdout" 2>&1
st=$?
set -e
[[ $st -eq 130 ]] || { echo "interrupted sweep: status $st"; cat "$OUT/stdout"; exit 1; }
"$BY" cosearch --resume "$OUT/sweep" -q > "$OUT/stdout"
grep -q "pareto.md" "$OUT/stdout"
python3 - "$OUT/sweep" <<'PY'
import json, sys, os, shutil
d = sys.argv[1]
p = json.load(open(os.path.join(d, "pareto.json")))
assert [x["lambda"] for x in p["points"]] == [0, 30], p["points"]
assert any(x["pareto"] for x in p["points"])
for x in p["points"]:
    assert x["edap"] > 0 and 0 <= x["accuracy"] <= 1, x
    assert os.path.exists(os.path.join(d, x["dir"], "design.json"))
for b in p["baselines"]:
    assert b["uniform_8bit_on_base"]["edap"] > 0 and b["random_search"]["edap"] > 0, b
assert "| 30 |" in open(os.path.join(d, "pareto.md")).read()
if shutil.which("gnuplot"):
    assert os.path.getsize(os.path.join(d, "pareto.png")) > 1000
print("sweep OK")
PY
# The shipped configurations load and resolve (CIFAR ones without their data: --check only).
CONFIGS=$(cd "$(dirname "$CFG")/../../../configs" && pwd)
for c in default quick cifar10-jaq cifar100-jaq; do
  "$BY" cosearch --config "$CONFIGS/$c.json" --check > "$OUT/check"
  grep -q "config $c" "$OUT/check"
done
grep -q "100 classes" "$OUT/check" # cifar100: the fbnet22 preset takes the data set's classes
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
bad "retrain.label_smoothing" '{"retrain": {"label_smoothing": 1}}'
bad "retrain.weight_decay" '{"retrain": {"weight_decay": -0.001}}'
bad "quant.mode" '{"quant": {"mode": "half"}}'
bad "sarch" '{"sarch": {}}'
bad "space" '{"space": "no-such-space"}'
bad "calibration" '{"calibration": "/no/such/calibration.json"}'
bad "hardware.cost_model" '{"hardware": {"cost_model": "/no/such/model.pt"}}'
bad "hardware.cost_model" "{\"hardware\": {\"cost_model\": \"$CFG\"}}"
bad "hardware.surrogate_steps" '{"hardware": {"surrogate_steps": -1}}'

# The cost model trained offline: a small one, its report, and bad inputs.
"$BY" cost-model --out "$OUT/cm.pt" --samples 40 --steps 100 --hidden 16 --threads 1 -q > "$OUT/cm.txt"
python3 - "$OUT/cm.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
h = r["held_out"]
assert r["samples"] == 40 and r["held_out_samples"] == 8, r
assert r["simulated_training_points"] > 0, r
for k in ("layer_cycles_mape_pct", "network_latency_mape_pct", "network_cost_spearman"):
    assert isinstance(h[k], (int, float)), k
assert h["surrogate_disagreement"]["checks"] > 0, h
PY
grep -q "surrogate disagreement" "$OUT/cm.txt" || { echo "cost-model: no summary"; exit 1; }
bad_cm() {
  local field=$1; shift
  set +e
  "$BY" cost-model "$@" 2> "$OUT/err" > /dev/null
  local st=$?
  set -e
  [[ $st -eq 2 ]] && [[ $(wc -l < "$OUT/err") -eq 1 ]] && grep -q "$field" "$OUT/err" ||
    { echo "bad cost-model ($field): status $st"; cat "$OUT/err"; exit 1; }
}
bad_cm out --samples 40
bad_cm out --out "$OUT/cm.pt" --samples 40
bad_cm samples --out "$OUT/cm2.pt" --samples 5
bad_cm hidden --out "$OUT/cm2.pt" --hidden 2
bad_cm calibration --out "$OUT/cm2.pt" --calibration /no/such.json
set +e
"$BY" cosearch --resume "$OUT/nowhere" 2> "$OUT/err" > /dev/null
st=$?
set -e
[[ $st -eq 2 ]] && grep -q "resume" "$OUT/err" || { echo "resume of nothing: status $st"; cat "$OUT/err"; exit 1; }
set +e
"$BY" cosearch --config "$CFG" --out "$OUT/bad_sweep" --sweep 0.1,-1 2> "$OUT/err" > /dev/null
st=$?
set -e
[[ $st -eq 2 ]] && grep -q "sweep" "$OUT/err" || { echo "bad sweep: status $st"; cat "$OUT/err"; exit 1; }
echo "cosearch end to end: OK"
