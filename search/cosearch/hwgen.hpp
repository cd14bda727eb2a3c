#pragma once
// The hardware half of the JAQ co-search (seeds/jaq-paper.txt, "Accelerator Architecture
// Search"; issue 8 items 1-2):
//
//  * HwSpace: the accelerator choices: PE_x, PE_y (3..64), activation/weight/output buffer
//    sizes (64..528 KB in 16 KB steps) and dataflow (WS/OS/RS). Loop order and tiles are
//    not heads here: the BatchTile mapper picks them per layer for the chosen accelerator.
//  * HwGenNet: the hardware generation network. Input: the encoding of the current argmax
//    subnet, per operator (kernel, stride, output rows, in ch, out ch, a bits, w bits);
//    five residual blocks; one categorical head per choice with Gumbel-softmax outputs.
//  * CostModel: a differentiable surrogate of per-layer log latency and log energy given
//    the operator encoding and the (soft) accelerator encoding, as DANCE's evaluator
//    network that JAQ's estimator follows (Choi et al. 2021).
//  * HwCost: evaluates a choice. The *value* is always exact: estimator + BatchTile over
//    every layer of the subnet on the chosen accelerator (memoized per layer and
//    accelerator). The *gradient* comes from the surrogate (latency, energy; straight
//    through: exact + s - detach(s)) and from the exact area of every option of every head
//    (area is closed-form: expected area over each head's Gumbel weights, the other heads
//    at their choice). The surrogate trains online on the exact evaluations. Why this
//    path: it keeps every reported number exact, costs one BatchTile sweep per iteration
//    (the expected exact cost over every option of every head would need ~200 sweeps),
//    and its gradient reaches both the generation network (through the soft accelerator
//    encoding) and the bit parameters (through the operator encoding's bit features).
//  * Surrogate disagreement: how often the cost path (the surrogate's latency and energy)
//    prefers a choice (one head moved to another option) that the exact estimator scores
//    worse. The area term is exact on both sides, so it is left out of both: the check
//    measures the surrogate alone. (Formerly reported as "misguided rate"; JAQ's Table 7
//    "misguided search" is a different metric, the share of layers collapsing to low bits.)
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <torch/nn/cloneable.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>
#include <torch/optim/optimizer.h>
#include <torch/serialize/archive.h>
#include <torch/types.h>

#include "model/accelerator.hpp"
#include "model/calibration.hpp"
#include "model/cost.hpp"
#include "model/layer.hpp"
#include "model/mapping.hpp"
#include "model/tech.hpp"

namespace brickyard::search {

enum HwHead { kPeX = 0, kPeY, kAbuf, kWbuf, kObuf, kDataflow, kNumHeads };
const char* to_string(HwHead h);

struct HwSpace {
  int pe_min = 3, pe_max = 64;
  std::int64_t buf_min = 64 * 1024, buf_max = 528 * 1024, buf_step = 16 * 1024;
  std::vector<model::Dataflow> dataflows = {model::Dataflow::WS, model::Dataflow::OS,
                                            model::Dataflow::RS};
  model::Accelerator base; // clock, DRAM, tech: everything the heads do not choose

  int options(HwHead h) const;
  // Value of option i of a head: PE count, buffer bytes, or dataflow index.
  std::int64_t value(HwHead h, int i) const;
  model::Accelerator accelerator(const std::array<int, kNumHeads>& choice) const;
  // The option of each head nearest to an accelerator's values.
  std::array<int, kNumHeads> choice_of(const model::Accelerator& a) const;
};

// Operator encoding (JAQ Fig. 2): 7 features per layer, log2-scaled where sizes vary over
// orders of magnitude; bits as b / 8. Depthwise/grouped layers use in ch per group.
inline constexpr int kOpFeatures = 7;
torch::Tensor encode_layers(const std::vector<model::Layer>& layers); // [L, 7] float

struct HwGenOptions {
  int max_layers = 32; // encodings are zero-padded to this many operators
  int hidden = 128;
  int blocks = 5; // residual blocks (JAQ: five)
};

struct HwGenOutput {
  std::array<torch::Tensor, kNumHeads> logits;  // [options] each
  std::array<torch::Tensor, kNumHeads> weights; // Gumbel-softmax (hard: straight-through one-hot)
  std::array<int, kNumHeads> choice{};          // argmax of the weights
};

class HwGenNetImpl : public torch::nn::Cloneable<HwGenNetImpl> {
public:
  HwGenNetImpl(HwSpace space, HwGenOptions options = {});
  void reset() override;
  // ops: [L, 7] operator encoding (L <= max_layers). tau: Gumbel temperature; hard: one-hot
  // forward with soft gradient; sample=false: plain softmax (no noise), for evaluation.
  HwGenOutput forward(const torch::Tensor& ops, double tau, bool hard = true, bool sample = true);
  // Starts the heads near an accelerator: adds `strength` to the bias of the option of each
  // head nearest to `a` (the co-search starts from the base accelerator, not at random).
  void prefer(const model::Accelerator& a, double strength);

