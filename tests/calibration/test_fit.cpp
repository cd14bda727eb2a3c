// Fitting and metrics: Kendall tau-b on known rankings, least squares on known data, and
// the coefficient fit recovering a known calibration from synthetic "simulations" made by
// the estimator itself with that calibration.
#include <catch2/catch.hpp>

#include <cmath>

#include "calibration/fit.hpp"
#include "calibration/sampler.hpp"
#include "model/estimator.hpp"
#include "model/json_io.hpp"

using namespace brickyard;
using Catch::Matchers::WithinAbs;
using Catch::Matchers::WithinRel;

TEST_CASE("kendall tau-b: known rankings", "[calibration]") {
  CHECK_THAT(calibration::kendall_tau_b({1, 2, 3, 4}, {10, 20, 30, 40}), WithinAbs(1.0, 1e-12));
  CHECK_THAT(calibration::kendall_tau_b({1, 2, 3, 4}, {4, 3, 2, 1}), WithinAbs(-1.0, 1e-12));
  // One swapped pair of six: (5 - 1) / 6.
  CHECK_THAT(calibration::kendall_tau_b({1, 2, 3, 4}, {1, 3, 2, 4}), WithinAbs(4.0 / 6, 1e-12));
  // A tie in x: 2 concordant of 3 pairs, tau-b = 2 / sqrt((3 - 1) * 3).
  CHECK_THAT(calibration::kendall_tau_b({1, 1, 2}, {1, 2, 3}),
             WithinAbs(2 / std::sqrt(6.0), 1e-12));
  CHECK(std::isnan(calibration::kendall_tau_b({5, 5, 5}, {1, 2, 3})));
}

TEST_CASE("least squares: recovers exact coefficients", "[calibration]") {
  std::vector<std::vector<double>> a;
  std::vector<double> b, w;
  for (int i = 0; i < 20; ++i) {
    double x = i, y = (i * 7) % 11, z = 1 + i % 3;
    a.push_back({x, y, z});
    b.push_back(2.5 * x - 0.75 * y + 4 * z);
    w.push_back(1.0 + i);
  }
  std::vector<double> x(3, 0.0);
  REQUIRE(calibration::least_squares(a, b, w, x));
  CHECK_THAT(x[0], WithinAbs(2.5, 1e-9));
  CHECK_THAT(x[1], WithinAbs(-0.75, 1e-9));
  CHECK_THAT(x[2], WithinAbs(4.0, 1e-9));
  std::vector<std::vector<double>> singular = {{1, 2}, {2, 4}};
  std::vector<double> y = {7, 7};
  CHECK_FALSE(calibration::least_squares(singular, {1, 2}, {1, 1}, y));
  CHECK(y == std::vector<double>{7, 7});
}

TEST_CASE("fit: recovers a known calibration from synthetic points", "[calibration]") {
  const model::Tech tech = model::load_tech("45nm");
  calibration::SamplerOptions o;
  o.points = 480;
  auto groups = calibration::sample(o, tech);
  model::Calibration truth;
  truth.fill_drain = {1.6, 0.7, 1.3};
  truth.dram_efficiency = 0.8;
  truth.pe_energy_scale = 1.3;
  truth.sram_energy_scale = 0.85;
  truth.dram_energy_scale = 1.1;
  std::vector<calibration::Record> recs;
  for (const auto& g : groups)
    for (auto r : calibration::records_of(g, "native")) {
      model::Cost c = model::estimate(r.layer, r.accel, r.mapping, tech, truth);
      r.cycles = c.cycles;
      r.compute_cycles = c.compute_cycles;
      r.stall_cycles = c.stall_cycles;
      r.energy_j = c.energy_j;
      r.energy = c.energy;
      recs.push_back(r);
    }
  std::vector<calibration::Record> train;
  for (const auto& r : recs)
    if (!r.test) train.push_back(r);
  model::Calibration fitted = calibration::fit(train, model::Calibration{}, tech);
  CHECK_THAT(fitted.fill_drain[0], WithinRel(1.6, 0.05));
  CHECK_THAT(fitted.fill_drain[1], WithinRel(0.7, 0.05));
  CHECK_THAT(fitted.fill_drain[2], WithinRel(1.3, 0.05));
  CHECK_THAT(fitted.dram_efficiency, WithinRel(0.8, 0.02));
  CHECK_THAT(fitted.pe_energy_scale, WithinRel(1.3, 0.03));
  CHECK_THAT(fitted.sram_energy_scale, WithinRel(0.85, 0.03));
  CHECK_THAT(fitted.dram_energy_scale, WithinRel(1.1, 0.03));

  auto test = [](const calibration::Record& r) { return r.test; };
  auto before = calibration::evaluate(recs, model::Calibration{}, tech, test);
  auto after = calibration::evaluate(recs, fitted, tech, test);
  CHECK(after.cycles_mape < 0.5);
  CHECK(after.energy_mape < 1.0);
  CHECK(after.cycles_mape < before.cycles_mape);
  CHECK(after.energy_mape < before.energy_mape);
  CHECK(after.tau_cycles_mean > 0.99);
}
