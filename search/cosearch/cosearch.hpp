#pragma once
// The joint co-search (issue 8; JAQ "The Overall Joint Pipeline", Eq. 4 and 9): the
// supernet search of train.hpp with a hardware term in every architecture step,
//   loss = CE + lambda * (lE * E / E0 + lL * L / L0 + lA * A / A0),
// where the accelerator comes from the hardware generation network (hwgen.hpp) fed with
// the current argmax subnet, E/L/A are exact (estimator + BatchTile), E0/L0/A0 those of the
// uniform 8-bit version of the initial argmax subnet on the base (BitFusion default)
// accelerator, and gradients reach alpha/beta and the generation network through the cost
// surrogate (expected subnet over the Gumbel weights) and the exact area.
// After the search: derive the subnet, its bits, the accelerator and per-layer mappings;
// retrain the subnet with DAQU's precision transfer (8-bit first, then the chosen bits,
// starting from the 8-bit weights); simulate the design cycle-accurately (a child
// `brickyard simulate` process); write design.json, report.json, report.md.
// The steps are in steps.hpp, the baselines in baselines.cpp, the retraining in retrain.hpp.
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/accelerator.hpp"
#include "search/cosearch/hwgen.hpp"
#include "search/cosearch/retrain.hpp"
#include "search/nn/data.hpp"
#include "search/nn/supernet.hpp"
#include "search/nn/train.hpp"

namespace brickyard::search {

struct CosearchConfig {
  std::string name = "cosearch";
  DataOptions data;
  std::string space = "small"; // preset or space JSON path
  SupernetOptions supernet;
  SearchOptions search;
  // Hardware term (Eq. 9).
  double lambda = 1.0;
  HwCostOptions hw; // lambda_energy/latency/area; refs are computed, not configured
  HwSpace hw_space; // base = BitFusion's default accelerator unless configured
  HwGenOptions gen;
  double hw_lr = 1e-3; // Adam on the generation network
  double hw_prior = 3; // initial logit bonus of the base accelerator's options (0: none)
  int warm_up_samples = 32;
  // Cost model trained offline (brickyard cost-model): "" = none, the surrogate learns online
  // only; "default" resolves to data/cost/default.pt. hw.surrogate_steps > 0 keeps training
  // it online on the search's exact evaluations.
  std::string cost_model;
  // Surrogate disagreement checks: every `disagreement_every` architecture steps (0: never),
  // `disagreement_checks` counted checks (one-head changes that are not near-ties).
  int disagreement_every = 1;
  int disagreement_checks = 3;
  // Baselines in the same harness (issue 8 item 5): random search over the joint space and
  // hardware-only search for the fixed uniform 8-bit network, each with as many exact
  // hardware evaluations as the co-search's architecture steps (at most baseline_max, a
  // bound for long searches); candidates scored one-shot on baseline_val validation images.
  bool baselines = true;
  int baseline_max = 1000;
  std::int64_t baseline_val = 500;
  int baseline_bn_batches = 4;  // BatchNorm re-estimation batches (128 images) per candidate
  bool baseline_retrain = true; // retrain the random-search winner like the design (if retrain)
  RetrainOptions retrain;
  bool simulate = true;    // cycle-accurate check of the final design
  std::string calibration; // estimator coefficients ("" = data/calibration/default.json)
  std::uint64_t seed = 1;
  nlohmann::json source; // the JSON this config was read from (saved as OUT/config.json)
};

// Reads a config file (JSON); unknown keys and bad values raise model::SpecError naming
// the field ("search.epochs", "hardware.lambda", ...). Presets of `space` and the base
// accelerator resolve as in the rest of brickyard.
CosearchConfig load_cosearch_config(const std::string& path);
CosearchConfig cosearch_config_from_json(const nlohmann::json& j);
// What a config will run, resolved (presets, defaults), for people: `cosearch --check`.
std::string describe_config(const CosearchConfig& c);

struct CosearchRun {
  std::string out_dir; // created; must not exist unless `force` or `resume`
  bool force = false;
  // Continue the run in out_dir from its checkpoint.pt (written at the end of every search
  // epoch, on `stop` and when the search ends); the config is the run's own config.json.
  bool resume = false;
  const std::atomic<bool>* stop = nullptr;     // Ctrl-C: checkpoint and return, interrupted
  std::int64_t stop_after_iters = 0;           // stop as Ctrl-C would after this many (tests)
  std::function<void()> search_done;           // called when the search returns (restore signals)
  std::vector<std::string> sim_worker_command; // the simulation worker ("" = the service's)
  bool progress = true;
};

struct CosearchResult {
  nlohmann::json design;    // what design.json holds
  nlohmann::json report;    // what report.json holds
  bool interrupted = false; // stopped during the search; resume with CosearchRun::resume
  std::string checkpoint;   // its path
};

// The whole pipeline: the steps of steps.hpp in order.
CosearchResult cosearch(const CosearchConfig& config, const CosearchRun& run);

} // namespace brickyard::search
