#include "model/mapper.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <thread>

#include "model/error.hpp"
#include "model/estimator_detail.hpp"

namespace brickyard::model {

const char* to_string(Objective o) {
  switch (o) {
  case Objective::Latency:
    return "latency";
  case Objective::Energy:
    return "energy";
  case Objective::Edp:
    return "edp";
  case Objective::Cost:
    return "cost";
  }
  return "?";
}

Objective objective_from_string(const std::string& s, const std::string& field) {
  for (Objective o : {Objective::Latency, Objective::Energy, Objective::Edp, Objective::Cost})
    if (s == to_string(o)) return o;
  throw SpecError(field, "unknown objective '" + s + "' (latency, energy, edp, cost)");
}

namespace {

using detail::AccelConstants;
using detail::DimTiling;
using detail::TilingTerms;

std::vector<int> tile_options(int extent) {
  std::vector<int> v;
  for (int t = 1; t < extent; t *= 2) v.push_back(t);
  v.push_back(extent);
  return v;
}

std::vector<std::array<Dim, kNumDims>> all_orders() {
  std::array<Dim, kNumDims> o = kAllDims;
  std::vector<std::array<Dim, kNumDims>> out;
  do out.push_back(o);
  while (std::next_permutation(o.begin(), o.end()));
  return out;
}

// For a loop order and the set of dims with more than one tile (mask), which irrelevant
// loops sit outside the innermost non-trivial relevant loop of each operand and so
// multiply its refetches. Activations can only be refetched across oc, outputs across ic,
// weights across a subset of {n, ow, oh}.
struct OrderMaskRule {
  bool act_oc = false; // activations refetched across the oc loop
  bool out_ic = false; // partial sums spilled across the ic loop
  int wgt_sub = 0;     // bit 0: n, bit 1: ow, bit 2: oh
};

OrderMaskRule rule_for(const std::array<Dim, kNumDims>& order, int mask) {
  OrderMaskRule r;
  for (int x = 0; x < 3; ++x) {
    bool alive = true;
    int multiplying = 0; // irrelevant nontrivial dims outside the suffix
    int suffix = 0;
    for (int p = kNumDims - 1; p >= 0; --p) {
      int d = static_cast<int>(order[p]);
      bool nontrivial = mask & (1 << d);
      if (detail::kRelevant[x][d]) {
        if (nontrivial) alive = false;
      } else if (alive) {
        suffix |= 1 << d;
      } else if (nontrivial) {
        multiplying |= 1 << d;
      }
    }
    (void)suffix;
    if (x == detail::kAct) r.act_oc = multiplying & (1 << int(Dim::OC));
    if (x == detail::kOut) r.out_ic = multiplying & (1 << int(Dim::IC));
    if (x == detail::kWgt)
      r.wgt_sub = ((multiplying >> int(Dim::N)) & 1) | (((multiplying >> int(Dim::OW)) & 1) << 1) |
                  (((multiplying >> int(Dim::OH)) & 1) << 2);
  }
  return r;
}

// Struct-of-arrays batch of the feasible tilings of one layer.
struct Batch {
  std::vector<int> tiling_index;
  std::vector<int> mask;
  std::vector<double> compute, e_fixed, act, wgt, out, first, last, n_oc, n_ic;
  std::vector<double> base;            // compute + 2 x latency + first load + last store
  std::vector<detail::WaitTerms> wait; // as detail::transition_wait() takes them
  std::vector<std::array<double, 8>> wsub;
  void reserve(std::size_t n) {
    for (auto* v : {&compute, &e_fixed, &act, &wgt, &out, &first, &last, &n_oc, &n_ic, &base})
      v->reserve(n);
    wait.reserve(n);
    wsub.reserve(n);
    mask.reserve(n);
    tiling_index.reserve(n);
  }
  std::size_t size() const { return compute.size(); }
};

struct Score {
  double primary = INFINITY, secondary = INFINITY;
  bool better_than(const Score& o) const {
    return primary < o.primary || (primary == o.primary && secondary < o.secondary);
  }
};

} // namespace

double objective_value(const Cost& c, const Layer& l, const Accelerator& a,
                       const MapperOptions& opt) {
  switch (opt.objective) {
  case Objective::Latency:
    return double(c.cycles);
  case Objective::Energy:
    return c.energy_j;
  case Objective::Edp:
    return double(c.cycles) * c.energy_j;
  case Objective::Cost: {
    double l_ref = double(l.macs()) / double(peak_macs_per_cycle(l, a));
    double e_ref = c.energy.pe > 0 ? c.energy.pe : 1e-12;
    return opt.weights.energy * c.energy_j / e_ref + opt.weights.latency * double(c.cycles) / l_ref;
  }
  }
  return 0;
}

MapResult map_layer(const Layer& layer, const Accelerator& accel, const Tech& tech,
                    const Calibration& cal, const MapperOptions& opt) {
  auto t0 = std::chrono::steady_clock::now();
  MapResult res;
  const AccelConstants k = detail::accel_constants(accel, tech, cal);
  const auto ext = extents(layer);

  std::array<std::vector<DimTiling>, kNumDims> opts;
  for (Dim d : kAllDims)
    for (int t : tile_options(ext[int(d)]))
      opts[int(d)].push_back(detail::dim_tiling(layer, d, t, accel.padded_partial_tiles));

  static const auto kOrders = all_orders();
  // The refetch rule of every (loop order, set of non-trivial loops), tabulated once.
  static const auto kRules = [] {
    std::vector<std::array<OrderMaskRule, 32>> t(kOrders.size());
    for (std::size_t o = 0; o < kOrders.size(); ++o)
      for (int m = 0; m < 32; ++m) t[o][m] = rule_for(kOrders[o], m);
    return t;
  }();
  // And its tile transitions (detail::transition_rule()), for the DRAM waits.
  static const auto kTransitions = [] {
    std::vector<std::array<detail::TransitionRule, 32>> t(kOrders.size());
    for (std::size_t o = 0; o < kOrders.size(); ++o)
      for (int m = 0; m < 32; ++m) t[o][m] = detail::transition_rule(kOrders[o], m);
    return t;
  }();
  std::size_t n_tilings = 1;
  for (const auto& o : opts) n_tilings *= o.size();
  res.evaluated = std::int64_t(n_tilings * kOrders.size());

  // Order-independent terms of every tiling, once (the expensive part).
  Batch b;
  b.reserve(n_tilings);
  std::vector<std::array<DimTiling, kNumDims>> tilings;
  tilings.reserve(n_tilings);
  const double pf = macs_per_fusion_unit(layer.a_bits, layer.w_bits);
  std::array<std::size_t, kNumDims> idx{};
  for (std::size_t flat = 0; flat < n_tilings; ++flat) {
    std::size_t rest = flat;
    for (int d = kNumDims - 1; d >= 0; --d) {
      idx[d] = rest % opts[d].size();
      rest /= opts[d].size();
    }
    std::array<DimTiling, kNumDims> dims;
    for (int d = 0; d < kNumDims; ++d) dims[d] = opts[d][idx[d]];
    TilingTerms t = detail::tiling_terms(layer, accel, k.psum_bits, dims, k.fill_drain);
    tilings.push_back(dims);
    if (t.overflow) continue;
    int mask = 0;
    for (int d = 0; d < kNumDims; ++d)
      if (t.ntiles[d] > 1) mask |= 1 << d;
    b.tiling_index.push_back(int(tilings.size() - 1));
    b.mask.push_back(mask);
    b.compute.push_back(t.compute_cycles);
    b.e_fixed.push_back(t.active_fu_cycles * k.e_fu + t.abuf_read * k.abuf_r +
                        t.wbuf_read * k.wbuf_r + t.obuf_read * k.obuf_r + t.obuf_write * k.obuf_w);
    // Per-distinct-tile totals: DRAM bits = total x fetch multiplier.
    b.act.push_back(t.act_total);
    b.wgt.push_back(t.wgt_total);
    b.out.push_back(t.out_total);
    b.first.push_back(std::ceil(t.first_load / k.dram_bits_per_cycle));
    b.last.push_back(std::ceil(t.last_store / k.dram_bits_per_cycle));
    // As in estimate(): cycles = base + transition_wait(rule of the order, ...).
    b.base.push_back(t.compute_cycles + 2.0 * accel.dram_latency_cycles +
                     (b.first.back() + b.last.back()));
    b.wait.push_back(detail::wait_terms(t, 1.0 / k.dram_bits_per_cycle));
    b.n_oc.push_back(t.ntiles[int(Dim::OC)]);
    b.n_ic.push_back(t.ntiles[int(Dim::IC)]);
    double nn = t.ntiles[int(Dim::N)], nw = t.ntiles[int(Dim::OW)], nh = t.ntiles[int(Dim::OH)];
    b.wsub.push_back({1, nn, nw, nn * nw, nh, nn * nh, nw * nh, nn * nw * nh});
  }
  res.feasible_count = std::int64_t(b.size() * kOrders.size());

  if (b.size() == 0) {
    // Report why the smallest tiling does not fit.
    Mapping m;
    res.mapping = m;
    res.cost = estimate(layer, accel, m, tech, cal);
    res.feasible = false;
    res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return res;
  }

  // Energy per DRAM bit of each operand (pJ), including the buffer on the chip side.
  const double ca = k.abuf_w + k.dram, cw = k.wbuf_w + k.dram, cow = k.obuf_r + k.dram,
               cor = k.obuf_w + k.dram; // reload: DRAM read + obuf write (the
  // array's read of the reloaded sums is order-independent: in e_fixed via t.obuf_read)
  const double leak_pj_per_cycle = k.leak_w / accel.clock_hz * 1e12;
  const double lat = accel.dram_latency_cycles;
  const double l_ref = double(layer.macs()) / double(peak_macs_per_cycle(layer, accel));
  const double e_ref = double(layer.macs()) / pf * k.e_fu;
  const Objective obj = opt.objective;
  const double we = opt.weights.energy, wl = opt.weights.latency;

  // The hot loop, specialised per objective so the compiler sees straight-line code.
  Score best;
  std::size_t best_i = 0, best_o = 0;
  auto sweep = [&](auto score) {
    const std::size_t n = b.size();
    for (std::size_t o = 0; o < kOrders.size(); ++o) {
      const auto& rules = kRules[o];
      const auto& transitions = kTransitions[o];
      for (std::size_t i = 0; i < n; ++i) {
        const OrderMaskRule& r = rules[b.mask[i]];
        const double ma = r.act_oc ? b.n_oc[i] : 1.0;
        const double mo = r.out_ic ? b.n_ic[i] : 1.0;
        const double mw = b.wsub[i][r.wgt_sub];
        const double act = b.act[i] * ma, wgt = b.wgt[i] * mw, ow = b.out[i] * mo,
                     orr = b.out[i] * (mo - 1);
        const double e_dram = b.e_fixed[i] + act * ca + wgt * cw + ow * cow + orr * cor;
        // Exact pruning: every score is nondecreasing in the cycles, which are at least
        // base; a candidate that loses even without DRAM waits is not finished.
        if (best.better_than(score(b.base[i], e_dram + leak_pj_per_cycle * b.base[i]))) continue;
        const double cycles =
            b.base[i] + detail::transition_wait(transitions[b.mask[i]], b.wait[i], lat);
        const double energy = e_dram + leak_pj_per_cycle * cycles;
        const Score s = score(cycles, energy);
        if (s.better_than(best)) {
          best = s;
          best_i = i;
          best_o = o;
        }
      }
    }
  };
  switch (obj) {
  case Objective::Latency:
    sweep([](double c, double e) { return Score{c, e}; });
    break;
  case Objective::Energy:
    sweep([](double c, double e) { return Score{e, c}; });
    break;
  case Objective::Edp:
    sweep([](double c, double e) { return Score{c * e, c}; });
    break;
  case Objective::Cost:
    sweep([&](double c, double e) { return Score{we * e / e_ref + wl * c / l_ref, c}; });
    break;
  }

  const auto& dims = tilings[b.tiling_index[best_i]];
  for (int d = 0; d < kNumDims; ++d) res.mapping.tile[d] = dims[d].tile;
  res.mapping.order = kOrders[best_o];
  res.cost = estimate(layer, accel, res.mapping, tech, cal);
  res.feasible = true;
  res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return res;
}

std::vector<MapResult> map_network(const Network& net, const Accelerator& accel, const Tech& tech,
                                   const Calibration& cal, const MapperOptions& opt) {
  std::vector<MapResult> out(net.layers.size());
  int threads = opt.threads > 0 ? opt.threads : int(std::thread::hardware_concurrency());
  threads = std::max(1, std::min<int>(threads, int(net.layers.size())));
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    for (std::size_t i = next++; i < net.layers.size(); i = next++)
      out[i] = map_layer(net.layers[i], accel, tech, cal, opt);
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  return out;
}

} // namespace brickyard::model
