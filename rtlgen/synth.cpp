#include "rtlgen/synth.hpp"

#include <cstdio>

#include <chrono>
#include <filesystem>
#include <stdexcept>

#include "jobs/process.hpp"
#include "model/estimator.hpp"
#include "model/json_io.hpp"
#include "rtlgen/export.hpp"

namespace brickyard::rtlgen {

namespace fs = std::filesystem;

SynthReport synthesize(const std::string& out_dir, const model::Accelerator& a,
                       const model::Tech& tech) {
  const fs::path dir = fs::absolute(out_dir) / "synth";
  fs::create_directories(dir);
  SynthReport r;
  r.log_path = (dir / "pe_array.log").string();
  r.stat_path = (dir / "pe_array.stat.json").string();
  std::string files;
  for (const auto& f : rtl_array_sources()) files += " " + f;
  // As scripts/synth.sh: parameters set before the first elaboration (-defer + chparam).
  const std::string script =
      "read_verilog -defer -sv" + files + "; hierarchy -top pe_array -chparam ROWS " +
      std::to_string(a.pe_rows) + " -chparam COLS " + std::to_string(a.pe_cols) +
      " -chparam DATAFLOW " + std::to_string(int(a.dataflow)) +
      "; synth -flatten -top pe_array; tee -q -o " + r.stat_path + " stat -json; stat";
  fs::remove(r.stat_path);
  auto t0 = std::chrono::steady_clock::now();
  jobs::Run y = jobs::run({"yosys", "-q", "-l", r.log_path, "-p", script}, true);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (y.status == 127) throw std::runtime_error("yosys not found in PATH");
  if (y.status != 0 || !fs::exists(r.stat_path))
    throw std::runtime_error("yosys failed (log: " + r.log_path + ")");
  model::json j = model::read_json_file(r.stat_path, "synth");
  r.cells = j.at("design").at("num_cells").get<std::int64_t>();
  r.fusion_units = std::int64_t(a.pe_rows) * a.pe_cols;
  r.cells_per_fu = double(r.cells) / double(r.fusion_units);
  r.model_fu_mm2 = double(r.fusion_units) * tech.fu_area_um2 * 1e-6;
  r.model_sram_mm2 = model::area_mm2(a, tech) - r.model_fu_mm2;
  for (const auto& g : buffer_geometry(a)) r.sram_bits += std::int64_t(g.banks) * g.bank_words * 32;
  return r;
}

void print_synth_report(std::ostream& os, const model::Accelerator& a, const SynthReport& s) {
  char b[512];
  std::snprintf(b, sizeof b,
                "synth: pe_array %dx%d = %lld generic cells (%.0f per fusion unit), yosys %.1f s; "
                "log %s\n       area model: fusion units %.4f mm2, buffers %.4f mm2 (SRAM "
                "macros, %lld bytes in banks, not synthesized)\n",
                a.pe_rows, a.pe_cols, (long long)s.cells, s.cells_per_fu, s.seconds,
                s.log_path.c_str(), s.model_fu_mm2, s.model_sram_mm2, (long long)(s.sram_bits / 8));
  os << b;
}

} // namespace brickyard::rtlgen
