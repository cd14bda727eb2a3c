#pragma once
// The table `brickyard simulate` prints (its JSON is simulate_report_json, sim_json.hpp).
#include <ostream>
#include <string>
#include <vector>

#include "model/accelerator.hpp"
#include "model/cost.hpp"
#include "model/network.hpp"
#include "sysc/simulate.hpp"

namespace brickyard::sysc {

void print_simulate_report(std::ostream& os, const model::Network& net,
                           const model::Accelerator& accel, const SimStats& s,
                           const std::vector<model::Cost>& estimates,
                           const std::string& trace_path);

} // namespace brickyard::sysc
