#pragma once
// `brickyard export-rtl`: the hardware half of a design as files a hardware team can pick
// up. Into one directory:
//   brickyard_params.svh  package brickyard_params: localparams of the array, dataflow,
//                         buffers (bytes, banks, words and width per bank), precisions,
//                         clock, DRAM width, and the record layout of mappings.memh
//   brickyard_sram.sv     one 1R1W SRAM bank (behavioural; a memory compiler replaces it)
//   brickyard_top.sv      rtl/pe_array with those parameters plus the three banked,
//                         ping-pong buffers (one brickyard_sram per bank)
//   mappings.memh         per-layer shape and mapping records for $readmemh
//   design.json           the exported design (network, accelerator, mappings)
//   README.md             what each file is
// The directory is written next to its final place and renamed into it, so a failure never
// leaves a partial directory behind.
#include <ostream>
#include <string>
#include <vector>

#include "model/design.hpp"
#include "model/tech.hpp"

namespace brickyard::rtlgen {

// Geometry of one exported buffer (sysc::make_buffers banking: abuf one bank per PE row,
// wbuf one per PE, obuf one per PE column; 32-bit words; two halves).
struct BufferGeometry {
  std::string name;
  std::int64_t bytes = 0;
  int banks = 0;
  std::int64_t bank_words = 0; // both halves: 2 x ceil(words per half / banks)
  int addr_bits = 0;           // $clog2(bank_words): {half, word in half}
};
std::vector<BufferGeometry> buffer_geometry(const model::Accelerator& a);

// brickyard's rtl/ sources of the array, in compile order (the exported top instantiates
// pe_array from them).
std::vector<std::string> rtl_array_sources();

// Record layout of mappings.memh: kMapWords 32-bit words per layer, field i at word i.
inline constexpr const char* kMapFields[] = {
    "layer",  "n",      "k",      "stride", "pad",     "ih",      "iw",      "ic",      "oc",
    "groups", "a_bits", "w_bits", "tile_n", "tile_ow", "tile_oh", "tile_ic", "tile_oc", "order"};
inline constexpr int kMapWords = sizeof(kMapFields) / sizeof(kMapFields[0]);

// File contents (pure functions; tests read them).
std::string params_svh(const model::Design& d, const model::Tech& tech);
std::string sram_sv();
std::string top_sv(const model::Accelerator& a);
std::string mappings_memh(const model::Design& d);

struct ExportOptions {
  std::string out_dir;
  bool force = false; // replace an existing directory
};

// Checks the design (array 3..64 per side, one mapping per layer that fits the buffers,
// kernels the RS array holds) and writes the files. Throws model::SpecError naming the
// field ("out", "accelerator.pe_rows", "mappings[2]", ...). Returns the written paths.
std::vector<std::string> export_design(const model::Design& d, const model::Tech& tech,
                                       const ExportOptions& opt);

// "exported <network> (<n> layers, <rows>x<cols> <dataflow>):" and the files, one a line.
void print_export_summary(std::ostream& os, const model::Design& d,
                          const std::vector<std::string>& files);

} // namespace brickyard::rtlgen
