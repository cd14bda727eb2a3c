#pragma once
// The co-search's cost model trained offline, before any search (issue 17 item 4): the
// surrogate that gives the hardware term its gradient (hwgen.hpp, CostModel over the
// operator encoding, the soft accelerator encoding and the relaxed hardware features)
// fitted to
//  * exact estimator + BatchTile costs of random subnets of the search space (random ops
//    and bits) on random accelerators of the hardware space, and
//  * the calibration CSV's simulated points (the cycle-accurate simulator's cycles and
//    energy of each group's best simulated mapping), its training split in the fit and its
//    held-out split reported against the simulator.
// Held out: a share of the (subnet, accelerator) samples, on which the report gives the
// per-layer and per-network errors, the rank correlation of network costs, and the
// surrogate disagreement of one-head moves (the co-search's own check, HwCost) next to the
// same check for the online surrogate the co-search used before (warm-up only).
#include <cstdint>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "search/cosearch/cosearch.hpp"

namespace brickyard::search {

struct CostModelOptions {
  int samples = 3000;   // random (subnet, accelerator) pairs
  double holdout = 0.2; // share of them held out
  int steps = 8000;     // Adam steps, batch 256
  int hidden = 128;     // hidden units of the two hidden layers
  double lr = 2e-3;     // cosine-decayed to 0
  std::uint64_t seed = 1;
  std::string calibration_csv; // simulated points ("" = none)
  int threads = 0;             // BatchTile threads (0: hardware threads)
  bool progress = true;
};

// Trains, writes `out_path` (the model, atomically) and a JSON report beside it (same name,
// .json); returns the report. `cfg` gives the search space, the hardware space, tech,
// calibration and the cost weights (the mapper's objective).
nlohmann::json train_cost_model(const CosearchConfig& cfg, const CostModelOptions& options,
                                const std::string& out_path);

} // namespace brickyard::search
