#include "search/nn/csq.hpp"

#include <algorithm>
#include <cmath>
#include <tuple>

#include "model/error.hpp"

namespace brickyard::search {

using model::SpecError;

const char* to_string(QuantMode m) {
  switch (m) {
  case QuantMode::None:
    return "none";
  case QuantMode::Full:
    return "full";
  case QuantMode::Csq:
    return "csq";
  case QuantMode::Hard:
    return "hard";
  case QuantMode::CsqChannel0:
    return "csq_channel0";
  }
  return "?";
}

QuantMode quant_mode_from_string(const std::string& s, const std::string& field) {
  if (s == "none") return QuantMode::None;
  if (s == "full") return QuantMode::Full;
  if (s == "csq") return QuantMode::Csq;
  if (s == "hard") return QuantMode::Hard;
  if (s == "csq_channel0") return QuantMode::CsqChannel0;
  throw SpecError(field,
                  "unknown quantization mode '" + s + "' (none, full, csq, hard, csq_channel0)");
}

torch::Tensor gumbel_weights(const torch::Tensor& logits, double tau, bool noise) {
  if (!(tau > 0)) throw SpecError("tau", "temperature must be > 0");
  if (!noise) return torch::softmax(logits / tau, -1);
  // u in (0, 1): the clamp keeps both logs finite.
  const auto u = torch::rand_like(logits).clamp_(1e-10, 1.0 - 1e-7);
  const auto g = -torch::log(-torch::log(u));
  return torch::softmax((logits + g) / tau, -1);
}

std::int64_t csq_count(std::int64_t channels, double k_percent) {
  if (!(k_percent > 0.0 && k_percent <= 100.0))
    throw SpecError("k_percent", "must be in (0, 100] (got " + std::to_string(k_percent) + ")");
  // The 1e-9 keeps exact products (3% of 100) from rounding up to the next integer.
  const auto n = static_cast<std::int64_t>(std::ceil(k_percent * channels / 100.0 - 1e-9));
  return std::clamp<std::int64_t>(n, 1, std::max<std::int64_t>(channels, 1));
}

torch::Tensor top_channels(const torch::Tensor& importance, double k_percent) {
  const auto gamma = importance.detach().reshape({-1});
  const auto n = csq_count(gamma.size(0), k_percent);
  // Stable descending sort: ties keep ascending channel order.
  const auto order = std::get<1>(gamma.sort(/*stable=*/true, /*dim=*/0, /*descending=*/true));
  return std::get<0>(order.slice(0, 0, n).sort());
}

QuantizedInput prepare_input(const torch::Tensor& a, QuantMode mode, const std::vector<int>& bits,
                             const torch::Tensor& importance, double k_percent) {
  QuantizedInput in;
  in.a = a;
  in.mode = mode;
  if (mode == QuantMode::None) return in;
  torch::Tensor part = a;
  if (mode == QuantMode::Csq) {
    if (!importance.defined() || importance.numel() != a.size(1))
      throw std::invalid_argument("prepare_input: CSQ needs one importance value per channel");
    in.omega = top_channels(importance, k_percent);
    in.a_sel = a.index_select(1, in.omega);
    part = in.a_sel;
  } else if (mode == QuantMode::CsqChannel0) {
    in.omega = torch::zeros({1}, torch::kInt64);
    in.a_sel = a.index_select(1, in.omega);
    part = in.a_sel;
  }
  for (int b : bits) in.q.push_back(quantize(part, b));
  return in;
}

torch::Tensor mix(const std::vector<torch::Tensor>& q, const torch::Tensor& weights) {
  if (q.size() == 1) return q[0];
  // Eq. 5: one product per candidate; the sum saves nothing, the products save q_b (shared
  // by every op reading this activation) and the scalar weight.
  torch::Tensor acc = q[0] * weights[0];
  for (std::size_t b = 1; b < q.size(); ++b) acc = acc + q[b] * weights[static_cast<long>(b)];
  return acc;
}

torch::Tensor mixed_activation(const QuantizedInput& in, const torch::Tensor& weights) {
  switch (in.mode) {
  case QuantMode::None:
    return in.a;
  case QuantMode::Full:
  case QuantMode::Hard:
    return mix(in.q, weights);
  case QuantMode::Csq:
  case QuantMode::CsqChannel0:
    // Eq. 6: quantized channels Omega, concatenated (scattered back in place) with the float
    // channels 1 - Omega.
    return in.a.index_copy(1, in.omega, mix(in.q, weights));
  }
  return in.a;
}

namespace {

// conv(D, W restricted to the input channels Omega): the CSQ correction term, computed
// on the K% channels only. D: N x |Omega| x H x W, w: OC x IC/groups x k x k.
torch::Tensor csq_correction(const torch::Tensor& y, const torch::Tensor& d,
                             const torch::Tensor& omega, const torch::Tensor& w,
                             std::int64_t stride, std::int64_t groups) {
  const auto pad = w.size(2) / 2;
  const auto oc = w.size(0);
  const auto icg = w.size(1);
  const auto ocg = oc / groups;
  if (groups == 1) return y + torch::conv2d(d, w.index_select(1, omega), {}, stride, pad);
  if (icg == 1 && ocg == 1) {
    // Depthwise: only the output channels Omega change.
    const auto wd = w.index_select(0, omega);
    const auto n = omega.size(0);
    return y.index_add(1, omega, torch::conv2d(d, wd, {}, stride, pad, 1, n));
  }
  // Grouped: per group, the selected inputs of that group feed its output channels.
  const auto om = omega.contiguous();
  const auto* idx = om.data_ptr<std::int64_t>();
  torch::Tensor out = y;
  for (std::int64_t g = 0; g < groups; ++g) {
    std::vector<std::int64_t> pos, local;
    for (std::int64_t i = 0; i < om.size(0); ++i)
      if (idx[i] / icg == g) {
        pos.push_back(i);
        local.push_back(idx[i] - g * icg);
      }
    if (pos.empty()) continue;
    const auto dg = d.index_select(1, torch::tensor(pos, torch::kInt64));
    const auto wg =
        w.slice(0, g * ocg, (g + 1) * ocg).index_select(1, torch::tensor(local, torch::kInt64));
    out = out.index_add(1, torch::arange(g * ocg, (g + 1) * ocg, torch::kInt64),
                        torch::conv2d(dg, wg, {}, stride, pad));
  }
  return out;
}

} // namespace

torch::Tensor mixed_conv(const QuantizedInput& in, const torch::Tensor& weights,
                         const torch::Tensor& w, std::int64_t stride, std::int64_t groups) {
  const auto pad = w.size(2) / 2;
  if (!is_csq(in.mode))
    return torch::conv2d(mixed_activation(in, weights), w, {}, stride, pad, 1, groups);
  // Eq. 6 by linearity: conv(A ⊕ M) = conv(A) + conv(M - A[Omega]) on the Omega channels.
  const auto d = mix(in.q, weights) - in.a_sel;
  const auto y = torch::conv2d(in.a, w, {}, stride, pad, 1, groups);
  return csq_correction(y, d, in.omega, w, stride, groups);
}

torch::Tensor mixed_weight(const torch::Tensor& w, const std::vector<int>& bits,
                           const torch::Tensor& weights) {
  std::vector<torch::Tensor> q;
  q.reserve(bits.size());
  for (int b : bits) q.push_back(quantize(w, b, QuantRange::PerChannel));
  return mix(q, weights);
}

} // namespace brickyard::search
