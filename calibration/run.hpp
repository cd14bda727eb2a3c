#pragma once
// Simulating design points. Every group (one layer x its mappings on one accelerator) is
// one job of the simulation service (sysc/service.hpp): a brickyard-sim worker process
// (SystemC allows one elaboration per process). A worker that crashes, fails or hangs is
// reported with its group's point ids.
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "calibration/record.hpp"
#include "calibration/sampler.hpp"
#include "jobs/pool.hpp"

namespace brickyard::calibration {

struct RunOptions {
  // argv prefix that starts a worker; the job and result file paths are appended
  // (empty: the service's brickyard-sim).
  std::vector<std::string> worker_command;
  int jobs = 2;           // children at a time
  double timeout_s = 600; // per group; a child still running then is killed (hang)
  std::string engine = "native";
  std::uint32_t data_seed = 1;                      // seed of the random layer data
  std::function<void(const std::string&)> progress; // one line per finished group
};

struct Failure {
  int group = 0;
  int first_point = 0, last_point = 0;
  std::string reason;
};

// Thrown when SIGINT/SIGTERM stopped the run; finished groups were already delivered.
using Interrupted = jobs::Interrupted;

// Simulates the groups (opt.jobs children at a time) and calls `done` with the records
// of each group as it finishes (in completion order). Returns the failures.
std::vector<Failure> run_groups(const std::vector<Group>& groups, const RunOptions& opt,
                                const std::function<void(std::vector<Record>)>& done);

} // namespace brickyard::calibration
