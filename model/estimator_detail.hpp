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
  // edge tiles' mean), for the per-tile DRAM wait of finish().
  double full_tiles = 0, full_cycles = 0, edge_tiles = 0, edge_cycles = 0;
};

// Cycles the tiles wait for their operands beyond the first load: each of the N-1 later
// tiles' loads (latency + mean transfer: lx) overlaps the previous tile's compute. The
// weights are the full and edge tile counts times (N-1)/N (later_weights()).
inline double tile_wait(double lx, double full_weight, double full_cycles, double edge_weight,
                        double edge_cycles) {
  return full_weight * std::max(0.0, lx - full_cycles) +
         edge_weight * std::max(0.0, lx - edge_cycles);
}
// 1 / max(1, N-1) for the mean transfer per later tile, and the tile_wait() weights, as
// estimate() and the mapper both compute them.
inline double inv_later_tiles(double n_tiles) {
  return 1.0 / std::max(1.0, n_tiles - 1);
}
inline double later_weight(double tiles, double n_tiles) {
  return tiles * ((n_tiles - 1) / n_tiles);
}

// Per-dimension facts of one tile size, precomputable once per (layer, dim, tile).
struct DimTiling {
  int tile = 1;
  int full = 0;       // number of full tiles
  int rem = 0;        // size of the remainder tile (0 if the tile divides the extent)
  double span = 0;    // extent the tiles cover (the extent, or tiles x tile if padded)
  double in_span = 0; // sum over tiles of the input rows/cols they read (ow, oh; else span)
  int in_tile = 0;    // input extent of one full tile (unclipped by the image)
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

// Cycles and energy from the pieces above.
Cost finish(const TilingTerms& t, const OrderTraffic& o, const Layer& l, const Accelerator& a,
            const AccelConstants& k);

} // namespace brickyard::model::detail
