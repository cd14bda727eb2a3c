#pragma once
#include <cstdint>
#include <string>

namespace brickyard::model {

// Energy in joules, by where it is spent.
struct EnergyBreakdown {
  double pe = 0, abuf = 0, wbuf = 0, obuf = 0, dram = 0, leak = 0;
  double total() const { return pe + abuf + wbuf + obuf + dram + leak; }
};

// Data moved, in bits.
struct Traffic {
  double abuf_read = 0, abuf_write = 0;
  double wbuf_read = 0, wbuf_write = 0;
  double obuf_read = 0, obuf_write = 0;
  double dram_read = 0, dram_write = 0;
};

struct Cost {
  bool feasible = true;
  std::string infeasible_reason;   // names the buffer that overflows
  std::int64_t cycles = 0;         // compute_cycles + stall_cycles
  std::int64_t compute_cycles = 0; // includes systolic fill and drain
  std::int64_t stall_cycles = 0;   // cycles the array waits for DRAM
  double latency_s = 0;
  double energy_j = 0;
  EnergyBreakdown energy;
  Traffic traffic;
  double area_mm2 = 0;
  double utilization = 0; // MACs / (cycles * peak MACs per cycle)
};

} // namespace brickyard::model
