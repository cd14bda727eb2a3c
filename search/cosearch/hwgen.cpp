#include "search/cosearch/hwgen.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <random>
#include <sstream>

#include <torch/torch.h>

#include "model/error.hpp"
#include "model/estimator.hpp"
#include "model/mapper.hpp"

namespace brickyard::search {

namespace F = torch::nn::functional;

const char* to_string(HwHead h) {
  static const char* kNames[] = {"pe_x", "pe_y", "abuf", "wbuf", "obuf", "dataflow"};
  return kNames[h];
}

// ---- the space ---------------------------------------------------------------------------

int HwSpace::options(HwHead h) const {
  switch (h) {
  case kPeX:
  case kPeY:
    return pe_max - pe_min + 1;
  case kAbuf:
  case kWbuf:
  case kObuf:
    return int((buf_max - buf_min) / buf_step) + 1;
  default:
    return int(dataflows.size());
  }
}

std::int64_t HwSpace::value(HwHead h, int i) const {
  switch (h) {
  case kPeX:
  case kPeY:
    return pe_min + i;
  case kAbuf:
  case kWbuf:
  case kObuf:
    return buf_min + std::int64_t(i) * buf_step;
  default:
    return i;
  }
}

model::Accelerator HwSpace::accelerator(const std::array<int, kNumHeads>& c) const {
  model::Accelerator a = base;
  a.pe_rows = int(value(kPeX, c[kPeX]));
  a.pe_cols = int(value(kPeY, c[kPeY]));
  a.abuf_bytes = value(kAbuf, c[kAbuf]);
  a.wbuf_bytes = value(kWbuf, c[kWbuf]);
  a.obuf_bytes = value(kObuf, c[kObuf]);
  a.dataflow = dataflows[std::size_t(c[kDataflow])];
  return a;
}

std::array<int, kNumHeads> HwSpace::choice_of(const model::Accelerator& a) const {
  std::array<int, kNumHeads> c{};
  auto nearest = [&](HwHead h, std::int64_t v) {
    int best = 0;
    for (int i = 1; i < options(h); ++i)
      if (std::llabs(value(h, i) - v) < std::llabs(value(h, best) - v)) best = i;
    return best;
  };
  c[kPeX] = nearest(kPeX, a.pe_rows);
  c[kPeY] = nearest(kPeY, a.pe_cols);
  c[kAbuf] = nearest(kAbuf, a.abuf_bytes);
  c[kWbuf] = nearest(kWbuf, a.wbuf_bytes);
  c[kObuf] = nearest(kObuf, a.obuf_bytes);
  for (std::size_t i = 0; i < dataflows.size(); ++i)
    if (dataflows[i] == a.dataflow) c[kDataflow] = int(i);
  return c;
}

// ---- encodings ---------------------------------------------------------------------------

torch::Tensor encode_layers(const std::vector<model::Layer>& layers) {
  auto t = torch::zeros({std::int64_t(layers.size()), kOpFeatures});
  auto a = t.accessor<float, 2>();
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const auto& l = layers[i];
    const float f[kOpFeatures] = {float(std::log2(double(l.k)) / 3),
                                  float(l.stride) / 2,
                                  float(std::log2(double(l.oh())) / 8),
                                  float(std::log2(double(l.icg())) / 10),
                                  float(std::log2(double(l.oc)) / 10),
                                  float(l.a_bits) / 8,
                                  float(l.w_bits) / 8};
    for (int j = 0; j < kOpFeatures; ++j) a[std::int64_t(i)][j] = f[j];
  }
  return t;
}

torch::Tensor encode_accelerator(const HwSpace& space,
                                 const std::array<torch::Tensor, kNumHeads>& w) {
  // Expected log2 value of each numeric head under its weights (exact for one-hot weights).
  auto expect = [&](HwHead h, double scale) {
    std::vector<float> v(std::size_t(space.options(h)));
    for (int i = 0; i < space.options(h); ++i)
      v[std::size_t(i)] = float(std::log2(double(space.value(h, i))) / scale);
    return (w[h] * torch::tensor(v)).sum().reshape({1});
  };
  return torch::cat({expect(kPeX, 6), expect(kPeY, 6), expect(kAbuf, 20), expect(kWbuf, 20),
                     expect(kObuf, 20), w[kDataflow].reshape({-1})});
}

