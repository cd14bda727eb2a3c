#pragma once
// Options shared by the subcommands: the common set (-h/--help, -q/--quiet), the design
// inputs of map/estimate/simulate/export-rtl (model/resolve.hpp), and parsing.
#include <string>
#include <vector>

#include <boost/program_options.hpp>

#include "model/report.hpp"
#include "model/resolve.hpp"

namespace brickyard::cli {

using model::fmt;
using model::order_str;
using model::tiles_str;

// -h/--help and -q/--quiet: every subcommand has them.
void add_common_options(boost::program_options::options_description& desc);

// --design | --layer SPEC... | --net FILE, --accel, --mapping, --objective, --calibration,
// --tech, --threads, --remap, all written into `in`.
void add_design_options(boost::program_options::options_description& desc, model::DesignInputs& in);

// Parses a subcommand's options; Boost errors become SpecError naming the option.
boost::program_options::variables_map
parse_args(const boost::program_options::options_description& desc,
           const std::vector<std::string>& args);

// Finishes the design inputs from the parsed options (flags such as --remap).
void finish_design_options(const boost::program_options::variables_map& vm,
                           model::DesignInputs& in);

// Control characters in user text would break the one-line error contract.
std::string one_line(const std::string& s);

} // namespace brickyard::cli
