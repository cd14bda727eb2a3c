#pragma once
// Runs one tile of a layer on the PE array, cycle by cycle, with the schedule of
// rtl/README.md (the one the RTL testbenches verify): operands come from the compute
// halves of the activation and weight buffers, partial sums accumulate in the compute
// half of the output buffer. Used by the controller for every tile.
//
// Tile layouts, the same in DRAM and in the buffers, bit-packed LSB first, so that a DMA
// moves a tile as one contiguous burst and the buffers hold sub-word operands packed (as
// the estimator's capacity check assumes):
//   activations [n][row][col][ic] at a_bits: the input rows/cols the tile reads, clipped
//                                 to the image (padding is made on chip, never stored)
//   weights     [oc][kh][kw][ic]  at w_bits
//   outputs     [oc][n][oh][ow]   at psum_bits, two's complement
// Channels are innermost: the pf channels of one fusion-unit operand word are adjacent
// bits, so reading them is reading pack_word() of their values.
#include <cstdint>
#include <vector>

#include "sysc/buffer.hpp"
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

// Input rows [y0, y0 + rows) and columns [x0, x0 + cols) a tile reads, clipped to the image.
struct InputWindow {
  int y0 = 0, rows = 0, x0 = 0, cols = 0;
};
InputWindow input_window(const model::Layer& l, const Tile& t);

// Bits of a tile in the layouts above (what DRAM moves, rounded up to whole bytes).
std::uint64_t act_tile_bits(const model::Layer& l, const Tile& t);
std::uint64_t wgt_tile_bits(const model::Layer& l, const Tile& t);
std::uint64_t out_tile_bits(const Tile& t, int psum_bits);
inline std::size_t bytes_of(std::uint64_t bits) {
  return std::size_t((bits + 7) / 8);
}

// Packs a tile of the layer data into `bytes` (resized to bytes_of(..._tile_bits)).
void pack_act_tile(const LayerData& d, const Tile& t, std::vector<std::uint8_t>& bytes);
void pack_wgt_tile(const LayerData& d, const Tile& t, std::vector<std::uint8_t>& bytes);
// Element (o, n, y, x) of a packed output tile, sign-extended from psum_bits.
std::int32_t out_tile_value(const std::uint8_t* bytes, const Tile& t, int psum_bits, int o, int n,
                            int y, int x);

// What the array needs to know about a layer besides its tiles' data.
struct LayerFormat {
  model::Layer layer;
  bool a_signed = false, w_signed = true;
  int psum_bits = 32; // 8..32: partial sums wrap at psum_bits in the output buffer
};

// The output tile being accumulated in the compute half of the output buffer.
struct OutTile {
  Tile tile;
  int psum_bits = 32;
  std::vector<std::uint8_t> written; // per element: holds a partial sum already
  // `partial`: the half holds the tile's partial sums (reloaded from DRAM).
  void reset(const Tile& t, int psum_bits, bool partial);
  std::int64_t bit(int o, int n, int y, int x) const {
    return std::int64_t(((std::size_t(o) * tile.n + n) * tile.oh + y) * tile.ow + x) * psum_bits;
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
// extent as t). The compute halves of b.abuf and b.wbuf hold t's activation and weight
// tiles; `out` lives in the compute half of b.obuf. The engine must be idle; it is left idle.
TileActivity compute_tile(ArrayEngine& e, const LayerFormat& f, const Tile& t, Buffers& b,
                          OutTile& out, CycleHook hook = {});

} // namespace brickyard::sysc
