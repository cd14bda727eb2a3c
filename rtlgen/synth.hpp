#pragma once
// `brickyard export-rtl --synth`: Yosys generic synthesis (synth -flatten, internal gate
// library) of the exported array, pe_array with the design's ROWS/COLS/DATAFLOW, next to
// the area model's estimate. The buffers are SRAM macros (CACTI in the area model), not
// gates: they are reported as banks x words x bits, not synthesized.
#include <cstdint>
#include <ostream>
#include <string>

#include "model/accelerator.hpp"
#include "model/tech.hpp"

namespace brickyard::rtlgen {

struct SynthReport {
  std::int64_t cells = 0; // generic cells of the flattened pe_array
  std::int64_t fusion_units = 0;
  double cells_per_fu = 0;
  double model_fu_mm2 = 0;    // area model: fusion units
  double model_sram_mm2 = 0;  // area model: buffer banks
  std::int64_t sram_bits = 0; // bits of all buffer banks (both halves)
  double seconds = 0;
  std::string log_path, stat_path;
};

// Runs yosys on the RTL of <out_dir>; writes <out_dir>/synth/{pe_array.log,
// pe_array.stat.json}. Throws std::runtime_error if yosys is missing or fails.
SynthReport synthesize(const std::string& out_dir, const model::Accelerator& a,
                       const model::Tech& tech);

// The two lines export-rtl --synth prints.
void print_synth_report(std::ostream& os, const model::Accelerator& a, const SynthReport& s);

} // namespace brickyard::rtlgen
