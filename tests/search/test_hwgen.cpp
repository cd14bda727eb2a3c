// Hardware generation network and the hardware cost path (issue 8 items 1-2).
#include <filesystem>

#include <torch/torch.h>

#include "model/error.hpp"
#include "model/json_io.hpp"
#include "model/mapper.hpp"
#include "model/spec.hpp"
#include "search/cosearch/cosearch.hpp"
#include "search/cosearch/cost_model.hpp"
#include "search/cosearch/hwgen.hpp"
#include "search/cosearch/steps.hpp"
#include "search/nn/derive.hpp"
#include "search/nn/space.hpp"

// After the torch headers: glog (via c10) defines CHECK too; Catch2's must win.
#include <catch2/catch.hpp>

using namespace brickyard;
using namespace brickyard::search;

namespace {

std::vector<model::Layer> subnet() {
  std::vector<model::Layer> ls;
  for (const char* s :
       {"k=3,s=2,pad=1,ih=28,iw=28,ic=1,oc=16,ab=8,wb=8",
        "k=3,s=1,pad=1,ih=14,iw=14,ic=16,oc=16,g=16,ab=4,wb=4",
        "k=1,s=1,ih=14,iw=14,ic=16,oc=32,ab=4,wb=2",
        "k=5,s=2,pad=2,ih=14,iw=14,ic=32,oc=32,g=2,ab=2,wb=2", "type=fc,ic=1568,oc=10,ab=8,wb=8"})
    ls.push_back(model::parse_layer_spec(s));
  return ls;
}

HwCostOptions opts() {
  HwCostOptions o;
  o.ref_energy_j = 1e-5;
  o.ref_latency_s = 1e-4;
  o.ref_area_mm2 = 1;
  o.threads = 1;
  return o;
}

} // namespace

TEST_CASE("search: the hardware space has the issue's options and round-trips accelerators") {
  HwSpace s;
  CHECK(s.options(kPeX) == 62);
  CHECK(s.options(kPeY) == 62);
  CHECK(s.options(kAbuf) == 30); // 64..528 KB in 16 KB steps
  CHECK(s.value(kAbuf, 29) == 528 * 1024);
  CHECK(s.options(kDataflow) == 3);
  auto bf = model::load_accelerator(model::data_dir() + "/accels/bitfusion_default.json");
  auto a = s.accelerator(s.choice_of(bf));
  CHECK(a.pe_rows == 16);
  CHECK(a.pe_cols == 16);
  CHECK(a.abuf_bytes == 384 * 1024);
  CHECK(a.dataflow == model::Dataflow::WS);
}

TEST_CASE("search: generation network heads are Gumbel one-hots that carry gradients") {
  torch::manual_seed(1);
  HwGenNet gen(HwSpace{}, HwGenOptions{});
  auto ops = encode_layers(subnet());
  REQUIRE(ops.size(0) == 5);
  REQUIRE(ops.size(1) == kOpFeatures);
  auto out = gen->forward(ops, 5.0);
  double loss_terms = 0;
  torch::Tensor loss = torch::zeros({});
  for (int h = 0; h < kNumHeads; ++h) {
    CHECK(out.weights[h].size(0) == HwSpace{}.options(HwHead(h)));
    CHECK(out.weights[h].sum().item<double>() == Approx(1.0).margin(1e-5));
    CHECK(out.weights[h].max().item<double>() == Approx(1.0).margin(1e-5)); // hard
    CHECK(out.weights[h][out.choice[h]].item<double>() == Approx(1.0).margin(1e-5));
    loss = loss + (out.weights[h] * torch::arange(out.weights[h].size(0))).sum();
    loss_terms += 1;
  }
  loss.backward();
  double g = 0;
  for (const auto& p : gen->parameters())
    if (p.grad().defined()) g += p.grad().abs().sum().item<double>();
  CHECK(g > 0);
  CHECK(loss_terms == kNumHeads);
}

