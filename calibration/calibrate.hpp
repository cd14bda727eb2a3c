#pragma once
// `brickyard calibrate` as a library call: sample design points, simulate them (resuming
// from the CSV of an interrupted run, spread over MPI ranks if launched by mpirun), fit
// the estimator's coefficients on the training split and report the errors on the
// held-out split before and after the fit. Rank 0 writes the CSV (sorted by point id),
// the calibration JSON (atomically) and the scatter plot.
#include <functional>
#include <string>

#include "calibration/fit.hpp"
#include "calibration/mpi.hpp"
#include "calibration/run.hpp"
#include "calibration/sampler.hpp"
#include "model/calibration.hpp"
#include "model/json_io.hpp"

namespace brickyard::calibration {

struct CalibrateOptions {
  SamplerOptions sampler;
  RunOptions run;
  std::string out_path;  // calibration JSON
  std::string csv_path;  // "" -> out_path with .csv
  std::string plot_path; // "" -> out_path with .png; "-" -> no plot
  bool resume = false;
  model::Calibration start; // the "before" coefficients and the fit's starting point
  std::function<void(const std::string&)> log;
};

struct CalibrateResult {
  bool wrote = false; // false on ranks other than 0
  model::Calibration fitted;
  Metrics before, after; // held-out split
  int points = 0, simulated = 0, resumed = 0;
  std::vector<Failure> failures;
  std::string csv_path, plot_note;
};

CalibrateResult calibrate(const CalibrateOptions& opt, const MpiSession& mpi);

// Paths derived from --out: "x/cal.json" -> "x/cal.csv", "x/cal.png".
std::string sibling_path(const std::string& out_path, const std::string& ext);

// The calibration JSON: coefficients, their meaning and the error report.
model::json report_json(const model::Calibration& fitted, const model::Calibration& start,
                        const std::vector<Record>& recs, const CalibrateOptions& opt,
                        const model::Tech& tech, const std::vector<Failure>& failures);

// Predicted-vs-simulated scatter (log-log, before and after the fit) of the held-out
// points by gnuplot; returns a note (where it went, or why it was skipped).
std::string plot(const std::string& png_path, const std::vector<Record>& recs,
                 const model::Calibration& before, const model::Calibration& after,
                 const model::Tech& tech);

} // namespace brickyard::calibration
