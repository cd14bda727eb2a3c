// `brickyard calibrate` end to end through the real binary (BRICKYARD_CLI): the fit lowers
// the held-out error of a deliberately perturbed start, an interrupted run resumes to the
// very same files, and failing workers are reported with their point ids.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "jobs/process.hpp"

#include <signal.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct TempDir {
  fs::path path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "brickyard_calibrate_test_XXXXXX").string();
    REQUIRE(mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

struct Proc {
  pid_t pid = 0;
  fs::path out, err;
};

// Starts `brickyard args...` in `dir` with stdout/stderr captured to files there.
Proc start(const std::vector<std::string>& args, const fs::path& dir, const std::string& tag) {
  Proc p;
  p.out = dir / (tag + ".stdout");
  p.err = dir / (tag + ".stderr");
  std::vector<std::string> all = {BRICKYARD_CLI};
  all.insert(all.end(), args.begin(), args.end());
  brickyard::jobs::Redirect r;
  r.out = p.out.string();
  r.err = p.err.string();
  p.pid = brickyard::jobs::spawn(all, r);
  return p;
}

int wait_status(const Proc& p) {
  const int st = brickyard::jobs::wait_for(p.pid);
  REQUIRE(WIFEXITED(st)); // never a crash
  return WEXITSTATUS(st);
}

int run(const std::vector<std::string>& args, const fs::path& dir, const std::string& tag) {
  return wait_status(start(args, dir, tag));
}

std::vector<std::string> calibrate_args(const fs::path& dir, std::vector<std::string> extra = {}) {
  std::vector<std::string> a = {"calibrate",  "--points", "48",
                                "--mappings", "6",        "--seed",
                                "3",          "--out",    (dir / "cal.json").string(),
                                "--plot",     "-"};
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

int data_rows(const fs::path& csv) {
  std::string s = slurp(csv);
  int n = 0;
  for (char c : s) n += c == '\n';
  return n - 1;
}

} // namespace

TEST_CASE("fitting lowers the held-out error of a perturbed start", "[calibrate]") {
  // The neutral coefficients are already close to the simulator, so the fit starts from a
  // deliberately wrong calibration and must move back toward it on points it never saw.
  TempDir t;
  std::ofstream(t.path / "start.json") << R"({"fill_drain": {"ws": 2.5, "os": 0.3, "rs": 2.0},
    "dram_efficiency": 0.6, "pe_energy_scale": 1.5, "sram_energy_scale": 0.7,
    "dram_energy_scale": 1.3})";
  REQUIRE(run({"calibrate", "--points", "48", "--mappings", "6", "--seed", "3", "--out",
               (t.path / "cal.json").string(), "--start", (t.path / "start.json").string()},
              t.path, "fit") == 0);
  json j = json::parse(slurp(t.path / "cal.json"));
  const json& h = j["error_report"]["held_out"];
  INFO(h.dump(2));
  CHECK(h["after"]["points"] == 18);
  CHECK(h["after"]["cycles_mape_pct"].get<double>() < h["before"]["cycles_mape_pct"].get<double>());
  CHECK(h["after"]["energy_mape_pct"].get<double>() < h["before"]["energy_mape_pct"].get<double>());
  CHECK(h["after"]["cycles_mape_pct"].get<double>() < 10);
  CHECK(h["after"]["energy_mape_pct"].get<double>() < 10);
  CHECK(j["error_report"]["held_out_by_dataflow"].size() == 3);
  CHECK(j["meaning"].contains("dram_efficiency"));
  CHECK(data_rows(t.path / "cal.csv") == 48);
  // The written file is a calibration the estimator accepts.
  CHECK(run({"estimate", "--layer", "k=3,s=1,oh=7,ow=7,ic=16,oc=16,ab=8,wb=8", "--accel",
             "pe=8x8,dataflow=os", "--calibration", (t.path / "cal.json").string()},
            t.path, "estimate") == 0);
  // A scatter plot beside the JSON, if gnuplot is installed.
  std::string out = slurp(t.path / "fit.stdout");
  if (out.find("plot: ") != std::string::npos) CHECK(fs::file_size(t.path / "cal.png") > 1000);
}

TEST_CASE("an interrupted run resumes to the same files", "[calibrate]") {
  TempDir whole, cut, torn;
  REQUIRE(run(calibrate_args(whole.path), whole.path, "whole") == 0);
  const std::string csv = slurp(whole.path / "cal.csv"), cal = slurp(whole.path / "cal.json");

  SECTION("SIGINT midway, then --resume") {
    Proc p = start(calibrate_args(cut.path, {"-j", "1"}), cut.path, "cut");
    auto t0 = std::chrono::steady_clock::now();
    while (fs::exists(cut.path / "cal.csv") ? data_rows(cut.path / "cal.csv") < 12 : true) {
      REQUIRE(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(60));
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    kill(p.pid, SIGINT);
    int st = wait_status(p);
    if (st == 0) {
      WARN("the run finished before SIGINT arrived; resume is still checked below");
    } else {
      CHECK(st == 130);
      CHECK_FALSE(fs::exists(cut.path / "cal.json")); // never a partial calibration file
      CHECK(slurp(cut.path / "cut.stderr").find("--resume") != std::string::npos);
      CHECK(data_rows(cut.path / "cal.csv") < 48);
    }
    REQUIRE(run(calibrate_args(cut.path, {"--resume"}), cut.path, "resume") == 0);
    CHECK(slurp(cut.path / "resume.stdout").find(" resumed") != std::string::npos);
    CHECK(slurp(cut.path / "cal.csv") == csv);
    CHECK(slurp(cut.path / "cal.json") == cal);
  }
  SECTION("a CSV cut in the middle of a row") {
    // Header + 14 rows (two whole groups of 6 and two rows of the third) + half a row.
    std::size_t p = 0;
    for (int i = 0; i < 15; ++i) p = csv.find('\n', p) + 1;
    std::size_t half = p + (csv.find('\n', p) - p) / 2;
    std::ofstream(torn.path / "cal.csv", std::ios::binary) << csv.substr(0, half);
    REQUIRE(run(calibrate_args(torn.path, {"--resume"}), torn.path, "resume") == 0);
    CHECK(slurp(torn.path / "resume.stdout").find("(36 simulated, 12 resumed)") !=
          std::string::npos);
    CHECK(slurp(torn.path / "cal.csv") == csv);
    CHECK(slurp(torn.path / "cal.json") == cal);
  }
}

TEST_CASE("hung workers are reported with their point ids", "[calibrate]") {
  TempDir t;
  int st = run({"calibrate", "--points", "8", "--mappings", "4", "--out",
                (t.path / "cal.json").string(), "--plot", "-", "--timeout", "0.001"},
               t.path, "hang");
  CHECK(st == 1);
  std::string err = slurp(t.path / "hang.stderr");
  INFO(err);
  CHECK(err.find("group 0 (points 0..3) failed: worker hung") != std::string::npos);
  CHECK(err.find("group 1 (points 4..7) failed: worker hung") != std::string::npos);
  CHECK(data_rows(t.path / "cal.csv") == 0); // no silent holes filled with zeros
}
