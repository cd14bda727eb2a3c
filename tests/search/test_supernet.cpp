#include <cstdint>
#include <set>
#include <vector>

#include <torch/nn/module.h>

#include "model/error.hpp"
#include "model/network.hpp"
#include "search/nn/derive.hpp"
#include "search/nn/supernet.hpp"

// After the torch headers: glog (via c10) defines CHECK too; Catch2's must win.
#include <catch2/catch.hpp>

using namespace brickyard::search;
using brickyard::model::LayerType;

namespace {

// A fast space with every kind of op: expansion, groups, dense conv, skip, stride 2, a head.
SearchSpace tiny_space() {
  SearchSpace s;
  s.name = "tiny";
  s.in_channels = 1;
  s.input_size = 12;
  s.stem_channels = 8;
  s.stem_stride = 1;
  s.stages = {{8, 1, 1}, {12, 2, 1}, {12, 1, 1}};
  s.head_channels = 16;
  s.ops = {parse_op("k3_e1", ""), parse_op("k5_e3", ""), parse_op("conv_k3", ""),
           parse_op("k3_e1_g2", ""), parse_op("skip", "")};
  validate(s);
  return s;
}

std::int64_t count(const std::vector<torch::Tensor>& ts) {
  std::int64_t n = 0;
  for (const auto& t : ts) n += t.numel();
  return n;
}

// Number of convs of the chosen ops, plus stem, head (if any) and fc.
std::size_t expected_layers(const SearchSpace& s, const ArchChoice& c) {
  const auto shapes = blocks(s);
  std::size_t n = 2 + (s.head_channels > 0);
  for (std::size_t b = 0; b < shapes.size(); ++b) {
    const auto& op = shapes[b].ops[static_cast<std::size_t>(c.op[b])];
    if (!op.skip) n += op.dense ? 1 : op.expansion == 1 ? 2 : 3;
  }
  return n;
}

} // namespace

TEST_CASE("supernet: output shape, parameter groups, arch shapes") {
  const auto mode = GENERATE(QuantMode::None, QuantMode::Full, QuantMode::Csq, QuantMode::Hard,
                             QuantMode::CsqChannel0);
  torch::manual_seed(1);
  const auto space = tiny_space();
  Supernet net(space, SupernetOptions{mode, 3.0});
  const auto y = net->forward(torch::rand({5, 1, 12, 12}), 5.0);
  CHECK(y.sizes() == torch::IntArrayRef({5, 10}));
  CHECK(torch::isfinite(y).all().item<bool>());

  const auto shapes = net->shapes();
  REQUIRE(net->alpha.size() == shapes.size());
  for (std::size_t b = 0; b < shapes.size(); ++b) {
    const auto n = static_cast<std::int64_t>(shapes[b].ops.size());
    CHECK(net->alpha[b].sizes() == torch::IntArrayRef({n}));
    CHECK(net->beta_a[b].sizes() == torch::IntArrayRef({n, 3}));
    CHECK(net->beta_w[b].sizes() == torch::IntArrayRef({n, 3}));
  }
  CHECK(shapes[0].ops.size() == 5); // 8 -> 8 stride 1: skip allowed
  CHECK(shapes[1].ops.size() == 4); // 8 -> 12 stride 2: no skip
  const auto w = net->weight_parameters();
  const auto a = net->arch_parameters();
  CHECK(a.size() == 3 * shapes.size());
  CHECK(count(w) + count(a) == count(net->parameters()));
  std::set<const void*> ws;
  for (const auto& t : w) ws.insert(t.unsafeGetTensorImpl());
  for (const auto& t : a) CHECK(ws.count(t.unsafeGetTensorImpl()) == 0);
}

TEST_CASE("supernet: sampled Gumbel weights sum to 1 for ops and bits") {
  const double tau = GENERATE(5.0, 0.5);
  torch::manual_seed(2);
  Supernet net(tiny_space());
  for (auto& p : net->arch_parameters()) p.detach().normal_();
  const auto w = net->sample(tau, true);
  for (std::size_t b = 0; b < w.ops.size(); ++b) {
    CHECK(w.ops[b].sum().item<double>() == Approx(1.0).epsilon(1e-5));
    CHECK(torch::allclose(w.a[b].sum(1), torch::ones({w.a[b].size(0)}), 0.0, 1e-5));
    CHECK(torch::allclose(w.w[b].sum(1), torch::ones({w.w[b].size(0)}), 0.0, 1e-5));
  }
}

