#pragma once
// The quantized supernet (issue 7, item 3): every block of the SearchSpace holds all its
// candidate ops; the block output is sum_i g_i op_i(x) with Gumbel-softmax weights g of the
// op parameters alpha (Eq. 1), and each op mixes its bit candidates with the Gumbel weights
// of its own beta_a (activations) and beta_w (weights) (Eq. 5). Activation quantization
// follows SupernetOptions::mode: None, Full (Eq. 5) or Csq (Eq. 6-8, top K% channels by
// Gamma_j = sum_i alpha_i |gamma_ij|).
//
// Stem, 1x1 head and classifier are not searched: 8-bit weights and activations whenever
// quantization is on (the stem reads the image and the classifier a pooled vector, both
// tiny, so they are fully quantized; the head input follows the mode like a block input).
#include <cstdint>
#include <vector>

#include <torch/nn/module.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include "search/nn/csq.hpp"
#include "search/nn/space.hpp"

namespace brickyard::search {

struct SupernetOptions {
  QuantMode mode = QuantMode::Csq;
  double k_percent = 3.0; // CSQ: K of Eq. 8 (JAQ uses 3)
};

// How one op's convs quantize: the mode and the bit candidates of its activations and
// weights (one candidate each in a derived subnet).
struct QuantSetup {
  QuantMode mode = QuantMode::None;
  double k_percent = 3.0;
  std::vector<int> a_bits{8};
  std::vector<int> w_bits{8};
};

// The precision of one conv of a plain (derived) network: its input activation at a_bits
// (Eq. 2, per-tensor range of the batch) and its weights at w_bits (Eq. 2, per output
// channel); 0 leaves that operand in float. Mask-guided sensitivity (issue 10, OHQ MQE)
// quantizes one layer at a time with every other layer in float.
struct ConvBits {
  int a_bits = 8;
  int w_bits = 8;
  static ConvBits float_bits() { return {0, 0}; }
  bool operator==(const ConvBits& o) const { return a_bits == o.a_bits && w_bits == o.w_bits; }
};

// A bias-free k x k conv (padding k/2) with mixed-precision weights (Eq. 5).
class QConvImpl : public torch::nn::Module {
public:
  QConvImpl(int in_channels, int out_channels, int k, int stride, int groups);
  // wa, ww: Gumbel weights over setup.a_bits / setup.w_bits (ignored for one candidate).
  torch::Tensor forward(const QuantizedInput& x, const torch::Tensor& wa, const torch::Tensor& ww,
                        const QuantSetup& setup);
  // One precision (a derived network): the same values as the forward above with a
  // single bit candidate each (Full mode), or float operands where bits are 0.
  torch::Tensor forward(const torch::Tensor& x, ConvBits bits);
  int in_channels, out_channels, k, stride, groups;
  torch::Tensor weight; // out x in/groups x k x k
};
TORCH_MODULE(QConv);

// One candidate op. FBNet inverted residual: [1x1 group-g conv to e x C, BN, ReLU, channel
// shuffle if g > 1] (absent for e = 1, as in MobileNetV2), k x k depthwise stride s, BN,
// ReLU, 1x1 group-g conv, BN, + input if the shape is kept. Or skip (identity).
class OpImpl : public torch::nn::Module {
public:
  OpImpl(OpSpec spec, int in_channels, int out_channels, int stride);
  torch::Tensor forward(const QuantizedInput& x, const torch::Tensor& wa, const torch::Tensor& ww,
                        const QuantSetup& setup);
  // One precision per conv (a derived network): bits[0..num_convs()) for expand (if any),
  // depthwise, project; the same values as the forward above in Full mode.
  torch::Tensor forward(const torch::Tensor& x, const ConvBits* bits);
  int num_convs() const { return spec.skip ? 0 : spec.dense ? 1 : (expand ? 3 : 2); }
  // |gamma| of the last BN (Eq. 7-8); undefined for skip.
  torch::Tensor out_importance() const;
  OpSpec spec;
  int in_channels, out_channels, stride, hidden;
  QConv expand{nullptr}, depthwise{nullptr}, project{nullptr};
  torch::nn::BatchNorm2d bn_expand{nullptr}, bn_depthwise{nullptr}, bn_project{nullptr};
  QConv conv{nullptr}; // dense op: k x k conv, BN, ReLU
  torch::nn::BatchNorm2d bn_conv{nullptr};
};
TORCH_MODULE(Op);

// Gumbel weights of one forward pass, per block: ops [n], a [n x |a_bits|], w [n x |w_bits|].
struct ArchWeights {
  std::vector<torch::Tensor> ops, a, w;
  // Single path (hard sample): the one op per block whose weight is 1; forward computes
  // only it. Empty: every candidate is computed and weighted (Eq. 1).
  std::vector<int> path;
};

class SupernetImpl : public torch::nn::Module {
public:
  explicit SupernetImpl(SearchSpace space, SupernetOptions options = {});
  // Samples Gumbel weights at temperature tau (noise = false: softmax(theta / tau)).
  torch::Tensor forward(const torch::Tensor& x, double tau, bool noise = true);
  torch::Tensor forward(const torch::Tensor& x, const ArchWeights& w);
  ArchWeights sample(double tau, bool noise) const;
  // Hard Gumbel sample (GDAS, Dong & Yang 2019): one-hot op and bits per block, the argmax
  // of the Gumbel-softmax sample, with straight-through gradients to alpha and beta. The
  // forward then costs one candidate per block instead of all of them; the search uses it
  // for weight steps (SearchOptions::single_path_weights), where no gradient reaches the
  // architecture and the one-hot sample is what the weights are trained for.
  ArchWeights sample_path(double tau) const;
  // Eq. 8 channel importance of each block's input, then of the head input (blocks + 1
  // tensors): Gamma = |gamma| of the stem BN for block 0, then
  // Gamma_j = sum_i softmax(alpha)_i |gamma_ij| over the ops' last BNs, a skip op passing
  // its input's Gamma on. Detached.
  std::vector<torch::Tensor> importances() const;

  // Network weights (convs, BN, classifier) and architecture parameters (alpha, beta),
  // disjoint; together all parameters().
  std::vector<torch::Tensor> weight_parameters() const;
  std::vector<torch::Tensor> arch_parameters() const;

  const SearchSpace& space() const { return space_; }
  const std::vector<BlockShape>& shapes() const { return shapes_; }
  QuantSetup block_setup() const;
  QuantSetup fixed_setup() const; // stem, head, classifier: 8/8 bits

  SupernetOptions options;
  QConv stem{nullptr}, head{nullptr}, classifier{nullptr};
  torch::nn::BatchNorm2d stem_bn{nullptr}, head_bn{nullptr};
  torch::Tensor classifier_bias;
  std::vector<std::vector<Op>> ops;          // [block][candidate], as shapes()[b].ops
  std::vector<torch::Tensor> alpha;          // [block]: n
  std::vector<torch::Tensor> beta_a, beta_w; // [block]: n x |bits|

private:
  SearchSpace space_;
  std::vector<BlockShape> shapes_;
};
TORCH_MODULE(Supernet);

// Copies parameters and buffers of the same names (shapes must match).
void copy_state(const torch::nn::Module& from, torch::nn::Module& to);

} // namespace brickyard::search
