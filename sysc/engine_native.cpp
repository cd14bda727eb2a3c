// NativeEngine: a C++ model of exactly the registers and combinational logic of
// rtl/pe_array_ws.sv, rtl/pe_array_os.sv and rtl/pe_array_rs.sv, cycle for cycle, written
// for speed.
//
// Shift registers as rings. Every register of the arrays that only delays a port value
// (the input skew, the activations / weights / tags moving right or down, the RS step
// tags and diagonal input registers) holds, in cycle t, the value some port had in cycle
// t - d for a fixed d. So a PE's operands in cycle t are the ports of one earlier cycle,
// the "entry" e = t - d: e = t - r - c for PE(r,c) of WS and OS, e = t - i for row i of RS.
// The model stores each cycle's port values once, in slot e % M of a ring (M a power of
// two larger than the deepest delay), instead of moving them through the registers:
// nothing moves, and a PE reads its operands from slot e. The only reset registers among
// them are the valid tags; a reset clears every stored valid flag, which is what zeroing
// all valid registers does to the entries in flight (the cycle with rst_n low itself
// still computes with the old tags, as the RTL's non-reset registers do).
//
//   WS  p_q moves down one row per cycle and adds the PE's product when valid, and the
//       output deskew delays column c by COLS-1-c: the token PE(r,c) updates in cycle t
//       belongs to entry e = t-r-c, so the partial sums are a ring p[e][c] too, zeroed
//       when e enters (row 0's p_i = 0) and read in cycle e + ROWS + COLS - 1 for all
//       columns at once (after the deskew). out_valid (last_v_q) is the valid flag of
//       that entry.
//   OS  acc_q / res_q are stationary: plain arrays updated by the PEs whose entry is
//       valid; rd_data is the combinational mux of res_q row rd_row.
//   RS  acc is stationary; x_all of PE(i,j) in cycle e+i is bus j*s+i of entry e (the
//       diagonal / stride-2 registers and the last column's delay lines all carry that
//       word, selected by the stride that travels with the step); the weight is the
//       combinational read of bank b_e, entry kw_e of row i's register file in that
//       cycle; out_v_q is a register.
//
// One pass over the array per clock: WS and OS walk the anti-diagonals r + c = d of the
// entries in flight, RS the rows; a PE whose valid tag is low does nothing, which is
// exact: its RTL registers either hold (acc_q, res_q, RS acc) or pass p_i on unchanged
// (WS p_q, which the ring does by not touching p[e][c]). Weights (no reset) are plain
// arrays written at the clock edge after the cycle's reads.
//
// Initial state: Verilator zero-initialises every register (+verilator+rand+reset+0, the
// default), so the model starts with all rings and arrays zero; it then matches the RTL
// from construction on, reset or not.
#include <algorithm>
#include <cstring>
#include <type_traits>

#include "sysc/engine_impl.hpp"

