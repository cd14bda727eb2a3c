// `brickyard simulate`: cycle-accurate simulation of layers on the accelerator.
#include <boost/program_options.hpp>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iomanip>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/inputs.hpp"
#include "model/design.hpp"
#include "model/error.hpp"
#include "model/json_io.hpp"
#include "model/mapper.hpp"
#include "sysc/simulate.hpp"

namespace po = boost::program_options;
using namespace brickyard::model;

namespace brickyard::cli {

int run_simulate(const std::vector<std::string>& args) {
  po::options_description desc(
      "usage: brickyard simulate (--layer SPEC... | --net FILE | --design FILE) --accel SPEC|FILE"
      " [options]\n\nCycle-accurate SystemC/TLM-2.0 simulation: every layer runs tile by tile on"
      " the PE array\n(native C++ model or the Verilated RTL) with double-buffered DRAM transfers;"
      "\noutputs are checked bit-exactly against a reference convolution.\n\noptions");
  std::vector<std::string> layer_specs;
  std::string net_path, design_path, accel_spec, mapping_path, engine = "native", trace,
                                                               objective = "latency", rtl_model,
                                                               cal_path;
  std::uint32_t seed = 1;
  std::uint64_t watchdog = 100'000'000;
  desc.add_options()("help,h", "show this help")("layer", po::value(&layer_specs)->composing(),
                                                 "inline layer, repeatable (as for map)")(
      "net", po::value(&net_path), "network JSON file")(
      "design", po::value(&design_path), "design.json: network, accelerator and mappings")(
      "accel", po::value(&accel_spec), "accelerator: inline spec or JSON file")(
      "mapping", po::value(&mapping_path),
      "mappings to simulate (default: the mapper's best under --objective)")(
      "objective", po::value(&objective)->default_value("latency"),
      "mapper objective for the default mappings")(
      "engine", po::value(&engine)->default_value("native"), "PE array engine: native | rtl")(
      "rtl-model", po::value(&rtl_model),
      "rtl engine from this shared library (export-rtl --verify builds one)")(
      "trace", po::value(&trace), "write a VCD of the controller state to this file")(
      "seed", po::value(&seed)->default_value(1), "seed of the random layer data")(
      "signed-activations", "draw signed activations (default unsigned, weights signed)")(
      "no-skip", "simulate every cycle as its own SystemC time step (slower, same cycles)")(
      "watchdog", po::value(&watchdog)->default_value(100'000'000),
      "cycles a wait for DRAM may last before the run is stopped as hung")(
      "calibration", po::value(&cal_path),
      "estimator coefficients for the default mappings and the estimate columns (default: "
      "data/calibration/default.json)")("json", "print one JSON object instead of a table")(
      "quiet,q", "no progress lines");
  po::variables_map vm = parse_args(desc, args);
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return kExitOk;
  }

