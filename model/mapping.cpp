#include "model/mapping.hpp"

#include "model/error.hpp"
#include "model/layer.hpp"

namespace brickyard::model {

const char* to_string(Dim d) {
  switch (d) {
  case Dim::N:
    return "n";
  case Dim::OW:
    return "ow";
  case Dim::OH:
    return "oh";
  case Dim::IC:
    return "ic";
  case Dim::OC:
    return "oc";
  }
  return "?";
}

Dim dim_from_string(const std::string& s, const std::string& field) {
  for (Dim d : kAllDims)
    if (s == to_string(d)) return d;
  throw SpecError(field, "unknown dimension '" + s + "' (n, ow, oh, ic, oc)");
}

std::array<int, kNumDims> extents(const Layer& l) {
  return {l.n, l.ow(), l.oh(), l.icg(), l.ocg()};
}

void validate(const Mapping& m, const Layer& l, const std::string& where) {
  auto ext = extents(l);
  for (Dim d : kAllDims) {
    int t = m[d];
    int e = ext[static_cast<int>(d)];
    if (t < 1 || t > e)
      throw SpecError(where + "tile." + to_string(d),
                      "must be in 1.." + std::to_string(e) + " (got " + std::to_string(t) + ")");
  }
  std::array<bool, kNumDims> seen{};
  for (Dim d : m.order) {
    int i = static_cast<int>(d);
    if (i < 0 || i >= kNumDims || seen[i])
      throw SpecError(where + "order", "must list each of n, ow, oh, ic, oc exactly once");
    seen[i] = true;
  }
}

std::string to_string(const Mapping& m) {
  std::string s;
  for (Dim d : kAllDims) s += std::string(to_string(d)) + std::to_string(m[d]) + " ";
  s += "|";
  for (int i = 0; i < kNumDims; ++i) s += (i ? ">" : " ") + std::string(to_string(m.order[i]));
  return s;
}

} // namespace brickyard::model