TEST_CASE("supernet: a single-path sample is one-hot and computes what the full mixture does") {
  const auto mode = GENERATE(QuantMode::Full, QuantMode::Csq);
  torch::manual_seed(4);
  Supernet net(tiny_space(), SupernetOptions{mode, 25.0});
  for (auto& p : net->arch_parameters()) p.detach().normal_();
  net->eval();
  const auto x = torch::rand({3, 1, 12, 12});
  std::set<int> seen;
  for (int rep = 0; rep < 8; ++rep) {
    const auto w = net->sample_path(1.0);
    REQUIRE(w.path.size() == w.ops.size());
    for (std::size_t b = 0; b < w.ops.size(); ++b) {
      CHECK(w.ops[b].sum().item<double>() == Approx(1.0));
      CHECK(w.ops[b].max().item<double>() == 1.0);
      CHECK(w.ops[b][w.path[b]].item<double>() == 1.0);
      CHECK(torch::equal(std::get<0>(w.a[b].max(1)), torch::ones({w.a[b].size(0)})));
      seen.insert(w.path[b]);
    }
    // The same weights without the path: every candidate computed, all but one times 0.
    ArchWeights all = w;
    all.path.clear();
    const auto y1 = net->forward(x, w);
    const auto y2 = net->forward(x, all);
    CHECK(torch::allclose(y1, y2, 1e-5, 1e-6));
  }
  CHECK(seen.size() > 1); // the sample varies
}

TEST_CASE("supernet: hard mode samples one bit width per block, ops stay a mixture") {
  torch::manual_seed(8);
  Supernet net(tiny_space(), SupernetOptions{QuantMode::Hard, 3.0});
  for (auto& p : net->arch_parameters()) p.detach().normal_();
  const ArchWeights w = net->sample(5.0, true);
  for (std::size_t b = 0; b < w.a.size(); ++b) {
    for (const auto& t : {w.a[b], w.w[b]}) { // [ops, bits]: one-hot rows
      CHECK(torch::allclose(t.sum(-1), torch::ones({t.size(0)}), 0.0, 1e-5));
      CHECK(torch::allclose(std::get<0>(t.max(-1)), torch::ones({t.size(0)}), 0.0, 1e-5));
    }
    CHECK(w.ops[b].max().item<float>() < 0.9999f); // the op weights are soft
  }
  const ArchWeights e = net->sample(5.0, false); // evaluation: soft, as in Full
  CHECK(e.a[0].max().item<float>() < 0.9999f);
}

TEST_CASE("supernet: an architecture step reaches alpha and both betas, a weight step the convs") {
  const auto mode =
      GENERATE(QuantMode::Full, QuantMode::Csq, QuantMode::Hard, QuantMode::CsqChannel0);
  torch::manual_seed(3);
  Supernet net(tiny_space(), SupernetOptions{mode, 25.0});
  const auto x = torch::rand({4, 1, 12, 12});
  const auto labels = torch::tensor({0, 1, 2, 3}, torch::kInt64);
  torch::cross_entropy_loss(net->forward(x, 5.0), labels).backward();
  for (const auto& p : net->arch_parameters()) {
    REQUIRE(p.grad().defined());
    CHECK(p.grad().abs().sum().item<double>() > 0);
  }
  CHECK(net->stem->weight.grad().abs().sum().item<double>() > 0);
  CHECK(net->ops[1][1]->depthwise->weight.grad().abs().sum().item<double>() > 0);
}

TEST_CASE("derive: the subnet computes what the supernet computes with one-hot weights") {
  const int seed = GENERATE(1, 2, 3, 4, 5);
  torch::manual_seed(seed);
  const auto space = tiny_space();
  Supernet net(space, SupernetOptions{QuantMode::Full, 3.0});
  // Random architecture parameters and a few training batches for BN statistics.
  for (auto& p : net->arch_parameters()) p.detach().normal_();
  net->train();
  {
    torch::NoGradGuard no_grad;
    for (int i = 0; i < 3; ++i) net->forward(torch::rand({8, 1, 12, 12}), 1.0);
  }
  const auto choice = argmax_choice(*net);
  for (std::size_t b = 0; b < choice.op.size(); ++b) {
    const auto i = choice.op[b];
    CHECK(i == net->alpha[b].argmax().item<std::int64_t>());
    CHECK(choice.a_bits[b] == space.a_bits[net->beta_a[b][i].argmax().item<std::int64_t>()]);
    CHECK(choice.w_bits[b] == space.w_bits[net->beta_w[b][i].argmax().item<std::int64_t>()]);
  }
  Subnet sub(*net, choice);
  net->eval();
  sub->eval();
  torch::NoGradGuard no_grad;
  const auto x = torch::rand({6, 1, 12, 12});
  const auto ys = sub->forward(x);
  CHECK(ys.sizes() == torch::IntArrayRef({6, 10}));
  CHECK(torch::equal(ys, net->forward(x, one_hot(*net, choice))));
  // No supernet overhead: no architecture parameters, only the chosen ops' weights.
  CHECK(count(sub->parameters()) < count(net->weight_parameters()));
  for (const auto& p : sub->named_parameters()) CHECK(p.key().find("alpha") == std::string::npos);
}

