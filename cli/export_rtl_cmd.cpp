// `brickyard export-rtl`: Verilog parameter files of a design, optionally verified in RTL.
#include <boost/program_options.hpp>

#include <cstdio>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/inputs.hpp"
#include "model/design.hpp"
#include "model/error.hpp"
#include "model/json_io.hpp"
#include "model/mapper.hpp"
#include "rtlgen/export.hpp"
#include "rtlgen/synth.hpp"
#include "rtlgen/verify.hpp"

namespace po = boost::program_options;
using namespace brickyard::model;

namespace brickyard::cli {

int run_export_rtl(const std::vector<std::string>& args) {
  po::options_description desc(
      "usage: brickyard export-rtl (--design FILE | --layer SPEC... | --net FILE) [--accel "
      "SPEC|FILE] --out DIR [--verify]\n\nWrites brickyard_params.svh, brickyard_top.sv, "
      "brickyard_sram.sv, mappings.memh, design.json\nand README.md into DIR (all or nothing). "
      "--verify lints the top with verilator -Wall,\nbuilds it into the rtl engine and "
      "simulates every layer on it.\nExit status: 0 ok, 2 bad input, 3 verification failed, 1 "
      "internal error.\n\noptions");
  std::vector<std::string> layer_specs;
  std::string net_path, design_path, accel_spec, out, objective = "latency";
  double tolerance = 5;
  int jobs = 2;
  desc.add_options()("help,h", "show this help")("design", po::value(&design_path),
                                                 "design.json: network, accelerator and mappings")(
      "layer", po::value(&layer_specs)->composing(),
      "inline layer, repeatable (as for map)")("net", po::value(&net_path), "network JSON file")(
      "accel", po::value(&accel_spec),
      "accelerator: inline spec or JSON file (replaces the design's; mappings are re-derived)")(
      "objective", po::value(&objective)->default_value("latency"),
      "mapper objective where mappings are derived")("out", po::value(&out),
                                                     "output directory (must not exist)")(
      "force", "replace an existing output directory")(
      "verify", "lint, build the rtl engine from the exported top, simulate every layer")(
      "synth", "Yosys generic synthesis of the exported array, next to the area model")(
      "tolerance", po::value(&tolerance)->default_value(5),
      "--verify: largest estimator error in cycles, percent")(
      "jobs,j", po::value(&jobs)->default_value(2),
      "--verify: parallel compile jobs")("quiet,q", "no progress lines");
  po::variables_map vm = parse_args(desc, args);
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return kExitOk;
  }
  if (!(tolerance >= 0 && tolerance <= 100)) throw SpecError("tolerance", "must be in 0..100");
  if (jobs < 1 || jobs > 64) throw SpecError("jobs", "must be in 1..64");
  if (out.empty()) throw SpecError("out", "missing (--out DIR)");

  Design d;
  if (!design_path.empty()) {
    if (!layer_specs.empty() || !net_path.empty())
      throw SpecError("design", "give either --design or --layer/--net");
    d = load_design(design_path);
    if (!accel_spec.empty()) {
      d.accelerator = load_accelerator(accel_spec);
      d.mappings.clear();
    }
  } else {
    d.network = build_network(layer_specs, net_path);
    if (accel_spec.empty()) throw SpecError("accel", "missing (--accel SPEC or FILE)");
    d.accelerator = load_accelerator(accel_spec);
  }
  Tech tech = load_tech(d.accelerator.tech);
  if (d.mappings.empty()) {
    MapperOptions mo;
    mo.objective = objective_from_string(objective, "objective");
    auto res = map_network(d.network, d.accelerator, tech, load_calibration(""), mo);
    for (std::size_t i = 0; i < res.size(); ++i) {
      if (!res[i].feasible)
        throw SpecError("mappings[" + std::to_string(i) + "]",
                        "no mapping fits the buffers: " + res[i].cost.infeasible_reason);
      d.mappings.push_back(res[i].mapping);
    }
  }
  rtlgen::ExportOptions eo;
  eo.out_dir = out;
  eo.force = vm.count("force") > 0;
  auto files = rtlgen::export_design(d, tech, eo);
  std::cout << "exported " << d.network.name << " (" << d.network.layers.size() << " layers, "
            << d.accelerator.pe_rows << "x" << d.accelerator.pe_cols << " "
            << to_string(d.accelerator.dataflow) << "):\n";
  for (const auto& f : files) std::cout << "  " << f << "\n";
  if (vm.count("synth")) {
    if (!vm.count("quiet")) std::cerr << "  synth: yosys synth -flatten of pe_array\n";
    rtlgen::SynthReport s = rtlgen::synthesize(out, d.accelerator, tech);
    std::cout << "synth: pe_array " << d.accelerator.pe_rows << "x" << d.accelerator.pe_cols
              << " = " << s.cells << " generic cells (" << fmt("%.0f", s.cells_per_fu)
              << " per fusion unit), yosys " << fmt("%.1f", s.seconds) << " s; log " << s.log_path
              << "\n"
              << "       area model: fusion units " << fmt("%.4f", s.model_fu_mm2)
              << " mm2, buffers " << fmt("%.4f", s.model_sram_mm2) << " mm2 (SRAM macros, "
              << s.sram_bits / 8 << " bytes in banks, not synthesized)\n";
  }
  if (!vm.count("verify")) return kExitOk;

  rtlgen::VerifyOptions vo;
  vo.tolerance = tolerance / 100;
  vo.jobs = jobs;
  if (!vm.count("quiet"))
    vo.progress = [](const std::string& s) { std::cerr << "  " << s << "\n"; };
  rtlgen::VerifyReport r = rtlgen::verify(out, vo);
  if (!r.lint_clean) {
    std::cout << "verify: verilator -Wall lint FAILED:\n" << r.log;
    return 3;
  }
  std::cout << "verify: lint clean (verilator -Wall, " << fmt("%.1f", r.lint_seconds)
            << " s); rtl engine built in " << fmt("%.1f", r.build_seconds) << " s: " << r.model_path
            << "\n\n";
  std::printf("%-24s %12s %12s %8s  %s\n", "layer", "est cycles", "sim cycles", "error", "outputs");
  for (const auto& c : r.layers)
    std::printf("%-24s %12lld %12lld %7.2f%%  %s\n", c.name.c_str(), (long long)c.est_cycles,
                (long long)c.sim_cycles, 100 * c.error, c.bit_exact ? "bit-exact" : "WRONG");
  std::cout << "\nverify: " << (r.pass ? "PASS" : "FAIL") << " (tolerance " << tolerance
            << "%, simulated in " << fmt("%.1f", r.sim_seconds) << " s; report " << out
            << "/verify/report.json)\n";
  return r.pass ? kExitOk : 3;
}

} // namespace brickyard::cli
