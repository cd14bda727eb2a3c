#include "model/error.hpp"
#include "search/nn/quantizer.hpp"

// After the torch headers: glog (via c10) defines CHECK too; Catch2's must win.
#include <catch2/catch.hpp>

using namespace brickyard::search;
using brickyard::model::SpecError;

namespace {
std::int64_t distinct(const torch::Tensor& t) {
  return std::get<0>(torch::_unique(t.flatten())).numel();
}
} // namespace

TEST_CASE("search: quantizer has exactly 2^b levels on a dense ramp, never more") {
  const int bits = GENERATE(2, 4, 8);
  const auto ramp = torch::linspace(-1.3, 2.7, 20001);
  const auto q = quantize(ramp, bits);
  CHECK(distinct(q) == (std::int64_t{1} << bits));
  // Levels are lo + k*s, k = 0..2^b-1.
  const double s = 4.0 / ((1 << bits) - 1);
  const auto k = (q - (-1.3)) / s;
  CHECK(torch::allclose(k, torch::round(k), 0.0, 1e-3));

  torch::manual_seed(7);
  for (int trial = 0; trial < 5; ++trial) {
    const auto r = torch::randn({4000}) * (trial + 1) + trial;
    CHECK(distinct(quantize(r, bits)) <= (std::int64_t{1} << bits));
  }
}

TEST_CASE("search: quantizer maps min and max to themselves and is idempotent") {
  const int bits = GENERATE(2, 4, 8);
  torch::manual_seed(11);
  const auto x = torch::randn({64, 33}) * 3.1 + 0.7;
  const auto q = quantize(x, bits);
  CHECK(q.min().item<float>() == x.min().item<float>());
  CHECK(q.max().item<float>() == x.max().item<float>());
  CHECK(torch::equal(quantize(q, bits), q));
  // Error at most half a step.
  const double s = (x.max() - x.min()).item<double>() / ((1 << bits) - 1);
  CHECK((q - x).abs().max().item<double>() <= 0.5 * s * (1 + 1e-5));
  // Constant tensor (s = 0) is returned unchanged.
  const auto c = torch::full({10}, 0.25);
  CHECK(torch::equal(quantize(c, bits), c));
}

TEST_CASE("search: quantizer passes gradients straight through") {
  const int bits = GENERATE(2, 4, 8);
  SECTION("range from the tensor: gradient 1 everywhere") {
    torch::manual_seed(3);
    auto x = torch::randn({200}).requires_grad_(true);
    quantize(x, bits).sum().backward();
    CHECK(torch::equal(x.grad(), torch::ones_like(x)));
  }
  SECTION("clipping range: gradient 1 inside [min, max], 0 outside") {
    auto x = torch::linspace(-1.0, 1.0, 201).requires_grad_(true);
    const auto lo = torch::tensor(-0.5), hi = torch::tensor(0.5);
    const auto q = quantize(x, bits, lo, hi);
    q.sum().backward();
    const auto xd = x.detach();
    const auto inside = (xd >= -0.5) & (xd <= 0.5);
    CHECK(torch::equal(x.grad(), inside.to(torch::kFloat32)));
    CHECK(q.min().item<float>() == -0.5f);
    CHECK(q.max().item<float>() == 0.5f);
  }
}

TEST_CASE("search: quantizer per-channel ranges") {
  const int bits = GENERATE(2, 4, 8);
  torch::manual_seed(5);
  // Channels with very different magnitudes, as in a conv weight [oc, ic, kh, kw].
  auto w = torch::randn({6, 3, 3, 3});
  for (int c = 0; c < 6; ++c) w[c].mul_(std::pow(10.0, c - 3));
  const auto qc = quantize(w, bits, QuantRange::PerChannel);
  const auto qt = quantize(w, bits, QuantRange::PerTensor);
  for (int c = 0; c < 6; ++c) {
    INFO("channel " << c);
    CHECK(distinct(qc[c]) <= (std::int64_t{1} << bits));
    CHECK(qc[c].min().item<float>() == w[c].min().item<float>());
    CHECK(qc[c].max().item<float>() == w[c].max().item<float>());
    CHECK(torch::equal(qc[c], quantize(w[c], bits)));
  }
  // The smallest channel keeps resolution per channel, collapses per tensor.
  CHECK(distinct(qc[0]) > distinct(qt[0]));
}

TEST_CASE("search: quantizer rejects bits other than 2, 4, 8") {
  const int bits = GENERATE(0, 1, 3, 5, 16, 32, -2);
  const auto x = torch::randn({4});
  try {
    quantize(x, bits);
    FAIL("no SpecError for bits " << bits);
  } catch (const SpecError& e) {
    CHECK(e.field() == "bits");
  }
  CHECK_THROWS_AS(Quantizer(QuantizerOptions(bits)), SpecError);
  CHECK_THROWS_AS(quantize(x, 4, torch::tensor(1.0), torch::tensor(0.0)), SpecError);
}

TEST_CASE("search: Quantizer module tracks an EMA range in training, uses it in eval") {
  Quantizer q(QuantizerOptions(4).momentum(0.5));
  q->train();
  q(torch::tensor({-1.0f, 1.0f}));
  CHECK(q->running_min.item<float>() == -1.0f);
  CHECK(q->running_max.item<float>() == 1.0f);
  q(torch::tensor({-3.0f, 3.0f}));
  CHECK(q->running_min.item<float>() == -2.0f);
  CHECK(q->running_max.item<float>() == 2.0f);
  CHECK(q->num_batches_tracked.item<std::int64_t>() == 2);

  q->eval();
  const auto y = q(torch::tensor({-5.0f, 0.1f, 5.0f}));
  CHECK(y[0].item<float>() == -2.0f); // clipped to the EMA range
  CHECK(y[2].item<float>() == 2.0f);
  CHECK(q->num_batches_tracked.item<std::int64_t>() == 2); // eval does not update
  CHECK(distinct(q(torch::linspace(-4, 4, 1000))) == 16);
}
