#pragma once
// The simulator's results and jobs as JSON: the one format `simulate --json` prints and the
// simulation service (service.hpp) passes between a caller and its brickyard-sim workers.
// Nothing here runs the SystemC kernel (this library does not link SystemC).
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/accelerator.hpp"
#include "model/cost.hpp"
#include "model/mapping.hpp"
#include "model/network.hpp"
#include "sysc/simulate.hpp"

namespace brickyard::sysc {

using json = nlohmann::json;

// One simulation: a network (one mapping per layer) on an accelerator, with the options
// of simulate() that can cross a process boundary (not `progress`).
struct SimJob {
  std::string id; // names the job in progress lines and failures
  model::Network network;
  model::Accelerator accel;
  std::vector<model::Mapping> mappings;
  SimOptions options;
  std::string rtl_model; // engine rtl from this shared library (export-rtl --verify builds one)
};

json to_json(const SimOptions& o);
SimOptions sim_options_from_json(const json& j);
json to_json(const SimJob& j);
SimJob sim_job_from_json(const json& j);

// A layer's results: name, cycles, compute/stall cycles, latency_s, energy_j, utilization,
// breakdown, traffic_bits, tiles, outputs, mismatches, first_mismatch, cross_checked_tiles,
// sram_word_accesses (per SRAM: banks, reads, writes, max_bank_reads, max_bank_writes and
// the per-bank bank_reads/bank_writes).
json to_json(const LayerSimStats& l);
LayerSimStats layer_sim_stats_from_json(const json& j);
// layers[], total {cycles, latency_s, energy_j, area_mm2}, engine, outputs_bit_exact,
// wall_seconds.
json to_json(const SimStats& s);
SimStats sim_stats_from_json(const json& j);

// What `brickyard simulate --json` prints: to_json(stats) with, per layer, the simulated
// mapping and the estimator's cycles/energy for it, and the accelerator.
json simulate_report_json(const SimStats& s, const std::vector<model::Mapping>& mappings,
                          const std::vector<model::Cost>& estimates,
                          const model::Accelerator& accel);

// Total wrong outputs over the layers.
std::int64_t mismatches(const SimStats& s);

} // namespace brickyard::sysc
