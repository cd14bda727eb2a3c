// resolve_design(): one table over the input combinations of map, estimate, simulate and
// export-rtl (--design | --layer | --net, --accel, --mapping, --remap, --calibration,
// --tech). Mapped mappings are compared with map_layer() run directly, kept ones with
// the design file's.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <functional>

#include "model/error.hpp"
#include "model/json_io.hpp"
#include "model/mapper.hpp"
#include "model/resolve.hpp"

using namespace brickyard::model;
namespace fs = std::filesystem;

namespace {

const std::string kData = BRICKYARD_DATA_DIR;
const std::string kSrc = fs::path(BRICKYARD_DATA_DIR).parent_path().string();
const std::string kDesign = kSrc + "/tests/rtlgen/design_rs.json"; // 2 layers, 3x4 rs, mappings
const std::string kLayer = "k=3,s=1,oh=7,ow=7,ic=16,oc=16,ab=8,wb=8";
const std::string kBig = "pe=3x4,abuf=384K,wbuf=384K,obuf=384K,dataflow=rs";
const std::string kTiny = "pe=3x4,abuf=1K,wbuf=1K,obuf=1K,dataflow=rs";

bool same(const Mapping& a, const Mapping& b) {
  return to_json(a) == to_json(b);
}

// The mapper's own answer for every layer of a resolved design.
void expect_mapper_mappings(const ResolvedDesign& r) {
  REQUIRE(r.design.mappings.size() == r.design.network.layers.size());
  MapperOptions mo;
  for (std::size_t i = 0; i < r.design.mappings.size(); ++i) {
    const MapResult m =
        map_layer(r.design.network.layers[i], r.design.accelerator, r.tech, r.calibration, mo);
    REQUIRE(m.feasible);
    CHECK(same(m.mapping, r.design.mappings[i]));
  }
}

struct TempFile {
  fs::path path;
  TempFile(const std::string& name, const std::string& text)
      : path(fs::temp_directory_path() / ("brickyard_resolve_" + name)) {
    std::ofstream(path) << text;
  }
  ~TempFile() { fs::remove(path); }
};

} // namespace

TEST_CASE("resolve: --layer + --accel maps every layer with the mapper", "[resolve]") {
  DesignInputs in;
  in.layer_specs = {kLayer, kLayer};
  in.accel_spec = kBig;
  const ResolvedDesign r = resolve_design(in);
  CHECK(r.mappings_from == "mapper");
  CHECK_FALSE(r.from_file);
  CHECK(r.design.network.layers.size() == 2);
  CHECK(r.mapped.size() == 2);
  expect_mapper_mappings(r);
}

TEST_CASE("resolve: --net names layers[i] when no mapping fits", "[resolve]") {
  TempFile net("net.json", R"({"name": "n", "layers": [
    {"name": "small", "k": 1, "stride": 1, "pad": 0, "ih": 4, "iw": 4, "ic": 4, "oc": 4, "a_bits": 8, "w_bits": 8},
    {"name": "huge", "k": 11, "stride": 1, "pad": 5, "ih": 64, "iw": 64, "ic": 2048, "oc": 2048, "a_bits": 8, "w_bits": 8}]})");
  DesignInputs in;
  in.net_path = net.path.string();
  in.accel_spec = "pe=16x16,abuf=64,wbuf=64,obuf=64,dataflow=ws";
  try {
    resolve_design(in);
    FAIL("expected a SpecError");
  } catch (const SpecError& e) {
    CHECK(e.field() == "layers[1]");
  }
}

TEST_CASE("resolve: a design's mappings are kept, alone and with a new --accel", "[resolve]") {
  const Design file = load_design(kDesign);
  REQUIRE(file.mappings.size() == 2);
  for (const std::string& accel : std::vector<std::string>{"", kBig}) {
    INFO("accel '" << accel << "'");
    DesignInputs in;
    in.design_path = kDesign;
    in.accel_spec = accel;
    const ResolvedDesign r = resolve_design(in);
    CHECK(r.mappings_from == "design");
    CHECK(r.mapped.empty());
    for (std::size_t i = 0; i < 2; ++i) CHECK(same(r.design.mappings[i], file.mappings[i]));
    CHECK(r.design.accelerator.abuf_bytes ==
          (accel.empty() ? file.accelerator.abuf_bytes : 384 * 1024));
  }
}

