// Property tests of the analytic estimator and the BatchTile mapper.
//
// Every check prints (via INFO) an inline layer spec and accelerator spec that
// `parse_layer_spec` / `parse_accel_spec` (and so the CLI) accept, plus the mapping, so a
// failure is reproducible outside the test.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <functional>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "model/error.hpp"
#include "model/estimator.hpp"
#include "model/json_io.hpp"
#include "model/mapper.hpp"
#include "model/spec.hpp"

using namespace brickyard::model;

namespace {

const Tech& tech() {
  static const Tech t = load_tech("45nm");
  return t;
}
const Calibration& cal() {
  static const Calibration c = load_calibration("");
  return c;
}

// ---------------------------------------------------------------------------------------
// Reproducible descriptions.

std::string layer_spec(const Layer& l) {
  std::ostringstream s;
  s << "type=" << to_string(l.type) << ",n=" << l.n << ",ic=" << l.ic << ",oc=" << l.oc
    << ",ih=" << l.ih << ",iw=" << l.iw << ",k=" << l.k << ",s=" << l.stride << ",pad=" << l.pad
    << ",g=" << l.groups << ",ab=" << l.a_bits << ",wb=" << l.w_bits;
  return s.str();
}

std::string accel_spec(const Accelerator& a) {
  std::ostringstream s;
  s << "pe=" << a.pe_rows << "x" << a.pe_cols << ",abuf=" << a.abuf_bytes
    << ",wbuf=" << a.wbuf_bytes << ",obuf=" << a.obuf_bytes << ",dataflow=" << to_string(a.dataflow)
    << ",dram=" << a.dram_bits_per_cycle << ",dram_latency=" << a.dram_latency_cycles
    << ",partial=" << (a.padded_partial_tiles ? "padded" : "exact");
  return s.str();
}

// ---------------------------------------------------------------------------------------
// Layers and accelerators.

Layer make_layer(LayerType type, int n, int ic, int oc, int hw, int k, int stride, int pad,
                 int groups) {
  Layer l;
  l.type = type;
  l.n = n;
  l.ic = ic;
  l.oc = oc;
  l.ih = l.iw = hw;
  l.k = k;
  l.stride = stride;
  l.pad = pad;
  l.groups = groups;
  validate(l);
  return l;
}
Layer conv(int ic, int oc, int hw, int k, int s, int pad, int n = 1) {
  return make_layer(LayerType::Conv, n, ic, oc, hw, k, s, pad, 1);
}
Layer depthwise(int c, int hw, int k, int s, int pad, int n = 1) {
  return make_layer(LayerType::Depthwise, n, c, c, hw, k, s, pad, c);
}
Layer grouped(int g, int ic, int oc, int hw, int k, int s, int pad, int n = 1) {
  return make_layer(LayerType::Grouped, n, ic, oc, hw, k, s, pad, g);
}
Layer fc(int ic, int oc, int n = 1) {
  return make_layer(LayerType::FullyConnected, n, ic, oc, 1, 1, 1, 0, 1);
}

Layer with_bits(Layer l, int a, int w) {
  l.a_bits = a;
  l.w_bits = w;
  return l;
}

// The shape grid of the property tests: k = 1/3/5/7, stride 1/2, with and without
// padding, depthwise, grouped g=2/4, FC, batch 1..4, channels 3..512, spatial 1..56.
const std::vector<Layer>& shapes() {
  static const std::vector<Layer> v = {
      conv(64, 128, 14, 1, 1, 0),         // pointwise
      conv(3, 32, 56, 3, 1, 1),           // 3x3 stem
      conv(128, 256, 28, 3, 2, 1),        // 3x3 stride 2
      conv(32, 64, 14, 5, 1, 2),          // 5x5
      conv(3, 64, 56, 7, 2, 3),           // 7x7 stride-2 stem
      conv(512, 512, 7, 3, 1, 0),         // 3x3 without padding, wide
      conv(256, 256, 1, 3, 1, 1),         // 1x1 spatial with padding
      conv(256, 512, 28, 1, 2, 0),        // stride > kernel: skipped input pixels
      conv(16, 24, 12, 3, 1, 1, 2),       // batch 2
      depthwise(128, 28, 3, 1, 1),        // depthwise 3x3
      depthwise(64, 14, 5, 2, 2),         // depthwise 5x5 stride 2
      depthwise(32, 7, 7, 1, 3),          // depthwise 7x7
      grouped(2, 64, 128, 14, 3, 1, 1),   // grouped g=2
      grouped(4, 256, 512, 7, 1, 1, 0),   // grouped g=4 pointwise
      grouped(4, 32, 32, 28, 3, 2, 1, 2), // grouped g=4 stride 2 batch 2
      fc(512, 10),                        // classifier
      fc(3, 512, 4),                      // FC batch 4
  };
  return v;
}

struct AccelBase {
  int rows, cols;
  std::int64_t abuf, wbuf, obuf;
};

Accelerator make_accel(const AccelBase& b, Dataflow df, bool padded = false) {
  Accelerator a;
  a.pe_rows = b.rows;
  a.pe_cols = b.cols;
  a.abuf_bytes = b.abuf;
  a.wbuf_bytes = b.wbuf;
  a.obuf_bytes = b.obuf;
  a.dataflow = df;
  a.padded_partial_tiles = padded;
  validate(a);
  return a;
}

// Array shapes of the grid; the smaller arrays get smaller buffers so that buffer
// capacity actually constrains the mapper.
const std::vector<AccelBase>& arrays() {
  static const std::vector<AccelBase> v = {
      {16, 16, 384 * 1024, 384 * 1024, 384 * 1024},
      {8, 32, 64 * 1024, 32 * 1024, 16 * 1024},
      {3, 5, 8 * 1024, 4 * 1024, 2 * 1024},
  };
  return v;
}

// ---------------------------------------------------------------------------------------
// Mapper results, memoized: several properties look at the same best mappings.

const MapResult& best(const Layer& l, const Accelerator& a, Objective obj = Objective::Latency) {
  static std::map<std::string, MapResult> cache;
  std::string key = layer_spec(l) + "|" + accel_spec(a) + "|" + to_string(obj);
  auto it = cache.find(key);
  if (it == cache.end()) {
    MapperOptions o;
    o.objective = obj;
    o.threads = 1;
    it = cache.emplace(key, map_layer(l, a, tech(), cal(), o)).first;
  }
  return it->second;
}

Mapping random_mapping(const Layer& l, std::mt19937& rng) {
  Mapping m;
  auto ext = extents(l);
  for (int d = 0; d < kNumDims; ++d) m.tile[d] = std::uniform_int_distribution<int>(1, ext[d])(rng);
  std::shuffle(m.order.begin(), m.order.end(), rng);
  return m;
}

// Up to `want` random feasible mappings (and the infeasible ones met on the way).
struct RandomDraw {
  std::vector<std::pair<Mapping, Cost>> feasible, infeasible;
};
RandomDraw random_costs(const Layer& l, const Accelerator& a, int want, int max_tries) {
  std::mt19937 rng(
      static_cast<std::uint32_t>(std::hash<std::string>{}(layer_spec(l) + "|" + accel_spec(a))));
  RandomDraw r;
  for (int i = 0; i < max_tries && int(r.feasible.size()) < want; ++i) {
    Mapping m = random_mapping(l, rng);
    Cost c = estimate(l, a, m, tech(), cal());
    (c.feasible ? r.feasible : r.infeasible).emplace_back(m, c);
  }
  return r;
}

std::int64_t ceil_div(std::int64_t a, std::int64_t b) {
  return (a + b - 1) / b;
}

// Properties 1, 4 and 8 for one feasible cost.
void check_cycle_bounds(const Layer& l, const Accelerator& a, const Cost& c) {
  const std::int64_t peak =
      std::int64_t(a.pe_rows) * a.pe_cols * macs_per_fusion_unit(l.a_bits, l.w_bits);
  REQUIRE(peak == peak_macs_per_cycle(l, a));
  CHECK(c.cycles >= ceil_div(l.macs(), peak));
  CHECK(c.compute_cycles >= ceil_div(l.macs(), peak));
  CHECK(c.cycles == c.compute_cycles + c.stall_cycles);
  CHECK(c.stall_cycles >= 0);
  CHECK(c.utilization > 0);
  CHECK(c.utilization <= 1);
}

void check_energy_breakdown(const Cost& c) {
  const auto& e = c.energy;
  CHECK(e.pe >= 0);
  CHECK(e.abuf >= 0);
  CHECK(e.wbuf >= 0);
  CHECK(e.obuf >= 0);
  CHECK(e.dram >= 0);
  CHECK(e.leak >= 0);
  CHECK(c.energy_j > 0);
  const double sum = e.pe + e.abuf + e.wbuf + e.obuf + e.dram + e.leak;
  INFO("sum of breakdown " << sum << " J, energy_j " << c.energy_j << " J");
  CHECK(std::abs(sum - c.energy_j) <= 1e-12 * std::abs(c.energy_j));
}

void check_traffic(const Layer& l, const Cost& c, const Tech& t) {
  const double wgt_bits = double(l.weight_count()) * l.w_bits;
  const double out_bits = double(l.n) * l.oh() * l.ow() * l.oc * t.psum_bits;
  INFO("dram_read " << c.traffic.dram_read << " bits >= weights " << wgt_bits << "; dram_write "
                    << c.traffic.dram_write << " bits >= outputs " << out_bits);
  CHECK(c.traffic.dram_read >= wgt_bits);
  CHECK(c.traffic.dram_write >= out_bits);
  for (double x : {c.traffic.abuf_read, c.traffic.abuf_write, c.traffic.wbuf_read,
                   c.traffic.wbuf_write, c.traffic.obuf_read, c.traffic.obuf_write})
    CHECK(x >= 0);
}

// Shared generator prologue of the grid tests: shape x bits x dataflow x array x
// partial-tile mode (exact / padded).
#define BRICKYARD_GRID_LAYER_AND_ACCEL()                                                           \
  const std::size_t shape_i = GENERATE(range(std::size_t(0), shapes().size()));                    \
  const int a_bits = GENERATE(2, 4, 8);                                                            \
  const int w_bits = GENERATE(2, 4, 8);                                                            \
  const Dataflow df = GENERATE(Dataflow::WS, Dataflow::OS, Dataflow::RS);                          \
  const std::size_t array_i = GENERATE(range(std::size_t(0), arrays().size()));                    \
  const bool padded = GENERATE(false, true);                                                       \
  const Layer layer = with_bits(shapes()[shape_i], a_bits, w_bits);                                \
  const Accelerator accel = make_accel(arrays()[array_i], df, padded);                             \
  INFO("layer " << layer_spec(layer));                                                             \
  INFO("accel " << accel_spec(accel))

} // namespace

