#!/usr/bin/env bash
# brickyard train + quantize end to end on a tiny network (a few training batches): the
# outputs exist and agree with each other, the design is a design (simulate and export-rtl
# take it), estimator costs equal `brickyard estimate`'s, simulated costs are cached (the
# second run simulates nothing), and bad inputs exit 2 with one line naming the field and
# leave no output directory.
set -euo pipefail
BY=$1
SPACE=$2
OUT=$(mktemp -d /tmp/by_quantize_XXXXXX)
trap 'rm -rf "$OUT"' EXIT
export SC_COPYRIGHT_MESSAGE=DISABLE
ACCEL="pe=8x8,abuf=64K,wbuf=64K,obuf=64K,dataflow=ws"
QUICK=(--calib-images 64 --finetune-epochs 1 --max-batches 3 --bn-batches 2 --threads 1 -q)

"$BY" train --out "$OUT/m" --space "$SPACE" --op conv_k3 --epochs 1 --max-batches 15 \
  --train-limit 3000 --test-limit 300 --threads 1 -q > "$OUT/train.out"
grep -q "test accuracy (float)" "$OUT/train.out"

# Estimator costs, all three networks fine-tuned.
"$BY" quantize --model "$OUT/m/model.json" --accel "$ACCEL" --latency-budget 0.8 \
  --cost estimator "${QUICK[@]}" --out "$OUT/q" > "$OUT/q.out"
grep -q "allocated" "$OUT/q.out"
python3 - "$OUT/q" <<'PY'
import csv, json, os, sys
d = sys.argv[1]
for f in ("design.json", "report.json", "report.md", "costs.csv", "sensitivity.csv", "model.pt"):
    assert os.path.getsize(os.path.join(d, f)) > 0, f
design = json.load(open(os.path.join(d, "design.json")))
report = json.load(open(os.path.join(d, "report.json")))
layers = design["network"]["layers"]
assert len(layers) == report["layers"] == len(design["mappings"]) == len(design["allocation"])
costs = list(csv.DictReader(open(os.path.join(d, "costs.csv"))))
sens = list(csv.DictReader(open(os.path.join(d, "sensitivity.csv"))))
assert len(costs) == len(sens) == 9 * len(layers)
# The allocation meets the budget and is what the ILP reported.
lat8 = report["uniform8"]["latency_s"]
assert report["ilp"]["status"] == "optimal", report["ilp"]
assert report["ilp"]["latency_s"] <= 0.8 * lat8 * (1 + 1e-9)
total = 0.0
for l, a in zip(layers, design["allocation"]):
    assert (l["a_bits"], l["w_bits"]) == (a["a_bits"], a["w_bits"])
    row = [c for c in costs if c["layer"] == l["name"] and int(c["a_bits"]) == l["a_bits"]
           and int(c["w_bits"]) == l["w_bits"]]
    assert len(row) == 1
    total += float(row[0]["latency_s"])
assert abs(total - report["ilp"]["latency_s"]) <= 1e-9 * max(1.0, total)
v = report["variants"]
for k in ("float", "uniform 8-bit", "uniform 4-bit", "allocated"):
    assert 0 <= v[k]["test_accuracy"] <= 1, k
assert abs(v["uniform 8-bit"]["latency_vs_uniform8"] - 1) < 1e-12
assert v["uniform 4-bit"]["latency_s"] < lat8
assert -1 <= report["sensitivity"]["spearman_two_batches"] <= 1
for s in sens:
    assert float(s["kl_batch_a"]) >= 0 and float(s["kl_batch_b"]) >= 0
# Every layer at every pair as a network at that pair: brickyard estimate's numbers.
json.dump({"pairs": sorted({(int(c["a_bits"]), int(c["w_bits"])) for c in costs})},
          open(os.path.join(d, "..", "pairs.json"), "w"))
print("outputs OK")
PY
python3 - "$OUT" "$BY" "$ACCEL" <<'PY'
import csv, json, os, subprocess, sys
out, by, accel = sys.argv[1:]
design = json.load(open(os.path.join(out, "q", "design.json")))
costs = list(csv.DictReader(open(os.path.join(out, "q", "costs.csv"))))
for a, w in [(8, 8), (2, 4), (4, 2)]:
    net = dict(design["network"])
    net["layers"] = [dict(l, a_bits=a, w_bits=w) for l in net["layers"]]
    path = os.path.join(out, "net_%d_%d.json" % (a, w))
    json.dump(net, open(path, "w"))
    est = json.loads(subprocess.check_output([by, "estimate", "--net", path, "--accel", accel, "--json"]))
    for l, e in zip(net["layers"], est["layers"]):
        row = [c for c in costs if c["layer"] == l["name"] and int(c["a_bits"]) == a
               and int(c["w_bits"]) == w][0]
        assert int(row["cycles"]) == e["cycles"], (l["name"], a, w, row, e["cycles"])
        assert abs(float(row["energy_j"]) - e["energy_j"]) <= 1e-6 * e["energy_j"], (row, e)
print("estimate OK")
PY
# A cosearch design.json as the model: its "cosearch" section (space, data) and "choice",
# weights from subnet.pt beside it (here the trained model's, the same Subnet).
mkdir -p "$OUT/cs"
cp "$OUT/m/model.pt" "$OUT/cs/subnet.pt"
python3 - "$OUT" <<'PY'
import json, os, sys
out = sys.argv[1]
m = json.load(open(os.path.join(out, "m", "model.json")))
d = {"network": {}, "accelerator": {}, "choice": m["choice"],
     "cosearch": {"config": "x", "space": m["space"], "data_root": m["data"]["root"],
                  "seed": m["data"]["seed"], "supernet": "supernet.pt"}}
