#pragma once
// `brickyard cosearch --sweep L1,L2,...` (issue 8 item 5): one co-search per hardware weight
// lambda (Eq. 9), each in OUT/lambda_<L>/ with its own checkpoints, then the accuracy vs
// EDAP trade-off of the points with the baselines of the same harness:
//   OUT/pareto.json  every point, its Pareto flag, the baselines;
//   OUT/pareto.md    the same as tables;
//   OUT/pareto.png   retrained test accuracy vs EDAP (points, front, uniform 8-bit on the
//                    base accelerator) and one-shot accuracy vs EDAP (points, random search).
// A finished point is reused, an interrupted one resumed: the sweep is resumable as a whole.
// Under mpirun the points are spread over the ranks (rank r runs points r, r + size, ...);
// rank 0 writes the report after the barrier.
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "search/cosearch/cosearch.hpp"

namespace brickyard::search {

struct SweepOptions {
  std::vector<double> lambdas;
  int rank = 0, size = 1;
  std::function<void()> barrier; // all ranks' points done (MPI); null with one rank
};

struct SweepResult {
  nlohmann::json pareto; // what pareto.json holds (rank 0)
  bool interrupted = false;
  std::string plot_note; // where the PNG went, or why it was skipped
};

// "0.1,0.3,1" -> {0.1, 0.3, 1}; model::SpecError("sweep", ...) for anything else (empty,
// negative, repeated values).
std::vector<double> parse_lambdas(const std::string& text);

// The directory of one point: "lambda_0.3".
std::string sweep_point_dir(double lambda);

SweepResult cosearch_sweep(const CosearchConfig& config, const SweepOptions& sweep,
                           const CosearchRun& run);

// The report part alone, from the points' report.json files (tests, and rank 0).
SweepResult sweep_report(const std::string& out_dir, const std::vector<double>& lambdas);

} // namespace brickyard::search
