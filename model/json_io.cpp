#include "model/json_io.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <vector>

#include "model/design.hpp"
#include "model/error.hpp"
#include "model/json_reader.hpp"
#include "model/spec.hpp"

#ifndef BRICKYARD_DATA_DIR
#define BRICKYARD_DATA_DIR "data"
#endif

namespace brickyard::model {

namespace {

using ObjectReader = JsonReader;

// A documented tech value: {"value": x, "unit": "...", "source": "..."}.
double tech_value(ObjectReader& r, const std::string& key, const std::string& unit) {
  r.require(key);
  ObjectReader v(r.raw(key), r.field(key) + ".");
  v.require("value");
  v.require("unit");
  v.require("source");
  double x = v.get_double("value", 0);
  std::string u = v.get_string("unit", "");
  if (u != unit)
    throw SpecError(r.field(key) + ".unit", "expected '" + unit + "', got '" + u + "'");
  if (v.get_string("source", "").empty()) throw SpecError(r.field(key) + ".source", "is empty");
  v.get_string("note", "");
  v.finish();
  return x;
}

} // namespace

json to_json(const Layer& l) {
  json j = {{"type", to_string(l.type)},
            {"n", l.n},
            {"ic", l.ic},
            {"oc", l.oc},
            {"ih", l.ih},
            {"iw", l.iw},
            {"k", l.k},
            {"stride", l.stride},
            {"pad", l.pad},
            {"groups", l.groups},
            {"a_bits", l.a_bits},
            {"w_bits", l.w_bits}};
  if (!l.name.empty()) j["name"] = l.name;
  return j;
}

Layer layer_from_json(const json& j, const std::string& where) {
  ObjectReader r(j, where);
  Layer l;
  l.name = r.get_string("name", "");
  bool have_type = r.has("type");
  if (have_type) l.type = layer_type_from_string(r.get_string("type", "conv"), r.field("type"));
  l.n = r.get_int("n", 1);
  r.require("ic");
  r.require("oc");
  l.ic = r.get_int("ic", 1);
  l.oc = r.get_int("oc", 1);
  l.k = r.get_int("k", 1);
  l.stride = r.get_int("stride", 1);
  l.pad = r.get_int("pad", 0);
  l.groups = r.get_int("groups", 1);
  l.a_bits = r.get_int("a_bits", 8);
  l.w_bits = r.get_int("w_bits", 8);
  bool in = r.has("ih") || r.has("iw");
  bool out = r.has("oh") || r.has("ow");
  if (in && out) throw SpecError(r.field("oh"), "give either oh/ow or ih/iw, not both");
  if (out) {
    r.require("oh");
    r.require("ow");
    int oh = r.get_int("oh", 1), ow = r.get_int("ow", 1);
    if (oh < 1) throw SpecError(r.field("oh"), "must be >= 1");
    if (ow < 1) throw SpecError(r.field("ow"), "must be >= 1");
    if (l.stride < 1) throw SpecError(r.field("stride"), "must be >= 1");
    if (l.k < 1) throw SpecError(r.field("k"), "must be >= 1");
    if (l.pad < 0) throw SpecError(r.field("pad"), "must be >= 0");
    // 64-bit: oh, stride, k and pad are only range-checked by validate() below.
    std::int64_t ih = std::int64_t(oh - 1) * l.stride + l.k - 2 * std::int64_t(l.pad);
    std::int64_t iw = std::int64_t(ow - 1) * l.stride + l.k - 2 * std::int64_t(l.pad);
    if (ih < 1) throw SpecError(r.field("pad"), "too large for oh, k and stride");
    if (iw < 1) throw SpecError(r.field("pad"), "too large for ow, k and stride");
    if (ih > std::numeric_limits<int>::max())
      throw SpecError(r.field("oh"), "too large for k and stride");
    if (iw > std::numeric_limits<int>::max())
      throw SpecError(r.field("ow"), "too large for k and stride");
    l.ih = static_cast<int>(ih);
    l.iw = static_cast<int>(iw);
  } else if (in) {
    r.require("ih");
    r.require("iw");
    l.ih = r.get_int("ih", 1);
    l.iw = r.get_int("iw", 1);
  } else if (l.type != LayerType::FullyConnected) {
    throw SpecError(r.field("ih"), "missing (give ih/iw or oh/ow)");
  }
  if (!have_type && l.groups > 1)
    l.type = (l.groups == l.ic && l.groups == l.oc) ? LayerType::Depthwise : LayerType::Grouped;
  r.finish();
  validate(l, where);
  return l;
}

json to_json(const Network& n) {
  json layers = json::array();
  for (const auto& l : n.layers) layers.push_back(to_json(l));
  return {{"name", n.name}, {"layers", layers}};
}

Network network_from_json(const json& j) {
  ObjectReader r(j, "");
  Network n;
  n.name = r.get_string("name", "network");
  r.get_string("description", "");
  r.get_string("source", "");
  r.require("layers");
  const json& layers = r.raw("layers");
  if (!layers.is_array()) throw SpecError("layers", "must be an array");
  for (std::size_t i = 0; i < layers.size(); ++i)
    n.layers.push_back(layer_from_json(layers[i], "layers[" + std::to_string(i) + "]."));
  r.finish();
  validate(n);
  return n;
}

json to_json(const Accelerator& a) {
  return {{"pe_rows", a.pe_rows},
          {"pe_cols", a.pe_cols},
          {"abuf_bytes", a.abuf_bytes},
          {"wbuf_bytes", a.wbuf_bytes},
          {"obuf_bytes", a.obuf_bytes},
          {"dataflow", to_string(a.dataflow)},
          {"clock_hz", a.clock_hz},
          {"dram_bits_per_cycle", a.dram_bits_per_cycle},
          {"dram_latency_cycles", a.dram_latency_cycles},
          {"partial_tiles", a.padded_partial_tiles ? "padded" : "exact"},
          {"tech", a.tech}};
}

Accelerator accelerator_from_json(const json& j, const std::string& where) {
  ObjectReader r(j, where);
  Accelerator a;
  a.pe_rows = r.get_int("pe_rows", a.pe_rows);
  a.pe_cols = r.get_int("pe_cols", a.pe_cols);
  a.abuf_bytes = r.get_i64("abuf_bytes", a.abuf_bytes);
  a.wbuf_bytes = r.get_i64("wbuf_bytes", a.wbuf_bytes);
  a.obuf_bytes = r.get_i64("obuf_bytes", a.obuf_bytes);
  if (r.has("dataflow"))
    a.dataflow = dataflow_from_string(r.get_string("dataflow", "ws"), r.field("dataflow"));
  a.clock_hz = r.get_double("clock_hz", a.clock_hz);
  a.dram_bits_per_cycle = r.get_int("dram_bits_per_cycle", a.dram_bits_per_cycle);
  a.dram_latency_cycles = r.get_int("dram_latency_cycles", a.dram_latency_cycles);
  a.tech = r.get_string("tech", a.tech);
  if (r.has("partial_tiles")) {
    std::string p = r.get_string("partial_tiles", "exact");
    if (p != "exact" && p != "padded")
      throw SpecError(r.field("partial_tiles"), "must be exact or padded (got '" + p + "')");
    a.padded_partial_tiles = p == "padded";
  }
  r.get_string("name", "");
  r.finish();
  validate(a, where);
  return a;
}

json to_json(const Mapping& m) {
  json tile = json::object();
  for (Dim d : kAllDims) tile[to_string(d)] = m[d];
  json order = json::array();
  for (Dim d : m.order) order.push_back(to_string(d));
  return {{"tile", tile}, {"order", order}};
}

Mapping mapping_from_json(const json& j, const std::string& where) {
  ObjectReader r(j, where);
  Mapping m;
  r.require("tile");
  ObjectReader t(r.raw("tile"), where + "tile.");
  for (Dim d : kAllDims) {
    t.require(to_string(d));
    m[d] = t.get_int(to_string(d), 1);
  }
  t.finish();
  r.require("order");
  const json& o = r.raw("order");
  if (!o.is_array() || o.size() != kNumDims)
    throw SpecError(where + "order", "must be an array of the 5 dims n, ow, oh, ic, oc");
  for (int i = 0; i < kNumDims; ++i) {
    if (!o[i].is_string()) throw SpecError(where + "order", "entries must be strings");
    m.order[i] = dim_from_string(o[i].get<std::string>(), where + "order");
  }
  r.finish();
  return m;
}

json to_json(const EnergyBreakdown& e) {
  return {{"pe", e.pe},     {"abuf", e.abuf}, {"wbuf", e.wbuf},
          {"obuf", e.obuf}, {"dram", e.dram}, {"leak", e.leak}};
}

json to_json(const Traffic& t) {
  return {{"abuf_read", t.abuf_read},   {"abuf_write", t.abuf_write}, {"wbuf_read", t.wbuf_read},
          {"wbuf_write", t.wbuf_write}, {"obuf_read", t.obuf_read},   {"obuf_write", t.obuf_write},
          {"dram_read", t.dram_read},   {"dram_write", t.dram_write}};
}

EnergyBreakdown energy_from_json(const json& j) {
  EnergyBreakdown e;
  e.pe = j.at("pe").get<double>();
  e.abuf = j.at("abuf").get<double>();
  e.wbuf = j.at("wbuf").get<double>();
  e.obuf = j.at("obuf").get<double>();
  e.dram = j.at("dram").get<double>();
  e.leak = j.at("leak").get<double>();
  return e;
}

Traffic traffic_from_json(const json& j) {
  Traffic t;
  t.abuf_read = j.at("abuf_read").get<double>();
  t.abuf_write = j.at("abuf_write").get<double>();
  t.wbuf_read = j.at("wbuf_read").get<double>();
  t.wbuf_write = j.at("wbuf_write").get<double>();
  t.obuf_read = j.at("obuf_read").get<double>();
  t.obuf_write = j.at("obuf_write").get<double>();
  t.dram_read = j.at("dram_read").get<double>();
  t.dram_write = j.at("dram_write").get<double>();
  return t;
}

json to_json(const Cost& c) {
  json j = {{"feasible", c.feasible},
            {"cycles", c.cycles},
            {"compute_cycles", c.compute_cycles},
            {"stall_cycles", c.stall_cycles},
            {"latency_s", c.latency_s},
            {"energy_j", c.energy_j},
            {"utilization", c.utilization},
            {"breakdown", to_json(c.energy)},
            {"traffic_bits", to_json(c.traffic)}};
  if (!c.feasible) j["infeasible_reason"] = c.infeasible_reason;
  return j;
}

json to_json(const Calibration& c) {
  return {
      {"source", c.source},
      {"fill_drain", {{"ws", c.fill_drain[0]}, {"os", c.fill_drain[1]}, {"rs", c.fill_drain[2]}}},
      {"dram_efficiency", c.dram_efficiency},
      {"pe_energy_scale", c.pe_energy_scale},
      {"sram_energy_scale", c.sram_energy_scale},
      {"dram_energy_scale", c.dram_energy_scale}};
}

Calibration calibration_from_json(const json& j) {
  ObjectReader r(j, "");
  Calibration c;
  c.source = r.get_string("source", "file");
  r.get_string("description", "");
  if (r.has("meaning")) r.raw("meaning");
  if (r.has("error_report")) r.raw("error_report");
  if (r.has("fill_drain")) {
    ObjectReader f(r.raw("fill_drain"), "fill_drain.");
    c.fill_drain[0] = f.get_double("ws", 1.0);
    c.fill_drain[1] = f.get_double("os", 1.0);
    c.fill_drain[2] = f.get_double("rs", 1.0);
    f.finish();
  }
  c.dram_efficiency = r.get_double("dram_efficiency", 1.0);
  c.pe_energy_scale = r.get_double("pe_energy_scale", 1.0);
  c.sram_energy_scale = r.get_double("sram_energy_scale", 1.0);
  c.dram_energy_scale = r.get_double("dram_energy_scale", 1.0);
  r.finish();
  validate(c);
  return c;
}

Tech tech_from_json(const json& j) {
  ObjectReader r(j, "");
  Tech t;
  t.name = r.get_string("name", "");
  if (t.name.empty()) throw SpecError("name", "missing");
  r.get_string("description", "");
  r.require("fusion_unit");
  {
    ObjectReader fu(r.raw("fusion_unit"), "fusion_unit.");
    t.fu_dynamic_pj_per_cycle = tech_value(fu, "dynamic_energy", "pJ/cycle");
    t.fu_leak_mw = tech_value(fu, "leakage_power", "mW");
    t.fu_area_um2 = tech_value(fu, "area", "um^2");
    fu.get_string("note", "");
    fu.finish();
  }
  r.require("sram");
  {
    ObjectReader s(r.raw("sram"), "sram.");
    t.sram_word_bits = s.get_int("word_bits", 32);
    // Checked here, not only in validate(): the per-bit energies below divide by it.
    if (t.sram_word_bits < 1) throw SpecError("sram.word_bits", "must be positive");
    t.include_sram_leakage = s.get_bool("include_leakage", false);
    s.require("source");
    if (s.get_string("source", "").empty()) throw SpecError("sram.source", "is empty");
    s.get_string("note", "");
    s.require("units");
    ObjectReader u(s.raw("units"), "sram.units.");
    const std::pair<const char*, const char*> kUnits[] = {{"bytes", "B"},
                                                          {"read_energy", "nJ/access"},
                                                          {"write_energy", "nJ/access"},
                                                          {"leakage_power", "mW"},
                                                          {"area", "mm^2"}};
    for (auto [k, unit] : kUnits) {
      u.require(k);
      if (u.get_string(k, "") != unit)
        throw SpecError(std::string("sram.units.") + k, std::string("expected '") + unit + "'");
    }
    u.finish();
    s.require("points");
    const json& pts = s.raw("points");
    if (!pts.is_array()) throw SpecError("sram.points", "must be an array");
    for (std::size_t i = 0; i < pts.size(); ++i) {
      ObjectReader p(pts[i], "sram.points[" + std::to_string(i) + "].");
      for (const char* k : {"bytes", "read_energy", "write_energy", "leakage_power", "area"})
        p.require(k);
      SramPoint sp;
      sp.bytes = p.get_double("bytes", 0);
      double per_bit = 1000.0 / t.sram_word_bits; // nJ per word access -> pJ per bit
      sp.read_pj_per_bit = p.get_double("read_energy", 0) * per_bit;
      sp.write_pj_per_bit = p.get_double("write_energy", 0) * per_bit;
      sp.leak_mw = p.get_double("leakage_power", 0);
      sp.area_mm2 = p.get_double("area", 0);
      p.finish();
      t.sram.push_back(sp);
    }
    s.finish();
  }
  r.require("dram");
  {
    ObjectReader d(r.raw("dram"), "dram.");
    t.dram_pj_per_bit = tech_value(d, "energy", "pJ/bit");
    d.finish();
  }
  double psum_bits = tech_value(r, "psum_bits", "bit");
  // Range-check before the cast: converting an out-of-range double to int is undefined.
  if (!(psum_bits >= 8 && psum_bits <= 64) || psum_bits != std::floor(psum_bits))
    throw SpecError("psum_bits.value", "must be a whole number in 8..64");
  t.psum_bits = static_cast<int>(psum_bits);
  r.finish();
  validate(t);
  return t;
}

json read_json_file(const std::string& path, const std::string& field) {
  std::ifstream in(path);
  if (!in) throw SpecError(field, "cannot open '" + path + "'");
  std::stringstream ss;
  ss << in.rdbuf();
  // nlohmann keeps the last of repeated keys silently; reject them like the inline specs.
  std::vector<std::set<std::string>> keys;
  auto reject_repeats = [&keys](int, json::parse_event_t ev, json& parsed) {
    if (ev == json::parse_event_t::object_start) keys.emplace_back();
    if (ev == json::parse_event_t::object_end) keys.pop_back();
    if (ev == json::parse_event_t::key && !keys.back().insert(parsed.get<std::string>()).second)
      throw SpecError(parsed.get<std::string>(), "given twice");
    return true;
  };
  try {
    return json::parse(ss.str(), reject_repeats);
  } catch (const json::parse_error& e) {
    std::string msg = e.what();
    // "[json.exception.parse_error.101] parse error at line 3, column 5: ..."
    auto p = msg.find("parse error");
    throw SpecError(field, "malformed JSON in '" + path +
                               "': " + (p == std::string::npos ? msg : msg.substr(p)));
  } catch (const json::out_of_range& e) {
    // "[json.exception.out_of_range.406] number overflow parsing '1e400'"
    std::string msg = e.what();
    auto p = msg.find("] ");
    throw SpecError(field, "malformed JSON in '" + path +
                               "': " + (p == std::string::npos ? msg : msg.substr(p + 2)));
  } catch (const SpecError& e) {
    throw SpecError(field, "malformed JSON in '" + path + "': " + e.what());
  }
}

void write_json_file(const std::string& path, const json& j) {
  write_text_file(path, j.dump(2) + "\n");
}

void write_text_file(const std::string& path, const std::string& text) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp);
    if (!out) throw SpecError("out", "cannot write '" + path + "'");
    out << text;
    if (!out) throw SpecError("out", "write failed for '" + path + "'");
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    throw SpecError("out", "cannot write '" + path + "'");
  }
}