// ---------------------------------------------------------------------------------------
// 1. Throughput bound, cycle decomposition, utilization (best and random mappings).

TEST_CASE("estimator property - cycles respect the peak-throughput bound for best and random "
          "mappings",
          "[estimator][property]") {
  BRICKYARD_GRID_LAYER_AND_ACCEL();
  const MapResult& r = best(layer, accel);
  REQUIRE(r.feasible);
  {
    INFO("best mapping " << to_string(r.mapping));
    check_cycle_bounds(layer, accel, r.cost);
  }
  RandomDraw draw = random_costs(layer, accel, 12, 48);
  for (const auto& [m, c] : draw.feasible) {
    INFO("random mapping " << to_string(m));
    check_cycle_bounds(layer, accel, c);
  }
  for (const auto& [m, c] : draw.infeasible) {
    INFO("random infeasible mapping " << to_string(m));
    CHECK(c.cycles == c.compute_cycles + c.stall_cycles);
    CHECK_FALSE(c.infeasible_reason.empty());
  }
}

// ---------------------------------------------------------------------------------------
// 4. Energy breakdown sums to the total.

TEST_CASE("estimator property - energy breakdown sums to the total and is non-negative",
          "[estimator][property]") {
  BRICKYARD_GRID_LAYER_AND_ACCEL();
  const MapResult& r = best(layer, accel);
  REQUIRE(r.feasible);
  {
    INFO("best mapping " << to_string(r.mapping));
    check_energy_breakdown(r.cost);
  }
  RandomDraw draw = random_costs(layer, accel, 12, 48);
  for (const auto* set : {&draw.feasible, &draw.infeasible})
    for (const auto& [m, c] : *set) {
      INFO("random mapping " << to_string(m) << (c.feasible ? "" : " (infeasible)"));
      check_energy_breakdown(c);
    }
}