TEST_CASE("search: hardware cost value is the exact estimator + BatchTile cost, memoized") {
  torch::manual_seed(2);
  auto layers = subnet();
  auto tech = model::load_tech("45nm");
  HwCost cost(HwSpace{}, tech, model::Calibration{}, opts());
  HwGenNet gen(HwSpace{}, HwGenOptions{});
  auto ops = encode_layers(layers);
  auto out = gen->forward(ops, 5.0);
  HwEval ev = cost.evaluate(layers, ops, out);
  CHECK_FALSE(ev.cached);

  // The same numbers straight from the mapper.
  model::Network net;
  net.layers = layers;
  model::MapperOptions mo;
  mo.objective = model::Objective::Cost;
  mo.weights = {0.5, 0.5};
  mo.threads = 1;
  double lat = 0, en = 0;
  for (const auto& r : model::map_network(net, ev.accel, tech, {}, mo)) {
    lat += double(r.cost.cycles) / ev.accel.clock_hz;
    en += r.cost.energy_j;
  }
  CHECK(ev.latency_s == Approx(lat).epsilon(1e-12));
  CHECK(ev.energy_j == Approx(en).epsilon(1e-12));
  CHECK(ev.area_mm2 == Approx(model::area_mm2(ev.accel, tech)).epsilon(1e-12));
  CHECK(ev.loss.item<double>() == Approx(ev.cost).epsilon(1e-5));

  // Gradient reaches the generation network.
  ev.loss.backward();
  double g = 0;
  for (const auto& p : gen->parameters())
    if (p.grad().defined()) g += p.grad().abs().sum().item<double>();
  CHECK(g > 0);

  // Second evaluation of the same choice: all from the memo, same value.
  auto out2 = out;
  HwEval ev2 = cost.evaluate(layers, ops, out2);
  CHECK(ev2.cached);
  CHECK(ev2.cost == ev.cost);
}

TEST_CASE("search: the cost surrogate learns, and the surrogate disagreement falls with it") {
  torch::manual_seed(3);
  auto layers = subnet();
  // Latency only: the area term is exact, so this measures the surrogate alone.
  HwCostOptions o = opts();
  o.lambda_energy = o.lambda_area = 0;
  o.lambda_latency = 1;
  HwCost cost(HwSpace{}, model::load_tech("45nm"), model::Calibration{}, o);
  HwGenNet gen(HwSpace{}, HwGenOptions{});
  auto ops = encode_layers(layers);
  auto rate = [&](HwCost& c, std::uint64_t seed0) {
    HwCost* p = &c;
    for (std::uint64_t s = 0; s < 100; ++s) {
      auto out = gen->forward(ops, 5.0); // random choices: Gumbel noise at high temperature
      p->check_disagreement(layers, out, seed0 + s);
    }
    return p->disagreement_rate();
  };
  HwCost untrained(HwSpace{}, model::load_tech("45nm"), model::Calibration{}, o);
  const double before = rate(untrained, 100);
  cost.warm_up(layers, 64, 7, 3000);
  const double after = rate(cost, 100);
  INFO("disagreement before " << before << ", after warm-up " << after << ", surrogate loss "
                              << cost.surrogate_loss());
  CHECK(cost.checks() > 25);
  CHECK(after < before);
  CHECK(after < 0.25);
}

TEST_CASE("search: relaxed hardware features are exact at a one-hot accelerator, differentiable") {
  const auto layers = subnet();
  HwSpace s;
  RelaxedFeatures rf(s, 32);
  std::array<int, kNumHeads> c = {13, 2, 5, 29, 0, 1}; // 16x5 OS, 144/528/64 KB
  const auto a = s.accelerator(c);
  std::array<torch::Tensor, kNumHeads> w;
  for (int h = 0; h < kNumHeads; ++h) {
    w[h] = torch::zeros({s.options(HwHead(h))});
    w[h][c[h]] = 1.0;
    w[h].requires_grad_(true);
  }
  const auto soft = rf.soft(layers, w);
  const auto hard = rf.at(layers, a);
  REQUIRE(soft.sizes() == hard.sizes());
  CHECK(soft.size(1) == kRelaxFeatures);
  CHECK((soft - hard).abs().max().item<double>() < 1e-5);
  // Feature 3 is log2(MACs / (pf R C)) / 16: by hand for the 1x1 layer (16 -> 32, 14x14,
  // 4-bit activations x 2-bit weights: 8 products per fusion unit and cycle).
  CHECK(hard[2][3].item<double>() ==
        Approx(std::log2(14.0 * 14 * 16 * 32 / 8 / (16 * 5)) / 16).epsilon(1e-5));
  soft.sum().backward();
  for (int h = 0; h < kNumHeads; ++h) {
    INFO("head " << to_string(HwHead(h)));
    CHECK(w[h].grad().abs().sum().item<double>() > 0);
  }
}

