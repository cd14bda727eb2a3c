#pragma once
// Inline specs of the CLI contract:
//   --layer k=5,s=1,oh=7,ow=7,ic=552,oc=552,ab=8,wb=8[,g=1][,pad=2]   (or ih/iw)
//   --accel pe=16x16,abuf=384K,wbuf=384K,obuf=384K,dataflow=ws[,clock=500M]
#include <string>

#include "model/accelerator.hpp"
#include "model/layer.hpp"

namespace brickyard::model {

Layer parse_layer_spec(const std::string& spec);
Accelerator parse_accel_spec(const std::string& spec);

// "384K" -> 393216, "1M" -> 1048576, "4096" -> 4096 (bytes, binary prefixes).
std::int64_t parse_bytes(const std::string& s, const std::string& field);
// "500M" -> 5e8, "1G" -> 1e9 (decimal prefixes, Hz).
double parse_hz(const std::string& s, const std::string& field);

} // namespace brickyard::model
