#pragma once
// Per-layer accuracy sensitivity without labels (issue 10 item 2): OHQ's mask-guided
// quantization estimation (MQE, seeds/ohq-abstract.txt) on a calibration batch X. Layer l
// at precision p = (a_bits, w_bits) costs
//   s[l][p] = 1/|X| sum_{x in X} KL( softmax(f(x)) || softmax(f_{l <- p}(x)) ),
// where f is the network with every layer in float and f_{l <- p} the same network with
// only layer l quantized to p (the mask keeps all other layers at full precision); the
// quantizers are JAQ Eq. 2 (activations per tensor, weights per output channel).
// Spearman's rank correlation of two batches' tables measures how stable the ranking is.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <torch/types.h>

#include "search/nn/derive.hpp"
#include "search/nn/stats.hpp" // spearman, for the sensitivity check
#include "search/quantize/cost_table.hpp"

namespace brickyard::search {

struct SensitivityOptions {
  std::function<void(const std::string&)> progress; // one line per layer (none if empty)
  std::string tag = "sensitivity";
};

// [layer][pair] in net.layers() order; eval mode, no gradients; the net's layer bits are
// restored afterwards. Values are >= 0 (rounding below 0 is clamped).
std::vector<std::vector<double>> kl_sensitivity(SubnetImpl& net, const torch::Tensor& images,
                                                const std::vector<BitPair>& pairs,
                                                const SensitivityOptions& options = {});

} // namespace brickyard::search
