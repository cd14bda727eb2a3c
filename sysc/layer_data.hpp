#pragma once
// The integer tensors of one layer run through the simulator, and the reference
// convolution the simulator's outputs are checked against.
#include <cstdint>
#include <vector>

#include "model/layer.hpp"

namespace brickyard::sysc {

struct LayerData {
  model::Layer layer;
  bool a_signed = false, w_signed = true;
  std::vector<std::int32_t> act; // [n][ic][ih][iw], values representable in a_bits
  std::vector<std::int32_t> wgt; // [oc][ic/groups][k][k], values representable in w_bits

  // Activation at (n, channel, row, col) of the padded input: 0 in the padding.
  std::int32_t a(int n, int c, int y, int x) const {
    const auto& l = layer;
    if (y < 0 || y >= l.ih || x < 0 || x >= l.iw) return 0;
    return act[((std::size_t(n) * l.ic + c) * l.ih + y) * l.iw + x];
  }
  std::int32_t w(int o, int ci, int kh, int kw) const {
    const auto& l = layer;
    return wgt[((std::size_t(o) * l.icg() + ci) * l.k + kh) * l.k + kw];
  }

  // Uniformly random values over the full range of each precision, seeded.
  static LayerData random(const model::Layer& l, std::uint32_t seed, bool a_signed = false,
                          bool w_signed = true);
};

// Reference integer convolution with 32-bit wrap-around accumulation, [n][oc][oh][ow].
std::vector<std::int32_t> reference_conv(const LayerData& d);

// Packs values[0..count) of `bits` bits into one fusion-unit operand word (LSB first).
inline std::uint32_t pack_word(const std::int32_t* values, int count, int bits) {
  std::uint32_t w = 0, mask = (1u << bits) - 1;
  for (int i = 0; i < count; ++i) w |= (std::uint32_t(values[i]) & mask) << (i * bits);
  return w;
}

// Precision code of the RTL ports: 0 = 2-bit, 1 = 4-bit, 2 = 8-bit.
inline int prec_code(int bits) {
  return bits == 2 ? 0 : bits == 4 ? 1 : 2;
}

} // namespace brickyard::sysc
