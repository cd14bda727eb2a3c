#include "sysc/service.hpp"

#include <cstdlib>
#include <filesystem>
#include <stdexcept>

#include "jobs/files.hpp"
#include "jobs/pool.hpp"
#include "model/json_io.hpp"

namespace brickyard::sysc {

namespace fs = std::filesystem;

std::string worker_path() {
  if (const char* e = std::getenv("BRICKYARD_SIM_WORKER"); e && *e) return e;
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const fs::path beside = self.parent_path() / "brickyard-sim";
    if (fs::exists(beside, ec)) return beside.string();
  }
  return BRICKYARD_SIM_WORKER_BUILT;
}

std::vector<SimOutcome> simulate_jobs(const std::vector<SimJob>& sims, const ServiceOptions& opt) {
  std::vector<SimOutcome> outcomes(sims.size());
  if (sims.empty()) return outcomes;
  jobs::TempDir dir("brickyard_sim");
  const std::vector<std::string> worker =
      opt.worker_command.empty() ? std::vector<std::string>{worker_path()} : opt.worker_command;
  std::vector<jobs::Job> list;
  std::vector<std::string> result_paths;
  for (std::size_t i = 0; i < sims.size(); ++i) {
    const std::string stem = (dir.path() / ("sim" + std::to_string(i))).string();
    model::write_json_file(stem + ".job.json", to_json(sims[i]));
    jobs::Job j;
    j.id = sims[i].id;
    j.argv = worker;
    j.argv.push_back(stem + ".job.json");
    j.argv.push_back(stem + ".result.json");
    j.err_path = stem + ".err";
    list.push_back(std::move(j));
    result_paths.push_back(stem + ".result.json");
  }
  jobs::PoolOptions po;
  po.jobs = opt.jobs;
  po.timeout_s = opt.timeout_s;
  po.on_done = [&](const jobs::JobResult& r, std::size_t done, std::size_t total) {
    SimOutcome& o = outcomes[r.index];
    o.index = r.index;
    o.seconds = r.seconds;
    if (!r.ok) {
      o.error = "worker " + r.error;
    } else {
      try {
        o.stats = sim_stats_from_json(nlohmann::json::parse(jobs::slurp(result_paths[r.index])));
        o.ok = true;
      } catch (const std::exception& e) {
        o.error = std::string("unreadable worker result: ") + e.what();
      }
    }
    if (opt.on_done) opt.on_done(o, done, total);
  };
  jobs::run_pool(list, po);
  return outcomes;
}

SimStats simulate_job(const SimJob& job, const ServiceOptions& opt) {
  SimOutcome o = simulate_jobs({job}, opt).at(0);
  if (!o.ok) throw std::runtime_error("simulation of " + job.id + " failed: " + o.error);
  return o.stats;
}

} // namespace brickyard::sysc
