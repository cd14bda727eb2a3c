#include "sysc/tile_compute.hpp"

#include <algorithm>
#include <deque>

#include "model/error.hpp"

namespace brickyard::sysc {

void OutTile::reset(const Tile& t, int bits, bool partial) {
  tile = t;
  psum_bits = bits;
  written.assign(std::size_t(t.oc) * t.n * t.oh * t.ow, partial ? 1 : 0);
}

InputWindow input_window(const model::Layer& l, const Tile& t) {
  // Rows (cols) [o0*s - pad, (o0+sz-1)*s - pad + k - 1] of the padded input, clipped.
  auto span = [&](int o0, int sz, int in, int& lo, int& n) {
    int a = o0 * l.stride - l.pad, z = (o0 + sz - 1) * l.stride - l.pad + l.k - 1;
    lo = std::max(a, 0);
    n = std::max(0, std::min(z, in - 1) - lo + 1);
  };
  InputWindow w;
  span(t.oh0, t.oh, l.ih, w.y0, w.rows);
  span(t.ow0, t.ow, l.iw, w.x0, w.cols);
  return w;
}

std::uint64_t act_tile_bits(const model::Layer& l, const Tile& t) {
  InputWindow w = input_window(l, t);
  return std::uint64_t(t.n) * t.ic * l.a_bits * w.rows * w.cols;
}
std::uint64_t wgt_tile_bits(const model::Layer& l, const Tile& t) {
  return std::uint64_t(t.oc) * t.ic * l.k * l.k * l.w_bits;
}
std::uint64_t out_tile_bits(const Tile& t, int psum_bits) {
  return std::uint64_t(t.n) * t.oh * t.ow * t.oc * psum_bits;
}

namespace {

// Appends values LSB first to a byte string.
class BitWriter {
public:
  explicit BitWriter(std::vector<std::uint8_t>& out) : out_(out) { out_.clear(); }
  void put(std::int32_t v, int bits) {
    acc_ |= (std::uint64_t(std::uint32_t(v)) & ((std::uint64_t(1) << bits) - 1)) << n_;
    n_ += bits;
    while (n_ >= 8) {
      out_.push_back(std::uint8_t(acc_));
      acc_ >>= 8;
      n_ -= 8;
    }
  }
  ~BitWriter() {
    if (n_ > 0) out_.push_back(std::uint8_t(acc_));
  }

private:
  std::vector<std::uint8_t>& out_;
  std::uint64_t acc_ = 0;
  int n_ = 0;
};

} // namespace

void pack_act_tile(const LayerData& d, const Tile& t, std::vector<std::uint8_t>& bytes) {
  const auto& l = d.layer;
  InputWindow w = input_window(l, t);
  BitWriter bw(bytes);
  const int c0 = t.group * l.icg() + t.ic0;
  for (int n = 0; n < t.n; ++n)
    for (int y = 0; y < w.rows; ++y)
      for (int x = 0; x < w.cols; ++x)
        for (int c = 0; c < t.ic; ++c) bw.put(d.a(t.n0 + n, c0 + c, w.y0 + y, w.x0 + x), l.a_bits);
}

void pack_wgt_tile(const LayerData& d, const Tile& t, std::vector<std::uint8_t>& bytes) {
  const auto& l = d.layer;
  BitWriter bw(bytes);
  for (int o = 0; o < t.oc; ++o)
    for (int kh = 0; kh < l.k; ++kh)
      for (int kw = 0; kw < l.k; ++kw)
        for (int c = 0; c < t.ic; ++c)
          bw.put(d.w(t.group * l.ocg() + t.oc0 + o, t.ic0 + c, kh, kw), l.w_bits);
}

namespace {

std::int32_t sign_extend(std::uint32_t v, int bits) {
  if (bits >= 32) return std::int32_t(v);
  std::uint32_t m = std::uint32_t(1) << (bits - 1);
  return std::int32_t((v ^ m) - m);
}

} // namespace

std::int32_t out_tile_value(const std::uint8_t* bytes, const Tile& t, int ps, int o, int n, int y,
                            int x) {
  std::uint64_t bit = std::uint64_t(((std::size_t(o) * t.n + n) * t.oh + y) * t.ow + x) * ps;
  std::uint64_t v = 0;
  for (int b = 0; b < ps; ++b) {
    std::uint64_t i = bit + std::uint64_t(b);
    v |= std::uint64_t((bytes[i / 8] >> (i % 8)) & 1u) << b;
  }
  return sign_extend(std::uint32_t(v), ps);
}

namespace {

using model::Dataflow;

// Reads operand words of one tile from the compute halves of the activation and weight
// buffers (layouts at the top of tile_compute.hpp); `pf` channels per word.
class Operands {
public:
  Operands(const model::Layer& l, const Tile& t, Buffers& b)
      : t_(t), l_(l), abuf_(b.abuf), wbuf_(b.wbuf), win_(input_window(l, t)) {
    pf_ = model::macs_per_fusion_unit(l_.a_bits, l_.w_bits);
    words_ = (t.ic + pf_ - 1) / pf_;
  }
  int pf() const { return pf_; }
  int words() const { return words_; }
  // Channels in word `wi` of the tile (0 beyond the tile).
  int channels(int wi) const { return std::max(0, std::min(pf_, t_.ic - wi * pf_)); }
  // Activation word: tile-relative batch n, word wi, absolute padded input row/col.
  std::uint32_t act(int n, int wi, int yin, int xin) {
    int cnt = channels(wi);
    if (cnt == 0 || yin < 0 || yin >= l_.ih || xin < 0 || xin >= l_.iw) return 0;
    int y = yin - win_.y0, x = xin - win_.x0;
    if (y < 0 || y >= win_.rows || x < 0 || x >= win_.cols)
      throw std::logic_error("activation row " + std::to_string(yin) + " col " +
                             std::to_string(xin) + " is outside the tile's input window");
    std::int64_t e = ((std::int64_t(n) * win_.rows + y) * win_.cols + x) * t_.ic + wi * pf_;
    return abuf_.read_bits(abuf_.compute_half(), e * l_.a_bits, cnt * l_.a_bits);
  }
  // Weight word: tile-relative output channel o, word wi, kernel position.
  std::uint32_t wgt(int o, int wi, int kh, int kw) {
    int cnt = channels(wi);
    if (cnt == 0 || o >= t_.oc || kh >= l_.k) return 0;
    std::int64_t e = ((std::int64_t(o) * l_.k + kh) * l_.k + kw) * t_.ic + wi * pf_;
    return wbuf_.read_bits(wbuf_.compute_half(), e * l_.w_bits, cnt * l_.w_bits);
  }
  int in_row(int y, int kh) const { return (t_.oh0 + y) * l_.stride + kh - l_.pad; }
  int in_col(int x, int kw) const { return (t_.ow0 + x) * l_.stride + kw - l_.pad; }

private:
  Tile t_;
  const model::Layer& l_;
  Buffer& abuf_;
  Buffer& wbuf_;
  InputWindow win_;
  int pf_ = 1, words_ = 1;
};

void prepare(ArrayInputs& in, const ArrayEngine& e, const LayerFormat& f) {
  const auto& l = f.layer;
  in = ArrayInputs{};
  in.a_prec = prec_code(l.a_bits);
  in.w_prec = prec_code(l.w_bits);
  in.a_signed = f.a_signed;
  in.w_signed = f.w_signed;
  in.w_data.assign(w_data_words(e.dataflow(), e.rows(), e.cols()), 0);
  in.in_a.assign(in_a_words(e.dataflow(), e.rows(), e.cols()), 0);
  in.in_w.assign(e.cols(), 0);
}

// Read-modify-write of one partial sum in the output buffer's compute half (a plain
// write for the first contribution).
void accumulate(Buffer& obuf, OutTile& out, int o, int n, int y, int x, std::uint32_t v,
                TileActivity& a) {
  const int ps = out.psum_bits;
  const std::size_t i = ((std::size_t(o) * out.tile.n + n) * out.tile.oh + y) * out.tile.ow + x;
  const std::int64_t bit = out.bit(o, n, y, x);
  std::uint32_t sum = v;
  if (out.written[i]) {
    sum += std::uint32_t(sign_extend(obuf.read_bits(obuf.compute_half(), bit, ps), ps));
    a.obuf_read_bits += ps;
  }
  obuf.write_bits(obuf.compute_half(), bit, ps, sum);
  a.obuf_write_bits += ps;
  out.written[i] = 1;
}

// Weight stationary (rtl/README.md, WS): one pass per (oc chunk, ic chunk, kh, kw).
TileActivity run_ws(ArrayEngine& e, const LayerFormat& f, const Tile& t, Buffers& b, OutTile& out,
                    CycleHook hook) {
  const auto& l = f.layer;
  const int R = e.rows(), C = e.cols();
  Operands op(l, t, b);
  struct Pass {
    int occ, icc, kh, kw;
  };
  std::vector<Pass> passes;
  const int icc_n = (op.words() + R - 1) / R, occ_n = (t.oc + C - 1) / C;
  for (int occ = 0; occ < occ_n; ++occ)
    for (int icc = 0; icc < icc_n; ++icc)
      for (int kh = 0; kh < l.k; ++kh)
        for (int kw = 0; kw < l.k; ++kw) passes.push_back({occ, icc, kh, kw});
  const std::int64_t P = std::int64_t(t.n) * t.oh * t.ow, np = std::int64_t(passes.size());
  std::vector<std::int64_t> load(np), start(np), last(np);
  for (std::int64_t i = 0; i < np; ++i) {
    load[i] = i == 0 ? 0 : load[i - 1] + R;
    if (i >= 2) load[i] = std::max(load[i], last[i - 2] + C - 1);
    start[i] = load[i] + 1;
    if (i >= 1) start[i] = std::max(start[i], last[i - 1] + 1);
    last[i] = start[i] + P - 1;
  }
  TileActivity act;
  ArrayInputs in;
  prepare(in, e, f);
  std::deque<std::pair<std::int64_t, std::int64_t>> pending; // (pass, pixel) in flight
  std::int64_t wp = 0, pp = 0;
  const std::int64_t end = last[np - 1] + R + C - 1;
  for (std::int64_t c = 0; c <= end; ++c) {
    in.w_we = false;
    in.in_valid = false;
    while (wp < np && c >= load[wp] + R) ++wp;
    if (wp < np && c >= load[wp]) {
      const Pass& p = passes[wp];
      int row = int(c - load[wp]);
      in.w_we = true;
      in.w_bank = wp & 1;
      in.w_row = row;
      int wi = p.icc * R + row;
      for (int col = 0; col < C; ++col) in.w_data[col] = op.wgt(p.occ * C + col, wi, p.kh, p.kw);
      for (int col = 0; col < C && p.occ * C + col < t.oc; ++col)
        act.wbuf_read_bits += std::uint64_t(op.channels(wi)) * l.w_bits;
    }
    while (pp < np && c > last[pp]) ++pp;
    if (pp < np && c >= start[pp]) {
      const Pass& p = passes[pp];
      std::int64_t px = c - start[pp];
      int n = int(px / (t.oh * t.ow)), y = int(px / t.ow % t.oh), x = int(px % t.ow);
      in.in_valid = true;
      in.in_bank = pp & 1;
      for (int r = 0; r < R; ++r) {
        int wi = p.icc * R + r;
        in.in_a[r] = op.act(n, wi, op.in_row(y, p.kh), op.in_col(x, p.kw));
        act.abuf_read_bits += std::uint64_t(op.channels(wi)) * l.a_bits;
      }
      pending.emplace_back(pp, px);
    }
    e.set_inputs(in);
    const ArrayOutputs& o = e.outputs();
    if (o.out_valid) {
      if (pending.empty()) throw std::logic_error("WS array produced an unexpected output");
      auto [pi, px] = pending.front();
      pending.pop_front();
      const Pass& p = passes[pi];
      int n = int(px / (t.oh * t.ow)), y = int(px / t.ow % t.oh), x = int(px % t.ow);
      for (int col = 0; col < C && p.occ * C + col < t.oc; ++col)
        accumulate(b.obuf, out, p.occ * C + col, n, y, x, o.out_data[col], act);
    }
    e.clock();
    hook();
  }
  if (!pending.empty()) throw std::logic_error("WS array lost outputs");
  act.cycles = std::uint64_t(end + 1);
  return act;
}

// Output stationary (rtl/README.md, OS): folds of R pixels x C output channels.
TileActivity run_os(ArrayEngine& e, const LayerFormat& f, const Tile& t, Buffers& b, OutTile& out,
                    CycleHook hook) {
  const auto& l = f.layer;
  const int R = e.rows(), C = e.cols();
  Operands op(l, t, b);
  const int P = t.n * t.oh * t.ow;
  const std::int64_t T = std::int64_t(op.words()) * l.k * l.k;
  const std::int64_t period = std::max<std::int64_t>({T, R, C});
  struct Fold {
    int p0, o0;
  };
  std::vector<Fold> folds;
  for (int o0 = 0; o0 < t.oc; o0 += C)
    for (int p0 = 0; p0 < P; p0 += R) folds.push_back({p0, o0});
  const std::int64_t nf = std::int64_t(folds.size());
  const std::int64_t end = (nf - 1) * period + T - 1 + C + R - 1;
  TileActivity act;
  ArrayInputs in;
  prepare(in, e, f);
  const int kk = l.k * l.k;
  for (std::int64_t c = 0; c <= end; ++c) {
    in.in_valid = false;
    std::int64_t f = c / period, step = c % period;
    if (f < nf && step < T) {
      const Fold& fd = folds[f];
      int wi = int(step / kk), kh = int(step / l.k % l.k), kw = int(step % l.k);
      in.in_valid = true;
      in.in_first = step == 0;
      in.in_last = step == T - 1;
      for (int r = 0; r < R; ++r) {
        int p = fd.p0 + r;
        if (p < P) {
          int n = p / (t.oh * t.ow), y = p / t.ow % t.oh, x = p % t.ow;
          in.in_a[r] = op.act(n, wi, op.in_row(y, kh), op.in_col(x, kw));
          act.abuf_read_bits += std::uint64_t(op.channels(wi)) * l.a_bits;
        } else {
          in.in_a[r] = 0;
        }
      }
      for (int col = 0; col < C; ++col) {
        in.in_w[col] = op.wgt(fd.o0 + col, wi, kh, kw);
        if (fd.o0 + col < t.oc) act.wbuf_read_bits += std::uint64_t(op.channels(wi)) * l.w_bits;
      }
    }
    // Row r of fold j is read in cycle last_step(j) + C + r.
    std::int64_t j = -1, r = -1;
    for (std::int64_t jj = std::max<std::int64_t>(0, f - 2); jj <= std::min(f, nf - 1); ++jj) {
      std::int64_t rr = c - (jj * period + T - 1 + C);
      if (rr >= 0 && rr < R) j = jj, r = rr;
    }
    in.rd_row = j >= 0 ? int(r) : 0;
    e.set_inputs(in);
    const ArrayOutputs& o = e.outputs();
    if (j >= 0) {
      const Fold& fd = folds[j];
      int p = fd.p0 + int(r);
      if (p < P) {
        int n = p / (t.oh * t.ow), y = p / t.ow % t.oh, x = p % t.ow;
        for (int col = 0; col < C && fd.o0 + col < t.oc; ++col)
          accumulate(b.obuf, out, fd.o0 + col, n, y, x, o.out_data[col], act);
      }
    }
    e.clock();
    hook();
  }
  act.cycles = std::uint64_t(end + 1);
  return act;
}

// Row stationary (rtl/README.md, RS): one pass per (n, oc, output-row chunk, ic word,
// kernel-row fold); S = ow*k steps each.
TileActivity run_rs(ArrayEngine& e, const LayerFormat& f, const Tile& t, Buffers& b, OutTile& out,
                    CycleHook hook) {
  const auto& l = f.layer;
  const int R = e.rows(), C = e.cols();
  if (l.k > kRsKmax)
    throw model::SpecError("k", "the row-stationary array holds kernels up to " +
                                    std::to_string(kRsKmax) + " wide (got " + std::to_string(l.k) +
                                    ")");
  if (l.stride > 2)
    throw model::SpecError("stride", "the row-stationary array supports stride 1 or 2");
  Operands op(l, t, b);
  const int s = l.stride, k = l.k;
  const int kf = (k + R - 1) / R, cf = (t.oh + C - 1) / C;
  struct Pass {
    int n, o, ycf, wi, khf;
  };
  std::vector<Pass> passes;
  for (int n = 0; n < t.n; ++n)
    for (int o = 0; o < t.oc; ++o)
      for (int ycf = 0; ycf < cf; ++ycf)
        for (int wi = 0; wi < op.words(); ++wi)
          for (int khf = 0; khf < kf; ++khf) passes.push_back({n, o, ycf, wi, khf});
  const std::int64_t np = std::int64_t(passes.size()), S = std::int64_t(t.ow) * k;
  std::vector<std::int64_t> W(np), st(np);
  for (std::int64_t i = 0; i < np; ++i) {
    W[i] = i == 0 ? 0 : W[i - 1] + k;
    if (i >= 2) W[i] = std::max(W[i], st[i - 2] + S + R - 2);
    st[i] = W[i] + k;
    if (i >= 1) st[i] = std::max(st[i], st[i - 1] + S);
  }
  const std::int64_t end = st[np - 1] + S - 1 + R;
  const int nb = in_a_words(Dataflow::RS, R, C);
  TileActivity act;
  ArrayInputs in;
  prepare(in, e, f);
  in.stride2 = s == 2;
  in.k = k;
  std::deque<std::pair<std::int64_t, int>> pending; // (pass, x)
  std::int64_t wp = 0, pp = 0;
  for (std::int64_t c = 0; c <= end; ++c) {
    in.w_we = false;
    in.in_valid = false;
    while (wp < np && c >= W[wp] + k) ++wp;
    if (wp < np && c >= W[wp]) {
      const Pass& p = passes[wp];
      int kw = int(c - W[wp]);
      in.w_we = true;
      in.w_bank = wp & 1;
      in.w_idx = kw;
      for (int i = 0; i < R; ++i) {
        int kh = p.khf * R + i;
        in.w_data[i] = op.wgt(p.o, p.wi, kh, kw);
        if (kh < k) act.wbuf_read_bits += std::uint64_t(op.channels(p.wi)) * l.w_bits;
      }
    }
    while (pp < np && c >= st[pp] + S) ++pp;
    if (pp < np && c >= st[pp]) {
      const Pass& p = passes[pp];
      std::int64_t step = c - st[pp];
      int x = int(step / k), kw = int(step % k);
      in.in_valid = true;
      in.in_bank = pp & 1;
      in.in_kw = kw;
      int rows_used = std::min(R, k - p.khf * R);
      int cols_used = std::min(C, t.oh - p.ycf * C);
      int buses_used = (cols_used - 1) * s + rows_used;
      int y0 = p.ycf * C;
      for (int h = 0; h < nb; ++h) {
        int yin = (t.oh0 + y0) * s + p.khf * R - l.pad + h;
        in.in_a[h] = h < buses_used ? op.act(p.n, p.wi, yin, op.in_col(x, kw)) : 0;
      }
      act.abuf_read_bits += std::uint64_t(buses_used) * op.channels(p.wi) * l.a_bits;
      if (kw == k - 1) pending.emplace_back(pp, x);
    }
    e.set_inputs(in);
    const ArrayOutputs& o = e.outputs();
    if (o.out_valid) {
      if (pending.empty()) throw std::logic_error("RS array produced an unexpected output");
      auto [pi, x] = pending.front();
      pending.pop_front();
      const Pass& p = passes[pi];
      for (int j = 0; j < C && p.ycf * C + j < t.oh; ++j)
        accumulate(b.obuf, out, p.o, p.n, p.ycf * C + j, x, o.out_data[j], act);
    }
    e.clock();
    hook();
  }
  if (!pending.empty()) throw std::logic_error("RS array lost outputs");
  act.cycles = std::uint64_t(end + 1);
  return act;
}

} // namespace

TileActivity compute_tile(ArrayEngine& e, const LayerFormat& f, const Tile& t, Buffers& b,
                          OutTile& out, CycleHook hook) {
  if (f.psum_bits < 8 || f.psum_bits > 32)
    throw model::SpecError("psum_bits", "the simulator's output buffer holds partial sums of 8 "
                                        "to 32 bits (got " +
                                            std::to_string(f.psum_bits) + ")");
  TileActivity a;
  switch (e.dataflow()) {
  case Dataflow::WS:
    a = run_ws(e, f, t, b, out, hook);
    break;
  case Dataflow::OS:
    a = run_os(e, f, t, b, out, hook);
    break;
  case Dataflow::RS:
    a = run_rs(e, f, t, b, out, hook);
    break;
  }
  a.macs = std::uint64_t(t.n) * t.oh * t.ow * t.oc * std::uint64_t(t.ic) * f.layer.k * f.layer.k;
  return a;
}

} // namespace brickyard::sysc
