// Self-checking testbench of the Verilated WS and OS arrays (rtl/pe_array_ws.sv,
// rtl/pe_array_os.sv). The testbench is the controller: it tiles small convolutions and
// matrix products onto the array under the timing rules of rtl/README.md, accumulates
// partial sums as the output buffer would, and compares every output bit-exactly with a
// reference convolution; it also checks the cycle of every output against the formulas.
// Built once per configuration: DUT (class), DUT_HEADER, ARRAY_ROWS, ARRAY_COLS, and
// DATAFLOW_WS or DATAFLOW_OS.
#include DUT_HEADER
#include "verilated.h"
#if VM_TRACE
#include "verilated_vcd_c.h"
#endif

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "fu_ref.hpp"

using namespace brickyard::rtl_test;

// The dataflow-specific modules name their ports in_data / rd_data; the pe_array wrapper
// names them in_a / out_data.
#ifndef WS_IN_PORT
#define WS_IN_PORT in_data
#endif
#ifndef OS_RD_PORT
#define OS_RD_PORT rd_data
#endif

namespace {

constexpr int R = ARRAY_ROWS;
constexpr int C = ARRAY_COLS;

[[noreturn]] void fail(const std::string& msg) {
  std::fprintf(stderr, "FAIL: %s\n", msg.c_str());
  std::exit(1);
}

struct Precision {
  int a_bits, w_bits;
  bool a_signed, w_signed;
  std::string str() const {
    return std::to_string(a_bits) + (a_signed ? "s" : "u") + "x" + std::to_string(w_bits) +
           (w_signed ? "s" : "u");
  }
};

// A convolution on packed words: X[cg][y][x] holds pf input channels, Wt[oc][cg][kh][kw].
struct Conv {
  int cg, oc, ih, iw, k, s, pad;
  Precision p;
  std::vector<std::uint32_t> x, w;
  int oh() const { return (ih + 2 * pad - k) / s + 1; }
  int ow() const { return (iw + 2 * pad - k) / s + 1; }
  std::uint32_t in(int g, int y, int xx) const {
    if (g >= cg || y < 0 || y >= ih || xx < 0 || xx >= iw) return 0;
    return x[(std::size_t(g) * ih + y) * iw + xx];
  }
  std::uint32_t wt(int o, int g, int kh, int kw) const {
    if (o >= oc || g >= cg) return 0;
    return w[((std::size_t(o) * cg + g) * k + kh) * k + kw];
  }
  std::int64_t ref(int o, int y, int xx) const {
    std::int64_t sum = 0;
    for (int g = 0; g < cg; ++g)
      for (int kh = 0; kh < k; ++kh)
        for (int kw = 0; kw < k; ++kw)
          sum += fu_dot(in(g, y * s + kh - pad, xx * s + kw - pad), wt(o, g, kh, kw), p.a_bits,
                        p.w_bits, p.a_signed, p.w_signed);
    return sum;
  }
};

Conv make_conv(std::mt19937& g, int cg, int oc, int ih, int iw, int k, int s, int pad,
               Precision p) {
  Conv cv{cg, oc, ih, iw, k, s, pad, p, {}, {}};
  int pf = lanes(p.a_bits, p.w_bits);
  cv.x.resize(std::size_t(cg) * ih * iw);
  cv.w.resize(std::size_t(oc) * cg * k * k);
  for (auto& v : cv.x) v = random_word(g, p.a_bits, pf);
  for (auto& v : cv.w) v = random_word(g, p.w_bits, pf);
  return cv;
}

class Bench {
public:
  explicit Bench(const char* vcd) : top_(std::make_unique<DUT>()) {
#if VM_TRACE
    if (vcd) {
      Verilated::traceEverOn(true);
      trace_ = std::make_unique<VerilatedVcdC>();
      top_->trace(trace_.get(), 99);
      trace_->open(vcd);
    }
#else
    if (vcd) std::fprintf(stderr, "VCD needs -DBRICKYARD_RTL_TRACE=ON; not tracing\n");
#endif
  }
  ~Bench() {
#if VM_TRACE
    if (trace_) trace_->close();
#endif
  }
  DUT& dut() {
    return *top_;
  }
  // Evaluate the current cycle's inputs (outputs are then readable), then clock it.
  void settle() {
    top_->clk = 0;
    top_->eval();
#if VM_TRACE
    if (trace_) trace_->dump(2 * cycle_);
#endif
  }
  void clock() {
    top_->clk = 1;
    top_->eval();
#if VM_TRACE
    if (trace_) trace_->dump(2 * cycle_ + 1);
#endif
    ++cycle_;
  }
  void reset(const Precision& p) {
    top_->rst_n = 0;
    top_->a_prec = prec_code(p.a_bits);
    top_->w_prec = prec_code(p.w_bits);
    top_->a_signed = p.a_signed;
    top_->w_signed = p.w_signed;
    idle();
    for (int i = 0; i < 3; ++i) settle(), clock();
    top_->rst_n = 1;
    cycle_ = 0;
  }
  void idle() {
#ifdef DATAFLOW_WS
    top_->w_we = 0;
#endif
    top_->in_valid = 0;
  }
  std::uint64_t cycle() const {
    return cycle_;
  }

private:
  std::unique_ptr<DUT> top_;
#if VM_TRACE
  std::unique_ptr<VerilatedVcdC> trace_;
#endif
  std::uint64_t cycle_ = 0;
};

#ifdef DATAFLOW_WS
// One weight-stationary pass: the weights of R input-channel groups x C output channels
// at one kernel position, and the pixels streamed through them.
struct Pass {
  std::vector<std::uint32_t> w;               // [R][C]
  std::vector<std::vector<std::uint32_t>> px; // [P][R]
  std::vector<std::int64_t*> dst;             // [P*C], where each partial sum accumulates
};

// The controller's schedule (rtl/README.md, WS): bank i%2; rows of a bank are written in
// ascending order on consecutive cycles starting at load(i), with
//   load(i)  >= load(i-1) + R                 (one weight row per cycle)
//   load(i)  >= last(i-2) + C - 1             (pass i-2, same bank, has left every row)
//   start(i) >= load(i) + 1,  start(i) >= last(i-1) + 1
// and each output vector appears R + C - 1 cycles after its pixel entered.
std::uint64_t run_ws(Bench& b, const std::vector<Pass>& passes, std::uint64_t* predicted) {
  const int n = int(passes.size());
  std::vector<std::int64_t> load(n), start(n), last(n);
  for (int i = 0; i < n; ++i) {
    std::int64_t P = std::int64_t(passes[i].px.size());
    load[i] = i == 0 ? 0 : load[i - 1] + R;
    if (i >= 2) load[i] = std::max(load[i], last[i - 2] + C - 1);
    start[i] = load[i] + 1;
    if (i >= 1) start[i] = std::max(start[i], last[i - 1] + 1);
    last[i] = start[i] + P - 1;
  }
  *predicted = std::uint64_t(last[n - 1] + R + C - 1);
  // Expected output order: every pixel of every pass, in stream order.
  std::vector<std::pair<int, int>> order;
  for (int i = 0; i < n; ++i)
    for (std::size_t p = 0; p < passes[i].px.size(); ++p) order.emplace_back(i, int(p));
  std::size_t next_out = 0;
  std::uint64_t last_out = 0;
  std::uint64_t end = *predicted + 4;
  auto& d = b.dut();
  for (std::uint64_t t = 0; t <= end; ++t) {
    b.idle();
    for (int i = 0; i < n; ++i) {
      std::int64_t tt = std::int64_t(t);
      if (tt >= load[i] && tt < load[i] + R) {
        int row = int(tt - load[i]);
        d.w_we = 1;
        d.w_bank = i & 1;
        d.w_row = row;
        for (int c = 0; c < C; ++c) d.w_data[c] = passes[i].w[std::size_t(row) * C + c];
      }
      if (tt >= start[i] && tt <= last[i]) {
        const auto& px = passes[i].px[std::size_t(tt - start[i])];
        d.in_valid = 1;
        d.in_bank = i & 1;
        for (int r = 0; r < R; ++r) d.WS_IN_PORT[r] = px[r];
      }
    }
    b.settle();
    if (d.out_valid) {
      if (next_out >= order.size()) fail("more output vectors than pixels");
      auto [i, p] = order[next_out++];
      std::uint64_t expect_cycle = std::uint64_t(start[i] + p + R + C - 1);
      if (t != expect_cycle)
        fail("pass " + std::to_string(i) + " pixel " + std::to_string(p) + " came out in cycle " +
             std::to_string(t) + ", formula says " + std::to_string(expect_cycle));
      for (int c = 0; c < C; ++c)
        if (std::int64_t* dst = passes[i].dst[std::size_t(p) * C + c])
          *dst += std::int32_t(d.out_data[c]);
      last_out = t;
    }
    b.clock();
  }
  if (next_out != order.size())
    fail("only " + std::to_string(next_out) + " of " + std::to_string(order.size()) +
         " output vectors came out");
  return last_out;
}

// Tiles a convolution onto the WS array: for every oc chunk, input-channel-group chunk
// and kernel position one pass over all output pixels.
void check_conv_ws(Bench& b, const Conv& cv, const char* name) {
  const int oh = cv.oh(), ow = cv.ow();
  std::vector<std::int64_t> acc(std::size_t(cv.oc) * oh * ow, 0);
  std::vector<Pass> passes;
  for (int o0 = 0; o0 < cv.oc; o0 += C)
    for (int g0 = 0; g0 < cv.cg; g0 += R)
      for (int kh = 0; kh < cv.k; ++kh)
        for (int kw = 0; kw < cv.k; ++kw) {
          Pass ps;
          ps.w.resize(std::size_t(R) * C);
          for (int r = 0; r < R; ++r)
            for (int c = 0; c < C; ++c)
              ps.w[std::size_t(r) * C + c] = cv.wt(o0 + c, g0 + r, kh, kw);
          for (int y = 0; y < oh; ++y)
            for (int x = 0; x < ow; ++x) {
              std::vector<std::uint32_t> v(R);
              for (int r = 0; r < R; ++r)
                v[r] = cv.in(g0 + r, y * cv.s + kh - cv.pad, x * cv.s + kw - cv.pad);
              ps.px.push_back(v);
              for (int c = 0; c < C; ++c)
                ps.dst.push_back(o0 + c < cv.oc ? &acc[(std::size_t(o0 + c) * oh + y) * ow + x]
                                                : nullptr);
            }
          passes.push_back(std::move(ps));
        }
  b.reset(cv.p);
  std::uint64_t predicted = 0;
  std::uint64_t last = run_ws(b, passes, &predicted);
  if (last != predicted)
    fail(std::string(name) + ": last output in cycle " + std::to_string(last) + ", formula " +
         std::to_string(predicted));
  for (int o = 0; o < cv.oc; ++o)
    for (int y = 0; y < oh; ++y)
      for (int x = 0; x < ow; ++x) {
        std::int64_t want = std::int32_t(cv.ref(o, y, x));
        std::int64_t got = std::int32_t(acc[(std::size_t(o) * oh + y) * ow + x]);
        if (got != want)
          fail(std::string(name) + " " + cv.p.str() + ": output oc=" + std::to_string(o) +
               " y=" + std::to_string(y) + " x=" + std::to_string(x) + " is " +
               std::to_string(got) + ", reference " + std::to_string(want));
      }
  // Closed form of rtl/README.md when pixels per pass P >= max(R, C - 1): passes stream
  // back to back and the run takes passes*P + R + C cycles (last output index + 1).
  std::int64_t P = std::int64_t(oh) * ow;
  if (P >= std::max(R, C - 1)) {
    std::uint64_t closed = std::uint64_t(std::int64_t(passes.size()) * P + R + C - 1);
    if (last != closed)
      fail(std::string(name) + ": last output in cycle " + std::to_string(last) + ", closed form " +
           std::to_string(closed));
  }
  std::printf("  %-34s %-8s %3zu passes, %4zu outputs, last output in cycle %llu (formula %llu)\n",
              name, cv.p.str().c_str(), passes.size(), acc.size(), (unsigned long long)last,
              (unsigned long long)predicted);
}
#endif

#ifdef DATAFLOW_OS
// Tiles a convolution onto the OS array: folds of R output pixels x C output channels,
// each reducing over (channel group, kh, kw) steps; results read one row per cycle.
void check_conv_os(Bench& b, const Conv& cv, const char* name) {
  const int oh = cv.oh(), ow = cv.ow();
  const int pixels = oh * ow;
  const int T = cv.cg * cv.k * cv.k;
  const std::int64_t period = std::max({T, C, R});
  struct Fold {
    int p0, o0;
  };
  std::vector<Fold> folds;
  for (int o0 = 0; o0 < cv.oc; o0 += C)
    for (int p0 = 0; p0 < pixels; p0 += R) folds.push_back({p0, o0});
  const std::int64_t n = std::int64_t(folds.size());
  std::vector<std::int64_t> got(std::size_t(cv.oc) * pixels, INT64_MIN);
  b.reset(cv.p);
  auto& d = b.dut();
  const std::int64_t last_read = (n - 1) * period + T - 1 + C + R - 1;
  for (std::int64_t t = 0; t <= last_read; ++t) {
    b.idle();
    std::int64_t f = t / period, step = t % period;
    if (f < n && step < T) {
      const Fold& fd = folds[std::size_t(f)];
      int g = int(step / (cv.k * cv.k)), kh = int(step / cv.k % cv.k), kw = int(step % cv.k);
      d.in_valid = 1;
      d.in_first = step == 0;
      d.in_last = step == T - 1;
      for (int r = 0; r < R; ++r) {
        int p = fd.p0 + r, y = p / ow, x = p % ow;
        d.in_a[r] = p < pixels ? cv.in(g, y * cv.s + kh - cv.pad, x * cv.s + kw - cv.pad) : 0;
      }
      for (int c = 0; c < C; ++c) d.in_w[c] = cv.wt(fd.o0 + c, g, kh, kw);
    }
    // Readout of fold j row r in cycle last_step(j) + C + r.
    std::int64_t j = -1, r = -1;
    for (std::int64_t jj = std::max<std::int64_t>(0, f - 2); jj <= std::min(f, n - 1); ++jj) {
      std::int64_t rr = t - (jj * period + T - 1 + C);
      if (rr >= 0 && rr < R) j = jj, r = rr;
    }
    if (j >= 0) d.rd_row = std::uint32_t(r);
    b.settle();
    if (j >= 0) {
      const Fold& fd = folds[std::size_t(j)];
      int p = fd.p0 + int(r);
      for (int c = 0; c < C; ++c)
        if (p < pixels && fd.o0 + c < cv.oc)
          got[std::size_t(fd.o0 + c) * pixels + p] = std::int32_t(d.OS_RD_PORT[c]);
    }
    b.clock();
  }
  for (int o = 0; o < cv.oc; ++o)
    for (int p = 0; p < pixels; ++p) {
      std::int64_t want = std::int32_t(cv.ref(o, p / ow, p % ow));
      std::int64_t g = got[std::size_t(o) * pixels + p];
      if (g != want)
        fail(std::string(name) + " " + cv.p.str() + ": output oc=" + std::to_string(o) +
             " pixel=" + std::to_string(p) + " read " + std::to_string(g) + ", reference " +
             std::to_string(want) + " (read in cycle last_step + COLS + row)");
    }
  std::printf("  %-34s %-8s %3lld folds of %3d steps, %4zu outputs, last read in cycle %lld\n",
              name, cv.p.str().c_str(), (long long)n, T, got.size(), (long long)last_read);
}
#endif

} // namespace