// ---- the hardware generation network -------------------------------------------------------

HwGenNetImpl::HwGenNetImpl(HwSpace s, HwGenOptions o) : space(std::move(s)), options(o) {
  if (space.dataflows.size() != 3)
    throw model::SpecError("hw.dataflows", "the generation network expects WS, OS and RS");
  reset();
}

void HwGenNetImpl::reset() {
  input =
      register_module("input", torch::nn::Linear(options.max_layers * kOpFeatures, options.hidden));
  blocks = register_module("blocks", torch::nn::ModuleList());
  for (int b = 0; b < options.blocks; ++b) {
    blocks->push_back(torch::nn::Linear(options.hidden, options.hidden));
    blocks->push_back(torch::nn::Linear(options.hidden, options.hidden));
  }
  heads = register_module("heads", torch::nn::ModuleList());
  for (int h = 0; h < kNumHeads; ++h)
    heads->push_back(torch::nn::Linear(options.hidden, space.options(HwHead(h))));
}

HwGenOutput HwGenNetImpl::forward(const torch::Tensor& ops, double tau, bool hard, bool sample) {
  if (ops.dim() != 2 || ops.size(1) != kOpFeatures || ops.size(0) > options.max_layers)
    throw model::SpecError("hw.max_layers", "the subnet has " + std::to_string(ops.size(0)) +
                                                " operators, the generation network takes up to " +
                                                std::to_string(options.max_layers));
  auto x =
      F::pad(ops, F::PadFuncOptions({0, 0, 0, options.max_layers - ops.size(0)})).reshape({1, -1});
  x = torch::relu(input->as<torch::nn::Linear>()->forward(x));
  for (std::size_t b = 0; b + 1 < blocks->size(); b += 2) { // x + W2 relu(W1 x)
    auto y = torch::relu(blocks[b]->as<torch::nn::Linear>()->forward(x));
    x = torch::relu(x + blocks[b + 1]->as<torch::nn::Linear>()->forward(y));
  }
  HwGenOutput out;
  for (int h = 0; h < kNumHeads; ++h) {
    auto logits = heads[std::size_t(h)]->as<torch::nn::Linear>()->forward(x).reshape({-1});
    torch::Tensor w;
    if (sample) {
      w = F::gumbel_softmax(logits, F::GumbelSoftmaxFuncOptions().tau(tau).hard(hard).dim(0));
    } else {
      auto soft = torch::softmax(logits / tau, 0);
      w = soft;
      if (hard) {
        auto one = torch::zeros_like(soft).scatter_(0, soft.argmax().reshape({1}), 1.0);
        w = one - soft.detach() + soft;
      }
    }
    out.logits[h] = logits;
    out.weights[h] = w;
    out.choice[h] = int(w.argmax().item<std::int64_t>());
  }
  return out;
}

void HwGenNetImpl::prefer(const model::Accelerator& a, double strength) {
  torch::NoGradGuard ng;
  const auto c = space.choice_of(a);
  for (int h = 0; h < kNumHeads; ++h)
    heads[std::size_t(h)]->as<torch::nn::Linear>()->bias[c[h]] += strength;
}

// ---- relaxed hardware features --------------------------------------------------------------

