#pragma once
// A mapping of one layer onto the accelerator: tile sizes for the five tiled
// dimensions and the order of the tile loops (outermost first). The dataflow fixes
// which dimensions the array unrolls spatially inside a tile (see docs/estimator.md).
// For grouped/depthwise layers `ic` and `oc` tile the per-group channels; groups run
// one after another in an implicit outermost loop.
#include <array>
#include <string>

namespace brickyard::model {

struct Layer;

enum class Dim { N = 0, OW = 1, OH = 2, IC = 3, OC = 4 };
inline constexpr int kNumDims = 5;
inline constexpr std::array<Dim, kNumDims> kAllDims = {Dim::N, Dim::OW, Dim::OH, Dim::IC, Dim::OC};
const char* to_string(Dim d);
Dim dim_from_string(const std::string& s, const std::string& field);

struct Mapping {
  std::array<int, kNumDims> tile = {1, 1, 1, 1, 1}; // indexed by Dim
  std::array<Dim, kNumDims> order = kAllDims;       // outermost loop first

  int& operator[](Dim d) { return tile[static_cast<int>(d)]; }
  int operator[](Dim d) const { return tile[static_cast<int>(d)]; }
};

// Full extent of each tiled dimension for a layer (per-group ic/oc).
std::array<int, kNumDims> extents(const Layer& l);

// Checks tile sizes are within 1..extent and order is a permutation.
void validate(const Mapping& m, const Layer& l, const std::string& where = "");

std::string to_string(const Mapping& m); // "n1 ow7 oh7 ic16 oc16 | oc>ic>oh>ow>n"

} // namespace brickyard::model
