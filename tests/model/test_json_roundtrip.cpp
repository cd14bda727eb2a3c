// JSON round trips of the core types, loading of the shipped data, and the SRAM table of
// the 45 nm tech file.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <iomanip>
#include <random>
#include <string>
#include <vector>

#include "model/error.hpp"
#include "model/json_io.hpp"
#include "model/mapping.hpp"

using namespace brickyard::model;

namespace {

void check_equal(const Layer& a, const Layer& b) {
  CHECK(a.name == b.name);
  CHECK(a.type == b.type);
  CHECK(a.n == b.n);
  CHECK(a.ic == b.ic);
  CHECK(a.oc == b.oc);
  CHECK(a.ih == b.ih);
  CHECK(a.iw == b.iw);
  CHECK(a.k == b.k);
  CHECK(a.stride == b.stride);
  CHECK(a.pad == b.pad);
  CHECK(a.groups == b.groups);
  CHECK(a.a_bits == b.a_bits);
  CHECK(a.w_bits == b.w_bits);
}

void check_equal(const Accelerator& a, const Accelerator& b) {
  CHECK(a.pe_rows == b.pe_rows);
  CHECK(a.pe_cols == b.pe_cols);
  CHECK(a.abuf_bytes == b.abuf_bytes);
  CHECK(a.wbuf_bytes == b.wbuf_bytes);
  CHECK(a.obuf_bytes == b.obuf_bytes);
  CHECK(a.dataflow == b.dataflow);
  CHECK(a.clock_hz == b.clock_hz);
  CHECK(a.dram_bits_per_cycle == b.dram_bits_per_cycle);
  CHECK(a.dram_latency_cycles == b.dram_latency_cycles);
  CHECK(a.tech == b.tech);
  CHECK(a.padded_partial_tiles == b.padded_partial_tiles);
}

void check_equal(const Mapping& a, const Mapping& b) {
  CHECK(a.tile == b.tile);
  CHECK(a.order == b.order);
}

void check_equal(const Calibration& a, const Calibration& b) {
  CHECK(a.source == b.source);
  CHECK(a.fill_drain == b.fill_drain);
  CHECK(a.dram_efficiency == b.dram_efficiency);
  CHECK(a.pe_energy_scale == b.pe_energy_scale);
  CHECK(a.sram_energy_scale == b.sram_energy_scale);
  CHECK(a.dram_energy_scale == b.dram_energy_scale);
}

void check_equal(const Network& a, const Network& b) {
  CHECK(a.name == b.name);
  REQUIRE(a.layers.size() == b.layers.size());
  for (std::size_t i = 0; i < a.layers.size(); ++i) {
    INFO("layer " << i);
    check_equal(a.layers[i], b.layers[i]);
  }
}

// Through the JSON value and through its text (dump + parse).
json via_text(const json& j) {
  return json::parse(j.dump());
}

Layer layer(LayerType type, const std::string& name, int n, int ic, int oc, int ih, int iw, int k,
            int stride, int pad, int groups, int a_bits, int w_bits) {
  Layer l;
  l.type = type;
  l.name = name;
  l.n = n;
  l.ic = ic;
  l.oc = oc;
  l.ih = ih;
  l.iw = iw;
  l.k = k;
  l.stride = stride;
  l.pad = pad;
  l.groups = groups;
  l.a_bits = a_bits;
  l.w_bits = w_bits;
  validate(l);
  return l;
}

const std::vector<Layer>& sample_layers() {
  static const std::vector<Layer> v = {
      layer(LayerType::Conv, "conv3x3", 1, 3, 32, 56, 56, 3, 1, 1, 1, 8, 8),
      layer(LayerType::Conv, "", 2, 64, 128, 14, 15, 5, 2, 2, 1, 4, 2), // no name, ih != iw
      layer(LayerType::Conv, "strided 1x1", 1, 256, 512, 28, 28, 1, 2, 0, 1, 2, 8),
      layer(LayerType::Depthwise, "dw", 1, 128, 128, 28, 28, 3, 2, 1, 128, 4, 4),
      layer(LayerType::Grouped, "g2", 3, 64, 128, 14, 14, 3, 1, 1, 2, 2, 2),
      layer(LayerType::Grouped, "g4", 1, 256, 512, 7, 7, 1, 1, 0, 4, 8, 4),
      layer(LayerType::FullyConnected, "fc", 4, 3136, 10, 1, 1, 1, 1, 0, 1, 8, 2),
  };
  return v;
}

} // namespace