TEST_CASE("resolve: kept mappings that do not fit the new --accel name mappings[i] and --remap",
          "[resolve]") {
  DesignInputs in;
  in.design_path = kDesign;
  in.accel_spec = kTiny;
  try {
    resolve_design(in);
    FAIL("expected a SpecError");
  } catch (const SpecError& e) {
    CHECK_THAT(e.field(), Catch::StartsWith("mappings["));
    CHECK_THAT(e.what(), Catch::Contains("--remap"));
  }
}

TEST_CASE("resolve: --remap maps the design's network anew on the new accelerator", "[resolve]") {
  DesignInputs in;
  in.design_path = kDesign;
  in.accel_spec = kBig;
  in.remap = true;
  const ResolvedDesign r = resolve_design(in);
  CHECK(r.mappings_from == "mapper");
  expect_mapper_mappings(r);
}

TEST_CASE("resolve: --mapping wins over the design's and map's search wins over both",
          "[resolve]") {
  const Design file = load_design(kDesign);
  // Layer 1's mapping for both layers fits: it is the smaller tile.
  json one = to_json(file.mappings[1]);
  TempFile m("m.json", one.dump());
  DesignInputs in;
  in.design_path = kDesign;
  in.mapping_path = m.path.string();
  const ResolvedDesign r = resolve_design(in);
  CHECK(r.mappings_from == "mapping file");
  CHECK(same(r.design.mappings[0], file.mappings[1]));
  CHECK(same(r.design.mappings[1], file.mappings[1]));
  in.search = true;
  const ResolvedDesign s = resolve_design(in);
  CHECK(s.mappings_from == "mapper");
  expect_mapper_mappings(s);
}

TEST_CASE("resolve: calibration and tech come from the options", "[resolve]") {
  DesignInputs in;
  in.layer_specs = {kLayer};
  in.accel_spec = kBig;
  const ResolvedDesign d = resolve_design(in);
  const json shipped = read_json_file(kData + "/calibration/default.json", "calibration");
  CHECK(d.calibration.source == shipped.at("source").get<std::string>());
  json mine = shipped;
  mine["source"] = "a calibration of the test's";
  TempFile cal("cal.json", mine.dump());
  in.calibration_path = cal.path.string();
  in.tech = "45nm";
  const ResolvedDesign r = resolve_design(in);
  CHECK(r.calibration.source == "a calibration of the test's");
  CHECK(r.tech.name == "45nm");
}

TEST_CASE("resolve: the shipped accelerator by name", "[resolve]") {
  const Accelerator a = load_accelerator("bitfusion");
  const Accelerator b = load_accelerator(kData + "/accels/bitfusion_default.json");
  CHECK(to_json(a) == to_json(b));
  CHECK(a.pe_rows == 16);
  CHECK_THROWS_AS(load_accelerator("no_such_accelerator"), SpecError);
}

TEST_CASE("resolve: conflicting or missing inputs name the field", "[resolve]") {
  struct Case {
    const char* what;
    std::function<void(DesignInputs&)> set;
    const char* field;
  };
  const std::vector<Case> cases = {
      {"design and layer",
       [](DesignInputs& i) { i.design_path = kDesign, i.layer_specs = {kLayer}; }, "design"},
      {"layer and net",
       [](DesignInputs& i) {
         i.layer_specs = {kLayer}, i.net_path = kData + "/nets/fmnist_small.json",
         i.accel_spec = kBig;
       },
       "net"},
      {"no accel", [](DesignInputs& i) { i.layer_specs = {kLayer}; }, "accel"},
      {"remap without design",
       [](DesignInputs& i) { i.layer_specs = {kLayer}, i.accel_spec = kBig, i.remap = true; },
       "remap"},
      {"negative threads",
       [](DesignInputs& i) { i.layer_specs = {kLayer}, i.accel_spec = kBig, i.threads = -1; },
       "threads"},
      {"bad objective",
       [](DesignInputs& i) {
         i.layer_specs = {kLayer}, i.accel_spec = kBig, i.objective = "speed";
       },
       "objective"},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    DesignInputs in;
    c.set(in);
    try {
      resolve_design(in);
      FAIL("expected a SpecError");
    } catch (const SpecError& e) {
      CHECK(e.field() == c.field);
    }
  }
}
