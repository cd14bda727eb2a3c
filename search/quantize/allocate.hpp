#pragma once
// Per-layer precision allocation as an integer linear program (issue 10 item 3; OHQ,
// seeds/ohq-abstract.txt): choose one (a_bits, w_bits) option per layer to minimize the
// total accuracy sensitivity subject to a latency and/or an energy budget:
//   min  sum_l sum_j s[l][j] x[l][j]
//   s.t. sum_j x[l][j] = 1                      for every layer l
//        sum_l sum_j lat[l][j] x[l][j] <= L      (if a latency budget is given)
//        sum_l sum_j en[l][j]  x[l][j] <= E      (if an energy budget is given)
//        x binary
// solved exactly by GLPK's branch and cut. No LibTorch here.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace brickyard::search {

struct AllocationProblem {
  // [layer][option]; every layer has the same options count >= 1.
  std::vector<std::vector<double>> sensitivity, latency, energy;
  std::optional<double> latency_budget, energy_budget;
};

struct IlpOptions {
  double mip_gap = 0;    // relative gap at which GLPK may stop (0: prove optimality)
  int time_limit_ms = 0; // 0: none
};

struct AllocationResult {
  bool feasible = false;
  std::string status;      // "optimal", "feasible (time limit)", "infeasible", ...
  std::vector<int> choice; // option per layer (empty if infeasible)
  double objective = 0, latency = 0, energy = 0;
  double gap = 0; // relative optimality gap proven by the solver (0 = optimal)
  // When infeasible: the smallest budgets that admit a solution (each with the other
  // budget as given; a budget not given is unconstrained).
  std::optional<double> min_latency_budget, min_energy_budget;
  double seconds = 0;
};

// Throws model::SpecError naming the field ("budget", "sensitivity", ...) for malformed
// problems (ragged tables, negative or non-finite costs, no options).
AllocationResult solve_allocation(const AllocationProblem& p, const IlpOptions& o = {});

// Exhaustive search (options^layers): the reference the tests check the ILP against.
AllocationResult brute_force_allocation(const AllocationProblem& p);

} // namespace brickyard::search
