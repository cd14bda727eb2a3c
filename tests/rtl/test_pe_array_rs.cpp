// Self-checking testbench of the Verilated row-stationary array (rtl/pe_array_rs.sv).
//
// The testbench is the controller: it tiles small convolutions (channels fused: every
// input element and weight is a packed word of pf channels) into passes of the array
// (output channel o, channel group g, kernel row group rg of ROWS rows, output row tile
// y0 of COLS rows), loads each pass's weights into alternating banks as early as the rule
// of rtl/README.md (RS) allows, streams the steps back to back and compares
//   - every output of every pass bit-exactly with that pass's partial sums (first mismatch
//     reported with pass, array column / output row, pixel),
//   - the out_valid cycle of every pixel with (last step's cycle) + L, L = ROWS,
//   - every pass's cycles (first step to last output) with S + L, S = ow * k steps,
//   - every pass's first-step cycle with the closed form of the steady-state period,
//   - the accumulated outputs of each convolution with a direct integer convolution.
// A negative test writes a bank one cycle earlier than the rule allows and requires a
// mismatch (the rule is tight). Built once per shape: DUT, DUT_HEADER, ARRAY_ROWS,
// ARRAY_COLS, ARRAY_KMAX. Set BRICKYARD_VCD=path (with BRICKYARD_RTL_TRACE=ON) for a VCD.
#include DUT_HEADER
#include "verilated.h"
#if VM_TRACE
#include "verilated_vcd_c.h"
#endif

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "fu_ref.hpp"

using namespace brickyard::rtl_test;