namespace {

constexpr double kLogScale = 1.0 / 16, kPressureClamp = 8;
using Terms = std::array<double, kRelaxFeatures>;

double lg(double x) {
  return std::log2(std::max(x, 1e-30));
}
double cdiv(double a, double b) {
  return std::ceil(a / b);
}

struct LayerDims {
  double g, k, icg, ocg, oh, ow, P, pf, macs, act_bits, wgt_bits, out_bits;
};
LayerDims dims_of(const model::Layer& l, int psum_bits) {
  LayerDims d;
  d.g = l.groups, d.k = l.k, d.icg = l.icg(), d.ocg = l.ocg(), d.oh = l.oh(), d.ow = l.ow();
  d.P = double(l.n) * d.oh * d.ow;
  d.pf = model::macs_per_fusion_unit(l.a_bits, l.w_bits);
  d.macs = double(l.macs());
  d.act_bits = double(l.n) * l.ic * l.ih * l.iw * l.a_bits;
  d.wgt_bits = double(l.oc) * d.icg * d.k * d.k * l.w_bits;
  d.out_bits = d.P * l.oc * psum_bits;
  return d;
}

// The part of each feature that no head changes (features 0-3, 7; log2 units).
Terms base_terms(const LayerDims& d, double dram_bits_per_cycle) {
  Terms t{};
  t[0] = lg(d.g * d.k * d.k);
  t[1] = lg(d.g * d.k * d.k * cdiv(d.icg, d.pf));
  t[2] = lg(d.g * d.ocg * cdiv(d.icg, d.pf) * d.ow * d.k);
  t[3] = lg(d.macs / d.pf);
  t[7] = lg((d.act_bits + d.wgt_bits + d.out_bits) / dram_bits_per_cycle);
  return t;
}
// One head at value v (PE rows or columns, buffer bytes).
Terms head_terms(const LayerDims& d, HwHead h, double v) {
  Terms t{};
  auto pressure = [](double need_bits, double bytes) {
    return std::clamp(lg(need_bits / (bytes * 8 / 2)), -kPressureClamp, kPressureClamp);
  };
  switch (h) {
  case kPeX: // rows
    t[0] = lg(cdiv(d.icg, v * d.pf)) + lg(std::max(d.P, v));
    t[1] = lg(cdiv(d.P, v));
    t[2] = lg(cdiv(d.k, v));
    t[3] = -lg(v);
    break;
  case kPeY: // columns
    t[0] = lg(cdiv(d.ocg, v));
    t[1] = lg(cdiv(d.ocg, v));
    t[2] = lg(cdiv(d.oh, v));
    t[3] = -lg(v);
    break;
  case kAbuf:
    t[4] = pressure(d.act_bits, v);
    break;
  case kWbuf:
    t[5] = pressure(d.wgt_bits, v);
    break;
  case kObuf:
    t[6] = pressure(d.out_bits, v);
    break;
  default:
    break;
  }
  return t;
}
// Scales the log2 features to O(1) inputs (pressures are in [-8, 8]).
void scale(Terms& t) {
  for (int f : {0, 1, 2, 3, 7}) t[std::size_t(f)] *= kLogScale;
  for (int f : {4, 5, 6}) t[std::size_t(f)] /= kPressureClamp;
}
torch::Tensor to_tensor(const Terms& t) {
  std::vector<float> v(t.begin(), t.end());
  return torch::tensor(v);
}

std::string layer_key(const model::Layer& l) {
  std::ostringstream s;
  s << l.n << ',' << l.ic << ',' << l.oc << ',' << l.ih << ',' << l.iw << ',' << l.k << ','
    << l.stride << ',' << l.pad << ',' << l.groups << ',' << l.a_bits << ',' << l.w_bits;
  return s.str();
}

} // namespace

RelaxedFeatures::RelaxedFeatures(HwSpace space, int psum_bits)
    : space_(std::move(space)), psum_bits_(psum_bits) {}

torch::Tensor RelaxedFeatures::at(const std::vector<model::Layer>& layers,
                                  const model::Accelerator& a) const {
  auto out = torch::zeros({std::int64_t(layers.size()), kRelaxFeatures});
  auto o = out.accessor<float, 2>();
  const int df = a.dataflow == model::Dataflow::WS ? 0 : a.dataflow == model::Dataflow::OS ? 1 : 2;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const LayerDims d = dims_of(layers[i], psum_bits_);
    Terms t = base_terms(d, a.dram_bits_per_cycle);
    const std::pair<HwHead, double> heads[] = {{kPeX, a.pe_rows},
                                               {kPeY, a.pe_cols},
                                               {kAbuf, double(a.abuf_bytes)},
                                               {kWbuf, double(a.wbuf_bytes)},
                                               {kObuf, double(a.obuf_bytes)}};
    for (const auto& [h, v] : heads) {
      const Terms ht = head_terms(d, h, v);
      for (int f = 0; f < kRelaxFeatures; ++f) t[std::size_t(f)] += ht[std::size_t(f)];
    }
    scale(t);
    t[8] = t[std::size_t(df)]; // the dataflow's compute cycles (scaled like 0-2)
    for (int f = 0; f < kRelaxFeatures; ++f) o[std::int64_t(i)][f] = float(t[std::size_t(f)]);
  }
  return out;
}

