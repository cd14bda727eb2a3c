// brickyard quantize's parts (issue 10): per-layer bits of a derived network, the cost
// table (estimator and cached simulator), mask-guided KL sensitivity, Spearman, budgets,
// the all-or-nothing output directory.
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <torch/nn/module.h>

#include "model/error.hpp"
#include "model/estimator.hpp"
#include "model/json_io.hpp"
#include "model/mapper.hpp"
#include "search/nn/data.hpp"
#include "search/nn/derive.hpp"
#include "search/nn/finetune.hpp"
#include "search/nn/output_dir.hpp"
#include "search/nn/supernet.hpp"
#include "search/nn/train.hpp"
#include "search/quantize/budget.hpp"
#include "search/quantize/cost_table.hpp"
#include "search/quantize/sensitivity.hpp"

// After the torch headers: glog (via c10) defines CHECK too; Catch2's must win.
#include <catch2/catch.hpp>

using namespace brickyard::search;
using brickyard::model::SpecError;
namespace fs = std::filesystem;

namespace {

// Dense convs (the ops whose latency falls with bits) and an inverted residual.
SearchSpace conv_space() {
  SearchSpace s;
  s.name = "conv_tiny";
  s.in_channels = 1;
  s.input_size = 28;
  s.stem_channels = 8;
  s.stem_stride = 2;
  s.stages = {{16, 2, 1}, {16, 1, 1}};
  s.ops = {parse_op("conv_k3", ""), parse_op("k3_e3", ""), parse_op("skip", "")};
  validate(s);
  return s;
}

// Block 0 a dense conv, block 1 an inverted residual (expand, depthwise, project).
ArchChoice mixed_choice() {
  return {{0, 1}, {4, 2}, {2, 8}};
}

struct TempDir {
  fs::path path;
  TempDir() {
    std::string t = (fs::temp_directory_path() / "by_test_quantize_XXXXXX").string();
    REQUIRE(mkdtemp(t.data()) != nullptr);
    path = t;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

std::vector<brickyard::model::Layer> three_layers() {
  std::vector<brickyard::model::Layer> v;
  for (int i = 0; i < 3; ++i) {
    brickyard::model::Layer l;
    l.name = "l" + std::to_string(i);
    l.ic = 8 << i;
    l.oc = 16;
    l.ih = l.iw = 6;
    l.k = i == 1 ? 1 : 3;
    l.pad = l.k / 2;
    validate(l);
    v.push_back(l);
  }
  return v;
}

brickyard::model::Accelerator small_accel() {
  return brickyard::model::load_accelerator("pe=4x4,abuf=16K,wbuf=16K,obuf=16K,dataflow=ws");
}

} // namespace

TEST_CASE("quantize: per-layer bits reproduce the choice's network and float is exact float") {
  torch::manual_seed(3);
  Supernet sup(conv_space(), SupernetOptions{QuantMode::Full, 3.0});
  sup->train();
  {
    torch::NoGradGuard ng;
    for (int i = 0; i < 3; ++i) sup->forward(torch::rand({8, 1, 28, 28}), 1.0);
  }
  sup->eval();
  const ArchChoice c = mixed_choice();
  Subnet sub(*sup, c);
  sub->eval();
  torch::NoGradGuard ng;
  const auto x = torch::rand({4, 1, 28, 28});
  // The default bits are the choice's (stem and fc 8/8): the supernet's one-hot forward.
  const auto layers = sub->layers();
  REQUIRE(layers.size() == 6); // stem, b0.conv_k3.conv, expand, depthwise, project, fc
  CHECK(layers[1].name == "b0.conv_k3.conv");
  CHECK(layers[1].type == brickyard::model::LayerType::Conv);
  CHECK(layers[1].k == 3);
  CHECK(layers[1].stride == 2);
  REQUIRE(sub->layer_bits().size() == layers.size());
  for (std::size_t i = 0; i < layers.size(); ++i) {
    CHECK(sub->layer_bits()[i].a_bits == layers[i].a_bits);
    CHECK(sub->layer_bits()[i].w_bits == layers[i].w_bits);
  }
  const auto y = sub->forward(x);
  CHECK(torch::equal(y, sup->forward(x, one_hot(*sup, c))));

  // All float: the supernet without quantization (mode None) computes the same.
  sub->set_layer_bits(std::vector<ConvBits>(layers.size(), ConvBits::float_bits()));
  Supernet fsup(conv_space(), SupernetOptions{QuantMode::None, 3.0});
  copy_state(*sup, *fsup);
  fsup->eval();
  const auto yf = sub->forward(x);
  CHECK(torch::allclose(yf, fsup->forward(x, one_hot(*fsup, c)), 1e-5, 1e-6));
  CHECK_FALSE(torch::allclose(yf, y, 1e-4, 1e-5)); // 2-bit weights in block 0 change it

  // One layer's bits change only that layer: quantizing the fc alone differs from float.
  auto bits = sub->layer_bits();
  bits.back() = {8, 8};
  sub->set_layer_bits(bits);
  CHECK_FALSE(torch::equal(sub->forward(x), yf));

  CHECK_THROWS_AS(sub->set_layer_bits({{8, 8}}), SpecError);
  bits.back() = {3, 8};
  CHECK_THROWS_AS(sub->set_layer_bits(bits), SpecError);
}

TEST_CASE("quantize: estimator cost table holds each pair's best mapping and its estimate") {
  const auto layers = three_layers();
  const auto accel = small_accel();
  const auto pairs = bit_pairs();
  REQUIRE(pairs.size() == 9);
  CHECK(pairs.front() == BitPair{2, 2});
  CHECK(pairs[5] == BitPair{4, 8});
  CostTableOptions o;
  o.source = CostSource::Estimator;
  const CostTable t = build_cost_table(layers, accel, pairs, o);
  REQUIRE(t.cells.size() == 3);
  const auto tech = brickyard::model::load_tech(accel.tech);
  const auto cal = brickyard::model::load_calibration("");
  for (std::size_t l = 0; l < layers.size(); ++l)
    for (std::size_t j = 0; j < pairs.size(); ++j) {
      auto x = layers[l];
      x.a_bits = pairs[j].a_bits;
      x.w_bits = pairs[j].w_bits;
      const auto r = brickyard::model::map_layer(x, accel, tech, cal);
      INFO(x.name << " " << x.a_bits << "/" << x.w_bits);
      CHECK(t.cells[l][j].cycles == r.cost.cycles);
      CHECK(t.cells[l][j].energy_j == r.cost.energy_j);
      CHECK(t.cells[l][j].latency_s == Approx(double(r.cost.cycles) / accel.clock_hz));
    }
  // Lower bits never cost more cycles on a BitFusion array (more MACs per fusion unit).
  for (std::size_t l = 0; l < layers.size(); ++l)
    CHECK(t.cells[l][t.pair_index({2, 2})].cycles <= t.cells[l][t.pair_index({8, 8})].cycles);
  const std::vector<int> all8(3, t.pair_index({8, 8}));
  CHECK(t.total_latency(all8) == Approx(t.latency()[0][8] + t.latency()[1][8] + t.latency()[2][8]));
}

TEST_CASE("quantize: simulated cost cells are cached; a second run simulates nothing") {
  TempDir tmp;
  const auto layers = three_layers();
  const auto accel = small_accel();
  const std::vector<BitPair> pairs = {{8, 8}, {2, 4}};
  CostTableOptions o;
  o.source = CostSource::Simulator;
  o.cache_dir = (tmp.path / "cache").string();
  o.jobs = 2;
  const CostTable a = build_cost_table(layers, accel, pairs, o);
  CHECK(a.simulated == 6);
  CHECK(a.cache_hits == 0);
  CHECK(a.children >= 2);
  const CostTable b = build_cost_table(layers, accel, pairs, o);
  CHECK(b.simulated == 0);
  CHECK(b.cache_hits == 6);
  CHECK(b.children == 0);
  CostTableOptions e = o;
  e.source = CostSource::Estimator;
  const CostTable est = build_cost_table(layers, accel, pairs, e);
  for (std::size_t l = 0; l < 3; ++l)
    for (std::size_t j = 0; j < 2; ++j) {
      CHECK(b.cells[l][j].cycles == a.cells[l][j].cycles);
      CHECK(b.cells[l][j].energy_j == a.cells[l][j].energy_j);
      CHECK(b.cells[l][j].cached);
      // The simulator runs the estimator's mapping: same mapping, cycles of the same order
      // (the calibrated estimator is within ~10% of the simulator, README).
      CHECK(a.cells[l][j].mapping.order == est.cells[l][j].mapping.order);
      CHECK(double(a.cells[l][j].cycles) == Approx(double(est.cells[l][j].cycles)).epsilon(0.25));
    }
  // A different accelerator is a different key; a damaged entry is simulated again.
  std::size_t files = 0;
  fs::path one;
  for (const auto& f : fs::directory_iterator(tmp.path / "cache")) ++files, one = f.path();
  CHECK(files == 6);
  std::ofstream(one) << "{not json";
  const CostTable c = build_cost_table(layers, accel, pairs, o);
  CHECK(c.simulated == 1);
  CHECK(c.cache_hits == 5);
}

TEST_CASE("quantize: KL sensitivity is 0 in float, small at 8 bits and grows as bits drop") {
  torch::manual_seed(5);
  DataOptions d;
  d.train_limit = 2000;
  d.test_limit = 10;
  const Dataset data = load(d);
  const Split split = data.split(d);
  Supernet sup(conv_space(), SupernetOptions{QuantMode::None, 3.0});
  ArchChoice c = mixed_choice();
  Subnet net(*sup, c);
  net->set_layer_bits(std::vector<ConvBits>(net->layers().size(), ConvBits::float_bits()));
  FinetuneOptions fo;
  fo.epochs = 1;
  fo.lr = 0.05;
  fo.batch_size = 64;
  fo.max_batches = 20;
  fo.progress = false;
  finetune(*net, data, split.train_w, fo);
  const auto images = data.images.index_select(0, split.train_a.slice(0, 0, 128));
  const std::vector<BitPair> pairs = {{0, 0}, {8, 8}, {4, 4}, {2, 2}, {8, 2}};
  const auto before = net->layer_bits();
  const auto s = kl_sensitivity(*net, images, pairs);
  const bool restored = net->layer_bits() == before;
  CHECK(restored);
  REQUIRE(s.size() == net->layers().size());
  double total8 = 0, total2 = 0;
  for (std::size_t l = 0; l < s.size(); ++l) {
    INFO("layer " << l << ": " << s[l][0] << " " << s[l][1] << " " << s[l][2] << " " << s[l][3]);
    CHECK(s[l][0] == 0.0); // float vs float: the same computation
    CHECK(s[l][1] < s[l][2]);
    CHECK(s[l][2] < s[l][3]);
    CHECK(s[l][1] < s[l][4]); // 2-bit weights cost more than 8-bit ones
    total8 += s[l][1];
    total2 += s[l][3];
  }
  CHECK(total8 < 0.01 * total2);
  // The same batch gives the same table (deterministic), a rank correlation of 1.
  const auto again = kl_sensitivity(*net, images, pairs);
  std::vector<double> x, y;
  for (std::size_t l = 0; l < s.size(); ++l)
    for (std::size_t j = 1; j < pairs.size(); ++j) x.push_back(s[l][j]), y.push_back(again[l][j]);
  CHECK(spearman(x, y) == Approx(1.0));
}

TEST_CASE("quantize: Spearman's rho with ties") {
  CHECK(spearman({1, 2, 3, 4}, {10, 20, 30, 40}) == Approx(1.0));
  CHECK(spearman({1, 2, 3, 4}, {4, 3, 2, 1}) == Approx(-1.0));
  CHECK(spearman({1, 2, 2, 3}, {1, 2, 3, 4}) == Approx(0.9486832980505138));
  CHECK(spearman({1, 1, 1}, {1, 2, 3}) == 0.0);
  CHECK_THROWS(spearman({1}, {1}));
}

TEST_CASE("quantize: budgets parse relative and absolute, bad ones name the field") {
  auto lat = [](const std::string& s) { return parse_budget(s, BudgetKind::Latency, "lb"); };
  CHECK(lat("0.8").relative);
  CHECK(lat("0.8").value == Approx(0.8));
  CHECK(lat("0.8x").value == Approx(0.8));
  CHECK(lat("80%").value == Approx(0.8));
  CHECK_FALSE(lat("2.5ms").relative);
  CHECK(lat("2.5ms").value == Approx(2.5e-3));
  CHECK(lat("300us").value == Approx(3e-4));
  CHECK(lat("0.8").absolute(2.0) == Approx(1.6));
  CHECK(lat("1ms").absolute(2.0) == Approx(1e-3));
  CHECK(parse_budget("30uJ", BudgetKind::Energy, "eb").value == Approx(3e-5));
  for (const char* bad : {"", "fast", "0", "-0.5", "12", "3mJ", "2.5 ms", "1e400"}) {
    INFO(bad);
    try {
      lat(bad);
      FAIL("accepted");
    } catch (const SpecError& e) {
      CHECK(e.field() == "lb");
    }
  }
  CHECK_THROWS_AS(parse_budget("3ms", BudgetKind::Energy, "eb"), SpecError);
  const auto both = parse_budget_list("latency=0.8,energy=2uJ", "budget");
  REQUIRE(both.latency);
  REQUIRE(both.energy);
  CHECK(both.latency->value == Approx(0.8));
  CHECK_FALSE(both.energy->relative);
  CHECK_FALSE(parse_budget_list("energy=0.9", "budget").latency);
  for (const char* bad : {"latency", "speed=0.8", "latency=0.8,latency=0.7", "latency=x"}) {
    INFO(bad);
    CHECK_THROWS_AS(parse_budget_list(bad, "budget"), SpecError);
  }
}

TEST_CASE("quantize: the output directory is all or nothing") {
  TempDir tmp;
  const auto dest = tmp.path / "out";
  {
    OutputDir o(dest.string(), false);
    o.write("a.txt", "x");
    // Not committed: nothing at the destination, and no temp directory left.
  }
  CHECK_FALSE(fs::exists(dest));
  CHECK(fs::is_empty(tmp.path));
  {
    OutputDir o(dest.string(), false);
    o.write("a.txt", "x");
    o.commit();
  }
  CHECK(fs::exists(dest / "a.txt"));
  CHECK_THROWS_AS(OutputDir(dest.string(), false), SpecError);
  {
    OutputDir o(dest.string(), true);
    o.write("b.txt", "y");
    o.commit();
  }
  CHECK(fs::exists(dest / "b.txt"));
  CHECK_FALSE(fs::exists(dest / "a.txt"));
}
