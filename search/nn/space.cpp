#include "search/nn/space.hpp"

#include <cctype>
#include <filesystem>
#include <set>

#include "model/error.hpp"
#include "model/json_io.hpp"
#include "model/json_reader.hpp"
#include "model/layer.hpp"

namespace brickyard::search {

namespace {

using json = nlohmann::json;
using model::SpecError;

using Fields = model::JsonReader;

// Parses the digits after `prefix` at s[pos]; advances pos.
bool read_number(const std::string& s, std::size_t& pos, char prefix, int& out) {
  if (pos >= s.size() || s[pos] != prefix) return false;
  std::size_t end = ++pos;
  while (end < s.size() && std::isdigit(static_cast<unsigned char>(s[end])) && end - pos < 4) ++end;
  if (end == pos) return false;
  out = std::stoi(s.substr(pos, end - pos));
  pos = end;
  return true;
}

std::vector<int> bits_from_json(const json& v, const std::string& field) {
  if (!v.is_array() || v.empty()) throw SpecError(field, "must be a non-empty array of bits");
  std::vector<int> bits;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const auto f = field + "[" + std::to_string(i) + "]";
    if (!v[i].is_number_integer()) throw SpecError(f, "must be an integer");
    bits.push_back(v[i].get<int>());
  }
  return bits;
}

void check_bits_list(const std::vector<int>& bits, const std::string& field) {
  if (bits.empty()) throw SpecError(field, "needs at least one bit width");
  std::set<int> seen;
  for (std::size_t i = 0; i < bits.size(); ++i) {
    const auto f = field + "[" + std::to_string(i) + "]";
    if (!model::is_supported_bits(bits[i]))
      throw SpecError(f, "must be 2, 4 or 8 (got " + std::to_string(bits[i]) + ")");
    if (!seen.insert(bits[i]).second) throw SpecError(f, "repeated bit width");
  }
}

void check(bool ok, const std::string& field, const std::string& msg) {
  if (!ok) throw SpecError(field, msg);
}

// FBNet's candidate ops (Wu et al. 2019, Table 2): k3/k5 x e1/e3/e6, e1 also with
// group-2 pointwise convs, and skip; 9 per block as in JAQ.
std::vector<OpSpec> fbnet_ops() {
  return {{3, 1, 1, false}, {3, 1, 2, false}, {3, 3, 1, false}, {3, 6, 1, false}, {5, 1, 1, false},
          {5, 1, 2, false}, {5, 3, 1, false}, {5, 6, 1, false}, {3, 1, 1, true}};
}

} // namespace

std::string OpSpec::name() const {
  if (skip) return "skip";
  if (dense) return "conv_k" + std::to_string(k);
  std::string s = "k" + std::to_string(k) + "_e" + std::to_string(expansion);
  if (groups != 1) s += "_g" + std::to_string(groups);
  return s;
}

OpSpec parse_op(const std::string& s, const std::string& field) {
  OpSpec op;
  if (s == "skip") {
    op.skip = true;
    return op;
  }
  std::size_t pos = 0;
  bool ok = false;
  if (s.rfind("conv_", 0) == 0) {
    op.dense = true;
    pos = 5;
    ok = read_number(s, pos, 'k', op.k);
  } else {
    ok = read_number(s, pos, 'k', op.k) && pos < s.size() && s[pos++] == '_' &&
         read_number(s, pos, 'e', op.expansion);
    if (ok && pos < s.size()) ok = s[pos++] == '_' && read_number(s, pos, 'g', op.groups);
  }
  if (!ok || pos != s.size())
    throw SpecError(field,
                    "unknown op '" + s + "' (k<k>_e<e>[_g<g>], conv_k<k> or skip, e.g. k5_e6_g2)");
  if (op.k < 1 || op.k % 2 == 0 || op.k > 7) throw SpecError(field, "kernel must be 1, 3, 5 or 7");
  if (op.expansion < 1 || op.expansion > 8) throw SpecError(field, "expansion must be in 1..8");
  if (op.groups < 1 || op.groups > 8) throw SpecError(field, "groups must be in 1..8");
  return op;
}

int conv_out_size(int in, int k, int stride) {
  return (in + 2 * (k / 2) - k) / stride + 1;
}

int stem_out_size(const SearchSpace& s) {
  return conv_out_size(s.input_size, s.stem_k, s.stem_stride);
}

