// The calibration sampler: deterministic, covers the space the issue asks for, and every
// point it emits is a valid, feasible, bounded design point.
#include <catch2/catch.hpp>

#include <set>

#include "calibration/record.hpp"
#include "calibration/sampler.hpp"
#include "model/estimator.hpp"
#include "model/json_io.hpp"

using namespace brickyard;
using calibration::SamplerOptions;

namespace {
std::vector<std::string> keys(const std::vector<calibration::Group>& gs) {
  std::vector<std::string> k;
  for (const auto& g : gs)
    for (const auto& r : calibration::records_of(g, "native")) k.push_back(calibration::csv_key(r));
  return k;
}
} // namespace

TEST_CASE("sampler: same options give the same points, another seed others", "[calibration]") {
  const model::Tech tech = model::load_tech("45nm");
  SamplerOptions o;
  o.points = 96;
  auto a = calibration::sample(o, tech);
  auto b = calibration::sample(o, tech);
  CHECK(keys(a) == keys(b));
  o.seed = 2;
  auto c = calibration::sample(o, tech);
  CHECK(keys(a) != keys(c));
  CHECK(int(keys(a).size()) == 96);
}

TEST_CASE("sampler: coverage and constraints", "[calibration]") {
  const model::Tech tech = model::load_tech("45nm");
  SamplerOptions o;
  o.points = 480; // 60 groups of 8
  const auto groups = calibration::sample(o, tech);
  REQUIRE(int(groups.size()) == calibration::group_count(o));
  std::set<model::Dataflow> dataflows;
  std::set<std::pair<int, int>> bits;
  std::set<model::LayerType> types;
  std::set<int> kernels, strides, drams;
  std::set<std::pair<int, std::string>> df_bits_test; // held-out coverage
  int test_groups = 0;
  for (const auto& g : groups) {
    INFO("group " << g.id);
    const auto& l = g.layer;
    const auto& a = g.accel;
    REQUIRE_NOTHROW(model::validate(l));
    REQUIRE_NOTHROW(model::validate(a));
    dataflows.insert(a.dataflow);
    bits.insert({l.a_bits, l.w_bits});
    types.insert(l.type);
    kernels.insert(l.k);
    strides.insert(l.stride);
    drams.insert(a.dram_bits_per_cycle);
    if (g.test) {
      ++test_groups;
      df_bits_test.insert({int(a.dataflow), std::to_string(l.a_bits) + std::to_string(l.w_bits)});
    }
    CHECK(a.pe_rows >= 3);
    CHECK(a.pe_rows <= 64);
    CHECK(a.pe_cols >= 3);
    CHECK(a.pe_cols <= 64);
    for (auto buf : {a.abuf_bytes, a.wbuf_bytes, a.obuf_bytes}) {
      CHECK(buf >= 16 * 1024);
      CHECK(buf <= 528 * 1024);
    }
    CHECK(l.ic <= 512);
    CHECK(l.oc <= 512);
    CHECK(l.ic >= 8);
    REQUIRE(int(g.mappings.size()) == o.mappings_per_group);
    std::set<std::string> distinct;
    for (const auto& m : g.mappings) {
      distinct.insert(model::to_string(m));
      model::Cost c = model::estimate(l, a, m, tech);
      CHECK(c.feasible);
    }
    CHECK(distinct.size() == g.mappings.size());
    // The first mapping is the mapper's best and respects the cycle bound.
    CHECK(model::estimate(l, a, g.mappings[0], tech).cycles <= o.max_cycles);
  }
  CHECK(dataflows.size() == 3);
  CHECK(bits.size() == 9);
  CHECK(types.size() == 4);
  CHECK(kernels == std::set<int>{1, 3, 5, 7});
  CHECK(strides == std::set<int>{1, 2});
  CHECK(drams.size() == 4);
  CHECK(test_groups == 24); // g % 5 in {1, 3}
  CHECK(df_bits_test.size() >= 12);
}

TEST_CASE("sampler: Latin hypercube uses every stratum of every dimension once", "[calibration]") {
  calibration::Rng rng(7);
  const int n = 50, dims = 6;
  auto u = calibration::latin_hypercube(n, dims, rng);
  for (int d = 0; d < dims; ++d) {
    std::set<int> strata;
    for (int i = 0; i < n; ++i) {
      double x = u[std::size_t(i)][std::size_t(d)];
      REQUIRE(x >= 0);
      REQUIRE(x < 1);
      strata.insert(int(x * n));
    }
    CHECK(int(strata.size()) == n);
  }
}

TEST_CASE("records: a CSV row round-trips exactly", "[calibration]") {
  const model::Tech tech = model::load_tech("45nm");
  SamplerOptions o;
  o.points = 16;
  auto groups = calibration::sample(o, tech);
  auto recs = calibration::records_of(groups[0], "native");
  auto& r = recs[0];
  r.cycles = 12345;
  r.compute_cycles = 12000;
  r.stall_cycles = 345;
  r.tiles = 7;
  r.energy_j = 1.234567891e-6;
  r.energy.pe = 1e-7;
  r.energy.leak = 3.3e-9;
  std::string row = calibration::to_csv_row(r);
  auto back = calibration::parse_csv_row(row, "csv", 2);
  CHECK(calibration::to_csv_row(back) == row);
  CHECK(back.cycles == 12345);
  CHECK(calibration::csv_key(back) == calibration::csv_key(r));
}
