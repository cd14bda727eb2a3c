#include "search/nn/supernet.hpp"

#include <cmath>
#include <string>
#include <unordered_set>

#include <torch/nn/init.h>
#include <torch/nn/modules/batchnorm.h>

namespace brickyard::search {

namespace {

// ShuffleNet channel shuffle after a group-g pointwise conv (FBNet's g = 2 ops), so the
// next group conv mixes information across groups.
torch::Tensor shuffle_channels(const torch::Tensor& x, std::int64_t groups) {
  const auto n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  return x.view({n, groups, c / groups, h, w}).transpose(1, 2).reshape({n, c, h, w});
}

torch::nn::BatchNorm2d batch_norm(torch::nn::Module& m, const std::string& name, int channels) {
  return m.register_module(name, torch::nn::BatchNorm2d(torch::nn::BatchNorm2dOptions(channels)));
}

torch::Tensor importance(const torch::nn::BatchNorm2d& bn) {
  return bn->weight.detach().abs();
}

} // namespace

QConvImpl::QConvImpl(int in_channels_, int out_channels_, int k_, int stride_, int groups_)
    : in_channels(in_channels_), out_channels(out_channels_), k(k_), stride(stride_),
      groups(groups_) {
  // Channels-last (NHWC) weights and activations: LibTorch 1.13's CPU conv takes the oneDNN
  // path with them; NCHW depthwise convs with autograd fall back to a ~20x slower kernel.
  weight = register_parameter("weight", torch::empty({out_channels, in_channels / groups, k, k})
                                            .contiguous(at::MemoryFormat::ChannelsLast));
  // He initialization for ReLU networks (fan-in).
  torch::nn::init::kaiming_normal_(weight, 0.0, torch::kFanIn, torch::kReLU);
}

torch::Tensor QConvImpl::forward(const QuantizedInput& x, const torch::Tensor& wa,
                                 const torch::Tensor& ww, const QuantSetup& setup) {
  // Eq. 5: W~ = sum_k beta_w,k Q(W) (negligible memory next to the activations, JAQ Fig. 4b).
  const auto w = setup.mode == QuantMode::None ? weight : mixed_weight(weight, setup.w_bits, ww);
  return mixed_conv(x, wa, w, stride, groups);
}

torch::Tensor QConvImpl::forward(const torch::Tensor& x, ConvBits bits) {
  const auto a = bits.a_bits > 0 ? quantize(x, bits.a_bits) : x;
  const auto w = bits.w_bits > 0 ? quantize(weight, bits.w_bits, QuantRange::PerChannel) : weight;
  return torch::conv2d(a, w, {}, stride, k / 2, 1, groups);
}

OpImpl::OpImpl(OpSpec spec_, int in_channels_, int out_channels_, int stride_)
    : spec(spec_), in_channels(in_channels_), out_channels(out_channels_), stride(stride_),
      hidden(in_channels_ * spec_.expansion) {
  if (spec.skip) return;
  if (spec.dense) {
    conv = register_module("conv", QConv(in_channels, out_channels, spec.k, stride, 1));
    bn_conv = batch_norm(*this, "bn_conv", out_channels);
    return;
  }
  if (spec.expansion != 1) {
    expand = register_module("expand", QConv(in_channels, hidden, 1, 1, spec.groups));
    bn_expand = batch_norm(*this, "bn_expand", hidden);
  }
  depthwise = register_module("depthwise", QConv(hidden, hidden, spec.k, stride, hidden));
  bn_depthwise = batch_norm(*this, "bn_depthwise", hidden);
  project = register_module("project", QConv(hidden, out_channels, 1, 1, spec.groups));
  bn_project = batch_norm(*this, "bn_project", out_channels);
}

torch::Tensor OpImpl::forward(const QuantizedInput& x, const torch::Tensor& wa,
                              const torch::Tensor& ww, const QuantSetup& setup) {
  if (spec.skip) return x.a;
  if (spec.dense) return torch::relu(bn_conv->forward(conv->forward(x, wa, ww, setup)));
  // Each conv reads its input quantized with this op's bits (Eq. 5); inside the op the CSQ
  // importance of a channel is the |gamma| of the BN that produced it (Eq. 7-8).
  const QuantizedInput* in = &x;
  QuantizedInput h_in;
  if (expand) {
    auto h = expand->forward(*in, wa, ww, setup);
    if (spec.groups > 1) h = shuffle_channels(h, spec.groups); // before BN: gamma stays aligned
    h = torch::relu(bn_expand->forward(h));
    h_in = prepare_input(h, setup.mode, setup.a_bits, importance(bn_expand), setup.k_percent);
    in = &h_in;
  }
  auto h = torch::relu(bn_depthwise->forward(depthwise->forward(*in, wa, ww, setup)));
  const auto d_in =
      prepare_input(h, setup.mode, setup.a_bits, importance(bn_depthwise), setup.k_percent);
  auto y = bn_project->forward(project->forward(d_in, wa, ww, setup));
  if (stride == 1 && in_channels == out_channels) y = y + x.a;
  return y;
}

torch::Tensor OpImpl::forward(const torch::Tensor& x, const ConvBits* bits) {
  if (spec.skip) return x;
  if (spec.dense) return torch::relu(bn_conv->forward(conv->forward(x, *bits)));
  torch::Tensor h = x;
  if (expand) {
    h = expand->forward(h, *bits++);
    if (spec.groups > 1) h = shuffle_channels(h, spec.groups);
    h = torch::relu(bn_expand->forward(h));
  }
  h = torch::relu(bn_depthwise->forward(depthwise->forward(h, *bits++)));
  auto y = bn_project->forward(project->forward(h, *bits));
  if (stride == 1 && in_channels == out_channels) y = y + x;
  return y;
}

torch::Tensor OpImpl::out_importance() const {
  if (spec.skip) return {};
  return importance(spec.dense ? bn_conv : bn_project);
}

SupernetImpl::SupernetImpl(SearchSpace space, SupernetOptions options_)
    : options(options_), space_(std::move(space)) {
  validate(space_);
  csq_count(1, options.k_percent); // validates K
  shapes_ = blocks(space_);
  stem = register_module("stem", QConv(space_.in_channels, space_.stem_channels, space_.stem_k,
                                       space_.stem_stride, 1));
  stem_bn = batch_norm(*this, "stem_bn", space_.stem_channels);
  for (std::size_t b = 0; b < shapes_.size(); ++b) {
    const auto& s = shapes_[b];
    std::vector<Op> block;
    for (std::size_t i = 0; i < s.ops.size(); ++i)
      block.push_back(register_module("b" + std::to_string(b) + "_" + s.ops[i].name(),
                                      Op(s.ops[i], s.in_channels, s.out_channels, s.stride)));
    ops.push_back(block);
    const auto n = static_cast<std::int64_t>(s.ops.size());
    const auto na = static_cast<std::int64_t>(space_.a_bits.size());
    const auto nw = static_cast<std::int64_t>(space_.w_bits.size());
    // Uniform start: all candidates equally likely.
    alpha.push_back(register_parameter("alpha_" + std::to_string(b), torch::zeros({n})));
    beta_a.push_back(register_parameter("beta_a_" + std::to_string(b), torch::zeros({n, na})));
    beta_w.push_back(register_parameter("beta_w_" + std::to_string(b), torch::zeros({n, nw})));
  }
  int ch = shapes_.empty() ? space_.stem_channels : shapes_.back().out_channels;
  if (space_.head_channels > 0) {
    head = register_module("head", QConv(ch, space_.head_channels, 1, 1, 1));
    head_bn = batch_norm(*this, "head_bn", space_.head_channels);
    ch = space_.head_channels;
  }
  classifier = register_module("classifier", QConv(ch, space_.num_classes, 1, 1, 1));
  classifier_bias = register_parameter("classifier_bias", torch::zeros({space_.num_classes}));
}

QuantSetup SupernetImpl::block_setup() const {
  return {options.mode, options.k_percent, space_.a_bits, space_.w_bits};
}

QuantSetup SupernetImpl::fixed_setup() const {
  QuantSetup s;
  s.mode = options.mode == QuantMode::None ? QuantMode::None : QuantMode::Full;
  s.k_percent = options.k_percent;
  return s;
}

namespace {
// Value one-hot at the sample's argmax, gradient of the soft sample (straight-through).
torch::Tensor hard(const torch::Tensor& soft) {
  const auto one_hot = torch::zeros_like(soft).scatter_(-1, soft.detach().argmax(-1, true), 1.0);
  return one_hot - soft.detach() + soft;
}
} // namespace

ArchWeights SupernetImpl::sample(double tau, bool noise) const {
  ArchWeights w;
  // Hard: one bit width per sample (Auto-NBA's heterogeneous sampling, JAQ Table 7).
  const bool hard_bits = options.mode == QuantMode::Hard && noise;
  for (std::size_t b = 0; b < alpha.size(); ++b) {
    w.ops.push_back(gumbel_weights(alpha[b], tau, noise));
    w.a.push_back(gumbel_weights(beta_a[b], tau, noise));
    w.w.push_back(gumbel_weights(beta_w[b], tau, noise));
    if (hard_bits) w.a.back() = hard(w.a.back()), w.w.back() = hard(w.w.back());
  }
  return w;
}

ArchWeights SupernetImpl::sample_path(double tau) const {
  ArchWeights w = sample(tau, true);
  for (std::size_t b = 0; b < w.ops.size(); ++b) {
    w.path.push_back(static_cast<int>(w.ops[b].argmax().item<std::int64_t>()));
    w.ops[b] = hard(w.ops[b]);
    w.a[b] = hard(w.a[b]);
    w.w[b] = hard(w.w[b]);
  }
  return w;
}

torch::Tensor SupernetImpl::forward(const torch::Tensor& x, double tau, bool noise) {
  return forward(x, sample(tau, noise));
}

torch::Tensor SupernetImpl::forward(const torch::Tensor& x, const ArchWeights& aw) {
  const auto fixed = fixed_setup();
  const auto setup = block_setup();
  const auto xc = x.contiguous(at::MemoryFormat::ChannelsLast); // see QConvImpl
  auto h = torch::relu(
      stem_bn->forward(stem->forward(prepare_input(xc, fixed.mode, fixed.a_bits), {}, {}, fixed)));
  const auto gamma =
      setup.mode == QuantMode::Csq ? importances() : std::vector<torch::Tensor>(ops.size() + 1);
  // (CsqChannel0 quantizes channel 0 whatever the importance.)
  for (std::size_t b = 0; b < ops.size(); ++b) {
    // One quantized copy per bit candidate of the block input, shared by all ops.
    const auto in = prepare_input(h, setup.mode, setup.a_bits, gamma[b], setup.k_percent);
    torch::Tensor y;
    if (!aw.path.empty()) { // single path: the other candidates weigh exactly 0
      const auto li = static_cast<std::int64_t>(aw.path[b]);
      h = ops[b][std::size_t(li)]->forward(in, aw.a[b][li], aw.w[b][li], setup) * aw.ops[b][li];
      continue;
    }
    for (std::size_t i = 0; i < ops[b].size(); ++i) {
      const auto li = static_cast<std::int64_t>(i);
      // Eq. 1: the block output is the Gumbel-weighted sum of its candidates.
      const auto yi = ops[b][i]->forward(in, aw.a[b][li], aw.w[b][li], setup) * aw.ops[b][li];
      y = y.defined() ? y + yi : yi;
    }
    h = y;
  }
  if (head) {
    QuantSetup hs = fixed;
    hs.mode = setup.mode;
    const auto in = prepare_input(h, hs.mode, hs.a_bits, gamma.back(), hs.k_percent);
    h = torch::relu(head_bn->forward(head->forward(in, {}, {}, hs)));
  }
  h = h.mean({2, 3}, /*keepdim=*/true);
  const auto logits =
      classifier->forward(prepare_input(h, fixed.mode, fixed.a_bits), {}, {}, fixed);
  return logits.flatten(1) + classifier_bias;
}

std::vector<torch::Tensor> SupernetImpl::importances() const {
  std::vector<torch::Tensor> out{importance(stem_bn)};
  for (std::size_t b = 0; b < ops.size(); ++b) {
    // Eq. 8 with alpha as op probabilities; a skip op passes its input's importance on.
    const auto p = torch::softmax(alpha[b].detach(), 0);
    torch::Tensor g;
    for (std::size_t i = 0; i < ops[b].size(); ++i) {
      const auto li = static_cast<std::int64_t>(i);
      const auto gi = ops[b][i]->spec.skip ? out.back() : ops[b][i]->out_importance();
      g = g.defined() ? g + p[li] * gi : p[li] * gi;
    }
    out.push_back(g);
  }
  return out;
}

std::vector<torch::Tensor> SupernetImpl::arch_parameters() const {
  std::vector<torch::Tensor> p;
  for (std::size_t b = 0; b < alpha.size(); ++b) {
    p.push_back(alpha[b]);
    p.push_back(beta_a[b]);
    p.push_back(beta_w[b]);
  }
  return p;
}

std::vector<torch::Tensor> SupernetImpl::weight_parameters() const {
  std::unordered_set<const void*> arch;
  for (const auto& t : arch_parameters()) arch.insert(t.unsafeGetTensorImpl());
  std::vector<torch::Tensor> p;
  for (const auto& t : parameters())
    if (!arch.count(t.unsafeGetTensorImpl())) p.push_back(t);
  return p;
}

void copy_state(const torch::nn::Module& from, torch::nn::Module& to) {
  torch::NoGradGuard no_grad;
  const auto src_p = from.named_parameters();
  for (auto& p : to.named_parameters()) p.value().copy_(src_p[p.key()]);
  const auto src_b = from.named_buffers();
  for (auto& b : to.named_buffers()) b.value().copy_(src_b[b.key()]);
}

} // namespace brickyard::search
