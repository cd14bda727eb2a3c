#include "search/nn/derive.hpp"

#include <algorithm>
#include <string>

#include <torch/nn/modules/batchnorm.h>

#include "model/error.hpp"

namespace brickyard::search {

namespace {

int argmax_index(const torch::Tensor& t) {
  return static_cast<int>(t.detach().argmax().item<std::int64_t>());
}

model::Layer conv_layer(std::string name, int n, int ic, int oc, int size, int k, int stride,
                        int groups, int a_bits, int w_bits) {
  model::Layer l;
  l.name = std::move(name);
  l.n = n;
  l.ic = ic;
  l.oc = oc;
  l.ih = l.iw = size;
  l.k = k;
  l.stride = stride;
  l.pad = k / 2;
  l.groups = groups;
  l.a_bits = a_bits;
  l.w_bits = w_bits;
  if (groups == 1)
    l.type = model::LayerType::Conv;
  else if (groups == ic && groups == oc)
    l.type = model::LayerType::Depthwise;
  else
    l.type = model::LayerType::Grouped;
  return l;
}

void check_choice(const SearchSpace& s, const std::vector<BlockShape>& shapes,
                  const ArchChoice& c) {
  if (c.op.size() != shapes.size() || c.a_bits.size() != shapes.size() ||
      c.w_bits.size() != shapes.size())
    throw model::SpecError("choice", "needs one op and one bit pair per block (" +
                                         std::to_string(shapes.size()) + " blocks)");
  for (std::size_t b = 0; b < shapes.size(); ++b) {
    const auto f = "choice[" + std::to_string(b) + "]";
    if (c.op[b] < 0 || c.op[b] >= static_cast<int>(shapes[b].ops.size()))
      throw model::SpecError(f + ".op", "index out of range");
    if (std::find(s.a_bits.begin(), s.a_bits.end(), c.a_bits[b]) == s.a_bits.end())
      throw model::SpecError(f + ".a_bits", "not a candidate of the space");
    if (std::find(s.w_bits.begin(), s.w_bits.end(), c.w_bits[b]) == s.w_bits.end())
      throw model::SpecError(f + ".w_bits", "not a candidate of the space");
  }
}

int index_of(const std::vector<int>& v, int x) {
  return static_cast<int>(std::find(v.begin(), v.end(), x) - v.begin());
}

} // namespace

ArchChoice argmax_choice(const SupernetImpl& net) {
  ArchChoice c;
  const auto& s = net.space();
  for (std::size_t b = 0; b < net.alpha.size(); ++b) {
    const int i = argmax_index(net.alpha[b]);
    c.op.push_back(i);
    c.a_bits.push_back(s.a_bits[static_cast<std::size_t>(argmax_index(net.beta_a[b][i]))]);
    c.w_bits.push_back(s.w_bits[static_cast<std::size_t>(argmax_index(net.beta_w[b][i]))]);
  }
  return c;
}

ArchChoice with_bits(ArchChoice c, int bits) {
  for (auto& b : c.a_bits) b = bits;
  for (auto& b : c.w_bits) b = bits;
  return c;
}

ArchWeights one_hot(const SupernetImpl& net, const ArchChoice& c) {
  const auto& s = net.space();
  check_choice(s, net.shapes(), c);
  ArchWeights w;
  for (std::size_t b = 0; b < net.alpha.size(); ++b) {
    const auto n = net.alpha[b].size(0);
    w.ops.push_back(torch::zeros({n}).index_fill_(0, torch::tensor({std::int64_t{c.op[b]}}), 1.0));
    auto a = torch::zeros({n, static_cast<std::int64_t>(s.a_bits.size())});
    auto ww = torch::zeros({n, static_cast<std::int64_t>(s.w_bits.size())});
    a.index_fill_(1, torch::tensor({std::int64_t{index_of(s.a_bits, c.a_bits[b])}}), 1.0);
    ww.index_fill_(1, torch::tensor({std::int64_t{index_of(s.w_bits, c.w_bits[b])}}), 1.0);
    w.a.push_back(a);
    w.w.push_back(ww);
  }
  return w;
}

nlohmann::json to_json(const SearchSpace& s, const ArchChoice& c) {
  const auto shapes = blocks(s);
  check_choice(s, shapes, c);
  auto out = nlohmann::json::array();
  for (std::size_t b = 0; b < shapes.size(); ++b)
    out.push_back({{"op", shapes[b].ops[static_cast<std::size_t>(c.op[b])].name()},
                   {"a_bits", c.a_bits[b]},
                   {"w_bits", c.w_bits[b]}});
  return out;
}

ArchChoice choice_from_json(const SearchSpace& s, const nlohmann::json& j,
                            const std::string& field) {
  const auto shapes = blocks(s);
  if (!j.is_array() || j.size() != shapes.size())
    throw model::SpecError(field, "needs one entry per block of the space (" +
                                      std::to_string(shapes.size()) + " blocks)");
  ArchChoice c;
  for (std::size_t b = 0; b < shapes.size(); ++b) {
    const auto f = field + "[" + std::to_string(b) + "]";
    const auto& e = j[b];
    if (!e.is_object() || !e.contains("op") || !e["op"].is_string())
      throw model::SpecError(f + ".op", "missing (an op name of the space)");
    const std::string op = e["op"].get<std::string>();
    int idx = -1;
    for (std::size_t i = 0; i < shapes[b].ops.size(); ++i)
      if (shapes[b].ops[i].name() == op) idx = static_cast<int>(i);
    if (idx < 0) throw model::SpecError(f + ".op", "'" + op + "' is not a candidate of the block");
    c.op.push_back(idx);
    for (const char* k : {"a_bits", "w_bits"})
      if (!e.contains(k) || !e[k].is_number_integer())
        throw model::SpecError(f + "." + k, "missing or not an integer");
    c.a_bits.push_back(e["a_bits"].get<int>());
    c.w_bits.push_back(e["w_bits"].get<int>());
  }
  check_choice(s, shapes, c);
  return c;
}

std::vector<model::Layer> describe(const SearchSpace& s, const ArchChoice& c, int n) {
  const auto shapes = blocks(s);
  check_choice(s, shapes, c);
  std::vector<model::Layer> layers;
  layers.push_back(conv_layer("stem", n, s.in_channels, s.stem_channels, s.input_size, s.stem_k,
                              s.stem_stride, 1, 8, 8));
  for (std::size_t b = 0; b < shapes.size(); ++b) {
    const auto& sh = shapes[b];
    const auto& op = sh.ops[static_cast<std::size_t>(c.op[b])];
    if (op.skip) continue;
    const auto prefix = "b" + std::to_string(b) + "." + op.name() + ".";
    if (op.dense) {
      layers.push_back(conv_layer(prefix + "conv", n, sh.in_channels, sh.out_channels, sh.in_size,
                                  op.k, sh.stride, 1, c.a_bits[b], c.w_bits[b]));
      continue;
    }
    const int hidden = sh.in_channels * op.expansion;
    const int ab = c.a_bits[b], wb = c.w_bits[b];
    if (op.expansion != 1)
      layers.push_back(conv_layer(prefix + "expand", n, sh.in_channels, hidden, sh.in_size, 1, 1,
                                  op.groups, ab, wb));
    layers.push_back(conv_layer(prefix + "depthwise", n, hidden, hidden, sh.in_size, op.k,
                                sh.stride, hidden, ab, wb));
    layers.push_back(conv_layer(prefix + "project", n, hidden, sh.out_channels, sh.out_size, 1, 1,
                                op.groups, ab, wb));
  }
  int ch = shapes.empty() ? s.stem_channels : shapes.back().out_channels;
  const int size = shapes.empty() ? stem_out_size(s) : shapes.back().out_size;
  if (s.head_channels > 0) {
    layers.push_back(conv_layer("head", n, ch, s.head_channels, size, 1, 1, 1, 8, 8));
    ch = s.head_channels;
  }
  auto fc = conv_layer("fc", n, ch, s.num_classes, 1, 1, 1, 1, 8, 8);
  fc.type = model::LayerType::FullyConnected;
  layers.push_back(fc);
  return layers;
}

model::Network to_network(const SearchSpace& s, const ArchChoice& c, int n) {
  model::Network net;
  net.name = (s.name.empty() ? std::string("subnet") : s.name) + "_derived";
  net.layers = describe(s, c, n);
  return net;
}

SubnetImpl::SubnetImpl(const SupernetImpl& from, ArchChoice choice)
    : space_(from.space()), choice_(std::move(choice)) {
  const auto& shapes = from.shapes();
  check_choice(space_, shapes, choice_);
  const auto& s = space_;
  stem = register_module("stem", QConv(s.in_channels, s.stem_channels, s.stem_k, s.stem_stride, 1));
  stem_bn = register_module("stem_bn", torch::nn::BatchNorm2d(s.stem_channels));
  copy_state(*from.stem, *stem);
  copy_state(*from.stem_bn, *stem_bn);
  for (std::size_t b = 0; b < shapes.size(); ++b) {
    const auto& sh = shapes[b];
    const auto i = static_cast<std::size_t>(choice_.op[b]);
    Op op(sh.ops[i], sh.in_channels, sh.out_channels, sh.stride);
    copy_state(*from.ops[b][i], *op);
    ops.push_back(register_module("b" + std::to_string(b) + "_" + sh.ops[i].name(), op));
  }
  int ch = shapes.empty() ? s.stem_channels : shapes.back().out_channels;
  if (s.head_channels > 0) {
    head = register_module("head", QConv(ch, s.head_channels, 1, 1, 1));
    head_bn = register_module("head_bn", torch::nn::BatchNorm2d(s.head_channels));
    copy_state(*from.head, *head);
    copy_state(*from.head_bn, *head_bn);
    ch = s.head_channels;
  }
  classifier = register_module("classifier", QConv(ch, s.num_classes, 1, 1, 1));
  copy_state(*from.classifier, *classifier);
  classifier_bias = register_parameter("classifier_bias", from.classifier_bias.detach().clone());
  // A plain quantized network: every channel at the chosen bits (CSQ is search-only).
  for (const auto& l : layers()) bits_.push_back({l.a_bits, l.w_bits});
}

void SubnetImpl::set_layer_bits(std::vector<ConvBits> bits) {
  if (bits.size() != bits_.size())
    throw model::SpecError("bits", "needs one bit pair per layer (" + std::to_string(bits_.size()) +
                                       " layers)");
  for (std::size_t i = 0; i < bits.size(); ++i)
    for (int b : {bits[i].a_bits, bits[i].w_bits})
      if (b != 0) check_bits(b);
  bits_ = std::move(bits);
}

torch::Tensor SubnetImpl::forward(const torch::Tensor& x) {
  const ConvBits* bits = bits_.data();                          // in layers() order
  const auto xc = x.contiguous(at::MemoryFormat::ChannelsLast); // as in the supernet
  auto h = torch::relu(stem_bn->forward(stem->forward(xc, *bits++)));
  for (auto& op : ops) {
    if (op->spec.skip) continue;
    h = op->forward(h, bits);
    bits += op->num_convs();
  }
  if (head) h = torch::relu(head_bn->forward(head->forward(h, *bits++)));
  h = h.mean({2, 3}, /*keepdim=*/true);
  return classifier->forward(h, *bits).flatten(1) + classifier_bias;
}

} // namespace brickyard::search
