#include "model/layer.hpp"

#include <map>

#include "model/error.hpp"
#include "model/network.hpp"

namespace brickyard::model {

const char* to_string(LayerType t) {
  switch (t) {
  case LayerType::Conv:
    return "conv";
  case LayerType::Depthwise:
    return "depthwise";
  case LayerType::Grouped:
    return "grouped";
  case LayerType::FullyConnected:
    return "fc";
  }
  return "?";
}

LayerType layer_type_from_string(const std::string& s, const std::string& field) {
  static const std::map<std::string, LayerType> kNames = {
      {"conv", LayerType::Conv},         {"depthwise", LayerType::Depthwise},
      {"dw", LayerType::Depthwise},      {"grouped", LayerType::Grouped},
      {"fc", LayerType::FullyConnected}, {"linear", LayerType::FullyConnected}};
  auto it = kNames.find(s);
  if (it == kNames.end())
    throw SpecError(field, "unknown layer type '" + s + "' (conv, depthwise, grouped, fc)");
  return it->second;
}

bool is_supported_bits(int bits) {
  return bits == 2 || bits == 4 || bits == 8;
}

namespace {
constexpr int kMaxChannels = 1 << 16;
constexpr int kMaxSpatial = 1 << 14;
constexpr int kMaxKernel = 31;
constexpr int kMaxBatch = 1024;

void check_range(const std::string& field, int v, int lo, int hi) {
  if (v < lo || v > hi)
    throw SpecError(field, "must be in " + std::to_string(lo) + ".." + std::to_string(hi) +
                               " (got " + std::to_string(v) + ")");
}
} // namespace

void validate(const Layer& l, const std::string& where) {
  auto f = [&](const char* name) { return where + name; };
  check_range(f("n"), l.n, 1, kMaxBatch);
  check_range(f("ic"), l.ic, 1, kMaxChannels);
  check_range(f("oc"), l.oc, 1, kMaxChannels);
  check_range(f("ih"), l.ih, 1, kMaxSpatial);
  check_range(f("iw"), l.iw, 1, kMaxSpatial);
  check_range(f("k"), l.k, 1, kMaxKernel);
  check_range(f("stride"), l.stride, 1, kMaxKernel);
  check_range(f("pad"), l.pad, 0, l.k - 1);
  check_range(f("groups"), l.groups, 1, kMaxChannels);
  if (!is_supported_bits(l.a_bits))
    throw SpecError(f("a_bits"), "must be 2, 4 or 8 (got " + std::to_string(l.a_bits) + ")");
  if (!is_supported_bits(l.w_bits))
    throw SpecError(f("w_bits"), "must be 2, 4 or 8 (got " + std::to_string(l.w_bits) + ")");
  if (l.ih + 2 * l.pad < l.k)
    throw SpecError(f("ih"), "input rows plus padding are smaller than the kernel");
  if (l.iw + 2 * l.pad < l.k)
    throw SpecError(f("iw"), "input columns plus padding are smaller than the kernel");
  if (l.ic % l.groups != 0) throw SpecError(f("groups"), "must divide ic=" + std::to_string(l.ic));
  if (l.oc % l.groups != 0) throw SpecError(f("groups"), "must divide oc=" + std::to_string(l.oc));
  switch (l.type) {
  case LayerType::Conv:
    if (l.groups != 1) throw SpecError(f("groups"), "a plain conv has groups=1; use type grouped");
    break;
  case LayerType::Depthwise:
    if (l.groups != l.ic)
      throw SpecError(f("groups"), "a depthwise conv needs groups == ic (got groups=" +
                                       std::to_string(l.groups) + ", ic=" + std::to_string(l.ic) +
                                       ")");
    break;
  case LayerType::Grouped:
    if (l.groups < 2) throw SpecError(f("groups"), "a grouped conv needs groups >= 2");
    break;
  case LayerType::FullyConnected:
    if (l.k != 1) throw SpecError(f("k"), "a fully connected layer has k=1");
    if (l.ih != 1 || l.iw != 1)
      throw SpecError(f("ih"), "a fully connected layer has ih=iw=1 (flatten the input into ic)");
    if (l.groups != 1) throw SpecError(f("groups"), "a fully connected layer has groups=1");
    break;
  }
}

void validate(const Network& net) {
  if (net.layers.empty()) throw SpecError("layers", "a network needs at least one layer");
  for (std::size_t i = 0; i < net.layers.size(); ++i)
    validate(net.layers[i], "layers[" + std::to_string(i) + "].");
}

} // namespace brickyard::model
