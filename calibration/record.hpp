#pragma once
// One simulated design point, as one row of the calibration CSV. The CSV is what users
// inspect and what the co-search trains its differentiable hardware-cost path on: the
// point's layer, accelerator and mapping, then the simulator's cycles and energy.
#include <cstdint>
#include <string>
#include <vector>

#include "calibration/sampler.hpp"
#include "model/cost.hpp"

namespace brickyard::calibration {

struct Record {
  int point = 0, group = 0, index = 0; // index: mapping number within the group
  bool test = false;                   // held out from the fit
  std::string engine = "native";
  model::Layer layer;
  model::Accelerator accel;
  model::Mapping mapping;
  // Simulated.
  std::int64_t cycles = 0, compute_cycles = 0, stall_cycles = 0, tiles = 0;
  double energy_j = 0;
  model::EnergyBreakdown energy;
};

// The records of a group with its simulated results still empty.
std::vector<Record> records_of(const Group& g, const std::string& engine);

const std::string& csv_header();       // without the newline
std::string csv_column(std::size_t i); // name of column i
// Deterministic formatting: the same record always gives the same bytes.
std::string to_csv_row(const Record& r);
// The leading columns that identify the point (everything but simulated results).
std::string csv_key(const Record& r);
// Throws model::SpecError(field, "line N: ...") on a malformed row.
Record parse_csv_row(const std::string& line, const std::string& field, int line_no);

// Reads a calibration CSV. A last line without its newline (a run killed mid-write) is
// ignored; `complete_bytes` is the length of the file up to the last complete row.
struct CsvContents {
  std::vector<Record> rows;
  std::uint64_t complete_bytes = 0;
  bool truncated_tail = false;
};
CsvContents read_csv(const std::string& path, const std::string& field);

// Writes header + rows (sorted by point id by the caller) atomically: temp file + rename.
void write_csv(const std::string& path, const std::vector<Record>& rows);

} // namespace brickyard::calibration