namespace {

constexpr int R = ARRAY_ROWS;
constexpr int C = ARRAY_COLS;
constexpr int KM = ARRAY_KMAX;
constexpr int NB = (C - 1) * 2 + R; // input row buses
constexpr int L = R;                // out_valid in cycle t + L, t = cycle of the last step
const std::string kShape =
    std::to_string(R) + "x" + std::to_string(C) + " (KMAX " + std::to_string(KM) + ")";

[[noreturn]] void fail(const std::string& msg) {
  std::fprintf(stderr, "FAIL rs %s: %s\n", kShape.c_str(), msg.c_str());
  std::exit(1);
}

struct Prec {
  int a, w; // bits: 2, 4 or 8
  bool as, ws;
  int pf() const { return lanes(a, w); }
  std::string str() const {
    return std::to_string(a) + (as ? "s" : "u") + "x" + std::to_string(w) + (ws ? "s" : "u");
  }
};

std::int64_t fu_dot(std::uint32_t a, std::uint32_t w, const Prec& p) {
  return brickyard::rtl_test::fu_dot(a, w, p.a, p.w, p.as, p.ws);
}

// ---- A convolution on packed words: X[g][y][x], Wt[o][g][kh][kw], zero padding ----
// Kernel kh rows by k columns (kh = k unless a test says otherwise).
struct Conv {
  std::string name;
  int cg, oc, ih, iw, k, s, pad;
  Prec p;
  int kh;
  std::vector<std::uint32_t> x, w;
  int oh() const { return (ih + 2 * pad - kh) / s + 1; }
  int ow() const { return (iw + 2 * pad - k) / s + 1; }
  std::uint32_t in(int g, int y, int xx) const {
    if (y < 0 || y >= ih || xx < 0 || xx >= iw) return 0;
    return x[(std::size_t(g) * ih + y) * iw + xx];
  }
  std::uint32_t wt(int o, int g, int r, int kw) const {
    return w[((std::size_t(o) * cg + g) * kh + r) * k + kw];
  }
  // Direct convolution, independent of the tiling.
  std::int64_t ref(int o, int y, int xx) const {
    std::int64_t s_ = 0;
    for (int g = 0; g < cg; ++g)
      for (int r = 0; r < kh; ++r)
        for (int kw = 0; kw < k; ++kw)
          s_ += fu_dot(in(g, y * s + r - pad, xx * s + kw - pad), wt(o, g, r, kw), p);
    return s_;
  }
};

Conv make_conv(std::string name, int cg, int oc, int ih, int iw, int k, int s, int pad, Prec p,
               std::mt19937& rng, int kh = 0) {
  Conv c{std::move(name), cg, oc, ih, iw, k, s, pad, p, kh ? kh : k, {}, {}};
  if (k < 1 || k > KM || c.oh() < 1 || c.ow() < 1) fail("bad test case " + c.name);
  c.x.resize(std::size_t(cg) * ih * iw);
  c.w.resize(std::size_t(oc) * cg * c.kh * k);
  for (auto& v : c.x) v = random_word(rng, p.a, p.pf(), true);
  for (auto& v : c.w) v = random_word(rng, p.w, p.pf(), true);
  return c;
}

// ---- One pass: kernel rows rg*R.. of (o, g) on output rows y0..y0+nrows-1 ----
struct Pass {
  const Conv* cv;
  int o, g, rg, y0, nrows, krows;
  // Filled in by the run.
  long first_step = -1, last_step = -1, last_out = -1;
  int S() const { return cv->ow() * cv->k; }
  std::uint32_t weight(int i, int kw) const {
    return i < krows ? cv->wt(o, g, rg * R + i, kw) : 0u; // zero rows beyond the kernel
  }
  // Input row of the convolution on bus h.
  int in_row(int h) const { return y0 * cv->s + rg * R + h - cv->pad; }
  // Whether a PE whose output is used (j < nrows) with a nonzero weight row reads bus h.
  bool needed(int h) const {
    for (int j = 0; j < nrows; ++j)
      for (int i = 0; i < krows; ++i)
        if (j * cv->s + i == h) return true;
    return false;
  }
  std::int64_t expect(int j, int xx) const {
    std::int64_t s_ = 0;
    for (int i = 0; i < krows; ++i)
      for (int kw = 0; kw < cv->k; ++kw)
        s_ += fu_dot(cv->in(g, (y0 + j) * cv->s + rg * R + i - cv->pad, xx * cv->s + kw - cv->pad),
                     cv->wt(o, g, rg * R + i, kw), cv->p);
    return s_;
  }
  std::string where() const {
    return cv->name + " oc " + std::to_string(o) + " cg " + std::to_string(g) + " kernel rows " +
           std::to_string(rg * R) + ".." + std::to_string(rg * R + krows - 1) + " output rows " +
           std::to_string(y0) + ".." + std::to_string(y0 + nrows - 1);
  }
};

std::vector<Pass> tile(const Conv& cv) {
  std::vector<Pass> ps;
  for (int o = 0; o < cv.oc; ++o)
    for (int g = 0; g < cv.cg; ++g)
      for (int rg = 0; rg * R < cv.kh; ++rg)
        for (int y0 = 0; y0 < cv.oh(); y0 += C)
          ps.push_back(
              Pass{&cv, o, g, rg, y0, std::min(C, cv.oh() - y0), std::min(R, cv.kh - rg * R)});
  return ps;
}

// Output buffer of one convolution: passes accumulate into it.
struct OutBuf {
  const Conv* cv;
  std::vector<std::int64_t> v;
  explicit OutBuf(const Conv& c) : cv(&c), v(std::size_t(c.oc) * c.oh() * c.ow(), 0) {}
  std::int64_t& at(int o, int y, int xx) {
    return v[(std::size_t(o) * cv->oh() + y) * cv->ow() + xx];
  }
  void check() {
    for (int o = 0; o < cv->oc; ++o)
      for (int y = 0; y < cv->oh(); ++y)
        for (int xx = 0; xx < cv->ow(); ++xx) {
          std::int32_t got = std::int32_t(at(o, y, xx)), exp = std::int32_t(cv->ref(o, y, xx));
          if (got != exp)
            fail(cv->name + ": accumulated output oc " + std::to_string(o) + " row " +
                 std::to_string(y) + " pixel " + std::to_string(xx) + " = " + std::to_string(got) +
                 ", direct convolution " + std::to_string(exp));
        }
  }
};

// ---- The Verilated model and its clock ----
class Sim {
public:
  Sim() : ctx_(std::make_unique<VerilatedContext>()), top_(std::make_unique<DUT>(ctx_.get())) {
    const char* vcd = std::getenv("BRICKYARD_VCD");
#if VM_TRACE
    if (vcd && *vcd) {
      ctx_->traceEverOn(true);
      tfp_ = std::make_unique<VerilatedVcdC>();
      top_->trace(tfp_.get(), 99);
      tfp_->open(vcd);
    }
#else
    if (vcd && *vcd)
      std::fprintf(stderr, "note: BRICKYARD_VCD ignored (configure with BRICKYARD_RTL_TRACE)\n");
#endif
  }
  ~Sim() {
    top_->final();
#if VM_TRACE
    if (tfp_) tfp_->close();
#endif
  }
  DUT* operator->() {
    return top_.get();
  }
  long cycle() const {
    return cycle_;
  }
  // Inputs of the current cycle are set: settle the combinational logic (clock low).
  void settle() {
    top_->clk = 0;
    top_->eval();
    dump(10 * cycle_);
  }
  // Rising edge ending the current cycle.
  void edge() {
    top_->clk = 1;
    top_->eval();
    dump(10 * cycle_ + 5);
    ++cycle_;
  }
  void idle(std::mt19937& g) {
    top_->in_valid = 0;
    top_->w_we = 0;
    top_->in_bank = g() & 1;
    top_->in_kw = g() % (KM + 1);
    top_->k = 1 + g() % KM;
    top_->stride = g() & 1;
    top_->a_prec = g() % 3;
    top_->w_prec = g() % 3;
    top_->a_signed = g() & 1;
    top_->w_signed = g() & 1;
    for (int h = 0; h < NB; ++h) top_->in_data[h] = g();
    top_->w_bank = g() & 1;
    top_->w_idx = g() % (KM + 1);
    for (int i = 0; i < R; ++i) top_->w_data[i] = g();
  }
  void reset(std::mt19937& g, int cycles = 2) {
    idle(g);
    top_->rst_n = 0;
    for (int n = 0; n < cycles; ++n) {
      settle();
      edge();
    }
    top_->rst_n = 1;
  }

private:
  void dump([[maybe_unused]] long t) {
#if VM_TRACE
    if (tfp_) tfp_->dump(vluint64_t(t));
#endif
  }
  std::unique_ptr<VerilatedContext> ctx_;
  std::unique_ptr<DUT> top_;
#if VM_TRACE
  std::unique_ptr<VerilatedVcdC> tfp_;
#endif
  long cycle_ = 0;
};

struct Opts {
  int bubble_pct = 0; // chance of an idle cycle before a step that could enter
  int early = 0;      // write banks this many cycles before the rule allows (negative test)
};

struct Outcome {
  bool ok = true;
  std::string err;
  std::size_t outputs = 0; // output values compared
  long cycles = 0;         // first step to last out_valid, inclusive
};

struct Expect {
  std::size_t pass;
  int x;
  long cycle;
};

// Streams the passes (bank n % 2 for pass n) under the bank rule, greedily: weights are
// written one entry per cycle (kw = k-1 down to 0, so an early write is caught by the
// bottom row's last read) as soon as the rule allows, a pass's steps enter back to back as
// soon as its bank is complete. Checks every output and its cycle; stops at the first error.
Outcome run(Sim& sim, std::vector<Pass>& ps, std::vector<OutBuf*> bufs, const Opts& opt,
            std::mt19937& rng) {
  Outcome out;
  auto error = [&](const std::string& m) {
    if (out.ok) out.err = m;
    out.ok = false;
  };
  const std::size_t P = ps.size();
  std::vector<long> wend(P, -1); // cycle of each pass's last weight write
  std::size_t nl = 0, ns = 0;    // pass being loaded, pass being streamed
  int nw = 0, si = 0;            // its writes done, its next step
  std::deque<Expect> q;
  const long c0 = sim.cycle();
  long last_out = -1, drain = 0;
  for (;;) {
    const long c = sim.cycle();
    if (c - c0 > 1000000) fail("run did not finish");
    sim.idle(rng);
    // Weight port: bank nl % 2 was last used by pass nl - 2.
    if (nl < P) {
      bool allowed =
          nl < 2 || (ps[nl - 2].last_step >= 0 && c >= ps[nl - 2].last_step + R - 1 - opt.early);
      if (allowed) {
        const Pass& p = ps[nl];
        int kw = p.cv->k - 1 - nw;
        sim->w_we = 1;
        sim->w_bank = nl % 2;
        sim->w_idx = kw;
        for (int i = 0; i < R; ++i) sim->w_data[i] = p.weight(i, kw);
        if (++nw == p.cv->k) {
          wend[nl++] = c;
          nw = 0;
        }
      }
    }
    // Step stream.
    if (ns < P && wend[ns] >= 0 && wend[ns] < c &&
        !(opt.bubble_pct && int(rng() % 100) < opt.bubble_pct)) {
      Pass& p = ps[ns];
      const Conv& cv = *p.cv;
      int xx = si / cv.k, kw = si % cv.k;
      sim->in_valid = 1;
      sim->in_bank = ns % 2;
      sim->in_kw = kw;
      sim->k = cv.k;
      sim->stride = cv.s == 2;
      sim->a_prec = prec_code(cv.p.a);
      sim->w_prec = prec_code(cv.p.w);
      sim->a_signed = cv.p.as;
      sim->w_signed = cv.p.ws;
      for (int h = 0; h < NB; ++h)
        if (p.needed(h)) sim->in_data[h] = cv.in(p.g, p.in_row(h), xx * cv.s + kw - cv.pad);
      if (si == 0) p.first_step = c;
      if (kw == cv.k - 1) q.push_back(Expect{ns, xx, c + L});
      if (++si == p.S()) {
        p.last_step = c;
        ++ns;
        si = 0;
      }
    }
    sim.settle();
    // Outputs of this cycle (registers).
    const bool ov = sim->out_valid;
    if (!q.empty() && q.front().cycle == c) {
      const Expect e = q.front();
      q.pop_front();
      Pass& p = ps[e.pass];
      if (!ov)
        error("no out_valid in cycle " + std::to_string(c - c0) + " for pass " +
              std::to_string(e.pass) + " pixel " + std::to_string(e.x));
      for (int j = 0; j < p.nrows && out.ok; ++j) {
        std::int32_t got = std::int32_t(sim->out_data[j]);
        std::int32_t exp = std::int32_t(p.expect(j, e.x));
        if (got != exp)
          error("mismatch in pass " + std::to_string(e.pass) + " [" + p.where() +
                "], array column " + std::to_string(j) + " (output row " +
                std::to_string(p.y0 + j) + "), pixel " + std::to_string(e.x) + ": got " +
                std::to_string(got) + ", expected " + std::to_string(exp));
        for (OutBuf* b : bufs)
          if (b->cv == p.cv) b->at(p.o, p.y0 + j, e.x) += got;
        ++out.outputs;
      }
      p.last_out = last_out = c;
    } else if (ov) {
      error("unexpected out_valid in cycle " + std::to_string(c - c0));
    }
    sim.edge();
    if (!out.ok) return out;
    if (ns == P && q.empty() && ++drain > R + 2) break; // and no stray out_valid after
  }
  out.cycles = last_out - ps.front().first_step + 1;

  // Cycle counts.
  const bool bubbles = opt.bubble_pct > 0;
  for (std::size_t n = 0; n < P; ++n) {
    const Pass& p = ps[n];
    long steps = bubbles ? p.last_step - p.first_step + 1 : p.S();
    if (p.last_out - p.first_step + 1 != steps + L)
      fail("pass " + std::to_string(n) + " took " + std::to_string(p.last_out - p.first_step + 1) +
           " cycles, expected S + L = " + std::to_string(steps) + " + " + std::to_string(L));
  }
  if (!bubbles && opt.early == 0) {
    // Start cycles from the closed form (relative to the first weight write, cycle 0):
    //   W_0 = 0, W_1 = k_0, W_n = max(s_{n-2} + S_{n-2} + R - 2, W_{n-1} + k_{n-1})
    //   s_n = max(s_{n-1} + S_{n-1}, W_n + k_n)          (s_0 = k_0)
    std::vector<long> W(P), s(P);
    for (std::size_t n = 0; n < P; ++n) {
      const int kn = ps[n].cv->k;
      if (n == 0)
        W[n] = 0;
      else if (n == 1)
        W[n] = ps[0].cv->k;
      else
        W[n] = std::max(s[n - 2] + ps[n - 2].S() + R - 2, W[n - 1] + ps[n - 1].cv->k);
      s[n] = n == 0 ? W[n] + kn : std::max(s[n - 1] + ps[n - 1].S(), W[n] + kn);
      if (ps[n].first_step - c0 != s[n])
        fail("pass " + std::to_string(n) + " started in cycle " +
             std::to_string(ps[n].first_step - c0) + ", formula " + std::to_string(s[n]));
    }
  }
  return out;
}

// Uniform passes (one S, one k): the steady-state period per pair of passes is
// max(2S, S + R + k - 2); pass n starts (n/2) * that + (n%2) * S after pass 0.
long uniform_start(long n, long S, long k) {
  return (n / 2) * std::max(2 * S, S + R + k - 2) + (n % 2) * S;
}

struct Case {
  std::string name;
  int cg, oc, ih, iw, k, s, pad;
  Prec p;
  Opts opt;
  int kh = 0; // kernel height, 0: k
};

std::size_t g_outputs = 0, g_passes = 0;

void run_case(Sim& sim, const Case& tc, std::mt19937& rng) {
  Conv cv = make_conv(tc.name, tc.cg, tc.oc, tc.ih, tc.iw, tc.k, tc.s, tc.pad, tc.p, rng, tc.kh);
  std::vector<Pass> ps = tile(cv);
  OutBuf buf(cv);
  Outcome r = run(sim, ps, {&buf}, tc.opt, rng);
  if (!r.ok) fail(tc.name + ": " + r.err);
  buf.check();
  const long S = cv.ow() * cv.k;
  std::string period = "bubbles";
  if (!tc.opt.bubble_pct) {
    for (std::size_t n = 0; n < ps.size(); ++n)
      if (ps[n].first_step - ps[0].first_step != uniform_start(long(n), S, cv.k))
        fail(tc.name + ": pass " + std::to_string(n) + " starts off the steady-state period");
    long total = uniform_start(long(ps.size()) - 1, S, cv.k) + S + L;
    if (r.cycles != total)
      fail(tc.name + ": stream took " + std::to_string(r.cycles) + " cycles, formula " +
           std::to_string(total));
    period = "period/2 passes " + std::to_string(std::max(2 * S, S + R + cv.k - 2));
  }
  std::printf("ok   rs %s %-28s %s %dx%d s%d %2zu passes S=%-3ld %5zu outputs %5ld cycles %s\n",
              kShape.c_str(), tc.name.c_str(), tc.p.str().c_str(), cv.kh, cv.k, cv.s, ps.size(), S,
              r.outputs, r.cycles, period.c_str());
  g_outputs += r.outputs;
  g_passes += ps.size();
}

} // namespace

