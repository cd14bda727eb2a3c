#include <algorithm>
#include <cstdint>
#include <set>
#include <tuple>
#include <vector>

#include <torch/csrc/autograd/autograd.h>

#include "model/error.hpp"
#include "search/nn/csq.hpp"

// After the torch headers: glog (via c10) defines CHECK too; Catch2's must win.
#include <catch2/catch.hpp>

using namespace brickyard::search;
using brickyard::model::SpecError;

namespace {
std::int64_t distinct(const torch::Tensor& t) {
  return std::get<0>(torch::_unique(t.flatten())).numel();
}

// Channels of 0..c-1 not in `omega`.
torch::Tensor complement(const torch::Tensor& omega, std::int64_t c) {
  auto keep = torch::ones({c}, torch::kBool);
  keep.index_fill_(0, omega, false);
  return keep.nonzero().flatten();
}
} // namespace

TEST_CASE("csq: Gumbel-softmax weights are a distribution (Eq. 1)") {
  const double tau = GENERATE(5.0, 1.0, 0.1);
  const bool noise = GENERATE(true, false);
  torch::manual_seed(3);
  const auto logits = torch::randn({7, 9}) * 3;
  const auto w = gumbel_weights(logits, tau, noise);
  REQUIRE(w.sizes() == logits.sizes());
  CHECK(torch::allclose(w.sum(1), torch::ones({7}), 0.0, 1e-5));
  CHECK(w.min().item<float>() >= 0.0f);
  if (!noise) CHECK(torch::allclose(w, torch::softmax(logits / tau, 1)));
  CHECK_THROWS_AS(gumbel_weights(logits, 0.0), SpecError);
}

TEST_CASE("csq: Gumbel noise follows argmax(logits + g) in distribution") {
  // With tau -> 0 the weights become one-hot at argmax(logits + g): the frequency of each
  // index is softmax(logits) (Gumbel-max trick).
  torch::manual_seed(5);
  const auto logits = torch::tensor({0.0f, 1.0f, 2.0f});
  const auto w = gumbel_weights(logits.expand({20000, 3}).contiguous(), 0.01);
  const auto freq = torch::bincount(w.argmax(1), {}, 3).to(torch::kFloat32) / 20000.0;
  CHECK(torch::allclose(freq, torch::softmax(logits, 0), 0.0, 0.02));
  // Annealing: higher temperature, flatter weights on the same noise.
  torch::manual_seed(6);
  const auto hot = gumbel_weights(logits, 5.0);
  torch::manual_seed(6);
  const auto cold = gumbel_weights(logits, 0.5);
  CHECK(hot.max().item<float>() < cold.max().item<float>());
}

TEST_CASE("csq: channel count is ceil(K% x C) (Eq. 8)") {
  struct Case {
    std::int64_t channels;
    double k;
    std::int64_t want;
  };
  const auto c = GENERATE(values<Case>({{16, 3, 1},
                                        {100, 3, 3},
                                        {101, 3, 4},
                                        {1984, 3, 60},
                                        {64, 50, 32},
                                        {10, 100, 10},
                                        {7, 0.001, 1},
                                        {200, 1.5, 3},
                                        {33, 10, 4}}));
  CHECK(csq_count(c.channels, c.k) == c.want);
  CHECK_THROWS_AS(csq_count(16, 0.0), SpecError);
  CHECK_THROWS_AS(csq_count(16, 100.5), SpecError);
}

TEST_CASE("csq: selects exactly the ceil(K% x C) channels of largest Gamma, others bit-identical") {
  const std::int64_t channels = GENERATE(16, 100, 333);
  const double k = GENERATE(3.0, 10.0, 50.0);
  const int bits = GENERATE(2, 4, 8);
  INFO("C=" << channels << " K=" << k << " bits=" << bits);
  torch::manual_seed(channels * 7 + bits);
  const auto a = torch::randn({4, channels, 5, 6}).relu_();
  // Distinct importances in random order.
  const auto gamma = torch::randperm(channels).to(torch::kFloat32) * 0.01 + 0.5;
  const auto n = csq_count(channels, k);

  const auto in = prepare_input(a, QuantMode::Csq, {bits}, gamma, k);
  REQUIRE(in.omega.size(0) == n);
  // The n largest of gamma, ascending.
  const auto want = std::get<0>(std::get<1>(gamma.topk(n)).sort());
  CHECK(torch::equal(in.omega, want));
  const auto at = mixed_activation(in, torch::ones({1}));
  REQUIRE(at.sizes() == a.sizes());
  const auto rest = complement(in.omega, channels);
  CHECK(torch::equal(at.index_select(1, rest), a.index_select(1, rest)));
  // The selected channels are quantized: at most 2^b levels, and they changed.
  const auto sel = at.index_select(1, in.omega);
  CHECK(distinct(sel) <= (std::int64_t{1} << bits));
  if (bits == 2) CHECK_FALSE(torch::equal(sel, a.index_select(1, in.omega)));
  // Full quantizes every channel.
  const auto full = mixed_activation(prepare_input(a, QuantMode::Full, {bits}), torch::ones({1}));
  CHECK(distinct(full) <= (std::int64_t{1} << bits));
}

TEST_CASE("csq: ties in Gamma keep the lower channel index") {
  const auto gamma = torch::tensor({1.0f, 2.0f, 2.0f, 0.5f, 2.0f});
  CHECK(torch::equal(top_channels(gamma, 40.0), torch::tensor({1, 2}, torch::kInt64)));
}

