// The cells of an experiment: the co-search runs (cosearch, csq_k<K>, accuracy_first) and
// the decoupled baseline, each producing records for experiment.json.
#include "search/experiment/cells.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <random>

#include <torch/torch.h>

#include "model/error.hpp"
#include "model/json_io.hpp"
#include "search/cosearch/steps.hpp"
#include "search/nn/clock.hpp"
#include "search/quantize/allocate.hpp"
#include "search/quantize/cost_table.hpp"
#include "search/quantize/sensitivity.hpp"

namespace brickyard::search {

namespace fs = std::filesystem;
using json = nlohmann::json;
using model::SpecError;

namespace {

std::string k_name(double k) {
  char b[32];
  std::snprintf(b, sizeof b, "csq_k%g", k);
  return b;
}

json finite_or_null(const json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_number() ? j[key] : json(nullptr);
}

void say(const ExperimentRun& run, const std::string& s) {
  if (run.progress) std::fprintf(stderr, "experiment: %s\n", s.c_str());
}

// A method's record from a design's costs.
json record(const json& val, const json& test, const json& predicted, const json& accel,
            const json& choice, double wall_s, int test_reads, std::int64_t evaluations) {
  return {{"val_accuracy", val},
          {"test_accuracy", test},
          {"latency_s", predicted.at("latency_s")},
          {"energy_j", predicted.at("energy_j")},
          {"area_mm2", predicted.at("area_mm2")},
          {"edap", predicted.at("edap")},
          {"accelerator", accel},
          {"choice", choice},
          {"wall_s", wall_s},
          {"test_reads", test_reads},
          {"exact_evaluations", evaluations}};
}

// The uniform 8-bit initial argmax subnet of the config's space: the co-search's Eq. 9
// reference network, which every cell's hardware cost is normalized by.
std::vector<model::Layer> reference_layers(const CosearchConfig& cfg) {
  const SearchSpace space = space_for_data(cfg.space, cfg.data.format);
  Supernet n(space, cfg.supernet);
  return describe(space, with_bits(argmax_choice(*n), 8));
}

struct HwSearch {
  HwEval best;
  int evaluations = 0;
  double seconds = 0;
};

// The baselines' hardware search (steps.hpp), timed.
HwSearch timed_hardware_search(HwCost& hw, const HwSpace& space,
                               const std::vector<model::Layer>& layers, int budget,
                               std::uint64_t seed) {
  const auto t0 = Clock::now();
  std::mt19937_64 rng(seed);
  HwSearch r;
  r.best = hardware_search(hw, space, layers, budget, rng);
  r.evaluations = budget;
  r.seconds = since(t0);
  return r;
}

void write_cell(const fs::path& dir, const Cell& c, const json& methods, const json& extra = {}) {
  json j = {{"cell", c.name}, {"seed", c.seed}, {"methods", methods}};
  if (!extra.is_null()) j["details"] = extra;
  model::write_text_file((dir / "cell.json").string(), j.dump(2) + "\n");
}

// Runs the co-search of a cell, resuming it or reusing a finished one; false if interrupted.
bool cosearch_cell(const ExperimentConfig& e, const ExperimentRun& run, const fs::path& out,
                   const Cell& c) {
  const fs::path dir = cell_dir(out, c);
  std::error_code ec;
  if (fs::exists(dir / "report.json", ec) && fs::exists(dir / "design.json", ec)) return true;
  CosearchRun r;
  r.out_dir = dir.string();
  r.resume = fs::exists(dir / "checkpoint.pt", ec);
  r.force = true; // a cell without a checkpoint starts over
  r.stop = run.stop;
  r.sim_worker_command = run.sim_worker_command;
  r.progress = run.progress;
  if (r.resume) say(run, "resuming " + dir.string());
  const CosearchResult cr = cosearch(cell_config(e, out, c), r);
  return !cr.interrupted;
}

int budget_of(const CosearchConfig& cfg, const json& report) {
  const std::int64_t steps = report.at("search").at("architecture_steps").get<std::int64_t>();
  return int(std::min<std::int64_t>(std::max<std::int64_t>(steps, 1), cfg.baseline_max));
}

void finish_cosearch_cell(const fs::path& out, const Cell& c) {
  const fs::path dir = cell_dir(out, c);
  const json report = model::read_json_file((dir / "report.json").string(), "report");
  const json design = model::read_json_file((dir / "design.json").string(), "design");
  const json& acc = design.at("accuracy");
  const json& b = report["baselines"];
  double wall = report.at("seconds").get<double>();
  json methods = json::object();
  const std::string method = c.name == "cosearch"            ? "cosearch"
                             : c.name.rfind("mode_", 0) == 0 ? "cosearch_" + c.name.substr(5)
                                                             : "cosearch_" + c.name;
  if (b.is_object() && b["random_search"].is_object()) {
    const json& rs = b["random_search"];
    const double rs_wall = b.value("seconds", 0.0) + rs.value("retrain_seconds", 0.0);
    wall -= rs_wall;
    methods["random_search"] = record(
        finite_or_null(rs, "val_accuracy"), finite_or_null(rs, "test_accuracy"), rs.at("predicted"),
        rs.at("accelerator"), rs.at("choice"), report["search"].value("seconds", 0.0) + rs_wall,
        rs.value("test_reads", 0), b.value("budget_exact_evaluations", 0));
    methods["random_search"]["one_shot_val_accuracy"] = rs["one_shot_val_accuracy"];
  }
  methods[method] = record(
      finite_or_null(acc, "retrained_val"), finite_or_null(acc, "retrained_test"),
      design.at("predicted"), design.at("accelerator"), design.at("choice"), wall,
      report["retrain"].value("test_reads", 0), report["search"].value("architecture_steps", 0));
  methods[method]["surrogate_disagreement"] = report["search"]["surrogate_disagreement"];
  methods[method]["surrogate_disagreement_checks"] =
      report["search"]["surrogate_disagreement_checks"];
  if (report["simulated"].is_object())
    methods[method]["max_abs_cycles_error"] = report["simulated"]["max_abs_cycles_error"];
  write_cell(dir, c, methods);
}

void finish_accuracy_first(const ExperimentConfig& e, const ExperimentRun& run, const fs::path& out,
                           const Cell& c) {
  const fs::path dir = cell_dir(out, c);
  const CosearchConfig cfg = cell_config(e, out, c);
  const json report = model::read_json_file((dir / "report.json").string(), "report");
  const json design = model::read_json_file((dir / "design.json").string(), "design");
  const SearchSpace space = space_for_data(cfg.space, cfg.data.format);
  const ArchChoice choice = choice_from_json(space, design.at("choice"), "design.choice");
  auto hw = normalized_cost(cfg, model::load_tech(cfg.hw_space.base.tech),
                            model::load_calibration(cfg.calibration), reference_layers(cfg));
  const int budget = budget_of(cfg, report);
  const HwSearch hs =
      timed_hardware_search(*hw, cfg.hw_space, describe(space, choice), budget, c.seed + 77);
  say(run, "hardware-only search (seed " + std::to_string(c.seed) +
               "): " + std::to_string(hs.evaluations) + " accelerators in " +
               std::to_string(hs.seconds) + " s");
  const json& acc = design.at("accuracy");
  json methods = json::object();
  if (e.hardware_only)
    methods["hardware_only"] =
        record(finite_or_null(acc, "retrained_val"), finite_or_null(acc, "retrained_test"),
               cost_json(hs.best), model::to_json(hs.best.accel), design.at("choice"),
               report.at("seconds").get<double>() + hs.seconds,
               report["retrain"].value("test_reads", 0), hs.evaluations);
  write_cell(dir, c, methods);
}

// One row per block that has layers: the block's layer indices in describe() order.
std::vector<std::vector<std::size_t>> block_layers(const std::vector<model::Layer>& layers,
                                                   std::size_t num_blocks) {
  std::vector<std::vector<std::size_t>> rows(num_blocks);
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const std::string& n = layers[i].name;
    if (n.size() < 2 || n[0] != 'b' || n.find('.') == std::string::npos) continue;
    const std::size_t b = std::stoul(n.substr(1, n.find('.') - 1));
    if (b < num_blocks) rows[b].push_back(i);
  }
  return rows;
}

bool decoupled_cell(const ExperimentConfig& e, const ExperimentRun& run, const fs::path& out,
                    const Cell& c) {
  const fs::path dir = cell_dir(out, c);
  const Cell af{c.seed, "accuracy_first", 0, 0, ""}, cs{c.seed, "cosearch", 0, 0, ""};
  const fs::path afd = cell_dir(out, af), csd = cell_dir(out, cs);
  const json af_design = model::read_json_file((afd / "design.json").string(), "design");
  const json cs_report = model::read_json_file((csd / "report.json").string(), "report");
  // The accuracy-first search is the decoupled flow's first step: its time counts.
  const double af_search_s = model::read_json_file((afd / "report.json").string(), "report")
                                 .at("search")
                                 .value("seconds", 0.0);
  const CosearchConfig cfg = cell_config(e, out, af); // its data, split, space and schedule
  const auto t0 = Clock::now();
  std::error_code ec;
  fs::create_directories(dir, ec);
  Problem p = load_problem(cfg);
  torch::load(p.net, (afd / "supernet.pt").string());
  const ArchChoice choice = choice_from_json(p.space, af_design.at("choice"), "design.choice");
  auto hw = normalized_cost(cfg, p.tech, p.cal, reference_layers(cfg));
  const model::Accelerator cs_accel =
      model::accelerator_from_json(cs_report.at("design").at("accelerator"), "accelerator");
  const double budget_s = cs_report.at("design").at("predicted").at("latency_s").get<double>();
  const auto shapes = blocks(p.space);
  const auto pairs = bit_pairs();
  // The same ops with every bit width: the space the allocated network lives in.
  const SearchSpace full = space_for_data(e.cosearch.space, e.cosearch.data.format);
  json alloc_json;
  // The OHQ-style allocation, per block (the space's granularity), on the trained 8-bit
  // network: KL sensitivity of each layer at each pair on 256 training images (float
  // elsewhere), summed per block; costs on the co-searched accelerator; the latency budget
  // is the co-searched design's latency; stem, head and classifier stay at 8/8 as in the
  // co-search.
  auto choose = [&](SubnetImpl& s8) {
    Subnet f(*p.net, with_bits(choice, 8));
    copy_state(s8, *f);
    const std::vector<model::Layer> layers = f->layers();
    f->set_layer_bits(std::vector<ConvBits>(layers.size(), ConvBits{0, 0}));
    f->eval();
    const torch::Tensor rows = torch::cat({p.split.train_w, p.split.train_a});
    torch::manual_seed(c.seed + 5);
    const auto pick = torch::randperm(rows.size(0), torch::kInt64).slice(0, 0, 256);
    const auto images = p.data.images.index_select(0, rows.index_select(0, pick));
    const auto sens = kl_sensitivity(*f, images, pairs);
    // Per-layer latency and energy at every pair (every block at that pair).
    std::vector<std::vector<double>> lat(layers.size()), en(layers.size());
    for (const auto& pr : pairs) {
      ArchChoice cp = choice;
      std::fill(cp.a_bits.begin(), cp.a_bits.end(), pr.a_bits);
      std::fill(cp.w_bits.begin(), cp.w_bits.end(), pr.w_bits);
      const HwEval ev = hw->exact(describe(full, cp), cs_accel);
      for (std::size_t i = 0; i < layers.size(); ++i) {
        lat[i].push_back(double(ev.layers[i].cycles) / cs_accel.clock_hz);
        en[i].push_back(ev.layers[i].energy_j);
      }
    }
    const auto rows_of = block_layers(layers, shapes.size());
    int j8 = 0;
    for (std::size_t j = 0; j < pairs.size(); ++j)
      if (pairs[j].a_bits == 8 && pairs[j].w_bits == 8) j8 = int(j);
    double fixed = 0, lat8 = 0, smax = 1e-300;
    std::vector<bool> in_block(layers.size(), false);
    for (const auto& r : rows_of)
      for (std::size_t i : r) in_block[i] = true;
    for (std::size_t i = 0; i < layers.size(); ++i) {
      if (!in_block[i])
        fixed += lat[i][std::size_t(j8)];
      else
        lat8 += lat[i][std::size_t(j8)];
      for (double v : sens[i]) smax = std::max(smax, v);
    }
    AllocationProblem prob;
    std::vector<std::size_t> which; // block of each ILP row
    for (std::size_t b = 0; b < rows_of.size(); ++b) {
      if (rows_of[b].empty()) continue;
      which.push_back(b);
      std::vector<double> s(pairs.size(), 0), l(pairs.size(), 0), n(pairs.size(), 0);
      for (std::size_t j = 0; j < pairs.size(); ++j)
        for (std::size_t i : rows_of[b]) {
          s[j] += sens[i][j] / smax;
          l[j] += lat[i][j] / lat8;
          n[j] += en[i][j];
        }
      prob.sensitivity.push_back(s);
      prob.latency.push_back(l);
      prob.energy.push_back(n);
    }
    const double budget_blocks = (budget_s - fixed) / lat8;
    prob.latency_budget = budget_blocks;
    AllocationResult a = solve_allocation(prob);
    bool clamped = false;
    if (!a.feasible && a.min_latency_budget) { // tighter than all-lowest bits: the floor
      prob.latency_budget = *a.min_latency_budget * (1 + 1e-9);
      a = solve_allocation(prob);
      clamped = true;
    }
    if (!a.feasible) throw std::runtime_error("decoupled allocation: " + a.status);
    ArchChoice cb = choice;
    for (std::size_t r = 0; r < which.size(); ++r) {
      cb.a_bits[which[r]] = pairs[std::size_t(a.choice[r])].a_bits;
      cb.w_bits[which[r]] = pairs[std::size_t(a.choice[r])].w_bits;
    }
    std::vector<ConvBits> bits;
    for (const auto& l : describe(full, cb)) bits.push_back({l.a_bits, l.w_bits});
    alloc_json = {{"latency_budget_s", budget_s},
                  {"budget_clamped_to_floor", clamped},
                  {"accelerator", model::to_json(cs_accel)},
                  {"ilp_status", a.status},
                  {"calibration_images", 256},
                  {"choice", to_json(full, cb)}};
    say(run, "decoupled (seed " + std::to_string(c.seed) + "): ILP " + a.status +
                 (clamped ? " (budget below the all-lowest-bits floor: the floor)" : ""));
    return bits;
  };
  Transfer t = precision_transfer(*p.net, choice, p.data, p.split, cfg.retrain, cfg.seed,
                                  run.progress, "decoupled", choose);
  if (run.stop && run.stop->load()) return false;
  std::vector<model::Layer> layers = describe(p.space, with_bits(choice, 8));
  const auto& bits = t.sq->layer_bits();
  for (std::size_t i = 0; i < layers.size(); ++i)
    layers[i].a_bits = bits[i].a_bits, layers[i].w_bits = bits[i].w_bits;
  const int budget = budget_of(cfg, cs_report);
  const HwSearch hs = timed_hardware_search(*hw, cfg.hw_space, layers, budget, c.seed + 88);
  json methods = {
      {"decoupled",
       record(std::isfinite(t.tq.val_accuracy) ? json(t.tq.val_accuracy) : json(nullptr),
              std::isfinite(t.tq.test_accuracy) ? json(t.tq.test_accuracy) : json(nullptr),
              cost_json(hs.best), model::to_json(hs.best.accel), alloc_json.at("choice"),
              af_search_s + since(t0), int(t.t8.test_read) + int(t.tq.test_read), hs.evaluations)}};
  write_cell(dir, c, methods, {{"allocation", alloc_json}});
  return true;
}

} // namespace

