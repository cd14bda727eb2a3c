#include "rtlgen/verify.hpp"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "jobs/process.hpp"
#include "model/design.hpp"
#include "model/estimator.hpp"
#include "model/json_io.hpp"
#include "model/tech.hpp"
#include "rtlgen/export.hpp"
#include "sysc/service.hpp"

namespace brickyard::rtlgen {

namespace fs = std::filesystem;
using jobs::Run;
using jobs::run;

namespace {

using Say = std::function<void(const std::string&)>;

double since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::vector<std::string> rtl_sources(const fs::path& out) {
  std::vector<std::string> s = rtl_array_sources();
  s.push_back((out / "brickyard_sram.sv").string());
  s.push_back((out / "brickyard_top.sv").string());
  return s;
}

} // namespace

namespace {

// 1. verilator --lint-only -Wall on the exported top.
void lint(const fs::path& out, VerifyReport& rep, const Say& say) {
  const std::string verilator = BRICKYARD_VERILATOR;
  say("lint: verilator --lint-only -Wall");
  auto t0 = std::chrono::steady_clock::now();
  std::vector<std::string> lint = {verilator,           "--lint-only",  "-Wall",
                                   "-I" + out.string(), "--top-module", "brickyard_top"};
  for (const auto& s : rtl_sources(out)) lint.push_back(s);
  Run lr = run(lint, true);
  rep.lint_seconds = since(t0);
  rep.lint_clean = lr.status == 0 && lr.out.find("%Warning") == std::string::npos;
  if (!rep.lint_clean) rep.log = lr.out;
}

// 2. Verilates the top and builds the shared library the rtl engine loads.
void build_model(const fs::path& out, const model::Accelerator& a, int jobs, VerifyReport& rep,
                 const Say& say) {
  const std::string verilator = BRICKYARD_VERILATOR;
  const fs::path vdir = out / "verify", obj = vdir / "obj";
  fs::create_directories(obj);
  say("build: verilating brickyard_top and compiling verify/libbrickyard_top.so");
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::string> vl = {verilator,
                                 "--cc",
                                 "--build",
                                 "-j",
                                 std::to_string(jobs),
                                 "-Wall",
                                 "-CFLAGS",
                                 "-fPIC -O1",
                                 "--Mdir",
                                 obj.string(),
                                 "--prefix",
                                 "Vbrickyard_top",
                                 "--top-module",
                                 "brickyard_top",
                                 "-I" + out.string()};
  for (const auto& s : rtl_sources(out)) vl.push_back(s);
  Run br = run(vl, true);
  if (br.status != 0) {
    rep.log = br.out;
    throw std::runtime_error("verilator --build failed:\n" + br.out);
  }
  rep.model_path = (vdir / "libbrickyard_top.so").string();
  std::vector<std::string> cc = {BRICKYARD_CXX,
                                 "-std=c++17",
                                 "-O1",
                                 "-fPIC",
                                 "-shared",
                                 "-DVM_COVERAGE=0",
                                 "-DVM_SC=0",
                                 "-DVM_TRACE=0",
                                 "-DVM_TRACE_FST=0",
                                 "-DVM_TRACE_VCD=0",
                                 "-DBRICKYARD_DATAFLOW=" + std::to_string(int(a.dataflow)),
                                 "-DBRICKYARD_ROWS=" + std::to_string(a.pe_rows),
                                 "-DBRICKYARD_COLS=" + std::to_string(a.pe_cols),
                                 "-I" BRICKYARD_SOURCE_DIR,
                                 "-I" + obj.string(),
                                 "-isystem",
                                 BRICKYARD_VERILATOR_ROOT "/include",
                                 "-isystem",
                                 BRICKYARD_VERILATOR_ROOT "/include/vltstd",
                                 BRICKYARD_SOURCE_DIR "/rtlgen/rtl_model_glue.cpp",
                                 (obj / "Vbrickyard_top__ALL.a").string(),
                                 BRICKYARD_VERILATOR_ROOT "/include/verilated.cpp",
                                 BRICKYARD_VERILATOR_ROOT "/include/verilated_threads.cpp",
                                 "-pthread",
                                 "-o",
                                 rep.model_path};
  Run cr = run(cc, true);
  rep.build_seconds = since(t0);
  if (cr.status != 0) {
    rep.log = cr.out;
    throw std::runtime_error("compiling the rtl model failed:\n" + cr.out);
  }
  std::error_code ec;
  fs::remove_all(obj, ec); // objects are large and rebuilt on demand
}

// 3. Simulates every layer with the exported RTL as the array and compares it with the
// estimator and the reference convolution.
void simulate_on_model(const model::Design& d, const VerifyOptions& opt, VerifyReport& rep,
                       const Say& say) {
  const auto& a = d.accelerator;
  say("simulate: every layer on the rtl engine built from the exported top");
  const auto t0 = std::chrono::steady_clock::now();
  sysc::SimJob job;
  job.id = "the exported design on its rtl engine";
  job.network = d.network;
  job.accel = a;
  job.mappings = d.mappings;
  job.options.engine = sysc::Engine::Rtl;
  job.rtl_model = rep.model_path;
  sysc::ServiceOptions so;
  so.worker_command = opt.worker_command;
  const sysc::SimStats st = sysc::simulate_job(job, so);
  rep.sim_seconds = since(t0);
  const model::Tech tech = model::load_tech(a.tech);
  const model::Calibration cal = model::load_calibration(opt.calibration_path);
  rep.pass = true;
  for (std::size_t i = 0; i < st.layers.size(); ++i) {
    const auto& l = st.layers[i];
    LayerCheck c;
    c.name = l.name;
    c.sim_cycles = l.cycles;
    c.est_cycles = model::estimate(d.network.layers[i], a, d.mappings[i], tech, cal).cycles;
    c.error = c.sim_cycles > 0 ? double(c.est_cycles - c.sim_cycles) / double(c.sim_cycles) : 0;
    c.bit_exact = l.mismatches == 0 && l.outputs > 0;
    rep.pass = rep.pass && c.bit_exact && std::abs(c.error) <= opt.tolerance;
    rep.layers.push_back(c);
  }
  if (rep.layers.size() != d.network.layers.size()) rep.pass = false;
}

// 4. The report beside the model.
void write_report(const fs::path& vdir, const VerifyReport& rep) {
  model::json r = {
      {"lint_clean", rep.lint_clean},
      {"pass", rep.pass},
      {"tolerance", rep.tolerance},
      {"model", rep.model_path},
      {"seconds",
       {{"lint", rep.lint_seconds}, {"build", rep.build_seconds}, {"simulate", rep.sim_seconds}}},
      {"layers", model::json::array()}};
  for (const auto& c : rep.layers)
    r["layers"].push_back({{"name", c.name},
                           {"estimated_cycles", c.est_cycles},
                           {"simulated_cycles", c.sim_cycles},
                           {"error", c.error},
                           {"bit_exact", c.bit_exact}});
  model::write_json_file((vdir / "report.json").string(), r);
}

} // namespace

VerifyReport verify(const std::string& out_dir, const VerifyOptions& opt) {
  const Say say = [&](const std::string& s) {
    if (opt.progress) opt.progress(s);
  };
  const fs::path out = fs::absolute(out_dir);
  const model::Design d = model::load_design((out / "design.json").string());
  VerifyReport rep;
  rep.tolerance = opt.tolerance;
  lint(out, rep, say);
  if (!rep.lint_clean) return rep;
  build_model(out, d.accelerator, opt.jobs, rep, say);
  simulate_on_model(d, opt, rep, say);
  write_report(out / "verify", rep);
  return rep;
}

void print_verify_report(std::ostream& os, const VerifyReport& r, const std::string& out) {
  char line[256];
  if (!r.lint_clean) {
    os << "verify: verilator -Wall lint FAILED:\n" << r.log;
    return;
  }
  std::snprintf(line, sizeof line,
                "verify: lint clean (verilator -Wall, %.1f s); rtl engine built in %.1f s: ",
                r.lint_seconds, r.build_seconds);
  os << line << r.model_path << "\n\n";
  std::snprintf(line, sizeof line, "%-24s %12s %12s %8s  %s\n", "layer", "est cycles", "sim cycles",
                "error", "outputs");
  os << line;
  for (const auto& c : r.layers) {
    std::snprintf(line, sizeof line, "%-24s %12lld %12lld %7.2f%%  %s\n", c.name.c_str(),
                  (long long)c.est_cycles, (long long)c.sim_cycles, 100 * c.error,
                  c.bit_exact ? "bit-exact" : "WRONG");
    os << line;
  }
  std::ostringstream tol;
  tol << 100 * r.tolerance;
  std::snprintf(line, sizeof line, "%.1f", r.sim_seconds);
  os << "\nverify: " << (r.pass ? "PASS" : "FAIL") << " (tolerance " << tol.str()
     << "%, simulated in " << line << " s; report " << out << "/verify/report.json)\n";
}

} // namespace brickyard::rtlgen