namespace brickyard::sysc::detail {
namespace {

using model::Dataflow;

// ---- Fusion unit ----

// Products of AB-bit activations and WB-bit weights; sa / sw are the sign bit of a value
// (1 << (bits-1)) when signed, else 0: (v ^ s) - s sign-extends v. Every product fits in
// 17 bits and the sum of pf of them in 22, as in the RTL's adder tree, so int32 is exact.
template <int AB, int WB>
inline std::uint32_t fu(std::uint32_t a, std::uint32_t w, std::uint32_t sa, std::uint32_t sw) {
  constexpr int pf = (8 / AB) * (8 / WB);
  constexpr std::uint32_t am = (1u << AB) - 1, wm = (1u << WB) - 1;
  std::int32_t s = 0;
  for (int k = 0; k < pf; ++k) {
    const std::int32_t x = std::int32_t(((a >> (k * AB)) & am) ^ sa) - std::int32_t(sa);
    const std::int32_t y = std::int32_t(((w >> (k * WB)) & wm) ^ sw) - std::int32_t(sw);
    s += x * y;
  }
  return std::uint32_t(s);
}

// Precision code as the fusion unit decodes it: 2-bit port, 3 acts as 2 (8-bit).
inline int fold_prec(int code) {
  code &= int(kPrecMask);
  return code == 3 ? 2 : code;
}
inline std::uint32_t sign_bit(int code, bool is_signed) {
  return is_signed ? 1u << ((2 << code) - 1) : 0u;
}

template <int Code> using Bits = std::integral_constant<int, 2 << Code>;

// Calls f(Bits<ap>{}, Bits<wp>{}) for folded codes ap, wp in 0..2.
template <class F> inline void dispatch(int ap, int wp, F&& f) {
  // clang-format off
  switch (ap * 3 + wp) {
  case 0: f(Bits<0>{}, Bits<0>{}); break;
  case 1: f(Bits<0>{}, Bits<1>{}); break;
  case 2: f(Bits<0>{}, Bits<2>{}); break;
  case 3: f(Bits<1>{}, Bits<0>{}); break;
  case 4: f(Bits<1>{}, Bits<1>{}); break;
  case 5: f(Bits<1>{}, Bits<2>{}); break;
  case 6: f(Bits<2>{}, Bits<0>{}); break;
  case 7: f(Bits<2>{}, Bits<1>{}); break;
  default: f(Bits<2>{}, Bits<2>{}); break;
  }
  // clang-format on
}

// n words of src into dst, zero beyond src's end (missing port words read as 0).
inline void copy_words(std::uint32_t* dst, const std::vector<std::uint32_t>& src, int n) {
  const int m = std::max(0, std::min<int>(n, int(src.size())));
  if (m > 0) std::memcpy(dst, src.data(), sizeof(std::uint32_t) * std::size_t(m));
  if (m < n) std::memset(dst + m, 0, sizeof(std::uint32_t) * std::size_t(n - m));
}

inline int ring_size(int depth) {
  int m = 1;
  while (m < depth) m *= 2;
  return m;
}

// ---- Common part: port values held between set_inputs calls, cycle count, clock ----
class NativeEngine : public ArrayEngine {
public:
  void reset() override {
    set_inputs(ArrayInputs{});
    edge(true);
  }
  void clock() override { edge(false); }

protected:
  NativeEngine(Dataflow df, int rows, int cols, int depth)
      : ArrayEngine(df, rows, cols), mask_(std::uint64_t(ring_size(depth)) - 1) {
    out_.out_data.assign(std::size_t(cols), 0);
  }
  // Scalar ports, truncated to their widths (kw fields KB = 3 bits).
  void set_scalars(const ArrayInputs& in) {
    ap_ = fold_prec(in.a_prec);
    wp_ = fold_prec(in.w_prec);
    as_ = in.a_signed;
    ws_ = in.w_signed;
    stride2_ = in.stride2;
    k_ = unsigned(in.k) & kKwMask;
    w_we_ = in.w_we;
    w_bank_ = in.w_bank;
    w_row_ = unsigned(in.w_row) & kRowMask;
    w_idx_ = unsigned(in.w_idx) & kKwMask;
    in_valid_ = in.in_valid;
    in_bank_ = in.in_bank;
    in_first_ = in.in_first;
    in_last_ = in.in_last;
    in_kw_ = unsigned(in.in_kw) & kKwMask;
    rd_row_ = unsigned(in.rd_row) & kRowMask;
  }
  // The rising edge ending cycle t_ (rst: rst_n low in this cycle).
  virtual void edge(bool rst) = 0;
  std::size_t slot(std::uint64_t e) const { return std::size_t(e & mask_); }

  std::uint64_t t_ = 0; // current cycle; entry e lives in slot e & mask_
  const std::uint64_t mask_;
  int ap_ = 2, wp_ = 2;
  bool as_ = false, ws_ = false, stride2_ = false;
  unsigned k_ = 1;
  bool w_we_ = false, w_bank_ = false;
  unsigned w_row_ = 0, w_idx_ = 0;
  bool in_valid_ = false, in_bank_ = false, in_first_ = false, in_last_ = false;
  unsigned in_kw_ = 0, rd_row_ = 0;
  ArrayOutputs out_;
};

// ---- Weight stationary (rtl/pe_array_ws.sv) ----
class NativeWs final : public NativeEngine {
public:
  NativeWs(int rows, int cols)
      : NativeEngine(Dataflow::WS, rows, cols, rows + cols), w_data_(std::size_t(cols)),
        a_((mask_ + 1) * std::size_t(rows)), v_(mask_ + 1), b_(mask_ + 1),
        p_((mask_ + 1) * std::size_t(cols)) {
    for (auto& bank : w_) bank.assign(std::size_t(rows) * cols, 0);
  }

