// quantize()'s steps alone (search/quantize/steps.hpp), on fabricated step results: option
// checks, budgets in seconds/joules with the infeasible message, report, summary and CSVs.
#include <string>

#include "model/error.hpp"
#include "search/quantize/steps.hpp"

// After the torch headers: glog (via c10) defines CHECK too; Catch2's must win.
#include <catch2/catch.hpp>

using namespace brickyard::search;
using brickyard::model::SpecError;
using json = nlohmann::json;

namespace {

// Two layers at pairs (8, 8) and (4, 4): 4/4 halves latency and energy.
Costs two_layer_costs() {
  Costs c;
  c.table.pairs = {{8, 8}, {4, 4}};
  c.table.source = CostSource::Estimator;
  c.table.cells.assign(2, std::vector<CellCost>(2));
  for (std::size_t l = 0; l < 2; ++l)
    for (std::size_t j = 0; j < 2; ++j) {
      auto& cell = c.table.cells[l][j];
      cell.cycles = std::int64_t(1000 * (l + 1) / (j + 1));
      cell.latency_s = 1e-6 * double(l + 1) / double(j + 1);
      cell.energy_j = 1e-9 * double(l + 1) / double(j + 1);
    }
  c.j8 = 0, c.j4 = 1;
  c.lat8 = 3e-6, c.en8 = 3e-9;
  return c;
}

Budgets relative_latency(const std::string& text) {
  Budgets b;
  b.latency = parse_budget(text, BudgetKind::Latency, "latency-budget");
  return b;
}

} // namespace

TEST_CASE("quantize steps: the option check names the option before any work") {
  QuantizeOptions o;
  CHECK_THROWS_WITH(check_quantize_options(o), Catch::Contains("field 'budget'"));
  o.budgets = relative_latency("0.8");
  CHECK_NOTHROW(check_quantize_options(o));
  o.calib_images = 1;
  CHECK_THROWS_WITH(check_quantize_options(o), Catch::Contains("field 'calib-images'"));
  o.calib_images = 16;
  o.cost.jobs = 0;
  CHECK_THROWS_WITH(check_quantize_options(o), Catch::Contains("field 'jobs'"));
}

TEST_CASE("quantize steps: budgets in seconds and joules, an infeasible one names the floor") {
  const Costs c = two_layer_costs();
  const AbsoluteBudgets b = budget_step(relative_latency("0.8"), c);
  REQUIRE(b.latency_s);
  CHECK(*b.latency_s == Approx(0.8 * 3e-6));
  CHECK_FALSE(b.energy_j);
  // The floor is every layer at 4/4: 1.5 us = 0.5x of uniform 8-bit.
  try {
    budget_step(relative_latency("0.4"), c);
    FAIL("accepted");
  } catch (const SpecError& e) {
    CHECK(e.field() == "latency-budget");
    CHECK_THAT(e.what(), Catch::Contains("smallest feasible budget is 0.5000x of uniform 8-bit"));
  }
}

TEST_CASE("quantize steps: report, summary and CSVs from fabricated step results") {
  QuantizeOptions o;
  o.model_path = "model.json";
  o.budgets = relative_latency("0.8");
  LoadedModel lm;
  lm.m.kind = "model";
  for (int i = 0; i < 2; ++i) {
    brickyard::model::Layer l;
    l.name = i == 0 ? "stem" : "fc,1"; // a comma is quoted in the CSVs
    lm.layers.push_back(l);
  }
  const Costs c = two_layer_costs();
  const AbsoluteBudgets b = budget_step(o.budgets, c);
  Sensitivities s;
  s.a = {{0.0, 0.5}, {0.0, 2.0}};
  s.b = {{0.0, 0.4}, {0.0, 2.5}};
  s.spearman = 0.9;
  Allocation al;
  al.result.feasible = true;
  al.result.status = "optimal";
  al.result.choice = {1, 0}; // stem at 4/4, fc at 8/8
  al.result.objective = 0.25;
  al.smax = 2.0;
  al.latency_s = c.table.total_latency(al.result.choice);
  al.energy_j = c.table.total_energy(al.result.choice);
  Applied ap;
  ap.floating.name = "float";
  ap.floating.test_accuracy = ap.floating.test_accuracy_before_finetune = 0.9;
  for (const auto& [name, choice, acc] :
       {std::tuple<std::string, std::vector<int>, double>{"allocated", {1, 0}, 0.88},
        {"uniform 8-bit", {0, 0}, 0.89},
        {"uniform 4-bit", {1, 1}, 0.80}}) {
    Variant v;
    v.name = name;
    v.choice = choice;
    v.test_accuracy = v.test_accuracy_before_finetune = acc;
    v.latency_s = c.table.total_latency(choice);
    v.energy_j = c.table.total_energy(choice);
    ap.variants.push_back(v);
  }

  const json r = quantize_report(o, lm, quantize_accelerator(""), c, b, s, al, ap, 1.0);
  CHECK(r["layers"] == 2);
  CHECK(r["model_kind"] == "model");
  CHECK(r["cost"]["source"] == "estimator");
  CHECK(r["cost"]["cache_dir"].is_null());
  CHECK(r["budgets"]["latency"]["vs_uniform8"].get<double>() == Approx(0.8));
  CHECK(r["ilp"]["objective_kl"].get<double>() == Approx(0.5));
  CHECK(r["allocation"][0]["a_bits"] == 4);
  CHECK(r["allocation"][1]["w_bits"] == 8);
  CHECK(r["allocation"][1]["sensitivity"].get<double>() == Approx(0.0));
  CHECK(r["variants"]["allocated"]["latency_vs_uniform8"].get<double>() ==
        Approx((0.5e-6 + 2e-6) / 3e-6));
  CHECK_FALSE(r["variants"]["float"].contains("latency_s"));
  CHECK(r["accuracy_loss_vs_uniform8"].get<double>() == Approx(0.01));
  const std::string md = quantize_summary(r);
  CHECK_THAT(md, Catch::Contains("| allocated | 88.00% |"));
  CHECK_THAT(md, Catch::Contains("| float | 90.00% | - |"));
  CHECK_THAT(md, Catch::Contains("Budget: latency 0.800x of uniform 8-bit."));

  const std::string costs = costs_csv(lm.layers, c);
  CHECK(costs.rfind("layer,index,a_bits,w_bits,cycles,latency_s,energy_j,source,cached\n"
                    "stem,0,8,8,1000,1e-06,1e-09,estimator,0\n",
                    0) == 0);
  CHECK_THAT(costs, Catch::Contains("\"fc,1\",1,4,4,1000,1e-06,1e-09,estimator,0\n"));
  const std::string sens = sensitivity_csv(lm.layers, c.table.pairs, s);
  CHECK_THAT(sens, Catch::Contains("\"fc,1\",1,4,4,2,2.5\n"));
}
