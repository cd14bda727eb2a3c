#pragma once
// Running an external program without a shell and capturing its output: the tools of
// export-rtl (verilator, the compiler, yosys) and brickyard itself (cosearch's simulation).
#include <string>
#include <vector>

namespace brickyard::model {

struct Run {
  int status = -1; // exit status, or -1 if it did not exit normally (or could not start)
  std::string out; // stdout (and stderr if merged)
};

// Runs argv[0] (searched in PATH) with arguments, capturing stdout, and stderr if `merge`.
Run run(const std::vector<std::string>& argv, bool merge);

} // namespace brickyard::model