std::vector<Cell> experiment_cells(const ExperimentConfig& e) {
  std::vector<Cell> v;
  for (std::uint64_t s : e.seeds) {
    v.push_back({s, "cosearch", 0, 0, ""});
    for (double k : e.csq_k_percent) v.push_back({s, k_name(k), 0, k, ""});
    for (const auto& m : e.quant_modes) v.push_back({s, "mode_" + m, 0, 0, m});
    if (e.decoupled || e.hardware_only) v.push_back({s, "accuracy_first", 0, 0, ""});
  }
  if (e.decoupled)
    for (std::uint64_t s : e.seeds) v.push_back({s, "decoupled", 1, 0, ""});
  return v;
}

fs::path cell_dir(const fs::path& out, const Cell& c) {
  return out / ("seed_" + std::to_string(c.seed)) / c.name;
}

CosearchConfig cell_config(const ExperimentConfig& e, const fs::path& out, const Cell& c) {
  json j = e.cosearch.source;
  j["seed"] = c.seed;
  j["name"] = e.name + "/seed_" + std::to_string(c.seed) + "/" + c.name;
  // Every method is retrained with the same schedule; the test set is read once, at the end.
  j["retrain"]["enabled"] = true;
  j["retrain"]["baseline"] = false;
  j["retrain"]["test_after_transfer"] = false;
  if (c.name == "cosearch") {
    j["hardware"]["baselines"] = e.random_search;
    j["hardware"]["baseline_retrain"] = true;
  } else if (c.k_percent > 0) {
    j["quant"] = {{"mode", "csq"}, {"k_percent", c.k_percent}};
    j["hardware"]["baselines"] = false;
  } else if (!c.mode.empty()) {
    json q = j.contains("quant") ? j["quant"] : json::object();
    q["mode"] = c.mode;
    j["quant"] = q;
    j["hardware"]["baselines"] = false;
  } else if (c.name == "accuracy_first" || c.name == "decoupled") {
    // Architecture search without the hardware term, over ops at uniform 8 bits.
    const CosearchConfig& b = e.cosearch;
    SearchSpace s = space_for_data(b.space, b.data.format);
    s.a_bits = {8};
    s.w_bits = {8};
    s.name += "_8bit";
    const fs::path sp = out / (s.name + "_space.json");
    std::error_code ec;
    if (!fs::exists(sp, ec)) {
      fs::create_directories(out, ec);
      model::write_text_file(sp.string(), to_json(s).dump(2) + "\n");
    }
    j["space"] = sp.string();
    j["quant"] = {{"mode", "full"}};
    j["hardware"]["lambda"] = 0;
    j["hardware"]["baselines"] = false;
    j["simulate"] = false;
  }
  return cosearch_config_from_json(j);
}

bool run_cell(const ExperimentConfig& e, const ExperimentRun& run, const fs::path& out,
              const Cell& c) {
  const fs::path dir = cell_dir(out, c);
  std::error_code ec;
  if (fs::exists(dir / "cell.json", ec)) {
    say(run, "seed " + std::to_string(c.seed) + " " + c.name + " done already");
    return true;
  }
  if (c.name == "decoupled") return decoupled_cell(e, run, out, c);
  if (!cosearch_cell(e, run, out, c)) return false;
  if (c.name == "accuracy_first")
    finish_accuracy_first(e, run, out, c);
  else
    finish_cosearch_cell(out, c);
  return true;
}

} // namespace brickyard::search
