// cosearch()'s steps alone (search/cosearch/steps.hpp): the config step, the output
// directory step, and the report step on fabricated step results.
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

#include "model/error.hpp"
#include "search/cosearch/steps.hpp"

// After the torch headers: glog (via c10) defines CHECK too; Catch2's must win.
#include <catch2/catch.hpp>

using namespace brickyard::search;
using brickyard::model::SpecError;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

HwEval eval_of(double latency_s, double energy_j, double area_mm2) {
  HwEval e;
  e.latency_s = latency_s, e.energy_j = energy_j, e.area_mm2 = area_mm2;
  brickyard::model::Cost c;
  c.cycles = std::int64_t(latency_s * e.accel.clock_hz);
  c.energy_j = energy_j;
  e.layers = {c};
  return e;
}

} // namespace

TEST_CASE("cosearch steps: the config step resolves defaults and names bad fields") {
  const CosearchConfig c = cosearch_config_from_json(
      json{{"name", "t"}, {"search", {{"epochs", 2}}}, {"hardware", {{"preset", "latency"}}}});
  CHECK(c.name == "t");
  CHECK(c.search.epochs == 2);
  CHECK(c.hw.lambda_latency == Approx(0.8));
  CHECK(c.search.seed == c.seed);
  CHECK_THAT(describe_config(c), Catch::Contains("config t (seed 1)"));
  for (const auto& [bad, field] :
       {std::pair<json, std::string>{{{"search", {{"epochs", 0}}}}, "search.epochs"},
        {{{"hardware", {{"preset", "fast"}}}}, "hardware.preset"},
        {{{"retrain", {{"epochs", 1}, {"speed", 2}}}}, "retrain.speed"}}) {
    INFO(bad.dump());
    try {
      cosearch_config_from_json(bad);
      FAIL("accepted");
    } catch (const SpecError& e) {
      CHECK_THAT(e.field(), Catch::Contains(field));
    }
  }
}

TEST_CASE("cosearch steps: the output directory step writes config.json and refuses to reuse") {
  const fs::path dir =
      fs::temp_directory_path() / ("by_test_cosearch_steps_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  CosearchConfig c;
  c.source = json{{"name", "x"}};
  CosearchRun run;
  run.out_dir = dir.string();
  const RunDir d = prepare_run_dir(c, run);
  CHECK(d.checkpoint == d.out / "checkpoint.pt");
  std::ifstream f(d.out / "config.json");
  CHECK(json::parse(f) == c.source);
  CHECK_THROWS_AS(prepare_run_dir(c, run), SpecError); // exists, no --force
  run.force = true;
  CHECK_NOTHROW(prepare_run_dir(c, run));
  run.force = false, run.resume = true;
  CHECK_THROWS_WITH(prepare_run_dir(c, run), Catch::Contains("no checkpoint"));
  fs::remove_all(dir);
}

TEST_CASE("cosearch steps: the report step from fabricated step results") {
  CosearchConfig cfg;
  cfg.name = "fab";
  SearchOutcome s;
  s.result.epochs.resize(2);
  s.result.seconds = 30;
  s.arch_steps = 10;
  s.hw_seconds = 0.5;
  s.disagreement_rate = 0.25;
  s.disagreement_checks = 4;
  Derived d;
  d.final_ev = eval_of(1e-3, 2e-3, 1.0);
  d.base8 = eval_of(2e-3, 4e-3, 2.0); // 8x the design's EDAP
  d.design = {{"accuracy", {{"search_val", 0.5}, {"retrained_test", 0.9}}}};
  Retrained r;
  r.base_acc = 0.85;
  r.report = {{"epochs", 3}};
  Baselines b; // off
  const CosearchReport rep = make_report(cfg, s, d, r, b, nullptr, 42);
  const json& j = rep.report;
  CHECK(j["config"] == "fab");
  CHECK(j["seconds"] == 42);
  CHECK(j["search"]["epochs"] == 2);
  CHECK(j["search"]["hardware_seconds_per_step"].get<double>() == Approx(0.05));
  CHECK(j["search"]["surrogate_disagreement_checks"] == 4);
  CHECK(j["search"]["misguided_checks"] == 4); // deprecated name, kept one release
  CHECK(j["edap_vs_baseline"].get<double>() == Approx(1.0 / 8));
  CHECK(j["baseline_uniform_8bit_on_base"]["test_accuracy"].get<double>() == Approx(0.85));
  CHECK(j["design"]["accuracy"]["retrained_test"].get<double>() == Approx(0.9));
  CHECK(j["retrain"]["epochs"] == 3);
  CHECK(j["baselines"].is_null());
  CHECK(j["simulated"].is_null());
  CHECK_THAT(rep.markdown, Catch::StartsWith("# brickyard cosearch: fab\n"));
  CHECK_THAT(rep.markdown, Catch::Contains("| 90.00% | 1.0000 | 2.0000 | 1.000 | 2.000e-06 |"));
  CHECK_THAT(rep.markdown, Catch::Contains("EDAP ratio (found / baseline): 0.125 (8.0x lower)"));
  CHECK_THAT(rep.markdown, Catch::Contains("hardware term 50.0 ms per architecture step (10 "
                                           "steps); surrogate disagreement 25.0% of 4 checks."));
  CHECK_THAT(rep.markdown, !Catch::Contains("Baselines at"));
}