// ---------------------------------------------------------------------------------------
// 8. DRAM traffic is at least the compulsory traffic.

TEST_CASE("estimator property - DRAM traffic covers weights once and every output once",
          "[estimator][property]") {
  BRICKYARD_GRID_LAYER_AND_ACCEL();
  const MapResult& r = best(layer, accel);
  REQUIRE(r.feasible);
  {
    INFO("best mapping " << to_string(r.mapping));
    check_traffic(layer, r.cost, tech());
  }
  RandomDraw draw = random_costs(layer, accel, 12, 48);
  for (const auto& [m, c] : draw.feasible) {
    INFO("random mapping " << to_string(m));
    check_traffic(layer, c, tech());
  }
}

// ---------------------------------------------------------------------------------------
// 2. Halving bits never slows a layer (best mapping, latency objective).

TEST_CASE("estimator property - halving activation or weight bits never slows the best mapping",
          "[estimator][property][mapper]") {
  const std::size_t shape_i = GENERATE(range(std::size_t(0), shapes().size()));
  const Dataflow df = GENERATE(Dataflow::WS, Dataflow::OS, Dataflow::RS);
  const std::size_t array_i = GENERATE(range(std::size_t(0), arrays().size()));
  const bool padded = GENERATE(false, true);
  const Accelerator accel = make_accel(arrays()[array_i], df, padded);
  INFO("accel " << accel_spec(accel));

  auto run = [&](int a, int w) -> const MapResult& {
    return best(with_bits(shapes()[shape_i], a, w), accel);
  };
  // (a, w) -> (half_a, half_w)
  const std::array<std::array<int, 4>, 12> steps = {{
      {8, 2, 4, 2},
      {8, 4, 4, 4},
      {8, 8, 4, 8}, // activations 8 -> 4
      {4, 2, 2, 2},
      {4, 4, 2, 4},
      {4, 8, 2, 8}, // activations 4 -> 2
      {2, 8, 2, 4},
      {4, 8, 4, 4},
      {8, 8, 8, 4}, // weights 8 -> 4
      {2, 4, 2, 2},
      {4, 4, 4, 2},
      {8, 4, 8, 2}, // weights 4 -> 2
  }};
  for (const auto& s : steps) {
    const Layer hi = with_bits(shapes()[shape_i], s[0], s[1]);
    const Layer lo = with_bits(shapes()[shape_i], s[2], s[3]);
    const MapResult& rh = run(s[0], s[1]);
    const MapResult& rl = run(s[2], s[3]);
    INFO("layer at (a,w)=(" << s[0] << "," << s[1] << ") " << layer_spec(hi) << " best "
                            << to_string(rh.mapping) << " cycles " << rh.cost.cycles);
    INFO("layer at (a,w)=(" << s[2] << "," << s[3] << ") " << layer_spec(lo) << " best "
                            << to_string(rl.mapping) << " cycles " << rl.cost.cycles);
    if (!rh.feasible) continue;
    CHECK(rl.feasible);
    CHECK(rl.cost.cycles <= rh.cost.cycles);
  }
}