const RelaxedFeatures::Tables& RelaxedFeatures::tables(const model::Layer& l) {
  const std::string k = layer_key(l);
  auto it = memo_.find(k);
  if (it != memo_.end()) return it->second;
  const LayerDims d = dims_of(l, psum_bits_);
  Tables t;
  Terms b = base_terms(d, space_.base.dram_bits_per_cycle);
  scale(b);
  t.base = to_tensor(b);
  for (int h = 0; h < kDataflow; ++h) {
    const int n = space_.options(HwHead(h));
    auto m = torch::zeros({n, kRelaxFeatures});
    auto ma = m.accessor<float, 2>();
    for (int i = 0; i < n; ++i) {
      Terms ht = head_terms(d, HwHead(h), double(space_.value(HwHead(h), i)));
      scale(ht);
      for (int f = 0; f < kRelaxFeatures; ++f) ma[i][f] = float(ht[std::size_t(f)]);
    }
    t.head[std::size_t(h)] = m;
  }
  return memo_.emplace(k, std::move(t)).first->second;
}

torch::Tensor RelaxedFeatures::soft(const std::vector<model::Layer>& layers,
                                    const std::array<torch::Tensor, kNumHeads>& w) {
  // Per head: [L, options, 9] tables times the head's weights, summed over options.
  std::vector<torch::Tensor> base;
  std::array<std::vector<torch::Tensor>, kDataflow> tab;
  for (const auto& l : layers) {
    const Tables& t = tables(l);
    base.push_back(t.base);
    for (int h = 0; h < kDataflow; ++h) tab[std::size_t(h)].push_back(t.head[std::size_t(h)]);
  }
  auto x = torch::stack(base); // [L, 9]
  for (int h = 0; h < kDataflow; ++h)
    x = x + torch::einsum("lof,o->lf", {torch::stack(tab[std::size_t(h)]), w[h]});
  // Feature 8: the dataflow-weighted compute cycles (features 0-2 are WS, OS, RS).
  std::vector<std::int64_t> perm;
  for (auto df : space_.dataflows)
    perm.push_back(df == model::Dataflow::WS ? 0 : df == model::Dataflow::OS ? 1 : 2);
  auto per_df = x.slice(1, 0, 3).index_select(1, torch::tensor(perm, torch::kLong));
  auto mixed = (per_df * w[kDataflow].reshape({1, -1})).sum(1, true);
  return torch::cat({x.slice(1, 0, 8), mixed}, 1);
}

// ---- the cost surrogate ------------------------------------------------------------------

CostModelImpl::CostModelImpl(int h) : hidden(h) {
  reset();
}

void CostModelImpl::reset() {
  l1 = register_module("l1", torch::nn::Linear(kCostInputs, hidden));
  l2 = register_module("l2", torch::nn::Linear(hidden, hidden));
  l3 = register_module("l3", torch::nn::Linear(hidden, 2));
}

namespace {
torch::Tensor cost_rows(const torch::Tensor& ops, const torch::Tensor& accel,
                        const torch::Tensor& relax) {
  return torch::cat({accel.reshape({1, -1}).expand({ops.size(0), kAccelFeatures}), ops, relax}, 1);
}
} // namespace

torch::Tensor CostModelImpl::forward(const torch::Tensor& ops, const torch::Tensor& accel,
                                     const torch::Tensor& relax) {
  return forward_rows(cost_rows(ops, accel, relax));
}

torch::Tensor CostModelImpl::forward_rows(const torch::Tensor& x) {
  return l3(torch::relu(l2(torch::relu(l1(x)))));
}

