// Dram (TLM-2.0 target) and DramPort (initiator helper): data integrity, the timing model of
// sysc/dram.hpp to the exact cycle, counters and error responses. Every TEST_CASE that
// elaborates modules must run in its own process (one SystemC elaboration per process):
// run through ctest, or `test_sysc_dram "<name>"`. Checks that need simulated time record
// their observations inside the SC_THREADs and are REQUIREd after sc_start() returns.
#include <catch2/catch.hpp>

#include <cstdint>
#include <functional>
#include <numeric>
#include <string>
#include <utility>
#include <vector>

#include "model/accelerator.hpp"
#include "model/error.hpp"
#include "sysc/dram.hpp"

namespace {

using brickyard::sysc::Dram;
using brickyard::sysc::DramError;
using brickyard::sysc::DramOptions;
using brickyard::sysc::DramPort;
using Catch::Matchers::Contains;
using sc_core::sc_time;

// Odd numbers so that the ceiling and the latency are both visible.
DramOptions test_options() {
  DramOptions o;
  o.bits_per_cycle = 96;
  o.latency_cycles = 37;
  o.clock_period = sc_time(2, sc_core::SC_NS);
  o.size_bytes = 1 << 16;
  return o;
}

// A DRAM, one DramPort and up to two SC_THREADs running test bodies on the port.
struct Bench : sc_core::sc_module {
  using Body = std::function<void(DramPort&)>;
  Dram dram;
  DramPort port;
  Body first, second;
  std::vector<std::string> errors; // exceptions escaping a body

  SC_HAS_PROCESS(Bench);
  Bench(sc_core::sc_module_name name, const DramOptions& o, Body a, Body b = nullptr)
      : sc_core::sc_module(name), dram("dram", o), port("port"), first(std::move(a)),
        second(std::move(b)) {
    port.socket.bind(dram.socket);
    SC_THREAD(run_first);
    if (second) SC_THREAD(run_second);
  }
  void run_first() { guarded(first); }
  void run_second() { guarded(second); }
  void guarded(const Body& body) {
    try {
      body(port);
    } catch (const std::exception& e) {
      errors.push_back(e.what());
    }
  }
  double cycles(const sc_time& t) const { return t / dram.options().clock_period; }
};

// A DRAM driven through a raw initiator socket, for payloads DramPort never builds.
struct RawBench : sc_core::sc_module {
  Dram dram;
  tlm_utils::simple_initiator_socket<RawBench> socket;
  std::function<void(RawBench&)> body;

  SC_HAS_PROCESS(RawBench);
  RawBench(sc_core::sc_module_name name, const DramOptions& o, std::function<void(RawBench&)> b)
      : sc_core::sc_module(name), dram("dram", o), socket("socket"), body(std::move(b)) {
    socket.bind(dram.socket);
    SC_THREAD(run);
  }
  void run() { body(*this); }

  struct Result {
    tlm::tlm_response_status status;
    double delay_cycles;
  };
  Result transport(tlm::tlm_command cmd, std::uint64_t addr, unsigned int len, unsigned char* data,
                   sc_time delay = sc_core::SC_ZERO_TIME, unsigned char* byte_enables = nullptr,
                   unsigned int streaming_width = 0) {
    tlm::tlm_generic_payload gp;
    gp.set_command(cmd);
    gp.set_address(addr);
    gp.set_data_ptr(data);
    gp.set_data_length(len);
    gp.set_streaming_width(streaming_width ? streaming_width : len);
    if (byte_enables) {
      gp.set_byte_enable_ptr(byte_enables);
      gp.set_byte_enable_length(len);
    }
    gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    socket->b_transport(gp, delay);
    return {gp.get_response_status(), delay / dram.options().clock_period};
  }
};

std::vector<std::uint8_t> pattern(std::size_t n, std::uint8_t seed) {
  std::vector<std::uint8_t> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::uint8_t>(seed + 7 * i + (i >> 8));
  return v;
}

} // namespace

