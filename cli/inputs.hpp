#pragma once
// Inputs shared by the subcommands: layers/networks, mappings, formatting helpers.
#include <string>
#include <vector>

#include <boost/program_options.hpp>

#include "model/mapping.hpp"
#include "model/network.hpp"

namespace brickyard::cli {

// Parses a subcommand's options; Boost errors become SpecError naming the option.
boost::program_options::variables_map
parse_args(const boost::program_options::options_description& desc,
           const std::vector<std::string>& args);

// --layer SPEC... or --net FILE (exactly one of them).
model::Network build_network(const std::vector<std::string>& layer_specs,
                             const std::string& net_path);

// Mappings given by the user: one mapping object (used for every layer), or
// {"mappings": [...]} with one per layer; a design.json's "mappings" work too.
std::vector<model::Mapping> load_mappings(const std::string& path, std::size_t layers);

// Where a layer is in the user's input, for error messages: "layer" or "layers[3]".
std::string layer_field(bool from_net_file, std::size_t index);

std::string fmt(const char* printf_format, double v);
std::string tiles_str(const model::Mapping& m);
std::string order_str(const model::Mapping& m);
// Control characters in user text would break the one-line error contract.
std::string one_line(const std::string& s);

} // namespace brickyard::cli
