#pragma once
// `brickyard export-rtl --verify`: proves the exported files describe the accelerator
// brickyard costed. (1) verilator --lint-only -Wall on the exported top; (2) Verilates it
// and builds <out>/verify/libbrickyard_top.so (rtl_model_glue.cpp: RtlEngine around the
// exported top); (3) simulates every layer of <out>/design.json on the rtl engine of that
// library (a job of the simulation service, sysc/service.hpp) and compares every layer
// with the estimator and the reference convolution; (4) writes <out>/verify/report.json.
#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

namespace brickyard::rtlgen {

struct VerifyOptions {
  double tolerance = 0.05; // largest |estimated - simulated| / simulated cycles
  // The estimator's coefficients for the comparison ("" = data/calibration/default.json).
  std::string calibration_path;
  std::vector<std::string> worker_command; // simulation worker ("" = the service's default)
  int jobs = 2;                            // parallel compile jobs
  std::function<void(const std::string&)> progress;
};

struct LayerCheck {
  std::string name;
  std::int64_t est_cycles = 0, sim_cycles = 0;
  double error = 0; // (estimated - simulated) / simulated
  bool bit_exact = false;
};

struct VerifyReport {
  bool lint_clean = false;
  std::string log; // lint / build / simulate output when a step failed
  std::vector<LayerCheck> layers;
  bool pass = false; // lint clean, every layer bit-exact and within tolerance
  double lint_seconds = 0, build_seconds = 0, sim_seconds = 0;
  double tolerance = 0;   // the one checked (VerifyOptions::tolerance)
  std::string model_path; // the built shared library
};

// out_dir: a directory written by export_design(). Throws std::runtime_error if a tool is
// missing or a step fails for reasons other than the design (the report says which).
VerifyReport verify(const std::string& out_dir, const VerifyOptions& opt);

// The lint result, the per-layer table and the verdict, as export-rtl --verify prints them.
void print_verify_report(std::ostream& os, const VerifyReport& r, const std::string& out_dir);

} // namespace brickyard::rtlgen
