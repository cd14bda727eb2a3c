// `brickyard map` / `brickyard estimate`: inputs per the CLI contract in docs/design.md.
#include <boost/program_options.hpp>

#include <cstdio>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "cli/commands.hpp"
#include "cli/inputs.hpp"
#include "model/error.hpp"
#include "model/json_io.hpp"
#include "model/mapper.hpp"
#include "model/spec.hpp"

namespace po = boost::program_options;
using namespace brickyard::model;

namespace brickyard::cli {

namespace {

int run_map_checked(const std::vector<std::string>& args, bool estimate_mode) {
  const char* cmd = estimate_mode ? "estimate" : "map";
  po::options_description desc(std::string("usage: brickyard ") + cmd +
                               " (--layer SPEC... | --net FILE) --accel SPEC|FILE [options]\n\n" +
                               (estimate_mode ? "Analytic latency, energy and area of each layer "
                                                "at its best mapping (or at --mapping).\n"
                                              : "Best mapping of each layer by the BatchTile "
                                                "mapper: every power-of-two tile x loop order.\n") +
                               "\noptions");
  std::vector<std::string> layer_specs;
  std::string net_path, accel_spec, objective = "latency", cal_path, tech_name, mapping_path;
  int threads = 0;
  desc.add_options()("help,h", "show this help")(
      "layer", po::value(&layer_specs)->composing(),
      "inline layer, repeatable: k=5,s=1,oh=7,ow=7,ic=552,oc=552,ab=8,wb=8[,g=1][,pad=2][,n=1]"
      "[,type=conv|dw|grouped|fc] (or ih/iw instead of oh/ow)")(
      "net", po::value(&net_path), "network JSON file (see data/nets/)")(
      "accel", po::value(&accel_spec),
      "pe=16x16,abuf=384K,wbuf=384K,obuf=384K,dataflow=ws[,clock=500M][,dram=128]"
      "[,dram_latency=100] or an accelerator/design JSON file")(
      "objective", po::value(&objective)->default_value("latency"),
      "latency | energy | edp | cost")("json", "print one JSON object instead of a table")(
      "calibration", po::value(&cal_path),
      "estimator coefficients (default: data/calibration/default.json)")(
      "tech", po::value(&tech_name), "tech table name or file (default: the accelerator's)")(
      "threads", po::value(&threads)->default_value(0),
      "threads for mapping layers in parallel (0: all cores)");
  if (estimate_mode)
    desc.add_options()("mapping", po::value(&mapping_path),
                       "evaluate these mappings instead of searching: a mapping JSON object or "
                       "{\"mappings\": [one per layer]}");

  po::variables_map vm = parse_args(desc, args);
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return kExitOk;
  }
  if (accel_spec.empty()) throw SpecError("accel", "missing (--accel SPEC or FILE)");
  if (threads < 0) throw SpecError("threads", "must be >= 0");

  Network net = build_network(layer_specs, net_path);
  Accelerator accel = load_accelerator(accel_spec);
  if (!tech_name.empty()) accel.tech = tech_name;
  Tech tech = load_tech(accel.tech);
  Calibration cal = load_calibration(cal_path);
  MapperOptions opt;
  opt.objective = objective_from_string(objective, "objective");
  opt.threads = threads;

  std::vector<MapResult> results;
  auto t0 = std::chrono::steady_clock::now();
  if (!mapping_path.empty()) {
    auto maps = load_mappings(mapping_path, net.layers.size());
    for (std::size_t i = 0; i < maps.size(); ++i) {
      MapResult r;
      r.mapping = maps[i];
      validate(maps[i], net.layers[i], "mappings[" + std::to_string(i) + "].");
      r.cost = estimate(net.layers[i], accel, maps[i], tech, cal);
      r.feasible = r.cost.feasible;
      r.evaluated = 1;
      r.feasible_count = r.feasible ? 1 : 0;
      results.push_back(r);
    }
  } else {
    results = map_network(net, accel, tech, cal, opt);
  }
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  for (std::size_t i = 0; i < results.size(); ++i)
    if (!results[i].feasible) {
      std::string where = layer_field(!net_path.empty(), i);
      throw SpecError(where, (mapping_path.empty() ? "no mapping fits the buffers: "
                                                   : "mapping does not fit: ") +
                                 results[i].cost.infeasible_reason);
    }

  std::int64_t tot_cycles = 0, evaluated = 0, feasible = 0;
  double tot_energy = 0, tot_latency = 0, search_s = 0;
  for (const auto& r : results) {
    tot_cycles += r.cost.cycles;
    tot_energy += r.cost.energy_j;
    tot_latency += r.cost.latency_s;
    evaluated += r.evaluated;
    feasible += r.feasible_count;
    search_s += r.seconds;
  }
  double area = area_mm2(accel, tech);

