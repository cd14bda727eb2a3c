#pragma once
// A BitFusion-style accelerator: a pe_rows x pe_cols array of fusion units, three
// double-buffered SRAMs and a DRAM interface.
#include <cstdint>
#include <string>

namespace brickyard::model {

enum class Dataflow { WS, OS, RS };
const char* to_string(Dataflow d);
Dataflow dataflow_from_string(const std::string& s, const std::string& field);

inline constexpr int kMinPeDim = 1;
inline constexpr int kMaxPeDim = 256;

struct Accelerator {
  int pe_rows = 16;
  int pe_cols = 16;
  std::int64_t abuf_bytes = 384 * 1024;
  std::int64_t wbuf_bytes = 384 * 1024;
  std::int64_t obuf_bytes = 384 * 1024;
  Dataflow dataflow = Dataflow::WS;
  double clock_hz = 500e6;
  int dram_bits_per_cycle = 128;
  int dram_latency_cycles = 100; // first-word latency of a DRAM burst
  std::string tech = "45nm";     // name of data/tech/<tech>.json
  // How the controller runs a tile cut short by the layer edge: `exact` runs it at its
  // real size; `padded` runs it as a full tile of zeros, as BitFusion's simulator (and
  // JAQ's estimator, which follows it) charges it.
  bool padded_partial_tiles = false;

  int fusion_units() const { return pe_rows * pe_cols; }
};

void validate(const Accelerator& a, const std::string& where = "");

} // namespace brickyard::model