std::string data_dir() {
  if (const char* env = std::getenv("BRICKYARD_DATA_DIR"); env && *env) return env;
  return BRICKYARD_DATA_DIR;
}

Tech load_tech(const std::string& name_or_path) {
  std::string path = name_or_path;
  if (path.find('/') == std::string::npos && path.find(".json") == std::string::npos)
    path = data_dir() + "/tech/" + name_or_path + ".json";
  json j = read_json_file(path, "tech");
  try {
    return tech_from_json(j);
  } catch (const SpecError& e) {
    throw SpecError("tech", std::string("in '") + path + "': " + e.what());
  }
}

Calibration load_calibration(const std::string& path_in) {
  std::string path = path_in.empty() ? data_dir() + "/calibration/default.json" : path_in;
  json j = read_json_file(path, "calibration");
  try {
    return calibration_from_json(j);
  } catch (const SpecError& e) {
    throw SpecError("calibration", std::string("in '") + path + "': " + e.what());
  }
}

Network load_network(const std::string& path) {
  json j = read_json_file(path, "net");
  try {
    return network_from_json(j);
  } catch (const SpecError& e) {
    throw SpecError("net", std::string("in '") + path + "': " + e.what());
  }
}

Accelerator load_accelerator(const std::string& spec_or_path) {
  // A shipped accelerator by name: data/accels/<name>.json ("bitfusion" is BitFusion's
  // default, bitfusion_default.json), unless a file of that name exists here.
  if (!spec_or_path.empty() && spec_or_path.find_first_of("=/.") == std::string::npos &&
      !std::filesystem::exists(spec_or_path)) {
    const std::string name = spec_or_path == "bitfusion" ? "bitfusion_default" : spec_or_path;
    const std::string shipped = data_dir() + "/accels/" + name + ".json";
    if (!std::filesystem::exists(shipped))
      throw SpecError("accel", "'" + spec_or_path +
                                   "' is neither an inline spec (pe=...), a file, nor a shipped "
                                   "accelerator (bitfusion)");
    return load_accelerator(shipped);
  }
  if (spec_or_path.find('=') != std::string::npos) {
    try {
      return parse_accel_spec(spec_or_path);
    } catch (const SpecError& e) {
      throw SpecError("accel", e.what());
    }
  }
  json j = read_json_file(spec_or_path, "accel");
  try {
    // A design.json carries the accelerator under "accelerator".
    if (j.is_object() && j.contains("accelerator")) return accelerator_from_json(j["accelerator"]);
    return accelerator_from_json(j);
  } catch (const SpecError& e) {
    throw SpecError("accel", std::string("in '") + spec_or_path + "': " + e.what());
  }
}