TEST_CASE("dram write then read back through the socket") {
  const DramOptions o = test_options();
  // Unaligned lengths at unaligned addresses, back to back with one-byte gaps, and one
  // burst that ends at the last byte of the DRAM.
  const std::vector<std::size_t> sizes = {1, 3, 4, 7, 17, 64, 100, 1000, 4097};
  std::vector<std::uint64_t> addrs;
  std::uint64_t next = 5;
  for (std::size_t n : sizes) {
    addrs.push_back(next);
    next += n + 1;
  }
  std::vector<std::string> mismatches;
  std::uint8_t gap = 0xff, last = 0;

  Bench bench("bench", o, [&](DramPort& port) {
    for (std::size_t k = 0; k < sizes.size(); ++k) {
      const auto data = pattern(sizes[k], static_cast<std::uint8_t>(k));
      port.write(addrs[k], data.data(), data.size());
    }
    const auto tail = pattern(33, 99);
    port.write(o.size_bytes - tail.size(), tail.data(), tail.size());
    for (std::size_t k = sizes.size(); k-- > 0;) { // reverse order: no stale buffer can pass
      std::vector<std::uint8_t> got(sizes[k], 0xee);
      port.read(addrs[k], got.size(), got.data());
      if (got != pattern(sizes[k], static_cast<std::uint8_t>(k)))
        mismatches.push_back("size " + std::to_string(sizes[k]) + " at " +
                             std::to_string(addrs[k]));
    }
    std::vector<std::uint8_t> got(tail.size());
    port.read(o.size_bytes - tail.size(), got.size(), got.data());
    if (got != tail) mismatches.push_back("tail");
    // Untimed access sees the same array: the byte between two bursts is untouched and a
    // debug write is visible to a timed read.
    port.debug_read(addrs[1] - 1, 1, &gap);
    const std::uint8_t marker = 0x5a;
    port.debug_write(o.size_bytes - 1, &marker, 1);
    port.read(o.size_bytes - 1, 1, &last);
  });
  sc_core::sc_start();

  REQUIRE(bench.errors.empty());
  CHECK(mismatches.empty());
  CHECK(gap == 0);
  CHECK(last == 0x5a);
}

TEST_CASE("dram single burst completes after latency plus ceil(bits / bits_per_cycle) cycles") {
  const DramOptions o = test_options(); // 96 bits per cycle, 37 cycles latency
  struct Row {
    std::size_t bytes;
    double xfer_cycles; // ceil(8 * bytes / 96), by hand
  };
  const std::vector<Row> table = {{1, 1},   {12, 1},    {13, 2},     {24, 2},    {25, 3},
                                  {100, 9}, {1000, 84}, {4096, 342}, {4097, 342}};
  std::vector<double> read_cycles, write_cycles, starts;

  Bench bench("bench", o, [&](DramPort& port) {
    std::vector<std::uint8_t> buf(5000);
    // One burst at a time: each starts on an idle DRAM (the previous one has completed).
    for (const Row& r : table) {
      sc_time t0 = sc_core::sc_time_stamp();
      starts.push_back(t0 / o.clock_period);
      port.read(0, r.bytes, buf.data());
      read_cycles.push_back((sc_core::sc_time_stamp() - t0) / o.clock_period);
      t0 = sc_core::sc_time_stamp();
      port.write(7, buf.data(), r.bytes);
      write_cycles.push_back((sc_core::sc_time_stamp() - t0) / o.clock_period);
    }
  });
  sc_core::sc_start();

  REQUIRE(bench.errors.empty());
  REQUIRE(read_cycles.size() == table.size());
  CHECK(starts[0] == 0);
  for (std::size_t k = 0; k < table.size(); ++k) {
    INFO("burst of " << table[k].bytes << " bytes");
    CHECK(read_cycles[k] == 37 + table[k].xfer_cycles);
    CHECK(write_cycles[k] == 37 + table[k].xfer_cycles);
    CHECK(bench.dram.transfer_cycles(table[k].bytes) == table[k].xfer_cycles);
  }
}