torch::Tensor CostModelImpl::forward_frozen(const torch::Tensor& ops, const torch::Tensor& accel,
                                            const torch::Tensor& relax) {
  auto x = cost_rows(ops, accel, relax);
  auto lin = [](const torch::nn::Linear& l, const torch::Tensor& v) {
    return F::linear(v, l->weight.detach().clone(), l->bias.detach().clone());
  };
  return lin(l3, torch::relu(lin(l2, torch::relu(lin(l1, x)))));
}

// ---- exact cost + differentiable path ------------------------------------------------------

namespace {

// Surrogate targets, standardized: (ln cycles - 10) / 2 and (ln energy pJ - 16) / 2.
constexpr double kCenter[2] = {10, 16}, kSpread = 2;
torch::Tensor to_log(const torch::Tensor& pred) { // -> ln cycles, ln pJ
  return pred * kSpread + torch::tensor({kCenter[0], kCenter[1]}, torch::kFloat);
}

std::string key(const model::Layer& l, const model::Accelerator& a) {
  std::ostringstream s;
  s << l.n << ',' << l.ic << ',' << l.oc << ',' << l.ih << ',' << l.iw << ',' << l.k << ','
    << l.stride << ',' << l.pad << ',' << l.groups << ',' << l.a_bits << ',' << l.w_bits << '|'
    << a.pe_rows << ',' << a.pe_cols << ',' << a.abuf_bytes << ',' << a.wbuf_bytes << ','
    << a.obuf_bytes << ',' << int(a.dataflow);
  return s.str();
}

// encode_accelerator of one accelerator (any values; for the space's options the same as
// its one-hot weights).
torch::Tensor encode_at(const HwSpace& s, const model::Accelerator& a) {
  std::vector<float> v = {
      float(std::log2(double(a.pe_rows)) / 6), float(std::log2(double(a.pe_cols)) / 6),
      float(std::log2(double(a.abuf_bytes)) / 20), float(std::log2(double(a.wbuf_bytes)) / 20),
      float(std::log2(double(a.obuf_bytes)) / 20)};
  for (auto df : s.dataflows) v.push_back(df == a.dataflow ? 1.0f : 0.0f);
  return torch::tensor(v);
}

} // namespace

torch::Tensor cost_targets(const std::vector<model::Cost>& costs) {
  auto y = torch::zeros({std::int64_t(costs.size()), 2});
  auto ya = y.accessor<float, 2>();
  for (std::size_t i = 0; i < costs.size(); ++i) {
    const auto& c = costs[i];
    const auto r = std::int64_t(i);
    ya[r][0] = float((std::log(std::max<double>(1.0, double(c.cycles))) - kCenter[0]) / kSpread);
    ya[r][1] = float((std::log(std::max(1e-3, c.energy_j * 1e12)) - kCenter[1]) / kSpread);
  }
  return y;
}

torch::Tensor cost_log(const torch::Tensor& pred) {
  return to_log(pred);
}

HwCost::HwCost(HwSpace space, model::Tech tech, model::Calibration cal, HwCostOptions options)
    : space_(std::move(space)), tech_(std::move(tech)), cal_(std::move(cal)), opt_(options),
      surrogate_(CostModel(options.surrogate_hidden)), relax_(space_, tech_.psum_bits) {
  sgd_ = std::make_unique<torch::optim::Adam>(surrogate_->parameters(),
                                              torch::optim::AdamOptions(opt_.surrogate_lr));
}

HwCost::~HwCost() = default;

double HwCost::weighted(double e, double l, double a) const {
  return opt_.lambda_energy * e / opt_.ref_energy_j + opt_.lambda_latency * l / opt_.ref_latency_s +
         opt_.lambda_area * a / opt_.ref_area_mm2;
}

