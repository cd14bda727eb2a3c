#pragma once
// `brickyard experiment`: does the co-search find better designs than the other ways a
// user could get one, at the same budget, over several seeds? For every seed it runs the
// co-search and the baselines below with the same search schedule, the same number of exact
// hardware evaluations and the same retraining (DAQU precision transfer: transfer epochs at
// 8 bits, then the chosen bits), and reports, per method, validation and test accuracy,
// latency, energy, area and EDAP with their mean and standard deviation over the seeds.
//
// Protocol: every choice is made on data held out of the training rows (the validation
// split of DataOptions, 10,000 Fashion-MNIST images by default, seeded): the search's
// architecture, the baselines' winners (random search ranked one-shot on validation
// images), the decoupled baseline's bits (label-free sensitivity on training images). The
// test set is read once per finished model, after retraining, for the report.
//
// Methods (cells are the runs that produce them, DIR/seed_<s>/<cell>/):
//   cosearch          the configured co-search (cell "cosearch", quant mode as configured);
//   random_search     same cell: random joint samples of ops, bits and accelerator ranked
//                     one-shot on the co-search's supernet (BatchNorm re-estimated per
//                     candidate), by the co-search's objective CE + lambda * cost; the
//                     winner retrained like the design;
//   cosearch_csq_k<K> the co-search with CSQ at K % (cells "csq_k<K>");
//   cosearch_<mode>   the co-search with another quantization mode (cells "mode_<mode>");
//   hardware_only     the accuracy-first network (cell "accuracy_first": the same search
//                     with lambda 0 over ops at uniform 8 bits), retrained at 8 bits, then a
//                     hardware search for it: random accelerators, the best by the
//                     co-search's hardware cost;
//   decoupled         what a practitioner does without brickyard (cell "decoupled"): the
//                     accuracy-first network, then per-block bits by the OHQ-style ILP (KL
//                     sensitivity, GLPK) under the co-searched design's latency on the
//                     co-searched accelerator, then the hardware search for that network.
// The hardware searches get as many exact evaluations as the co-search made architecture
// steps (hardware.baseline_max at most), as the random search does.
//
// Outputs: DIR/experiment.json, DIR/experiment.md, DIR/experiment.png (accuracy vs EDAP).
// Resumable: a finished cell is reused, an interrupted co-search resumed from its
// checkpoint. Under mpirun the cells are spread over the ranks.
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "search/cosearch/cosearch.hpp"

namespace brickyard::search {

struct ExperimentConfig {
  std::string name = "experiment";
  std::vector<std::uint64_t> seeds = {1, 2, 3};
  std::vector<double> csq_k_percent = {1, 3, 5};
  // More co-search variants, one per quantization mode ("full", "hard", "csq_channel0",
  // ...; cells "mode_<m>", methods "cosearch_<m>"): JAQ Table 7's ablations.
  std::vector<std::string> quant_modes;
  bool decoupled = true, hardware_only = true, random_search = true;
  CosearchConfig cosearch; // the co-search every method shares its schedule with
  nlohmann::json source;   // the JSON read (saved as DIR/experiment_config.json)
};

// {"name", "seeds": [..], "csq_k_percent": [..], "quant_modes": [..],
//  "methods": {"decoupled": true, ...},
//  "cosearch": {...a cosearch config...} or "FILE"}; SpecError naming the field.
ExperimentConfig experiment_config_from_json(const nlohmann::json& j, const std::string& dir = "");
ExperimentConfig load_experiment_config(const std::string& path);
// "1,2,3" -> {1, 2, 3}; SpecError("seeds", ...) otherwise.
std::vector<std::uint64_t> parse_seeds(const std::string& text);

struct ExperimentRun {
  std::string out_dir;
  bool force = false, resume = false;
  int rank = 0, size = 1;
  std::function<void()> barrier; // MPI; null with one rank
  const std::atomic<bool>* stop = nullptr;
  std::vector<std::string> sim_worker_command;
  bool progress = true;
};

struct ExperimentResult {
  nlohmann::json report; // experiment.json (rank 0)
  bool interrupted = false;
  std::string plot_note;
};

ExperimentResult run_experiment(const ExperimentConfig& config, const ExperimentRun& run);

// The report part alone, from the cells' cell.json files (rank 0, tests). With
// allow_partial, unfinished cells are listed ("unfinished_cells") and left out, so the
// means are over the seeds that finished (each method's "n"); otherwise one is an error.
ExperimentResult experiment_report(const ExperimentConfig& config, const std::string& out_dir,
                                   bool allow_partial = false);

// ---- pieces, for tests ----------------------------------------------------------------------

struct MeanStd {
  double mean = 0, std = 0; // sample standard deviation (n - 1); 0 for one value
  int n = 0;
};
// Over the finite values only.
MeanStd mean_std(const std::vector<double>& v);
// a dominates b: accuracy >= and EDAP <=, one strictly.
bool dominates(double acc_a, double edap_a, double acc_b, double edap_b);

} // namespace brickyard::search
