#pragma once
#include <string>
#include <vector>

namespace brickyard::cli {

// Exit statuses: 0 success, 1 internal error, 2 bad input (one line on stderr).
inline constexpr int kExitOk = 0;
inline constexpr int kExitInternal = 1;
inline constexpr int kExitBadInput = 2;

// `brickyard map` and `brickyard estimate` (same inputs; they differ in what they print).
int run_map(const std::vector<std::string>& args, bool estimate_mode);

// `brickyard simulate` (needs the SystemC simulator in the build).
int run_simulate(const std::vector<std::string>& args);

// `brickyard calibrate`.
int run_calibrate(const std::vector<std::string>& args);

// `brickyard export-rtl`.
int run_export_rtl(const std::vector<std::string>& args);

} // namespace brickyard::cli
