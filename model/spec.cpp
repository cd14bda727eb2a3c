#include "model/spec.hpp"

#include <cctype>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <vector>

#include "model/error.hpp"

namespace brickyard::model {

namespace {

// Splits "a=1,b=2" into ordered key/value pairs; rejects empty and repeated keys.
std::vector<std::pair<std::string, std::string>> split_spec(const std::string& spec,
                                                            const std::string& what) {
  if (spec.empty()) throw SpecError(what, "empty spec");
  std::vector<std::pair<std::string, std::string>> out;
  std::set<std::string> seen;
  std::size_t pos = 0;
  while (pos <= spec.size()) {
    std::size_t comma = spec.find(',', pos);
    if (comma == std::string::npos) comma = spec.size();
    std::string item = spec.substr(pos, comma - pos);
    std::size_t eq = item.find('=');
    if (item.empty()) throw SpecError(what, "empty item in '" + spec + "'");
    if (eq == std::string::npos || eq == 0)
      throw SpecError(what, "expected key=value, got '" + item + "'");
    std::string key = item.substr(0, eq);
    std::string val = item.substr(eq + 1);
    if (val.empty()) throw SpecError(key, "missing value");
    if (!seen.insert(key).second) throw SpecError(key, "given twice");
    out.emplace_back(key, val);
    pos = comma + 1;
  }
  return out;
}

int parse_int(const std::string& s, const std::string& field) {
  if (s.empty()) throw SpecError(field, "missing value");
  std::size_t i = (s[0] == '-' || s[0] == '+') ? 1 : 0;
  if (i == s.size()) throw SpecError(field, "not an integer: '" + s + "'");
  for (std::size_t j = i; j < s.size(); ++j)
    if (!std::isdigit(static_cast<unsigned char>(s[j])))
      throw SpecError(field, "not an integer: '" + s + "'");
  if (s.size() - i > 9) throw SpecError(field, "out of range: '" + s + "'");
  return std::stoi(s);
}

double parse_scaled(const std::string& s, const std::string& field, double k, bool integral) {
  if (s.empty()) throw SpecError(field, "missing value");
  double mult = 1;
  std::string num = s;
  char last = static_cast<char>(std::toupper(static_cast<unsigned char>(s.back())));
  if (last == 'K' || last == 'M' || last == 'G') {
    mult = last == 'K' ? k : last == 'M' ? k * k : k * k * k;
    num = s.substr(0, s.size() - 1);
  }
  if (num.empty()) throw SpecError(field, "not a number: '" + s + "'");
  std::size_t used = 0;
  double v = 0;
  try {
    v = std::stod(num, &used);
  } catch (const std::exception&) {
    throw SpecError(field, "not a number: '" + s + "'");
  }
  if (used != num.size() || !std::isfinite(v)) throw SpecError(field, "not a number: '" + s + "'");
  if (v <= 0) throw SpecError(field, "must be positive (got '" + s + "')");
  v *= mult;
  if (integral && v != std::floor(v)) throw SpecError(field, "must be a whole number of bytes");
  return v;
}

} // namespace

std::int64_t parse_bytes(const std::string& s, const std::string& field) {
  double v = parse_scaled(s, field, 1024.0, true);
  if (v > double(std::int64_t(1) << 40)) throw SpecError(field, "too large: '" + s + "'");
  return static_cast<std::int64_t>(v);
}

double parse_hz(const std::string& s, const std::string& field) {
  return parse_scaled(s, field, 1000.0, false);
}

Layer parse_layer_spec(const std::string& spec) {
  Layer l;
  int oh = 0, ow = 0;
  bool have_ih = false, have_iw = false, have_type = false;
  for (const auto& [key, val] : split_spec(spec, "layer")) {
    if (key == "k")
      l.k = parse_int(val, key);
    else if (key == "s" || key == "stride")
      l.stride = parse_int(val, key);
    else if (key == "oh")
      oh = parse_int(val, key);
    else if (key == "ow")
      ow = parse_int(val, key);
    else if (key == "ih")
      l.ih = parse_int(val, key), have_ih = true;
    else if (key == "iw")
      l.iw = parse_int(val, key), have_iw = true;
    else if (key == "ic")
      l.ic = parse_int(val, key);
    else if (key == "oc")
      l.oc = parse_int(val, key);
    else if (key == "ab")
      l.a_bits = parse_int(val, key);
    else if (key == "wb")
      l.w_bits = parse_int(val, key);
    else if (key == "g")
      l.groups = parse_int(val, key);
    else if (key == "pad")
      l.pad = parse_int(val, key);
    else if (key == "n")
      l.n = parse_int(val, key);
    else if (key == "name")
      l.name = val;
    else if (key == "type")
      l.type = layer_type_from_string(val, key), have_type = true;
    else
      throw SpecError(key, "unknown layer key (k, s, oh, ow, ih, iw, ic, oc, ab, wb, g, pad, n, "
                           "type, name)");
  }
  // Name errors after the inline keys the user typed.
  if (!is_supported_bits(l.a_bits))
    throw SpecError("ab", "must be 2, 4 or 8 (got " + std::to_string(l.a_bits) + ")");
  if (!is_supported_bits(l.w_bits))
    throw SpecError("wb", "must be 2, 4 or 8 (got " + std::to_string(l.w_bits) + ")");
  if (l.k < 1) throw SpecError("k", "must be >= 1 (got " + std::to_string(l.k) + ")");
  if (l.stride < 1) throw SpecError("s", "must be >= 1 (got " + std::to_string(l.stride) + ")");
  if (l.groups < 1) throw SpecError("g", "must be >= 1 (got " + std::to_string(l.groups) + ")");
  if (l.pad < 0) throw SpecError("pad", "must be >= 0");
  if ((oh != 0 || ow != 0) && (have_ih || have_iw))
    throw SpecError("oh", "give either oh/ow or ih/iw, not both");
  if (have_ih != have_iw) throw SpecError(have_ih ? "iw" : "ih", "ih and iw go together");
  if (!have_ih) {
    if (l.type == LayerType::FullyConnected && oh == 0 && ow == 0) oh = ow = 1;
    if (oh <= 0) throw SpecError("oh", "missing or not positive (give oh/ow or ih/iw)");
    if (ow <= 0) throw SpecError("ow", "missing or not positive (give oh/ow or ih/iw)");
    // 64-bit: oh, s, k and pad are only range-checked by validate() below.
    std::int64_t ih = std::int64_t(oh - 1) * l.stride + l.k - 2 * std::int64_t(l.pad);
    std::int64_t iw = std::int64_t(ow - 1) * l.stride + l.k - 2 * std::int64_t(l.pad);
    if (ih < 1) throw SpecError("pad", "too large for oh, k and s");
    if (iw < 1) throw SpecError("pad", "too large for ow, k and s");
    if (ih > std::numeric_limits<int>::max()) throw SpecError("oh", "too large for k and s");
    if (iw > std::numeric_limits<int>::max()) throw SpecError("ow", "too large for k and s");
    l.ih = static_cast<int>(ih);
    l.iw = static_cast<int>(iw);
  }
  if (!have_type && l.groups > 1)
    l.type = (l.groups == l.ic && l.groups == l.oc) ? LayerType::Depthwise : LayerType::Grouped;
  static const std::map<std::string, std::string> kInlineName = {
      {"a_bits", "ab"}, {"w_bits", "wb"}, {"stride", "s"}, {"groups", "g"}};
  try {
    validate(l);
  } catch (const SpecError& e) {
    auto it = kInlineName.find(e.field());
    if (it == kInlineName.end()) throw;
    std::string msg = e.what();
    throw SpecError(it->second, msg.substr(msg.find(": ") + 2));
  }
  return l;
}

Accelerator parse_accel_spec(const std::string& spec) {
  Accelerator a;
  for (const auto& [key, val] : split_spec(spec, "accel")) {
    if (key == "pe") {
      std::size_t x = val.find_first_of("xX");
      if (x == std::string::npos) throw SpecError("pe", "expected ROWSxCOLS, got '" + val + "'");
      a.pe_rows = parse_int(val.substr(0, x), "pe");
      a.pe_cols = parse_int(val.substr(x + 1), "pe");
      if (a.pe_rows < kMinPeDim || a.pe_rows > kMaxPeDim || a.pe_cols < kMinPeDim ||
          a.pe_cols > kMaxPeDim)
        throw SpecError("pe", "rows and cols must be in " + std::to_string(kMinPeDim) + ".." +
                                  std::to_string(kMaxPeDim) + " (got '" + val + "')");
    } else if (key == "abuf")
      a.abuf_bytes = parse_bytes(val, key);
    else if (key == "wbuf")
      a.wbuf_bytes = parse_bytes(val, key);
    else if (key == "obuf")
      a.obuf_bytes = parse_bytes(val, key);
    else if (key == "dataflow" || key == "df")
      a.dataflow = dataflow_from_string(val, key);
    else if (key == "clock")
      a.clock_hz = parse_hz(val, key);
    else if (key == "dram")
      a.dram_bits_per_cycle = parse_int(val, key);
    else if (key == "dram_latency")
      a.dram_latency_cycles = parse_int(val, key);
    else if (key == "tech")
      a.tech = val;
    else if (key == "partial") {
      if (val != "exact" && val != "padded")
        throw SpecError(key, "must be exact or padded (got '" + val + "')");
      a.padded_partial_tiles = val == "padded";
    } else
      throw SpecError(key, "unknown accelerator key (pe, abuf, wbuf, obuf, dataflow, clock, dram, "
                           "dram_latency, partial, tech)");
  }
  static const std::map<std::string, std::string> kInlineName = {
      {"abuf_bytes", "abuf"},          {"wbuf_bytes", "wbuf"},
      {"obuf_bytes", "obuf"},          {"clock_hz", "clock"},
      {"dram_bits_per_cycle", "dram"}, {"dram_latency_cycles", "dram_latency"}};
  try {
    validate(a);
  } catch (const SpecError& e) {
    auto it = kInlineName.find(e.field());
    if (it == kInlineName.end()) throw;
    std::string msg = e.what();
    throw SpecError(it->second, msg.substr(msg.find(": ") + 2));
  }
  return a;
}

} // namespace brickyard::model
