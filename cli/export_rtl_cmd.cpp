// `brickyard export-rtl`: Verilog parameter files of a design, optionally verified in RTL.
#include <boost/program_options.hpp>

#include <iostream>

#include "cli/commands.hpp"
#include "cli/inputs.hpp"
#include "model/error.hpp"
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
  DesignInputs in;
  std::string out;
  double tolerance = 5;
  int jobs = 2;
  add_common_options(desc);
  add_design_options(desc, in);
  desc.add_options()("out", po::value(&out), "output directory (must not exist)")(
      "force", "replace an existing output directory")(
      "verify", "lint, build the rtl engine from the exported top, simulate every layer")(
      "synth", "Yosys generic synthesis of the exported array, next to the area model")(
      "tolerance", po::value(&tolerance)->default_value(5),
      "--verify: largest estimator error in cycles, percent")(
      "jobs,j", po::value(&jobs)->default_value(2), "--verify: parallel compile jobs");
  po::variables_map vm = parse_args(desc, args);
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return kExitOk;
  }
  finish_design_options(vm, in);
  if (!(tolerance >= 0 && tolerance <= 100)) throw SpecError("tolerance", "must be in 0..100");
  if (jobs < 1 || jobs > 64) throw SpecError("jobs", "must be in 1..64");
  if (out.empty()) throw SpecError("out", "missing (--out DIR)");

  const ResolvedDesign rd = resolve_design(in);
  const Design& d = rd.design;
  rtlgen::ExportOptions eo;
  eo.out_dir = out;
  eo.force = vm.count("force") > 0;
  const auto files = rtlgen::export_design(d, rd.tech, eo);
  rtlgen::print_export_summary(std::cout, d, files);
  if (vm.count("synth")) {
    if (!vm.count("quiet")) std::cerr << "  synth: yosys synth -flatten of pe_array\n";
    rtlgen::print_synth_report(std::cout, d.accelerator,
                               rtlgen::synthesize(out, d.accelerator, rd.tech));
  }
  if (!vm.count("verify")) return kExitOk;

  rtlgen::VerifyOptions vo;
  vo.tolerance = tolerance / 100;
  vo.jobs = jobs;
  vo.calibration_path = in.calibration_path;
  if (!vm.count("quiet"))
    vo.progress = [](const std::string& s) { std::cerr << "  " << s << "\n"; };
  const rtlgen::VerifyReport r = rtlgen::verify(out, vo);
  rtlgen::print_verify_report(std::cout, r, out);
  return r.lint_clean && r.pass ? kExitOk : 3;
}

} // namespace brickyard::cli
