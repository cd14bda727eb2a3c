#include "calibration/run.hpp"

#include <cstdio>

#include "sysc/service.hpp"

namespace brickyard::calibration {

std::vector<Failure> run_groups(const std::vector<Group>& groups, const RunOptions& opt,
                                const std::function<void(std::vector<Record>)>& done) {
  std::vector<Failure> failures;
  if (groups.empty()) return failures;
  std::vector<sysc::SimJob> sims;
  for (const Group& g : groups) {
    // One network of the group's layer repeated, one copy per mapping ("m0", "m1", ...).
    sysc::SimJob j;
    j.id = "group " + std::to_string(g.id);
    j.network.name = "calibration";
    for (const auto& m : g.mappings) {
      j.mappings.push_back(m);
      j.network.layers.push_back(g.layer);
      j.network.layers.back().name = "m" + std::to_string(j.mappings.size() - 1);
    }
    j.accel = g.accel;
    j.options.engine = sysc::engine_from_string(opt.engine, "engine");
    j.options.seed = opt.data_seed;
    sims.push_back(std::move(j));
  }
  auto fail = [&](const Group& g, const std::string& why) {
    Failure f{g.id, g.first_point(), g.first_point() + int(g.mappings.size()) - 1, why};
    failures.push_back(f);
    if (opt.progress)
      opt.progress("group " + std::to_string(g.id) + " (points " + std::to_string(f.first_point) +
                   ".." + std::to_string(f.last_point) + ") FAILED: " + why);
  };
  sysc::ServiceOptions so;
  so.jobs = opt.jobs;
  so.timeout_s = opt.timeout_s;
  so.worker_command = opt.worker_command;
  so.on_done = [&](const sysc::SimOutcome& o, std::size_t, std::size_t) {
    const Group& g = groups[o.index];
    if (!o.ok) return fail(g, o.error);
    const auto& layers = o.stats.layers;
    if (layers.size() != g.mappings.size()) return fail(g, "wrong number of results");
    for (const auto& l : layers)
      if (l.mismatches)
        return fail(g, l.name + ": " + std::to_string(l.mismatches) +
                           " outputs differ from the reference (" + l.first_mismatch + ")");
    std::vector<Record> recs = records_of(g, opt.engine);
    for (std::size_t j = 0; j < recs.size(); ++j) {
      const auto& l = layers[j];
      Record& x = recs[j];
      x.cycles = l.cycles;
      x.compute_cycles = l.compute_cycles;
      x.stall_cycles = l.stall_cycles;
      x.tiles = l.tiles;
      x.energy_j = l.energy_j;
      x.energy = l.energy;
    }
    const std::size_t n = recs.size();
    done(std::move(recs));
    if (opt.progress) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.1f", o.seconds);
      opt.progress("group " + std::to_string(g.id) + " done (" + std::to_string(n) + " points, " +
                   buf + " s)");
    }
  };
  sysc::simulate_jobs(sims, so);
  return failures;
}

} // namespace brickyard::calibration