TEST_CASE("json round-trip - Layer of each type", "[json]") {
  const std::size_t i = GENERATE(range(std::size_t(0), sample_layers().size()));
  const Layer& l = sample_layers()[i];
  INFO(to_json(l).dump());
  check_equal(layer_from_json(to_json(l)), l);
  check_equal(layer_from_json(via_text(to_json(l))), l);
  // A second trip is a fixed point of the serialization.
  CHECK(to_json(layer_from_json(to_json(l))) == to_json(l));
}

TEST_CASE("json round-trip - Network", "[json]") {
  Network net;
  net.name = "sample net";
  net.layers = sample_layers();
  check_equal(network_from_json(to_json(net)), net);
  check_equal(network_from_json(via_text(to_json(net))), net);
  CHECK(to_json(network_from_json(to_json(net))) == to_json(net));
}

TEST_CASE("json round-trip - Accelerator", "[json]") {
  Accelerator a;
  SECTION("defaults") {}
  SECTION("odd values") {
    a.pe_rows = 3;
    a.pe_cols = 5;
    a.abuf_bytes = 64;
    a.wbuf_bytes = (std::int64_t(1) << 30);
    a.obuf_bytes = 12345;
    a.dataflow = Dataflow::OS;
    a.clock_hz = 1e9 / 3; // not representable in short decimal
    a.dram_bits_per_cycle = 1;
    a.dram_latency_cycles = 0;
    a.tech = "some/other/tech.json";
    a.padded_partial_tiles = true;
  }
  SECTION("row stationary") {
    a.pe_rows = 256;
    a.pe_cols = 1;
    a.dataflow = Dataflow::RS;
    a.clock_hz = 123456789.123;
    a.dram_bits_per_cycle = 65536;
    a.dram_latency_cycles = 100000;
  }
  INFO(to_json(a).dump());
  check_equal(accelerator_from_json(to_json(a)), a);
  check_equal(accelerator_from_json(via_text(to_json(a))), a);
}

TEST_CASE("json round-trip - shipped accelerator file", "[json]") {
  for (const auto& e : std::filesystem::directory_iterator(data_dir() + "/accels")) {
    if (e.path().extension() != ".json") continue;
    INFO(e.path().string());
    Accelerator a;
    REQUIRE_NOTHROW(a = load_accelerator(e.path().string()));
    check_equal(accelerator_from_json(via_text(to_json(a))), a);
  }
}

TEST_CASE("json round-trip - Mapping with random tiles and orders", "[json]") {
  std::mt19937 rng(20240611u);
  for (int rep = 0; rep < 200; ++rep) {
    Mapping m;
    for (int d = 0; d < kNumDims; ++d)
      m.tile[d] = std::uniform_int_distribution<int>(1, 1 << 14)(rng);
    std::shuffle(m.order.begin(), m.order.end(), rng);
    INFO(to_string(m));
    check_equal(mapping_from_json(to_json(m)), m);
    check_equal(mapping_from_json(via_text(to_json(m))), m);
  }
}

TEST_CASE("json round-trip - Calibration", "[json]") {
  Calibration c;
  SECTION("neutral") {}
  SECTION("fitted values") {
    c.source = "fit against simulator";
    c.fill_drain = {0.1 + 0.2, 1.0 / 3.0, 0.0};
    c.dram_efficiency = 0.8125;
    c.pe_energy_scale = 1.0 / 7.0;
    c.sram_energy_scale = 100.0;
    c.dram_energy_scale = 2.718281828459045;
  }
  SECTION("shipped default") {
    c = load_calibration("");
  }
  INFO(to_json(c).dump());
  check_equal(calibration_from_json(to_json(c)), c);
  check_equal(calibration_from_json(via_text(to_json(c))), c);
}

