// `brickyard map` / `brickyard estimate`: the CLI contract of docs/design.md.
#include <boost/program_options.hpp>

#include <iostream>

#include "cli/commands.hpp"
#include "cli/inputs.hpp"
#include "model/error.hpp"
#include "model/report.hpp"

namespace po = boost::program_options;
using namespace brickyard::model;

namespace brickyard::cli {

namespace {

int run_map_checked(const std::vector<std::string>& args, bool estimate_mode) {
  const char* cmd = estimate_mode ? "estimate" : "map";
  po::options_description desc(
      std::string("usage: brickyard ") + cmd +
      " (--layer SPEC... | --net FILE | --design FILE) --accel SPEC|FILE [options]\n\n" +
      (estimate_mode ? "Analytic latency, energy and area of each layer at its best mapping (or "
                       "at --mapping, or the design's).\n"
                     : "Best mapping of each layer by the BatchTile mapper: every power-of-two "
                       "tile x loop order.\n") +
      "\noptions");
  DesignInputs in;
  add_common_options(desc);
  add_design_options(desc, in);
  desc.add_options()("json", "print one JSON object instead of a table");
  po::variables_map vm = parse_args(desc, args);
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return kExitOk;
  }
  finish_design_options(vm, in);
  if (!estimate_mode && !in.mapping_path.empty())
    throw SpecError("--mapping",
                    "map searches the mappings (estimate --mapping scores given ones)");
  in.search = !estimate_mode;
  const ResolvedDesign r = resolve_design(in);
  const std::vector<MapResult> results = layer_results(r);
  if (vm.count("json"))
    std::cout << map_report_json(r, results, in.objective).dump(2) << "\n";
  else
    print_map_report(std::cout, r, results, in.objective, estimate_mode);
  return kExitOk;
}

} // namespace

int run_map(const std::vector<std::string>& args, bool estimate_mode) {
  try {
    return run_map_checked(args, estimate_mode);
  } catch (const SpecError& e) {
    std::string what = e.what();
    if (one_line(what) == what) throw;
    std::string prefix = "field '" + e.field() + "': ";
    throw SpecError(one_line(e.field()), one_line(what.substr(prefix.size())));
  }
}

} // namespace brickyard::cli
