#include "sysc/sim_report.hpp"

#include <iomanip>

#include "model/report.hpp"

namespace brickyard::sysc {

using model::fmt;

void print_simulate_report(std::ostream& os, const model::Network& net,
                           const model::Accelerator& accel, const SimStats& s,
                           const std::vector<model::Cost>& est, const std::string& trace) {
  os << "network " << net.name << " (" << net.layers.size() << " layers) on " << accel.pe_rows
     << "x" << accel.pe_cols << " " << model::to_string(accel.dataflow) << ", engine "
     << to_string(s.engine) << "\n\n"
     << std::left << std::setw(14) << "layer" << std::right << std::setw(12) << "cycles"
     << std::setw(11) << "compute" << std::setw(10) << "stall" << std::setw(12) << "est cycles"
     << std::setw(8) << "err %" << std::setw(11) << "energy uJ" << std::setw(10) << "est uJ"
     << std::setw(6) << "util"
     << "  outputs\n";
  for (std::size_t i = 0; i < s.layers.size(); ++i) {
    const auto& l = s.layers[i];
    double err =
        l.cycles ? 100.0 * (double(est[i].cycles) - double(l.cycles)) / double(l.cycles) : 0;
    os << std::left << std::setw(14) << l.name.substr(0, 13) << std::right << std::setw(12)
       << l.cycles << std::setw(11) << l.compute_cycles << std::setw(10) << l.stall_cycles
       << std::setw(12) << est[i].cycles << std::setw(8) << fmt("%+.1f", err) << std::setw(11)
       << fmt("%.2f", l.energy_j * 1e6) << std::setw(10) << fmt("%.2f", est[i].energy_j * 1e6)
       << std::setw(6) << fmt("%.2f", l.utilization) << "  "
       << (l.mismatches ? "WRONG (" + l.first_mismatch + ")"
                        : "bit-exact (" + std::to_string(l.outputs) + ")")
       << "\n";
  }
  os << "\ntotal: " << s.cycles << " cycles, " << fmt("%.4f", s.latency_s * 1e3) << " ms, "
     << fmt("%.4f", s.energy_j * 1e3) << " mJ; simulated in " << fmt("%.2f", s.wall_seconds)
     << " s (" << fmt("%.0f", s.wall_seconds > 0 ? double(s.cycles) / s.wall_seconds : 0)
     << " cycles/s)\n";
  if (!trace.empty()) os << "trace: " << trace << "\n";
}

} // namespace brickyard::sysc