// ---------------------------------------------------------------------------------------
// 3. A bigger buffer never makes the best mapping slower.
//
// Energy is deliberately NOT required to be monotone: larger SRAM banks cost more energy
// per bit. What holds by construction is mapper optimality: the best energy on the bigger
// accelerator is no worse than the smaller accelerator's best-energy mapping re-costed on
// the bigger one (that mapping is still feasible there).

TEST_CASE("estimator property - doubling a buffer never slows the best mapping",
          "[estimator][property][mapper]") {
  const std::size_t shape_i = GENERATE(range(std::size_t(0), shapes().size()));
  const Dataflow df = GENERATE(Dataflow::WS, Dataflow::OS, Dataflow::RS);
  const std::vector<AccelBase> bases = {
      arrays()[0], arrays()[1], arrays()[2], {16, 16, 2 * 1024, 2 * 1024, 1024}};
  const std::size_t base_i = GENERATE(range(std::size_t(0), std::size_t(4)));
  const auto bits = GENERATE(values<std::pair<int, int>>({{8, 8}, {2, 4}}));
  const bool padded = GENERATE(false, true);
  const Layer layer = with_bits(shapes()[shape_i], bits.first, bits.second);
  const Accelerator small = make_accel(bases[base_i], df, padded);
  INFO("layer " << layer_spec(layer));
  INFO("accel before " << accel_spec(small));

  const MapResult& before = best(layer, small);
  INFO("best before " << to_string(before.mapping) << " cycles " << before.cost.cycles);
  for (int which = 0; which < 4; ++which) {
    Accelerator big = small;
    if (which == 0 || which == 3) big.abuf_bytes *= 2;
    if (which == 1 || which == 3) big.wbuf_bytes *= 2;
    if (which == 2 || which == 3) big.obuf_bytes *= 2;
    const MapResult& after = best(layer, big);
    INFO("accel after " << accel_spec(big));
    INFO("best after " << to_string(after.mapping) << " cycles " << after.cost.cycles);
    if (before.feasible) {
      CHECK(after.feasible);
      CHECK(after.cost.cycles <= before.cost.cycles);
    }
    // Energy objective: only the by-construction optimality statement.
    if (which == 3 && before.feasible) {
      const MapResult& e_before = best(layer, small, Objective::Energy);
      const MapResult& e_after = best(layer, big, Objective::Energy);
      REQUIRE(e_before.feasible);
      REQUIRE(e_after.feasible);
      Cost recost = estimate(layer, big, e_before.mapping, tech(), cal());
      INFO("energy-best before " << to_string(e_before.mapping) << " re-costed on the bigger "
                                 << "accelerator: " << recost.energy_j << " J; energy-best after "
                                 << to_string(e_after.mapping) << ": " << e_after.cost.energy_j
                                 << " J");
      REQUIRE(recost.feasible);
      CHECK(e_after.cost.energy_j <= recost.energy_j * (1 + 1e-12));
    }
  }
}