Design load_design(const std::string& path) {
  json j = read_json_file(path, "design");
  if (!j.is_object() || !j.contains("network") || !j.contains("accelerator"))
    throw SpecError("design", "'" + path + "' needs \"network\" and \"accelerator\"");
  Design d;
  try {
    d.network = network_from_json(j["network"]);
    d.accelerator = accelerator_from_json(j["accelerator"], "accelerator.");
    if (j.contains("mappings")) {
      const json& arr = j["mappings"];
      if (!arr.is_array()) throw SpecError("mappings", "must be an array");
      for (std::size_t i = 0; i < arr.size(); ++i)
        d.mappings.push_back(mapping_from_json(arr[i], "mappings[" + std::to_string(i) + "]."));
      if (d.mappings.size() != d.network.layers.size())
        throw SpecError("mappings", "has " + std::to_string(d.mappings.size()) + " entries for " +
                                        std::to_string(d.network.layers.size()) + " layers");
      for (std::size_t i = 0; i < d.mappings.size(); ++i)
        validate(d.mappings[i], d.network.layers[i], "mappings[" + std::to_string(i) + "].");
    }
  } catch (const SpecError& e) {
    throw SpecError("design", std::string("in '") + path + "': " + e.what());
  }
  return d;
}

} // namespace brickyard::model
