#include "search/quantize/cost_table.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "jobs/files.hpp"
#include "jobs/pool.hpp"
#include "model/error.hpp"
#include "model/estimator.hpp"
#include "model/json_io.hpp"
#include "search/nn/clock.hpp"
#include "sysc/service.hpp"

namespace brickyard::search {

namespace fs = std::filesystem;
using json = nlohmann::json;
using model::SpecError;

namespace {

// FNV-1a, 64 bits: a cache file name, not a security property (the full key is stored in
// the file and compared on reading).
std::uint64_t fnv1a(const std::string& s, std::uint64_t h = 1469598103934665603ull) {
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

std::string hex(std::uint64_t v) {
  char b[17];
  std::snprintf(b, sizeof b, "%016llx", static_cast<unsigned long long>(v));
  return b;
}

std::string tech_path(const std::string& name_or_path) {
  if (name_or_path.find('/') == std::string::npos &&
      name_or_path.find(".json") == std::string::npos)
    return model::data_dir() + "/tech/" + name_or_path + ".json";
  return name_or_path;
}

// One simulator child: `brickyard simulate --design <group>.json --json -q`.
// One simulation job: the missing layers of one bit pair, as a network on the accelerator.
struct Group {
  int pair = 0;
  std::vector<std::size_t> layers;
  sysc::SimJob job;
};

void write_atomically(const fs::path& p, const std::string& text) {
  // Unique temp name per process: two runs sharing a cache never write the same temp file.
  fs::path tmp = p;
  tmp += ".tmp." + std::to_string(getpid());
  {
    std::ofstream f(tmp);
    f << text;
    if (!f) throw std::runtime_error("cannot write '" + tmp.string() + "'");
  }
  fs::rename(tmp, p);
}

// Every layer at every pair: one network of L x P layers, layer-major.
model::Network all_cells(const std::vector<model::Layer>& layers,
                         const std::vector<BitPair>& pairs) {
  model::Network all;
  all.name = "cost_table";
  for (const auto& l0 : layers)
    for (const auto& p : pairs) {
      model::Layer l = l0;
      l.a_bits = p.a_bits;
      l.w_bits = p.w_bits;
      all.layers.push_back(l);
    }
  return all;
}

// Best mapping of every (layer, pair), mapped in parallel, and its estimated cost.
CostTable map_cells(const model::Network& all, const std::vector<model::Layer>& layers,
                    const model::Accelerator& accel, const std::vector<BitPair>& pairs,
                    const CostTableOptions& o, const model::Tech& tech,
                    const model::Calibration& cal) {
  model::MapperOptions mo;
  mo.objective = o.objective;
  mo.threads = o.jobs;
  const auto maps = model::map_network(all, accel, tech, cal, mo);

  CostTable t;
  t.pairs = pairs;
  t.source = o.source;
  t.cells.assign(layers.size(), std::vector<CellCost>(pairs.size()));
  const std::size_t P = pairs.size();
  for (std::size_t l = 0; l < layers.size(); ++l)
    for (std::size_t j = 0; j < P; ++j) {
      const auto& r = maps[l * P + j];
      if (!r.feasible)
        throw SpecError("accel", "layer '" + layers[l].name + "' at " +
                                     std::to_string(pairs[j].a_bits) + "/" +
                                     std::to_string(pairs[j].w_bits) +
                                     " bits fits no mapping: " + r.cost.infeasible_reason);
      auto& c = t.cells[l][j];
      c.mapping = r.mapping;
      c.cycles = r.cost.cycles;
      c.latency_s = double(r.cost.cycles) / accel.clock_hz;
      c.energy_j = r.cost.energy_j;
    }
  return t;
}

struct CacheLookup {
  std::vector<std::vector<std::string>> keys; // [layer][pair]: everything a cell depends on
  std::vector<std::vector<bool>> missing;     // [layer][pair]: not in the cache
  std::int64_t n_missing = 0;
};

// Simulator: cache lookup by a key of everything the simulated numbers depend on; cached
// cells are filled into t.
CacheLookup read_cache(const model::Network& all, const model::Accelerator& accel,
                       const CostTableOptions& o, const fs::path& cache, CostTable& t) {
  const std::size_t P = t.pairs.size(), n_layers = t.cells.size();
  const std::string sim_id = hex(fnv1a(
      jobs::slurp(o.sim_worker_command.empty() ? sysc::worker_path() : o.sim_worker_command[0])));
  const std::string tech_id = hex(fnv1a(jobs::slurp(tech_path(accel.tech))));
  json acc = model::to_json(accel);
  acc.erase("name");
  if (o.use_cache) {
    std::error_code ec;
    fs::create_directories(cache, ec);
    if (ec || !fs::is_directory(cache))
      throw SpecError("cache", "cannot create '" + cache.string() + "'");
  }
  CacheLookup lookup;
  lookup.keys.assign(n_layers, std::vector<std::string>(P));
  lookup.missing.assign(n_layers, std::vector<bool>(P, true));
  auto& keys = lookup.keys;
  auto& missing = lookup.missing;
  std::int64_t& n_missing = lookup.n_missing;
  for (std::size_t l = 0; l < n_layers; ++l)
    for (std::size_t j = 0; j < P; ++j) {
      json lj = model::to_json(all.layers[l * P + j]);
      lj.erase("name");
      const json key = {{"kind", "brickyard quantize cost cell v1"},
                        {"engine", "native"},
                        {"layer", lj},
                        {"accelerator", acc},
                        {"mapping", model::to_json(t.cells[l][j].mapping)},
                        {"tech", tech_id},
                        {"simulator", sim_id}};
      keys[l][j] = key.dump();
      if (o.use_cache) {
        const fs::path f = cache / (hex(fnv1a(keys[l][j])) + ".json");
        std::error_code ec;
        if (fs::exists(f, ec)) {
          try {
            const json c = json::parse(jobs::slurp(f));
            if (c.at("key").get<std::string>() == keys[l][j]) {
              auto& cell = t.cells[l][j];
              cell.cycles = c.at("cycles").get<std::int64_t>();
              cell.latency_s = c.at("latency_s").get<double>();
              cell.energy_j = c.at("energy_j").get<double>();
              cell.cached = true;
              missing[l][j] = false;
              ++t.cache_hits;
              continue;
            }
          } catch (const std::exception&) {
            // An unreadable entry is simulated again and rewritten.
          }
        }
      }
      ++n_missing;
    }
  return lookup;
}

// Groups: the missing layers of one pair, cut so that there are about 2 groups per job
// (balance, and progress lines with an ETA), each one simulation job.
std::vector<Group> make_groups(const model::Network& all, const model::Accelerator& accel,
                               const CostTableOptions& o, const CostTable& t,
                               const CacheLookup& c) {
  const std::size_t P = t.pairs.size(), n_layers = t.cells.size();
  const auto& missing = c.missing;
  const std::int64_t n_missing = c.n_missing;
  std::vector<Group> groups;
  const std::int64_t chunk =
      std::max<std::int64_t>(1, (n_missing + 2 * o.jobs - 1) / (2 * std::int64_t(o.jobs)));
  for (std::size_t j = 0; j < P; ++j) {
    Group g;
    g.pair = int(j);
    for (std::size_t l = 0; l < n_layers; ++l) {
      if (!missing[l][j]) continue;
      g.layers.push_back(l);
      if (std::int64_t(g.layers.size()) == chunk) {
        groups.push_back(g);
        g.layers.clear();
      }
    }
    if (!g.layers.empty()) groups.push_back(g);
  }
  for (std::size_t i = 0; i < groups.size(); ++i) {
    auto& g = groups[i];
    g.job.id = "cost group " + std::to_string(i);
    g.job.network.name = "cost_group_" + std::to_string(i);
    for (auto l : g.layers) {
      g.job.network.layers.push_back(all.layers[l * P + std::size_t(g.pair)]);
      g.job.mappings.push_back(t.cells[l][std::size_t(g.pair)].mapping);
    }
    g.job.accel = accel;
  }
  return groups;
}

// Simulates the groups through the simulation service, `jobs` workers at a time, and
// fills t's cells (and the cache) from each group's results.
void simulate_groups(std::vector<Group>& groups, const CostTableOptions& o, CostTable& t,
                     const std::vector<std::vector<std::string>>& keys, const fs::path& cache) {
  auto say = [&](const std::string& s) {
    if (o.progress) o.progress(s);
  };
  const auto ts = Clock::now();
  std::vector<sysc::SimJob> sims;
  for (const auto& g : groups) sims.push_back(g.job);
  sysc::ServiceOptions so;
  so.jobs = o.jobs;
  so.worker_command = o.sim_worker_command;
  so.on_done = [&](const sysc::SimOutcome& r, std::size_t done, std::size_t total) {
    const Group& g = groups[r.index];
    ++t.children;
    if (!r.ok)
      throw std::runtime_error("cost table: simulation of " + g.job.id + " failed: " + r.error);
    if (sysc::mismatches(r.stats))
      throw std::runtime_error("cost table: simulated outputs differ from the reference");
    const auto& sl = r.stats.layers;
    if (sl.size() != g.layers.size())
      throw std::runtime_error("cost table: simulator returned a wrong number of layers");
    for (std::size_t i = 0; i < g.layers.size(); ++i) {
      const auto l = g.layers[i];
      const auto j = std::size_t(g.pair);
      auto& cell = t.cells[l][j];
      cell.cycles = sl[i].cycles;
      cell.latency_s = sl[i].latency_s;
      cell.energy_j = sl[i].energy_j;
      cell.cached = false;
      ++t.simulated;
      if (o.use_cache) {
        const json entry = {{"key", keys[l][j]},
                            {"cycles", cell.cycles},
                            {"latency_s", cell.latency_s},
                            {"energy_j", cell.energy_j}};
        write_atomically(cache / (hex(fnv1a(keys[l][j])) + ".json"), entry.dump() + "\n");
      }
    }
    const double el = since(ts);
    say("costs: simulated " + std::to_string(done) + "/" + std::to_string(total) + " groups (" +
        std::to_string(t.simulated) + " cells) | " + jobs::clock_text(el) + " elapsed, ETA " +
        jobs::clock_text(el / double(done) * double(total - done)));
  };
  sysc::simulate_jobs(sims, so);
}

} // namespace

std::vector<BitPair> bit_pairs(const std::vector<int>& a_bits, const std::vector<int>& w_bits) {
  std::vector<BitPair> v;
  for (int a : a_bits)
    for (int w : w_bits) v.push_back({a, w});
  return v;
}

const char* to_string(CostSource s) {
  return s == CostSource::Simulator ? "simulator" : "estimator";
}

CostSource cost_source_from_string(const std::string& s, const std::string& field) {
  if (s == "simulator") return CostSource::Simulator;
  if (s == "estimator") return CostSource::Estimator;
  throw SpecError(field, "unknown cost source '" + s + "' (simulator, estimator)");
}

int CostTable::pair_index(BitPair p) const {
  for (std::size_t j = 0; j < pairs.size(); ++j)
    if (pairs[j] == p) return int(j);
  return -1;
}

std::vector<std::vector<double>> CostTable::latency() const {
  std::vector<std::vector<double>> t;
  for (const auto& row : cells) {
    t.emplace_back();
    for (const auto& c : row) t.back().push_back(c.latency_s);
  }
  return t;
}

std::vector<std::vector<double>> CostTable::energy() const {
  std::vector<std::vector<double>> t;
  for (const auto& row : cells) {
    t.emplace_back();
    for (const auto& c : row) t.back().push_back(c.energy_j);
  }
  return t;
}

double CostTable::total_latency(const std::vector<int>& choice) const {
  double s = 0;
  for (std::size_t l = 0; l < cells.size(); ++l)
    s += cells[l].at(std::size_t(choice.at(l))).latency_s;
  return s;
}

double CostTable::total_energy(const std::vector<int>& choice) const {
  double s = 0;
  for (std::size_t l = 0; l < cells.size(); ++l)
    s += cells[l].at(std::size_t(choice.at(l))).energy_j;
  return s;
}

std::string default_cost_cache_dir() {
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x)
    return (fs::path(x) / "brickyard" / "costs").string();
  if (const char* h = std::getenv("HOME"); h && *h)
    return (fs::path(h) / ".cache" / "brickyard" / "costs").string();
  return (fs::temp_directory_path() / "brickyard-costs").string();
}

CostTable build_cost_table(const std::vector<model::Layer>& layers, const model::Accelerator& accel,
                           const std::vector<BitPair>& pairs, const CostTableOptions& o) {
  const auto t0 = Clock::now();
  if (layers.empty()) throw SpecError("model", "has no layers");
  if (pairs.empty()) throw SpecError("bits", "no precision pairs");
  if (o.jobs < 1) throw SpecError("jobs", "must be >= 1");
  const model::Tech tech = model::load_tech(accel.tech);
  const model::Calibration cal = model::load_calibration(o.calibration);
  auto say = [&](const std::string& s) {
    if (o.progress) o.progress(s);
  };

  const model::Network all = all_cells(layers, pairs);
  CostTable t = map_cells(all, layers, accel, pairs, o, tech, cal);
  if (o.source == CostSource::Estimator) {
    t.seconds = since(t0);
    return t;
  }

  // Simulator: cache lookup by a key of everything the simulated numbers depend on.
  const std::string worker =
      o.sim_worker_command.empty() ? sysc::worker_path() : o.sim_worker_command[0];
  if (!fs::exists(worker))
    throw std::runtime_error("cost table: the simulation worker '" + worker + "' is missing");
  const fs::path cache = o.cache_dir.empty() ? default_cost_cache_dir() : o.cache_dir;
  const CacheLookup c = read_cache(all, accel, o, cache, t);
  say("costs: " + std::to_string(t.cache_hits) + " of " +
      std::to_string(layers.size() * t.pairs.size()) + " (layer, bits) cells cached, " +
      std::to_string(c.n_missing) + " to simulate");
  if (c.n_missing == 0) {
    t.seconds = since(t0);
    return t;
  }
  std::vector<Group> groups = make_groups(all, accel, o, t, c);
  simulate_groups(groups, o, t, c.keys, cache);
  t.seconds = since(t0);
  return t;
}

} // namespace brickyard::search