  HwSpace space;
  HwGenOptions options;
  torch::nn::Linear input{nullptr};
  torch::nn::ModuleList blocks{nullptr}; // each: Linear, Linear (x + W2 relu(W1 x))
  torch::nn::ModuleList heads{nullptr};
};
TORCH_MODULE(HwGenNet);

// Soft accelerator encoding from head weights: expected log2 PE_x, PE_y, buffer KB (scaled)
// and the dataflow weights; 8 features. Differentiable in the weights.
inline constexpr int kAccelFeatures = 8;
torch::Tensor encode_accelerator(const HwSpace& space,
                                 const std::array<torch::Tensor, kNumHeads>& weights);

// Relaxed hardware features: the cost model's physics (docs/estimator.md, "Inside a tile").
// Per layer, log2 of: the compute cycles of each dataflow's schedule with the layer as one
// tile (WS: k^2 ceil(icg/(R pf)) ceil(ocg/C) max(P, R); OS: ceil(P/R) ceil(ocg/C) k^2
// ceil(icg/pf); RS: ocg ceil(oh/C) ceil(icg/pf) ceil(k/R) ow k; times groups), the ideal
// cycles MACs/(pf R C), each operand against half its buffer (clamped to +-8: a tile that
// does not fit is refetched), the DRAM-bound cycles, and the dataflow-weighted compute
// cycles. Each feature but the last is a sum of one term per head, so the features of a
// soft accelerator are the expectation of each head's terms under its weights: exact at a
// one-hot choice and differentiable in the weights (the continuous relaxation).
inline constexpr int kRelaxFeatures = 9;
inline constexpr int kCostInputs = kAccelFeatures + kOpFeatures + kRelaxFeatures;
// Version of the cost model's inputs; a cost model file of another version is refused.
inline constexpr int kCostFeatureVersion = 2;

class RelaxedFeatures {
public:
  RelaxedFeatures(HwSpace space, int psum_bits);
  // [L, 9] at one accelerator (any values, not only the space's options). No gradient.
  torch::Tensor at(const std::vector<model::Layer>& layers, const model::Accelerator& a) const;
  // [L, 9] under the heads' weights (differentiable in them); per-layer tables memoized.
  torch::Tensor soft(const std::vector<model::Layer>& layers,
                     const std::array<torch::Tensor, kNumHeads>& weights);

private:
  struct Tables {
    torch::Tensor base;                        // [9]
    std::array<torch::Tensor, kNumHeads> head; // [options, 9] (dataflow: unused)
  };
  const Tables& tables(const model::Layer& l);
  HwSpace space_;
  int psum_bits_;
  std::unordered_map<std::string, Tables> memo_;
};

// Surrogate targets of exact per-layer costs, [L, 2] standardized ln cycles and ln pJ; and
// the inverse of the standardization ([.., 2] -> ln cycles, ln pJ).
torch::Tensor cost_targets(const std::vector<model::Cost>& costs);
torch::Tensor cost_log(const torch::Tensor& pred);

// Checks that `path` is a cost model file of this build's feature version (brickyard
// cost-model writes them) and returns its hidden size; SpecError naming `field` if not.
int check_cost_model_file(const std::string& path, const std::string& field);

class CostModelImpl : public torch::nn::Cloneable<CostModelImpl> {
public:
  explicit CostModelImpl(int hidden = 64);
  void reset() override;
  // ops [L, 7], accel [8], relax [L, 9] -> [L, 2]: predicted log cycles and log energy (pJ)
  // per layer (standardized; HwCost::to_log).
  torch::Tensor forward(const torch::Tensor& ops, const torch::Tensor& accel,
                        const torch::Tensor& relax);
  // As forward, with copies of the parameters: gradients reach the inputs only, and the
  // result stays valid when the parameters are updated afterwards.
  torch::Tensor forward_frozen(const torch::Tensor& ops, const torch::Tensor& accel,
                               const torch::Tensor& relax);
  // Rows of [8 accelerator + 7 operator + 9 relaxed features] -> [N, 2].
  torch::Tensor forward_rows(const torch::Tensor& x);

  int hidden;
  torch::nn::Linear l1{nullptr}, l2{nullptr}, l3{nullptr};
};
TORCH_MODULE(CostModel);

struct HwCostOptions {
  double lambda_energy = 0.33, lambda_latency = 0.33, lambda_area = 0.33;
  // Normalizers (the co-search's reference design, e.g. uniform 8-bit on BitFusion's
  // default accelerator): cost = lE*E/E_ref + lL*L/L_ref + lA*A/A_ref.
  double ref_energy_j = 1, ref_latency_s = 1, ref_area_mm2 = 1;
  int surrogate_steps = 2; // surrogate Adam steps (batch 128) per evaluate()
  int surrogate_hidden = 64;
  double surrogate_lr = 3e-3;
  std::size_t replay = 4096;           // surrogate training samples kept
  int threads = 0;                     // BatchTile threads (0: hardware threads)
  double disagreement_min_diff = 0.01; // check_disagreement ignores choices closer than this
};

struct HwEval {
  model::Accelerator accel;
  double latency_s = 0, energy_j = 0, area_mm2 = 0; // exact
  std::vector<model::Cost> layers;                  // exact, best mapping each
  std::vector<model::Mapping> mappings;
  double cost = 0;     // exact weighted normalized cost
  torch::Tensor loss;  // scalar: value = cost, gradient via surrogate and exact area
  double seconds = 0;  // wall time of the exact evaluation (BatchTile)
  bool cached = false; // every layer came from the memo
};

class HwCost {
public:
  HwCost(HwSpace space, model::Tech tech, model::Calibration cal, HwCostOptions options = {});
  ~HwCost();
  HwCost(const HwCost&) = delete;
  HwCost& operator=(const HwCost&) = delete;

