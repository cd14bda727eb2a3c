#pragma once
// The simulation service: runs SimJobs (sim_json.hpp) in brickyard-sim worker processes
// through the job pool (jobs/pool.hpp). SystemC allows one elaboration per process, so every
// simulation a library asks for that is not the process's own single run goes through here:
// calibration's design points, quantize's simulated cost table, the co-search's check of
// its design and export-rtl --verify. This library does not link SystemC; the worker
// (worker.hpp, the brickyard-sim binary) does.
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "sysc/sim_json.hpp"

namespace brickyard::sysc {

struct SimOutcome {
  std::size_t index = 0; // position in the job list
  bool ok = false;       // the worker ran the job and wrote its results
  std::string error;     // why not: "worker exited with status 1: <its last stderr line>", ...
  SimStats stats;
  double seconds = 0; // wall time of the worker
};

struct ServiceOptions {
  int jobs = 2;         // workers at a time
  double timeout_s = 0; // per job; 0 = none (a worker still running then is killed: hang)
  // argv prefix that starts a worker; the job file and the result file are appended.
  // Empty: { worker_path() }.
  std::vector<std::string> worker_command;
  // Called as each job ends (completion order); an exception thrown here stops the run.
  std::function<void(const SimOutcome&, std::size_t done, std::size_t total)> on_done;
};

// Runs every job; returns the outcomes in job order. Throws jobs::Interrupted on
// Ctrl-C/SIGTERM (running workers are stopped).
std::vector<SimOutcome> simulate_jobs(const std::vector<SimJob>& jobs, const ServiceOptions& opt);

// One job; throws std::runtime_error naming the job if the worker failed.
SimStats simulate_job(const SimJob& job, const ServiceOptions& opt = {});

// The brickyard-sim worker: $BRICKYARD_SIM_WORKER, else brickyard-sim beside this
// process's binary, else the one this build made.
std::string worker_path();

} // namespace brickyard::sysc
