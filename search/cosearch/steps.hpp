#pragma once
// The steps of cosearch() (cosearch.hpp), each callable alone: prepare the output
// directory, load the problem, set up the hardware term, search, derive the design, run the
// baselines, retrain, verify in simulation, report. State passes between them in the small
// structs below; cosearch() is their sequence.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <random>
#include <string>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "model/accelerator.hpp"
#include "model/calibration.hpp"
#include "model/tech.hpp"
#include "search/cosearch/cosearch.hpp"
#include "search/cosearch/hwgen.hpp"
#include "search/nn/data.hpp"
#include "search/nn/derive.hpp"
#include "search/nn/space.hpp"
#include "search/nn/supernet.hpp"
#include "search/nn/train.hpp"

namespace brickyard::search {

// ---- helpers shared by the steps --------------------------------------------------------

// "12.34%" of a fraction.
std::string pct(double fraction);
// Energy x latency x area (J s mm2).
double edap(double e, double l, double a);
// An evaluation as report/design JSON: latency, energy, area, EDAP and per-layer costs.
nlohmann::json cost_json(const HwEval& ev);
// A progress line "cosearch: <s>" on stderr, if `progress`.
void progress_line(bool progress, const std::string& s);
// A preset space takes the data set's input shape and class count; a space file must match.
SearchSpace space_for_data(const std::string& name, DataFormat f);

// The hardware cost of Eq. 9 normalized by the uniform 8-bit initial subnet (`layers8`) on
// the base accelerator (that evaluation in *ref if given): what the co-search's hardware
// term and every baseline's hardware search minimize.
std::unique_ptr<HwCost> normalized_cost(const CosearchConfig& cfg, const model::Tech& tech,
                                        const model::Calibration& cal,
                                        const std::vector<model::Layer>& layers8,
                                        HwEval* ref = nullptr);

// A random accelerator of the space: each head's option drawn from `rng`.
// The expected subnet of the supernet (JAQ Eq. 4 with FBNet's expected cost): the layers of
// every candidate op of every block, weighted by softmax(alpha / tau), with the bit
// features replaced by the expected bits under softmax(beta / tau); fixed layers weigh 1.
HwCost::SoftSubnet soft_subnet(SupernetImpl& net, const ArchChoice& argmax, double tau);

std::array<int, kNumHeads> random_accelerator(const HwSpace& space, std::mt19937_64& rng);
// The hardware-only search every baseline runs: `budget` random accelerators (drawn from
// `rng`), each an exact evaluation of `layers`; the first with the lowest hardware cost.
HwEval hardware_search(HwCost& hw, const HwSpace& space, const std::vector<model::Layer>& layers,
                       int budget, std::mt19937_64& rng);

// ---- steps --------------------------------------------------------------------------------

struct RunDir {
  std::filesystem::path out;        // absolute
  std::filesystem::path checkpoint; // out / checkpoint.pt
};
// Checks or creates OUT (config.json written; a stale checkpoint removed), or checks the
// checkpoint a resume needs.
RunDir prepare_run_dir(const CosearchConfig& config, const CosearchRun& run);

struct Problem {
  Dataset data;
  Split split;
  SearchSpace space;
  Supernet net{nullptr};
  model::Tech tech;
  model::Calibration cal;
};
// Seeds torch, sets the threads, loads the data and builds the supernet.
Problem load_problem(const CosearchConfig& config);

struct Hardware {
  HwEval ref;                              // Eq. 9 normalizers' design
  std::vector<model::Layer> layers8;       // uniform 8-bit initial argmax subnet
  std::unique_ptr<HwCost> cost;            // normalized by ref
  HwGenNet gen{nullptr};                   // hardware generation network
  std::unique_ptr<torch::optim::Adam> opt; // on gen
};
// The hardware term (Eq. 9): references, cost model, generation network (warmed-up cost
// surrogate unless resuming).
Hardware setup_hardware(const CosearchConfig& config, const CosearchRun& run, Problem& p);

struct SearchOutcome {
  SearchResult result;
  std::int64_t arch_steps = 0;
  double hw_seconds = 0, last_cost = 0;
  nlohmann::json hw_log = nlohmann::json::array(); // one record per epoch
  double disagreement_rate = 0; // surrogate disagreement (HwCost::check_disagreement)
  std::int64_t disagreement_checks = 0;
  std::int64_t gumbel_departures = 0; // steps whose sampled accelerator is not the argmax
};
// The supernet search with the hardware term in every architecture step (Eq. 4 + 9),
// checkpointed into dir.checkpoint; result.interrupted on Ctrl-C / stop_after_iters.
SearchOutcome run_search(const CosearchConfig& config, const CosearchRun& run, const RunDir& dir,
                         Problem& p, Hardware& hw);

struct Derived {
  ArchChoice choice;
  std::vector<model::Layer> layers;
  model::Accelerator accel;
  HwEval final_ev; // the design
  HwEval base8;    // its uniform 8-bit version on the base accelerator
  nlohmann::json design;
};
// Subnet, bits, accelerator (noise-free argmax of the generation network) and mappings;
// saves supernet.pt; design JSON without retraining or simulation results.
Derived derive_design(const CosearchConfig& config, const CosearchRun& run, const RunDir& dir,
                      Problem& p, Hardware& hw, const SearchOutcome& s);

struct Baselines {
  nlohmann::json report = nullptr; // report.json's "baselines" (null when off)
  ArchChoice random_choice;        // the random search's winner (retrained by retrain_step)
};
// Random joint search and hardware-only search at the co-search's number of exact
// evaluations, scored one-shot like the search (cross-entropy + lambda * cost).
Baselines run_baselines(const CosearchConfig& config, const CosearchRun& run, Problem& p,
                        Hardware& hardware, const Derived& d, std::int64_t arch_steps);

struct Retrained {
  nlohmann::json report = nullptr; // report.json's "retrain" (null when off)
  double base_acc = -1;            // uniform 8-bit baseline's test accuracy (-1: not trained)
};
// DAQU precision transfer of the design (subnet.pt), the uniform 8-bit baseline and the
// random-search winner; updates d.design's accuracy and b's dominance check.
Retrained retrain_step(const CosearchConfig& config, const CosearchRun& run, const RunDir& dir,
                       Problem& p, Derived& d, Baselines& b);

// Writes OUT/design.json.
void save_design(const RunDir& dir, const nlohmann::json& design);

// Cycle-accurate check of the final design (a child `brickyard simulate --design`); adds
// "simulated" to the design and rewrites design.json; null when config.simulate is off.
nlohmann::json verify_in_simulation(const CosearchConfig& cfg, const CosearchRun& run,
                                    const RunDir& dir, const HwEval& final_ev,
                                    nlohmann::json& design);

struct CosearchReport {
  nlohmann::json report; // report.json
  std::string markdown;  // report.md
};
// report.json and report.md from the steps' results (`seconds`: the whole run's wall time).
CosearchReport make_report(const CosearchConfig& config, const SearchOutcome& s, const Derived& d,
                           const Retrained& r, const Baselines& b, const nlohmann::json& sim,
                           double seconds);
// Writes OUT/report.json and OUT/report.md.
void write_report(const RunDir& dir, const CosearchReport& report);

} // namespace brickyard::search
