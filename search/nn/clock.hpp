#pragma once
// Wall-clock seconds for progress lines, ETAs and reports (steady clock).
#include <chrono>

namespace brickyard::search {

using Clock = std::chrono::steady_clock;

inline double since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

} // namespace brickyard::search
