#include "model/tech.hpp"

#include <algorithm>
#include <cmath>

#include "model/calibration.hpp"
#include "model/error.hpp"

namespace brickyard::model {

namespace {
// Log-log interpolation of y(x) between two points; y must be positive.
double loglog(double x, double x0, double y0, double x1, double y1) {
  if (y0 <= 0 || y1 <= 0 || x0 == x1) return y0;
  double t = (std::log(x) - std::log(x0)) / (std::log(x1) - std::log(x0));
  return std::exp(std::log(y0) + t * (std::log(y1) - std::log(y0)));
}
} // namespace

SramPoint Tech::sram_at(double bank_bytes) const {
  if (sram.empty()) return {};
  if (sram.size() == 1 || bank_bytes <= sram.front().bytes) {
    // Below the smallest characterized bank: keep the smallest bank's per-bit energy
    // (conservative) and scale leakage/area with capacity.
    SramPoint p = sram.front();
    double r = std::max(bank_bytes, 1.0) / p.bytes;
    p.leak_mw *= std::min(r, 1.0);
    p.area_mm2 *= std::min(r, 1.0);
    p.bytes = bank_bytes;
    return p;
  }
  std::size_t hi = 1;
  while (hi + 1 < sram.size() && sram[hi].bytes < bank_bytes) ++hi;
  const SramPoint& a = sram[hi - 1];
  const SramPoint& b = sram[hi];
  if (bank_bytes == b.bytes) return b;
  // Inside the table the result is clamped to its neighbours, so rounding in exp/log can
  // never make a bigger bank cheaper than a smaller one; above the table it extrapolates.
  const bool inside = bank_bytes < b.bytes;
  auto interp = [&](double ya, double yb) {
    double y = loglog(bank_bytes, a.bytes, ya, b.bytes, yb);
    return inside ? std::clamp(y, std::min(ya, yb), std::max(ya, yb)) : y;
  };
  SramPoint p;
  p.bytes = bank_bytes;
  p.read_pj_per_bit = interp(a.read_pj_per_bit, b.read_pj_per_bit);
  p.write_pj_per_bit = interp(a.write_pj_per_bit, b.write_pj_per_bit);
  p.leak_mw = interp(a.leak_mw, b.leak_mw);
  p.area_mm2 = interp(a.area_mm2, b.area_mm2);
  return p;
}

void validate(const Tech& t) {
  auto pos = [](const std::string& field, double v) {
    if (!(v > 0) || !std::isfinite(v)) throw SpecError(field, "must be a positive number");
  };
  pos("fusion_unit.dynamic_energy", t.fu_dynamic_pj_per_cycle);
  pos("fusion_unit.area", t.fu_area_um2);
  if (!(t.fu_leak_mw >= 0)) throw SpecError("fusion_unit.leakage_power", "must be >= 0");
  pos("dram.energy", t.dram_pj_per_bit);
  if (t.sram.size() < 2) throw SpecError("sram.points", "needs at least two characterized banks");
  for (std::size_t i = 0; i < t.sram.size(); ++i) {
    std::string w = "sram.points[" + std::to_string(i) + "].";
    pos(w + "bytes", t.sram[i].bytes);
    pos(w + "read_energy", t.sram[i].read_pj_per_bit);
    pos(w + "write_energy", t.sram[i].write_pj_per_bit);
    pos(w + "area", t.sram[i].area_mm2);
    if (i > 0 && t.sram[i].bytes <= t.sram[i - 1].bytes)
      throw SpecError(w + "bytes", "points must be sorted by increasing size");
  }
  if (t.sram_word_bits < 1) throw SpecError("sram.word_bits", "must be positive");
  if (t.psum_bits < 8 || t.psum_bits > 64) throw SpecError("psum_bits", "must be in 8..64");
}

void validate(const Calibration& c) {
  auto pos = [](const std::string& field, double v) {
    if (!(v > 0) || !std::isfinite(v) || v > 100)
      throw SpecError(field, "must be a positive number no larger than 100");
  };
  for (int i = 0; i < 3; ++i)
    if (!(c.fill_drain[i] >= 0) || c.fill_drain[i] > 100)
      throw SpecError("fill_drain", "scales must be in [0, 100]");
  if (!(c.dram_efficiency > 0 && c.dram_efficiency <= 1))
    throw SpecError("dram_efficiency", "must be in (0, 1]");
  pos("pe_energy_scale", c.pe_energy_scale);
  pos("sram_energy_scale", c.sram_energy_scale);
  pos("dram_energy_scale", c.dram_energy_scale);
}

} // namespace brickyard::model
