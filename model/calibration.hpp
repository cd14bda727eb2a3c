#pragma once
// Free coefficients of the analytic estimator. `brickyard calibrate` fits them against
// the cycle-accurate simulator; the neutral values here (all 1) mean "the formulas of
// docs/estimator.md as written". Loaded from data/calibration/default.json.
#include <array>
#include <string>

namespace brickyard::model {

struct Calibration {
  std::string source = "neutral";
  // Scale of the systolic fill/drain overhead, per dataflow (WS, OS, RS).
  std::array<double, 3> fill_drain = {1.0, 1.0, 1.0};
  // Fraction of the nominal DRAM bandwidth that transfers achieve.
  double dram_efficiency = 1.0;
  // Multipliers on the tech table's energies.
  double pe_energy_scale = 1.0;
  double sram_energy_scale = 1.0;
  double dram_energy_scale = 1.0;
};

void validate(const Calibration& c);

} // namespace brickyard::model
