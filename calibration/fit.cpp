#include "calibration/fit.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "model/estimator.hpp"

namespace brickyard::calibration {

double kendall_tau_b(const std::vector<double>& x, const std::vector<double>& y) {
  const std::size_t n = std::min(x.size(), y.size());
  double concordant = 0, discordant = 0, tx = 0, ty = 0, pairs = 0;
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = i + 1; j < n; ++j) {
      double dx = x[i] - x[j], dy = y[i] - y[j];
      ++pairs;
      if (dx == 0 && dy == 0) {
        ++tx;
        ++ty;
      } else if (dx == 0) {
        ++tx;
      } else if (dy == 0) {
        ++ty;
      } else if ((dx > 0) == (dy > 0)) {
        ++concordant;
      } else {
        ++discordant;
      }
    }
  double den = std::sqrt((pairs - tx) * (pairs - ty));
  if (!(den > 0)) return std::numeric_limits<double>::quiet_NaN();
  return (concordant - discordant) / den;
}

bool least_squares(const std::vector<std::vector<double>>& a, const std::vector<double>& b,
                   const std::vector<double>& w, std::vector<double>& x) {
  if (a.empty()) return false;
  const std::size_t m = a[0].size();
  std::vector<std::vector<double>> n(m, std::vector<double>(m + 1, 0.0));
  for (std::size_t i = 0; i < a.size(); ++i)
    for (std::size_t r = 0; r < m; ++r) {
      for (std::size_t c = 0; c < m; ++c) n[r][c] += w[i] * a[i][r] * a[i][c];
      n[r][m] += w[i] * a[i][r] * b[i];
    }
  // Gaussian elimination with partial pivoting on the (scaled) normal equations.
  for (std::size_t c = 0; c < m; ++c) {
    std::size_t p = c;
    for (std::size_t r = c + 1; r < m; ++r)
      if (std::fabs(n[r][c]) > std::fabs(n[p][c])) p = r;
    std::swap(n[c], n[p]);
    double scale = 0;
    for (std::size_t r = 0; r < m; ++r) scale = std::max(scale, std::fabs(n[r][r]));
    if (!(std::fabs(n[c][c]) > 1e-12 * scale)) return false;
    for (std::size_t r = 0; r < m; ++r) {
      if (r == c) continue;
      double f = n[r][c] / n[c][c];
      for (std::size_t k = c; k <= m; ++k) n[r][k] -= f * n[c][k];
    }
  }
  std::vector<double> out(m);
  for (std::size_t r = 0; r < m; ++r) out[r] = n[r][m] / n[r][r];
  for (double v : out)
    if (!std::isfinite(v)) return false;
  x = out;
  return true;
}

