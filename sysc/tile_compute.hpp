#pragma once
// Runs one tile of a layer on the PE array, cycle by cycle, with the schedule of
// rtl/README.md (the one the RTL testbenches verify), and accumulates the tile's partial
// sums as the output buffer does. Used by the controller for every tile.
#include <cstdint>
#include <vector>

#include "sysc/engine.hpp"
#include "sysc/layer_data.hpp"

namespace brickyard::sysc {

// Tile coordinates: origin and size per mapping dimension (ic/oc per group) and group.
struct Tile {
  int group = 0;
  int n0 = 0, ow0 = 0, oh0 = 0, ic0 = 0, oc0 = 0;
  int n = 1, ow = 1, oh = 1, ic = 1, oc = 1;
};

// Accesses counted in bits, as the estimator counts them (docs/estimator.md).
struct TileActivity {
  std::uint64_t cycles = 0; // first weight write (or step) to last output, inclusive
  std::uint64_t abuf_read_bits = 0;
  std::uint64_t wbuf_read_bits = 0;
  std::uint64_t obuf_read_bits = 0; // read-modify-write of partial sums inside the tile
  std::uint64_t obuf_write_bits = 0;
  std::uint64_t macs = 0; // useful multiply-accumulates
};

// Output-tile accumulator, [oc][n][oh][ow] of the tile, 32-bit wrap-around.
struct OutTile {
  Tile tile;
  std::vector<std::int32_t> acc;
  std::vector<std::uint8_t> written; // per element: holds a partial sum already
  void reset(const Tile& t);
  std::int32_t& at(int o, int n, int y, int x) {
    return acc[((std::size_t(o) * tile.n + n) * tile.oh + y) * tile.ow + x];
  }
};

// Called after every clock edge when set (the simulator waits one clock period in it
// when cycle skipping is off).
struct CycleHook {
  void (*fn)(void* ctx) = nullptr;
  void* ctx = nullptr;
  void operator()() const {
    if (fn) fn(ctx);
  }
};

// Adds the contribution of input channels [t.ic0, t.ic0+t.ic) to `out` (same n/ow/oh/oc
// extent as t). The engine must be idle; it is left idle.
TileActivity compute_tile(ArrayEngine& e, const LayerData& d, const Tile& t, OutTile& out,
                          int psum_bits = 32, CycleHook hook = {});

} // namespace brickyard::sysc
