#pragma once
// One CNN layer at inference (batch n, usually 1). Conv, depthwise, grouped and fully
// connected layers share one struct; `type` records the user's intent and validate()
// checks it is consistent with the shape.
#include <cstdint>
#include <string>

namespace brickyard::model {

enum class LayerType { Conv, Depthwise, Grouped, FullyConnected };

const char* to_string(LayerType t);
LayerType layer_type_from_string(const std::string& s, const std::string& field);

struct Layer {
  std::string name;
  LayerType type = LayerType::Conv;
  int n = 1;  // batch
  int ic = 1; // input channels (all groups)
  int oc = 1; // output channels (all groups)
  int ih = 1; // input rows
  int iw = 1; // input columns
  int k = 1;  // square kernel
  int stride = 1;
  int pad = 0;    // symmetric zero padding
  int groups = 1; // ic and oc are split into `groups` independent convolutions
  int a_bits = 8; // activation precision, one of {2,4,8}
  int w_bits = 8; // weight precision, one of {2,4,8}

  int oh() const { return (ih + 2 * pad - k) / stride + 1; }
  int ow() const { return (iw + 2 * pad - k) / stride + 1; }
  int icg() const { return ic / groups; } // input channels per group
  int ocg() const { return oc / groups; } // output channels per group
  std::int64_t macs() const {
    return std::int64_t(n) * oh() * ow() * oc * std::int64_t(icg()) * k * k;
  }
  std::int64_t weight_count() const { return std::int64_t(oc) * icg() * k * k; }
};

// Throws SpecError naming the first offending field. `where` prefixes field names
// (for example "layers[3].") so messages point into the user's file.
void validate(const Layer& l, const std::string& where = "");

bool is_supported_bits(int bits);

// BitFusion precision scaling: a fusion unit of 16 2-bit BitBricks does
// floor(8/max(a,2)) * floor(8/max(w,2)) MACs per cycle (BitFusion, ISCA'18, Sec. III).
inline int macs_per_fusion_unit(int a_bits, int w_bits) {
  auto lanes = [](int b) { return 8 / (b < 2 ? 2 : b); };
  return lanes(a_bits) * lanes(w_bits);
}

} // namespace brickyard::model