TEST_CASE("derive: one model::Layer per conv of the chosen ops, skip adds none") {
  const auto space = tiny_space();
  const auto shapes = blocks(space);
  // Every op of every block, with varying bits.
  for (std::size_t pick = 0; pick < 5; ++pick) {
    ArchChoice c;
    for (std::size_t b = 0; b < shapes.size(); ++b) {
      c.op.push_back(static_cast<int>(std::min(pick, shapes[b].ops.size() - 1)));
      c.a_bits.push_back(space.a_bits[(pick + b) % 3]);
      c.w_bits.push_back(space.w_bits[(pick + 2 * b) % 3]);
    }
    const auto layers = describe(space, c);
    INFO("pick " << pick);
    REQUIRE(layers.size() == expected_layers(space, c));
    brickyard::model::Network net = to_network(space, c);
    CHECK_NOTHROW(brickyard::model::validate(net));
    CHECK(layers.front().name == "stem");
    CHECK(layers.back().type == LayerType::FullyConnected);
    CHECK(layers.back().oc == 10);
    CHECK(layers[layers.size() - 2].name == "head");
    // Consecutive layers chain: the output of one is the input of the next.
    for (std::size_t i = 1; i < layers.size(); ++i) {
      const auto& p = layers[i - 1];
      const auto& l = layers[i];
      INFO(l.name);
      CHECK(l.ic == p.oc);
      if (l.type != LayerType::FullyConnected) CHECK(l.ih == p.oh());
    }
    for (const auto& l : layers) {
      if (l.name.find("depthwise") != std::string::npos) {
        CHECK(l.type == LayerType::Depthwise);
        CHECK(l.groups == l.ic);
      }
      if (l.name.find("_g2.") != std::string::npos && l.name.find("depthwise") == std::string::npos)
        CHECK(l.groups == 2);
      if (l.name.rfind("b", 0) == 0) {
        const auto b = static_cast<std::size_t>(l.name[1] - '0');
        CHECK(l.a_bits == c.a_bits[b]);
        CHECK(l.w_bits == c.w_bits[b]);
      } else {
        CHECK(l.a_bits == 8);
        CHECK(l.w_bits == 8);
      }
    }
  }
  ArchChoice bad;
  CHECK_THROWS_AS(describe(space, bad), brickyard::model::SpecError);
}

TEST_CASE("supernet: the 22-block FBNet space forwards a CIFAR batch and derives") {
  const auto mode = GENERATE(QuantMode::None, QuantMode::Csq);
  torch::manual_seed(4);
  const auto space = preset_space("fbnet22");
  Supernet net(space, SupernetOptions{mode, 3.0});
  REQUIRE(net->ops.size() == 22);
  const auto y = net->forward(torch::rand({2, 3, 32, 32}), 5.0);
  CHECK(y.sizes() == torch::IntArrayRef({2, 10}));
  y.sum().backward();
  CHECK(net->alpha[21].grad().defined());

  const auto choice = argmax_choice(*net);
  Subnet sub(*net, choice);
  sub->eval();
  torch::NoGradGuard no_grad;
  CHECK(sub->forward(torch::rand({1, 3, 32, 32})).sizes() == torch::IntArrayRef({1, 10}));
  const auto layers = sub->layers();
  CHECK(layers.size() == expected_layers(space, choice));
  CHECK_NOTHROW(brickyard::model::validate(to_network(space, choice)));
  CHECK(layers[layers.size() - 2].ic == 352);
  CHECK(layers[layers.size() - 2].ih == 4);
  CHECK(layers[layers.size() - 2].oc == 1984);
}

TEST_CASE("supernet: CSQ importance of a block input is sum_i alpha_i |gamma_ij| (Eq. 8)") {
  torch::manual_seed(6);
  Supernet net(tiny_space());
  torch::NoGradGuard no_grad;
  for (auto& p : net->arch_parameters()) p.normal_();
  for (auto& p : net->named_parameters())
    if (p.key().find("bn") != std::string::npos && p.key().find("weight") != std::string::npos)
      p.value().normal_(); // signed scales: importance uses |gamma|
  const auto g = net->importances();
  REQUIRE(g.size() == net->ops.size() + 1);
  CHECK(torch::equal(g[0], net->stem_bn->weight.abs()));
  for (std::size_t b = 0; b < net->ops.size(); ++b) {
    INFO("block " << b);
    const auto p = torch::softmax(net->alpha[b], 0);
    auto want = torch::zeros({net->shapes()[b].out_channels});
    for (std::size_t i = 0; i < net->ops[b].size(); ++i) {
      const auto& op = net->ops[b][i];
      const auto& last_bn = op->spec.dense ? op->bn_conv : op->bn_project;
      want += p[static_cast<std::int64_t>(i)] * (op->spec.skip ? g[b] : last_bn->weight.abs());
    }
    CHECK(torch::allclose(g[b + 1], want, 1e-6, 1e-7));
    CHECK(g[b + 1].min().item<float>() >= 0.0f);
  }
  // Block 0 keeps its shape and offers skip: its input importance flows into block 1's.
  REQUIRE(net->shapes()[0].ops.back().skip);
}