TEST_CASE("json round-trip - load_network accepts every shipped net", "[json]") {
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(data_dir() + "/nets"))
    if (e.path().extension() == ".json") files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  REQUIRE(files.size() >= 3);
  for (const auto& f : files) {
    INFO(f);
    Network net;
    REQUIRE_NOTHROW(net = load_network(f));
    CHECK_FALSE(net.layers.empty());
    CHECK_FALSE(net.name.empty());
    check_equal(network_from_json(via_text(to_json(net))), net);
  }
}

// The 45 nm tech table. sram_at() interpolates log-log between characterized banks;
// these tests check the table is usable as such: sorted points, energy that does not
// drop as banks grow, and the characterized values returned unchanged at the points.

TEST_CASE("json tech table - 45nm SRAM points are sorted by size", "[json][tech]") {
  const Tech t = load_tech("45nm");
  REQUIRE(t.sram.size() >= 2);
  for (std::size_t i = 1; i < t.sram.size(); ++i) {
    INFO("point " << i << ": " << t.sram[i - 1].bytes << " B then " << t.sram[i].bytes << " B");
    CHECK(t.sram[i].bytes > t.sram[i - 1].bytes);
  }
}

TEST_CASE("json tech table - sram_at read energy is monotone from 64 B to 1 MB banks",
          "[json][tech]") {
  const Tech t = load_tech("45nm");
  // Every whole-byte bank from 64 B to 1 MB, a geometric sweep in steps of 2^(1/8) (by
  // repeated multiplication, so not exactly on the table points), and each table point
  // with its neighbouring doubles.
  std::vector<double> sizes;
  for (int b = 64; b <= (1 << 20); ++b) sizes.push_back(b);
  for (double b = 64; b <= 1024.0 * 1024.0 * (1 + 1e-9); b *= std::pow(2.0, 1.0 / 8.0))
    sizes.push_back(b);
  for (const auto& p : t.sram) {
    sizes.push_back(std::nextafter(p.bytes, 0.0));
    sizes.push_back(std::nextafter(p.bytes, INFINITY));
  }
  std::sort(sizes.begin(), sizes.end());
  double prev_read = 0, prev_bytes = 0;
  int reported = 0;
  for (double b : sizes) {
    const SramPoint p = t.sram_at(b);
    if (!(p.read_pj_per_bit > 0) || !std::isfinite(p.read_pj_per_bit) ||
        p.read_pj_per_bit < prev_read) {
      if (reported++ < 10) {
        INFO(std::setprecision(17)
             << "bank " << b << " B: read " << p.read_pj_per_bit << " pJ/bit; previous bank "
             << prev_bytes << " B: " << prev_read << " pJ/bit");
        CHECK(p.read_pj_per_bit > 0);
        CHECK(std::isfinite(p.read_pj_per_bit));
        CHECK(p.read_pj_per_bit >= prev_read);
      }
    }
    prev_read = p.read_pj_per_bit;
    prev_bytes = b;
  }
  INFO("banks checked: " << sizes.size());
  CHECK(reported == 0);
}

TEST_CASE("json tech table - sram_at interpolates exactly at table points", "[json][tech]") {
  const Tech t = load_tech("45nm");
  for (const auto& p : t.sram) {
    const SramPoint q = t.sram_at(p.bytes);
    INFO(std::setprecision(17) << "table point " << p.bytes << " B: read " << q.read_pj_per_bit
                               << " vs " << p.read_pj_per_bit << ", write " << q.write_pj_per_bit
                               << " vs " << p.write_pj_per_bit << ", leak " << q.leak_mw << " vs "
                               << p.leak_mw << ", area " << q.area_mm2 << " vs " << p.area_mm2);
    CHECK(q.bytes == p.bytes);
    CHECK(q.read_pj_per_bit == p.read_pj_per_bit);
    CHECK(q.write_pj_per_bit == p.write_pj_per_bit);
    CHECK(q.leak_mw == p.leak_mw);
    CHECK(q.area_mm2 == p.area_mm2);
  }
}