// ---------------------------------------------------------------------------------------
// 5. Infeasible configurations are reported, not crashed on.

TEST_CASE("estimator property - tiny buffers make map_layer report an infeasible layer",
          "[estimator][property][mapper]") {
  const Dataflow df = GENERATE(Dataflow::WS, Dataflow::OS, Dataflow::RS);
  // A 7x7 kernel at 8 bits needs 49 bytes per input tile and per weight tile even with
  // every tile size 1; double buffering leaves 32 of a 64-byte buffer.
  const Layer big = conv(256, 256, 56, 7, 1, 3);
  struct Case {
    std::int64_t abuf, wbuf, obuf;
    const char* culprit;
  };
  const Case c = GENERATE(values<Case>({{64, 64, 64, "abuf"},
                                        {64, 384 * 1024, 384 * 1024, "abuf"},
                                        {384 * 1024, 64, 384 * 1024, "wbuf"}}));
  const bool padded = GENERATE(false, true);
  const Accelerator a = make_accel({16, 16, c.abuf, c.wbuf, c.obuf}, df, padded);
  INFO("layer " << layer_spec(big));
  INFO("accel " << accel_spec(a));
  MapResult r;
  REQUIRE_NOTHROW(r = map_layer(big, a, tech(), cal()));
  INFO("reason: " << r.cost.infeasible_reason);
  CHECK_FALSE(r.feasible);
  CHECK_FALSE(r.cost.feasible);
  CHECK(r.feasible_count == 0);
  REQUIRE_FALSE(r.cost.infeasible_reason.empty());
  CHECK(r.cost.infeasible_reason.rfind(c.culprit, 0) == 0);

  // The same buffers do fit a 3x3 kernel with unit tiles (9 bytes per tile).
  const Layer small_k = conv(256, 256, 56, 3, 1, 1);
  MapResult ok;
  REQUIRE_NOTHROW(ok = map_layer(small_k, a, tech(), cal()));
  CHECK(ok.feasible);
}

TEST_CASE("estimator property - estimate reports oversized tiles and rejects tiles beyond the "
          "extent",
          "[estimator][property]") {
  const Dataflow df = GENERATE(Dataflow::WS, Dataflow::OS, Dataflow::RS);
  const Layer l = conv(512, 512, 56, 3, 1, 1);
  const auto ext = extents(l);
  Mapping full;
  full.tile = ext;
  INFO("layer " << layer_spec(l) << " mapping " << to_string(full));

  constexpr std::int64_t kHuge = std::int64_t(1) << 30;
  struct Case {
    std::int64_t abuf, wbuf, obuf;
    const char* culprit;
  };
  const Case c = GENERATE(values<Case>({{384 * 1024, 384 * 1024, 384 * 1024, "abuf"},
                                        {kHuge, 1024, kHuge, "wbuf"},
                                        {kHuge, kHuge, 1024, "obuf"}}));
  const bool padded = GENERATE(false, true);
  const Accelerator a = make_accel({16, 16, c.abuf, c.wbuf, c.obuf}, df, padded);
  INFO("accel " << accel_spec(a));
  Cost cost;
  REQUIRE_NOTHROW(cost = estimate(l, a, full, tech(), cal()));
  INFO("reason: " << cost.infeasible_reason);
  CHECK_FALSE(cost.feasible);
  CHECK(cost.infeasible_reason.rfind(c.culprit, 0) == 0);

  // Tiles outside 1..extent and malformed orders are input errors.
  for (int d = 0; d < kNumDims; ++d) {
    Mapping m;
    m.tile[d] = ext[d] + 1;
    INFO("tile beyond the extent in dim " << to_string(kAllDims[d]));
    CHECK_THROWS_AS(estimate(l, a, m, tech(), cal()), SpecError);
    m.tile[d] = 0;
    CHECK_THROWS_AS(estimate(l, a, m, tech(), cal()), SpecError);
  }
  Mapping dup;
  dup.order = {Dim::N, Dim::N, Dim::OH, Dim::IC, Dim::OC};
  CHECK_THROWS_AS(estimate(l, a, dup, tech(), cal()), SpecError);
}