TEST_CASE("dram header numbers hold for the default accelerator") {
  const brickyard::model::Accelerator acc; // 128 bits/cycle, 100 cycles, 500 MHz
  const DramOptions o = brickyard::sysc::dram_options(acc, 1 << 20);
  REQUIRE(o.clock_period == sc_time(2, sc_core::SC_NS));
  sc_time one_64, one_17, four_issued, four_blocking;

  Bench bench("bench", o, [&](DramPort& port) {
    std::vector<std::uint8_t> buf(4 * 64);
    sc_time t0 = sc_core::sc_time_stamp();
    port.read(0, 64, buf.data());
    one_64 = sc_core::sc_time_stamp() - t0;
    t0 = sc_core::sc_time_stamp();
    port.read(0, 17, buf.data());
    one_17 = sc_core::sc_time_stamp() - t0;
    t0 = sc_core::sc_time_stamp();
    for (int k = 0; k < 4; ++k) port.issue_read(64 * k, 64, buf.data() + 64 * k);
    port.drain();
    four_issued = sc_core::sc_time_stamp() - t0;
    t0 = sc_core::sc_time_stamp();
    for (int k = 0; k < 4; ++k) port.read(64 * k, 64, buf.data() + 64 * k);
    four_blocking = sc_core::sc_time_stamp() - t0;
  });
  sc_core::sc_start();

  REQUIRE(bench.errors.empty());
  CHECK(one_64 == sc_time(208, sc_core::SC_NS));
  CHECK(bench.cycles(one_17) == 102);
  CHECK(four_issued == sc_time(232, sc_core::SC_NS));
  CHECK(bench.cycles(four_blocking) == 416);
}

TEST_CASE("dram back-to-back bursts from one thread pay the latency once") {
  const DramOptions o = test_options();
  const std::vector<std::size_t> sizes = {64, 13, 1000, 1, 25, 4097, 12};
  const std::vector<double> xfer = {6, 2, 84, 1, 3, 342, 1}; // ceil(8 * bytes / 96)
  std::vector<double> done_cycles;
  double end_cycles = -1;

  Bench bench("bench", o, [&](DramPort& port) {
    std::vector<std::uint8_t> buf(5000);
    for (std::size_t n : sizes)
      done_cycles.push_back(port.issue_read(0, n, buf.data()) / o.clock_period);
    // All issued at time 0, no time passed yet.
    if (sc_core::sc_time_stamp() != sc_core::SC_ZERO_TIME) done_cycles.clear();
    port.drain();
    end_cycles = sc_core::sc_time_stamp() / o.clock_period;
  });
  sc_core::sc_start();

  REQUIRE(bench.errors.empty());
  REQUIRE(done_cycles.size() == sizes.size());
  double prefix = 0;
  for (std::size_t k = 0; k < sizes.size(); ++k) {
    prefix += xfer[k];
    INFO("burst " << k << " of " << sizes[k] << " bytes");
    CHECK(done_cycles[k] == 37 + prefix); // bandwidth-limited: the bus is never idle
  }
  const double sum = std::accumulate(xfer.begin(), xfer.end(), 0.0);
  CHECK(end_cycles == 37 + sum);
  CHECK(bench.dram.stats().busy_cycles == sum);
  CHECK(bench.dram.busy_until() / o.clock_period == sum);
}

TEST_CASE("dram two initiators issuing concurrently are serialized") {
  // Two SC_THREADs share the port and each issues a blocking read at time 0. Whichever
  // the kernel runs first gets the bus first; the other starts when the bus frees.
  const DramOptions o = test_options();
  const std::size_t bytes_a = 1000, bytes_b = 100; // 84 and 9 transfer cycles
  double end_a = -1, end_b = -1;

  Bench bench(
      "bench", o,
      [&](DramPort& port) {
        std::vector<std::uint8_t> buf(bytes_a);
        port.read(0, bytes_a, buf.data());
        end_a = sc_core::sc_time_stamp() / o.clock_period;
      },
      [&](DramPort& port) {
        std::vector<std::uint8_t> buf(bytes_b);
        port.read(2000, bytes_b, buf.data());
        end_b = sc_core::sc_time_stamp() / o.clock_period;
      });
  sc_core::sc_start();

  REQUIRE(bench.errors.empty());
  const bool a_first = end_a < end_b;
  CHECK((a_first ? end_a : end_b) == 37 + (a_first ? 84 : 9));
  CHECK((a_first ? end_b : end_a) == 37 + 84 + 9);
  CHECK(bench.dram.stats().bursts == 2);
  CHECK(bench.dram.stats().busy_cycles == 84 + 9);
}