std::vector<BlockShape> blocks(const SearchSpace& s) {
  std::vector<BlockShape> out;
  int ch = s.stem_channels;
  int size = stem_out_size(s);
  for (const auto& st : s.stages) {
    for (int b = 0; b < st.blocks; ++b) {
      BlockShape bs;
      bs.in_channels = ch;
      bs.out_channels = st.channels;
      bs.stride = b == 0 ? st.stride : 1;
      bs.in_size = size;
      // Every candidate op ends in a stride-s depthwise stage with padding k/2: the output
      // size does not depend on k.
      bs.out_size = conv_out_size(size, 3, bs.stride);
      const bool same_shape = bs.stride == 1 && bs.in_channels == bs.out_channels;
      for (const auto& op : s.ops)
        if (!op.skip || same_shape) bs.ops.push_back(op);
      out.push_back(bs);
      ch = st.channels;
      size = bs.out_size;
    }
  }
  return out;
}

void validate(const SearchSpace& s) {
  check(s.in_channels >= 1 && s.in_channels <= 64, "input.channels", "must be in 1..64");
  check(s.input_size >= 1 && s.input_size <= 1024, "input.size", "must be in 1..1024");
  check(s.num_classes >= 2 && s.num_classes <= 100000, "num_classes", "must be >= 2");
  check(s.stem_channels >= 1 && s.stem_channels <= 4096, "stem.channels", "must be in 1..4096");
  check(s.stem_k >= 1 && s.stem_k % 2 == 1 && s.stem_k <= 7, "stem.k", "must be 1, 3, 5 or 7");
  check(s.stem_stride == 1 || s.stem_stride == 2, "stem.stride", "must be 1 or 2");
  check(!s.stages.empty(), "stages", "needs at least one stage");
  for (std::size_t i = 0; i < s.stages.size(); ++i) {
    const auto f = "stages[" + std::to_string(i) + "].";
    const auto& st = s.stages[i];
    check(st.channels >= 1 && st.channels <= 4096, f + "channels", "must be in 1..4096");
    check(st.stride == 1 || st.stride == 2, f + "stride", "must be 1 or 2");
    check(st.blocks >= 1 && st.blocks <= 64, f + "blocks", "must be in 1..64");
  }
  check(s.head_channels >= 0 && s.head_channels <= 8192, "head_channels", "must be in 0..8192");
  check(!s.ops.empty(), "ops", "needs at least one candidate op");
  std::set<std::string> names;
  for (std::size_t i = 0; i < s.ops.size(); ++i)
    check(names.insert(s.ops[i].name()).second, "ops[" + std::to_string(i) + "]", "repeated op");
  check_bits_list(s.a_bits, "a_bits");
  check_bits_list(s.w_bits, "w_bits");
  // Shapes: every block keeps at least one op, groups divide the channels, sizes >= 1.
  const auto bl = blocks(s);
  std::size_t b = 0;
  for (std::size_t i = 0; i < s.stages.size(); ++i) {
    const auto f = "stages[" + std::to_string(i) + "].";
    for (int r = 0; r < s.stages[i].blocks; ++r, ++b) {
      const auto& bs = bl[b];
      check(bs.in_size >= 1 && bs.out_size >= 1, f + "stride", "input too small for the strides");
      check(!bs.ops.empty(), "ops",
            "block " + std::to_string(b) + " changes shape and skip is its only candidate");
      for (const auto& op : bs.ops) {
        if (op.skip || op.groups == 1) continue;
        // Name the field that holds the channel count that is not divisible.
        const std::string in_field =
            b == 0 ? "stem.channels"
                   : (r == 0 ? "stages[" + std::to_string(i - 1) + "].channels" : f + "channels");
        const bool in_ok = bs.in_channels % op.groups == 0;
        check(in_ok && bs.out_channels % op.groups == 0, in_ok ? f + "channels" : in_field,
              "op " + op.name() + " needs channels divisible by " + std::to_string(op.groups) +
                  " (block " + std::to_string(b) + ": " + std::to_string(bs.in_channels) + " -> " +
                  std::to_string(bs.out_channels) + ")");
      }
    }
  }
  check(stem_out_size(s) >= 1, "stem.stride", "input too small");
}

nlohmann::json to_json(const SearchSpace& s) {
  json stages = json::array();
  for (const auto& st : s.stages)
    stages.push_back({{"channels", st.channels}, {"stride", st.stride}, {"blocks", st.blocks}});
  json ops = json::array();
  for (const auto& op : s.ops) ops.push_back(op.name());
  return {{"name", s.name},
          {"input", {{"channels", s.in_channels}, {"size", s.input_size}}},
          {"num_classes", s.num_classes},
          {"stem", {{"channels", s.stem_channels}, {"k", s.stem_k}, {"stride", s.stem_stride}}},
          {"stages", stages},
          {"head_channels", s.head_channels},
          {"ops", ops},
          {"a_bits", s.a_bits},
          {"w_bits", s.w_bits}};
}

