#include "cli/inputs.hpp"

#include <cstdio>
#include <sstream>

#include "model/error.hpp"
#include "model/json_io.hpp"
#include "model/spec.hpp"

using namespace brickyard::model;

namespace brickyard::cli {

boost::program_options::variables_map
parse_args(const boost::program_options::options_description& desc,
           const std::vector<std::string>& args) {
  namespace po = boost::program_options;
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(desc).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::string opt;
    if (auto* pe = dynamic_cast<const po::error_with_option_name*>(&e)) opt = pe->get_option_name();
    throw SpecError(opt.empty() ? "option" : opt, e.what());
  }
  return vm;
}

model::Network build_network(const std::vector<std::string>& layer_specs,
                             const std::string& net_path) {
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

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

std::string tiles_str(const Mapping& m) {
  std::ostringstream s;
  s << "n" << m[Dim::N] << " ow" << m[Dim::OW] << " oh" << m[Dim::OH] << " ic" << m[Dim::IC]
    << " oc" << m[Dim::OC];
  return s.str();
}

std::string order_str(const Mapping& m) {
  std::string s;
  for (int i = 0; i < kNumDims; ++i) s += (i ? ">" : "") + std::string(to_string(m.order[i]));
  return s;
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

std::string one_line(const std::string& s) {
  std::string out;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u != 0x7f) {
      out += c;
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", u);
      out += buf;
    }
  }
  return out;
}

} // namespace brickyard::cli
