#pragma once
// Cycle-accurate simulation of layers on the accelerator (SystemC + TLM-2.0):
// a controller thread walks the mapping's tile loop nest, a TLM-2.0 DRAM serves the
// double-buffered tile loads and write-backs (which overlap compute), and the PE array
// engine (native or Verilated RTL) computes every tile cycle by cycle with the schedule
// of rtl/README.md. Outputs are the real integer results, checked against a reference
// convolution. SystemC allows one elaboration per process: simulate() may be called once.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "model/accelerator.hpp"
#include "model/cost.hpp"
#include "model/mapping.hpp"
#include "model/network.hpp"
#include "model/tech.hpp"
#include "sysc/engine.hpp"

namespace brickyard::sysc {

struct SimOptions {
  Engine engine = Engine::Native;
  // Jump over cycles in which nothing but a DRAM transfer can happen, and run a tile's
  // compute cycles before advancing SystemC time by their sum. Off: every cycle is a
  // separate SystemC time step (identical cycle counts, slower).
  bool skip_idle = true;
  // A wait for DRAM longer than this many cycles is reported as a hang.
  std::uint64_t watchdog_cycles = 100'000'000;
  std::uint32_t seed = 1; // random layer data
  bool a_signed = false;  // activation/weight signedness of the random data
  bool w_signed = true;
  bool check_outputs = true; // compare with the reference convolution
  std::string trace_path;    // VCD of the controller state ("" = none)
  // Also run every tile on the other engine and require identical cycles and outputs
  // (the native/rtl equivalence check; needs an rtl model of the array shape).
  bool cross_check = false;
  std::function<void(const std::string&)> progress; // one line per layer and per 10% of tiles
};

// Word accesses of one SRAM, per bank (word i of a half is in bank i % banks).
struct BankCounts {
  int banks = 0;
  std::vector<std::int64_t> reads, writes;
};

struct LayerSimStats {
  std::string name;
  std::int64_t cycles = 0, compute_cycles = 0, stall_cycles = 0;
  double latency_s = 0, energy_j = 0, utilization = 0;
  model::EnergyBreakdown energy;
  model::Traffic traffic; // bits, as the estimator counts them (energy uses these)
  BankCounts abuf_banks, wbuf_banks, obuf_banks;
  std::int64_t tiles = 0;
  std::int64_t outputs = 0, mismatches = 0; // compared outputs and wrong ones
  std::string first_mismatch;               // coordinates and values of the first
  std::int64_t cross_checked_tiles = 0;     // tiles run on both engines (cross_check)
};

struct SimStats {
  std::vector<LayerSimStats> layers;
  std::int64_t cycles = 0;
  double latency_s = 0, energy_j = 0, area_mm2 = 0;
  Engine engine = Engine::Native;
  double wall_seconds = 0;
};

// mappings: one per layer. Throws model::SpecError for inputs the hardware cannot run
// (a mapping that does not fit the buffers, an rtl shape not built, ...), and
// std::runtime_error from the watchdog.
SimStats simulate(const model::Network& net, const model::Accelerator& accel,
                  const std::vector<model::Mapping>& mappings, const model::Tech& tech,
                  const SimOptions& opt = {});

} // namespace brickyard::sysc
