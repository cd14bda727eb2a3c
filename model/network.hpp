#pragma once
#include <string>
#include <vector>

#include "model/layer.hpp"

namespace brickyard::model {

struct Network {
  std::string name;
  std::vector<Layer> layers;
};

void validate(const Network& net);

} // namespace brickyard::model
