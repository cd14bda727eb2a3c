#pragma once
// The job pool: runs commands as child processes, `jobs` at a time, each with its stdout
// and stderr in files, a timeout, and cancellation on Ctrl-C/SIGTERM. A child that fails,
// crashes or hangs is reported with its job's id and the last line it wrote on stderr.
// The simulation service (sysc/service.hpp) runs its workers through it.
#include <cstddef>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace brickyard::jobs {

struct Job {
  std::string id;                 // names the job in failures and progress ("group 3")
  std::vector<std::string> argv;  // argv[0] searched in PATH when it has no '/'
  std::string out_path, err_path; // stdout/stderr files ("" = a file in the pool's temp dir)
};

struct JobResult {
  std::size_t index = 0; // position in the job list
  bool ok = false;       // exited with status 0
  int wait_status = 0;
  std::string error; // why it failed: "exited with status 1: <last stderr line>", hang, ...
  std::string stderr_text;
  double seconds = 0;
};

struct PoolOptions {
  int jobs = 2;         // children at a time (at least 1)
  double timeout_s = 0; // per job; 0 = none. A child still running then is killed.
  // Called as each job ends (completion order), with the number ended so far. A job whose
  // `on_done` throws stops the pool: the running children are killed and it rethrows.
  std::function<void(const JobResult&, std::size_t done, std::size_t total)> on_done;
};

// Thrown when SIGINT/SIGTERM arrived while the pool ran: the running children were
// stopped; the jobs that had ended were already delivered to on_done.
class Interrupted : public std::runtime_error {
public:
  Interrupted() : std::runtime_error("interrupted") {}
};

// Runs every job and returns their results in job order.
std::vector<JobResult> run_pool(const std::vector<Job>& jobs, const PoolOptions& opt);

// "3.4 s" / "2m05s", for progress lines.
std::string clock_text(double seconds);

} // namespace brickyard::jobs
