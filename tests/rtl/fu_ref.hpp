#pragma once
// Integer reference of the fusion unit's packed operands (rtl/fusion_unit.sv): a 32-bit
// word holds pf = (8/A)*(8/W) values of A (or W) bits, LSB first.
#include <cstdint>
#include <random>

namespace brickyard::rtl_test {

inline int prec_code(int bits) {
  return bits == 2 ? 0 : bits == 4 ? 1 : 2;
}
inline int lanes(int a_bits, int w_bits) {
  return (8 / a_bits) * (8 / w_bits);
}

inline std::int64_t decode(std::uint32_t word, int k, int bits, bool is_signed) {
  std::uint32_t v = (word >> (k * bits)) & ((1u << bits) - 1);
  if (is_signed && (v >> (bits - 1))) return std::int64_t(v) - (std::int64_t(1) << bits);
  return v;
}

// Dot product of two packed words: what one fusion unit computes per cycle.
inline std::int64_t fu_dot(std::uint32_t a, std::uint32_t w, int a_bits, int w_bits, bool as,
                           bool ws) {
  std::int64_t s = 0;
  for (int k = 0; k < lanes(a_bits, w_bits); ++k)
    s += decode(a, k, a_bits, as) * decode(w, k, w_bits, ws);
  return s;
}

// A random packed word: pf random values of `bits` bits (upper unused bits random too
// when `garbage` is set, since the hardware must ignore them).
inline std::uint32_t random_word(std::mt19937& g, int bits, int count, bool garbage = false) {
  std::uint32_t w = garbage ? std::uint32_t(g()) : 0u;
  int used = bits * count;
  if (used < 32)
    w &= ~((1u << used) - 1);
  else
    w = 0;
  for (int k = 0; k < count; ++k) w |= (std::uint32_t(g()) & ((1u << bits) - 1)) << (k * bits);
  return w;
}

} // namespace brickyard::rtl_test