TEST_CASE("dram counters equal the bits moved") {
  const DramOptions o = test_options();
  const std::vector<std::size_t> reads = {1, 13, 1000}, writes = {4, 4097};

  Bench bench("bench", o, [&](DramPort& port) {
    std::vector<std::uint8_t> buf(5000, 1);
    for (std::size_t n : writes) port.write(100, buf.data(), n);
    for (std::size_t n : reads) port.read(3, n, buf.data());
    port.debug_write(0, buf.data(), 5000); // untimed: not counted
    port.debug_read(0, 5000, buf.data());
    try {
      port.read(o.size_bytes, 8, buf.data()); // failed: not counted
    } catch (const DramError&) {
    }
  });
  sc_core::sc_start();

  REQUIRE(bench.errors.empty());
  const auto& s = bench.dram.stats();
  CHECK(s.bits_read == 8 * (1 + 13 + 1000));
  CHECK(s.bits_written == 8 * (4 + 4097));
  CHECK(s.bursts == 5);
  CHECK(s.busy_cycles == 1 + 2 + 84 + 1 + 342);
  bench.dram.reset_stats();
  CHECK(bench.dram.stats().bits_read == 0);
  CHECK(bench.dram.stats().bits_written == 0);
  CHECK(bench.dram.stats().bursts == 0);
  CHECK(bench.dram.stats().busy_cycles == 0);
}

TEST_CASE("dram annotated arrival is now plus the incoming delay, served in call order") {
  const DramOptions o = test_options();
  std::vector<RawBench::Result> r;

  RawBench bench("bench", o, [&](RawBench& b) {
    std::vector<unsigned char> buf(100);
    // Idle DRAM, arrival 10 cycles ahead of now: 10 + 37 + 9.
    r.push_back(b.transport(tlm::TLM_READ_COMMAND, 0, 100, buf.data(), 10 * o.clock_period));
    // Arrives at 0 but is called later: the bus is booked until 10 + 9; done 19 + 37 + 1.
    r.push_back(b.transport(tlm::TLM_WRITE_COMMAND, 0, 12, buf.data()));
    // Arrives after the bus has freed (100 > 20): 100 + 37 + 2.
    r.push_back(b.transport(tlm::TLM_READ_COMMAND, 0, 13, buf.data(), 100 * o.clock_period));
  });
  sc_core::sc_start();

  REQUIRE(r.size() == 3);
  for (const auto& x : r) CHECK(x.status == tlm::TLM_OK_RESPONSE);
  CHECK(r[0].delay_cycles == 10 + 37 + 9);
  CHECK(r[1].delay_cycles == 19 + 37 + 1);
  CHECK(r[2].delay_cycles == 100 + 37 + 2);
}

TEST_CASE("dram rejects bad transactions with TLM error responses") {
  const DramOptions o = test_options();
  const std::uint64_t size = o.size_bytes;
  std::vector<std::pair<std::string, RawBench::Result>> r;
  std::vector<unsigned char> after(16);

  RawBench bench("bench", o, [&](RawBench& b) {
    std::vector<unsigned char> buf(16, 0xab), be(16, 0xff);
    const sc_time d = 3 * o.clock_period; // must come back unchanged
    auto rd = [&](std::uint64_t a, unsigned int n) {
      return b.transport(tlm::TLM_READ_COMMAND, a, n, buf.data(), d);
    };
    r.emplace_back("address at the end", rd(size, 1));
    r.emplace_back("range past the end", rd(size - 4, 8));
    r.emplace_back("zero length", rd(0, 0));
    r.emplace_back("address near 2^64", rd(~std::uint64_t{0} - 2, 8));
    r.emplace_back("write past the end",
                   b.transport(tlm::TLM_WRITE_COMMAND, size - 8, 16, buf.data(), d));
    r.emplace_back("byte enables",
                   b.transport(tlm::TLM_WRITE_COMMAND, 0, 16, buf.data(), d, be.data()));
    r.emplace_back("streaming",
                   b.transport(tlm::TLM_WRITE_COMMAND, 0, 16, buf.data(), d, nullptr, 4));
    tlm::tlm_generic_payload gp; // read back, untimed
    gp.set_command(tlm::TLM_READ_COMMAND);
    gp.set_address(0);
    gp.set_data_ptr(after.data());
    gp.set_data_length(16);
    b.socket->transport_dbg(gp);
  });
  sc_core::sc_start();

  const std::vector<tlm::tlm_response_status> want = {
      tlm::TLM_ADDRESS_ERROR_RESPONSE, tlm::TLM_ADDRESS_ERROR_RESPONSE,
      tlm::TLM_ADDRESS_ERROR_RESPONSE, tlm::TLM_ADDRESS_ERROR_RESPONSE,
      tlm::TLM_ADDRESS_ERROR_RESPONSE, tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE,
      tlm::TLM_BURST_ERROR_RESPONSE};
  REQUIRE(r.size() == want.size());
  for (std::size_t k = 0; k < r.size(); ++k) {
    INFO(r[k].first);
    CHECK(r[k].second.status == want[k]);
    CHECK(r[k].second.delay_cycles == 3);
  }
  CHECK(after == std::vector<unsigned char>(16, 0)); // nothing was written
  CHECK(bench.dram.stats().bursts == 0);
  CHECK(bench.dram.stats().busy_cycles == 0);
  CHECK(bench.dram.busy_until() == sc_core::SC_ZERO_TIME);
}

