#pragma once
// Internals shared by estimate() and the BatchTile mapper, so the batch path and the
// scalar path compute exactly the same numbers. Formulas: docs/estimator.md.
#include <algorithm>
#include <array>
#include <cstdint>

#include "model/accelerator.hpp"
#include "model/calibration.hpp"
#include "model/cost.hpp"
#include "model/layer.hpp"
#include "model/mapping.hpp"
#include "model/tech.hpp"

namespace brickyard::model::detail {

enum Operand { kAct = 0, kWgt = 1, kOut = 2 };

// relevant[X][d]: does the data of operand X change when loop d advances?
inline constexpr bool kRelevant[3][kNumDims] = {
    // n     ow     oh     ic     oc
    {true, true, true, true, false},   // activations
    {false, false, false, true, true}, // weights
    {true, true, true, false, true},   // outputs / partial sums
};

// Per-accelerator constants (energies in pJ per bit, powers in W).
struct AccelConstants {
  double e_fu = 0;               // pJ per active fusion-unit cycle (calibrated)
  double abuf_r = 0, abuf_w = 0; // pJ/bit
  double wbuf_r = 0, wbuf_w = 0;
  double obuf_r = 0, obuf_w = 0;
  double dram = 0;                // pJ/bit
  double leak_w = 0;              // static power, W
  double dram_bits_per_cycle = 0; // effective (nominal x efficiency)
  double area_mm2 = 0;
  std::array<double, 3> fill_drain{}; // per dataflow
  int psum_bits = 32;
};
AccelConstants accel_constants(const Accelerator& a, const Tech& t, const Calibration& c);

// Everything about a tiling that does not depend on the loop order. Totals cover all
// tiles and all groups. Data totals are sums over *distinct* tiles (bits).
struct TilingTerms {
  int overflow = 0; // 0 fits; 1 abuf, 2 wbuf, 3 obuf (first buffer that overflows)
  std::array<double, kNumDims> ntiles{}; // tiles per dim
  double groups = 1;
  double compute_cycles = 0;
  double macs = 0;
  double active_fu_cycles = 0;
  double abuf_read = 0, wbuf_read = 0, obuf_read = 0, obuf_write = 0; // array-side bits
  double act_total = 0, wgt_total = 0, out_total = 0;                 // DRAM-side bits
  double first_load = 0, last_store = 0;                              // bits
  double act_tile_bits = 0, wgt_tile_bits = 0, out_tile_bits = 0;     // largest tile
  // Full tiles and edge tiles (all groups): how many, and the compute cycles of one (the
  // edge tiles' mean), for the per-tile DRAM wait (transition_wait()).
  double full_tiles = 0, full_cycles = 0, edge_tiles = 0, edge_cycles = 0;
  int edge_dims = 0;                           // dims with an edge tile (mask)
  std::array<double, kNumDims> edge1_cycles{}; // compute of the tile at the edge of dim d only
  // Per dim: extent tiled (span), tile size, input extent of the tiles (act) and of the first.
  std::array<double, kNumDims> extent{}, tile{}, in_span{}, in_tile{}, in_first{};
};

// The tile transitions of one loop order (docs/estimator.md, "Cycles"). A transition
// advances one non-trivial loop and resets the loops inside it, so the loop that advances
// decides which operands the next tile reloads (sysc/simulate.cpp, issue_loads): one class
// per non-trivial loop, outermost first (the group loop, outside all, is a class of its
// own in transition_wait()).
struct TransitionClass {
  int dim = 0;      // the loop that advances
  bool act = false; // the next tile loads activations
  bool wgt = false; // ... weights
  bool out = false; // the output tile changes (the tile before is written back)
  int rel = 0;      // operands that depend on the loop: bit 0 act, 1 wgt, 2 out
  int reload = 0;   // partial sums reloaded: 0 never, 1 always, 2 unless ic is at 0
};
struct TransitionRule {
  int n = 0; // classes, one per non-trivial loop
  std::array<TransitionClass, kNumDims> cls{};
  bool write_back = false; // the innermost non-trivial loop changes the output tile
};
// mask: the dims with more than one tile.
TransitionRule transition_rule(const std::array<Dim, kNumDims>& order, int mask);

// What transition_wait() needs of a tiling: DRAM cycles of a full tile of each operand and
// per dim how other tiles compare, tile counts, compute cycles of full and edge tiles.
struct WaitTerms {
  double fa = 0, fw = 0, fo = 0; // cycles per full activation, weight, output tile
  double ric = 0;                // (n_ic - 1) / n_ic
  double groups = 1;
  std::array<double, kNumDims> ntiles{};
  std::array<double, kNumDims> full_fraction{}; // full tiles / tiles, per dim
  // Per dim, a tile's extent over a full tile's: mean over all tiles and over tiles 1..n-1,
  // for activations (input rows/cols, clipped to the image) and for weights and outputs.
  std::array<double, kNumDims> act_mean{}, act_next{}, mean{}, next{};
  std::array<double, kNumDims> last{};       // the last tile's extent over a full tile's
  std::array<double, kNumDims> edge_ratio{}; // compute of the tile at the edge of one dim / full
  double edge_ratio_all = 1;                 // their product
  double full_cycles = 0, edge_cycles = 0;
};

// Cycles the tiles wait for their operands beyond the first load, and the last write-back
// for the one before it (docs/estimator.md, "Cycles"). The controller requests a tile's
// loads when the previous tile starts computing; they queue on the one DRAM bus behind the
// write-back of the tile before that (issued when it finished computing), so the tile waits
// about max(0, latency + write-back + its loads - compute of the previous tile). Summed over
// the transition classes (count x wait), with loads, write-back and compute of the tiles on
// either side of each class. estimate() and the mapper both call this, so they agree to
// the last bit.
inline double transition_wait(const TransitionRule& r, const WaitTerms& w, double latency) {
  // A steady run of transitions with loads L and write-backs W (sysc/simulate.cpp's
  // recurrence, solved): period max(C, (C + H)/2, P), H = latency + L + W,
  // P = latency + max(L, W, L + W - latency): the wait is max(0, (H - C)/2, P - C). The tile
  // before is full with probability `full`, else an edge tile; `scale` scales its compute.
  auto wait = [&](double loads, double wb, double full, double scale = 1.0) {
    const double h = latency + loads + wb;
    const double p = latency + std::max(std::max(loads, wb), loads + wb - latency);
    auto one = [&](double c) { return std::max(0.0, std::max(0.5 * (h - c), p - c)); };
    return full * one(w.full_cycles * scale) + (1.0 - full) * one(w.edge_cycles * scale);
  };
  // outer: transitions of the loops outside + 1; outer_out: those that change the output;
  // outer_full: share of full tiles along the loops outside.
  // outer_a/w/o: mean over the loops outside of an operand tile's size / a full tile's.
  double outer = w.groups, outer_out = w.groups - 1, outer_full = 1, total = 0;
  double outer_a = 1, outer_w = 1, outer_o = 1;
  // Compute of a tile at the last tile of the loops inside / at their first (full) one.
  double inner_edge = w.edge_ratio_all;
  double last_loads = w.fa + w.fw; // loads of the last tile: an innermost loop's, or a group's
  // A new group reloads activations and weights after the group's last tile; the
  // write-back ahead of them: the tile before the last (full along the loops).
  const double wb_last = (r.n > 0 ? r.write_back : w.groups > 1) ? w.fo : 0.0;
  const double last_scale = w.edge_ratio_all;
  // The innermost loop's transitions (before any outer one) stall s_in = latency + L - C;
  // a write-back issued meanwhile overlaps min(s_in, latency) of it.
  double s_in = 0;
  if (r.n > 0) {
    const TransitionClass& c = r.cls[r.n - 1];
    const int d = c.dim;
    double pa = 1, pw = 1;
    for (int i = 0; i + 1 < r.n; ++i) {
      const int e = r.cls[i].dim;
      pa *= r.cls[i].rel & 1 ? w.act_mean[e] : 1.0;
      pw *= r.cls[i].rel & 2 ? w.mean[e] : 1.0;
    }
    const double l = (c.act ? w.fa * pa * (c.rel & 1 ? w.act_next[d] : 1.0) : 0.0) +
                     (c.wgt ? w.fw * pw * (c.rel & 2 ? w.next[d] : 1.0) : 0.0);
    s_in = std::min(latency, std::max(0.0, latency + l - w.full_cycles));
  }
  // An outer transition or a group change (after an innermost one): loads L behind the
  // write-back W less min(s_in, latency), and no less than a run of them would wait.
  auto after_in = [&](double loads, double wb, double full, double scale) {
    const double h = latency + loads + wb;
    const double p = latency + std::max(std::max(loads, wb), loads + wb - latency);
    auto one = [&](double c) {
      return std::max(std::max(0.0, latency + loads + std::max(0.0, wb - s_in) - c),
                      std::max(0.5 * (h - c), p - c));
    };
    return full * one(w.full_cycles * scale) + (1.0 - full) * one(w.edge_cycles * scale);
  };
  const double group_wait = r.n > 0 ? after_in(w.fa + w.fw, wb_last, 1.0, last_scale)
                                    : wait(w.fa + w.fw, wb_last, 1.0, last_scale);
  // The outer transitions that change the output: count and wait, per class (groups first).
  // wb: the write-back ahead (of the tile before it) over a full tile's, along the loops
  // outside the innermost; c, full: compute scale and full share of the tile after it.
  std::array<double, kNumDims + 1> oc_count{}, oc_wait{}, oc_wb{}, oc_c{}, oc_full{};
  int n_oc = 0;
  if (w.groups > 1) {
    double last_all = 1;
    for (int d = 0; d < kNumDims; ++d) last_all *= kRelevant[kOut][d] ? w.last[d] : 1.0;
    oc_count[n_oc] = w.groups - 1;
    oc_wb[n_oc] = last_all;
    oc_c[n_oc] = 1;
    oc_full[n_oc] = 1;
    oc_wait[n_oc++] = group_wait;
  }
  for (int i = 0; i < r.n; ++i) {
    const TransitionClass& c = r.cls[i];
    const int d = c.dim;
    const double n = w.ntiles[d];
    // The next tile: the loops inside at their first (full) tile, this loop at one of its
    // tiles 1..n-1, the loops outside anywhere.
    const double xa = w.fa * outer_a * (c.rel & 1 ? w.act_next[d] : 1.0);
    const double xw = w.fw * outer_w * (c.rel & 2 ? w.next[d] : 1.0);
    const double xo = w.fo * outer_o * (c.rel & 4 ? w.next[d] : 1.0);
    const double reload = c.reload == 1 ? xo : c.reload == 2 ? xo * w.ric : 0.0;
    const double loads = (c.act ? xa : 0.0) + (c.wgt ? xw : 0.0) + reload;
    const double count = outer * (n - 1);
    if (i + 1 < r.n) {
      // The tile before was entered by the innermost loop; the loops inside are at their
      // last tile (an edge tile if one of them has one).
      inner_edge /= w.edge_ratio[d];
      // Its loads queue behind the write-back of the tile before that (full).
      const double wi =
          after_in(loads, r.write_back ? w.fo * outer_o : 0.0, outer_full, inner_edge);
      total += count * wi;
      if (c.out) {
        outer_out += count;
        // Written back: a tile before the last along this loop (full), at the last tile of
        // the loops inside (the innermost's: applied below). After: one of tiles 1..n-1.
        double wb_scale = outer_o;
        for (int q = i + 1; q + 1 < r.n; ++q)
          wb_scale *= r.cls[q].rel & 4 ? w.last[r.cls[q].dim] : 1.0;
        oc_count[n_oc] = count;
        oc_wb[n_oc] = wb_scale;
        oc_c[n_oc] = (n - 2 + w.edge_ratio[d]) / (n - 1);
        oc_full[n_oc] = outer_full;
        oc_wait[n_oc++] = wi;
      }
    } else {
      // Innermost loop: the tile before entered by it (its loads queue behind the
      // write-back of a tile before the last along it, if it changes the output), or by an
      // outer loop.
      last_loads = loads;
      const double inner_wb = r.write_back ? outer * (n - 2) : 0.0;
      // After an outer transition that changed the output and stalled s: its loads queue
      // behind that write-back, less min(s, latency) of it.
      const double in_last = c.rel & 4 ? w.last[d] : 1.0;
      for (int j = 0; j < n_oc; ++j) {
        auto one = [&](double cycles) {
          return std::max(
              0.0, latency + loads +
                       std::max(0.0, w.fo * oc_wb[j] * in_last - std::min(latency, oc_wait[j])) -
                       cycles * oc_c[j]);
        };
        total += oc_count[j] *
                 (oc_full[j] * one(w.full_cycles) + (1.0 - oc_full[j]) * one(w.edge_cycles));
      }
      total += inner_wb * wait(loads, w.fo * outer_o, outer_full) +
               (count - inner_wb - outer_out) * wait(loads, 0.0, outer_full);
    }
    outer *= n;
    outer_full *= w.full_fraction[d];
    outer_a *= c.rel & 1 ? w.act_mean[d] : 1.0;
    outer_w *= c.rel & 2 ? w.mean[d] : 1.0;
    outer_o *= c.rel & 4 ? w.mean[d] : 1.0;
  }
  if (w.groups > 1) {
    // With one tile per group, the first of them has no write-back ahead.
    const double first = r.n > 0 ? 0.0 : 1.0;
    total += (w.groups - 1 - first) * group_wait + first * wait(w.fa + w.fw, 0.0, 1.0, last_scale);
  }
  // The last write-back waits for the one before it, less what of it ran while the last
  // tile's loads L stalled it (s = latency + L - C, at most the latency). Those loads were
  // issued when the tile before the last started, so C is that tile's compute (full along
  // the innermost loop); the last tile's own compute hides the rest.
  if (wb_last > 0) {
    const double prev_scale = r.n > 0 ? last_scale / w.edge_ratio[r.cls[r.n - 1].dim] : last_scale;
    auto end = [&](double c_last, double c_prev) {
      return std::max(0.0, latency + wb_last - c_last -
                               std::min(latency, std::max(0.0, latency + last_loads - c_prev)));
    };
    total += end(w.full_cycles * last_scale, w.full_cycles * prev_scale);
  }
  return total;
}

// Per-dimension facts of one tile size, precomputable once per (layer, dim, tile).
struct DimTiling {
  int tile = 1;
  int full = 0;       // number of full tiles
  int rem = 0;        // size of the remainder tile (0 if the tile divides the extent)
  double span = 0;    // extent the tiles cover (the extent, or tiles x tile if padded)
  double in_span = 0; // sum over tiles of the input rows/cols they read (ow, oh; else span)
  int in_tile = 0;    // input extent of one full tile (unclipped by the image)
  int in_first = 0;   // input extent of the first tile (clipped)
};
DimTiling dim_tiling(const Layer& l, Dim d, int tile, bool padded = false);

TilingTerms tiling_terms(const Layer& l, const Accelerator& a, int psum_bits,
                         const std::array<DimTiling, kNumDims>& dims,
                         const std::array<double, 3>& fill_drain);

// DRAM traffic (bits) of one loop order: a tile is refetched whenever a loop that it
// depends on advances, or a loop outside such a loop advances; trivial loops (one tile)
// never cause refetches.
struct OrderTraffic {
  double act = 0, wgt = 0, out_write = 0, out_read = 0;
};
OrderTraffic order_traffic(const TilingTerms& t, const std::array<Dim, kNumDims>& order);

// wait_terms(t, 1 / bandwidth in bits per cycle).
WaitTerms wait_terms(const TilingTerms& t, double inv_bw);

// Cycles and energy from the pieces above.
Cost finish(const TilingTerms& t, const OrderTraffic& o, const std::array<Dim, kNumDims>& order,
            const Layer& l, const Accelerator& a, const AccelConstants& k);

} // namespace brickyard::model::detail
