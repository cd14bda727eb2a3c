// The CLI as a new user tries it: the common options on every subcommand, --version,
// shipped accelerator names, simulate --json with --trace, calibrate into a new directory,
// and export-rtl/simulate keeping a design's mappings under a new --accel.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "jobs/files.hpp"
#include "jobs/process.hpp"

namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

const std::string kSrc = fs::path(BRICKYARD_DATA_DIR).parent_path().string();
const std::string kLayer = "k=3,s=1,oh=7,ow=7,ic=16,oc=16,ab=8,wb=8";
const std::string kAccel = "pe=4x4,abuf=64K,wbuf=64K,obuf=64K,dataflow=ws";

struct Out {
  int status = -1;
  std::string out, err;
};

// Runs the brickyard binary with stdout and stderr in separate files.
Out cli(const std::vector<std::string>& args, const fs::path& dir) {
  std::vector<std::string> argv = {BRICKYARD_CLI};
  argv.insert(argv.end(), args.begin(), args.end());
  brickyard::jobs::Redirect r;
  r.out = (dir / "stdout").string();
  r.err = (dir / "stderr").string();
  Out o;
  o.status =
      brickyard::jobs::exit_status(brickyard::jobs::wait_for(brickyard::jobs::spawn(argv, r)));
  o.out = brickyard::jobs::slurp(r.out);
  o.err = brickyard::jobs::slurp(r.err);
  return o;
}

} // namespace

TEST_CASE("commands: --version prints the project version", "[cli]") {
  brickyard::jobs::TempDir t;
  const Out o = cli({"--version"}, t.path());
  CHECK(o.status == 0);
  CHECK(o.out == std::string("brickyard ") + BRICKYARD_VERSION + "\n");
}

TEST_CASE("commands: -q is accepted by every subcommand", "[cli]") {
  brickyard::jobs::TempDir t;
  for (const std::string cmd : {"map", "estimate", "simulate"}) { // NOLINT
    INFO(cmd);
    const Out o = cli({cmd, "--layer", kLayer, "--accel", kAccel, "-q"}, t.path());
    INFO(o.err);
    CHECK(o.status == 0);
    CHECK_THAT(o.out, Catch::Contains("total:"));
  }
  for (const std::string cmd : {"calibrate", "export-rtl"}) {
    const Out o = cli({cmd, "-q", "--help"}, t.path());
    CHECK(o.status == 0);
  }
}

TEST_CASE("commands: --accel bitfusion works in map, estimate and simulate", "[cli]") {
  brickyard::jobs::TempDir t;
  const std::string file = kSrc + "/data/accels/bitfusion_default.json";
  for (const std::string cmd : {"map", "estimate"}) {
    INFO(cmd);
    const Out by_name = cli({cmd, "--layer", kLayer, "--accel", "bitfusion", "--json"}, t.path());
    const Out by_file = cli({cmd, "--layer", kLayer, "--accel", file, "--json"}, t.path());
    REQUIRE(by_name.status == 0);
    json a = json::parse(by_name.out), b = json::parse(by_file.out);
    CHECK(a["accelerator"] == b["accelerator"]);
    CHECK(a["total"]["cycles"] == b["total"]["cycles"]);
  }
  const Out bad = cli({"estimate", "--layer", kLayer, "--accel", "nosuchaccel"}, t.path());
  CHECK(bad.status == 2);
  CHECK_THAT(bad.err, Catch::Contains("field 'accel'"));
}

TEST_CASE("commands: simulate --json --trace prints JSON only on stdout", "[cli]") {
  brickyard::jobs::TempDir t;
  const std::string vcd = (t.path() / "x.vcd").string();
  const Out o =
      cli({"simulate", "--layer", kLayer, "--accel", kAccel, "--json", "--trace", vcd}, t.path());
  INFO(o.err);
  REQUIRE(o.status == 0);
  json j;
  REQUIRE_NOTHROW(j = json::parse(o.out));
  CHECK(j["outputs_bit_exact"] == true);
  CHECK(fs::file_size(vcd) > 0);
}

TEST_CASE("commands: calibrate --out creates a missing directory", "[cli]") {
  brickyard::jobs::TempDir t;
  const fs::path out = t.path() / "a" / "b" / "cal.json";
  const Out o =
      cli({"calibrate", "--points", "8", "--out", out.string(), "-q", "--plot", "-"}, t.path());
  INFO(o.err);
  CHECK(o.status == 0);
  CHECK(fs::file_size(out) > 0);
}

TEST_CASE("commands: export-rtl and simulate keep a design's mappings under a new --accel",
          "[cli]") {
  brickyard::jobs::TempDir t;
  const std::string design = kSrc + "/tests/rtlgen/design_rs.json";
  const std::string big = "pe=3x4,abuf=384K,wbuf=384K,obuf=384K,dataflow=rs";
  const json d = json::parse(brickyard::jobs::slurp(design));
  const fs::path out = t.path() / "rtl";
  Out o = cli({"export-rtl", "--design", design, "--accel", big, "--out", out.string()}, t.path());
  INFO(o.err);
  REQUIRE(o.status == 0);
  const json exported = json::parse(brickyard::jobs::slurp(out / "design.json"));
  CHECK(exported["mappings"] == d["mappings"]);
  CHECK(exported["accelerator"]["abuf_bytes"] == 384 * 1024);
  o = cli({"simulate", "--design", design, "--accel", big, "--json"}, t.path());
  REQUIRE(o.status == 0);
  const json s = json::parse(o.out);
  for (std::size_t i = 0; i < 2; ++i) CHECK(s["layers"][i]["mapping"] == d["mappings"][i]);
  // --remap maps anew: the exported mappings are the mapper's, not the design's.
  const fs::path out2 = t.path() / "rtl2";
  o = cli({"export-rtl", "--design", design, "--accel", big, "--remap", "--out", out2.string()},
          t.path());
  REQUIRE(o.status == 0);
  const json remapped = json::parse(brickyard::jobs::slurp(out2 / "design.json"));
  CHECK(remapped["mappings"] != d["mappings"]);
  // Too small for the design's mappings: exit 2 naming the mapping, pointing at --remap.
  o = cli({"export-rtl", "--design", design, "--accel",
           "pe=3x4,abuf=1K,wbuf=1K,obuf=1K,dataflow=rs", "--out", (t.path() / "rtl3").string()},
          t.path());
  CHECK(o.status == 2);
  CHECK_THAT(o.err, Catch::Contains("mappings[") && Catch::Contains("--remap"));
}
