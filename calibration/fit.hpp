#pragma once
// Fitting the estimator's free coefficients (model/calibration.hpp) to simulated points,
// and the error metrics of the report: MAPE, max error, Kendall tau-b of the estimator's
// ranking of mappings against the simulator's (per group: one layer, many mappings).
#include <array>
#include <functional>
#include <string>
#include <vector>

#include "calibration/record.hpp"
#include "model/calibration.hpp"
#include "model/tech.hpp"

namespace brickyard::calibration {

// Kendall tau-b of two equally long sequences (ties allowed); NaN if either is constant.
double kendall_tau_b(const std::vector<double>& x, const std::vector<double>& y);

// Weighted linear least squares: minimize sum_i w_i (a_i . x - b_i)^2. Returns false if
// the normal equations are singular (then x is untouched).
bool least_squares(const std::vector<std::vector<double>>& a, const std::vector<double>& b,
                   const std::vector<double>& w, std::vector<double>& x);

struct Metrics {
  int points = 0, groups = 0;
  double cycles_mape = 0, cycles_max = 0; // percent
  double energy_mape = 0, energy_max = 0; // percent
  // Kendall tau-b per group (over the group's mappings), for cycles and for energy.
  double tau_cycles_mean = 0, tau_cycles_min = 0;
  double tau_energy_mean = 0, tau_energy_min = 0;
  int tau_groups = 0; // groups with a defined tau
};

// Errors of the estimator with `cal` on the records passing `keep`.
Metrics evaluate(const std::vector<Record>& recs, const model::Calibration& cal,
                 const model::Tech& tech, const std::function<bool(const Record&)>& keep);

// Fit (relative errors) of the coefficients on the records, starting from `start`:
// per-dataflow fill/drain scales and the DRAM efficiency on cycles (coordinate descent
// with 1-D grid + golden-section searches on the mean absolute relative error: cycles are
// piecewise linear in them), then each energy scale on its component of the simulated
// breakdown (linear; least squares iteratively reweighted toward least absolute
// deviations). A block of fitted
// coefficients that does not lower the training error (or, for the cycle block, lowers
// the training Kendall tau of mapping rankings) is dropped: the start values are kept.
model::Calibration fit(const std::vector<Record>& train, const model::Calibration& start,
                       const model::Tech& tech);

} // namespace brickyard::calibration