TEST_CASE("csq: mixed activation is the Gumbel-weighted sum of quantized copies (Eq. 5)") {
  torch::manual_seed(9);
  const auto a = torch::randn({2, 8, 4, 4});
  const std::vector<int> bits{2, 4, 8};
  const auto w = torch::tensor({0.2f, 0.3f, 0.5f});
  const auto in = prepare_input(a, QuantMode::Full, bits);
  REQUIRE(in.q.size() == 3);
  const auto want = 0.2 * quantize(a, 2) + 0.3 * quantize(a, 4) + 0.5 * quantize(a, 8);
  CHECK(torch::allclose(mixed_activation(in, w), want, 1e-5, 1e-6));
  CHECK(torch::equal(mixed_activation(prepare_input(a, QuantMode::None, bits), w), a));
}

TEST_CASE("csq: mixed_conv equals the conv of the materialized mixed activation") {
  // CSQ splits the conv by linearity instead of building A~; the results must agree.
  struct Shape {
    int ic, oc, k, stride, groups;
  };
  const auto s = GENERATE(values<Shape>({{16, 24, 1, 1, 1},
                                         {32, 32, 3, 1, 32}, // depthwise
                                         {48, 48, 5, 2, 48},
                                         {24, 16, 1, 1, 2}, // grouped pointwise
                                         {36, 36, 3, 2, 1},
                                         {40, 20, 1, 1, 4}}));
  const auto mode = GENERATE(QuantMode::None, QuantMode::Full, QuantMode::Csq);
  const double k = GENERATE(3.0, 25.0);
  INFO("ic=" << s.ic << " oc=" << s.oc << " k=" << s.k << " groups=" << s.groups
             << " mode=" << to_string(mode) << " K=" << k);
  torch::manual_seed(s.ic + s.k);
  const auto a = torch::randn({3, s.ic, 9, 9}).relu_().requires_grad_(true);
  const auto w = torch::randn({s.oc, s.ic / s.groups, s.k, s.k}).requires_grad_(true);
  const auto beta = torch::tensor({0.1f, 0.6f, 0.3f}).requires_grad_(true);
  const auto gamma = torch::rand({s.ic});
  const auto in = prepare_input(a, mode, {2, 4, 8}, gamma, k);
  const auto y = mixed_conv(in, beta, w, s.stride, s.groups);
  const auto ref = torch::conv2d(mixed_activation(in, beta), w, {}, s.stride, s.k / 2, 1, s.groups);
  REQUIRE(y.sizes() == ref.sizes());
  CHECK(torch::allclose(y, ref, 1e-4, 1e-4));
  // Same gradients for the weight and the bit weights (what the two steps learn).
  const auto g = torch::randn_like(ref);
  const auto grads = torch::autograd::grad({y}, {w, beta}, {g}, true, false, true);
  const auto ref_grads = torch::autograd::grad({ref}, {w, beta}, {g}, false, false, true);
  CHECK(torch::allclose(grads[0], ref_grads[0], 1e-3, 1e-3));
  if (mode != QuantMode::None) CHECK(torch::allclose(grads[1], ref_grads[1], 1e-3, 1e-2));
}

TEST_CASE("csq: mixed weight quantizes per output channel at every candidate") {
  torch::manual_seed(4);
  const auto w = torch::randn({6, 4, 3, 3});
  const auto one = mixed_weight(w, {4}, torch::ones({1}));
  CHECK(torch::equal(one, quantize(w, 4, QuantRange::PerChannel)));
  const auto mixed = mixed_weight(w, {2, 8}, torch::tensor({0.25f, 0.75f}));
  CHECK(torch::allclose(mixed, 0.25 * quantize(w, 2, QuantRange::PerChannel) +
                                   0.75 * quantize(w, 8, QuantRange::PerChannel)));
}

TEST_CASE("csq: quantization modes parse") {
  CHECK(quant_mode_from_string("csq", "mode") == QuantMode::Csq);
  CHECK(quant_mode_from_string(to_string(QuantMode::Full), "mode") == QuantMode::Full);
  CHECK_THROWS_AS(quant_mode_from_string("half", "mode"), SpecError);
}

TEST_CASE("csq: channel 0 mode (JAQ Table 7) quantizes channel 0 only, whatever the importance") {
  torch::manual_seed(5);
  const auto a = torch::rand({2, 6, 5, 5}) * 3;
  const auto importance = torch::tensor({0.1f, 0.2f, 0.9f, 0.3f, 0.4f, 0.5f}); // 0 is least
  const auto in = prepare_input(a, QuantMode::CsqChannel0, {2, 4}, importance, 50.0);
  REQUIRE(in.omega.numel() == 1);
  CHECK(in.omega[0].item<std::int64_t>() == 0);
  const auto w = torch::tensor({0.5f, 0.5f});
  const auto m = mixed_activation(in, w);
  // Channels 1..5 are a's values bit for bit; channel 0 is quantized (a few levels).
  CHECK(torch::equal(m.slice(1, 1), a.slice(1, 1)));
  CHECK_FALSE(torch::equal(m.slice(1, 0, 1), a.slice(1, 0, 1)));
  CHECK(distinct(in.q[0]) <= 4); // 2 bits
  // The split convolution equals the convolution of the materialized activation.
  const auto k = torch::randn({4, 6, 3, 3});
  CHECK(torch::allclose(mixed_conv(in, w, k, 1, 1), torch::conv2d(m, k, {}, 1, 1), 1e-4, 1e-4));
  CHECK(is_csq(QuantMode::CsqChannel0));
  CHECK_FALSE(is_csq(QuantMode::Hard));
  CHECK(quant_mode_from_string("csq_channel0", "f") == QuantMode::CsqChannel0);
  CHECK(quant_mode_from_string("hard", "f") == QuantMode::Hard);
  CHECK(std::string(to_string(QuantMode::Hard)) == "hard");
  CHECK_THROWS_AS(quant_mode_from_string("soft", "quant.mode"), SpecError);
}
