#include "calibration/sampler.hpp"

#include <algorithm>
#include <cmath>

#include "model/error.hpp"
#include "model/estimator.hpp"
#include "model/mapper.hpp"

namespace brickyard::calibration {

using model::Dim;
using model::Mapping;

std::vector<std::vector<double>> latin_hypercube(int n, int dims, Rng& rng) {
  const auto un = static_cast<std::size_t>(n), ud = static_cast<std::size_t>(dims);
  std::vector<std::vector<double>> u(un, std::vector<double>(ud));
  std::vector<int> perm(un);
  for (int d = 0; d < dims; ++d) {
    for (int i = 0; i < n; ++i) perm[std::size_t(i)] = i;
    for (int i = n - 1; i > 0; --i)
      std::swap(perm[std::size_t(i)], perm[std::size_t(rng.below(i + 1))]);
    for (int i = 0; i < n; ++i)
      u[std::size_t(i)][std::size_t(d)] = (perm[std::size_t(i)] + rng.uniform()) / n;
  }
  return u;
}

int group_count(const SamplerOptions& opt) {
  return (opt.points + opt.mappings_per_group - 1) / opt.mappings_per_group;
}

namespace {

enum Knob {
  kType,
  kKernel,
  kStride,
  kIc,
  kOc,
  kSpatial,
  kBits,
  kRows,
  kCols,
  kAbuf,
  kWbuf,
  kObuf,
  kDataflow,
  kDram,
  kNumKnobs
};

int log_uniform(double u, double lo, double hi) {
  return int(std::lround(std::exp(std::log(lo) + u * (std::log(hi) - std::log(lo)))));
}
int pick(double u, int n) {
  return std::min(n - 1, int(u * n));
}
int round_up(int x, int m) {
  return (x + m - 1) / m * m;
}

// Sets ih/iw for `oh` outputs with "same" padding k/2.
void set_spatial(model::Layer& l, int oh) {
  if (l.type == model::LayerType::FullyConnected) {
    l.ih = l.iw = 1;
    return;
  }
  l.pad = l.k / 2;
  l.ih = l.iw = std::max(1, (oh - 1) * l.stride + l.k - 2 * l.pad);
}

model::Layer draw_layer(const std::vector<double>& u, Rng& rng) {
  model::Layer l;
  static const model::LayerType kTypes[] = {model::LayerType::Conv, model::LayerType::Conv,
                                            model::LayerType::Depthwise, model::LayerType::Grouped,
                                            model::LayerType::FullyConnected};
  l.type = kTypes[pick(u[kType], 5)];
  static const int kKernels[] = {1, 3, 5, 7};
  l.k = kKernels[pick(u[kKernel], 4)];
  l.stride = 1 + pick(u[kStride], 2);
  l.ic = log_uniform(u[kIc], 8, 512);
  l.oc = log_uniform(u[kOc], 8, 512);
  static const int kBitsOf[] = {2, 4, 8};
  int b = pick(u[kBits], 9);
  l.a_bits = kBitsOf[b / 3];
  l.w_bits = kBitsOf[b % 3];
  int oh = log_uniform(u[kSpatial], 2, 32);
  switch (l.type) {
  case model::LayerType::Conv:
    break;
  case model::LayerType::Depthwise:
    l.oc = l.ic;
    l.groups = l.ic;
    if (l.k == 1) l.k = 3; // a 1x1 depthwise conv is a per-channel scale
    break;
  case model::LayerType::Grouped: {
    static const int kGroups[] = {2, 4, 8};
    l.groups = kGroups[rng.below(3)];
    l.ic = round_up(l.ic, l.groups);
    l.oc = round_up(l.oc, l.groups);
    break;
  }
  case model::LayerType::FullyConnected:
    l.k = 1;
    l.stride = 1;
    oh = 1;
    break;
  }
  set_spatial(l, oh);
  return l;
}

// Halves the layer's largest knob; false when nothing is left to shrink.
bool shrink(model::Layer& l) {
  if (l.oh() > 2) {
    set_spatial(l, (l.oh() + 1) / 2);
    return true;
  }
  int& big = l.ic >= l.oc ? l.ic : l.oc;
  int floor = l.type == model::LayerType::Grouped ? 2 * l.groups : 8;
  if (l.type == model::LayerType::Depthwise) {
    if (l.ic <= 8) return false;
    l.ic = l.oc = l.groups = l.ic / 2;
    return true;
  }
  if (big <= floor) {
    int& other = &big == &l.ic ? l.oc : l.ic;
    if (other <= floor) return false;
    other = std::max(floor, round_up(other / 2, l.groups));
    return true;
  }
  big = std::max(floor, round_up(big / 2, l.groups));
  return true;
}

std::vector<int> tile_options(int extent) {
  std::vector<int> v;
  for (int t = 1; t < extent; t *= 2) v.push_back(t);
  v.push_back(extent);
  return v;
}

double tiles_of(const model::Layer& l, const Mapping& m) {
  auto ext = model::extents(l);
  double n = l.groups;
  for (int d = 0; d < model::kNumDims; ++d) n *= (ext[d] + m.tile[d] - 1) / m.tile[d];
  return n;
}

bool same(const Mapping& a, const Mapping& b) {
  return a.tile == b.tile && a.order == b.order;
}

} // namespace

std::vector<Group> sample(const SamplerOptions& opt, const model::Tech& tech) {
  if (opt.points < 1) throw model::SpecError("points", "must be positive");
  if (opt.mappings_per_group < 2) throw model::SpecError("mappings", "must be at least 2");
  const int n = group_count(opt);
  Rng lhs_rng(opt.seed * 0x2545f4914f6cdd1dULL + 1);
  auto u = latin_hypercube(n, kNumKnobs, lhs_rng);
  std::vector<Group> groups;
  groups.reserve(std::size_t(n));
  for (int g = 0; g < n; ++g) {
    const auto& x = u[std::size_t(g)];
    Rng rng(opt.seed ^ (0x9e3779b97f4a7c15ULL * std::uint64_t(g + 1)));
    Group grp;
    grp.id = g;
    grp.test = g % 5 == 1 || g % 5 == 3; // spread over the sample, also when small
    model::Accelerator& a = grp.accel;
    if (opt.shapes.empty()) {
      a.pe_rows = log_uniform(x[kRows], 3, 64);
      a.pe_cols = log_uniform(x[kCols], 3, 64);
    } else {
      auto s = opt.shapes[std::size_t(pick(x[kRows], int(opt.shapes.size())))];
      a.pe_rows = s.first;
      a.pe_cols = s.second;
    }
    auto buf = [](double v) { return std::int64_t(log_uniform(v, 16, 528)) * 1024; };
    a.abuf_bytes = buf(x[kAbuf]);
    a.wbuf_bytes = buf(x[kWbuf]);
    a.obuf_bytes = buf(x[kObuf]);
    a.dataflow = static_cast<model::Dataflow>(pick(x[kDataflow], 3));
    static const int kDramBits[] = {32, 64, 128, 256};
    a.dram_bits_per_cycle = kDramBits[pick(x[kDram], 4)];
    model::validate(a);

    grp.layer = draw_layer(x, rng);
    model::MapResult best;
    for (int tries = 0;; ++tries) {
      grp.layer.name = "g" + std::to_string(g);
      model::validate(grp.layer);
      best = model::map_layer(grp.layer, a, tech);
      bool ok = best.feasible && best.cost.cycles <= opt.max_cycles &&
                tiles_of(grp.layer, best.mapping) <= double(opt.max_tiles);
      if (ok || !shrink(grp.layer)) break;
    }
    if (!best.feasible)
      throw std::logic_error("calibration sampler: group " + std::to_string(g) +
                             " has no feasible mapping");

    // Mappings: the best for latency and for energy, neighbours of the best (what a
    // search compares near its optimum), then random feasible ones (the spread).
    auto& maps = grp.mappings;
    maps.push_back(best.mapping);
    auto accept = [&](const Mapping& m, double cap_scale) {
      for (const auto& o : maps)
        if (same(o, m)) return false;
      model::Cost c = model::estimate(grp.layer, a, m, tech);
      if (!c.feasible || double(c.cycles) > cap_scale * double(opt.max_cycles) ||
          tiles_of(grp.layer, m) > double(opt.max_tiles))
        return false;
      maps.push_back(m);
      return true;
    };
    model::MapperOptions eo;
    eo.objective = model::Objective::Energy;
    accept(model::map_layer(grp.layer, a, tech, {}, eo).mapping, 1.0);
    const auto ext = model::extents(grp.layer);
    std::array<std::vector<int>, model::kNumDims> opts;
    for (int d = 0; d < model::kNumDims; ++d) opts[d] = tile_options(ext[d]);
    const std::size_t want = std::size_t(opt.mappings_per_group);
    const std::size_t neighbours = want / 2;
    for (int t = 0; t < 200 && maps.size() < neighbours; ++t) {
      Mapping m = best.mapping;
      if (rng.below(3) == 0) {
        int p = rng.below(model::kNumDims - 1);
        std::swap(m.order[std::size_t(p)], m.order[std::size_t(p + 1)]);
      } else {
        int d = rng.below(model::kNumDims);
        const auto& o = opts[std::size_t(d)];
        auto it = std::find(o.begin(), o.end(), m.tile[std::size_t(d)]);
        int i = int(it - o.begin()) + (rng.below(2) ? 1 : -1);
        if (i < 0 || i >= int(o.size())) continue;
        m.tile[std::size_t(d)] = o[std::size_t(i)];
      }
      accept(m, 1.0);
    }
    for (double cap : {1.0, 4.0, 1e30})
      for (int t = 0; t < 400 && maps.size() < want; ++t) {
        Mapping m;
        for (int d = 0; d < model::kNumDims; ++d)
          m.tile[std::size_t(d)] =
              opts[std::size_t(d)][std::size_t(rng.below(int(opts[std::size_t(d)].size())))];
        for (int i = model::kNumDims - 1; i > 0; --i)
          std::swap(m.order[std::size_t(i)], m.order[std::size_t(rng.below(i + 1))]);
        accept(m, cap);
      }
    if (maps.size() < want)
      throw std::logic_error("calibration sampler: group " + std::to_string(g) + " has only " +
                             std::to_string(maps.size()) + " distinct feasible mappings");
    groups.push_back(std::move(grp));
  }
  return groups;
}

} // namespace brickyard::calibration
