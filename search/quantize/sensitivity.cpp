#include "search/quantize/sensitivity.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <stdexcept>

#include <torch/nn/functional/activation.h>

namespace brickyard::search {

std::vector<std::vector<double>> kl_sensitivity(SubnetImpl& net, const torch::Tensor& images,
                                                const std::vector<BitPair>& pairs,
                                                const SensitivityOptions& o) {
  torch::NoGradGuard no_grad;
  const bool was_training = net.is_training();
  net.eval();
  const std::vector<ConvBits> saved = net.layer_bits();
  const std::size_t L = saved.size();
  std::vector<ConvBits> bits(L, ConvBits::float_bits());
  net.set_layer_bits(bits);
  const auto log_p = torch::log_softmax(net.forward(images), 1);
  const auto p = log_p.exp();
  std::vector<std::vector<double>> s(L, std::vector<double>(pairs.size(), 0.0));
  const auto t0 = std::chrono::steady_clock::now();
  const auto names = net.layers();
  try {
    for (std::size_t l = 0; l < L; ++l) {
      for (std::size_t j = 0; j < pairs.size(); ++j) {
        bits[l] = {pairs[j].a_bits, pairs[j].w_bits}; // the mask: only layer l quantized
        net.set_layer_bits(bits);
        const auto log_q = torch::log_softmax(net.forward(images), 1);
        const double kl = (p * (log_p - log_q)).sum(1).mean().item<double>();
        s[l][j] = std::max(0.0, kl);
      }
      bits[l] = ConvBits::float_bits();
      if (o.progress) {
        const double el =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        char line[256];
        std::snprintf(line, sizeof line, "%s: layer %zu/%zu %s | %.1f s elapsed, ETA %.1f s",
                      o.tag.c_str(), l + 1, L, names[l].name.c_str(), el,
                      el / double(l + 1) * double(L - l - 1));
        o.progress(line);
      }
    }
  } catch (...) {
    net.set_layer_bits(saved);
    net.train(was_training);
    throw;
  }
  net.set_layer_bits(saved);
  net.train(was_training);
  return s;
}

} // namespace brickyard::search