HwEval HwCost::exact(const std::vector<model::Layer>& layers, const model::Accelerator& a) {
  auto t0 = std::chrono::steady_clock::now();
  HwEval ev;
  ev.accel = a;
  ev.layers.resize(layers.size());
  ev.mappings.resize(layers.size());
  // BatchTile over the layers not in the memo, in parallel (map_network's threads).
  model::Network todo;
  std::vector<std::size_t> where;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    auto it = memo_.find(key(layers[i], a));
    if (it != memo_.end()) {
      ev.layers[i] = it->second.first;
      ev.mappings[i] = it->second.second;
    } else {
      todo.layers.push_back(layers[i]);
      where.push_back(i);
    }
  }
  ev.cached = todo.layers.empty();
  if (!todo.layers.empty()) {
    model::MapperOptions mo;
    mo.objective = model::Objective::Cost;
    const double sum = opt_.lambda_energy + opt_.lambda_latency;
    mo.weights = {sum > 0 ? opt_.lambda_energy / sum : 0.5,
                  sum > 0 ? opt_.lambda_latency / sum : 0.5};
    mo.threads = opt_.threads;
    auto res = model::map_network(todo, a, tech_, cal_, mo);
    for (std::size_t j = 0; j < res.size(); ++j) {
      model::Cost c = res[j].cost;
      if (!res[j].feasible) { // nothing fits: priced far above any feasible design
        c.cycles *= 100;
        c.energy_j *= 100;
      }
      ev.layers[where[j]] = c;
      ev.mappings[where[j]] = res[j].mapping;
      memo_.emplace(key(todo.layers[j], a), std::make_pair(c, res[j].mapping));
    }
  }
  for (const auto& c : ev.layers) {
    ev.latency_s += double(c.cycles) / a.clock_hz;
    ev.energy_j += c.energy_j;
  }
  ev.area_mm2 = model::area_mm2(a, tech_);
  ev.cost = weighted(ev.energy_j, ev.latency_s, ev.area_mm2);
  ev.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return ev;
}

HwEval HwCost::evaluate(const std::vector<model::Layer>& layers, const torch::Tensor& ops,
                        const HwGenOutput& gen, const SoftSubnet* soft) {
  const model::Accelerator a = space_.accelerator(gen.choice);
  HwEval ev = exact(layers, a);

  // The surrogate first learns from this exact result; the loss then uses a frozen copy
  // of it, so later surrogate updates never touch the caller's graph.
  remember(inputs(layers, a), ev.layers);
  fit(opt_.surrogate_steps);
  // Latency and energy: exact value, relative gradient of the surrogate (straight through
  // in log space: value * exp(log s - detach(log s))).
  auto accel = encode_accelerator(space_, gen.weights);
  torch::Tensor log_l, log_e; // ln of the surrogate's total cycles and energy (pJ)
  if (soft) {
    const auto relax = relax_.soft(soft->layers, gen.weights);
    auto pred = to_log(surrogate_->forward_frozen(soft->ops, accel, relax));
    auto log_w = torch::log(soft->weight.clamp_min(1e-12));
    log_l = torch::logsumexp(pred.select(1, 0) + log_w, 0);
    log_e = torch::logsumexp(pred.select(1, 1) + log_w, 0);
  } else {
    const auto relax = relax_.soft(layers, gen.weights);
    auto pred = to_log(surrogate_->forward_frozen(ops, accel, relax)); // ln cycles, ln pJ
    log_l = torch::logsumexp(pred.select(1, 0), 0);
    log_e = torch::logsumexp(pred.select(1, 1), 0);
  }
  auto lat = ev.latency_s * torch::exp(log_l - log_l.detach());
  auto en = ev.energy_j * torch::exp(log_e - log_e.detach());
  // Area: closed form, so the exact area of every option of every head (others at their
  // choice), weighted by the head's Gumbel weights; forward value = the chosen area.
  auto area = torch::tensor(ev.area_mm2);
  for (int h = 0; h < kNumHeads; ++h) {
    std::vector<float> v(std::size_t(space_.options(HwHead(h))));
    auto c = gen.choice;
    for (int i = 0; i < space_.options(HwHead(h)); ++i) {
      c[h] = i;
      v[std::size_t(i)] = float(model::area_mm2(space_.accelerator(c), tech_));
    }
    auto expected = (gen.weights[h] * torch::tensor(v)).sum();
    area = area + (expected - expected.detach());
  }
  ev.loss = opt_.lambda_energy * en / opt_.ref_energy_j +
            opt_.lambda_latency * lat / opt_.ref_latency_s +
            opt_.lambda_area * area / opt_.ref_area_mm2;
  return ev;
}

