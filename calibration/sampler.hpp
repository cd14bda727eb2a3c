#pragma once
// Design points for calibrating the estimator against the simulator. A *group* is one
// layer on one accelerator with several mappings (the mapper's best ones, neighbours of
// the best and random feasible ones); each (group, mapping) is one *point*. A group is
// simulated in one simulate() call (a network of the layer repeated, one mapping each)
// and is the unit over which the estimator's ranking of mappings is checked (Kendall
// tau). Groups are drawn by a seeded Latin hypercube over layer and accelerator knobs.
#include <cstdint>
#include <vector>

#include "model/accelerator.hpp"
#include "model/layer.hpp"
#include "model/mapping.hpp"
#include "model/tech.hpp"

namespace brickyard::calibration {

struct SamplerOptions {
  int points = 1200;          // total points (rounded up to whole groups)
  int mappings_per_group = 8; // points per group (>= 2: the ranking needs pairs)
  std::uint64_t seed = 1;
  // Bound on the estimated cycles of every simulated mapping, so the default set
  // simulates in minutes (the native engine runs ~1-3 M cycles/s).
  std::int64_t max_cycles = 200'000;
  std::int64_t max_tiles = 4096; // per mapping (the controller's cost is per tile too)
  // Array shapes to draw from instead of 3..64 x 3..64 (the rtl engine's shapes).
  std::vector<std::pair<int, int>> shapes;
};

struct Group {
  int id = 0;
  bool test = false; // held out from the fit: g % 5 is 1 or 3 (40% of the groups)
  model::Layer layer;
  model::Accelerator accel;
  std::vector<model::Mapping> mappings; // [0] is the mapper's best for latency
  int first_point() const { return id * int(mappings.size()); }
};

// Deterministic in (options): the same groups, in order, on every machine.
std::vector<Group> sample(const SamplerOptions& opt, const model::Tech& tech);

int group_count(const SamplerOptions& opt);

// Point id of mapping j of group g.
inline int point_id(const SamplerOptions& opt, int group, int j) {
  return group * opt.mappings_per_group + j;
}

// splitmix64: portable, seedable, no std:: distribution whose output varies by library.
class Rng {
public:
  explicit Rng(std::uint64_t seed) : s_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (s_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  double uniform() { return double(next() >> 11) * 0x1.0p-53; } // [0, 1)
  int below(int n) { return int(next() % std::uint64_t(n)); }   // [0, n)

private:
  std::uint64_t s_;
};

// Latin hypercube: n samples in [0,1)^dims, each dimension's n strata used once.
std::vector<std::vector<double>> latin_hypercube(int n, int dims, Rng& rng);

} // namespace brickyard::calibration
