#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include <nlohmann/json.hpp>

#include "model/error.hpp"
#include "search/nn/finetune.hpp"
#include "search/nn/train.hpp"

// After the torch headers: glog (via c10) defines CHECK too; Catch2's must win.
#include <catch2/catch.hpp>

using namespace brickyard::search;
namespace fs = std::filesystem;

namespace {

SearchSpace small_fast_space() {
  SearchSpace s;
  s.name = "test";
  s.stem_channels = 8;
  s.stem_stride = 2;
  s.stages = {{8, 1, 1}, {16, 2, 1}};
  s.ops = {parse_op("k3_e1", ""), parse_op("k3_e3", ""), parse_op("skip", "")};
  validate(s);
  return s;
}

std::vector<std::string> lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

std::string temp_log(const char* ext) {
  return (fs::temp_directory_path() /
          ("brickyard_search_log_" + std::to_string(std::random_device{}()) + ext))
      .string();
}

} // namespace

TEST_CASE("search: a short run on real Fashion-MNIST lowers the loss and logs each epoch") {
  DataOptions d;
  d.train_limit = 3000; // 500 val, 500 arch, 2000 weights
  d.test_limit = 10;
  const auto data = load(d);
  const auto split = data.split(d);
  torch::manual_seed(1);
  Supernet net(small_fast_space(), SupernetOptions{QuantMode::Csq, 3.0});

  const auto log = temp_log(".jsonl");
  SearchOptions o;
  o.epochs = 3;
  o.batch_size = 50;
  o.w_lr = 0.2; // few steps of a tiny net
  o.progress = false;
  o.log_path = log;
  o.threads = 1; // ctest runs tests in parallel; tiny ops gain nothing from a second thread
  const auto before = evaluate(*net, data, split.train_w, o.tau_start);
  const auto alpha0 = net->alpha[0].detach().clone();
  const auto r = search(*net, data, split, o);
  const auto after = evaluate(*net, data, split.train_w, r.final_tau);

  INFO("loss before " << before.loss << " after " << after.loss);
  CHECK(after.loss < 0.7 * before.loss);
  CHECK(after.accuracy > before.accuracy + 0.2);
  REQUIRE(r.epochs.size() == 3);
  CHECK(r.epochs.back().train_loss < r.epochs.front().train_loss);
  CHECK(r.epochs.back().val_accuracy > 0.5);
  CHECK(r.epochs.back().arch_loss > 0); // architecture steps ran
  CHECK_FALSE(torch::equal(alpha0, net->alpha[0].detach()));
  // Temperature annealed from 5: 5 * 0.956^(2 + 39/40) at the last iteration.
  CHECK(r.epochs.front().tau < 5.0);
  CHECK(r.final_tau == Approx(5.0 * std::pow(0.956, 2.0 + 39.0 / 40.0)).epsilon(1e-9));
  CHECK(r.choice.op.size() == 2);

  const auto text = lines(log);
  fs::remove(log);
  REQUIRE(text.size() == 4); // three epochs and the final choice
  const auto e = nlohmann::json::parse(text[2]);
  CHECK(e.at("epoch") == 2);
  CHECK(e.at("val_accuracy").get<double>() == Approx(r.epochs[2].val_accuracy).epsilon(1e-4));
  CHECK(nlohmann::json::parse(text[3]).at("choice").size() == 2);
}

TEST_CASE("search: a .csv log path writes a CSV header and one row per epoch") {
  DataOptions d;
  d.train_limit = 600;
  d.test_limit = 10;
  const auto data = load(d);
  const auto split = data.split(d);
  Supernet net(small_fast_space());
  SearchOptions o;
  o.epochs = 2;
  o.batch_size = 20;
  o.max_batches = 2;
  o.threads = 1;
  o.progress = false;
  o.log_path = temp_log(".csv");
  const auto r = search(*net, data, split, o);
  const auto text = lines(o.log_path);
  fs::remove(o.log_path);
  REQUIRE(text.size() == 3);
  CHECK(text[0].rfind("epoch,tau,train_loss,train_accuracy", 0) == 0);
  CHECK(text[2].rfind("1,", 0) == 0);
  CHECK(std::count(text[1].begin(), text[1].end(), ',') == 9);
  CHECK(r.epochs[1].images_per_s > 0);
}

