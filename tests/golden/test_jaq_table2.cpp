// Golden case: JAQ Table 2 (seeds/jaq-paper.txt, "Compiler Mapping Search: BatchTile").
// Operator: k=5, s=1, 7x7 output, IC=OC=552, 8-bit activations and weights.
// Accelerator: 16x16 fusion units, 384 KB activation/weight/output buffers; the paper's
// estimator follows BitFusion's simulator, whose defaults we share: 500 MHz, 128-bit
// DRAM interface, weight stationary (rows reduce input channels, columns hold outputs).
//
//                 ow/oh  ic   oc    paper lat  paper energy
//   best tiling     1    16   16     3.2 ms      2.6 mJ
//   Case 0          4     2  512    56.6 ms      8.3 mJ
//   Case 1          2    32  128     4.7 ms      5.1 mJ
//
// The paper gives no loop order; each forced tiling is scored at its best order.
//
// Differences from the paper, and why:
// 1. Edge tiles. BitFusion (and so JAQ) charges a tile cut short by the layer edge as a
//    full tile: Case 0 computes 2 x 512 = 1024 output channels for 552 and 8x8 pixels
//    for 7x7. brickyard runs edge tiles at their real size by default; with
//    `partial_tiles: padded` it follows BitFusion and lands within 1% of the paper's
//    Case 0 and Case 1 latencies (checked below). With exact edge tiles Case 1 is only
//    slower than the best because of weight reloads (item 2), not padding.
// 2. Array timing. BitFusion's cycle model has no systolic fill/drain and switches
//    weights for free. Our WS array (rtl/README.md, the RTL it is tested against) pays
//    R + C cycles of fill/drain per tile and cannot switch its weight bank faster than
//    once per max(P, R, (P+C-1)/2) cycles for a pass of P pixels. So the paper's best
//    tiling (one output pixel per tile) costs us 16x its compute, and our mapper instead
//    picks whole 7x7 planes per tile; its cost is what we compare with the paper's best.
//    Case 1 streams 2x2 = 4 pixels per pass through a 16-row array, so each pass waits
//    16 cycles for its weights: our Case 1 is the paper's 4.7 ms x 16/4 (checked below).
// 3. Energy. JAQ's energy tables are not published; ours are BitFusion's 45 nm
//    synthesis and CACTI figures plus 20.3 pJ/bit DRAM (data/tech/45nm.json). The best
//    and Case 1 energies land within 25%; Case 0 costs us more than the paper (partial
//    sums of 276 input-channel tiles spill to DRAM under every order; the paper's
//    estimator keeps several tiles on chip when they fit, BitFusion's "promotion").
//    The ranking best < Case 1 < Case 0 holds for energy as in the paper.
#include <catch2/catch.hpp>

#include <algorithm>

#include "model/estimator.hpp"
#include "model/json_io.hpp"
#include "model/mapper.hpp"
#include "model/spec.hpp"

using namespace brickyard::model;

namespace {

struct Scored {
  Cost by_latency, by_energy;
};

// Best cost of a fixed tiling over all 120 loop orders.
Scored best_over_orders(const Layer& l, const Accelerator& a, const Tech& t, int owh, int ic,
                        int oc) {
  Mapping m;
  m[Dim::N] = 1;
  m[Dim::OW] = owh;
  m[Dim::OH] = owh;
  m[Dim::IC] = ic;
  m[Dim::OC] = oc;
  std::array<Dim, kNumDims> order = kAllDims;
  Scored s;
  s.by_latency.cycles = INT64_MAX;
  s.by_energy.energy_j = 1e300;
  do {
    m.order = order;
    Cost c = estimate(l, a, m, t);
    REQUIRE(c.feasible);
    if (c.cycles < s.by_latency.cycles) s.by_latency = c;
    if (c.energy_j < s.by_energy.energy_j) s.by_energy = c;
  } while (std::next_permutation(order.begin(), order.end()));
  return s;
}

const Layer kLayer = parse_layer_spec("k=5,s=1,oh=7,ow=7,ic=552,oc=552,ab=8,wb=8");

} // namespace

