#pragma once
// Technology table: per-operation energies and areas, loaded from data/tech/<name>.json
// where every number carries a unit and a source. Values are stored here in the units
// the estimator uses (pJ, mW, um^2, mm^2).
#include <string>
#include <vector>

namespace brickyard::model {

// One CACTI point: an SRAM bank of `bytes` with a fixed word width.
struct SramPoint {
  double bytes = 0;
  double read_pj_per_bit = 0;
  double write_pj_per_bit = 0;
  double leak_mw = 0;
  double area_mm2 = 0;
};

struct Tech {
  std::string name;
  // Fusion unit (16 BitBricks + shift-add tree + accumulator), per unit.
  double fu_dynamic_pj_per_cycle = 0; // energy of one active fusion-unit cycle
  double fu_leak_mw = 0;
  double fu_area_um2 = 0;
  // SRAM banks, sorted by size; energies/areas for other sizes are interpolated in
  // log-log space between neighbours (extrapolated from the two end points).
  int sram_word_bits = 32;
  std::vector<SramPoint> sram;
  bool include_sram_leakage = false;
  // Off-chip.
  double dram_pj_per_bit = 0;
  // Per-accumulator-word width used for partial sums and outputs.
  int psum_bits = 32;

  SramPoint sram_at(double bank_bytes) const;
};

void validate(const Tech& t);

} // namespace brickyard::model