int main(int argc, char** argv) {
  Verilated::commandArgs(argc, argv);
  std::mt19937 rng(20240611u + 97u * R + 13u * C);
  Sim sim;
  sim.reset(rng);

  const Prec p88s{8, 8, true, true}, p44u{4, 4, false, false}, p22s{2, 2, true, true},
      p82{8, 2, false, true}, p44su{4, 4, true, false}, p28{2, 8, false, true},
      p84{8, 4, true, true}, p42{4, 2, true, false}, p28s{2, 8, true, true};
  const int K5 = std::min(5, KM);
  std::vector<Case> cases = {
      // name                           cg oc ih         iw  k   s  pad prec
      {"k3_s1_pad1_partial_tile", 2, 2, C + 2, 7, 3, 1, 1, p88s, {}},
      {"k3_s2", 2, 1, 2 * C + 3, 9, 3, 2, 0, p44u, {}},
      {"k1_s1", 2, 2, 2 * C, 6, 1, 1, 0, p22s, {}},
      {"k1_s2", 1, 2, 2 * C, 8, 1, 2, 0, p82, {}},
      {"k5_s1_pad2", 1, 2, C + 1, 6, K5, 1, 2, p44su, {}},
      {"k5_s2_pad1", 1, 2, 2 * C + 4, 11, K5, 2, 1, p28, {}},
      {"kmax_s1", 1, 1, C + 1, KM + 3, KM, 1, KM / 2, p84, {}},
      {"kmax_s2", 1, 1, 2 * C + KM, KM + 4, KM, 2, 0, p88s, {}},
      {"k2_zero_rows_s2", 2, 1, 2 * C + 2, 7, 2, 2, 0, p42, {}},
      {"k3_tile_smaller_than_array", 1, 2, C, 6, 3, 1, 0, p28s, {}},
      {"k3_short_passes_bank_bound", 3, 2, C + 3, 3, 3, 1, 0, p22s, {}},
      {"k1_one_step_passes", 4, 2, C, 1, 1, 1, 0, p84, {}},
      {"k3_s2_bubbles", 2, 2, 2 * C + 3, 10, 3, 2, 1, p88s, {30, 0}},
      {"k5_s1_bubbles", 1, 2, C + 4, 7, K5, 1, 0, p44u, {50, 0}},
      {"kh_rows_plus1_kw1", 2, 1, C + R, 5, 1, 1, 0, p82, {}, R + 1},
      {"kh1_kw3_s2", 1, 2, 2 * C, 9, 3, 2, 0, p42, {}, 1},
  };
  for (const Case& tc : cases) run_case(sim, tc, rng);

  // Mixed stream: passes of four convolutions with different precision, stride, k and
  // tile heights interleaved back to back (configuration travels with each step).
  {
    std::vector<Conv> cvs;
    cvs.push_back(make_conv("mix_k3_s2", 1, 2, 2 * C + 1, 8, 3, 2, 0, {8, 8, false, true}, rng));
    cvs.push_back(make_conv("mix_k5_s1", 1, 1, C - 1, 9, K5, 1, 2, {2, 4, true, false}, rng));
    cvs.push_back(make_conv("mix_k1_s1", 2, 1, C + 1, 5, 1, 1, 0, {4, 2, false, false}, rng));
    cvs.push_back(make_conv("mix_k2_s2", 1, 2, 2 * C, 9, 2, 2, 0, {8, 2, true, true}, rng));
    std::vector<std::vector<Pass>> lists;
    std::vector<OutBuf> bufs;
    for (const Conv& c : cvs) {
      lists.push_back(tile(c));
      bufs.emplace_back(c);
    }
    std::vector<Pass> ps;
    for (std::size_t n = 0;; ++n) {
      bool any = false;
      for (auto& l : lists)
        if (n < l.size()) {
          ps.push_back(l[n]);
          any = true;
        }
      if (!any) break;
    }
    std::vector<OutBuf*> bp;
    for (auto& b : bufs) bp.push_back(&b);
    Outcome r = run(sim, ps, bp, Opts{}, rng);
    if (!r.ok) fail("mixed stream: " + r.err);
    for (auto& b : bufs) b.check();
    std::printf("ok   rs %s %-28s %2zu passes, %zu outputs, %ld cycles\n", kShape.c_str(),
                "mixed_configs_back_to_back", ps.size(), r.outputs, r.cycles);
    g_outputs += r.outputs;
    g_passes += ps.size();
  }

  // The bank rule is tight: writing one cycle earlier corrupts the last pixel of a pass
  // (kernel as tall as the array, so the bottom row has nonzero weights).
  {
    Conv cv = make_conv("early_write", 1, 3, C + R - 1, 2 * KM, KM, 1, 0, p88s, rng, R);
    std::vector<Pass> ps = tile(cv);
    OutBuf buf(cv);
    Opts o;
    o.early = 1;
    Outcome r = run(sim, ps, {&buf}, o, rng);
    if (r.ok) fail("writing a bank one cycle before the rule allows went unnoticed");
    std::printf("ok   rs %s %-28s caught: %s\n", kShape.c_str(), "bank_rule_tight(-1 cycle)",
                r.err.c_str());
    sim.reset(rng);
  }

  // A one-cycle synchronous reset with steps in flight: no out_valid afterwards.
  {
    Conv cv = make_conv("reset", 1, 1, C + 2, 6, 3, 1, 0, p88s, rng);
    std::vector<Pass> ps = tile(cv);
    OutBuf buf(cv);
    Outcome r = run(sim, ps, {&buf}, Opts{}, rng); // weights loaded, state busy
    if (!r.ok) fail("reset: " + r.err);
    for (int n = 0; n < R; ++n) { // R more steps in flight, then reset
      sim.idle(rng);
      sim->in_valid = 1;
      sim->in_kw = 0;
      sim->k = 1;
      sim.settle();
      sim.edge();
    }
    sim.reset(rng, 1);
    for (int n = 0; n < R + 3; ++n) {
      sim.idle(rng);
      sim.settle();
      if (sim->out_valid) fail("out_valid " + std::to_string(n) + " cycles after reset");
      sim.edge();
    }
    std::printf("ok   rs %s %-28s\n", kShape.c_str(), "reset_flushes_pipeline");
  }

  std::printf("PASS rs %s: %zu passes, %zu outputs compared, %ld cycles simulated\n",
              kShape.c_str(), g_passes, g_outputs, sim.cycle());
  return 0;
}
