#include "search/experiment/experiment.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <thread>

#include "jobs/pool.hpp"
#include "model/error.hpp"
#include "model/json_io.hpp"
#include "model/json_reader.hpp"
#include "search/experiment/cells.hpp"
#include "search/nn/clock.hpp"

namespace brickyard::search {

namespace fs = std::filesystem;
using json = nlohmann::json;
using model::JsonReader;
using model::SpecError;

std::vector<std::uint64_t> parse_seeds(const std::string& text) {
  std::vector<std::uint64_t> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    std::size_t used = 0;
    long long v = -1;
    try {
      v = std::stoll(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != item.size() || v < 0 || v > (1LL << 62))
      throw SpecError("seeds", "'" + item + "' is not a seed in 0..2^62 (e.g. --seeds 1,2,3)");
    if (std::find(out.begin(), out.end(), std::uint64_t(v)) != out.end())
      throw SpecError("seeds", "seed " + item + " given twice");
    out.push_back(std::uint64_t(v));
  }
  if (out.empty()) throw SpecError("seeds", "empty (e.g. --seeds 1,2,3)");
  return out;
}

ExperimentConfig experiment_config_from_json(const json& j, const std::string& dir) {
  ExperimentConfig e;
  JsonReader r(j, "");
  e.name = r.get_string("name", e.name);
  if (r.has("seeds")) {
    const json& s = r.raw("seeds");
    if (!s.is_array() || s.empty()) throw SpecError("seeds", "must be a non-empty array of seeds");
    std::string text;
    for (const auto& v : s) {
      if (!v.is_number_integer()) throw SpecError("seeds", "must hold integers");
      text += (text.empty() ? "" : ",") + std::to_string(v.get<long long>());
    }
    e.seeds = parse_seeds(text);
  }
  if (r.has("csq_k_percent")) {
    const json& k = r.raw("csq_k_percent");
    if (!k.is_array()) throw SpecError("csq_k_percent", "must be an array (e.g. [1, 3, 5])");
    e.csq_k_percent.clear();
    for (const auto& v : k) {
      if (!v.is_number() || !(v.get<double>() >= 0.01 && v.get<double>() <= 100))
        throw SpecError("csq_k_percent", "values must be numbers in 0.01..100");
      if (std::find(e.csq_k_percent.begin(), e.csq_k_percent.end(), v.get<double>()) !=
          e.csq_k_percent.end())
        throw SpecError("csq_k_percent", "a value is given twice");
      e.csq_k_percent.push_back(v.get<double>());
    }
  }
  if (r.has("quant_modes")) {
    const json& q = r.raw("quant_modes");
    if (!q.is_array()) throw SpecError("quant_modes", "must be an array (e.g. [\"hard\"])");
    for (const auto& v : q) {
      if (!v.is_string()) throw SpecError("quant_modes", "must hold strings");
      quant_mode_from_string(v.get<std::string>(), "quant_modes");
      if (std::find(e.quant_modes.begin(), e.quant_modes.end(), v.get<std::string>()) !=
          e.quant_modes.end())
        throw SpecError("quant_modes", "'" + v.get<std::string>() + "' is given twice");
      e.quant_modes.push_back(v.get<std::string>());
    }
  }
  if (r.has("methods")) {
    JsonReader m(r.raw("methods"), "methods.");
    e.decoupled = m.get_bool("decoupled", e.decoupled);
    e.hardware_only = m.get_bool("hardware_only", e.hardware_only);
    e.random_search = m.get_bool("random_search", e.random_search);
    m.finish();
  }
  if (!r.has("cosearch")) throw SpecError("cosearch", "missing (a cosearch config or its file)");
  const json& c = r.raw("cosearch");
  if (c.is_string()) {
    fs::path p = c.get<std::string>();
    if (p.is_relative() && !dir.empty() && !fs::exists(p)) p = fs::path(dir) / p;
    e.cosearch = load_cosearch_config(p.string());
  } else if (c.is_object()) {
    try {
      e.cosearch = cosearch_config_from_json(c);
    } catch (const SpecError& err) {
      throw SpecError("cosearch", err.what());
    }
  } else {
    throw SpecError("cosearch", "must be a cosearch config object or a file name");
  }
  r.finish();
  e.source = j;
  e.source["cosearch"] = e.cosearch.source; // self-contained when saved
  return e;
}

ExperimentConfig load_experiment_config(const std::string& path) {
  const json j = model::read_json_file(path, "config");
  try {
    return experiment_config_from_json(j, fs::path(path).parent_path().string());
  } catch (const SpecError& e) {
    throw SpecError("config", "in '" + path + "': " + e.what());
  }
}

MeanStd mean_std(const std::vector<double>& v) {
  MeanStd m;
  double s = 0;
  for (double x : v)
    if (std::isfinite(x)) s += x, ++m.n;
  if (m.n == 0) return {NAN, NAN, 0};
  m.mean = s / m.n;
  double q = 0;
  for (double x : v)
    if (std::isfinite(x)) q += (x - m.mean) * (x - m.mean);
  m.std = m.n > 1 ? std::sqrt(q / (m.n - 1)) : 0;
  return m;
}

bool dominates(double acc_a, double edap_a, double acc_b, double edap_b) {
  return acc_a >= acc_b && edap_a <= edap_b && (acc_a > acc_b || edap_a < edap_b);
}

ExperimentResult run_experiment(const ExperimentConfig& e, const ExperimentRun& run) {
  if (run.out_dir.empty()) throw SpecError("out", "missing (--out DIR)");
  const fs::path out = fs::absolute(run.out_dir);
  std::error_code ec;
  if (run.rank == 0 && !run.resume) {
    if (fs::exists(out, ec) && !run.force)
      throw SpecError("out", "'" + out.string() + "' exists (--force replaces its files, " +
                                 "--resume continues it)");
    fs::create_directories(out, ec);
    if (ec || !fs::is_directory(out))
      throw SpecError("out", "cannot create '" + out.string() + "'");
    if (run.force) // a forced run starts over: finished cells of an older run are not reused
      for (const auto& entry : fs::directory_iterator(out, ec))
        if (entry.path().filename().string().rfind("seed_", 0) == 0) fs::remove_all(entry, ec);
    model::write_text_file((out / "experiment_config.json").string(), e.source.dump(2) + "\n");
  }
  if (run.barrier) run.barrier();
  const auto t0 = Clock::now();
  const std::vector<Cell> all = experiment_cells(e);
  ExperimentResult res;
  // Phase 0: the searches; phase 1: the cells that read them (decoupled). Rank r runs the
  // cells r, r + size, ... of each phase; a phase-1 cell starts as soon as its seed's
  // phase-0 inputs are finished (by any rank), not after every search of every seed.
  std::vector<const Cell*> mine;
  for (int phase = 0; phase < 2; ++phase) {
    std::size_t k = 0;
    for (const Cell& c : all)
      if (c.phase == phase && int(k++ % std::size_t(run.size)) == run.rank) mine.push_back(&c);
  }
  for (std::size_t i = 0; i < mine.size(); ++i) {
    const Cell& c = *mine[i];
    if (run.progress) {
      const double el = since(t0);
      std::string eta;
      if (i > 0)
        eta = ", " + jobs::clock_text(el) + " so far, ETA " +
              jobs::clock_text(el / double(i) * double(mine.size() - i));
      std::fprintf(stderr, "experiment: cell %zu/%zu: seed %llu %s%s\n", i + 1, mine.size(),
                   static_cast<unsigned long long>(c.seed), c.name.c_str(), eta.c_str());
    }
    if (c.phase == 1) {
      bool said = false;
      for (;;) {
        bool ready = true;
        for (const Cell& in : all)
          if (in.phase == 0 && in.seed == c.seed &&
              (in.name == "cosearch" || in.name == "accuracy_first"))
            ready = ready && fs::exists(cell_dir(out, in) / "cell.json", ec);
        if (ready) break;
        if (run.stop && run.stop->load()) {
          res.interrupted = true;
          return res;
        }
        if (run.progress && !said)
          std::fprintf(stderr, "experiment: seed %llu %s waits for its searches on other ranks\n",
                       static_cast<unsigned long long>(c.seed), c.name.c_str());
        said = true;
        std::this_thread::sleep_for(std::chrono::seconds(2));
      }
    }
    if (!run_cell(e, run, out, c)) {
      res.interrupted = true;
      return res;
    }
  }
  if (run.barrier) run.barrier(); // rank 0 reports once every rank's cells are finished
  if (run.rank != 0) return res;
  return experiment_report(e, out.string());
}

} // namespace brickyard::search
