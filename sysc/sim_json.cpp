#include "sysc/sim_json.hpp"

#include <algorithm>

#include "model/error.hpp"
#include "model/json_io.hpp"

namespace brickyard::sysc {

// The engine names live here, beside the format that carries them, so that the service
// library needs no SystemC.
const char* to_string(Engine e) {
  switch (e) {
  case Engine::Native:
    return "native";
  case Engine::Rtl:
    return "rtl";
  }
  return "?";
}

Engine engine_from_string(const std::string& s, const std::string& field) {
  if (s == "native") return Engine::Native;
  if (s == "rtl") return Engine::Rtl;
  throw model::SpecError(field, "unknown engine '" + s + "' (native, rtl)");
}

namespace {

json to_json(const BankCounts& b) {
  std::int64_t r = 0, w = 0, rmax = 0, wmax = 0;
  for (auto x : b.reads) r += x, rmax = std::max(rmax, x);
  for (auto x : b.writes) w += x, wmax = std::max(wmax, x);
  return {{"banks", b.banks},
          {"reads", r},
          {"writes", w},
          {"max_bank_reads", rmax},
          {"max_bank_writes", wmax},
          {"bank_reads", b.reads},
          {"bank_writes", b.writes}};
}

BankCounts bank_counts_from_json(const json& j) {
  BankCounts b;
  b.banks = j.at("banks").get<int>();
  b.reads = j.at("bank_reads").get<std::vector<std::int64_t>>();
  b.writes = j.at("bank_writes").get<std::vector<std::int64_t>>();
  return b;
}

} // namespace

json to_json(const SimOptions& o) {
  return {{"engine", to_string(o.engine)},
          {"skip_idle", o.skip_idle},
          {"watchdog_cycles", o.watchdog_cycles},
          {"seed", o.seed},
          {"a_signed", o.a_signed},
          {"w_signed", o.w_signed},
          {"check_outputs", o.check_outputs},
          {"trace_path", o.trace_path},
          {"cross_check", o.cross_check}};
}

SimOptions sim_options_from_json(const json& j) {
  SimOptions o;
  o.engine = engine_from_string(j.at("engine").get<std::string>(), "engine");
  o.skip_idle = j.at("skip_idle").get<bool>();
  o.watchdog_cycles = j.at("watchdog_cycles").get<std::uint64_t>();
  o.seed = j.at("seed").get<std::uint32_t>();
  o.a_signed = j.at("a_signed").get<bool>();
  o.w_signed = j.at("w_signed").get<bool>();
  o.check_outputs = j.at("check_outputs").get<bool>();
  o.trace_path = j.at("trace_path").get<std::string>();
  o.cross_check = j.at("cross_check").get<bool>();
  return o;
}

json to_json(const SimJob& s) {
  json maps = json::array();
  for (const auto& m : s.mappings) maps.push_back(model::to_json(m));
  return {{"id", s.id},
          {"network", model::to_json(s.network)},
          {"accelerator", model::to_json(s.accel)},
          {"mappings", maps},
          {"options", to_json(s.options)},
          {"rtl_model", s.rtl_model}};
}

SimJob sim_job_from_json(const json& j) {
  SimJob s;
  s.id = j.at("id").get<std::string>();
  s.network = model::network_from_json(j.at("network"));
  s.accel = model::accelerator_from_json(j.at("accelerator"), "accelerator.");
  const json& maps = j.at("mappings");
  for (std::size_t i = 0; i < maps.size(); ++i)
    s.mappings.push_back(model::mapping_from_json(maps[i], "mappings[" + std::to_string(i) + "]."));
  s.options = sim_options_from_json(j.at("options"));
  s.rtl_model = j.at("rtl_model").get<std::string>();
  return s;
}

json to_json(const LayerSimStats& l) {
  return {{"name", l.name},
          {"cycles", l.cycles},
          {"compute_cycles", l.compute_cycles},
          {"stall_cycles", l.stall_cycles},
          {"latency_s", l.latency_s},
          {"energy_j", l.energy_j},
          {"utilization", l.utilization},
          {"breakdown", model::to_json(l.energy)},
          {"traffic_bits", model::to_json(l.traffic)},
          {"tiles", l.tiles},
          {"outputs", l.outputs},
          {"mismatches", l.mismatches},
          {"first_mismatch", l.first_mismatch},
          {"cross_checked_tiles", l.cross_checked_tiles},
          {"sram_word_accesses",
           {{"abuf", to_json(l.abuf_banks)},
            {"wbuf", to_json(l.wbuf_banks)},
            {"obuf", to_json(l.obuf_banks)}}}};
}

LayerSimStats layer_sim_stats_from_json(const json& j) {
  LayerSimStats l;
  l.name = j.at("name").get<std::string>();
  l.cycles = j.at("cycles").get<std::int64_t>();
  l.compute_cycles = j.at("compute_cycles").get<std::int64_t>();
  l.stall_cycles = j.at("stall_cycles").get<std::int64_t>();
  l.latency_s = j.at("latency_s").get<double>();
  l.energy_j = j.at("energy_j").get<double>();
  l.utilization = j.at("utilization").get<double>();
  l.energy = model::energy_from_json(j.at("breakdown"));
  l.traffic = model::traffic_from_json(j.at("traffic_bits"));
  l.tiles = j.at("tiles").get<std::int64_t>();
  l.outputs = j.at("outputs").get<std::int64_t>();
  l.mismatches = j.at("mismatches").get<std::int64_t>();
  l.first_mismatch = j.at("first_mismatch").get<std::string>();
  l.cross_checked_tiles = j.at("cross_checked_tiles").get<std::int64_t>();
  const json& s = j.at("sram_word_accesses");
  l.abuf_banks = bank_counts_from_json(s.at("abuf"));
  l.wbuf_banks = bank_counts_from_json(s.at("wbuf"));
  l.obuf_banks = bank_counts_from_json(s.at("obuf"));
  return l;
}

std::int64_t mismatches(const SimStats& s) {
  std::int64_t n = 0;
  for (const auto& l : s.layers) n += l.mismatches;
  return n;
}

json to_json(const SimStats& s) {
  json layers = json::array();
  for (const auto& l : s.layers) layers.push_back(to_json(l));
  return {{"layers", layers},
          {"total",
           {{"cycles", s.cycles},
            {"latency_s", s.latency_s},
            {"energy_j", s.energy_j},
            {"area_mm2", s.area_mm2}}},
          {"engine", to_string(s.engine)},
          {"outputs_bit_exact", mismatches(s) == 0},
          {"wall_seconds", s.wall_seconds}};
}

SimStats sim_stats_from_json(const json& j) {
  SimStats s;
  for (const auto& l : j.at("layers")) s.layers.push_back(layer_sim_stats_from_json(l));
  const json& t = j.at("total");
  s.cycles = t.at("cycles").get<std::int64_t>();
  s.latency_s = t.at("latency_s").get<double>();
  s.energy_j = t.at("energy_j").get<double>();
  s.area_mm2 = t.at("area_mm2").get<double>();
  s.engine = engine_from_string(j.at("engine").get<std::string>(), "engine");
  s.wall_seconds = j.at("wall_seconds").get<double>();
  return s;
}

json simulate_report_json(const SimStats& s, const std::vector<model::Mapping>& mappings,
                          const std::vector<model::Cost>& estimates,
                          const model::Accelerator& accel) {
  json j = to_json(s);
  for (std::size_t i = 0; i < s.layers.size(); ++i) {
    json& l = j["layers"][i];
    if (i < mappings.size()) l["mapping"] = model::to_json(mappings[i]);
    if (i < estimates.size())
      l["estimate"] = {{"cycles", estimates[i].cycles}, {"energy_j", estimates[i].energy_j}};
  }
  j["accelerator"] = model::to_json(accel);
  return j;
}

} // namespace brickyard::sysc
