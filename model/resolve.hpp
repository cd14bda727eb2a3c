#pragma once
// One design resolution for every command that takes a design (map, estimate, simulate,
// export-rtl): the network from --design | --layer SPEC... | --net FILE, the accelerator
// from the design or --accel, the mappings kept (design, --mapping FILE) or found by the
// BatchTile mapper, the calibration and the tech table. Bad input is a SpecError naming
// the field.
#include <string>
#include <vector>

#include "model/calibration.hpp"
#include "model/design.hpp"
#include "model/mapper.hpp"
#include "model/tech.hpp"

namespace brickyard::model {

struct DesignInputs {
  std::string design_path;              // --design: network, accelerator, maybe mappings
  std::vector<std::string> layer_specs; // --layer, repeatable
  std::string net_path;                 // --net
  std::string accel_spec;               // --accel: inline spec, JSON file or shipped name
  std::string mapping_path;             // --mapping: one mapping, or one per layer
  std::string objective = "latency";    // the mapper's, where it runs
  std::string calibration_path;         // "" = data/calibration/default.json
  std::string tech;                     // "" = the accelerator's
  int threads = 0;                      // mapper threads (0: all cores)
  // With --design and --accel: map the network anew instead of keeping the design's
  // mappings (kept mappings must fit the new accelerator).
  bool remap = false;
  bool search = false; // always run the mapper (brickyard map)
};

struct ResolvedDesign {
  Design design; // mappings: one per layer, validated and fitting the buffers
  Tech tech;
  Calibration calibration;
  std::vector<MapResult> mapped; // per layer when the mapper ran (its search statistics)
  std::vector<Cost> kept_costs;  // per layer when the mappings were kept: their estimates
  double map_wall_seconds = 0;   // wall time of the mapper
  bool from_file = false;        // the layers came from a file (error fields "layers[i]")
  std::string mappings_from;     // "design", "mapping file" or "mapper"
};

ResolvedDesign resolve_design(const DesignInputs& in);

// --layer SPEC... or --net FILE (exactly one of them).
Network build_network(const std::vector<std::string>& layer_specs, const std::string& net_path);

// Mappings given by the user: one mapping object (used for every layer), or
// {"mappings": [...]} with one per layer; a design.json's "mappings" work too.
std::vector<Mapping> load_mappings(const std::string& path, std::size_t layers);

// Where a layer is in the user's input, for error messages: "layer" or "layers[3]".
std::string layer_field(bool from_net_file, std::size_t index);

} // namespace brickyard::model
