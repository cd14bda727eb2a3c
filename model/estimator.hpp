#pragma once
// The analytic energy/latency/area estimator (formulas in docs/estimator.md).
#include "model/accelerator.hpp"
#include "model/calibration.hpp"
#include "model/cost.hpp"
#include "model/layer.hpp"
#include "model/mapping.hpp"
#include "model/tech.hpp"

namespace brickyard::model {

// Cost of running `layer` on `accel` with `mapping`. Never throws for an infeasible
// mapping: it returns Cost{feasible=false, infeasible_reason=...}.
Cost estimate(const Layer& layer, const Accelerator& accel, const Mapping& mapping,
              const Tech& tech, const Calibration& cal = {});

// Chip area (PE array + three buffers), mm^2.
double area_mm2(const Accelerator& accel, const Tech& tech);

// Peak MACs per cycle of the whole array at the layer's precision.
inline std::int64_t peak_macs_per_cycle(const Layer& l, const Accelerator& a) {
  return std::int64_t(a.fusion_units()) * macs_per_fusion_unit(l.a_bits, l.w_bits);
}

} // namespace brickyard::model
