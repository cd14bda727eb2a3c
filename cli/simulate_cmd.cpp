// `brickyard simulate`: cycle-accurate simulation of layers on the accelerator.
#include <boost/program_options.hpp>

#include <cstdlib>
#include <fstream>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/inputs.hpp"
#include "model/error.hpp"
#include "sysc/sim_json.hpp"
#include "sysc/sim_report.hpp"

namespace po = boost::program_options;
using namespace brickyard::model;

namespace brickyard::cli {

int run_simulate(const std::vector<std::string>& args) {
  po::options_description desc(
      "usage: brickyard simulate (--layer SPEC... | --net FILE | --design FILE) --accel SPEC|FILE"
      " [options]\n\nCycle-accurate SystemC/TLM-2.0 simulation: every layer runs tile by tile on"
      " the PE array\n(native C++ model or the Verilated RTL) with double-buffered DRAM transfers;"
      "\noutputs are checked bit-exactly against a reference convolution.\n\noptions");
  DesignInputs in;
  std::string engine = "native", trace, rtl_model;
  std::uint32_t seed = 1;
  std::uint64_t watchdog = 100'000'000;
  add_common_options(desc);
  add_design_options(desc, in);
  desc.add_options()("engine", po::value(&engine)->default_value("native"),
                     "PE array engine: native | rtl")(
      "rtl-model", po::value(&rtl_model),
      "rtl engine from this shared library (export-rtl --verify builds one)")(
      "trace", po::value(&trace), "write a VCD of the controller state to this file")(
      "seed", po::value(&seed)->default_value(1), "seed of the random layer data")(
      "signed-activations", "draw signed activations (default unsigned, weights signed)")(
      "no-skip", "simulate every cycle as its own SystemC time step (slower, same cycles)")(
      "watchdog", po::value(&watchdog)->default_value(100'000'000),
      "cycles a wait for DRAM may last before the run is stopped as hung")(
      "json", "print one JSON object instead of a table");
  po::variables_map vm = parse_args(desc, args);
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return kExitOk;
  }
  finish_design_options(vm, in);
  const ResolvedDesign r = resolve_design(in);
  const Design& d = r.design;
  sysc::SimOptions opt;
  opt.engine = sysc::engine_from_string(engine, "engine");
  if (!rtl_model.empty()) {
    if (opt.engine != sysc::Engine::Rtl) throw SpecError("rtl-model", "needs --engine rtl");
    sysc::check_rtl_model(rtl_model, d.accelerator);
  }
  opt.seed = seed;
  opt.a_signed = vm.count("signed-activations") > 0;
  opt.skip_idle = vm.count("no-skip") == 0;
  opt.watchdog_cycles = watchdog;
  if (watchdog == 0) throw SpecError("watchdog", "must be positive");
  if (!trace.empty()) {
    std::ofstream probe(trace);
    if (!probe) throw SpecError("trace", "cannot write '" + trace + "'");
    opt.trace_path = trace;
  }
  if (!vm.count("quiet") && !vm.count("json"))
    opt.progress = [](const std::string& line) { std::cerr << "  " << line << "\n"; };

  std::vector<Cost> est;
  for (const auto& x : layer_results(r)) est.push_back(x.cost);
  setenv("SC_COPYRIGHT_MESSAGE", "DISABLE", 1);
  const sysc::SimStats s = sysc::simulate(d.network, d.accelerator, d.mappings, r.tech, opt);
  if (vm.count("json"))
    std::cout << sysc::simulate_report_json(s, d.mappings, est, d.accelerator).dump(2) << "\n";
  else
    sysc::print_simulate_report(std::cout, d.network, d.accelerator, s, est, trace);
  if (const auto wrong = sysc::mismatches(s)) {
    std::cerr << "brickyard simulate: " << wrong
              << " outputs differ from the reference convolution\n";
    return kExitInternal;
  }
  return kExitOk;
}

} // namespace brickyard::cli
