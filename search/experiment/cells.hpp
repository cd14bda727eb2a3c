#pragma once
// The runs of an experiment (experiment.hpp): one cell per seed and search, each in
// DIR/seed_<s>/<name>/, finished when its cell.json exists: {"cell", "seed", "methods":
// {method: record}} with a record per method the cell produces (val_accuracy,
// test_accuracy, latency_s, energy_j, area_mm2, edap, accelerator, choice, wall_s,
// test_reads, exact_evaluations).
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "search/cosearch/cosearch.hpp"
#include "search/experiment/experiment.hpp"

namespace brickyard::search {

struct Cell {
  std::uint64_t seed = 1;
  std::string name;     // "cosearch", "csq_k3", "accuracy_first", "decoupled"
  int phase = 0;        // 1: reads phase-0 cells of its seed
  double k_percent = 0; // csq cells
  std::string mode;     // mode_<m> cells
};

std::vector<Cell> experiment_cells(const ExperimentConfig& e);
std::filesystem::path cell_dir(const std::filesystem::path& out, const Cell& c);
// The co-search configuration of a search cell (its seed, quantization, lambda, space).
CosearchConfig cell_config(const ExperimentConfig& e, const std::filesystem::path& out,
                           const Cell& c);
// Runs (or reuses, or resumes) a cell; false if interrupted.
bool run_cell(const ExperimentConfig& e, const ExperimentRun& run, const std::filesystem::path& out,
              const Cell& c);

} // namespace brickyard::search