TEST_CASE("search: the hardware term's gradient reaches alpha, both betas and the generator") {
  torch::manual_seed(5);
  const auto space = preset_space("small");
  Supernet net(space, SupernetOptions{QuantMode::Full, 3.0});
  const auto choice = argmax_choice(*net);
  const auto layers = describe(space, choice);
  const auto ops = encode_layers(layers);
  HwCost cost(HwSpace{}, model::load_tech("45nm"), model::Calibration{}, opts());
  cost.warm_up(layers, 8, 3, 300);
  HwGenNet gen(HwSpace{}, HwGenOptions{});
  const auto out = gen->forward(ops, 5.0);
  const auto soft = soft_subnet(*net, choice, 5.0);
  HwEval ev = cost.evaluate(layers, ops, out, &soft);
  ev.loss.backward();
  auto sum_grad = [](const std::vector<torch::Tensor>& ps) {
    double g = 0;
    for (const auto& p : ps)
      if (p.grad().defined()) g += p.grad().abs().sum().item<double>();
    return g;
  };
  CHECK(sum_grad(gen->parameters()) > 0);
  std::vector<torch::Tensor> alpha(net->alpha.begin(), net->alpha.end());
  std::vector<torch::Tensor> beta_a(net->beta_a.begin(), net->beta_a.end());
  std::vector<torch::Tensor> beta_w(net->beta_w.begin(), net->beta_w.end());
  CHECK(sum_grad(alpha) > 0);
  CHECK(sum_grad(beta_a) > 0);
  CHECK(sum_grad(beta_w) > 0);
}

TEST_CASE("search: a cost model trained offline ranks held-out networks and loads back") {
  auto cfg = cosearch_config_from_json(nlohmann::json::parse(
      R"({"space": "small", "data": {"format": "fashion-mnist"}, "hardware": {"preset": "balanced"}})"));
  CostModelOptions o;
  o.samples = 150;
  o.steps = 800;
  o.hidden = 32;
  o.holdout = 0.3;
  o.threads = 1;
  o.progress = false;
  o.calibration_csv = model::data_dir() + "/calibration/default.csv";
  const auto dir = std::filesystem::temp_directory_path() / "brickyard_test_cost_model";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "m.pt").string();
  const auto r = train_cost_model(cfg, o, path);
  INFO(r.dump(1));
  CHECK(std::filesystem::exists(path));
  CHECK(std::filesystem::exists(dir / "m.json"));
  CHECK(r["held_out_samples"] == 45);
  CHECK(r["simulated_training_points"].get<int>() > 0);
  CHECK(r["simulated_held_out"]["points"].get<int>() > 0);
  const auto& h = r["held_out"];
  CHECK(h["network_cost_spearman"].get<double>() > 0.8);
  CHECK(h["surrogate_disagreement"]["checks"].get<int>() > 20);
  // The file is what a co-search loads; a file that is not a cost model is bad input.
  HwCost cost(HwSpace{}, model::load_tech("45nm"), model::Calibration{}, opts());
  cost.load_cost_model(path, "hardware.cost_model");
  const auto layers = subnet();
  const auto [cycles, energy] =
      cost.predict(layers, HwSpace{}.accelerator({13, 13, 20, 20, 20, 0}));
  CHECK(cycles > 0);
  CHECK(energy > 0);
  CHECK_THROWS_AS(cost.load_cost_model((dir / "m.json").string(), "hardware.cost_model"),
                  model::SpecError);
  CHECK_THROWS_AS(cost.load_cost_model((dir / "none.pt").string(), "hardware.cost_model"),
                  model::SpecError);
  std::filesystem::remove_all(dir);
}