  if (vm.count("json")) {
    json layers = json::array();
    for (std::size_t i = 0; i < results.size(); ++i) {
      const auto& c = results[i].cost;
      layers.push_back({{"name", net.layers[i].name},
                        {"cycles", c.cycles},
                        {"compute_cycles", c.compute_cycles},
                        {"stall_cycles", c.stall_cycles},
                        {"latency_s", c.latency_s},
                        {"energy_j", c.energy_j},
                        {"utilization", c.utilization},
                        {"macs", net.layers[i].macs()},
                        {"mapping", to_json(results[i].mapping)},
                        {"breakdown", to_json(c.energy)},
                        {"traffic_bits", to_json(c)["traffic_bits"]},
                        {"search",
                         {{"evaluated", results[i].evaluated},
                          {"feasible", results[i].feasible_count},
                          {"seconds", results[i].seconds}}}});
    }
    json out = {{"layers", layers},
                {"total",
                 {{"cycles", tot_cycles},
                  {"latency_s", tot_latency},
                  {"energy_j", tot_energy},
                  {"area_mm2", area}}},
                {"search", {{"evaluated", evaluated}, {"feasible", feasible}, {"seconds", wall}}},
                {"accelerator", to_json(accel)},
                {"objective", to_string(opt.objective)},
                {"calibration", cal.source}};
    std::cout << out.dump(2) << "\n";
    return kExitOk;
  }

  std::cout << "network " << net.name << " (" << net.layers.size() << " layers) on "
            << accel.pe_rows << "x" << accel.pe_cols << " " << to_string(accel.dataflow)
            << ", abuf/wbuf/obuf " << accel.abuf_bytes / 1024 << "/" << accel.wbuf_bytes / 1024
            << "/" << accel.obuf_bytes / 1024 << " KB, " << accel.clock_hz / 1e6 << " MHz, "
            << accel.dram_bits_per_cycle << " DRAM bits/cycle; objective "
            << to_string(opt.objective) << "\n\n";
  if (!estimate_mode) {
    std::cout << std::left << std::setw(14) << "layer" << std::setw(34) << "tile" << std::setw(18)
              << "order (outer>inner)" << std::right << std::setw(13) << "cycles" << std::setw(11)
              << "lat ms" << std::setw(11) << "energy uJ" << std::setw(7) << "util"
              << "\n";
    for (std::size_t i = 0; i < results.size(); ++i) {
      const auto& r = results[i];
      std::cout << std::left << std::setw(14) << net.layers[i].name.substr(0, 13) << std::setw(34)
                << tiles_str(r.mapping) << std::setw(18) << order_str(r.mapping) << std::right
                << std::setw(13) << r.cost.cycles << std::setw(11)
                << fmt("%.4f", r.cost.latency_s * 1e3) << std::setw(11)
                << fmt("%.2f", r.cost.energy_j * 1e6) << std::setw(7)
                << fmt("%.2f", r.cost.utilization) << "\n";
    }
  } else {
    std::cout << std::left << std::setw(14) << "layer" << std::right << std::setw(13) << "cycles"
              << std::setw(12) << "compute" << std::setw(10) << "stall" << std::setw(11) << "lat ms"
              << std::setw(11) << "energy uJ" << std::setw(7) << "util"
              << "   energy split pe/abuf/wbuf/obuf/dram/leak %\n";
    for (std::size_t i = 0; i < results.size(); ++i) {
      const auto& c = results[i].cost;
      const auto& e = c.energy;
      double t = c.energy_j > 0 ? 100.0 / c.energy_j : 0;
      std::cout << std::left << std::setw(14) << net.layers[i].name.substr(0, 13) << std::right
                << std::setw(13) << c.cycles << std::setw(12) << c.compute_cycles << std::setw(10)
                << c.stall_cycles << std::setw(11) << fmt("%.4f", c.latency_s * 1e3)
                << std::setw(11) << fmt("%.2f", c.energy_j * 1e6) << std::setw(7)
                << fmt("%.2f", c.utilization) << "   " << fmt("%.0f", e.pe * t) << "/"
                << fmt("%.0f", e.abuf * t) << "/" << fmt("%.0f", e.wbuf * t) << "/"
                << fmt("%.0f", e.obuf * t) << "/" << fmt("%.0f", e.dram * t) << "/"
                << fmt("%.0f", e.leak * t) << "\n";
    }
  }
  std::cout << "\ntotal: " << tot_cycles << " cycles, " << fmt("%.4f", tot_latency * 1e3) << " ms, "
            << fmt("%.4f", tot_energy * 1e3) << " mJ, area " << fmt("%.3f", area) << " mm^2\n";
  if (mapping_path.empty())
    std::cout << "search: " << evaluated << " candidates evaluated, " << feasible << " feasible, "
              << fmt("%.2f", search_s * 1e3) << " ms of mapper time (" << fmt("%.2f", wall * 1e3)
              << " ms wall)\n";
  std::cout << "calibration: " << cal.source << "; tech: " << tech.name << "\n";
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
