// export-rtl file generation (no Verilator here; tests/rtlgen/CMakeLists.txt runs --verify
// on three designs): parameters match the accelerator, mappings.memh reads back to the
// design's mappings, and a failing export leaves nothing behind.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "model/error.hpp"
#include "model/json_io.hpp"
#include "model/mapper.hpp"
#include "model/spec.hpp"
#include "rtlgen/export.hpp"

using namespace brickyard;
namespace fs = std::filesystem;

namespace {

model::Design design(const std::string& accel) {
  model::Design d;
  d.network.name = "t";
  d.network.layers.push_back(
      model::parse_layer_spec("k=3,s=1,pad=1,ih=10,iw=9,ic=12,oc=20,ab=4,wb=8"));
  d.network.layers.push_back(
      model::parse_layer_spec("k=3,s=2,pad=1,ih=10,iw=10,ic=8,oc=8,g=8,ab=2,wb=2"));
  d.accelerator = model::parse_accel_spec(accel);
  auto tech = model::load_tech(d.accelerator.tech);
  for (const auto& r : model::map_network(d.network, d.accelerator, tech))
    d.mappings.push_back(r.mapping);
  return d;
}

// localparam NAME = value; of the generated package.
std::int64_t param(const std::string& svh, const std::string& name) {
  std::smatch m;
  std::regex re("localparam (?:integer|longint) " + name + " = (-?[0-9]+);");
  REQUIRE(std::regex_search(svh, m, re));
  return std::stoll(m[1]);
}

struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() / ("by_rtlgen_" + std::to_string(::getpid()));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
};

} // namespace

TEST_CASE("export-rtl parameters describe the accelerator", "[rtlgen]") {
  for (const char* spec : {"pe=4x5,abuf=16K,wbuf=32K,obuf=8K,dataflow=ws",
                           "pe=5x3,abuf=24K,wbuf=12K,obuf=20K,dataflow=os",
                           "pe=3x7,abuf=64K,wbuf=16K,obuf=16K,dataflow=rs"}) {
    INFO(spec);
    model::Design d = design(spec);
    const auto& a = d.accelerator;
    const std::string svh = rtlgen::params_svh(d, model::load_tech("45nm"));
    CHECK(param(svh, "ROWS") == a.pe_rows);
    CHECK(param(svh, "COLS") == a.pe_cols);
    CHECK(param(svh, "DATAFLOW") == int(a.dataflow));
    CHECK(param(svh, "CLOCK_HZ") == 500000000);
    CHECK(param(svh, "LAYERS") == 2);
    CHECK(param(svh, "MAP_WORDS") == rtlgen::kMapWords);
    // Buffers: banking of sysc::make_buffers; the banks hold both halves of the capacity.
    const std::int64_t bytes[] = {a.abuf_bytes, a.wbuf_bytes, a.obuf_bytes};
    const int banks[] = {a.pe_rows, a.pe_rows * a.pe_cols, a.pe_cols};
    const char* names[] = {"ABUF", "WBUF", "OBUF"};
    for (int b = 0; b < 3; ++b) {
      std::string n = names[b];
      CHECK(param(svh, n + "_BYTES") == bytes[b]);
      CHECK(param(svh, n + "_BANKS") == banks[b]);
      const std::int64_t words = param(svh, n + "_BANK_WORDS");
      CHECK(words * banks[b] * 4 >= bytes[b]);      // holds the whole buffer
      CHECK((words - 2) * banks[b] * 4 < bytes[b]); // by less than one word pair per bank
      CHECK((std::int64_t(1) << param(svh, n + "_ADDR_BITS")) >= words);
      CHECK((std::int64_t(1) << (param(svh, n + "_ADDR_BITS") - 1)) < words);
    }
    const std::string top = rtlgen::top_sv(a);
    CHECK_THAT(top, Catch::Contains("pe_array #(.ROWS(ROWS), .COLS(COLS), .DATAFLOW(DATAFLOW)"));
    CHECK_THAT(top, Catch::Contains("g_wbuf"));
  }
}

TEST_CASE("mappings.memh reads back to the design's layers and mappings", "[rtlgen]") {
  model::Design d = design("pe=4x4,abuf=4K,wbuf=4K,obuf=4K,dataflow=ws");
  std::istringstream in(rtlgen::mappings_memh(d));
  std::vector<std::uint32_t> words;
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("//", 0) == 0) continue;
    std::istringstream ls(line);
    std::string w;
    while (ls >> w) words.push_back(std::uint32_t(std::stoul(w, nullptr, 16)));
  }
  REQUIRE(words.size() == d.network.layers.size() * rtlgen::kMapWords);
  auto field = [&](std::size_t layer, const std::string& name) {
    for (int i = 0; i < rtlgen::kMapWords; ++i)
      if (name == rtlgen::kMapFields[i]) return words[layer * rtlgen::kMapWords + i];
    FAIL("no field " << name);
    return 0u;
  };
  for (std::size_t i = 0; i < d.network.layers.size(); ++i) {
    const auto& l = d.network.layers[i];
    const auto& m = d.mappings[i];
    CHECK(field(i, "layer") == i);
    CHECK(field(i, "k") == std::uint32_t(l.k));
    CHECK(field(i, "ih") == std::uint32_t(l.ih));
    CHECK(field(i, "groups") == std::uint32_t(l.groups));
    CHECK(field(i, "a_bits") == std::uint32_t(l.a_bits));
    CHECK(field(i, "w_bits") == std::uint32_t(l.w_bits));
    CHECK(field(i, "tile_ic") == std::uint32_t(m[model::Dim::IC]));
    CHECK(field(i, "tile_ow") == std::uint32_t(m[model::Dim::OW]));
    const std::uint32_t order = field(i, "order");
    for (int p = 0; p < model::kNumDims; ++p)
      CHECK(((order >> (4 * (model::kNumDims - 1 - p))) & 15u) == std::uint32_t(m.order[p]));
  }
}

TEST_CASE("export-rtl writes all files or none", "[rtlgen]") {
  TempDir tmp;
  auto tech = model::load_tech("45nm");
  model::Design d = design("pe=4x4,abuf=4K,wbuf=4K,obuf=4K,dataflow=ws");
  rtlgen::ExportOptions o;
  o.out_dir = (tmp.path / "out").string();
  auto files = rtlgen::export_design(d, tech, o);
  CHECK(files.size() == 6);
  for (const auto& f : files) CHECK(fs::file_size(f) > 0);
  // design.json round-trips.
  model::Design back = model::load_design((tmp.path / "out" / "design.json").string());
  CHECK(back.mappings.size() == d.mappings.size());
  CHECK(back.accelerator.pe_rows == 4);
  // Exists: refused unless forced.
  CHECK_THROWS_AS(rtlgen::export_design(d, tech, o), model::SpecError);
  o.force = true;
  CHECK_NOTHROW(rtlgen::export_design(d, tech, o));
  // A bad design leaves neither the directory nor a temporary behind.
  model::Design bad = d;
  bad.mappings[1][model::Dim::OC] = 100000;
  rtlgen::ExportOptions o2;
  o2.out_dir = (tmp.path / "out2").string();
  CHECK_THROWS_AS(rtlgen::export_design(bad, tech, o2), model::SpecError);
  bad = d;
  bad.accelerator.pe_rows = 2;
  CHECK_THROWS_AS(rtlgen::export_design(bad, tech, o2), model::SpecError);
  std::vector<std::string> left;
  for (const auto& e : fs::directory_iterator(tmp.path)) left.push_back(e.path().filename());
  CHECK(left == std::vector<std::string>{"out"});
}
