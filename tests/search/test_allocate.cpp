// The precision-allocation ILP (issue 10): GLPK's answer equals exhaustive search on
// 4-layer problems for several budgets; infeasible budgets report the smallest feasible.
#include <random>

#include "model/error.hpp"
#include "search/quantize/allocate.hpp"

#include <catch2/catch.hpp>

using namespace brickyard::search;

namespace {

// 4 layers x 9 (a, w) bit pairs, shaped like the real tables: fewer bits are cheaper and
// more sensitive, with noise so that the optimum is not obvious.
AllocationProblem random_problem(std::uint32_t seed) {
  std::mt19937 g(seed);
  std::uniform_real_distribution<double> u(0.5, 1.5);
  const int bits[] = {2, 4, 8};
  AllocationProblem p;
  for (int l = 0; l < 4; ++l) {
    std::vector<double> s, lat, en;
    const double size = u(g) * (l + 1);
    for (int a : bits)
      for (int w : bits) {
        const double pf = double(8 / a) * double(8 / w); // MACs per fusion unit per cycle
        lat.push_back(size * 100.0 / pf * u(g));
        en.push_back(size * (a + w) * u(g));
        s.push_back(u(g) / double(a * w) * (l == 0 ? 4 : 1));
      }
    p.sensitivity.push_back(s);
    p.latency.push_back(lat);
    p.energy.push_back(en);
  }
  return p;
}

double total(const AllocationProblem& p, const std::vector<std::vector<double>>& t, int j) {
  double s = 0;
  for (std::size_t l = 0; l < p.sensitivity.size(); ++l) s += t[l][std::size_t(j)];
  return s;
}

} // namespace

TEST_CASE("search: the allocation ILP equals brute force on 4-layer networks") {
  const std::uint32_t seed = GENERATE(1u, 2u, 3u, 4u, 5u);
  AllocationProblem p = random_problem(seed);
  const double lat8 = total(p, p.latency, 8), en8 = total(p, p.energy, 8); // uniform 8-bit
  for (double frac : {1.0, 0.8, 0.6, 0.4, 0.25}) {
    for (int which = 0; which < 3; ++which) { // latency, energy, both
      AllocationProblem q = p;
      if (which != 1) q.latency_budget = frac * lat8;
      if (which != 0) q.energy_budget = frac * en8;
      INFO("seed " << seed << ", budget " << frac << " of 8-bit, constraint " << which);
      AllocationResult ilp = solve_allocation(q), ref = brute_force_allocation(q);
      REQUIRE(ilp.feasible == ref.feasible);
      if (!ref.feasible) {
        CHECK(ilp.status == "infeasible");
        continue;
      }
      CHECK(ilp.status == "optimal");
      CHECK(ilp.gap == 0);
      CHECK(ilp.objective == Approx(ref.objective).epsilon(1e-9));
      if (q.latency_budget) CHECK(ilp.latency <= *q.latency_budget * (1 + 1e-9));
      if (q.energy_budget) CHECK(ilp.energy <= *q.energy_budget * (1 + 1e-9));
    }
  }
}

TEST_CASE("search: an infeasible budget reports the smallest feasible one") {
  AllocationProblem p = random_problem(9);
  double min_lat = 0;
  for (const auto& row : p.latency) min_lat += *std::min_element(row.begin(), row.end());
  p.latency_budget = 0.5 * min_lat;
  AllocationResult r = solve_allocation(p);
  CHECK_FALSE(r.feasible);
  CHECK(r.status == "infeasible");
  REQUIRE(r.min_latency_budget.has_value());
  CHECK(*r.min_latency_budget == Approx(min_lat).epsilon(1e-9));
  // At exactly that budget it is feasible.
  p.latency_budget = *r.min_latency_budget * (1 + 1e-9);
  CHECK(solve_allocation(p).feasible);
}

TEST_CASE("search: malformed allocation problems name the field") {
  AllocationProblem p = random_problem(1);
  p.latency_budget = 1e9;
  p.latency[2].pop_back();
  CHECK_THROWS_AS(solve_allocation(p), brickyard::model::SpecError);
  p = random_problem(1);
  p.energy_budget = -1;
  CHECK_THROWS_AS(solve_allocation(p), brickyard::model::SpecError);
  p = random_problem(1);
  p.sensitivity[0][0] = std::nan("");
  CHECK_THROWS_AS(solve_allocation(p), brickyard::model::SpecError);
}
