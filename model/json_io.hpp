#pragma once
// JSON read/write for the core types. Readers reject unknown keys and wrong types with a
// SpecError naming the field path (for example "layers[2].ab").
#include <string>

#include <nlohmann/json.hpp>

#include "model/accelerator.hpp"
#include "model/calibration.hpp"
#include "model/cost.hpp"
#include "model/mapping.hpp"
#include "model/network.hpp"
#include "model/tech.hpp"

namespace brickyard::model {

using json = nlohmann::json;

json to_json(const Layer& l);
json to_json(const Network& n);
json to_json(const Accelerator& a);
json to_json(const Mapping& m);
json to_json(const Cost& c);
json to_json(const EnergyBreakdown& e);
json to_json(const Calibration& c);
json to_json(const Traffic& t); // bits

Layer layer_from_json(const json& j, const std::string& where = "");
Network network_from_json(const json& j);
Accelerator accelerator_from_json(const json& j, const std::string& where = "");
Mapping mapping_from_json(const json& j, const std::string& where = "");
Tech tech_from_json(const json& j);
Calibration calibration_from_json(const json& j);
// The inverses of to_json(EnergyBreakdown) and to_json(Traffic) (results, not user input).
EnergyBreakdown energy_from_json(const json& j);
Traffic traffic_from_json(const json& j);

// Reads and parses a JSON file; SpecError("<field>", ...) on I/O or syntax errors.
json read_json_file(const std::string& path, const std::string& field);
// Writes atomically (temp file + rename) so a failure never leaves a half file.
void write_json_file(const std::string& path, const json& j);
// Writes through a temporary file and a rename: the file is whole or absent.
void write_text_file(const std::string& path, const std::string& text);

// Shipped data: $BRICKYARD_DATA_DIR or the source tree's data/ folder.
std::string data_dir();
Tech load_tech(const std::string& name_or_path);
Calibration load_calibration(const std::string& path); // "" -> data/calibration/default.json
Network load_network(const std::string& path);
// `--accel` accepts an inline spec or a JSON file path.
Accelerator load_accelerator(const std::string& spec_or_path);

} // namespace brickyard::model
