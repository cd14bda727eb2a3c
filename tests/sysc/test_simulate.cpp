// Whole-layer simulation tests. Each TEST_CASE calls simulate() once (SystemC allows one
// elaboration per process; ctest runs every case in its own process).
#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <random>
#include <sys/wait.h>
#include <unistd.h>

#include "model/estimator.hpp"
#include "model/json_io.hpp"
#include "model/mapper.hpp"
#include "model/spec.hpp"
#include "sysc/simulate.hpp"

using namespace brickyard;
using model::Dim;

namespace {

model::Layer layer(const std::string& spec, const std::string& name) {
  model::Layer l = model::parse_layer_spec(spec);
  l.name = name;
  return l;
}

// Small layers of every kind at every precision pair: conv, stride 2 + padding,
// depthwise, grouped, fully connected, a kernel taller than a 4-row array.
model::Network zoo(bool all_bits) {
  model::Network net;
  net.name = "zoo";
  const int bits[] = {2, 4, 8};
  for (int ab : bits)
    for (int wb : bits) {
      if (!all_bits && !(ab == wb || (ab == 8 && wb == 2))) continue;
      std::string b = ",ab=" + std::to_string(ab) + ",wb=" + std::to_string(wb);
      std::string tag = "_a" + std::to_string(ab) + "w" + std::to_string(wb);
      net.layers.push_back(layer("k=3,s=1,pad=1,ih=6,iw=6,ic=6,oc=5" + b, "conv" + tag));
      net.layers.push_back(layer("k=3,s=2,pad=1,ih=7,iw=7,ic=5,oc=7" + b, "stride2" + tag));
      net.layers.push_back(layer("k=3,s=1,pad=1,ih=6,iw=5,ic=6,oc=6,g=6" + b, "dw" + tag));
      net.layers.push_back(layer("k=3,s=1,pad=0,ih=5,iw=5,ic=8,oc=6,g=2" + b, "grouped" + tag));
      net.layers.push_back(layer("type=fc,ic=20,oc=9" + b, "fc" + tag));
      net.layers.push_back(layer("k=5,s=1,pad=2,ih=5,iw=6,ic=3,oc=4" + b, "k5" + tag));
    }
  return net;
}

// Tiles that mostly do not divide the extents, random loop orders (seeded).
std::vector<model::Mapping> odd_mappings(const model::Network& net, std::uint32_t seed) {
  std::mt19937 g(seed);
  std::vector<model::Mapping> out;
  for (const auto& l : net.layers) {
    model::Mapping m;
    auto ext = model::extents(l);
    for (Dim d : model::kAllDims) {
      int e = ext[int(d)];
      int choices[] = {e, std::max(1, e / 2 + 1), std::max(1, (e + 2) / 3), 1};
      m[d] = choices[g() % 4];
    }
    std::shuffle(m.order.begin(), m.order.end(), g);
    out.push_back(m);
  }
  return out;
}

model::Accelerator accel(const std::string& spec) {
  return model::parse_accel_spec(spec);
}

std::int64_t total(const std::vector<std::int64_t>& v) {
  std::int64_t t = 0;
  for (auto x : v) t += x;
  return t;
}

// Word accesses of an SRAM against the bits the estimator counts: every counted bit moved
// through a 32-bit word access (so 32 x words >= bits), and every access moved at least one
// bit of an operand, a partial sum or a DMA byte (so words <= bits). Exceptions to the first
// (`reads_exact` false): the estimator counts the zero padding around an image as
// activation reads, but the array makes those zeros itself without an SRAM access.
void check_sram(const char* which, const sysc::BankCounts& b, double read_bits, double write_bits,
                int banks, bool reads_exact) {
  INFO(which);
  CHECK(b.banks == banks);
  CHECK(b.reads.size() == std::size_t(banks));
  if (reads_exact) CHECK(32.0 * double(total(b.reads)) >= read_bits);
  CHECK(double(total(b.reads)) <= read_bits);
  CHECK(32.0 * double(total(b.writes)) >= write_bits);
  CHECK(double(total(b.writes)) <= write_bits);
}

// The estimator counts buffer traffic in closed form; the simulator counts every access the
// array and the DMA make. For the same mapping they must agree bit for bit (DRAM moves
// whole bytes per tile, so DRAM bits may exceed the estimator's by < 8 bits per burst).
void require_estimator_traffic(const sysc::SimStats& s, const model::Network& net,
                               const model::Accelerator& a,
                               const std::vector<model::Mapping>& maps) {
  auto tech = model::load_tech("45nm");
  for (std::size_t i = 0; i < s.layers.size(); ++i) {
    const auto& l = s.layers[i];
    model::Cost c = model::estimate(net.layers[i], a, maps[i], tech);
    INFO(l.name << " " << model::to_string(a.dataflow));
    const auto &st = l.traffic, &et = c.traffic;
    CHECK(st.abuf_read == et.abuf_read);
    CHECK(st.abuf_write == et.abuf_write);
    CHECK(st.wbuf_read == et.wbuf_read);
    CHECK(st.wbuf_write == et.wbuf_write);
    CHECK(st.obuf_read == et.obuf_read);
    CHECK(st.obuf_write == et.obuf_write);
    CHECK(st.dram_read >= et.dram_read);
    CHECK(st.dram_read < et.dram_read + 8.0 * double(l.tiles) * 3);
    CHECK(st.dram_write >= et.dram_write);
  }
}

// Outputs are read back from DRAM after the layer, so a bit-exact layer also proves the
// operands travelled DRAM -> buffers -> array -> output buffer -> DRAM.
void require_bit_exact(const sysc::SimStats& s, const model::Accelerator& a) {
  for (const auto& l : s.layers) {
    INFO(l.name << ": " << l.first_mismatch);
    CHECK(l.outputs > 0);
    CHECK(l.mismatches == 0);
    CHECK(l.cycles == l.compute_cycles + l.stall_cycles);
    const auto& t = l.traffic;
    check_sram("abuf", l.abuf_banks, t.abuf_read, t.abuf_write, a.pe_rows, false);
    check_sram("wbuf", l.wbuf_banks, t.wbuf_read, t.wbuf_write, a.pe_rows * a.pe_cols, true);
    check_sram("obuf", l.obuf_banks, t.obuf_read, t.obuf_write, a.pe_cols, true);
  }
}

} // namespace

