#!/usr/bin/env bash
# brickyard experiment end to end on a tiny configuration (two seeds, seconds of training):
# every method and seed is in experiment.json, the means and standard deviations are the
# per-seed values' (recomputed here), the test set was read once per finished model, the
# decoupled baseline's latency budget is the co-search's latency, the lowest-bit share is
# what the choices say; a resume reuses every cell; bad configurations exit 2 naming the field.
set -euo pipefail
BY=$1
CFG=$2
OUT=$(mktemp -d /tmp/by_experiment_XXXXXX)
trap 'rm -rf "$OUT"' EXIT
export SC_COPYRIGHT_MESSAGE=DISABLE
"$BY" experiment --config "$CFG" --out "$OUT/run" -q > "$OUT/stdout"
grep -q "co-search vs decoupled" "$OUT/stdout"
python3 - "$OUT/run" "$CFG" <<'PY'
import json, math, os, statistics, sys
d, cfg = sys.argv[1], json.load(open(sys.argv[2]))
x = json.load(open(os.path.join(d, "experiment.json")))
seeds = [str(s) for s in cfg["seeds"]]
expected = ["cosearch", "decoupled", "hardware_only", "random_search"]
expected += ["cosearch_csq_k%g" % k for k in cfg["csq_k_percent"]]
expected += ["cosearch_" + m for m in cfg["quant_modes"]]
assert sorted(x["methods"]) == sorted(expected), sorted(x["methods"])
for m, v in x["methods"].items():
    assert sorted(v["seeds"]) == sorted(seeds), (m, sorted(v["seeds"]))
    for s, r in v["seeds"].items():
        assert r["test_reads"] == 1, (m, s, r["test_reads"])
        for k in ("val_accuracy", "test_accuracy"):
            assert 0 <= r[k] <= 1, (m, s, k, r[k])
        for k in ("latency_s", "energy_j", "area_mm2", "edap"):
            assert r[k] > 0, (m, s, k)
        assert math.isclose(r["edap"], r["latency_s"] * r["energy_j"] * r["area_mm2"], rel_tol=1e-9)
        assert r["exact_evaluations"] >= 1
        # JAQ Table 7's share, recomputed from the choice.
        bits = [b[k] for b in r["choice"] if b["op"] != "skip" for k in ("a_bits", "w_bits")]
        if bits:
            assert math.isclose(r["lowest_bits_share"], sum(b == 2 for b in bits) / len(bits))
    for k in ("val_accuracy", "test_accuracy", "edap", "latency_s", "wall_s"):
        vals = [v["seeds"][s][k] for s in seeds]
        assert math.isclose(v["mean"][k], statistics.mean(vals), rel_tol=1e-12), (m, k)
        assert math.isclose(v["std"][k], statistics.stdev(vals), rel_tol=1e-9, abs_tol=1e-15), (m, k)
assert x["protocol"]["test_reads_per_model_max"] == 1
assert x["protocol"]["test_reads_per_model_min"] == 1
for b in ("decoupled", "hardware_only", "random_search"):
    dom = x["cosearch_vs_baselines"][b]
    a, c = x["methods"]["cosearch"]["mean"], x["methods"][b]["mean"]
    want = (a["test_accuracy"] >= c["test_accuracy"] and a["edap"] <= c["edap"]
            and (a["test_accuracy"] > c["test_accuracy"] or a["edap"] < c["edap"]))
    assert dom["dominates_on_test_means"] == want, b
for s in seeds:
    cell = json.load(open(os.path.join(d, "seed_" + s, "decoupled", "cell.json")))
    cs = json.load(open(os.path.join(d, "seed_" + s, "cosearch", "report.json")))
    assert math.isclose(cell["details"]["allocation"]["latency_budget_s"],
                        cs["design"]["predicted"]["latency_s"])
    af = json.load(open(os.path.join(d, "seed_" + s, "accuracy_first", "design.json")))
    assert all(b["a_bits"] == 8 and b["w_bits"] == 8 for b in af["choice"])
md = open(os.path.join(d, "experiment.md")).read()
assert "The co-search against each baseline" in md
print("experiment json OK")
PY
# Resume of a finished experiment reuses every cell: the same report, nothing retrained.
cp "$OUT/run/experiment.json" "$OUT/first.json"
"$BY" experiment --resume "$OUT/run" > "$OUT/stdout2" 2> "$OUT/stderr2"
! grep -q "retrain" "$OUT/stderr2"
python3 -c "import json,sys; a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2])); a.pop('plot'); b.pop('plot'); assert a == b" "$OUT/first.json" "$OUT/run/experiment.json"
# An existing directory is not overwritten without --force.
set +e
"$BY" experiment --config "$CFG" --out "$OUT/run" -q 2> "$OUT/err" > /dev/null
st=$?
set -e
[[ $st -eq 2 ]] && grep -q "out" "$OUT/err" || { echo "existing out: status $st"; cat "$OUT/err"; exit 1; }
# Bad configurations: one line naming the field, exit 2.
bad() { # field, json
  echo "$2" > "$OUT/bad.json"
  set +e
  "$BY" experiment --config "$OUT/bad.json" --out "$OUT/bad" -q 2> "$OUT/err" > /dev/null
  local st=$?
  set -e
  [[ $st -eq 2 && $(wc -l < "$OUT/err") -eq 1 ]] && grep -q "$1" "$OUT/err" ||
    { echo "bad config ($1): status $st"; cat "$OUT/err"; exit 1; }
}
CS=$(cd "$(dirname "$CFG")" && pwd)/tiny.json
bad seeds "{\"seeds\": [1, 1], \"cosearch\": \"$CS\"}"
bad seeds "{\"seeds\": [-3], \"cosearch\": \"$CS\"}"
bad csq_k_percent "{\"csq_k_percent\": [0], \"cosearch\": \"$CS\"}"
bad quant_modes "{\"quant_modes\": [\"fuzzy\"], \"cosearch\": \"$CS\"}"
bad methods.decoupld "{\"methods\": {\"decoupld\": true}, \"cosearch\": \"$CS\"}"
bad cosearch "{\"seeds\": [1]}"
bad cosearch "{\"cosearch\": {\"search\": {\"epochs\": 0}}}"
set +e
"$BY" experiment --config "$CFG" --out "$OUT/x" --seeds 1,x -q 2> "$OUT/err" > /dev/null
st=$?
set -e
[[ $st -eq 2 ]] && grep -q "seeds" "$OUT/err" || { echo "--seeds 1,x: status $st"; exit 1; }
echo "experiment end to end: OK"
