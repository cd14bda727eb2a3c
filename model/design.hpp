#pragma once
// design.json (docs/design.md, "Files a user sees"): the network, the accelerator and
// one mapping per layer, plus whatever costs and accuracy the tool that wrote it adds.
// Input of `simulate --design` and `export-rtl`.
#include <string>
#include <vector>

#include "model/accelerator.hpp"
#include "model/mapping.hpp"
#include "model/network.hpp"

namespace brickyard::model {

struct Design {
  Network network;
  Accelerator accelerator;
  std::vector<Mapping> mappings; // empty if the file has none, else one per layer
};

// Throws SpecError("design", "in '<path>': <field>: ...") naming what is wrong.
Design load_design(const std::string& path);

} // namespace brickyard::model