TEST_CASE("simulate: WS, every layer kind and bit pair, odd tiles, bit-exact", "[sim]") {
  auto net = zoo(true);
  auto a = accel("pe=4x4,abuf=64K,wbuf=64K,obuf=64K,dataflow=ws");
  auto maps = odd_mappings(net, 1);
  auto s = sysc::simulate(net, a, maps, model::load_tech("45nm"));
  REQUIRE(s.layers.size() == net.layers.size());
  require_bit_exact(s, a);
  require_estimator_traffic(s, net, a, maps);
}

TEST_CASE("simulate: OS, every layer kind and bit pair, odd tiles, bit-exact", "[sim]") {
  auto net = zoo(true);
  auto a = accel("pe=4x4,abuf=64K,wbuf=64K,obuf=64K,dataflow=os");
  auto maps = odd_mappings(net, 2);
  auto s = sysc::simulate(net, a, maps, model::load_tech("45nm"));
  REQUIRE(s.layers.size() == net.layers.size());
  require_bit_exact(s, a);
  require_estimator_traffic(s, net, a, maps);
}

TEST_CASE("simulate: RS, every layer kind and bit pair, odd tiles, bit-exact", "[sim]") {
  auto net = zoo(true);
  auto a = accel("pe=4x4,abuf=64K,wbuf=64K,obuf=64K,dataflow=rs");
  auto maps = odd_mappings(net, 3);
  auto s = sysc::simulate(net, a, maps, model::load_tech("45nm"));
  REQUIRE(s.layers.size() == net.layers.size());
  require_bit_exact(s, a);
  require_estimator_traffic(s, net, a, maps);
}

TEST_CASE("simulate: non-square arrays, signed activations, best mappings", "[sim]") {
  auto net = zoo(false);
  auto a = accel("pe=3x5,abuf=8K,wbuf=8K,obuf=8K,dataflow=ws");
  std::vector<model::Mapping> maps;
  auto tech = model::load_tech("45nm");
  for (const auto& r : model::map_network(net, a, tech)) maps.push_back(r.mapping);
  sysc::SimOptions opt;
  opt.a_signed = true;
  auto s = sysc::simulate(net, a, maps, tech, opt);
  require_bit_exact(s, a);
}

namespace {
void cross_check(const std::string& df, std::uint32_t seed) {
  auto net = zoo(true);
  sysc::SimOptions opt;
  opt.engine = sysc::Engine::Rtl;
  opt.cross_check = true;
  auto a = accel("pe=3x5,abuf=64K,wbuf=64K,obuf=64K,dataflow=" + df);
  auto s = sysc::simulate(net, a, odd_mappings(net, seed), model::load_tech("45nm"), opt);
  require_bit_exact(s, a);
  for (const auto& l : s.layers) CHECK(l.cross_checked_tiles == l.tiles);
}
} // namespace

TEST_CASE("simulate: rtl engine equals native, WS 3x5, same cycles every tile", "[sim][rtl]") {
  cross_check("ws", 4);
}
TEST_CASE("simulate: rtl engine equals native, OS 3x5, same cycles every tile", "[sim][rtl]") {
  cross_check("os", 5);
}
TEST_CASE("simulate: rtl engine equals native, RS 3x5, same cycles every tile", "[sim][rtl]") {
  cross_check("rs", 6);
}