namespace {

double rel_err(double est, double sim) {
  return (est - sim) / sim;
}

double mean_of(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0 : s / double(v.size());
}

// Minimizes f on [lo, hi]: a coarse grid (f is piecewise smooth: ceil/max terms), then
// golden-section refinement around the best grid point. Deterministic.
double minimize_1d(const std::function<double(double)>& f, double lo, double hi) {
  constexpr int kGrid = 40;
  double best_x = lo, best_f = f(lo);
  for (int i = 1; i <= kGrid; ++i) {
    double x = lo + (hi - lo) * i / kGrid;
    double v = f(x);
    if (v < best_f) {
      best_f = v;
      best_x = x;
    }
  }
  double step = (hi - lo) / kGrid;
  double a = std::max(lo, best_x - step), b = std::min(hi, best_x + step);
  const double g = (std::sqrt(5.0) - 1) / 2;
  double c = b - g * (b - a), d = a + g * (b - a);
  double fc = f(c), fd = f(d);
  for (int it = 0; it < 40; ++it) {
    if (fc < fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - g * (b - a);
      fc = f(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + g * (b - a);
      fd = f(d);
    }
  }
  double x = fc < fd ? c : d, fx = std::min(fc, fd);
  return fx < best_f ? x : best_x;
}

// Sum of absolute relative cycle errors: the report's MAPE (up to a constant), which a
// handful of DRAM-bound outliers cannot dominate the way squared errors would.
double cycle_error(const std::vector<const Record*>& recs, const model::Calibration& cal,
                   const model::Tech& tech) {
  double s = 0;
  for (const Record* r : recs)
    s +=
        std::fabs(rel_err(double(model::estimate(r->layer, r->accel, r->mapping, tech, cal).cycles),
                          double(r->cycles)));
  return s;
}

double energy_error(const std::vector<const Record*>& recs, const model::Calibration& cal,
                    const model::Tech& tech) {
  double s = 0;
  for (const Record* r : recs)
    s += std::fabs(
        rel_err(model::estimate(r->layer, r->accel, r->mapping, tech, cal).energy_j, r->energy_j));
  return s;
}

} // namespace

Metrics evaluate(const std::vector<Record>& recs, const model::Calibration& cal,
                 const model::Tech& tech, const std::function<bool(const Record&)>& keep) {
  Metrics m;
  std::vector<double> ce, ee;
  std::map<int, std::array<std::vector<double>, 4>> by_group; // est c, sim c, est e, sim e
  for (const auto& r : recs) {
    if (!keep(r)) continue;
    model::Cost c = model::estimate(r.layer, r.accel, r.mapping, tech, cal);
    double a = std::fabs(rel_err(double(c.cycles), double(r.cycles))) * 100;
    double b = std::fabs(rel_err(c.energy_j, r.energy_j)) * 100;
    ce.push_back(a);
    ee.push_back(b);
    m.cycles_max = std::max(m.cycles_max, a);
    m.energy_max = std::max(m.energy_max, b);
    auto& g = by_group[r.group];
    g[0].push_back(double(c.cycles));
    g[1].push_back(double(r.cycles));
    g[2].push_back(c.energy_j);
    g[3].push_back(r.energy_j);
  }
  m.points = int(ce.size());
  m.groups = int(by_group.size());
  m.cycles_mape = mean_of(ce);
  m.energy_mape = mean_of(ee);
  std::vector<double> tc, te;
  for (const auto& [id, g] : by_group) {
    double a = kendall_tau_b(g[0], g[1]), b = kendall_tau_b(g[2], g[3]);
    if (std::isfinite(a)) tc.push_back(a);
    if (std::isfinite(b)) te.push_back(b);
  }
  m.tau_groups = int(tc.size());
  m.tau_cycles_mean = mean_of(tc);
  m.tau_energy_mean = mean_of(te);
  m.tau_cycles_min = tc.empty() ? 0 : *std::min_element(tc.begin(), tc.end());
  m.tau_energy_min = te.empty() ? 0 : *std::min_element(te.begin(), te.end());
  return m;
}

model::Calibration fit(const std::vector<Record>& train, const model::Calibration& start,
                       const model::Tech& tech) {
  model::Calibration cal = start;
  cal.source = "fitted";
  std::array<std::vector<const Record*>, 3> by_df;
  std::vector<const Record*> all;
  for (const auto& r : train) {
    by_df[static_cast<int>(r.accel.dataflow)].push_back(&r);
    all.push_back(&r);
  }
  if (all.empty()) return cal;

  // A coefficient moves away from its start value only if that buys at least kShrink of
  // mean relative error per unit of change: small samples (a few groups) otherwise fit
  // noise, e.g. a fill/drain scale of 0 on a tiny training set.
  constexpr double kShrink = 0.002;
  // Cycles: the fill/drain scale of a dataflow only moves that dataflow's points; the DRAM
  // efficiency moves all of them. A few rounds of coordinate descent converge.
  for (int round = 0; round < 3; ++round) {
    for (int df = 0; df < 3; ++df) {
      if (by_df[df].empty()) continue;
      cal.fill_drain[df] = minimize_1d(
          [&](double x) {
            model::Calibration c = cal;
            c.fill_drain[df] = x;
            return cycle_error(by_df[df], c, tech) +
                   kShrink * double(by_df[df].size()) * std::fabs(x - start.fill_drain[df]);
          },
          0.0, 4.0);
    }
    cal.dram_efficiency = minimize_1d(
        [&](double x) {
          model::Calibration c = cal;
          c.dram_efficiency = x;
          return cycle_error(all, c, tech) +
                 kShrink * double(all.size()) * std::fabs(x - start.dram_efficiency);
        },
        0.25, 1.0);
  }

  // Energy = s_pe * E_pe + s_sram * E_sram + s_dram * E_dram + leak (leak follows the
  // cycles). The simulator reports the same breakdown, so each scale is fitted on its own
  // component (pe and SRAM energy are nearly collinear in the totals): a 1-D least squares
  // of the simulated component on the estimated one, residuals relative to the simulated
  // total, iteratively reweighted (IRLS) toward least absolute deviations, i.e. the MAPE.
  model::Calibration unit = cal;
  unit.pe_energy_scale = unit.sram_energy_scale = unit.dram_energy_scale = 1.0;
  std::array<std::vector<double>, 3> est, sim;
  std::vector<double> total;
  for (const Record* r : all) {
    model::Cost c = model::estimate(r->layer, r->accel, r->mapping, tech, unit);
    est[0].push_back(c.energy.pe);
    est[1].push_back(c.energy.abuf + c.energy.wbuf + c.energy.obuf);
    est[2].push_back(c.energy.dram);
    sim[0].push_back(r->energy.pe);
    sim[1].push_back(r->energy.abuf + r->energy.wbuf + r->energy.obuf);
    sim[2].push_back(r->energy.dram);
    total.push_back(r->energy_j);
  }
  double* scale[3] = {&cal.pe_energy_scale, &cal.sram_energy_scale, &cal.dram_energy_scale};
  for (int j = 0; j < 3; ++j) {
    std::vector<std::vector<double>> a;
    std::vector<double> w0, w;
    for (std::size_t i = 0; i < all.size(); ++i) {
      a.push_back({est[j][i]});
      w0.push_back(1.0 / (total[i] * total[i]));
    }
    w = w0;
    std::vector<double> x = {*scale[j]};
    bool ok = false;
    for (int it = 0; it < 30; ++it) {
      if (!least_squares(a, sim[j], w, x)) break;
      ok = true;
      for (std::size_t i = 0; i < a.size(); ++i)
        w[i] = w0[i] / std::max(std::fabs(a[i][0] * x[0] - sim[j][i]) / total[i], 1e-6);
    }
    if (ok) *scale[j] = std::min(100.0, std::max(1e-3, x[0]));
  }

  // Keep a block of fitted coefficients only if it lowers the training error.
  model::Calibration keep_cycles = start;
  keep_cycles.fill_drain = cal.fill_drain;
  keep_cycles.dram_efficiency = cal.dram_efficiency;
  // ... and only if it keeps the ranking of mappings (what the search relies on).
  auto any = [](const Record&) { return true; };
  const double tau_start = evaluate(train, start, tech, any).tau_cycles_mean;
  const double tau_fit = evaluate(train, keep_cycles, tech, any).tau_cycles_mean;
  if (cycle_error(all, keep_cycles, tech) >= cycle_error(all, start, tech) ||
      tau_fit < tau_start - 1e-3) {
    cal.fill_drain = start.fill_drain;
    cal.dram_efficiency = start.dram_efficiency;
  }
  model::Calibration keep_energy = cal;
  keep_energy.pe_energy_scale = start.pe_energy_scale;
  keep_energy.sram_energy_scale = start.sram_energy_scale;
  keep_energy.dram_energy_scale = start.dram_energy_scale;
  if (energy_error(all, cal, tech) >= energy_error(all, keep_energy, tech)) cal = keep_energy;
  cal.source = "fitted";
  return cal;
}

} // namespace brickyard::calibration
