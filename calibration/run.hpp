#pragma once
// Simulating design points. SystemC allows one elaboration per process, so every group
// (one layer x its mappings on one accelerator, one simulate() call) runs in a child
// process: the brickyard binary itself, spawned with a hidden worker subcommand that
// calls run_worker(). Results come back through a JSON file the child writes
// atomically; a child that crashes, fails or hangs is reported with its point ids.
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "calibration/record.hpp"
#include "calibration/sampler.hpp"

namespace brickyard::calibration {

struct RunOptions {
  // argv prefix that starts a worker; the input and output file paths are appended.
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
class Interrupted : public std::runtime_error {
public:
  Interrupted() : std::runtime_error("interrupted") {}
};

// Simulates the groups (opt.jobs children at a time) and calls `done` with the records
// of each group as it finishes (in completion order). Returns the failures.
std::vector<Failure> run_groups(const std::vector<Group>& groups, const RunOptions& opt,
                                const std::function<void(std::vector<Record>)>& done);

// The worker: reads a group (JSON written by run_groups), simulates it, writes the
// per-mapping results to `out_path`. Returns a process exit status.
int run_worker(const std::string& in_path, const std::string& out_path);

} // namespace brickyard::calibration