  void set_inputs(const ArrayInputs& in) override {
    set_scalars(in);
    copy_words(w_data_.data(), in.w_data, cols_);
    copy_words(&a_[slot(t_) * std::size_t(rows_)], in.in_a, rows_);
  }

  const ArrayOutputs& outputs() override {
    // out_data[c]: column c's deskew stage, i.e. the partial sum of the entry that left
    // PE(ROWS-1,c) COLS-1-c cycles ago: entry t - ROWS - COLS + 1 for every column.
    const std::size_t e = slot(t_ - std::uint64_t(rows_ + cols_ - 1));
    out_.out_valid = v_[e];
    std::memcpy(out_.out_data.data(), &p_[e * std::size_t(cols_)],
                sizeof(std::uint32_t) * std::size_t(cols_));
    return out_;
  }

private:
  void edge(bool rst) override {
    const std::size_t s = slot(t_);
    v_[s] = in_valid_;
    b_[s] = in_bank_;
    std::memset(&p_[s * std::size_t(cols_)], 0, sizeof(std::uint32_t) * std::size_t(cols_));
    dispatch(ap_, wp_, [&](auto A, auto W) { compute<decltype(A)::value, decltype(W)::value>(); });
    if (w_we_ && w_row_ < unsigned(rows_))
      std::memcpy(&w_[w_bank_][std::size_t(w_row_) * cols_], w_data_.data(),
                  sizeof(std::uint32_t) * std::size_t(cols_));
    if (rst) std::fill(v_.begin(), v_.end(), 0);
    ++t_;
    // The held activation words become the next entry's (ports keep their values).
    std::memcpy(&a_[slot(t_) * std::size_t(rows_)], &a_[s * std::size_t(rows_)],
                sizeof(std::uint32_t) * std::size_t(rows_));
  }

  // PE(r,c) works on entry t-r-c: walk the anti-diagonals d = r + c of valid entries.
  template <int AB, int WB> void compute() {
    const std::uint32_t sa = as_ ? 1u << (AB - 1) : 0u, sw = ws_ ? 1u << (WB - 1) : 0u;
    const int R = rows_, C = cols_;
    for (int d = 0; d < R + C - 1; ++d) {
      const std::size_t e = slot(t_ - std::uint64_t(d));
      if (!v_[e]) continue;                          // p_q passes p_i on unchanged
      const std::uint32_t* w = w_[b_[e]].data() + d; // w[r*C + c] = w[r*(C-1) + d]
      const std::uint32_t* a = &a_[e * std::size_t(R)];
      std::uint32_t* p = &p_[e * std::size_t(C)] + d; // p[c] = p[d - r]
      const int r0 = std::max(0, d - (C - 1)), r1 = std::min(R - 1, d);
      for (int r = r0; r <= r1; ++r) *(p - r) += fu<AB, WB>(a[r], w[r * (C - 1)], sa, sw);
    }
  }

  std::vector<std::uint32_t> w_[2]; // weight banks, PE(r,c) at r*C + c
  std::vector<std::uint32_t> w_data_;
  std::vector<std::uint32_t> a_;    // a_[slot*R + r]: in_data[r] of the entry
  std::vector<std::uint8_t> v_, b_; // valid and bank tags of the entry
  std::vector<std::uint32_t> p_;    // p_[slot*C + c]: partial sum of the entry, column c
};

// ---- Output stationary (rtl/pe_array_os.sv) ----
class NativeOs final : public NativeEngine {
public:
  NativeOs(int rows, int cols)
      : NativeEngine(Dataflow::OS, rows, cols, rows + cols), a_((mask_ + 1) * std::size_t(rows)),
        w_((mask_ + 1) * std::size_t(cols)), v_(mask_ + 1), f_(mask_ + 1), l_(mask_ + 1),
        acc_(std::size_t(rows) * cols), res_(std::size_t(rows) * cols) {}

  void set_inputs(const ArrayInputs& in) override {
    set_scalars(in);
    copy_words(&a_[slot(t_) * std::size_t(rows_)], in.in_a, rows_);
    copy_words(&w_[slot(t_) * std::size_t(cols_)], in.in_w, cols_);
  }

