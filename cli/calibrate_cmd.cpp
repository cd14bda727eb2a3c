// `brickyard calibrate`: fit the analytic estimator to the simulator and report its error.
#include <boost/program_options.hpp>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "calibration/calibrate.hpp"
#include "cli/commands.hpp"
#include "cli/inputs.hpp"
#include "jobs/process.hpp"
#include "model/error.hpp"
#include "sysc/engine.hpp"

namespace po = boost::program_options;
using namespace brickyard::model;

namespace brickyard::cli {

namespace {

// Array shapes the rtl engine was built with ("ws 4x4" -> 4x4), for --engine rtl.
std::vector<std::pair<int, int>> rtl_shapes() {
  std::vector<std::pair<int, int>> out;
  for (const auto& s : sysc::rtl_engine_shapes()) {
    int r = 0, c = 0;
    if (std::sscanf(s.c_str(), "%*s %dx%d", &r, &c) == 2 &&
        std::find(out.begin(), out.end(), std::make_pair(r, c)) == out.end())
      out.emplace_back(r, c);
  }
  return out;
}

std::string pct(double v) {
  return fmt("%.2f%%", v);
}

void print_metrics(const char* label, const calibration::Metrics& m) {
  std::cout << "  " << label << ": cycles MAPE " << pct(m.cycles_mape) << " (max "
            << pct(m.cycles_max) << "), energy MAPE " << pct(m.energy_mape) << " (max "
            << pct(m.energy_max) << "), Kendall tau cycles " << fmt("%.3f", m.tau_cycles_mean)
            << " (min " << fmt("%.3f", m.tau_cycles_min) << "), energy "
            << fmt("%.3f", m.tau_energy_mean) << "\n";
}

} // namespace

int run_calibrate(const std::vector<std::string>& args) {
  po::options_description desc(
      "usage: brickyard calibrate --out calibration.json [options]\n\nSamples layers x "
      "accelerators x mappings (seeded Latin hypercube), simulates them\n(native engine by "
      "default, child processes -j at a time, MPI ranks under mpirun),\nfits the estimator's "
      "coefficients on a training split and reports cycles/energy\nerrors and the Kendall tau of "
      "mapping rankings on the held-out split, before and\nafter the fit. Writes the JSON, a CSV "
      "of every simulated point and a PNG scatter.\n\noptions");
  int points = 1200, mappings = 8, jobs = 2;
  std::int64_t max_cycles = 200'000;
  std::uint64_t seed = 1;
  double timeout = 600;
  std::string engine = "native", out, csv, start_path, plot_path, cost_model, cost_config;
  desc.add_options()("help,h",
                     "show this help")("points", po::value(&points)->default_value(1200),
                                       "design points to simulate (rounded up to whole groups)")(
      "engine", po::value(&engine)->default_value("native"),
      "native | rtl (rtl: array shapes limited to the compiled RTL models)")(
      "seed", po::value(&seed)->default_value(1),
      "seed of the sample")("out", po::value(&out), "calibration JSON to write (atomically)")(
      "csv", po::value(&csv), "CSV of simulated points (default: --out with .csv)")(
      "resume", "keep the points already in the CSV; simulate only the rest")(
      "jobs,j", po::value(&jobs)->default_value(2), "simulations at a time (per MPI rank)")(
      "mappings", po::value(&mappings)->default_value(8),
      "mappings per layer and accelerator (the Kendall tau groups)")(
      "max-cycles", po::value(&max_cycles)->default_value(200'000),
      "bound on the estimated cycles of a point (layers are shrunk to fit)")(
      "start", po::value(&start_path),
      "starting ('before') coefficients (default: neutral, all 1)")(
      "timeout", po::value(&timeout)->default_value(600),
      "seconds a group's simulation may take before it is killed as hung")(
      "plot", po::value(&plot_path), "scatter PNG (default: --out with .png; '-' for none)")(
      "cost-model", po::value(&cost_model),
      "then retrain the co-search's cost model on the new coefficients and CSV into this "
      "file (brickyard cost-model; data/cost/default.pt is the shipped one)")(
      "cost-config", po::value(&cost_config),
      "cosearch configuration of that cost model (space, hardware space; default: built-in)")(
      "quiet,q", "no progress lines");
  po::variables_map vm = parse_args(desc, args);
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return kExitOk;
  }
  if (out.empty()) throw SpecError("out", "missing (--out calibration.json)");
  if (points < 1 || points > 1'000'000) throw SpecError("points", "must be in 1..1000000");
  if (mappings < 2 || mappings > 64) throw SpecError("mappings", "must be in 2..64");
  if (jobs < 1 || jobs > 256) throw SpecError("jobs", "must be in 1..256");
  if (max_cycles < 1000) throw SpecError("max-cycles", "must be at least 1000");
  if (!(timeout > 0)) throw SpecError("timeout", "must be positive");
  if (!cost_config.empty() && cost_model.empty())
    throw SpecError("cost-config", "needs --cost-model FILE");
  sysc::engine_from_string(engine, "engine");

  calibration::CalibrateOptions opt;
  opt.sampler.points = points;
  opt.sampler.mappings_per_group = mappings;
  opt.sampler.seed = seed;
  opt.sampler.max_cycles = max_cycles;
  if (engine == "rtl") {
    opt.sampler.shapes = rtl_shapes();
    if (opt.sampler.shapes.empty())
      throw SpecError("engine", "this build has no rtl engine models");
  }
  opt.run.engine = engine;
  opt.run.jobs = jobs;
  opt.run.timeout_s = timeout;
  opt.out_path = out;
  opt.csv_path = csv;
  opt.plot_path = plot_path;
  opt.resume = vm.count("resume") > 0;
  if (!start_path.empty()) opt.start = load_calibration(start_path);
  // Probe the outputs now: a bad path is bad input, not an error after minutes of work.
  const std::string csv_path = csv.empty() ? calibration::sibling_path(out, ".csv") : csv;
  for (const auto& [field, path] : {std::pair<std::string, std::string>{"out", out},
                                    std::pair<std::string, std::string>{"csv", csv_path}}) {
    std::filesystem::path dir = std::filesystem::path(path).parent_path();
    if (dir.empty()) dir = ".";
    std::error_code ec; // a missing directory is created, as cosearch and export-rtl do
    if (!std::filesystem::exists(dir, ec)) std::filesystem::create_directories(dir, ec);
    if (!std::filesystem::is_directory(dir) || ::access(dir.c_str(), W_OK) != 0)
      throw SpecError(field, "cannot write '" + one_line(path) + "' (no writable directory)");
    if (std::filesystem::is_directory(path))
      throw SpecError(field, "'" + one_line(path) + "' is a directory");
  }
  if (!vm.count("quiet"))
    opt.log = [](const std::string& line) { std::cerr << "  " << line << "\n"; };

  calibration::MpiSession mpi;
  auto t0 = std::chrono::steady_clock::now();
  calibration::CalibrateResult r;
  try {
    r = calibration::calibrate(opt, mpi);
  } catch (const calibration::Interrupted&) {
    std::cerr << "brickyard calibrate: interrupted; finished points are in '" << csv_path
              << "' (rerun with --resume)\n";
    return 130;
  }
  if (!r.wrote) return kExitOk; // MPI ranks other than 0
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::cout << "calibrated on " << r.points << " points (" << r.simulated << " simulated, "
            << r.resumed << " resumed";
  if (mpi.size() > 1) std::cout << ", " << mpi.size() << " MPI ranks";
  std::cout << ") in " << fmt("%.1f", wall) << " s\n"
            << "coefficients: fill_drain ws " << fmt("%.4g", r.fitted.fill_drain[0]) << " os "
            << fmt("%.4g", r.fitted.fill_drain[1]) << " rs " << fmt("%.4g", r.fitted.fill_drain[2])
            << ", dram_efficiency " << fmt("%.4g", r.fitted.dram_efficiency)
            << ", energy scales pe " << fmt("%.4g", r.fitted.pe_energy_scale) << " sram "
            << fmt("%.4g", r.fitted.sram_energy_scale) << " dram "
            << fmt("%.4g", r.fitted.dram_energy_scale) << "\n"
            << "held-out (" << r.after.points << " points, " << r.after.groups << " groups):\n";
  print_metrics("before", r.before);
  print_metrics("after ", r.after);
  std::cout << "wrote " << out << ", " << r.csv_path << "\n";
  if (!r.plot_note.empty()) std::cout << r.plot_note << "\n";
  if (!r.failures.empty()) {
    for (const auto& f : r.failures)
      std::cerr << "brickyard calibrate: group " << f.group << " (points " << f.first_point << ".."
                << f.last_point << ") failed: " << one_line(f.reason) << "\n";
    return kExitInternal;
  }
  if (!cost_model.empty()) {
    // LibTorch lives in the sibling brickyard-search binary.
    const auto exe =
        std::filesystem::read_symlink("/proc/self/exe").parent_path() / "brickyard-search";
    std::vector<std::string> argv = {exe.string(),        "cost-model",    "--out",
                                     cost_model,          "--calibration", out,
                                     "--calibration-csv", r.csv_path,      "--force"};
    if (!cost_config.empty()) argv.insert(argv.end(), {"--config", cost_config});
    if (vm.count("quiet")) argv.push_back("--quiet");
    std::cout << "cost model: training " << cost_model << " on the new calibration\n" << std::flush;
    const int st = jobs::exit_status(jobs::wait_for(jobs::spawn(argv)));
    if (st != 0) {
      std::cerr << "brickyard calibrate: cost model training failed (status " << st << ")\n";
      return st == kExitBadInput ? kExitBadInput : kExitInternal;
    }
  }
  return kExitOk;
}

} // namespace brickyard::cli