// ---------------------------------------------------------------------------------------
// 6. The mapper's best equals the scalar estimator, and no candidate beats it.

namespace {

std::vector<int> candidate_tiles(int extent) {
  std::vector<int> v;
  for (int t = 1; t < extent; t *= 2) v.push_back(t);
  v.push_back(extent);
  return v;
}

std::vector<std::array<Dim, kNumDims>> every_order() {
  std::array<Dim, kNumDims> o = kAllDims;
  std::vector<std::array<Dim, kNumDims>> v;
  do v.push_back(o);
  while (std::next_permutation(o.begin(), o.end()));
  return v;
}

const std::vector<Layer>& small_shapes() {
  static const std::vector<Layer> v = {
      conv(8, 16, 8, 3, 1, 1),         // conv 3x3
      conv(3, 6, 9, 5, 2, 2),          // conv 5x5 stride 2, remainder tiles
      depthwise(8, 8, 3, 2, 1),        // depthwise
      grouped(2, 8, 8, 6, 1, 1, 0, 2), // grouped, batch 2
      fc(24, 10, 3),                   // FC, batch 3
  };
  return v;
}

} // namespace

TEST_CASE("estimator property - mapper best agrees with an exhaustive scalar estimate search",
          "[estimator][property][mapper]") {
  const std::size_t shape_i = GENERATE(range(std::size_t(0), small_shapes().size()));
  const Dataflow df = GENERATE(Dataflow::WS, Dataflow::OS, Dataflow::RS);
  const AccelBase base = GENERATE(values<AccelBase>({{16, 16, 384 * 1024, 384 * 1024, 384 * 1024},
                                                     {3, 5, 256, 512, 256},
                                                     {8, 32, 1024, 128, 2048}}));
  const auto bits = GENERATE(values<std::pair<int, int>>({{8, 8}, {2, 4}}));
  const bool padded = GENERATE(false, true);
  const Layer layer = with_bits(small_shapes()[shape_i], bits.first, bits.second);
  const Accelerator accel = make_accel(base, df, padded);
  INFO("layer " << layer_spec(layer));
  INFO("accel " << accel_spec(accel));

  const std::array<Objective, 4> objectives = {Objective::Latency, Objective::Energy,
                                               Objective::Edp, Objective::Cost};
  std::array<MapResult, 4> mapped;
  for (std::size_t i = 0; i < objectives.size(); ++i) {
    MapperOptions o;
    o.objective = objectives[i];
    mapped[i] = map_layer(layer, accel, tech(), cal(), o);
  }

  // Exhaustive scalar search over the mapper's candidate set.
  const auto ext = extents(layer);
  std::array<std::vector<int>, kNumDims> tiles;
  std::int64_t n_tilings = 1;
  for (int d = 0; d < kNumDims; ++d) {
    tiles[d] = candidate_tiles(ext[d]);
    n_tilings *= std::int64_t(tiles[d].size());
  }
  const auto orders = every_order();
  REQUIRE(orders.size() == 120);

  std::int64_t evaluated = 0, feasible = 0;
  std::array<double, 4> best_val;
  best_val.fill(INFINITY);
  std::array<Mapping, 4> best_map;
  Mapping m;
  for (int t0 : tiles[0])
    for (int t1 : tiles[1])
      for (int t2 : tiles[2])
        for (int t3 : tiles[3])
          for (int t4 : tiles[4]) {
            m.tile = {t0, t1, t2, t3, t4};
            for (const auto& ord : orders) {
              m.order = ord;
              const Cost c = estimate(layer, accel, m, tech(), cal());
              ++evaluated;
              if (!c.feasible) continue;
              ++feasible;
              for (std::size_t i = 0; i < objectives.size(); ++i) {
                MapperOptions o;
                o.objective = objectives[i];
                const double v = objective_value(c, layer, accel, o);
                if (v < best_val[i]) {
                  best_val[i] = v;
                  best_map[i] = m;
                }
              }
            }
          }
  CHECK(evaluated == n_tilings * 120);

  for (std::size_t i = 0; i < objectives.size(); ++i) {
    const MapResult& r = mapped[i];
    MapperOptions o;
    o.objective = objectives[i];
    INFO("objective " << to_string(objectives[i]));
    CHECK(r.evaluated == evaluated);
    CHECK(r.feasible_count == feasible);
    REQUIRE(r.feasible == (feasible > 0));
    if (!r.feasible) continue;

    // The reported cost is exactly what the scalar estimator says for the mapping.
    const Cost again = estimate(layer, accel, r.mapping, tech(), cal());
    INFO("mapper best " << to_string(r.mapping) << " cycles " << r.cost.cycles << " energy "
                        << r.cost.energy_j);
    CHECK(again.feasible);
    CHECK(again.cycles == r.cost.cycles);
    CHECK(again.compute_cycles == r.cost.compute_cycles);
    CHECK(again.stall_cycles == r.cost.stall_cycles);
    CHECK(again.energy_j == r.cost.energy_j);

    // No candidate is strictly better. Latency is an integer cycle count and is compared
    // exactly; energy-based objectives are summed in a different order by the batch path
    // than by estimate(), so a relative 1e-12 allows for rounding only.
    const double mine = objective_value(again, layer, accel, o);
    INFO("exhaustive best " << to_string(best_map[i]) << " objective " << best_val[i]
                            << " vs mapper " << mine);
    if (objectives[i] == Objective::Latency)
      CHECK(mine <= best_val[i]);
    else
      CHECK(mine <= best_val[i] * (1 + 1e-12));
  }
}