  const ArrayOutputs& outputs() override {
    out_.out_valid = true; // tied high in rtl/pe_array.sv
    if (rd_row_ < unsigned(rows_))
      std::memcpy(out_.out_data.data(), &res_[std::size_t(rd_row_) * cols_],
                  sizeof(std::uint32_t) * std::size_t(cols_));
    else
      std::fill(out_.out_data.begin(), out_.out_data.end(), 0u);
    return out_;
  }

private:
  void edge(bool rst) override {
    const std::size_t s = slot(t_);
    v_[s] = in_valid_;
    f_[s] = in_first_;
    l_[s] = in_last_;
    dispatch(ap_, wp_, [&](auto A, auto W) { compute<decltype(A)::value, decltype(W)::value>(); });
    if (rst) std::fill(v_.begin(), v_.end(), 0);
    ++t_;
    std::memcpy(&a_[slot(t_) * std::size_t(rows_)], &a_[s * std::size_t(rows_)],
                sizeof(std::uint32_t) * std::size_t(rows_));
    std::memcpy(&w_[slot(t_) * std::size_t(cols_)], &w_[s * std::size_t(cols_)],
                sizeof(std::uint32_t) * std::size_t(cols_));
  }

  template <int AB, int WB> void compute() {
    const std::uint32_t sa = as_ ? 1u << (AB - 1) : 0u, sw = ws_ ? 1u << (WB - 1) : 0u;
    const int R = rows_, C = cols_;
    for (int d = 0; d < R + C - 1; ++d) {
      const std::size_t e = slot(t_ - std::uint64_t(d));
      if (!v_[e]) continue; // acc_q and res_q hold
      const bool first = f_[e], last = l_[e];
      const std::uint32_t* a = &a_[e * std::size_t(R)];
      const std::uint32_t* w = &w_[e * std::size_t(C)] + d; // w[c] = w[d - r]
      const int r0 = std::max(0, d - (C - 1)), r1 = std::min(R - 1, d);
      for (int r = r0; r <= r1; ++r) {
        const std::size_t i = std::size_t(r) * C + std::size_t(d - r);
        const std::uint32_t sum = (first ? 0u : acc_[i]) + fu<AB, WB>(a[r], *(w - r), sa, sw);
        acc_[i] = sum;
        if (last) res_[i] = sum;
      }
    }
  }

  std::vector<std::uint32_t> a_;         // a_[slot*R + r]: in_a[r] of the entry
  std::vector<std::uint32_t> w_;         // w_[slot*C + c]: in_w[c] of the entry
  std::vector<std::uint8_t> v_, f_, l_;  // step tags of the entry
  std::vector<std::uint32_t> acc_, res_; // PE(r,c) at r*C + c
};

// ---- Row stationary (rtl/pe_array_rs.sv) ----
class NativeRs final : public NativeEngine {
public:
  NativeRs(int rows, int cols)
      : NativeEngine(Dataflow::RS, rows, cols, rows + 1), nb_(in_a_words(Dataflow::RS, rows, cols)),
        w_data_(std::size_t(rows)), d_((mask_ + 1) * std::size_t(nb_)), tag_(mask_ + 1),
        acc_(std::size_t(rows) * cols) {
    for (auto& bank : rf_) bank.assign(std::size_t(rows) * kRsKmax, 0);
  }

  void set_inputs(const ArrayInputs& in) override {
    set_scalars(in);
    copy_words(w_data_.data(), in.w_data, rows_);
    copy_words(&d_[slot(t_) * std::size_t(nb_)], in.in_a, nb_);
  }

  const ArrayOutputs& outputs() override {
    out_.out_valid = out_v_;
    std::memcpy(out_.out_data.data(), &acc_[std::size_t(rows_ - 1) * cols_],
                sizeof(std::uint32_t) * std::size_t(cols_));
    return out_;
  }

private:
  // The step tags of one entry (t_v, t_b, t_kw, t_f, t_l, t_ap, t_wp, t_as, t_ws, t_s).
  struct Tag {
    bool v, b, f, l, as, ws, s2;
    std::uint8_t kw, ap, wp;
  };