TEST_CASE("search: a time limit stops the run early") {
  DataOptions d;
  d.train_limit = 3000;
  d.test_limit = 10;
  const auto data = load(d);
  const auto split = data.split(d);
  Supernet net(small_fast_space());
  SearchOptions o;
  o.epochs = 50;
  o.batch_size = 50;
  o.progress = false;
  o.val_limit = 50;
  o.time_limit_s = 0.5;
  o.threads = 1;
  const auto r = search(*net, data, split, o);
  CHECK(r.time_limited);
  CHECK(r.epochs.size() < 50);
  CHECK(r.seconds < 20);
}

TEST_CASE("search: bad options name the field") {
  DataOptions d;
  d.train_limit = 300;
  d.test_limit = 10;
  const auto data = load(d);
  const auto split = data.split(d);
  Supernet net(small_fast_space());
  SearchOptions o;
  o.progress = false;
  o.tau_decay = 1.5;
  try {
    search(*net, data, split, o);
    FAIL("no SpecError");
  } catch (const brickyard::model::SpecError& e) {
    CHECK(e.field() == "tau_decay");
  }
}

TEST_CASE("search: BatchNorm recalibration of a derived subnet uses the subnet's own statistics") {
  DataOptions d;
  d.train_limit = 600;
  d.test_limit = 10;
  const auto data = load(d);
  const auto split = data.split(d);
  torch::manual_seed(2);
  Supernet net(small_fast_space());
  Subnet sub(*net, argmax_choice(*net));
  const auto rows = split.train_w.slice(0, 0, 64);
  // One batch holding every row: the cumulative average is that batch's statistics.
  recalibrate_batch_norm(*sub, data, rows, 1, 64);
  CHECK_FALSE(sub->is_training());
  torch::NoGradGuard no_grad;
  const auto x = data.images.index_select(0, rows).contiguous(at::MemoryFormat::ChannelsLast);
  QuantSetup fixed;
  fixed.mode = QuantMode::Full;
  const auto y = sub->stem->forward(prepare_input(x, fixed.mode, fixed.a_bits), {}, {}, fixed);
  CHECK(torch::allclose(sub->stem_bn->running_mean, y.mean({0, 2, 3}), 1e-4, 1e-5));
  CHECK(
      torch::allclose(sub->stem_bn->running_var, y.var({0, 2, 3}, /*unbiased=*/true), 1e-3, 1e-5));
  CHECK(sub->stem_bn->options.momentum().value() == 0.1);
}

TEST_CASE("finetune: a 2/2-bit network keeps finite steps with the default gradient clip") {
  // The decoupled baseline's all-2/2 network: without clipping its gradient norm passed 600
  // by step 12 and 15 of these 30 steps were non-finite (measured: grad_clip = 0).
  torch::manual_seed(1);
  DataOptions d;
  d.train_limit = 6000;
  d.test_limit = 10;
  const Dataset data = load(d);
  const Split split = data.split(d);
  const SearchSpace s = load_space("small");
  Supernet sup(s, SupernetOptions{QuantMode::Full, 3.0});
  nlohmann::json j = nlohmann::json::array();
  for (const char* op : {"k5_e1", "k5_e3", "k3_e3", "k5_e3", "k5_e3"})
    j.push_back({{"op", op}, {"a_bits", 2}, {"w_bits", 2}});
  Subnet net(*sup, choice_from_json(s, j, "choice"));
  FinetuneOptions fo;
  fo.lr = 0.05;
  fo.weight_decay = 8e-3;
  fo.max_batches = 30;
  fo.progress = false;
  const FinetuneResult r = finetune(*net, data, split.train_w, fo);
  CHECK(r.steps == 30);
  CHECK(r.skipped_steps == 0);
  CHECK(std::isfinite(r.train_loss));
  for (const auto& p : net->parameters()) CHECK(torch::isfinite(p).all().item<bool>());
  FinetuneOptions bad = fo;
  bad.grad_clip = -1;
  CHECK_THROWS_AS(finetune(*net, data, split.train_w, bad), brickyard::model::SpecError);
}
