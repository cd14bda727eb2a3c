#include "model/resolve.hpp"

#include <chrono>

#include "model/error.hpp"
#include "model/estimator.hpp"
#include "model/json_io.hpp"
#include "model/spec.hpp"

namespace brickyard::model {

Network build_network(const std::vector<std::string>& layer_specs, const std::string& net_path) {
  if (layer_specs.empty() == net_path.empty())
    throw SpecError(net_path.empty() ? "layer" : "net",
                    "give either --layer SPEC... or --net FILE");
  if (!net_path.empty()) return load_network(net_path);
  Network net;
  net.name = "cli";
  for (std::size_t i = 0; i < layer_specs.size(); ++i) {
    try {
      Layer l = parse_layer_spec(layer_specs[i]);
      if (l.name.empty()) l.name = "layer" + std::to_string(i);
      net.layers.push_back(l);
    } catch (const SpecError& e) {
      throw SpecError("layer", e.what());
    }
  }
  return net;
}

std::string layer_field(bool from_net_file, std::size_t index) {
  return from_net_file ? "layers[" + std::to_string(index) + "]" : "layer";
}

std::vector<Mapping> load_mappings(const std::string& path, std::size_t layers) {
  json j = read_json_file(path, "mapping");
  std::vector<Mapping> out;
  if (j.is_object() && j.contains("mappings") && !j.contains("tile")) {
    const json& arr = j["mappings"];
    if (!arr.is_array()) throw SpecError("mappings", "must be an array");
    for (std::size_t i = 0; i < arr.size(); ++i)
      out.push_back(mapping_from_json(arr[i], "mappings[" + std::to_string(i) + "]."));
  } else {
    out.push_back(mapping_from_json(j));
  }
  if (out.size() == 1 && layers > 1) out.resize(layers, out[0]);
  if (out.size() != layers)
    throw SpecError("mappings", "has " + std::to_string(out.size()) + " entries for " +
                                    std::to_string(layers) + " layers");
  return out;
}

ResolvedDesign resolve_design(const DesignInputs& in) {
  if (in.threads < 0) throw SpecError("threads", "must be >= 0");
  ResolvedDesign r;
  Design& d = r.design;
  bool kept_with_new_accel = false;
  if (!in.design_path.empty()) {
    if (!in.layer_specs.empty() || !in.net_path.empty())
      throw SpecError("design", "give either --design or --layer/--net");
    d = load_design(in.design_path);
    if (!in.accel_spec.empty()) {
      d.accelerator = load_accelerator(in.accel_spec);
      if (in.remap) d.mappings.clear();
      kept_with_new_accel = !d.mappings.empty();
    }
    r.mappings_from = "design";
  } else {
    if (in.remap) throw SpecError("remap", "needs --design");
    d.network = build_network(in.layer_specs, in.net_path);
    r.from_file = !in.net_path.empty();
    if (in.accel_spec.empty()) throw SpecError("accel", "missing (--accel SPEC or FILE)");
    d.accelerator = load_accelerator(in.accel_spec);
  }
  if (!in.tech.empty()) d.accelerator.tech = in.tech;
  r.tech = load_tech(d.accelerator.tech);
  r.calibration = load_calibration(in.calibration_path);
  MapperOptions mo;
  mo.objective = objective_from_string(in.objective, "objective");
  mo.threads = in.threads;

  if (!in.mapping_path.empty()) {
    d.mappings = load_mappings(in.mapping_path, d.network.layers.size());
    r.mappings_from = "mapping file";
    kept_with_new_accel = false;
  }
  if (in.search) d.mappings.clear();
  if (d.mappings.empty()) {
    const auto t0 = std::chrono::steady_clock::now();
    r.mapped = map_network(d.network, d.accelerator, r.tech, r.calibration, mo);
    r.map_wall_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    for (std::size_t i = 0; i < r.mapped.size(); ++i) {
      if (!r.mapped[i].feasible)
        throw SpecError(layer_field(r.from_file, i),
                        "no mapping fits the buffers: " + r.mapped[i].cost.infeasible_reason);
      d.mappings.push_back(r.mapped[i].mapping);
    }
    r.mappings_from = "mapper";
    return r;
  }
  if (d.mappings.size() != d.network.layers.size())
    throw SpecError("mappings", "has " + std::to_string(d.mappings.size()) + " entries for " +
                                    std::to_string(d.network.layers.size()) + " layers");
  for (std::size_t i = 0; i < d.mappings.size(); ++i) {
    const std::string where = "mappings[" + std::to_string(i) + "]";
    validate(d.mappings[i], d.network.layers[i], where + ".");
    const Cost& c = r.kept_costs.emplace_back(
        estimate(d.network.layers[i], d.accelerator, d.mappings[i], r.tech, r.calibration));
    if (!c.feasible)
      throw SpecError(where, "does not fit the buffers: " + c.infeasible_reason +
                                 (kept_with_new_accel
                                      ? " (the design's mappings are kept with --accel; --remap "
                                        "maps the network anew)"
                                      : ""));
  }
  return r;
}

} // namespace brickyard::model
