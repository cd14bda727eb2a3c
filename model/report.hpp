#pragma once
// What `brickyard map` and `brickyard estimate` print: the JSON object of the CLI contract
// (docs/formats.md) and the tables, for a resolved design (resolve.hpp).
#include <ostream>
#include <string>
#include <vector>

#include "model/json_io.hpp"
#include "model/mapper.hpp"
#include "model/resolve.hpp"

namespace brickyard::model {

// One result per layer: the mapper's (with its search statistics) or, for kept mappings,
// the estimate resolve_design made of each (one candidate evaluated).
std::vector<MapResult> layer_results(const ResolvedDesign& r);

// layers[] (cycles, compute/stall cycles, latency_s, energy_j, utilization, macs, mapping,
// breakdown, traffic_bits, search), total, search, accelerator, objective, calibration.
json map_report_json(const ResolvedDesign& r, const std::vector<MapResult>& results,
                     const std::string& objective);

// The tables: the mapping per layer (map) or the cycle and energy split (estimate).
void print_map_report(std::ostream& os, const ResolvedDesign& r,
                      const std::vector<MapResult>& results, const std::string& objective,
                      bool estimate_mode);

std::string fmt(const char* printf_format, double v);
std::string tiles_str(const Mapping& m); // "n1 ow7 oh7 ic64 oc32"
std::string order_str(const Mapping& m); // "n>ow>oh>oc>ic"

} // namespace brickyard::model
