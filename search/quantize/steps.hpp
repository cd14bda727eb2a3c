#pragma once
// The steps of quantize() (quantize.hpp), each callable alone: check the options, load the
// model, build the cost table, turn the budgets into seconds/joules, measure sensitivity,
// solve the allocation ILP, apply it (and the uniform baselines), make the outputs. State
// passes between them in the small structs below; quantize() is their sequence.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/types.h>

#include "model/accelerator.hpp"
#include "model/layer.hpp"
#include "search/nn/data.hpp"
#include "search/nn/derive.hpp"
#include "search/nn/model_file.hpp"
#include "search/nn/output_dir.hpp"
#include "search/quantize/allocate.hpp"
#include "search/quantize/budget.hpp"
#include "search/quantize/cost_table.hpp"
#include "search/quantize/quantize.hpp"

namespace brickyard::search {

// Everything the user typed that needs no file, checked before any work (SpecError).
void check_quantize_options(const QuantizeOptions& options);

struct LoadedModel {
  TrainedModel m; // at float (layer bits 0), eval mode
  Dataset data;
  Split split;
  torch::Tensor train_rows;       // train_w + train_a
  torch::Tensor calib_a, calib_b; // two disjoint calibration batches of train_rows
  std::vector<model::Layer> layers;
  double seconds = 0;
};
// Data, calibration batches, and the float network (BN re-estimated if its weights are a
// supernet's).
LoadedModel load_step(const QuantizeOptions& options, TrainedModel m,
                      const model::Accelerator& accel);

struct Costs {
  CostTable table;
  int j8 = -1, j4 = -1;     // pair indices of 8/8 and 4/4
  double lat8 = 0, en8 = 0; // uniform 8-bit totals (the budgets' reference)
};
// Step 1: the per-layer cost table at every bit pair (OHQ's on-chip measurement).
Costs cost_step(const QuantizeOptions& options, const std::vector<model::Layer>& layers,
                const model::Accelerator& accel);

struct AbsoluteBudgets {
  std::optional<double> latency_s, energy_j;
};
// The budgets in seconds/joules, each checked alone against the table's floor.
AbsoluteBudgets budget_step(const Budgets& given, const Costs& costs);
// SpecError naming the budget, with the smallest feasible one (`min_abs`, seconds/joules).
[[noreturn]] void throw_infeasible(const Budgets& given, const AbsoluteBudgets& budgets,
                                   const Costs& costs, bool latency, double min_abs);

struct Sensitivities {
  std::vector<std::vector<double>> a, b; // [layer][pair] KL on calibration batches A and B
  double spearman = 0;                   // rank correlation of a and b
  double seconds = 0;
};
// Step 2: OHQ's label-free sensitivity (MQE) on both calibration batches.
Sensitivities sensitivity_step(const QuantizeOptions& options, LoadedModel& lm,
                               const std::vector<BitPair>& pairs);

struct Allocation {
  AllocationResult result;
  double smax = 1;                    // the sensitivity normalizer (largest value of batch A)
  double latency_s = 0, energy_j = 0; // totals of result.choice
};
// Step 3: the ILP on normalized tables; infeasible budgets raise SpecError.
Allocation allocate_step(const QuantizeOptions& options, const Costs& costs,
                         const AbsoluteBudgets& budgets, const Sensitivities& sens);

struct Variant {
  std::string name;
  std::vector<int> choice; // pair index per layer (empty: float)
  double test_accuracy = 0, test_accuracy_before_finetune = 0;
  double latency_s = 0, energy_j = 0;
  double seconds = 0;
  Subnet net{nullptr};
};
struct Applied {
  Variant floating;              // the float network, tested
  std::vector<Variant> variants; // allocated first, then uniform 8-bit and 4-bit (baselines)
  double seconds = 0;
};
// Step 4: each variant at its bits, BN re-estimated, fine-tuned, tested.
Applied apply_step(const QuantizeOptions& options, LoadedModel& lm, const Costs& costs,
                   const Allocation& alloc);

// report.json (`seconds`: the whole run's wall time).
nlohmann::json quantize_report(const QuantizeOptions& options, const LoadedModel& lm,
                               const model::Accelerator& accel, const Costs& costs,
                               const AbsoluteBudgets& budgets, const Sensitivities& sens,
                               const Allocation& alloc, const Applied& applied, double seconds);
// design.json: the network at the allocated bits, its mappings and predicted costs.
nlohmann::json quantize_design(const LoadedModel& lm, const model::Accelerator& accel,
                               const Costs& costs, const Allocation& alloc, const Applied& applied,
                               const nlohmann::json& report);
// costs.csv and sensitivity.csv: one row per (layer, pair).
std::string costs_csv(const std::vector<model::Layer>& layers, const Costs& costs);
std::string sensitivity_csv(const std::vector<model::Layer>& layers,
                            const std::vector<BitPair>& pairs, const Sensitivities& sens);
// model.pt, design.json, report.json, report.md, costs.csv, sensitivity.csv; then commits.
void write_outputs(OutputDir& out, const LoadedModel& lm, const Costs& costs,
                   const Sensitivities& sens, const Applied& applied, const nlohmann::json& design,
                   const nlohmann::json& report);

} // namespace brickyard::search