TEST_CASE("JAQ Table 2: best mapping lands near 3.2 ms / 2.6 mJ", "[golden]") {
  Tech tech = load_tech("45nm");
  for (const char* partial : {"exact", "padded"}) {
    INFO("partial tiles: " << partial);
    Accelerator a = parse_accel_spec(
        std::string("pe=16x16,abuf=384K,wbuf=384K,obuf=384K,dataflow=ws,partial=") + partial);
    MapResult best = map_layer(kLayer, a, tech);
    REQUIRE(best.feasible);
    CHECK(best.evaluated == 1 * 4 * 4 * 11 * 11 * 120);
    INFO("best " << to_string(best.mapping) << ": " << best.cost.latency_s * 1e3 << " ms, "
                 << best.cost.energy_j * 1e3 << " mJ");
    CHECK_THAT(best.cost.latency_s, Catch::Matchers::WithinRel(3.2e-3, 0.10));
    CHECK_THAT(best.cost.energy_j, Catch::Matchers::WithinRel(2.6e-3, 0.15));
    // Compute-bound: stalls are only the first load and the last write-back.
    CHECK(best.cost.stall_cycles < best.cost.compute_cycles / 100);
  }
}

TEST_CASE("JAQ Table 2: Case 0 and Case 1 are far worse than the best, in the paper's order",
          "[golden]") {
  Tech tech = load_tech("45nm");
  Accelerator exact = parse_accel_spec("pe=16x16,abuf=384K,wbuf=384K,obuf=384K,dataflow=ws");
  Accelerator padded = exact;
  padded.padded_partial_tiles = true;

  for (const Accelerator* a : {&exact, &padded}) {
    INFO("partial tiles: " << (a->padded_partial_tiles ? "padded" : "exact"));
    MapResult best = map_layer(kLayer, *a, tech);
    MapResult best_e = map_layer(kLayer, *a, tech, {}, MapperOptions{Objective::Energy});
    Scored c0 = best_over_orders(kLayer, *a, tech, 4, 2, 512);
    Scored c1 = best_over_orders(kLayer, *a, tech, 2, 32, 128);
    INFO("latency ms best/c1/c0: " << best.cost.latency_s * 1e3 << " / "
                                   << c1.by_latency.latency_s * 1e3 << " / "
                                   << c0.by_latency.latency_s * 1e3);
    INFO("energy mJ best/c1/c0: " << best_e.cost.energy_j * 1e3 << " / "
                                  << c1.by_energy.energy_j * 1e3 << " / "
                                  << c0.by_energy.energy_j * 1e3);
    // Paper order: best < Case 1 < Case 0, for latency and for energy.
    CHECK(best.cost.cycles < c1.by_latency.cycles);
    CHECK(c1.by_latency.cycles < c0.by_latency.cycles);
    CHECK(best_e.cost.energy_j < c1.by_energy.energy_j);
    CHECK(c1.by_energy.energy_j < c0.by_energy.energy_j);
    // Case 0 uses 2 of 16 array rows: at least 5x slower than the best (paper: 17.7x).
    CHECK(c0.by_latency.cycles > 5 * best.cost.cycles);
    // Case 1 costs clearly more energy than the best (paper: 1.96x).
    CHECK(c1.by_energy.energy_j > 1.25 * best_e.cost.energy_j);
  }

  // Under BitFusion's padded edge tiles our cycle model reproduces the paper's Case 0
  // (56.6 ms; 16 pixels per pass keep the 16-row array busy) within 2%, and Case 1 is the
  // paper's 4.7 ms times the weight-reload factor 16/4 of item 2, within 3%.
  MapResult best = map_layer(kLayer, padded, tech);
  Scored c0 = best_over_orders(kLayer, padded, tech, 4, 2, 512);
  Scored c1 = best_over_orders(kLayer, padded, tech, 2, 32, 128);
  CHECK_THAT(c0.by_latency.latency_s, Catch::Matchers::WithinRel(56.6e-3, 0.02));
  CHECK_THAT(c1.by_latency.latency_s, Catch::Matchers::WithinRel(4.7e-3 * 16 / 4, 0.03));
  CHECK(c1.by_latency.cycles > 1.4 * best.cost.cycles);
}