namespace {
// Tiles where the closed forms of rtl/README.md are exact: WS passes of P >= max(R, C-1)
// pixels, any OS fold, RS passes of S >= R + k - 2 steps.
void compute_cycles_match(const std::string& df) {
  model::Network net;
  net.layers.push_back(layer("k=3,s=1,pad=1,ih=8,iw=8,ic=12,oc=10,ab=8,wb=8", "c8"));
  net.layers.push_back(layer("k=3,s=1,pad=1,ih=8,iw=8,ic=16,oc=7,ab=4,wb=4", "c4"));
  net.layers.push_back(layer("k=3,s=2,pad=1,ih=15,iw=16,ic=16,oc=5,ab=2,wb=8", "s2"));
  auto tech = model::load_tech("45nm");
  auto a = accel("pe=4x4,abuf=64K,wbuf=64K,obuf=64K,dataflow=" + df);
  std::vector<model::Mapping> maps(net.layers.size());
  for (auto& m : maps) {
    m[Dim::N] = 1;
    m[Dim::OW] = 8;
    m[Dim::OH] = 4;
    m[Dim::IC] = 8;
    m[Dim::OC] = 4;
  }
  auto s = sysc::simulate(net, a, maps, tech);
  require_bit_exact(s, a);
  for (std::size_t i = 0; i < net.layers.size(); ++i) {
    model::Cost c = model::estimate(net.layers[i], a, maps[i], tech);
    INFO(df << " " << net.layers[i].name);
    CHECK(s.layers[i].compute_cycles == c.compute_cycles);
  }
}
} // namespace

TEST_CASE("simulate: WS compute cycles equal the RTL formulas the estimator uses", "[sim]") {
  compute_cycles_match("ws");
}
TEST_CASE("simulate: OS compute cycles equal the RTL formulas the estimator uses", "[sim]") {
  compute_cycles_match("os");
}
TEST_CASE("simulate: RS compute cycles equal the RTL formulas the estimator uses", "[sim]") {
  compute_cycles_match("rs");
}

TEST_CASE("simulate: cycle skipping changes no cycle count", "[sim]") {
  auto net = zoo(false);
  auto a = accel("pe=4x4,abuf=4K,wbuf=4K,obuf=4K,dataflow=ws,dram=16");
  auto maps = odd_mappings(net, 7);
  auto tech = model::load_tech("45nm");
  // SystemC elaborates once per process: the run without skipping happens in a child.
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    close(fds[0]);
    sysc::SimOptions opt;
    opt.skip_idle = false;
    auto s = sysc::simulate(net, a, maps, tech, opt);
    for (const auto& l : s.layers) {
      std::int64_t v[2] = {l.cycles, l.stall_cycles};
      if (write(fds[1], v, sizeof v) != sizeof v) _exit(3);
    }
    _exit(0);
  }
  close(fds[1]);
  auto s = sysc::simulate(net, a, maps, tech);
  for (const auto& l : s.layers) {
    std::int64_t v[2] = {-1, -1};
    REQUIRE(read(fds[0], v, sizeof v) == sizeof v);
    INFO(l.name);
    CHECK(l.cycles == v[0]);
    CHECK(l.stall_cycles == v[1]);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  bool some_stall = false;
  for (const auto& l : s.layers) some_stall |= l.stall_cycles > 1000;
  CHECK(some_stall); // the test means something only if DRAM waits happened
}

TEST_CASE("simulate: a DRAM-bound layer runs at the DRAM bandwidth", "[sim]") {
  // A fully connected layer tiled so that every tile's weights take longer to load
  // (2048 x 16 x 8 bits at 64 bits/cycle = 4096 cycles) than to compute (~2100 cycles):
  // the DRAM is busy all the time and the array waits for it.
  model::Network net;
  net.layers.push_back(layer("type=fc,ic=2048,oc=256,ab=8,wb=8", "fc_big"));
  auto a = accel("pe=16x16,abuf=64K,wbuf=64K,obuf=64K,dataflow=ws,dram=64,dram_latency=100");
  auto tech = model::load_tech("45nm");
  model::Mapping m;
  m[Dim::IC] = 2048;
  m[Dim::OC] = 16;
  m.order = {Dim::OC, Dim::IC, Dim::N, Dim::OW, Dim::OH};
  auto s = sysc::simulate(net, a, {m}, tech);
  require_bit_exact(s, a);
  const auto& l = s.layers[0];
  const double dram_cycles = (l.traffic.dram_read + l.traffic.dram_write) / 64.0;
  const double tile_compute = double(l.compute_cycles) / double(l.tiles);
  INFO("cycles " << l.cycles << " compute " << l.compute_cycles << " stall " << l.stall_cycles
                 << " dram transfer cycles " << dram_cycles << " per-tile compute "
                 << tile_compute);
  REQUIRE(l.tiles == 16);
  CHECK(tile_compute < 4096);
  CHECK(l.stall_cycles > l.compute_cycles / 2);
  // Each tile's operands are one burst, requested when the previous tile starts computing
  // (double buffering: one tile per buffer half), so every tile costs its transfer time
  // plus one DRAM latency; the last tile's compute and write-back follow. The simulated
  // time must match that to within one DRAM latency. The write-back of each output tile
  // (16 x 32 bits = 8 bus cycles) fits in the next load's latency, except the last one.
  const double store_xfer = 16.0 * 32 / 64;
  const double expected =
      dram_cycles + double(l.tiles) * 100 + tile_compute + 100 - double(l.tiles - 1) * store_xfer;
  CHECK(double(l.cycles) >= dram_cycles);
  CHECK(std::abs(double(l.cycles) - expected) <= 100);
}

