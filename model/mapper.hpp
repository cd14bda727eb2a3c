#pragma once
// BatchTile mapper (JAQ Sec. "Compiler Mapping Search: BatchTile"): every power-of-two
// tile size per dimension plus the full extent, times every loop order, scored as one
// struct-of-arrays batch; returns the best mapping under an objective.
#include <cstdint>
#include <vector>

#include "model/estimator.hpp"
#include "model/network.hpp"

namespace brickyard::model {

enum class Objective { Latency, Energy, Edp, Cost };
const char* to_string(Objective o);
Objective objective_from_string(const std::string& s, const std::string& field);

// Weights of the "cost" objective: lE*E/E_ref + lL*L/L_ref (the JAQ hardware loss with
// area constant for a fixed accelerator). References are the layer's ideal values.
struct CostWeights {
  double energy = 0.5;
  double latency = 0.5;
};

struct MapperOptions {
  Objective objective = Objective::Latency;
  CostWeights weights{};
  int threads = 0; // 0: one per hardware thread (network mapping only)
};

struct MapResult {
  bool feasible = false;
  Mapping mapping;
  Cost cost;                  // full estimate() of the best mapping
  std::int64_t evaluated = 0; // candidates scored
  std::int64_t feasible_count = 0;
  double seconds = 0;
};

MapResult map_layer(const Layer& layer, const Accelerator& accel, const Tech& tech,
                    const Calibration& cal = {}, const MapperOptions& opt = {});

// Layers are mapped in parallel on opt.threads threads; results are in layer order.
std::vector<MapResult> map_network(const Network& net, const Accelerator& accel, const Tech& tech,
                                   const Calibration& cal = {}, const MapperOptions& opt = {});

// Scalar objective value of a cost (lower is better); used by the mapper and tests.
double objective_value(const Cost& c, const Layer& l, const Accelerator& a,
                       const MapperOptions& opt);

} // namespace brickyard::model