torch::Tensor HwCost::inputs(const std::vector<model::Layer>& layers, const model::Accelerator& a) {
  return cost_rows(encode_layers(layers), encode_at(space_, a), relax_.at(layers, a));
}

std::pair<double, double> HwCost::predict(const std::vector<model::Layer>& layers,
                                          const model::Accelerator& a) {
  torch::NoGradGuard g;
  auto pred = to_log(surrogate_->forward_rows(inputs(layers, a)));
  return {torch::exp(pred.select(1, 0)).sum().item<double>(),
          torch::exp(pred.select(1, 1)).sum().item<double>() * 1e-12};
}

void HwCost::remember(const torch::Tensor& x, const std::vector<model::Cost>& costs) {
  if (!X_.defined()) {
    X_ = torch::zeros({std::int64_t(opt_.replay), kCostInputs});
    Y_ = torch::zeros({std::int64_t(opt_.replay), 2});
  }
  const auto y = cost_targets(costs);
  for (std::int64_t i = 0; i < x.size(0); ++i) {
    X_[std::int64_t(next_)] = x[i];
    Y_[std::int64_t(next_)] = y[i];
    next_ = (next_ + 1) % opt_.replay;
    filled_ = std::min(filled_ + 1, opt_.replay);
  }
}

void HwCost::fit(int steps) {
  if (filled_ == 0 || steps <= 0) return;
  const std::int64_t n = std::int64_t(filled_), batch = std::min<std::int64_t>(128, n);
  for (int s = 0; s < steps; ++s) {
    auto idx = torch::randint(n, {batch}, torch::kLong);
    auto xb = X_.index_select(0, idx), yb = Y_.index_select(0, idx);
    auto pred = surrogate_->forward_rows(xb);
    auto loss = F::mse_loss(pred, yb);
    sgd_->zero_grad();
    loss.backward();
    sgd_->step();
    last_fit_loss_ = loss.item<double>();
  }
}

void HwCost::warm_up(const std::vector<model::Layer>& layers, int samples, std::uint64_t seed,
                     int fit_steps) {
  std::mt19937_64 rng(seed);
  const int bits[] = {2, 4, 8};
  for (int s = 0; s < samples; ++s) {
    std::array<int, kNumHeads> c{};
    for (int h = 0; h < kNumHeads; ++h)
      c[h] = int(rng() % std::uint64_t(space_.options(HwHead(h))));
    std::vector<model::Layer> ls = layers;
    for (auto& l : ls) {
      l.a_bits = bits[rng() % 3];
      l.w_bits = bits[rng() % 3];
    }
    const model::Accelerator a = space_.accelerator(c);
    HwEval ev = exact(ls, a);
    remember(inputs(ls, a), ev.layers);
  }
  // About 100 passes over the samples (batch 128), at least 300 steps, unless given.
  const int rows = samples * int(layers.size());
  fit(fit_steps > 0 ? fit_steps : std::clamp(rows * 100 / 128, 300, 3000));
}

bool HwCost::check_disagreement(const std::vector<model::Layer>& layers, const HwGenOutput& gen,
                                std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  const int h = int(rng() % kNumHeads);
  auto alt = gen.choice;
  const int n = space_.options(HwHead(h));
  alt[h] = (gen.choice[h] + 1 + int(rng() % std::uint64_t(n - 1))) % n;
  const HwEval cur = exact(layers, space_.accelerator(gen.choice));
  const HwEval other = exact(layers, space_.accelerator(alt));
  // The cost path's view, as its gradient sees it (evaluate()): the exact latency and energy
  // of the current choice times the surrogate's ratio alt / current. The area is exact on
  // both sides and left out of both, so that the check measures the surrogate alone.
  const auto [cyc_cur, e_cur] = predict(layers, cur.accel);
  const auto [cyc_alt, e_alt] = predict(layers, other.accel);
  const double exact_cur = weighted(cur.energy_j, cur.latency_s, 0);
  const double exact_diff = weighted(other.energy_j, other.latency_s, 0) - exact_cur;
  const double path_diff =
      weighted(cur.energy_j * e_alt / e_cur, cur.latency_s * cyc_alt / cyc_cur, 0) - exact_cur;
  // Near-ties (the choices differ by less than disagreement_min_diff of the cost) carry no
  // preference worth following and are not counted.
  if (std::abs(exact_diff) <= opt_.disagreement_min_diff * std::abs(exact_cur)) return false;
  ++checks_;
  const bool wrong = (path_diff < 0) != (exact_diff < 0);
  disagreed_ += wrong;
  return wrong;
}