TEST_CASE("simulate: the watchdog names what the controller waits on", "[sim]") {
  model::Network net;
  net.layers.push_back(layer("k=3,s=1,pad=1,ih=6,iw=6,ic=6,oc=5,ab=8,wb=8", "conv"));
  auto a = accel("pe=4x4,abuf=64K,wbuf=64K,obuf=64K,dataflow=ws,dram_latency=500");
  auto tech = model::load_tech("45nm");
  sysc::SimOptions opt;
  opt.watchdog_cycles = 200; // less than one DRAM latency: the first load "hangs"
  try {
    sysc::simulate(net, a, {model::map_layer(net.layers[0], a, tech).mapping}, tech, opt);
    FAIL("no watchdog error");
  } catch (const std::runtime_error& e) {
    std::string msg = e.what();
    INFO(msg);
    CHECK(msg.find("watchdog") != std::string::npos);
    CHECK(msg.find("controller waits") != std::string::npos);
    CHECK(msg.find("DRAM") != std::string::npos);
    CHECK(msg.find("first tile") != std::string::npos);
  }
}

TEST_CASE("simulate: --trace writes a VCD of the controller state", "[sim]") {
  model::Network net;
  net.layers.push_back(layer("k=3,s=1,pad=1,ih=6,iw=6,ic=6,oc=5,ab=4,wb=4", "conv"));
  auto a = accel("pe=4x4,abuf=2K,wbuf=2K,obuf=2K,dataflow=os");
  auto tech = model::load_tech("45nm");
  std::string path = "test_simulate_trace_" + std::to_string(getpid()) + ".vcd";
  sysc::SimOptions opt;
  opt.trace_path = path;
  auto s = sysc::simulate(net, a, {model::map_layer(net.layers[0], a, tech).mapping}, tech, opt);
  require_bit_exact(s, a);
  std::ifstream in(path);
  REQUIRE(in.good());
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(text.find("$enddefinitions") != std::string::npos);
  CHECK(text.find("state") != std::string::npos);
  CHECK(text.find("tile") != std::string::npos);
  std::remove(path.c_str());
}

// JAQ's Table 2 layer (k5, 7x7, 552 -> 552 channels, 8/8 bits on 16x16 WS, 384 KB buffers)
// at the mapper's best mapping: the simulator counts 1,509,791 cycles; the estimator with
// the shipped (fitted) calibration is within one cycle of it (its fitted fill/drain and DRAM
// coefficients are real numbers; the cycle count is rounded), and exactly equal with the
// as-written coefficients.
TEST_CASE("simulate: JAQ Table 2 layer, estimator within one cycle of the simulator",
          "[simulate][golden]") {
  model::Network net;
  net.name = "jaq_table2";
  net.layers.push_back(layer("k=5,s=1,oh=7,ow=7,ic=552,oc=552,ab=8,wb=8", "table2"));
  const model::Accelerator a =
      model::parse_accel_spec("pe=16x16,abuf=384K,wbuf=384K,obuf=384K,dataflow=ws");
  const model::Tech tech = model::load_tech(a.tech);
  const model::Calibration shipped = model::load_calibration("");
  const model::MapResult m = model::map_layer(net.layers[0], a, tech, shipped);
  REQUIRE(m.feasible);
  sysc::SimOptions o;
  o.check_outputs = false; // the cycles are the point here; outputs are checked elsewhere
  const sysc::SimStats s = sysc::simulate(net, a, {m.mapping}, tech, o);
  CHECK(s.cycles == 1509791);
  const std::int64_t fitted = model::estimate(net.layers[0], a, m.mapping, tech, shipped).cycles;
  const std::int64_t written = model::estimate(net.layers[0], a, m.mapping, tech, {}).cycles;
  CHECK(std::llabs(fitted - s.cycles) <= 1);
  CHECK(written == s.cycles);
}