SearchSpace space_from_json(const nlohmann::json& j) {
  Fields r(j, "");
  SearchSpace s;
  s.name = r.get_string("name", "");
  if (r.has("input")) {
    Fields in(r.raw("input"), "input.");
    s.in_channels = in.get_int("channels", s.in_channels, 1, 64);
    s.input_size = in.get_int("size", s.input_size, 1, 1024);
    in.finish();
  }
  s.num_classes = r.get_int("num_classes", s.num_classes, 2, 100000);
  if (r.has("stem")) {
    Fields st(r.raw("stem"), "stem.");
    s.stem_channels = st.get_int("channels", s.stem_channels, 1, 4096);
    s.stem_k = st.get_int("k", s.stem_k, 1, 7);
    s.stem_stride = st.get_int("stride", s.stem_stride, 1, 2);
    st.finish();
  }
  const json& stages = r.array("stages");
  for (std::size_t i = 0; i < stages.size(); ++i) {
    Fields st(stages[i], "stages[" + std::to_string(i) + "].");
    StageSpec sp;
    if (!st.has("channels")) throw SpecError(st.field("channels"), "missing");
    sp.channels = st.get_int("channels", 0, 1, 4096);
    sp.stride = st.get_int("stride", 1, 1, 2);
    sp.blocks = st.get_int("blocks", 1, 1, 64);
    st.finish();
    s.stages.push_back(sp);
  }
  s.head_channels = r.get_int("head_channels", 0, 0, 8192);
  if (r.has("ops")) {
    const json& ops = r.array("ops");
    s.ops.clear();
    for (std::size_t i = 0; i < ops.size(); ++i) {
      const auto f = "ops[" + std::to_string(i) + "]";
      if (!ops[i].is_string()) throw SpecError(f, "must be a string such as \"k3_e6\"");
      s.ops.push_back(parse_op(ops[i].get<std::string>(), f));
    }
  } else {
    s.ops = fbnet_ops();
  }
  if (r.has("a_bits")) s.a_bits = bits_from_json(r.raw("a_bits"), "a_bits");
  if (r.has("w_bits")) s.w_bits = bits_from_json(r.raw("w_bits"), "w_bits");
  r.finish();
  validate(s);
  return s;
}

std::vector<std::string> preset_names() {
  return {"small", "fbnet22"};
}

SearchSpace preset_space(const std::string& name) {
  SearchSpace s;
  s.name = name;
  s.ops = fbnet_ops();
  if (name == "small") {
    // 28x28 -> 14x14 at the stem, 7x7 after the first block, 4x4 after the third, and 6 of
    // FBNet's candidates (no e6, no k5 group op): every candidate of every block runs each
    // step, and depthwise convs on few channels are slow on CPUs, so this is what lets a
    // supernet search reach its accuracy in minutes on 2 cores. Blocks 1 and 3 keep their
    // shape and may choose skip.
    s.in_channels = 1;
    s.input_size = 28;
    s.num_classes = 10;
    s.stem_channels = 16;
    s.stem_stride = 2;
    s.stages = {{24, 2, 2}, {48, 2, 2}, {64, 1, 1}};
    s.head_channels = 0;
    s.ops = {{3, 1, 1, false}, {3, 1, 2, false}, {3, 3, 1, false},
             {5, 1, 1, false}, {5, 3, 1, false}, {3, 1, 1, true}};
  } else if (name == "fbnet22") {
    // FBNet-A macro-architecture (Wu et al. 2019, Table 1): stages 16x1, 24x4, 32x4, 64x4,
    // 112x4, 184x4, 352x1 = 22 blocks, 1x1 head of 1984. ImageNet strides are 2,1,2,2,2,1,2,1
    // (stem first); for 32x32 CIFAR the stem and the 24 stage keep stride 1.
    s.in_channels = 3;
    s.input_size = 32;
    s.num_classes = 10;
    s.stem_channels = 16;
    s.stem_stride = 1;
    s.stages = {{16, 1, 1},  {24, 1, 4},  {32, 2, 4}, {64, 2, 4},
                {112, 1, 4}, {184, 2, 4}, {352, 1, 1}};
    s.head_channels = 1984;
  } else {
    throw SpecError("space", "unknown preset '" + name + "' (small, fbnet22) or missing file");
  }
  validate(s);
  return s;
}

SearchSpace load_space(const std::string& name_or_path) {
  for (const auto& p : preset_names())
    if (p == name_or_path) return preset_space(p);
  if (!std::filesystem::exists(name_or_path)) return preset_space(name_or_path);
  return space_from_json(model::read_json_file(name_or_path, "space"));
}

} // namespace brickyard::search
