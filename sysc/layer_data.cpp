#include "sysc/layer_data.hpp"

#include <random>

namespace brickyard::sysc {

namespace {
std::int32_t draw(std::mt19937& g, int bits, bool is_signed) {
  std::int32_t v = std::int32_t(g() & ((1u << bits) - 1));
  if (is_signed && v >= (1 << (bits - 1))) v -= 1 << bits;
  return v;
}
} // namespace

LayerData LayerData::random(const model::Layer& l, std::uint32_t seed, bool a_signed,
                            bool w_signed) {
  LayerData d;
  d.layer = l;
  d.a_signed = a_signed;
  d.w_signed = w_signed;
  std::mt19937 g(seed);
  d.act.resize(std::size_t(l.n) * l.ic * l.ih * l.iw);
  d.wgt.resize(std::size_t(l.oc) * l.icg() * l.k * l.k);
  for (auto& v : d.act) v = draw(g, l.a_bits, a_signed);
  for (auto& v : d.wgt) v = draw(g, l.w_bits, w_signed);
  return d;
}

std::vector<std::int32_t> reference_conv(const LayerData& d) {
  const auto& l = d.layer;
  const int oh = l.oh(), ow = l.ow(), icg = l.icg(), ocg = l.ocg();
  std::vector<std::int32_t> out(std::size_t(l.n) * l.oc * oh * ow);
  for (int n = 0; n < l.n; ++n)
    for (int o = 0; o < l.oc; ++o) {
      const int g = o / ocg;
      for (int y = 0; y < oh; ++y)
        for (int x = 0; x < ow; ++x) {
          std::uint32_t acc = 0; // wraps like the hardware's 32-bit accumulators
          for (int ci = 0; ci < icg; ++ci)
            for (int kh = 0; kh < l.k; ++kh)
              for (int kw = 0; kw < l.k; ++kw)
                acc += std::uint32_t(
                    d.a(n, g * icg + ci, y * l.stride + kh - l.pad, x * l.stride + kw - l.pad) *
                    d.w(o, ci, kh, kw));
          out[((std::size_t(n) * l.oc + o) * oh + y) * ow + x] = std::int32_t(acc);
        }
    }
  return out;
}

} // namespace brickyard::sysc