json.dump(d, open(os.path.join(out, "cs", "design.json"), "w"))
PY
"$BY" quantize --model "$OUT/cs/design.json" --accel "$ACCEL" --energy-budget 0.9 --cost estimator \
  --no-baselines --finetune-epochs 0 --calib-images 32 --bn-batches 1 --threads 1 -q \
  --out "$OUT/qcs" > /dev/null
python3 -c "import json,sys; r=json.load(open(sys.argv[1])); assert r['model_kind']=='design', r['model_kind']; assert r['ilp']['energy_j'] <= 0.9*r['uniform8']['energy_j']*(1+1e-9)" "$OUT/qcs/report.json"

# The design is a design.
"$BY" simulate --design "$OUT/q/design.json" -q > /dev/null
"$BY" export-rtl --design "$OUT/q/design.json" --out "$OUT/rtl" > /dev/null

# Simulated costs, twice with one cache: the second run simulates nothing, same numbers.
SIM=(--model "$OUT/m/model.json" --accel "$ACCEL" --budget latency=0.9,energy=0.95 --cost simulator
     -j 2 --cache "$OUT/cache" --no-baselines --finetune-epochs 0 --calib-images 32 --bn-batches 1
     --threads 1 -q)
"$BY" quantize "${SIM[@]}" --out "$OUT/s1" > /dev/null
"$BY" quantize "${SIM[@]}" --out "$OUT/s2" > /dev/null
python3 - "$OUT" <<'PY'
import json, os, sys
out = sys.argv[1]
r1 = json.load(open(os.path.join(out, "s1", "report.json")))
r2 = json.load(open(os.path.join(out, "s2", "report.json")))
cells = r1["cost"]["cells"]
assert r1["cost"]["source"] == "simulator"
assert r1["cost"]["simulated"] == cells and r1["cost"]["cache_hits"] == 0, r1["cost"]
assert r2["cost"]["simulated"] == 0 and r2["cost"]["cache_hits"] == cells, r2["cost"]
assert r2["cost"]["children"] == 0
c1 = open(os.path.join(out, "s1", "costs.csv")).read().replace(",1\n", ",0\n")
c2 = open(os.path.join(out, "s2", "costs.csv")).read().replace(",1\n", ",0\n")
assert c1 == c2
assert r1["ilp"]["latency_s"] <= 0.9 * r1["uniform8"]["latency_s"] * (1 + 1e-9)
assert r1["ilp"]["energy_j"] <= 0.95 * r1["uniform8"]["energy_j"] * (1 + 1e-9)
print("cache OK")
PY
"$BY" simulate --design "$OUT/s1/design.json" -q > /dev/null

# Bad inputs: status 2, one stderr line naming the field, no output directory.
bad() {
  local field=$1
  shift
  set +e
  "$BY" "$@" 2> "$OUT/err" > /dev/null
  local st=$?
  set -e
  [[ $st -eq 2 ]] || { echo "bad input ($field): status $st"; cat "$OUT/err"; exit 1; }
  [[ $(wc -l < "$OUT/err") -eq 1 ]] || { echo "bad input ($field): not one line"; cat "$OUT/err"; exit 1; }
  grep -q "'$field'" "$OUT/err" || { echo "bad input ($field):"; cat "$OUT/err"; exit 1; }
  [[ ! -e "$OUT/bad" ]] || { echo "bad input ($field) left an output directory"; exit 1; }
  ! ls -a "$OUT" | grep -q "partial" || { echo "bad input ($field) left a temp directory"; exit 1; }
}
Q=(quantize --out "$OUT/bad" "${QUICK[@]}")
bad model "${Q[@]}" --cost estimator --model "$OUT/no/such/model.json" --accel "$ACCEL" --latency-budget 0.8
bad model "${Q[@]}" --cost estimator --model "$OUT/q/report.json" --accel "$ACCEL" --latency-budget 0.8
bad latency-budget "${Q[@]}" --cost estimator --model "$OUT/m/model.json" --accel "$ACCEL" --latency-budget fast
bad latency-budget "${Q[@]}" --cost estimator --model "$OUT/m/model.json" --accel "$ACCEL" --latency-budget 0.01
grep -q "smallest feasible budget is" "$OUT/err"
bad budget "${Q[@]}" --cost estimator --model "$OUT/m/model.json" --accel "$ACCEL" --budget speed=0.8
bad budget "${Q[@]}" --cost estimator --model "$OUT/m/model.json" --accel "$ACCEL"
bad accel "${Q[@]}" --cost estimator --model "$OUT/m/model.json" --accel "pe=0x4,dataflow=ws" --latency-budget 0.8
bad accel "${Q[@]}" --cost estimator --model "$OUT/m/model.json" --accel "$OUT/no_accel.json" --latency-budget 0.8
bad cost "${Q[@]}" --model "$OUT/m/model.json" --accel "$ACCEL" --latency-budget 0.8 --cost guess
bad out quantize --model "$OUT/m/model.json" --accel "$ACCEL" --latency-budget 0.8 --cost estimator --out "$OUT/q"
bad op train --out "$OUT/bad" --space "$SPACE" --op k9_e1 --epochs 1
bad space train --out "$OUT/bad" --space no-such-space --epochs 1
echo "quantize end to end: OK"
