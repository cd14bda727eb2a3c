// Baselines in the same harness as the co-search (JAQ's comparisons): a random search over
// the joint space and a hardware-only search for the fixed uniform 8-bit network.
#include <algorithm>
#include <array>
#include <random>

#include "model/json_io.hpp"
#include "search/cosearch/steps.hpp"
#include "search/nn/clock.hpp"

namespace brickyard::search {

using json = nlohmann::json;

namespace {

// One-shot score of an architecture: the supernet's weights with one-hot architecture
// weights, computed as its derived subnet (equal to the bit, tests/search/test_supernet.cpp,
// and about 10x faster than the supernet's one-hot forward, which still runs every
// candidate). The supernet's BatchNorm statistics are those of the candidate mixtures, so
// they are re-estimated on `bn_batches` training batches first (0: not).
EvalResult one_shot(SupernetImpl& net, const Dataset& data, const torch::Tensor& rows,
                    const ArchChoice& c, const torch::Tensor& bn_rows, int bn_batches) {
  Subnet s(net, c);
  if (bn_batches > 0) recalibrate_batch_norm(*s, data, bn_rows, bn_batches, 128);
  s->eval();
  return evaluate(*s, data, rows, 250);
}

} // namespace

Baselines run_baselines(const CosearchConfig& cfg, const CosearchRun& run, Problem& p,
                        Hardware& hardware, const Derived& d, std::int64_t arch_steps) {
  const SearchSpace& space = p.space;
  const Dataset& data = p.data;
  const Split& split = p.split;
  Supernet& net = p.net;
  HwCost& hw = *hardware.cost;
  const ArchChoice& choice = d.choice;
  const HwEval& final_ev = d.final_ev;
  auto say = [&run](const std::string& s) { progress_line(run.progress, s); };
  Baselines result;
  json& baselines = result.report;
  ArchChoice& random_choice = result.random_choice;
  // Baselines at the same number of exact hardware evaluations, scored like the search:
  // one-shot cross-entropy + lambda * cost.
  if (!cfg.baselines) return result;
  auto tb = Clock::now();
  const int budget =
      int(std::min<std::int64_t>(std::max<std::int64_t>(arch_steps, 1), cfg.baseline_max));
  torch::Tensor rows = split.val;
  if (rows.size(0) > cfg.baseline_val) rows = rows.slice(0, 0, cfg.baseline_val);
  const EvalResult mine =
      one_shot(*net, data, rows, choice, split.train_w, cfg.baseline_bn_batches);
  std::mt19937_64 rng(cfg.seed + 99);
  const auto shapes = blocks(space);
  // Random search over ops, bits and accelerator.
  double best_obj = 1e300;
  json best;
  for (int i = 0; i < budget; ++i) {
    ArchChoice c;
    for (const auto& sh : shapes) {
      c.op.push_back(int(rng() % sh.ops.size()));
      c.a_bits.push_back(space.a_bits[rng() % space.a_bits.size()]);
      c.w_bits.push_back(space.w_bits[rng() % space.w_bits.size()]);
    }
    const HwEval ev = hw.exact(describe(space, c),
                               cfg.hw_space.accelerator(random_accelerator(cfg.hw_space, rng)));
    const EvalResult acc = one_shot(*net, data, rows, c, split.train_w, cfg.baseline_bn_batches);
    const double obj = acc.loss + cfg.lambda * ev.cost;
    if (obj < best_obj) {
      best_obj = obj;
      random_choice = c;
      best = {{"choice", to_json(space, c)},
              {"accelerator", model::to_json(ev.accel)},
              {"one_shot_val_accuracy", acc.accuracy},
              {"objective", obj},
              {"predicted", cost_json(ev)}};
    }
  }
  // Hardware-only search for the fixed uniform 8-bit network.
  const auto fixed = describe(space, with_bits(choice, 8));
  const HwEval best_hw = hardware_search(hw, cfg.hw_space, fixed, budget, rng);
  const json hw_only = {{"accelerator", model::to_json(best_hw.accel)},
                        {"predicted", cost_json(best_hw)}};
  baselines = {{"budget_exact_evaluations", budget},
               {"cosearch_architecture_steps", arch_steps},
               {"validation_images", rows.size(0)},
               {"bn_recalibration_batches", cfg.baseline_bn_batches},
               {"cosearch",
                {{"one_shot_val_accuracy", mine.accuracy},
                 {"objective", mine.loss + cfg.lambda * final_ev.cost},
                 {"predicted", cost_json(final_ev)}}},
               {"random_search", best},
               {"hardware_only_uniform_8bit", hw_only},
               {"seconds", since(tb)}};
  say("baselines: random search (" + std::to_string(budget) +
      " designs) and hardware-only "
      "search in " +
      std::to_string(since(tb)) + " s");
  return result;
}

} // namespace brickyard::search
