#pragma once
// The supernet search space (issue 7, item 3): an FBNet-style macro-architecture (stem,
// stages of blocks, optional 1x1 head, classifier) in which every block chooses one
// candidate op (FBNet inverted-residual k x k, expansion e, pointwise groups g, or skip)
// and every op chooses activation and weight bits. Plain structs, no LibTorch; JSON I/O
// rejects unknown keys with model::SpecError naming the field.
//
// JSON:
//   {"name": "small", "input": {"channels": 1, "size": 28}, "num_classes": 10,
//    "stem": {"channels": 16, "k": 3, "stride": 2},
//    "stages": [{"channels": 24, "stride": 2, "blocks": 1}, ...],   // stride of the first block
//    "head_channels": 0,                                               // 0 = no 1x1 head conv
//    "ops": ["k3_e1", "k3_e1_g2", "k3_e3", "k3_e6", "k5_e1", "k5_e1_g2", "k5_e3", "k5_e6", "skip"],
//    "a_bits": [2, 4, 8], "w_bits": [2, 4, 8]}
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace brickyard::search {

struct OpSpec {
  int k = 3;         // depthwise kernel
  int expansion = 1; // hidden channels = expansion x input channels
  int groups = 1;    // groups of the two pointwise convs
  bool skip = false; // identity; only offered where the block keeps its shape
  // A plain (dense) k x k conv, BN, ReLU instead of the inverted residual: the VGG/ResNet
  // kind of layer whose latency falls with its bits on a BitFusion array (a depthwise conv
  // leaves a WS/OS array idle whatever its bits, docs/estimator.md). Not an FBNet candidate;
  // for fixed networks (brickyard train/quantize, issue 10) and custom spaces.
  bool dense = false;

  std::string name() const; // "k3_e6", "k5_e1_g2", "skip", "conv_k3"
  bool operator==(const OpSpec& o) const {
    return k == o.k && expansion == o.expansion && groups == o.groups && skip == o.skip &&
           dense == o.dense;
  }
};
// "k<k>_e<e>[_g<g>]", "conv_k<k>" or "skip"; SpecError(field) otherwise.
OpSpec parse_op(const std::string& s, const std::string& field);

struct StageSpec {
  int channels = 16;
  int stride = 1; // of the stage's first block; the others have stride 1
  int blocks = 1;
};

struct SearchSpace {
  std::string name;
  int in_channels = 1;
  int input_size = 28; // square input
  int num_classes = 10;
  int stem_channels = 16;
  int stem_k = 3;
  int stem_stride = 2;
  std::vector<StageSpec> stages;
  int head_channels = 0;
  std::vector<OpSpec> ops;
  std::vector<int> a_bits{2, 4, 8};
  std::vector<int> w_bits{2, 4, 8};
};

// One searchable block, stages expanded.
struct BlockShape {
  int in_channels;
  int out_channels;
  int stride;
  int in_size;             // input rows = columns
  int out_size;            // output rows = columns
  std::vector<OpSpec> ops; // candidates (skip removed where the shape changes)
};
std::vector<BlockShape> blocks(const SearchSpace& s);
int stem_out_size(const SearchSpace& s);
// Output size of a k x k conv with padding k/2.
int conv_out_size(int in, int k, int stride);

// Throws SpecError naming the first bad field ("stages[2].channels", "ops[3]", ...).
void validate(const SearchSpace& s);

nlohmann::json to_json(const SearchSpace& s);
SearchSpace space_from_json(const nlohmann::json& j);

// Presets:
//   "small":   Fashion-MNIST 28x28x1, stem 16 at stride 2, 5 blocks of 24-64 channels, 6
//              candidates (k3_e1, k3_e1_g2, k3_e3, k5_e1, k5_e3, skip); sized for a CPU search
//              of a few minutes on 2 cores.
//   "fbnet22": the 22-block FBNet space of JAQ (FBNet-A macro-architecture, 9 candidate ops
//              incl. skip, bits {2,4,8}), CIFAR-shaped (32x32x3, 10 classes): stem and the
//              24-channel stage at stride 1 instead of 2, as usual for 32x32 inputs.
std::vector<std::string> preset_names();
SearchSpace preset_space(const std::string& name);
// A preset name or a JSON file path.
SearchSpace load_space(const std::string& name_or_path);

} // namespace brickyard::search
