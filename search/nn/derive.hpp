#pragma once
// Subnet derivation (issue 7, item 5): argmax of alpha picks each block's op, argmax of that
// op's beta rows its activation and weight bits. The Subnet is a plain quantized network
// (one op per block, one bit width per op, every channel quantized; no Gumbel weights, no
// candidates) that inherits the supernet's weights; layers() describes each of its convs
// as a model::Layer for the estimator (depthwise as groups = channels; skip blocks add
// no layer; the classifier is a fully connected layer).
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include "model/network.hpp"
#include "search/nn/supernet.hpp"

namespace brickyard::search {

// Per block: index into blocks(space)[b].ops, and the bits of that op.
struct ArchChoice {
  std::vector<int> op;
  std::vector<int> a_bits;
  std::vector<int> w_bits;
};

ArchChoice argmax_choice(const SupernetImpl& net);
// `c` with uniform bits everywhere (its uniform 8-bit baseline, say).
ArchChoice with_bits(ArchChoice c, int bits);
// One-hot weights selecting `c` in the supernet (its forward then computes the subnet).
ArchWeights one_hot(const SupernetImpl& net, const ArchChoice& c);
nlohmann::json to_json(const SearchSpace& s, const ArchChoice& c);
// Inverse of to_json: [{"op": name, "a_bits": b, "w_bits": b}] per block; SpecError naming
// "<field>[b].op" etc.
ArchChoice choice_from_json(const SearchSpace& s, const nlohmann::json& j,
                            const std::string& field);

// Convs of the derived network in execution order, batch n; names "stem", "b3.k5_e6.expand",
// "b3.k5_e6.depthwise", "b3.k5_e6.project", "head", "fc". Stem, head and fc are 8/8 bits.
std::vector<model::Layer> describe(const SearchSpace& s, const ArchChoice& c, int n = 1);
model::Network to_network(const SearchSpace& s, const ArchChoice& c, int n = 1);

class SubnetImpl : public torch::nn::Module {
public:
  // Copies the chosen ops' weights and BN statistics from `from`.
  SubnetImpl(const SupernetImpl& from, ArchChoice choice);
  torch::Tensor forward(const torch::Tensor& x);
  // Layers at the choice's bits (describe()); layer_bits() is what forward() computes with.
  std::vector<model::Layer> layers(int n = 1) const { return describe(space_, choice_, n); }
  const ArchChoice& choice() const { return choice_; }
  const SearchSpace& space() const { return space_; }

  // Per-layer precision, one entry per layers() entry in the same order (issue 10: an
  // allocation may give every conv its own bits, and {0, 0} runs a conv in float). Starts
  // at the choice's bits (stem, head and fc at 8/8). Bits must be 0, 2, 4 or 8.
  const std::vector<ConvBits>& layer_bits() const { return bits_; }
  void set_layer_bits(std::vector<ConvBits> bits);

  QConv stem{nullptr}, head{nullptr}, classifier{nullptr};
  torch::nn::BatchNorm2d stem_bn{nullptr}, head_bn{nullptr};
  torch::Tensor classifier_bias;
  std::vector<Op> ops; // one per block; skip blocks hold a skip Op (no parameters)

private:
  SearchSpace space_;
  ArchChoice choice_;
  std::vector<ConvBits> bits_;
};
TORCH_MODULE(Subnet);

} // namespace brickyard::search
