// Array engine speed (sysc/engine.hpp): simulated cycles per second on one core of a
// weight-stationary array at 8x8 bits with a pixel entering every cycle (the controller's
// full per-cycle work: set_inputs, outputs, clock), for the native C++ model and, when
// the shape is compiled in, the Verilated RTL. Goal: native >= 500,000 cycles/s on 16x16.
// SCALE-Sim manages about 13,000 cycles/s; the ratios to it are printed too.
// Reported rates are medians of repeated runs. Exit status 0 always: CI machines are
// noisy, so the goal is printed as PASS/MISS, not enforced.
//   bench_engine [reps] [native cycles per run]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "model/error.hpp"
#include "sysc/engine.hpp"

using namespace brickyard;
using namespace brickyard::sysc;
using Clock = std::chrono::steady_clock;

namespace {

constexpr double kScaleSimCyclesPerSecond = 13000;

struct Run {
  double seconds = 0;
  std::uint64_t checksum = 0;
};

// Loads both weight banks, then streams `cycles` pixels (one per cycle, bank 0) and sums
// every valid output; only the streaming cycles are timed.
Run stream(ArrayEngine& e, long cycles, std::uint32_t seed) {
  const int R = e.rows(), C = e.cols();
  std::mt19937 g(seed);
  ArrayInputs in;
  in.a_prec = in.w_prec = 2;
  in.a_signed = in.w_signed = true;
  in.w_data.assign(std::size_t(C), 0);
  in.in_a.assign(std::size_t(R), 0);
  e.reset();
  for (int b = 0; b < 2; ++b)
    for (int r = 0; r < R; ++r) {
      in.w_we = true;
      in.w_bank = b;
      in.w_row = r;
      for (auto& w : in.w_data) w = g();
      e.set_inputs(in);
      e.outputs();
      e.clock();
    }
  in.w_we = false;
  in.in_valid = true;
  in.in_bank = false;
  std::vector<std::uint32_t> pool(std::size_t(4096) * R);
  for (auto& v : pool) v = g();
  Run run;
  const auto t0 = Clock::now();
  for (long t = 0; t < cycles; ++t) {
    const std::uint32_t* px = &pool[std::size_t(t & 4095) * R];
    std::copy(px, px + R, in.in_a.begin());
    e.set_inputs(in);
    const ArrayOutputs& o = e.outputs();
    if (o.out_valid)
      for (std::uint32_t v : o.out_data) run.checksum = run.checksum * 31 + v;
    e.clock();
  }
  run.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  return run;
}

// Median cycles/s over reps runs; *checksum gets the outputs' checksum (same every run).
double rate(Engine which, int rows, int cols, long cycles, int reps, std::uint64_t* checksum) {
  auto e = make_engine(which, model::Dataflow::WS, rows, cols);
  std::vector<double> r;
  for (int i = 0; i < reps; ++i) {
    Run run = stream(*e, cycles, 42);
    *checksum = run.checksum;
    r.push_back(double(cycles) / run.seconds);
  }
  std::sort(r.begin(), r.end());
  return r[r.size() / 2];
}

bool rtl_built(int rows, int cols) {
  const std::string want = "ws " + std::to_string(rows) + "x" + std::to_string(cols);
  for (const std::string& s : rtl_engine_shapes())
    if (s == want) return true;
  return false;
}

} // namespace

int main(int argc, char** argv) {
  const int reps = argc > 1 ? std::max(1, std::atoi(argv[1])) : 7;
  const long base = argc > 2 ? std::max(1L, std::atol(argv[2])) : 400000;
  std::string built;
  for (const std::string& s : rtl_engine_shapes()) built += (built.empty() ? "" : ", ") + s;
  std::printf("rtl engine shapes built: %s\n", built.empty() ? "none" : built.c_str());
  for (int n : {16, 4}) {
    std::printf("WS %dx%d, 8x8-bit signed, one pixel per cycle, median of %d runs:\n", n, n, reps);
    std::uint64_t sum_native = 0, sum_rtl = 0;
    // The same cycle count for both engines would take minutes on the RTL at 16x16.
    const long native_cycles = n == 16 ? base : base * 4;
    const double native = rate(Engine::Native, n, n, native_cycles, reps, &sum_native);
    std::printf("  native %12.0f cycles/s (%ld cycles per run)%s\n", native, native_cycles,
                n == 16
                    ? (native >= 500000 ? "  [goal >= 500,000: PASS]" : "  [goal >= 500,000: MISS]")
                    : "");
    if (!rtl_built(n, n)) {
      std::printf("  rtl    not built (ws %dx%d is not among the compiled models%s)\n", n, n,
                  n == 16 ? "; configure with -DBRICKYARD_RTL_ENGINE_16X16=ON" : "");
      std::printf("  vs SCALE-Sim (~%.0f cycles/s): native %.0fx\n", kScaleSimCyclesPerSecond,
                  native / kScaleSimCyclesPerSecond);
      continue;
    }
    const long rtl_cycles = std::max(1000L, base / (n == 16 ? 40 : 10));
    const double rtl = rate(Engine::Rtl, n, n, rtl_cycles, reps, &sum_rtl);
    std::uint64_t check_native = 0;
    rate(Engine::Native, n, n, rtl_cycles, 1, &check_native);
    std::printf("  rtl    %12.0f cycles/s (%ld cycles per run); same outputs as native: %s\n", rtl,
                rtl_cycles, check_native == sum_rtl ? "yes" : "NO");
    std::printf("  native / rtl: %.1fx\n", native / rtl);
    std::printf("  vs SCALE-Sim (~%.0f cycles/s): native %.0fx, rtl %.2fx\n",
                kScaleSimCyclesPerSecond, native / kScaleSimCyclesPerSecond,
                rtl / kScaleSimCyclesPerSecond);
  }
  return 0;
}
