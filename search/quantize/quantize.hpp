#pragma once
// `brickyard quantize` (issue 10): post-training, hardware-measured mixed-precision
// allocation for a trained network on a fixed accelerator, after OHQ
// (seeds/ohq-abstract.txt):
//   1. cost table: every layer's latency and energy at every (a_bits, w_bits) on the
//      accelerator, simulated cycle-accurately (cached) or estimated (cost_table.hpp);
//   2. sensitivity without labels: mask-guided KL of the output on a calibration batch,
//      and its rank stability on a second, disjoint batch (sensitivity.hpp);
//   3. ILP: one pair per layer minimizing the total sensitivity under the latency and/or
//      energy budget (allocate.hpp);
//   4. apply: the network at the allocated bits, BN re-estimated and briefly fine-tuned,
//      against uniform 8-bit and uniform 4-bit with the same fine-tune, on the same
//      accelerator; OUT/design.json (simulate/export-rtl input), report.json, report.md,
//      costs.csv, sensitivity.csv, model.pt.
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "search/nn/finetune.hpp"
#include "search/quantize/allocate.hpp"
#include "search/quantize/budget.hpp"
#include "search/quantize/cost_table.hpp"

namespace brickyard::search {

struct QuantizeOptions {
  std::string model_path; // model.json (brickyard train) or a cosearch design.json
  std::string accel;      // inline spec or JSON file; "" or "bitfusion" = BitFusion's default
  Budgets budgets;        // at least one
  CostTableOptions cost;
  std::int64_t calib_images = 256; // per calibration batch (two disjoint batches)
  std::uint64_t calib_seed = 1;
  std::int64_t bn_batches = 20; // BatchNorm re-estimation batches of each quantized network
  FinetuneOptions finetune;     // epochs = 0: BN re-estimation only
  bool baselines = true;        // uniform 8-bit and 4-bit with the same fine-tune
  IlpOptions ilp;
  int threads = 2;
  std::string out_dir;
  bool force = false;
  bool progress = true;
};

// The accelerator `--accel` names ("" and "bitfusion": data/accels/bitfusion_default.json).
model::Accelerator quantize_accelerator(const std::string& spec);

// Runs everything and commits OUT; returns report.json's content. Bad input and an
// infeasible budget raise model::SpecError naming the field (the latter with the smallest
// feasible budget); nothing is left in OUT then.
nlohmann::json quantize(const QuantizeOptions& options);

// The end-of-run summary of a report (what the CLI prints and report.md holds).
std::string quantize_summary(const nlohmann::json& report);

} // namespace brickyard::search