  Network net;
  Accelerator accel;
  std::vector<Mapping> maps;
  bool from_file = true;
  if (!design_path.empty()) {
    if (!layer_specs.empty() || !net_path.empty())
      throw SpecError("design", "give either --design or --layer/--net");
    Design d = load_design(design_path);
    net = d.network;
    accel = d.accelerator;
    if (mapping_path.empty()) maps = d.mappings;
    if (!accel_spec.empty()) accel = load_accelerator(accel_spec);
  } else {
    net = build_network(layer_specs, net_path);
    from_file = !net_path.empty();
    if (accel_spec.empty()) throw SpecError("accel", "missing (--accel SPEC or FILE)");
    accel = load_accelerator(accel_spec);
  }
  Tech tech = load_tech(accel.tech);
  sysc::SimOptions opt;
  opt.engine = sysc::engine_from_string(engine, "engine");
  if (!rtl_model.empty()) {
    if (opt.engine != sysc::Engine::Rtl) throw SpecError("rtl-model", "needs --engine rtl");
    sysc::RtlModelInfo m = sysc::load_rtl_model(rtl_model);
    if (m.dataflow != accel.dataflow || m.rows != accel.pe_rows || m.cols != accel.pe_cols)
      throw SpecError("rtl-model", "'" + rtl_model + "' is a " + to_string(m.dataflow) + " " +
                                       std::to_string(m.rows) + "x" + std::to_string(m.cols) +
                                       " array, the accelerator a " + to_string(accel.dataflow) +
                                       " " + std::to_string(accel.pe_rows) + "x" +
                                       std::to_string(accel.pe_cols));
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

  Calibration cal = load_calibration(cal_path);
  std::vector<Cost> est;
  if (!mapping_path.empty()) {
    maps = load_mappings(mapping_path, net.layers.size());
  } else if (maps.empty()) {
    MapperOptions mo;
    mo.objective = objective_from_string(objective, "objective");
    auto res = map_network(net, accel, tech, cal, mo);
    for (std::size_t i = 0; i < res.size(); ++i) {
      if (!res[i].feasible)
        throw SpecError(layer_field(from_file, i),
                        "no mapping fits the buffers: " + res[i].cost.infeasible_reason);
      maps.push_back(res[i].mapping);
    }
  }
  for (std::size_t i = 0; i < net.layers.size(); ++i) {
    validate(maps[i], net.layers[i], "mappings[" + std::to_string(i) + "].");
    est.push_back(estimate(net.layers[i], accel, maps[i], tech, cal));
  }
  setenv("SC_COPYRIGHT_MESSAGE", "DISABLE", 1);
  sysc::SimStats s = sysc::simulate(net, accel, maps, tech, opt);

  std::int64_t wrong = 0;
  for (const auto& l : s.layers) wrong += l.mismatches;
  if (vm.count("json")) {
    // Word accesses of one SRAM: totals and the busiest bank (bank balance).
    auto sram = [](const sysc::BankCounts& b) {
      std::int64_t r = 0, w = 0, rmax = 0, wmax = 0;
      for (auto x : b.reads) r += x, rmax = std::max(rmax, x);
      for (auto x : b.writes) w += x, wmax = std::max(wmax, x);
      return json{{"banks", b.banks},
                  {"reads", r},
                  {"writes", w},
                  {"max_bank_reads", rmax},
                  {"max_bank_writes", wmax}};
    };
    json layers = json::array();
    for (std::size_t i = 0; i < s.layers.size(); ++i) {
      const auto& l = s.layers[i];
      layers.push_back({{"name", l.name},
                        {"cycles", l.cycles},
                        {"compute_cycles", l.compute_cycles},
                        {"stall_cycles", l.stall_cycles},
                        {"latency_s", l.latency_s},
                        {"energy_j", l.energy_j},
                        {"utilization", l.utilization},
                        {"mapping", to_json(maps[i])},
                        {"breakdown", to_json(l.energy)},
                        {"tiles", l.tiles},
                        {"outputs", l.outputs},
                        {"mismatches", l.mismatches},
                        {"sram_word_accesses",
                         {{"abuf", sram(l.abuf_banks)},
                          {"wbuf", sram(l.wbuf_banks)},
                          {"obuf", sram(l.obuf_banks)}}},
                        {"estimate", {{"cycles", est[i].cycles}, {"energy_j", est[i].energy_j}}}});
    }
    json out = {{"layers", layers},
                {"total",
                 {{"cycles", s.cycles},
                  {"latency_s", s.latency_s},
                  {"energy_j", s.energy_j},
                  {"area_mm2", s.area_mm2}}},
                {"engine", sysc::to_string(s.engine)},
                {"outputs_bit_exact", wrong == 0},
                {"wall_seconds", s.wall_seconds},
                {"accelerator", to_json(accel)}};
    std::cout << out.dump(2) << "\n";
  } else {
    std::cout << "network " << net.name << " (" << net.layers.size() << " layers) on "
              << accel.pe_rows << "x" << accel.pe_cols << " " << to_string(accel.dataflow)
              << ", engine " << sysc::to_string(s.engine) << "\n\n"
              << std::left << std::setw(14) << "layer" << std::right << std::setw(12) << "cycles"
              << std::setw(11) << "compute" << std::setw(10) << "stall" << std::setw(12)
              << "est cycles" << std::setw(8) << "err %" << std::setw(11) << "energy uJ"
              << std::setw(10) << "est uJ" << std::setw(6) << "util"
              << "  outputs\n";
    for (std::size_t i = 0; i < s.layers.size(); ++i) {
      const auto& l = s.layers[i];
      double err =
          l.cycles ? 100.0 * (double(est[i].cycles) - double(l.cycles)) / double(l.cycles) : 0;
      std::cout << std::left << std::setw(14) << l.name.substr(0, 13) << std::right << std::setw(12)
                << l.cycles << std::setw(11) << l.compute_cycles << std::setw(10) << l.stall_cycles
                << std::setw(12) << est[i].cycles << std::setw(8) << fmt("%+.1f", err)
                << std::setw(11) << fmt("%.2f", l.energy_j * 1e6) << std::setw(10)
                << fmt("%.2f", est[i].energy_j * 1e6) << std::setw(6) << fmt("%.2f", l.utilization)
                << "  "
                << (l.mismatches ? "WRONG (" + l.first_mismatch + ")"
                                 : "bit-exact (" + std::to_string(l.outputs) + ")")
                << "\n";
    }
    std::cout << "\ntotal: " << s.cycles << " cycles, " << fmt("%.4f", s.latency_s * 1e3) << " ms, "
              << fmt("%.4f", s.energy_j * 1e3) << " mJ; simulated in "
              << fmt("%.2f", s.wall_seconds) << " s ("
              << fmt("%.0f", s.wall_seconds > 0 ? double(s.cycles) / s.wall_seconds : 0)
              << " cycles/s)\n";
    if (!trace.empty()) std::cout << "trace: " << trace << "\n";
  }
  if (wrong) {
    std::cerr << "brickyard simulate: " << wrong
              << " outputs differ from the reference convolution\n";
    return kExitInternal;
  }
  return kExitOk;
}

} // namespace brickyard::cli