  void edge(bool rst) override {
    const std::size_t s = slot(t_);
    Tag& tg = tag_[s];
    tg.v = in_valid_;
    tg.b = in_bank_;
    tg.kw = std::uint8_t(in_kw_);
    tg.f = in_kw_ == 0;
    tg.l = in_kw_ == ((k_ - 1) & kKwMask); // k_m1 = k - 1 in KB bits
    tg.ap = std::uint8_t(ap_);
    tg.wp = std::uint8_t(wp_);
    tg.as = as_;
    tg.ws = ws_;
    tg.s2 = stride2_;
    // out_v_q <= t_v[ROWS-1] & t_l[ROWS-1], from the tags before this edge.
    const Tag& bottom = tag_[slot(t_ - std::uint64_t(rows_ - 1))];
    const bool out_v_next = bottom.v && bottom.l;
    // Rows bottom up: row i reads row i-1's acc before row i-1 updates it.
    for (int i = rows_ - 1; i >= 0; --i) {
      const std::size_t e = slot(t_ - std::uint64_t(i));
      const Tag& g = tag_[e];
      if (!g.v) continue; // acc holds
      const std::uint32_t w =
          g.kw < kRsKmax ? rf_[g.b][std::size_t(i) * kRsKmax + g.kw] : 0u; // w_rd
      const std::uint32_t* x = &d_[e * std::size_t(nb_)];
      dispatch(g.ap, g.wp,
               [&](auto A, auto W) { row<decltype(A)::value, decltype(W)::value>(i, g, x, w); });
    }
    if (w_we_ && w_idx_ < unsigned(kRsKmax))
      for (int i = 0; i < rows_; ++i)
        rf_[w_bank_][std::size_t(i) * kRsKmax + w_idx_] = w_data_[std::size_t(i)];
    out_v_ = !rst && out_v_next;
    if (rst)
      for (Tag& x : tag_) x.v = false;
    ++t_;
    std::memcpy(&d_[slot(t_) * std::size_t(nb_)], &d_[s * std::size_t(nb_)],
                sizeof(std::uint32_t) * std::size_t(nb_));
  }

  // Row i on entry g: PE(i,j) multiplies bus j*s + i of the entry by the row's weight.
  template <int AB, int WB> void row(int i, const Tag& g, const std::uint32_t* x, std::uint32_t w) {
    const std::uint32_t sa = g.as ? 1u << (AB - 1) : 0u, sw = g.ws ? 1u << (WB - 1) : 0u;
    const int C = cols_, step = g.s2 ? 2 : 1;
    std::uint32_t* acc = &acc_[std::size_t(i) * C];
    const std::uint32_t* up = i > 0 ? acc - C : nullptr;
    x += i;
    for (int j = 0; j < C; ++j) {
      std::uint32_t v = (g.f ? 0u : acc[j]) + fu<AB, WB>(x[j * step], w, sa, sw);
      if (g.l && up) v += up[j];
      acc[j] = v;
    }
  }

  const int nb_;
  std::vector<std::uint32_t> w_data_;
  std::vector<std::uint32_t> d_; // d_[slot*NB + h]: bus h of the entry
  std::vector<Tag> tag_;
  std::vector<std::uint32_t> rf_[2]; // weight banks, row i entry n at i*KMAX + n
  std::vector<std::uint32_t> acc_;   // PE(i,j) at i*C + j
  bool out_v_ = false;
};

} // namespace

std::int32_t fu_dot(std::uint32_t a, std::uint32_t w, int a_prec, int w_prec, bool a_signed,
                    bool w_signed) {
  const int ap = fold_prec(a_prec), wp = fold_prec(w_prec);
  const std::uint32_t sa = sign_bit(ap, a_signed), sw = sign_bit(wp, w_signed);
  std::uint32_t r = 0;
  dispatch(ap, wp,
           [&](auto A, auto W) { r = fu<decltype(A)::value, decltype(W)::value>(a, w, sa, sw); });
  return std::int32_t(r);
}

std::unique_ptr<ArrayEngine> make_native_engine(Dataflow df, int rows, int cols) {
  switch (df) {
  case Dataflow::WS:
    return std::make_unique<NativeWs>(rows, cols);
  case Dataflow::OS:
    return std::make_unique<NativeOs>(rows, cols);
  case Dataflow::RS:
    break;
  }
  return std::make_unique<NativeRs>(rows, cols);
}

} // namespace brickyard::sysc::detail
