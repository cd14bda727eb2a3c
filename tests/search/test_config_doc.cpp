// docs/config.md documents every field the co-search config reader asks about. The reader's
// fields are not listed here: model::JsonReader::key_recorder collects them while every
// shipped config (and one that sets every optional section) is read, so a field added to
// the reader but not to the docs fails this test.
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "model/json_io.hpp"
#include "model/json_reader.hpp"
#include "search/cosearch/cosearch.hpp"
#include "search/experiment/experiment.hpp"
#include "search/nn/space.hpp"

#include <catch2/catch.hpp>

using brickyard::model::JsonReader;
using nlohmann::json;
namespace fs = std::filesystem;
namespace search = brickyard::search;

namespace {

const std::string kSource = BRICKYARD_SOURCE_DIR;

// Turns the recorder on for one scope.
struct Recording {
  std::set<std::string> keys;
  Recording() { JsonReader::key_recorder = &keys; }
  ~Recording() { JsonReader::key_recorder = nullptr; }
  Recording(const Recording&) = delete;
  Recording& operator=(const Recording&) = delete;
};

std::string strip_indexes(const std::string& path) {
  static const std::regex index(R"(\[[0-9]+\])");
  return std::regex_replace(path, index, "");
}

// Every `...` span of a markdown file.
std::set<std::string> backticked(const std::string& path) {
  std::ifstream in(path);
  REQUIRE(in);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  std::set<std::string> out;
  static const std::regex span("`([^`\n]+)`");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), span); it != std::sregex_iterator();
       ++it)
    out.insert((*it)[1].str());
  return out;
}

// "a", "a.b", ... for the keys of a config (sections are one level deep).
void key_paths(const json& j, const std::string& prefix, std::set<std::string>& out) {
  if (!j.is_object()) return;
  for (auto it = j.begin(); it != j.end(); ++it) {
    out.insert(prefix + it.key());
    key_paths(it.value(), prefix + it.key() + ".", out);
  }
}

// A config that sets every optional section (and the top-level strings).
json full_config() {
  return {{"name", "every-section"},
          {"seed", 7},
          {"data",
           {{"format", "fashion-mnist"},
            {"root", "fmnist"},
            {"train_limit", 100},
            {"test_limit", 100},
            {"augment", true}}},
          {"space", "small"},
          {"quant", {{"mode", "csq"}, {"k_percent", 3}}},
          {"search", {{"epochs", 1}, {"weight_step", "single-path"}}},
          {"hardware",
           {{"preset", "latency"}, {"base", "pe=8x8,abuf=64K,wbuf=64K,obuf=64K,dataflow=os"}}},
          {"retrain", {{"enabled", false}}},
          {"simulate", false},
          {"calibration", brickyard::model::data_dir() + "/calibration/default.json"}};
}

} // namespace

TEST_CASE("docs/config.md names every field the co-search config reader reads") {
  std::vector<json> configs;
  std::vector<std::pair<json, std::string>> experiments; // experiment configs and their dir
  for (const std::string& dir : {kSource + "/configs", kSource + "/tests/search/configs"})
    for (const auto& e : fs::directory_iterator(dir))
      if (e.path().extension() == ".json") {
        json j = brickyard::model::read_json_file(e.path().string(), "config");
        if (j.contains("cosearch"))
          experiments.emplace_back(j, dir);
        else
          configs.push_back(j);
      }
  REQUIRE(configs.size() >= 5);     // default, quick, two CIFAR configs, tests' tiny
  REQUIRE(experiments.size() >= 2); // configs/experiment.json, tests' tiny experiment
  configs.push_back(full_config());

  Recording read;
  std::set<std::string> spaces, calibrations{""},
      accels{brickyard::model::data_dir() + "/accels/bitfusion_default.json"};
  for (const auto& [j, dir] : experiments) {
    INFO(j.dump());
    REQUIRE_NOTHROW(search::experiment_config_from_json(j, dir));
    if (j["cosearch"].is_object()) configs.push_back(j["cosearch"]);
  }
  for (const auto& c : configs) {
    INFO(c.dump());
    REQUIRE_NOTHROW(search::cosearch_config_from_json(c));
    spaces.insert(c.value("space", "small"));
    calibrations.insert(c.value("calibration", ""));
    if (c.contains("hardware") && c["hardware"].contains("base"))
      accels.insert(c["hardware"]["base"].get<std::string>());
  }
  const std::set<std::string> recorded = read.keys;
  read.keys.clear();

  // The reader also loads the files a config names (base accelerator, calibration, space):
  // their keys are not config fields, unless a config uses the same name (`name`).
  for (const auto& a : accels) brickyard::model::load_accelerator(a);
  for (const auto& c : calibrations) brickyard::model::load_calibration(c);
  for (const auto& s : spaces) search::load_space(s);
  const std::set<std::string> nested = read.keys;
  std::set<std::string> in_configs;
  for (const auto& c : configs) key_paths(c, "", in_configs);
  for (const auto& e : experiments) key_paths(e.first, "", in_configs);

  const std::set<std::string> documented = backticked(kSource + "/docs/config.md");
  std::set<std::string> fields;
  for (const auto& k : recorded)
    if (!nested.count(k) || in_configs.count(k)) fields.insert(strip_indexes(k));
  // The recorder saw the sections and their fields, not only what the configs set.
  CHECK(fields.count("search.epochs"));
  CHECK(fields.count("hardware.pe_max"));
  CHECK(fields.count("quant.k_percent"));
  CHECK(fields.count("calibration"));
  CHECK(fields.size() >= 60);
  for (const auto& f : fields) {
    INFO("field `" << f << "` is read by search/cosearch.cpp but not documented in docs/config.md");
    CHECK(documented.count(f));
  }
}

TEST_CASE("JsonReader::key_recorder is off by default and records what is asked") {
  REQUIRE(JsonReader::key_recorder == nullptr);
  const json j = {{"epochs", 3}};
  {
    Recording read;
    JsonReader r(j, "search.");
    CHECK(r.get_int("epochs", 1) == 3);
    CHECK(r.get_double("absent", 2.5) == 2.5); // asked about, not present: recorded too
    r.finish();
    CHECK(read.keys == std::set<std::string>{"search.absent", "search.epochs"});
  }
  CHECK(JsonReader::key_recorder == nullptr);
}
