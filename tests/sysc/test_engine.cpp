// Array engines (sysc/engine.hpp): the native C++ model against the Verilated RTL in
// lockstep under random stimulus on every port, and the native engine alone on small
// convolution schedules with bit-exact results and the cycle formulas of rtl/README.md.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "model/error.hpp"
#include "sysc/engine.hpp"
#include "sysc/engine_impl.hpp"
#include "tests/rtl/fu_ref.hpp"

using brickyard::model::Dataflow;
using brickyard::model::SpecError;
using namespace brickyard::sysc;
namespace ref = brickyard::rtl_test;

namespace {

struct Shape {
  Dataflow df;
  int rows, cols;
  std::string str() const {
    return std::string(brickyard::model::to_string(df)) + " " + std::to_string(rows) + "x" +
           std::to_string(cols);
  }
};

// Shapes of one dataflow the rtl engine was built with ("ws 4x4", ...).
std::vector<Shape> rtl_shapes_of(Dataflow df) {
  std::vector<Shape> v;
  for (const std::string& s : rtl_engine_shapes()) {
    std::istringstream is(s);
    std::string d;
    int r = 0, c = 0;
    char x = 0;
    is >> d >> r >> x >> c;
    Shape sh{brickyard::model::dataflow_from_string(d, "shape"), r, c};
    if (sh.df == df) v.push_back(sh);
  }
  return v;
}

ArrayInputs sized_inputs(const ArrayEngine& e) {
  ArrayInputs in;
  in.w_data.assign(std::size_t(w_data_words(e.dataflow(), e.rows(), e.cols())), 0);
  in.in_a.assign(std::size_t(in_a_words(e.dataflow(), e.rows(), e.cols())), 0);
  in.in_w.assign(std::size_t(e.cols()), 0);
  return in;
}

// ---------------------------------------------------------------------------------------
// Fusion unit and factory
// ---------------------------------------------------------------------------------------

TEST_CASE("engine fu_dot matches the packed-operand reference", "[engine]") {
  std::mt19937 g(7);
  long n = 0;
  for (int ap = 0; ap < 4; ++ap)
    for (int wp = 0; wp < 4; ++wp)
      for (int sgn = 0; sgn < 4; ++sgn)
        for (int i = 0; i < 2000; ++i, ++n) {
          const std::uint32_t a = g(), w = g();
          const bool as = sgn & 1, ws = sgn & 2;
          const int ab = 2 << std::min(ap, 2), wb = 2 << std::min(wp, 2);
          const std::int32_t want = std::int32_t(ref::fu_dot(a, w, ab, wb, as, ws));
          const std::int32_t got = detail::fu_dot(a, w, ap, wp, as, ws);
          if (got != want)
            FAIL("fu_dot(" << a << ", " << w << ") codes " << ap << "/" << wp << " signed " << as
                           << "/" << ws << ": " << got << ", reference " << want);
        }
  // Extremes: the largest magnitudes of every precision pair.
  CHECK(detail::fu_dot(0xFF, 0xFF, 2, 2, false, false) == 255 * 255);
  CHECK(detail::fu_dot(0x80, 0x80, 2, 2, true, true) == 128 * 128);
  CHECK(detail::fu_dot(0xFF, 0x80, 2, 2, false, true) == -255 * 128);
  CHECK(detail::fu_dot(0xFFFFFFFFu, 0xFFFFFFFFu, 0, 0, false, false) == 16 * 9);
  CHECK(detail::fu_dot(0xAAAAAAAAu, 0xAAAAAAAAu, 0, 0, true, true) == 16 * 4);
  CHECK(n == 4 * 4 * 4 * 2000);
}

TEST_CASE("engine names and factory errors", "[engine]") {
  CHECK(std::string(to_string(Engine::Native)) == "native");
  CHECK(std::string(to_string(Engine::Rtl)) == "rtl");
  CHECK(engine_from_string("native", "engine") == Engine::Native);
  CHECK(engine_from_string("rtl", "engine") == Engine::Rtl);
  try {
    engine_from_string("verilog", "sim.engine");
    FAIL("unknown engine name accepted");
  } catch (const SpecError& e) {
    CHECK(e.field() == "sim.engine");
    CHECK(std::string(e.what()).find("unknown engine 'verilog' (native, rtl)") !=
          std::string::npos);
  }

  std::string built;
  for (const std::string& s : rtl_engine_shapes()) built += (built.empty() ? "" : ", ") + s;
  try {
    make_engine(Engine::Rtl, Dataflow::WS, 7, 9);
    FAIL("rtl engine of a shape that was not compiled");
  } catch (const SpecError& e) {
    CHECK(e.field() == "engine");
    CHECK(std::string(e.what()) == "field 'engine': no rtl model of ws 7x9; built: " +
                                       (built.empty() ? std::string("none") : built));
  }
  CHECK_THROWS_AS(make_engine(Engine::Native, Dataflow::OS, 2, 4), SpecError);
  CHECK_THROWS_AS(make_engine(Engine::Native, Dataflow::RS, 4, 65), SpecError);
  for (Dataflow df : {Dataflow::WS, Dataflow::OS, Dataflow::RS}) {
    auto e = make_engine(Engine::Native, df, 64, 3);
    CHECK(e->rows() == 64);
    CHECK(e->cols() == 3);
    CHECK(e->dataflow() == df);
    for (const Shape& s : rtl_shapes_of(df)) {
      auto r = make_engine(Engine::Rtl, df, s.rows, s.cols);
      CHECK(r->rows() == s.rows);
      CHECK(r->cols() == s.cols);
      CHECK(r->dataflow() == df);
    }
  }
}

// ---------------------------------------------------------------------------------------
// Lockstep: native vs rtl, random garbage on every port every cycle
// ---------------------------------------------------------------------------------------

// Random values on every port. Precision codes include 3, k / in_kw / w_idx all 3-bit
// values (0 and 7 included), w_row / rd_row mostly inside the array and sometimes anywhere
// in 0..63. in_kw is k-1 half the time so RS pixels complete often.
void randomize(std::mt19937& g, ArrayInputs& in, int rows) {
  in.a_prec = int(g() % 4);
  in.w_prec = int(g() % 4);
  in.a_signed = g() & 1;
  in.w_signed = g() & 1;
  in.stride2 = g() & 1;
  in.k = int(g() % 8);
  in.w_we = g() & 1;
  in.w_bank = g() & 1;
  in.w_row = int(g() % 4 == 0 ? g() % 64 : g() % unsigned(rows));
  in.w_idx = int(g() % 8);
  for (auto& v : in.w_data) v = g();
  in.in_valid = g() % 8 != 0;
  in.in_bank = g() & 1;
  in.in_first = g() % 4 == 0;
  in.in_last = g() % 4 == 0;
  in.in_kw = int(g() & 1 ? g() % 8 : unsigned(in.k + 7) % 8);
  for (auto& v : in.in_a) v = g();
  for (auto& v : in.in_w) v = g();
  in.rd_row = int(g() % 4 == 0 ? g() % 64 : g() % unsigned(rows));
}

struct LockstepStats {
  long cycles = 0, valid = 0, resets = 0, held = 0, dont_care_diffs = 0;
};

// Compares both engines every cycle: out_valid always, out_data whenever it is defined
// (always for OS, while out_valid is high for WS and RS). The native model also matches
// the RTL's out_data in don't-care cycles; those differences are only counted.
LockstepStats lockstep(const Shape& s, long cycles, std::uint32_t seed) {
  auto nat = make_engine(Engine::Native, s.df, s.rows, s.cols);
  auto rtl = make_engine(Engine::Rtl, s.df, s.rows, s.cols);
  std::mt19937 g(seed);
  ArrayInputs in = sized_inputs(*nat);
  LockstepStats st;
  const long pre = 200; // cycles before the first reset (from construction)
  for (long t = 0; t < pre + cycles; ++t) {
    if (t == pre || (t > pre && g() % 4096 == 0)) {
      nat->reset();
      rtl->reset();
      ++st.resets;
    }
    if (g() % 16 != 0) {
      randomize(g, in, s.rows);
      nat->set_inputs(in);
      rtl->set_inputs(in);
    } else {
      ++st.held; // ports keep last cycle's values
    }
    const ArrayOutputs& a = nat->outputs();
    const ArrayOutputs& b = rtl->outputs();
    if (a.out_valid != b.out_valid)
      FAIL(s.str() << " cycle " << t << ": out_valid native " << a.out_valid << ", rtl "
                   << b.out_valid);
    const bool defined = s.df == Dataflow::OS || b.out_valid;
    for (int w = 0; w < s.cols; ++w)
      if (a.out_data[std::size_t(w)] != b.out_data[std::size_t(w)]) {
        if (defined)
          FAIL(s.str() << " cycle " << t << ": out_data word " << w << " native "
                       << a.out_data[std::size_t(w)] << ", rtl " << b.out_data[std::size_t(w)]);
        ++st.dont_care_diffs;
      }
    st.valid += b.out_valid;
    nat->clock();
    rtl->clock();
    if (t >= pre) ++st.cycles;
  }
  std::printf("lockstep %-9s %6ld cycles after reset (%ld resets, %ld held-input cycles), %6ld "
              "with out_valid, out_data compared in %ld cycles, %ld don't-care differences\n",
              s.str().c_str(), st.cycles, st.resets, st.held, st.valid,
              s.df == Dataflow::OS ? st.cycles + pre : st.valid, st.dont_care_diffs);
  return st;
}

void lockstep_all(Dataflow df) {
  const auto shapes = rtl_shapes_of(df);
  if (shapes.empty()) WARN("no rtl models of " << brickyard::model::to_string(df) << " built");
  for (const Shape& s : shapes) {
    const long cycles = s.rows * s.cols > 64 ? 20000 : 40000;
    const LockstepStats st =
        lockstep(s, cycles, 1000u + 97u * unsigned(s.rows) + 13u * unsigned(s.cols) + unsigned(df));
    CHECK(st.cycles >= 20000);
    CHECK(st.valid > st.cycles / (df == Dataflow::RS ? 20 : 2)); // the stimulus is useful
    CHECK(st.dont_care_diffs == 0);
  }
}

TEST_CASE("engine lockstep ws native vs rtl", "[engine][lockstep]") {
  lockstep_all(Dataflow::WS);
}
TEST_CASE("engine lockstep os native vs rtl", "[engine][lockstep]") {
  lockstep_all(Dataflow::OS);
}
TEST_CASE("engine lockstep rs native vs rtl", "[engine][lockstep]") {
  lockstep_all(Dataflow::RS);
}

// ---------------------------------------------------------------------------------------
// Directed: convolution schedules on the native engine
// ---------------------------------------------------------------------------------------

struct Prec {
  int a, w; // bits: 2, 4 or 8
  bool as, ws;
  int pf() const { return ref::lanes(a, w); }
};

// A convolution on packed words: X[g][y][x], Wt[o][g][kh][kw], zero padding; kernel kh
// rows by kw columns.
struct Conv {
  int cg, oc, ih, iw, kh, kw, s, pad;
  Prec p;
  std::vector<std::uint32_t> x, w;
  int oh() const { return (ih + 2 * pad - kh) / s + 1; }
  int ow() const { return (iw + 2 * pad - kw) / s + 1; }
  std::uint32_t in(int g, int y, int xx) const {
    if (g >= cg || y < 0 || y >= ih || xx < 0 || xx >= iw) return 0;
    return x[(std::size_t(g) * ih + y) * iw + xx];
  }
  std::uint32_t wt(int o, int g, int r, int c) const {
    if (o >= oc || g >= cg || r >= kh) return 0;
    return w[((std::size_t(o) * cg + g) * kh + r) * kw + c];
  }
  std::int64_t dot(std::uint32_t a, std::uint32_t b) const {
    return ref::fu_dot(a, b, p.a, p.w, p.as, p.ws);
  }
  std::int32_t ref_out(int o, int y, int xx) const {
    std::int64_t sum = 0;
    for (int g = 0; g < cg; ++g)
      for (int r = 0; r < kh; ++r)
        for (int c = 0; c < kw; ++c)
          sum += dot(in(g, y * s + r - pad, xx * s + c - pad), wt(o, g, r, c));
    return std::int32_t(sum);
  }
};

Conv make_conv(std::mt19937& g, int cg, int oc, int ih, int iw, int kh, int kw, int s, int pad,
               Prec p) {
  Conv cv{cg, oc, ih, iw, kh, kw, s, pad, p, {}, {}};
  cv.x.resize(std::size_t(cg) * ih * iw);
  cv.w.resize(std::size_t(oc) * cg * kh * kw);
  for (auto& v : cv.x) v = ref::random_word(g, p.a, p.pf(), true); // garbage above pf*A
  for (auto& v : cv.w) v = ref::random_word(g, p.w, p.pf(), true);
  return cv;
}

void set_prec(ArrayInputs& in, const Prec& p) {
  in.a_prec = ref::prec_code(p.a);
  in.w_prec = ref::prec_code(p.w);
  in.a_signed = p.as;
  in.w_signed = p.ws;
}

const Prec kPrecs[] = {{8, 8, true, true}, {4, 4, true, false},  {2, 2, false, true},
                       {8, 2, true, true}, {2, 8, false, false}, {4, 8, true, true},
                       {8, 4, false, true}};

struct ConvCase {
  const char* name;
  int cg, oc, ih, iw, k, s, pad;
};

// WS (rtl/README.md): one pass per (oc chunk, channel-group chunk, kh, kw); rows of bank
// i%2 written from load(i); pixels stream from start(i); each output vector in cycle
// start + pixel + ROWS + COLS - 1; the run's last output in cycle last(n-1) + ROWS + COLS - 1
// and, when P >= max(ROWS, COLS-1), cycles = n*P + ROWS + COLS.
void directed_ws(int R, int C, const Conv& cv, const std::string& what) {
  INFO("ws " << R << "x" << C << " " << what);
  auto e = make_engine(Engine::Native, Dataflow::WS, R, C);
  e->reset();
  const int oh = cv.oh(), ow = cv.ow();
  const std::int64_t P = std::int64_t(oh) * ow;
  struct Pass {
    int o0, g0, kh, kw;
  };
  std::vector<Pass> ps;
  for (int o0 = 0; o0 < cv.oc; o0 += C)
    for (int g0 = 0; g0 < cv.cg; g0 += R)
      for (int kh = 0; kh < cv.kh; ++kh)
        for (int kw = 0; kw < cv.kw; ++kw) ps.push_back({o0, g0, kh, kw});
  const std::int64_t n = std::int64_t(ps.size());
  const std::size_t nn = std::size_t(n);
  std::vector<std::int64_t> load(nn), start(nn), last(nn);
  for (std::size_t i = 0; i < std::size_t(n); ++i) {
    load[i] = i == 0 ? 0 : std::max(load[i - 1] + R, i >= 2 ? last[i - 2] + C - 1 : 0);
    start[i] = std::max(load[i] + 1, i >= 1 ? last[i - 1] + 1 : 0);
    last[i] = start[i] + P - 1;
  }
  const std::int64_t predicted = last.back() + R + C - 1;
  std::vector<std::int64_t> acc(std::size_t(cv.oc) * oh * ow, 0);
  ArrayInputs in = sized_inputs(*e);
  set_prec(in, cv.p);
  std::int64_t outs = 0, last_out = -1;
  for (std::int64_t t = 0; t <= predicted + 3; ++t) {
    in.w_we = in.in_valid = false;
    for (std::size_t i = 0; i < std::size_t(n); ++i) {
      const Pass& p = ps[i];
      if (t >= load[i] && t < load[i] + R) {
        const int row = int(t - load[i]);
        in.w_we = true;
        in.w_bank = i & 1;
        in.w_row = row;
        for (int c = 0; c < C; ++c)
          in.w_data[std::size_t(c)] = cv.wt(p.o0 + c, p.g0 + row, p.kh, p.kw);
      }
      if (t >= start[i] && t <= last[i]) {
        const std::int64_t px = t - start[i];
        const int y = int(px / ow), x = int(px % ow);
        in.in_valid = true;
        in.in_bank = i & 1;
        for (int r = 0; r < R; ++r)
          in.in_a[std::size_t(r)] =
              cv.in(p.g0 + r, y * cv.s + p.kh - cv.pad, x * cv.s + p.kw - cv.pad);
      }
    }
    e->set_inputs(in);
    const ArrayOutputs& o = e->outputs();
    if (o.out_valid) {
      // Which pixel: the one that entered R + C - 1 cycles ago.
      const std::int64_t te = t - (R + C - 1);
      std::size_t i = 0;
      while (i < std::size_t(n) && !(te >= start[i] && te <= last[i])) ++i;
      if (i == std::size_t(n))
        FAIL("out_valid in cycle " << t << " with no pixel entered in " << te);
      const std::int64_t px = te - start[i];
      const int y = int(px / ow), x = int(px % ow);
      for (int c = 0; c < C && ps[i].o0 + c < cv.oc; ++c)
        acc[(std::size_t(ps[i].o0 + c) * oh + y) * ow + x] +=
            std::int32_t(o.out_data[std::size_t(c)]);
      ++outs;
      last_out = t;
    }
    e->clock();
  }
  CHECK(outs == n * P); // every pixel exactly once, in cycle entry + R + C - 1
  CHECK(last_out == predicted);
  if (P >= std::max(R, C - 1)) CHECK(last_out + 1 == n * P + R + C);
  for (int o = 0; o < cv.oc; ++o)
    for (int y = 0; y < oh; ++y)
      for (int x = 0; x < ow; ++x)
        if (std::int32_t(acc[(std::size_t(o) * oh + y) * ow + x]) != cv.ref_out(o, y, x))
          FAIL("output oc " << o << " y " << y << " x " << x << ": "
                            << std::int32_t(acc[(std::size_t(o) * oh + y) * ow + x])
                            << ", reference " << cv.ref_out(o, y, x));
}

TEST_CASE("engine directed ws conv schedules, native", "[engine][directed]") {
  std::mt19937 g(11);
  for (auto [R, C] : {std::pair{4, 4}, std::pair{3, 5}, std::pair{5, 3}, std::pair{16, 16}}) {
    const ConvCase cases[] = {
        {"1x1 conv", R, C, 3, 4, 1, 1, 0},
        {"3x3 s1 pad1, channel and oc chunks", R + 1, C + 1, 5, 5, 3, 1, 1},
        {"3x3 s2 pad1, 2 oc chunks", 2, 2 * C - 1, 7, 6, 3, 2, 1},
        {"fully connected", 2 * R, C + 2, 1, 1, 1, 1, 0},
    };
    for (const Prec& p : kPrecs)
      for (const ConvCase& c : cases)
        directed_ws(R, C, make_conv(g, c.cg, c.oc, c.ih, c.iw, c.k, c.k, c.s, c.pad, p), c.name);
  }
}

// OS (rtl/README.md): folds of R pixels x C channels, T = cg*k*k steps, one every
// max(T, R, C) cycles; row r of fold j read in cycle t_l(j) + COLS + r. A second engine
// with the same steps reads every row one cycle earlier and must still see the previous
// content in the last column (the window opens exactly then), while the other columns are
// final already. cycles = (n-1)*max(T,R,C) + T + R + C - 1.
void directed_os(int R, int C, const Conv& cv, const std::string& what) {
  INFO("os " << R << "x" << C << " " << what);
  auto e = make_engine(Engine::Native, Dataflow::OS, R, C);
  auto early = make_engine(Engine::Native, Dataflow::OS, R, C);
  e->reset();
  early->reset();
  const int oh = cv.oh(), ow = cv.ow(), pixels = oh * ow;
  const std::int64_t T = std::int64_t(cv.cg) * cv.kh * cv.kw,
                     period = std::max<std::int64_t>({T, R, C});
  struct Fold {
    int p0, o0;
  };
  std::vector<Fold> folds;
  for (int o0 = 0; o0 < cv.oc; o0 += C)
    for (int p0 = 0; p0 < pixels; p0 += R) folds.push_back({p0, o0});
  const std::int64_t n = std::int64_t(folds.size());
  // Result of PE(r,c) after fold j (zero rows / channels beyond the layer).
  auto result = [&](std::int64_t j, int r, int c) -> std::uint32_t {
    if (j < 0) return 0;
    const Fold& f = folds[std::size_t(j)];
    const int p = f.p0 + r;
    if (p >= pixels || f.o0 + c >= cv.oc) return 0;
    return std::uint32_t(cv.ref_out(f.o0 + c, p / ow, p % ow));
  };
  const std::int64_t last_read = (n - 1) * period + T - 1 + C + R - 1;
  ArrayInputs in = sized_inputs(*e);
  set_prec(in, cv.p);
  std::int64_t reads = 0;
  for (std::int64_t t = 0; t <= last_read; ++t) {
    in.in_valid = false;
    const std::int64_t f = t / period, step = t % period;
    if (f < n && step < T) {
      const Fold& fd = folds[std::size_t(f)];
      const int kk = cv.kh * cv.kw;
      const int gi = int(step / kk), kh = int(step / cv.kw % cv.kh), kw = int(step % cv.kw);
      in.in_valid = true;
      in.in_first = step == 0;
      in.in_last = step == T - 1;
      for (int r = 0; r < R; ++r) {
        const int p = fd.p0 + r, y = p / ow, x = p % ow;
        in.in_a[std::size_t(r)] =
            p < pixels ? cv.in(gi, y * cv.s + kh - cv.pad, x * cv.s + kw - cv.pad) : 0;
      }
      for (int c = 0; c < C; ++c) in.in_w[std::size_t(c)] = cv.wt(fd.o0 + c, gi, kh, kw);
    }
    // Fold j's row r is due in cycle t_l(j) + C + r (main) and t_l(j) + C + r - 1 (early).
    auto due = [&](std::int64_t cyc, std::int64_t& j, int& r) {
      for (std::int64_t jj = 0; jj < n; ++jj) {
        const std::int64_t rr = cyc - (jj * period + T - 1 + C);
        if (rr >= 0 && rr < R) {
          j = jj;
          r = int(rr);
          return true;
        }
      }
      return false;
    };
    std::int64_t j = -1, je = -1;
    int r = 0, re = 0;
    const bool main_read = due(t, j, r), early_read = due(t + 1, je, re);
    in.rd_row = main_read ? r : 0;
    e->set_inputs(in);
    in.rd_row = early_read ? re : 0;
    early->set_inputs(in);
    if (main_read) {
      const ArrayOutputs& o = e->outputs();
      for (int c = 0; c < C; ++c)
        if (o.out_data[std::size_t(c)] != result(j, r, c))
          FAIL("fold " << j << " row " << r << " col " << c << " read in cycle " << t << ": "
                       << std::int32_t(o.out_data[std::size_t(c)]) << ", reference "
                       << std::int32_t(result(j, r, c)));
      ++reads;
    }
    if (early_read) {
      const ArrayOutputs& o = early->outputs();
      for (int c = 0; c < C; ++c) {
        const std::uint32_t want = c < C - 1 ? result(je, re, c) : result(je - 1, re, c);
        if (o.out_data[std::size_t(c)] != want)
          FAIL("fold " << je << " row " << re << " col " << c << " one cycle before its window"
                       << " (cycle " << t << "): " << std::int32_t(o.out_data[std::size_t(c)])
                       << ", expected " << std::int32_t(want));
      }
    }
    e->clock();
    early->clock();
  }
  CHECK(reads == n * R);
  CHECK(last_read + 1 == (n - 1) * period + T + R + C - 1);
}

TEST_CASE("engine directed os conv schedules, native", "[engine][directed]") {
  std::mt19937 g(12);
  for (auto [R, C] : {std::pair{4, 4}, std::pair{3, 5}, std::pair{5, 3}, std::pair{16, 16}}) {
    const ConvCase cases[] = {
        {"1x1 conv", R, C, 3, 4, 1, 1, 0},
        {"3x3 s1 pad1", R + 1, C + 1, 5, 5, 3, 1, 1},
        {"3x3 s2 pad1, 2 oc chunks", 2, 2 * C - 1, 7, 6, 3, 2, 1},
        {"fully connected (T < R, C)", 1, C + 2, 1, 1, 1, 1, 0},
    };
    for (const Prec& p : kPrecs)
      for (const ConvCase& c : cases)
        directed_os(R, C, make_conv(g, c.cg, c.oc, c.ih, c.iw, c.k, c.k, c.s, c.pad, p), c.name);
  }
}

// RS (rtl/README.md): passes (o, g, kernel-row group, output-row tile), bank n%2, weights
// written one entry per cycle as early as the rewrite rule allows, steps streamed as soon
// as the bank is complete (greedy controller). Checks every out_valid cycle (last step +
// ROWS), every pass's S + ROWS cycles, its start against W_n / s_n and, for uniform
// passes, the steady-state closed form; outputs bit-exact per pass and accumulated.
void directed_rs(int R, int C, const Conv& cv, const std::string& what, std::mt19937& g) {
  INFO("rs " << R << "x" << C << " " << what);
  auto e = make_engine(Engine::Native, Dataflow::RS, R, C);
  e->reset();
  const int k = cv.kw, S = cv.ow() * k, nb = in_a_words(Dataflow::RS, R, C);
  struct Pass {
    int o, g, rg, y0, nrows, krows;
    std::int64_t first = -1, last = -1, last_out = -1;
  };
  std::vector<Pass> ps;
  for (int o = 0; o < cv.oc; ++o)
    for (int gi = 0; gi < cv.cg; ++gi)
      for (int rg = 0; rg * R < cv.kh; ++rg)
        for (int y0 = 0; y0 < cv.oh(); y0 += C)
          ps.push_back({o, gi, rg, y0, std::min(C, cv.oh() - y0), std::min(R, cv.kh - rg * R)});
  const std::size_t np = ps.size();
  auto expect = [&](const Pass& p, int j, int x) {
    std::int64_t s = 0;
    for (int i = 0; i < p.krows; ++i)
      for (int kw = 0; kw < k; ++kw)
        s += cv.dot(cv.in(p.g, (p.y0 + j) * cv.s + p.rg * R + i - cv.pad, x * cv.s + kw - cv.pad),
                    cv.wt(p.o, p.g, p.rg * R + i, kw));
    return std::int32_t(s);
  };
  std::vector<std::int64_t> acc(std::size_t(cv.oc) * cv.oh() * cv.ow(), 0);
  std::vector<std::int64_t> wend(np, -1);
  std::deque<std::pair<std::size_t, int>> q; // (pass, x) awaiting out_valid
  std::deque<std::int64_t> qt;               // its cycle: last step + R
  std::size_t nl = 0, ns = 0;
  int nw = 0, si = 0;
  ArrayInputs in = sized_inputs(*e);
  std::int64_t drain = 0;
  for (std::int64_t t = 0;; ++t) {
    REQUIRE(t < 200000);
    // Garbage on every port a step or write does not define.
    for (auto& v : in.in_a) v = g();
    for (auto& v : in.w_data) v = g();
    in.w_we = in.in_valid = false;
    in.in_kw = int(g() % 8);
    in.k = int(g() % 8);
    if (nl < np && (nl < 2 || (ps[nl - 2].last >= 0 && t >= ps[nl - 2].last + R - 1))) {
      const Pass& p = ps[nl];
      const int kw = k - 1 - nw; // last column first: an early write would hit the last read
      in.w_we = true;
      in.w_bank = nl % 2;
      in.w_idx = kw;
      for (int i = 0; i < R; ++i)
        in.w_data[std::size_t(i)] = i < p.krows ? cv.wt(p.o, p.g, p.rg * R + i, kw) : 0u;
      if (++nw == k) {
        wend[nl++] = t;
        nw = 0;
      }
    }
    if (ns < np && wend[ns] >= 0 && wend[ns] < t) {
      Pass& p = ps[ns];
      const int x = si / k, kw = si % k;
      in.in_valid = true;
      in.in_bank = ns % 2;
      in.in_kw = kw;
      in.k = k;
      in.stride2 = cv.s == 2;
      set_prec(in, cv.p);
      for (int h = 0; h < nb; ++h) {
        // Bus h carries input row y0*s + rg*R + h - pad; buses no used PE reads stay garbage.
        bool needed = false;
        for (int j = 0; j < p.nrows; ++j)
          for (int i = 0; i < p.krows; ++i) needed |= j * cv.s + i == h;
        if (needed)
          in.in_a[std::size_t(h)] =
              cv.in(p.g, p.y0 * cv.s + p.rg * R + h - cv.pad, x * cv.s + kw - cv.pad);
      }
      if (si == 0) p.first = t;
      if (kw == k - 1) {
        q.emplace_back(ns, x);
        qt.push_back(t + R);
      }
      if (++si == S) {
        p.last = t;
        ++ns;
        si = 0;
      }
    } else {
      // Idle steps: random configuration too.
      in.a_prec = int(g() % 4);
      in.w_prec = int(g() % 4);
      in.stride2 = g() & 1;
    }
    e->set_inputs(in);
    const ArrayOutputs& o = e->outputs();
    if (!qt.empty() && qt.front() == t) {
      const auto [pi, x] = q.front();
      q.pop_front();
      qt.pop_front();
      Pass& p = ps[pi];
      if (!o.out_valid) FAIL("no out_valid in cycle " << t << " for pass " << pi << " pixel " << x);
      for (int j = 0; j < p.nrows; ++j) {
        const std::int32_t got = std::int32_t(o.out_data[std::size_t(j)]), want = expect(p, j, x);
        if (got != want)
          FAIL("pass " << pi << " output row " << p.y0 + j << " pixel " << x << ": " << got
                       << ", expected " << want);
        acc[(std::size_t(p.o) * cv.oh() + p.y0 + j) * cv.ow() + x] += got;
      }
      p.last_out = t;
    } else if (o.out_valid) {
      FAIL("unexpected out_valid in cycle " << t);
    }
    e->clock();
    if (ns == np && q.empty() && ++drain > R + 2) break;
  }
  // Cycle formulas.
  std::vector<std::int64_t> W(np), s(np);
  for (std::size_t n = 0; n < np; ++n) {
    CHECK(ps[n].last_out - ps[n].first + 1 == S + R);
    W[n] = n == 0 ? 0 : n == 1 ? k : std::max(s[n - 2] + S + R - 2, W[n - 1] + k);
    s[n] = n == 0 ? W[n] + k : std::max(s[n - 1] + S, W[n] + k);
    CHECK(ps[n].first == s[n]);
    const std::int64_t uniform =
        std::int64_t(n / 2) * std::max(2 * S, S + R + k - 2) + std::int64_t(n % 2) * S;
    CHECK(ps[n].first - ps[0].first == uniform);
  }
  CHECK(ps.back().last_out - ps.front().first + 1 == s[np - 1] - s[0] + S + R);
  for (int o = 0; o < cv.oc; ++o)
    for (int y = 0; y < cv.oh(); ++y)
      for (int x = 0; x < cv.ow(); ++x)
        if (std::int32_t(acc[(std::size_t(o) * cv.oh() + y) * cv.ow() + x]) != cv.ref_out(o, y, x))
          FAIL("accumulated output oc " << o << " y " << y << " x " << x << ": "
                                        << acc[(std::size_t(o) * cv.oh() + y) * cv.ow() + x]
                                        << ", reference " << cv.ref_out(o, y, x));
}

TEST_CASE("engine directed rs conv schedules, native", "[engine][directed]") {
  std::mt19937 g(13);
  for (auto [R, C] : {std::pair{3, 5}, std::pair{4, 4}, std::pair{5, 3}}) {
    struct RsCase {
      const char* name;
      int cg, oc, ih, iw, kh, kw, s, pad;
    };
    const RsCase cases[] = {
        {"k3 s1 pad1", 2, 2, C + 2, 7, 3, 3, 1, 1},
        {"k3 s2", 2, 1, 2 * C + 3, 9, 3, 3, 2, 0},
        {"k1 s1", 2, 2, 2 * C, 6, 1, 1, 1, 0},
        {"k5 s2 pad1", 1, 2, 2 * C + 4, 11, 5, 5, 2, 1},
        {"k7 s1 (KMAX)", 1, 1, C + 1, 10, 7, 7, 1, 3},
        {"k3 short passes (bank bound)", 3, 2, C + 3, 3, 3, 3, 1, 0},
        {"kernel taller than the array", 2, 1, C + R, 5, R + 1, 1, 1, 0},
    };
    for (const Prec& p : kPrecs)
      for (const RsCase& c : cases)
        directed_rs(R, C, make_conv(g, c.cg, c.oc, c.ih, c.iw, c.kh, c.kw, c.s, c.pad, p), c.name,
                    g);
  }
}

} // namespace
