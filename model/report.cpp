#include "model/report.hpp"

#include <cstdio>
#include <iomanip>
#include <sstream>

#include "model/estimator.hpp"

namespace brickyard::model {

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

std::string tiles_str(const Mapping& m) {
  std::ostringstream s;
  s << "n" << m[Dim::N] << " ow" << m[Dim::OW] << " oh" << m[Dim::OH] << " ic" << m[Dim::IC]
    << " oc" << m[Dim::OC];
  return s.str();
}

std::string order_str(const Mapping& m) {
  std::string s;
  for (int i = 0; i < kNumDims; ++i) s += (i ? ">" : "") + std::string(to_string(m.order[i]));
  return s;
}

std::vector<MapResult> layer_results(const ResolvedDesign& r) {
  if (!r.mapped.empty()) return r.mapped;
  std::vector<MapResult> out;
  for (std::size_t i = 0; i < r.kept_costs.size(); ++i) {
    MapResult m;
    m.mapping = r.design.mappings[i];
    m.cost = r.kept_costs[i];
    m.feasible = m.cost.feasible;
    m.evaluated = 1;
    m.feasible_count = m.feasible ? 1 : 0;
    out.push_back(m);
  }
  return out;
}

namespace {

struct Totals {
  std::int64_t cycles = 0, evaluated = 0, feasible = 0;
  double energy = 0, latency = 0, search_s = 0;
};

Totals totals(const std::vector<MapResult>& results) {
  Totals t;
  for (const auto& r : results) {
    t.cycles += r.cost.cycles;
    t.energy += r.cost.energy_j;
    t.latency += r.cost.latency_s;
    t.evaluated += r.evaluated;
    t.feasible += r.feasible_count;
    t.search_s += r.seconds;
  }
  return t;
}

} // namespace

json map_report_json(const ResolvedDesign& r, const std::vector<MapResult>& results,
                     const std::string& objective) {
  const Design& d = r.design;
  json layers = json::array();
  for (std::size_t i = 0; i < results.size(); ++i) {
    const auto& c = results[i].cost;
    // The estimator's cost object (without "feasible": every layer here fits) and what
    // the mapper adds.
    json l = to_json(c);
    l.erase("feasible");
    l["name"] = d.network.layers[i].name;
    l["macs"] = d.network.layers[i].macs();
    l["mapping"] = to_json(results[i].mapping);
    l["search"] = {{"evaluated", results[i].evaluated},
                   {"feasible", results[i].feasible_count},
                   {"seconds", results[i].seconds}};
    layers.push_back(l);
  }
  const Totals t = totals(results);
  return {{"layers", layers},
          {"total",
           {{"cycles", t.cycles},
            {"latency_s", t.latency},
            {"energy_j", t.energy},
            {"area_mm2", area_mm2(d.accelerator, r.tech)}}},
          {"search",
           {{"evaluated", t.evaluated}, {"feasible", t.feasible}, {"seconds", r.map_wall_seconds}}},
          {"accelerator", to_json(d.accelerator)},
          {"objective", to_string(objective_from_string(objective, "objective"))},
          {"calibration", r.calibration.source}};
}

void print_map_report(std::ostream& os, const ResolvedDesign& r,
                      const std::vector<MapResult>& results, const std::string& objective,
                      bool estimate_mode) {
  const Design& d = r.design;
  const Network& net = d.network;
  const Accelerator& accel = d.accelerator;
  os << "network " << net.name << " (" << net.layers.size() << " layers) on " << accel.pe_rows
     << "x" << accel.pe_cols << " " << to_string(accel.dataflow) << ", abuf/wbuf/obuf "
     << accel.abuf_bytes / 1024 << "/" << accel.wbuf_bytes / 1024 << "/" << accel.obuf_bytes / 1024
     << " KB, " << accel.clock_hz / 1e6 << " MHz, " << accel.dram_bits_per_cycle
     << " DRAM bits/cycle; objective " << to_string(objective_from_string(objective, "objective"))
     << "\n\n";
  if (!estimate_mode) {
    os << std::left << std::setw(14) << "layer" << std::setw(34) << "tile" << std::setw(18)
       << "order (outer>inner)" << std::right << std::setw(13) << "cycles" << std::setw(11)
       << "lat ms" << std::setw(11) << "energy uJ" << std::setw(7) << "util"
       << "\n";
    for (std::size_t i = 0; i < results.size(); ++i) {
      const auto& x = results[i];
      os << std::left << std::setw(14) << net.layers[i].name.substr(0, 13) << std::setw(34)
         << tiles_str(x.mapping) << std::setw(18) << order_str(x.mapping) << std::right
         << std::setw(13) << x.cost.cycles << std::setw(11) << fmt("%.4f", x.cost.latency_s * 1e3)
         << std::setw(11) << fmt("%.2f", x.cost.energy_j * 1e6) << std::setw(7)
         << fmt("%.2f", x.cost.utilization) << "\n";
    }
  } else {
    os << std::left << std::setw(14) << "layer" << std::right << std::setw(13) << "cycles"
       << std::setw(12) << "compute" << std::setw(10) << "stall" << std::setw(11) << "lat ms"
       << std::setw(11) << "energy uJ" << std::setw(7) << "util"
       << "   energy split pe/abuf/wbuf/obuf/dram/leak %\n";
    for (std::size_t i = 0; i < results.size(); ++i) {
      const auto& c = results[i].cost;
      const auto& e = c.energy;
      double t = c.energy_j > 0 ? 100.0 / c.energy_j : 0;
      os << std::left << std::setw(14) << net.layers[i].name.substr(0, 13) << std::right
         << std::setw(13) << c.cycles << std::setw(12) << c.compute_cycles << std::setw(10)
         << c.stall_cycles << std::setw(11) << fmt("%.4f", c.latency_s * 1e3) << std::setw(11)
         << fmt("%.2f", c.energy_j * 1e6) << std::setw(7) << fmt("%.2f", c.utilization) << "   "
         << fmt("%.0f", e.pe * t) << "/" << fmt("%.0f", e.abuf * t) << "/"
         << fmt("%.0f", e.wbuf * t) << "/" << fmt("%.0f", e.obuf * t) << "/"
         << fmt("%.0f", e.dram * t) << "/" << fmt("%.0f", e.leak * t) << "\n";
    }
  }
  const Totals t = totals(results);
  os << "\ntotal: " << t.cycles << " cycles, " << fmt("%.4f", t.latency * 1e3) << " ms, "
     << fmt("%.4f", t.energy * 1e3) << " mJ, area " << fmt("%.3f", area_mm2(accel, r.tech))
     << " mm^2\n";
  if (!r.mapped.empty())
    os << "search: " << t.evaluated << " candidates evaluated, " << t.feasible << " feasible, "
       << fmt("%.2f", t.search_s * 1e3) << " ms of mapper time ("
       << fmt("%.2f", r.map_wall_seconds * 1e3) << " ms wall)\n";
  os << "calibration: " << r.calibration.source << "; tech: " << r.tech.name << "\n";
}

} // namespace brickyard::model