  // Exact cost of `gen.choice` for `layers` (bits and shapes of the current argmax subnet),
  // plus a differentiable loss whose gradient reaches gen.weights and, through `ops`
  // (if it requires grad), the operator encoding. Trains the surrogate on the result.
  // With `soft`, the surrogate's gradient comes from the expected subnet instead: the
  // layers of every candidate op, each weighted by its (Gumbel) weight, so that it also
  // reaches the supernet's op parameters (FBNet's expected latency, Eq. 4 of JAQ).
  struct SoftSubnet {
    torch::Tensor ops;                // [N, 7] operator encodings of every candidate's layers
    torch::Tensor weight;             // [N] weight of each row (1 for layers that are always there)
    std::vector<model::Layer> layers; // [N] the rows' layers (their argmax bits)
  };
  HwEval evaluate(const std::vector<model::Layer>& layers, const torch::Tensor& ops,
                  const HwGenOutput& gen, const SoftSubnet* soft = nullptr);
  // Exact evaluation only (baselines, reports).
  HwEval exact(const std::vector<model::Layer>& layers, const model::Accelerator& a);

  // Surrogate disagreement check: moves one random head of `gen.choice` to a random other
  // option and asks whether the cost path prefers it when the exact estimator does not (or
  // the reverse). The cost path's view is what its gradient follows: the exact latency and
  // energy of the current choice scaled by the surrogate's ratio alt/current (evaluate()'s
  // straight-through form); area is left out of both sides.
  // Returns true if the cost path disagrees with the exact cost; counts into
  // disagreement_rate()/checks(). Near-ties are not counted (returns false).
  bool check_disagreement(const std::vector<model::Layer>& layers, const HwGenOutput& gen,
                          std::uint64_t seed);
  double disagreement_rate() const { return checks_ ? double(disagreed_) / double(checks_) : 0; }
  std::int64_t checks() const { return checks_; }
  std::int64_t disagreements() const { return disagreed_; }

  // Fits the surrogate first on `layers` (random bits) on `samples` random accelerators:
  // fit_steps Adam steps (0: about 100 passes over the samples, 300..3000 steps).
  void warm_up(const std::vector<model::Layer>& layers, int samples, std::uint64_t seed,
               int fit_steps = 0);
  double surrogate_loss() const { return last_fit_loss_; }

  // A cost model trained offline (brickyard cost-model; train_cost_model): replaces the
  // surrogate's weights (and hidden size). SpecError naming `field` if the file is not a
  // cost model of this version.
  void load_cost_model(const std::string& path, const std::string& field);
  // The surrogate's inputs for `layers` on accelerator `a`: [L, kCostInputs].
  torch::Tensor inputs(const std::vector<model::Layer>& layers, const model::Accelerator& a);
  // The surrogate's prediction of total cycles and energy (J) of `layers` on `a`.
  std::pair<double, double> predict(const std::vector<model::Layer>& layers,
                                    const model::Accelerator& a);
  // Mapper objective of the exact evaluation (the weights of latency and energy).
  const HwCostOptions& options() const { return opt_; }
  std::size_t memo_size() const { return memo_.size(); }
  void clear_memo() { memo_.clear(); }

  const HwSpace& space() const { return space_; }
  CostModel& surrogate() { return surrogate_; }

  // Checkpoints (co-search resume): the surrogate, its optimizer, the replay ring and the
  // disagreement counters. The memo is a cache of exact values and is not saved.
  void save(torch::serialize::OutputArchive& a) const;
  void load(torch::serialize::InputArchive& a);

private:
  double weighted(double e, double l, double a) const;
  void remember(const torch::Tensor& x, const std::vector<model::Cost>& costs);
  void fit(int steps);

  HwSpace space_;
  model::Tech tech_;
  model::Calibration cal_;
  HwCostOptions opt_;
  CostModel surrogate_;
  RelaxedFeatures relax_;
  std::unique_ptr<torch::optim::Optimizer> sgd_;
  torch::Tensor X_, Y_; // replay ring: [kCostInputs], [2 targets] per row
  std::size_t next_ = 0, filled_ = 0;
  double last_fit_loss_ = 0;
  std::unordered_map<std::string, std::pair<model::Cost, model::Mapping>> memo_;
  std::int64_t disagreed_ = 0, checks_ = 0;
};

} // namespace brickyard::search
