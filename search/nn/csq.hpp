#pragma once
// Mixed precision (JAQ Eq. 5) and channel-wise sparse quantization (CSQ, Eq. 6-8) of the
// activations read by a convolution, plus the Gumbel-softmax weights of Eq. 1.
//
// Memory is the point of CSQ. Full mixed precision (Eq. 5) keeps, per activation, one
// quantized copy Q_b(A) per bit candidate in the autograd graph (plus the STE masks) and,
// per candidate op, the mixed activation sum_b beta_b Q_b(A) that its conv saves. CSQ
// (Eq. 6) quantizes only the channels Omega (top K% by importance, Eq. 8): the copies are
// Q_b(A[Omega]), K% of the size. To keep the saving real the conv is split by linearity,
//   conv(A~) = conv(A) + conv(D, W[:, Omega]),  D = sum_b beta_b Q_b(A[Omega]) - A[Omega],
// so the full-size float A (saved anyway by the float network) is the only full-size input
// the conv keeps, and no full-size mixed copy A~ is ever built.
#include <cstdint>
#include <string>
#include <vector>

#include <torch/types.h>

#include "search/nn/quantizer.hpp"

namespace brickyard::search {

enum class QuantMode {
  None, // float search (no quantization at all)
  Full, // Eq. 5: every channel quantized at every bit candidate
  Csq,  // Eq. 6: only the top K% channels quantized, the rest float
  // Ablations of JAQ Table 7:
  Hard,        // Full, but every sample activates one bit width (hard Gumbel-softmax with a
               // straight-through gradient, Auto-NBA's heterogeneous sampling)
  CsqChannel0, // CSQ on a fixed channel: only channel 0 of each activation quantized
};
// Csq or CsqChannel0: a channel subset is quantized, the rest is float.
inline bool is_csq(QuantMode m) {
  return m == QuantMode::Csq || m == QuantMode::CsqChannel0;
}
const char* to_string(QuantMode m);
QuantMode quant_mode_from_string(const std::string& s, const std::string& field);

// Eq. 1: softmax((logits + g) / tau) over the last dim, g ~ Gumbel(0, 1) = -log(-log(u)),
// u ~ U(0, 1) (the paper prints eps ~ U(0, 1); Jang et al.'s Gumbel-softmax draws g as
// here). noise = false: softmax(logits / tau). Differentiable in logits.
torch::Tensor gumbel_weights(const torch::Tensor& logits, double tau, bool noise = true);

// Eq. 8: ceil(K% x C) channels are quantized (at least one, at most C); K in (0, 100].
std::int64_t csq_count(std::int64_t channels, double k_percent);
// Eq. 8, TopKChannelToQuantize: ascending int64 indices of the csq_count(C, K) channels of
// largest importance Gamma (1-D, length C; ties: lower index first).
torch::Tensor top_channels(const torch::Tensor& importance, double k_percent);

// An activation prepared once for every conv that reads it (all candidate ops of a block
// read the same block input): the quantized copies per bit candidate are shared.
struct QuantizedInput {
  torch::Tensor a; // float activation N x C x H x W
  QuantMode mode = QuantMode::None;
  torch::Tensor omega;          // Csq: quantized channels, ascending
  torch::Tensor a_sel;          // Csq: a[:, omega]
  std::vector<torch::Tensor> q; // Full: Q_b(a); Csq: Q_b(a[:, omega]); one per bit candidate
};

// Quantizes `a` (per-tensor range of the quantized part, Eq. 2) at each of `bits`. Csq
// needs `importance` (length C); Full and None ignore it.
QuantizedInput prepare_input(const torch::Tensor& a, QuantMode mode, const std::vector<int>& bits,
                             const torch::Tensor& importance = {}, double k_percent = 3.0);

// sum_b w_b q_b (Eq. 5); a single candidate returns q_0 itself (weight ignored).
torch::Tensor mix(const std::vector<torch::Tensor>& q, const torch::Tensor& weights);

// The mixed activation A~ materialized: Eq. 5 (Full), Eq. 6 (Csq: the channels outside
// omega are a's values, bit for bit), a itself (None). The reference for mixed_conv().
torch::Tensor mixed_activation(const QuantizedInput& in, const torch::Tensor& weights);

// conv2d(A~, w) with padding k/2, without materializing A~ under Csq (see above). `w` is
// the (already mixed-precision) weight, `weights` the Gumbel weights over the bit
// candidates of the activation.
torch::Tensor mixed_conv(const QuantizedInput& in, const torch::Tensor& weights,
                         const torch::Tensor& w, std::int64_t stride, std::int64_t groups);

// Eq. 5 for weights: sum_b w_b Q_b(W) with per-output-channel ranges.
torch::Tensor mixed_weight(const torch::Tensor& w, const std::vector<int>& bits,
                           const torch::Tensor& weights);

} // namespace brickyard::search
