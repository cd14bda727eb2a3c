#pragma once
// The one way brickyard starts a process: without a shell, with its standard streams
// redirected to files (or inherited), and waited for. Used by the job pool (pool.hpp) and
// directly for the external tools (verilator, the compiler, yosys, gnuplot).
#include <sys/types.h>

#include <string>
#include <vector>

namespace brickyard::jobs {

// Where a child's standard streams go. An empty path inherits the parent's stream.
struct Redirect {
  std::string in = "/dev/null";
  std::string out;
  std::string err;
  bool err_to_out = false; // stderr joins stdout (after out's redirection)
};

// Starts argv[0] (searched in PATH when it has no '/') with the arguments. Throws
// std::runtime_error naming the program when it cannot be started.
pid_t spawn(const std::vector<std::string>& argv, const Redirect& r = {});

// Waits for the child; returns the raw wait status (EINTR is retried).
int wait_for(pid_t pid);

// Exit status of a raw wait status, or -1 if the child did not exit normally.
int exit_status(int wait_status);

// "exited with status 3", "killed by signal Segmentation fault".
std::string describe_status(int wait_status);

struct Run {
  int status = -1; // exit status, or -1 if the child did not exit normally or could not start
  std::string out; // stdout (and stderr if merged)
};

// Runs argv to completion, capturing stdout (and stderr if `merge`). A program that
// cannot be started gives status -1 and the reason in `out`.
Run run(const std::vector<std::string>& argv, bool merge);

// Runs `gnuplot script`. On success removes the script and its data file and returns
// "plot: <png>"; otherwise keeps them and returns "plot skipped: gnuplot not found|failed
// (script '...')", for reports that say where their plot went.
std::string gnuplot(const std::string& script, const std::string& data, const std::string& png);

} // namespace brickyard::jobs