TEST_CASE("dram port throws DramError naming the address") {
  const DramOptions o = test_options(); // 65536 bytes = 0x10000
  std::vector<std::string> messages;
  std::vector<std::uint64_t> addresses;
  std::vector<tlm::tlm_response_status> statuses;
  double end_cycles = -1;

  Bench bench("bench", o, [&](DramPort& port) {
    std::vector<std::uint8_t> buf(16);
    auto attempt = [&](const std::function<void()>& f) {
      try {
        f();
        messages.push_back("no exception");
      } catch (const DramError& e) {
        messages.push_back(e.what());
        addresses.push_back(e.address());
        statuses.push_back(e.status());
      }
    };
    attempt([&] { port.read(0x10000, 4, buf.data()); });
    attempt([&] { port.write(0xfff8, buf.data(), 16); });
    attempt([&] { port.issue_read(0x12345, 1, buf.data()); });
    attempt([&] { port.debug_read(0xfffc, 16, buf.data()); });
    end_cycles = sc_core::sc_time_stamp() / o.clock_period;
  });
  sc_core::sc_start();

  REQUIRE(bench.errors.empty());
  REQUIRE(addresses.size() == 4);
  CHECK(addresses == std::vector<std::uint64_t>{0x10000, 0xfff8, 0x12345, 0xfffc});
  for (auto s : statuses) CHECK(s == tlm::TLM_ADDRESS_ERROR_RESPONSE);
  CHECK_THAT(messages[0], Contains("bench.port") && Contains("read of 4 bytes") &&
                              Contains("0x10000") && Contains("TLM_ADDRESS_ERROR_RESPONSE"));
  CHECK_THAT(messages[1], Contains("write of 16 bytes") && Contains("0xfff8"));
  CHECK_THAT(messages[2], Contains("0x12345"));
  CHECK_THAT(messages[3], Contains("0xfffc") && Contains("debug"));
  CHECK(end_cycles == 0); // failed bursts take no time
}

TEST_CASE("dram options are validated") {
  using brickyard::model::SpecError;
  using brickyard::sysc::validate;
  auto field_of = [](DramOptions o) {
    try {
      validate(o);
    } catch (const SpecError& e) {
      return e.field();
    }
    return std::string("valid");
  };
  DramOptions o = test_options();
  CHECK(field_of(o) == "valid");
  o.bits_per_cycle = 0;
  CHECK(field_of(o) == "dram.bits_per_cycle");
  o = test_options();
  o.latency_cycles = -1;
  CHECK(field_of(o) == "dram.latency_cycles");
  o = test_options();
  o.latency_cycles = 0;
  CHECK(field_of(o) == "valid");
  o.clock_period = sc_core::SC_ZERO_TIME;
  CHECK(field_of(o) == "dram.clock_period");
  o = test_options();
  o.size_bytes = 0;
  CHECK(field_of(o) == "dram.size_bytes");
  CHECK_THROWS_AS(Dram("dram", o), SpecError);
}