int main(int argc, char** argv) {
  Verilated::commandArgs(argc, argv);
  Bench bench(std::getenv("BRICKYARD_VCD"));
  std::mt19937 g(20261123);
  const Precision precs[] = {{8, 8, true, true},  {4, 4, true, false},  {2, 2, false, true},
                             {8, 2, true, true},  {2, 8, false, false}, {4, 8, true, true},
                             {8, 4, false, true}, {2, 4, true, true},   {4, 2, false, false}};
  std::printf("%s %dx%d\n", DATAFLOW_NAME, R, C);
  int cases = 0;
  for (const Precision& p : precs) {
    struct Shape {
      const char* name;
      int cg, oc, ih, iw, k, s, pad;
    };
    const Shape shapes[] = {
        {"matrix tile (1x1 conv)", R, C, 3, 4, 1, 1, 0},
        {"tile smaller than the array", std::max(1, R - 1), std::max(1, C - 2), 2, 3, 1, 1, 0},
        {"3x3 conv, stride 1, pad 1", R + 1, C + 1, 5, 5, 3, 1, 1},
        {"3x3 conv, stride 2, pad 1, 2 oc tiles", 2, 2 * C - 1, 7, 6, 3, 2, 1},
        {"5x5 conv, stride 1, no pad", R, 3, 6, 6, 5, 1, 0},
        {"fully connected (1x1 image)", 2 * R, C + 2, 1, 1, 1, 1, 0},
    };
    for (const Shape& s : shapes) {
      Conv cv = make_conv(g, s.cg, s.oc, s.ih, s.iw, s.k, s.s, s.pad, p);
#ifdef DATAFLOW_WS
      check_conv_ws(bench, cv, s.name);
#else
      check_conv_os(bench, cv, s.name);
#endif
      ++cases;
    }
  }
  std::printf("PASS: %d convolution tiles bit-exact with cycle-exact outputs\n", cases);
  return 0;
}