// ---------------------------------------------------------------------------------------
// 7. map_network is deterministic across thread counts.

TEST_CASE("estimator property - map_network with 2 threads equals 1 thread on fmnist_small",
          "[estimator][property][mapper]") {
  const Network net = load_network(data_dir() + "/nets/fmnist_small.json");
  const Dataflow df = GENERATE(Dataflow::WS, Dataflow::OS, Dataflow::RS);
  const Objective obj =
      GENERATE(Objective::Latency, Objective::Energy, Objective::Edp, Objective::Cost);
  const std::size_t array_i = GENERATE(range(std::size_t(0), arrays().size()));
  const bool padded = GENERATE(false, true);
  const Accelerator accel = make_accel(arrays()[array_i], df, padded);
  INFO("accel " << accel_spec(accel) << " objective " << to_string(obj));

  MapperOptions o1, o2;
  o1.objective = o2.objective = obj;
  o1.threads = 1;
  o2.threads = 2;
  const auto r1 = map_network(net, accel, tech(), cal(), o1);
  const auto r2 = map_network(net, accel, tech(), cal(), o2);
  REQUIRE(r1.size() == net.layers.size());
  REQUIRE(r2.size() == net.layers.size());
  for (std::size_t i = 0; i < r1.size(); ++i) {
    INFO("layer " << i << " " << net.layers[i].name << ": " << layer_spec(net.layers[i]));
    CHECK(r1[i].feasible == r2[i].feasible);
    CHECK(to_string(r1[i].mapping) == to_string(r2[i].mapping));
    CHECK(r1[i].evaluated == r2[i].evaluated);
    CHECK(r1[i].feasible_count == r2[i].feasible_count);
    // Bitwise identical costs: compare the JSON of the whole cost.
    CHECK(to_json(r1[i].cost).dump() == to_json(r2[i].cost).dump());
    CHECK(r1[i].cost.energy_j == r2[i].cost.energy_j);
    CHECK(r1[i].cost.cycles == r2[i].cost.cycles);
    // And each equals mapping the layer alone.
    const MapResult alone = map_layer(net.layers[i], accel, tech(), cal(), o1);
    CHECK(to_string(alone.mapping) == to_string(r1[i].mapping));
    CHECK(to_json(alone.cost).dump() == to_json(r1[i].cost).dump());
  }
}
