#pragma once
// Per-layer cost table of `brickyard quantize` (issue 10 item 1; OHQ's "on-chip
// quantization awareness", seeds/ohq-abstract.txt: measure each operator's real cost on
// the target rather than model it): latency and energy of every layer at every
// (a_bits, w_bits) pair on one accelerator, each at the BatchTile mapper's best mapping
// for that pair.
//
// Sources: the cycle-accurate simulator (native SystemC engine, `brickyard simulate
// --design` in child processes, `jobs` at a time, one child per group of layers at one
// pair) or the analytic estimator (fast). Simulated cells are cached on disk, one small
// JSON file per cell named by a hash of everything that determines it (layer shape and
// bits, accelerator, mapping, tech table, the simulator binary), written atomically; a
// second run with the same inputs simulates nothing. No LibTorch here.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "model/accelerator.hpp"
#include "model/layer.hpp"
#include "model/mapper.hpp"
#include "model/mapping.hpp"

namespace brickyard::search {

struct BitPair {
  int a_bits = 8;
  int w_bits = 8;
  bool operator==(const BitPair& o) const { return a_bits == o.a_bits && w_bits == o.w_bits; }
};
// Every (a, w) of a_bits x w_bits, activations major: (2,2), (2,4), (2,8), (4,2), ...
std::vector<BitPair> bit_pairs(const std::vector<int>& a_bits = {2, 4, 8},
                               const std::vector<int>& w_bits = {2, 4, 8});

enum class CostSource { Simulator, Estimator };
const char* to_string(CostSource s);
CostSource cost_source_from_string(const std::string& s, const std::string& field);

struct CostTableOptions {
  CostSource source = CostSource::Simulator;
  model::Objective objective = model::Objective::Latency; // of the mapper
  int jobs = 1;                                           // simulator children at a time
  std::string cache_dir;                                  // "" = default_cost_cache_dir()
  bool use_cache = true;     // read and write the cache (simulator only)
  // The simulation worker (simulator only; "" = the service's brickyard-sim); its
  // contents are part of the cache key.
  std::vector<std::string> sim_worker_command;
  std::string calibration;   // estimator coefficients ("" = data/calibration/default.json)
  std::function<void(const std::string&)> progress; // progress lines (none if empty)
};

struct CellCost {
  std::int64_t cycles = 0;
  double latency_s = 0;
  double energy_j = 0;
  model::Mapping mapping;
  bool cached = false;
};

struct CostTable {
  std::vector<BitPair> pairs;
  std::vector<std::vector<CellCost>> cells; // [layer][pair]
  CostSource source = CostSource::Estimator;
  std::int64_t simulated = 0;  // cells simulated in this run
  std::int64_t cache_hits = 0; // cells read from the cache
  std::int64_t children = 0;   // simulator processes run
  double seconds = 0;

  int pair_index(BitPair p) const;                  // -1 if absent
  std::vector<std::vector<double>> latency() const; // [layer][pair], seconds
  std::vector<std::vector<double>> energy() const;  // [layer][pair], joules
  // Totals of one choice of pair per layer.
  double total_latency(const std::vector<int>& choice) const;
  double total_energy(const std::vector<int>& choice) const;
};

// $XDG_CACHE_HOME/brickyard/costs, else $HOME/.cache/brickyard/costs.
std::string default_cost_cache_dir();

// The layers' own bits are ignored: every pair is measured. A layer that fits no mapping at
// some pair raises SpecError("accel", ...); a failed simulation raises runtime_error.
CostTable build_cost_table(const std::vector<model::Layer>& layers, const model::Accelerator& accel,
                           const std::vector<BitPair>& pairs, const CostTableOptions& options);

} // namespace brickyard::search
