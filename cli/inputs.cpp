#include "cli/inputs.hpp"

#include <cstdio>

#include "model/error.hpp"

using namespace brickyard::model;

namespace brickyard::cli {

namespace po = boost::program_options;

void add_common_options(po::options_description& desc) {
  desc.add_options()("help,h", "show this help")("quiet,q", "no progress lines");
}

void add_design_options(po::options_description& desc, DesignInputs& in) {
  desc.add_options()("design", po::value(&in.design_path),
                     "design.json: network, accelerator and mappings")(
      "layer", po::value(&in.layer_specs)->composing(),
      "inline layer, repeatable: k=5,s=1,oh=7,ow=7,ic=552,oc=552,ab=8,wb=8[,g=1][,pad=2][,n=1]"
      "[,type=conv|dw|grouped|fc] (or ih/iw instead of oh/ow)")(
      "net", po::value(&in.net_path), "network JSON file (see data/nets/)")(
      "accel", po::value(&in.accel_spec),
      "pe=16x16,abuf=384K,wbuf=384K,obuf=384K,dataflow=ws[,clock=500M][,dram=128]"
      "[,dram_latency=100], an accelerator/design JSON file, or a shipped name (bitfusion)")(
      "mapping", po::value(&in.mapping_path),
      "mappings instead of the mapper's: a mapping JSON object or {\"mappings\": [one per "
      "layer]}")("objective", po::value(&in.objective)->default_value("latency"),
                 "mapper objective: latency | energy | edp | cost")(
      "calibration", po::value(&in.calibration_path),
      "estimator coefficients (default: data/calibration/default.json)")(
      "tech", po::value(&in.tech), "tech table name or file (default: the accelerator's)")(
      "threads", po::value(&in.threads)->default_value(0),
      "threads for mapping layers in parallel (0: all cores)")(
      "remap", "with --design and --accel: map the network anew (default: keep the design's "
               "mappings, which must fit)");
}

void finish_design_options(const po::variables_map& vm, DesignInputs& in) {
  in.remap = vm.count("remap") > 0;
}

po::variables_map parse_args(const po::options_description& desc,
                             const std::vector<std::string>& args) {
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(desc).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::string opt;
    if (auto* pe = dynamic_cast<const po::error_with_option_name*>(&e)) opt = pe->get_option_name();
    throw SpecError(opt.empty() ? "option" : opt, e.what());
  }
  return vm;
}

std::string one_line(const std::string& s) {
  std::string out;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u != 0x7f) {
      out += c;
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", u);
      out += buf;
    }
  }
  return out;
}

} // namespace brickyard::cli
