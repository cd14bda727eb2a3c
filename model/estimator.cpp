#include "model/estimator.hpp"

#include <algorithm>
#include <cmath>

#include "model/estimator_detail.hpp"

namespace brickyard::model {
namespace detail {

namespace {
inline double cdiv(double a, double b) {
  return std::ceil(a / b);
}

struct Banks {
  double a_count, a_bytes, w_count, w_bytes, o_count, o_bytes;
};
// Buffer banking follows BitFusion's simulator: one activation bank per array row, one
// weight bank per fusion unit, one output bank per column (simulator.py, get_energy_cost).
Banks banks_of(const Accelerator& a) {
  double r = a.pe_rows, c = a.pe_cols;
  return {r, double(a.abuf_bytes) / r, r * c, double(a.wbuf_bytes) / (r * c),
          c, double(a.obuf_bytes) / c};
}
} // namespace

AccelConstants accel_constants(const Accelerator& a, const Tech& t, const Calibration& c) {
  AccelConstants k;
  Banks b = banks_of(a);
  SramPoint sa = t.sram_at(b.a_bytes), sw = t.sram_at(b.w_bytes), so = t.sram_at(b.o_bytes);
  double s = c.sram_energy_scale;
  k.e_fu = t.fu_dynamic_pj_per_cycle * c.pe_energy_scale;
  k.abuf_r = sa.read_pj_per_bit * s;
  k.abuf_w = sa.write_pj_per_bit * s;
  k.wbuf_r = sw.read_pj_per_bit * s;
  k.wbuf_w = sw.write_pj_per_bit * s;
  k.obuf_r = so.read_pj_per_bit * s;
  k.obuf_w = so.write_pj_per_bit * s;
  k.dram = t.dram_pj_per_bit * c.dram_energy_scale;
  double fus = a.fusion_units();
  double leak_mw = fus * t.fu_leak_mw;
  if (t.include_sram_leakage)
    leak_mw += b.a_count * sa.leak_mw + b.w_count * sw.leak_mw + b.o_count * so.leak_mw;
  k.leak_w = leak_mw * 1e-3;
  k.area_mm2 = fus * t.fu_area_um2 * 1e-6 + b.a_count * sa.area_mm2 + b.w_count * sw.area_mm2 +
               b.o_count * so.area_mm2;
  k.dram_bits_per_cycle = a.dram_bits_per_cycle * c.dram_efficiency;
  k.fill_drain = c.fill_drain;
  k.psum_bits = t.psum_bits;
  return k;
}

DimTiling dim_tiling(const Layer& l, Dim d, int tile, bool padded) {
  DimTiling t;
  int ext = extents(l)[static_cast<int>(d)];
  t.tile = tile;
  t.full = ext / tile;
  t.rem = ext % tile;
  t.span = ext;
  if (padded) {
    // BitFusion convention: ceil(extent/tile) full tiles, edge tiles padded with zeros
    // and fetched/computed/stored at full size (optimizer.py, get_stats_fast).
    t.full = (ext + tile - 1) / tile;
    t.rem = 0;
    t.span = double(t.full) * tile;
    t.in_tile = (d == Dim::OW || d == Dim::OH) ? (tile - 1) * l.stride + l.k : tile;
    t.in_span = t.full * double(t.in_tile);
    t.in_first = t.in_tile;
    return t;
  }
  if (d == Dim::OW || d == Dim::OH) {
    int in = d == Dim::OW ? l.iw : l.ih;
    t.in_tile = std::min((tile - 1) * l.stride + l.k, in);
    // Input rows/cols each tile reads, clipped to the image (padding is generated, not
    // fetched). Halo rows shared by neighbouring tiles are fetched by both.
    double span = 0;
    for (int o0 = 0; o0 < ext; o0 += tile) {
      int t_j = std::min(tile, ext - o0);
      int lo = o0 * l.stride - l.pad;
      int hi = (o0 + t_j - 1) * l.stride - l.pad + l.k - 1;
      span += std::max(0, std::min(hi, in - 1) - std::max(lo, 0) + 1);
    }
    t.in_span = span;
    t.in_first = std::max(0, std::min((tile - 1) * l.stride - l.pad + l.k - 1, in - 1) + 1);
  } else {
    t.in_tile = tile;
    t.in_span = ext;
    t.in_first = tile;
  }
  return t;
}

namespace {
struct TileCost {
  double cycles, abuf_r, wbuf_r, obuf_w; // obuf reads: tiling_terms()
};

// Cycles and array-side SRAM bits of one tile (docs/estimator.md, "Inside a tile").
inline TileCost tile_cost(Dataflow df, double nt, double owt, double oht, double ict, double oct,
                          double R, double C, double pf, double k, double s, double ab, double wb,
                          double ps, double fd) {
  const double kk = k * k;
  const double P = nt * oht * owt; // output pixels of the tile
  TileCost t{};
  switch (df) {
  case Dataflow::WS: {
    // Rows reduce R*pf input channels, columns hold C output channels; each pass keeps one
    // kernel position's weights and streams the tile's P pixels through the array.
    // rtl/README.md (WS): a pass starts m = max(P, R) cycles after the previous one (P
    // pixels; R: one weight row per cycle), and a weight bank is rewritten only after the
    // pass before last has left the array, so when 2m <= P2 = P+C-1 passes start in pairs
    // every P2 cycles (the exact recurrence of sysc/tile_compute.cpp). A run of n passes
    // takes (start of the last pass) + P + R + C cycles.
    double rc = R * pf;
    double ic_chunks = cdiv(ict, rc), oc_chunks = cdiv(oct, C);
    double n = kk * ic_chunks * oc_chunks;
    double m = std::max(P, R), P2 = P + C - 1;
    double starts =
        2 * m > P2 ? (n - 1) * m : std::floor((n - 1) / 2) * P2 + std::fmod(n - 1, 2.0) * m;
    t.cycles = starts + P + fd * (R + C);
    t.abuf_r = kk * oc_chunks * P * ict * ab;
    t.wbuf_r = kk * ict * oct * wb;
    t.obuf_w = kk * ic_chunks * P * oct * ps;
    break;
  }
  case Dataflow::OS: {
    // Rows hold R output pixels, columns C output channels; each fold accumulates in place
    // over T = k*k*ceil(ic/pf) steps. rtl/README.md (OS): folds stream at period
    // max(T, R, C) (results are read one row per cycle, each row within its window) and
    // n folds take (n-1)max(T,R,C) + T + R + C - 1 cycles.
    double n = cdiv(P, R) * cdiv(oct, C);
    double T = kk * cdiv(ict, pf);
    t.cycles = (n - 1) * std::max({T, R, C}) + T + fd * (R + C - 1);
    t.abuf_r = cdiv(oct, C) * P * kk * ict * ab;
    t.wbuf_r = cdiv(P, R) * oct * kk * ict * wb;
    t.obuf_w = P * oct * ps;
    break;
  }
  case Dataflow::RS: {
    // Eyeriss row stationary, one PE set per pass (rtl/pe_array_rs.sv): rows hold the k
    // filter rows (taller kernels fold into ceil(k/R) passes), columns compute min(oh,C)
    // output rows, each PE slides its filter row along ow (k steps per pixel, pf input
    // channels per step). rtl/README.md (RS): a pass of S = ow*k steps.
    double kf = cdiv(k, R);
    double cf = cdiv(oht, C);
    double ic_chunks = cdiv(ict, pf);
    double n = nt * oct * cf * ic_chunks * kf;
    double S = owt * k;
    // Passes alternate between two weight banks: pass i+2 cannot load before pass i has
    // left the array, so when 2S <= S+R+k-2 passes start in pairs every P2 = S+R+k-2
    // cycles (the controller's exact recurrence, sysc/tile_compute.cpp), else every S.
    double P2 = S + R + k - 2;
    double starts =
        2 * S > P2 ? (n - 1) * S : std::floor((n - 1) / 2) * P2 + std::fmod(n - 1, 2.0) * S;
    t.cycles = starts + S + fd * (k + R);
    t.wbuf_r = nt * oct * cf * kk * ict * wb;
    // A pass streams S = ow*k steps on (used columns - 1)*s + used rows input buses; the
    // last output-row chunk may use fewer columns, a kernel-row fold fewer rows.
    t.abuf_r = nt * oct * ict * ab * owt * k * (kf * s * (oht - cf) + cf * k);
    t.obuf_w = nt * oct * oht * owt * ps * ic_chunks * kf;
    break;
  }
  }
  return t;
}
} // namespace

TilingTerms tiling_terms(const Layer& l, const Accelerator& a, int psum_bits,
                         const std::array<DimTiling, kNumDims>& dims,
                         const std::array<double, 3>& fill_drain) {
  TilingTerms t;
  const double R = a.pe_rows, C = a.pe_cols;
  const double pf = macs_per_fusion_unit(l.a_bits, l.w_bits);
  const double k = l.k, s = l.stride, ab = l.a_bits, wb = l.w_bits, ps = psum_bits;
  const double fd = fill_drain[static_cast<int>(a.dataflow)];
  const double g = l.groups;
  t.groups = g;
  for (int d = 0; d < kNumDims; ++d) {
    t.ntiles[d] = dims[d].full + (dims[d].rem > 0 ? 1 : 0);
    if (dims[d].rem > 0) t.edge_dims |= 1 << d;
    t.extent[d] = dims[d].span;
    t.tile[d] = dims[d].tile;
    t.in_span[d] = dims[d].in_span;
    t.in_tile[d] = dims[d].in_tile;
    t.in_first[d] = dims[d].in_first;
  }

  // Sum over the (at most 2^5) distinct tile shapes: full tiles and remainder tiles.
  for (int combo = 0; combo < (1 << kNumDims); ++combo) {
    double count = 1;
    std::array<double, kNumDims> sz{};
    bool skip = false;
    for (int d = 0; d < kNumDims && !skip; ++d) {
      bool rem = combo & (1 << d);
      if (rem) {
        if (dims[d].rem == 0) skip = true;
        sz[d] = dims[d].rem;
      } else {
        if (dims[d].full == 0) skip = true;
        count *= dims[d].full;
        sz[d] = dims[d].tile;
      }
    }
    if (skip) continue;
    TileCost c =
        tile_cost(a.dataflow, sz[0], sz[1], sz[2], sz[3], sz[4], R, C, pf, k, s, ab, wb, ps, fd);
    t.compute_cycles += count * c.cycles;
    if (combo == 0) {
      t.full_tiles = count * g;
      t.full_cycles = c.cycles;
    } else {
      for (int d = 0; d < kNumDims; ++d)
        if (combo == 1 << d) t.edge1_cycles[d] = c.cycles;
      t.edge_tiles += count * g;
      t.edge_cycles += count * g * c.cycles; // a sum until the loop ends
    }
    t.abuf_read += count * c.abuf_r;
    t.wbuf_read += count * c.wbuf_r;
    t.obuf_write += count * c.obuf_w;
  }
  if (t.edge_tiles > 0) t.edge_cycles /= t.edge_tiles;
  t.compute_cycles *= g;
  t.abuf_read *= g;
  t.wbuf_read *= g;
  t.obuf_write *= g;

  t.macs = double(l.macs());
  t.active_fu_cycles = t.macs / pf;
  const auto& dn = dims[0];
  const auto& dw = dims[1];
  const auto& dh = dims[2];
  const auto& di = dims[3];
  const auto& dc = dims[4];
  t.act_total = g * dn.span * di.span * dh.in_span * dw.in_span * ab;
  t.wgt_total = g * dc.span * di.span * k * k * wb;
  t.out_total = g * dn.span * dh.span * dw.span * dc.span * ps;
  // Every accumulation into the output buffer reads the partial sum first, except the
  // first one of each output: an output tile stays in the buffer (or is reloaded from
  // DRAM) across the ic tiles that accumulate into it.
  t.obuf_read = std::max(0.0, t.obuf_write - t.out_total);

  t.act_tile_bits = double(dn.tile) * di.tile * dh.in_tile * dw.in_tile * ab;
  t.wgt_tile_bits = double(dc.tile) * di.tile * k * k * wb;
  t.out_tile_bits = double(dn.tile) * dh.tile * dw.tile * dc.tile * ps;
  if (t.act_tile_bits > a.abuf_bytes * 8.0 / 2)
    t.overflow = 1;
  else if (t.wgt_tile_bits > a.wbuf_bytes * 8.0 / 2)
    t.overflow = 2;
  else if (t.out_tile_bits > a.obuf_bytes * 8.0 / 2)
    t.overflow = 3;

  auto last = [](const DimTiling& x) { return double(x.rem > 0 ? x.rem : x.tile); };
  t.first_load = t.act_tile_bits + t.wgt_tile_bits;
  t.last_store = last(dn) * last(dh) * last(dw) * last(dc) * ps;
  return t;
}

OrderTraffic order_traffic(const TilingTerms& t, const std::array<Dim, kNumDims>& order) {
  double ntot = 1;
  for (double n : t.ntiles) ntot *= n;
  double mult[3];
  for (int x = 0; x < 3; ++x) {
    double suffix = 1, distinct = 1;
    bool alive = true;
    for (int p = kNumDims - 1; p >= 0; --p) {
      int d = static_cast<int>(order[p]);
      double nd = t.ntiles[d];
      if (kRelevant[x][d]) {
        distinct *= nd;
        if (nd > 1) alive = false;
      } else if (alive) {
        suffix *= nd;
      }
    }
    mult[x] = ntot / suffix / distinct; // fetches of each distinct tile
  }
  OrderTraffic o;
  o.act = t.act_total * mult[kAct];
  o.wgt = t.wgt_total * mult[kWgt];
  o.out_write = t.out_total * mult[kOut];
  o.out_read = t.out_total * (mult[kOut] - 1);
  return o;
}

TransitionRule transition_rule(const std::array<Dim, kNumDims>& order, int mask) {
  TransitionRule r;
  int ic_pos = kNumDims; // position of the ic loop if it is non-trivial
  for (int p = 0; p < kNumDims; ++p)
    if (order[p] == Dim::IC && (mask & (1 << int(Dim::IC)))) ic_pos = p;
  bool inner_out = false;
  for (int p = 0; p < kNumDims; ++p) {
    const int d = static_cast<int>(order[p]);
    if (!(mask & (1 << d))) continue;
    // Loop p advances: it and every non-trivial loop inside it change.
    bool changed[3] = {false, false, false};
    for (int q = p; q < kNumDims; ++q) {
      const int e = static_cast<int>(order[q]);
      if (!(mask & (1 << e))) continue;
      for (int x = 0; x < 3; ++x) changed[x] = changed[x] || kRelevant[x][e];
    }
    TransitionClass& c = r.cls[r.n++];
    c.dim = d;
    c.act = changed[kAct];
    c.wgt = changed[kWgt];
    c.out = changed[kOut];
    for (int x = 0; x < 3; ++x) c.rel |= kRelevant[x][d] ? 1 << x : 0;
    // A new output tile holds partial sums in DRAM unless no ic tile has run for it yet:
    // ic advanced at this loop, or sits outside it (then n_ic - 1 of n_ic times).
    if (changed[kOut]) c.reload = ic_pos == p ? 1 : ic_pos < p ? 2 : 0;
    inner_out = changed[kOut];
  }
  r.write_back = inner_out;
  return r;
}

WaitTerms wait_terms(const TilingTerms& t, double inv_bw) {
  WaitTerms w;
  const auto& n = t.ntiles;
  const double g = t.groups, ni = n[int(Dim::IC)];
  w.fa = t.act_tile_bits * inv_bw;
  w.fw = t.wgt_tile_bits * inv_bw;
  w.fo = t.out_tile_bits * inv_bw;
  w.ric = (ni - 1) / ni;
  w.groups = g;
  w.ntiles = n;
  for (int d = 0; d < kNumDims; ++d) {
    const double nd = n[d], n1 = std::max(1.0, nd - 1);
    w.full_fraction[d] = (nd - (t.edge_dims & (1 << d) ? 1 : 0)) / nd;
    // Tiles 1..n-1 cover the extent but the first tile; the last, what n-1 full ones leave.
    w.mean[d] = t.extent[d] / nd / t.tile[d];
    w.next[d] = nd > 1 ? (t.extent[d] - t.tile[d]) / n1 / t.tile[d] : 1.0;
    w.last[d] = (t.extent[d] - t.tile[d] * (nd - 1)) / t.tile[d];
    w.act_mean[d] = t.in_span[d] / nd / t.in_tile[d];
    w.act_next[d] = nd > 1 ? (t.in_span[d] - t.in_first[d]) / n1 / t.in_tile[d] : 1.0;
  }
  for (int d = 0; d < kNumDims; ++d) {
    w.edge_ratio[d] = t.edge_dims & (1 << d) ? t.edge1_cycles[d] / t.full_cycles : 1.0;
    w.edge_ratio_all *= w.edge_ratio[d];
  }
  w.full_cycles = t.full_cycles;
  w.edge_cycles = t.edge_cycles;
  return w;
}

Cost finish(const TilingTerms& t, const OrderTraffic& o, const std::array<Dim, kNumDims>& order,
            const Layer& l, const Accelerator& a, const AccelConstants& k) {
  Cost c;
  if (t.overflow) {
    static const char* kWhich[] = {"", "abuf", "wbuf", "obuf"};
    double need[] = {0, t.act_tile_bits, t.wgt_tile_bits, t.out_tile_bits};
    double have[] = {0, double(a.abuf_bytes), double(a.wbuf_bytes), double(a.obuf_bytes)};
    c.feasible = false;
    c.infeasible_reason = std::string(kWhich[t.overflow]) + ": tile needs " +
                          std::to_string(std::int64_t(need[t.overflow] / 8)) +
                          " bytes, half the buffer (double buffering) holds " +
                          std::to_string(std::int64_t(have[t.overflow] / 2));
  }
  const double bw = k.dram_bits_per_cycle;
  const double dram_bits = o.act + o.wgt + o.out_write + o.out_read;
  const double first = std::ceil(t.first_load / bw), last = std::ceil(t.last_store / bw);
  int mask = 0;
  for (int d = 0; d < kNumDims; ++d)
    if (t.ntiles[d] > 1) mask |= 1 << d;
  // Double buffering (one tile per buffer half) hides a tile's loads behind the previous
  // tile's compute; the first load and the last write-back, each with its DRAM latency,
  // cannot be hidden; every other tile waits as transition_wait() counts
  // (docs/estimator.md, "Cycles"). Same arithmetic as the mapper's batch path.
  const double stalls =
      2.0 * a.dram_latency_cycles + first + last +
      transition_wait(transition_rule(order, mask), wait_terms(t, 1.0 / k.dram_bits_per_cycle),
                      a.dram_latency_cycles);
  c.compute_cycles = std::llround(t.compute_cycles);
  c.stall_cycles = std::llround(stalls);
  c.cycles = c.compute_cycles + c.stall_cycles;
  c.latency_s = double(c.cycles) / a.clock_hz;

  auto& tr = c.traffic;
  tr.abuf_read = t.abuf_read;
  tr.abuf_write = o.act;
  tr.wbuf_read = t.wbuf_read;
  tr.wbuf_write = o.wgt;
  // t.obuf_read holds the array's reads of reloaded partial sums too; the drain reads
  // out_write. Reloads are DRAM reads and obuf writes.
  tr.obuf_read = t.obuf_read + o.out_write;
  tr.obuf_write = t.obuf_write + o.out_read;
  tr.dram_read = o.act + o.wgt + o.out_read;
  tr.dram_write = o.out_write;

  constexpr double kPJ = 1e-12;
  auto& e = c.energy;
  e.pe = t.active_fu_cycles * k.e_fu * kPJ;
  e.abuf = (tr.abuf_read * k.abuf_r + tr.abuf_write * k.abuf_w) * kPJ;
  e.wbuf = (tr.wbuf_read * k.wbuf_r + tr.wbuf_write * k.wbuf_w) * kPJ;
  e.obuf = (tr.obuf_read * k.obuf_r + tr.obuf_write * k.obuf_w) * kPJ;
  e.dram = dram_bits * k.dram * kPJ;
  e.leak = k.leak_w * c.latency_s;
  c.energy_j = e.total();
  c.area_mm2 = k.area_mm2;
  double peak = double(a.fusion_units()) * macs_per_fusion_unit(l.a_bits, l.w_bits);
  c.utilization = c.cycles > 0 ? t.macs / (double(c.cycles) * peak) : 0;
  return c;
}

} // namespace detail

Cost estimate(const Layer& layer, const Accelerator& accel, const Mapping& mapping,
              const Tech& tech, const Calibration& cal) {
  validate(mapping, layer);
  std::array<detail::DimTiling, kNumDims> dims;
  for (Dim d : kAllDims)
    dims[static_cast<int>(d)] =
        detail::dim_tiling(layer, d, mapping[d], accel.padded_partial_tiles);
  auto k = detail::accel_constants(accel, tech, cal);
  auto t = detail::tiling_terms(layer, accel, k.psum_bits, dims, k.fill_drain);
  auto o = detail::order_traffic(t, mapping.order);
  return detail::finish(t, o, mapping.order, layer, accel, k);
}

double area_mm2(const Accelerator& accel, const Tech& tech) {
  return detail::accel_constants(accel, tech, Calibration{}).area_mm2;
}

} // namespace brickyard::model