int check_cost_model_file(const std::string& path, const std::string& field) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw model::SpecError(field, "no cost model file '" + path + "'");
  torch::serialize::InputArchive a;
  torch::Tensor meta;
  try {
    a.load_from(path);
  } catch (const c10::Error&) {
    throw model::SpecError(field, "'" + path + "' is not a cost model file");
  }
  if (!a.try_read("meta", meta, /*is_buffer=*/true) || meta.numel() < 2)
    throw model::SpecError(field, "'" + path + "' is not a cost model file (no meta)");
  meta = meta.to(torch::kFloat64).contiguous();
  const int version = int(meta.data_ptr<double>()[0]), hidden = int(meta.data_ptr<double>()[1]);
  if (version != kCostFeatureVersion)
    throw model::SpecError(field, "'" + path + "' is a cost model of feature version " +
                                      std::to_string(version) + ", this build reads version " +
                                      std::to_string(kCostFeatureVersion) +
                                      " (regenerate it: brickyard cost-model)");
  if (hidden < 1 || hidden > 4096)
    throw model::SpecError(field, "'" + path + "' has a hidden size of " + std::to_string(hidden));
  return hidden;
}

void HwCost::load_cost_model(const std::string& path, const std::string& field) {
  const int hidden = check_cost_model_file(path, field);
  torch::serialize::InputArchive a;
  a.load_from(path);
  surrogate_ = CostModel(hidden);
  torch::serialize::InputArchive m;
  try {
    a.read("model", m);
    surrogate_->load(m);
  } catch (const c10::Error&) {
    throw model::SpecError(field, "'" + path + "' does not hold a cost model of " +
                                      std::to_string(hidden) + " hidden units");
  }
  sgd_ = std::make_unique<torch::optim::Adam>(surrogate_->parameters(),
                                              torch::optim::AdamOptions(opt_.surrogate_lr));
}

void HwCost::save(torch::serialize::OutputArchive& a) const {
  torch::serialize::OutputArchive m, o;
  surrogate_->save(m);
  a.write("surrogate", m);
  sgd_->save(o);
  a.write("surrogate_optimizer", o);
  if (X_.defined()) {
    a.write("replay_x", X_, /*is_buffer=*/true);
    a.write("replay_y", Y_, /*is_buffer=*/true);
  }
  a.write("counters",
          torch::tensor(
              {double(next_), double(filled_), last_fit_loss_, double(disagreed_), double(checks_)},
              torch::kFloat64),
          /*is_buffer=*/true);
}

void HwCost::load(torch::serialize::InputArchive& a) {
  torch::serialize::InputArchive m, o;
  a.read("surrogate", m);
  surrogate_->load(m);
  a.read("surrogate_optimizer", o);
  sgd_->load(o);
  torch::Tensor x, y, c;
  if (a.try_read("replay_x", x, /*is_buffer=*/true) && a.try_read("replay_y", y, true))
    X_ = x, Y_ = y;
  a.read("counters", c, /*is_buffer=*/true);
  c = c.contiguous();
  const double* v = c.data_ptr<double>();
  next_ = std::size_t(v[0]), filled_ = std::size_t(v[1]), last_fit_loss_ = v[2];
  disagreed_ = std::int64_t(v[3]), checks_ = std::int64_t(v[4]);
}

} // namespace brickyard::search
