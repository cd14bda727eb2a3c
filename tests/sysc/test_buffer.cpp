// Buffer (banked, double-buffered on-chip SRAM): bank mapping, counters, ping/pong swap,
// bounds errors, option validation and the BitFusion banking of make_buffers. No SystemC
// elaboration, but run through ctest like the other sysc tests.
#include <catch2/catch.hpp>

#include <cstdint>
#include <numeric>
#include <stdexcept>
#include <vector>

#include "model/accelerator.hpp"
#include "model/error.hpp"
#include "sysc/buffer.hpp"

namespace {

using brickyard::sysc::Buffer;
using brickyard::sysc::BufferOptions;
using brickyard::sysc::Half;
using Catch::Matchers::Contains;

std::int64_t sum(const std::vector<std::int64_t>& v) {
  return std::accumulate(v.begin(), v.end(), std::int64_t{0});
}

} // namespace

TEST_CASE("buffer bank of word i is i % banks and bank counters sum to the totals") {
  Buffer b({"abuf", 1000, 3}); // 125 words per half
  REQUIRE(b.words_per_half() == 125);
  CHECK(b.bank_words(0) == 42);
  CHECK(b.bank_words(1) == 42);
  CHECK(b.bank_words(2) == 41);
  for (std::int64_t i = 0; i < 10; ++i) CHECK(b.bank_of(i) == i % 3);

  // Write every word of the fill half, read an irregular subset from both halves.
  std::vector<std::int64_t> want_reads(3, 0), want_writes(3, 0);
  for (std::int64_t i = 0; i < b.words_per_half(); ++i) {
    b.write(b.fill_half(), i, static_cast<std::uint32_t>(i * 2654435761u));
    ++want_writes[static_cast<std::size_t>(i % 3)];
  }
  std::int64_t n_reads = 0;
  for (std::int64_t i = 0; i < b.words_per_half(); i += 1 + i % 4) {
    CHECK(b.read(b.fill_half(), i) == static_cast<std::uint32_t>(i * 2654435761u));
    CHECK(b.read(b.compute_half(), i) == 0);
    want_reads[static_cast<std::size_t>(i % 3)] += 2;
    n_reads += 2;
  }
  (void)b.peek(Half::Ping, 0); // uncounted

  CHECK(b.bank_reads() == want_reads);
  CHECK(b.bank_writes() == want_writes);
  CHECK(sum(b.bank_reads()) == b.reads());
  CHECK(sum(b.bank_writes()) == b.writes());
  CHECK(b.reads() == n_reads);
  CHECK(b.writes() == 125);
  CHECK(b.read_bits() == 32 * n_reads);
  CHECK(b.write_bits() == 32 * 125);

  b.reset_counters();
  CHECK(b.bank_reads() == std::vector<std::int64_t>(3, 0));
  CHECK(b.bank_writes() == std::vector<std::int64_t>(3, 0));
  CHECK(b.reads() == 0);
  CHECK(b.writes() == 0);
  CHECK(b.read_bits() == 0);
  CHECK(b.write_bits() == 0);
  CHECK(b.peek(b.fill_half(), 1) == 2654435761u); // data survives a counter reset
}

TEST_CASE("buffer swap exchanges the compute and fill halves") {
  Buffer b({"wbuf", 64, 2}); // 8 words per half
  CHECK(b.compute_half() == Half::Ping);
  CHECK(b.fill_half() == Half::Pong);
  for (std::int64_t i = 0; i < 8; ++i) {
    b.write(b.fill_half(), i, 100 + static_cast<std::uint32_t>(i));    // pong
    b.write(b.compute_half(), i, 200 + static_cast<std::uint32_t>(i)); // ping
  }
  b.swap();
  CHECK(b.compute_half() == Half::Pong);
  CHECK(b.fill_half() == Half::Ping);
  for (std::int64_t i = 0; i < 8; ++i) {
    CHECK(b.read(b.compute_half(), i) == 100 + i); // what was filled is now computed on
    CHECK(b.read(b.fill_half(), i) == 200 + i);
  }
  b.swap();
  CHECK(b.compute_half() == Half::Ping);
  CHECK(b.peek(b.compute_half(), 7) == 207);
}

TEST_CASE("buffer bounds errors throw std::out_of_range naming the buffer and index") {
  Buffer b({"obuf", 100, 4}); // 12 words per half (4 bytes unused)
  REQUIRE(b.words_per_half() == 12);
  CHECK_THROWS_AS(b.read(Half::Ping, 12), std::out_of_range);
  CHECK_THROWS_WITH(b.read(Half::Pong, 12), Contains("obuf") && Contains("word 12") &&
                                                Contains("pong") && Contains("[0, 12)"));
  CHECK_THROWS_WITH(b.write(Half::Ping, -1, 0), Contains("obuf") && Contains("word -1"));
  CHECK_THROWS_WITH(b.peek(Half::Ping, 1000), Contains("obuf") && Contains("word 1000"));
  CHECK_THROWS_WITH(b.read(static_cast<Half>(2), 0), Contains("obuf") && Contains("half 2"));
  CHECK_THROWS_WITH(b.bank_words(4), Contains("obuf") && Contains("bank 4"));
  CHECK_NOTHROW(b.write(Half::Pong, 11, 1));
  CHECK(b.reads() == 0); // failed accesses are not counted
  CHECK(b.writes() == 1);
}

TEST_CASE("buffer options are validated") {
  using brickyard::model::SpecError;
  auto field_of = [](BufferOptions o) {
    try {
      Buffer b(o);
    } catch (const SpecError& e) {
      return e.field();
    }
    return std::string("valid");
  };
  CHECK(field_of({"abuf", 8, 1}) == "valid");
  CHECK(field_of({"abuf", 7, 1}) == "abuf.bytes");
  CHECK(field_of({"abuf", -8, 1}) == "abuf.bytes");
  CHECK(field_of({"wbuf", 64, 0}) == "wbuf.banks");
  CHECK(field_of({"wbuf", 64, -3}) == "wbuf.banks");
}

TEST_CASE("buffer make_buffers banks abuf per PE row, wbuf per PE, obuf per PE column") {
  struct Row {
    int rows, cols, abuf_banks, wbuf_banks, obuf_banks;
  };
  for (const Row& r : {Row{16, 16, 16, 256, 16}, Row{3, 5, 3, 15, 5}}) {
    INFO(r.rows << "x" << r.cols);
    brickyard::model::Accelerator a;
    a.pe_rows = r.rows;
    a.pe_cols = r.cols;
    a.wbuf_bytes = 64 * 1024;
    const auto bufs = brickyard::sysc::make_buffers(a);
    CHECK(bufs.abuf.name() == "abuf");
    CHECK(bufs.wbuf.name() == "wbuf");
    CHECK(bufs.obuf.name() == "obuf");
    CHECK(bufs.abuf.banks() == r.abuf_banks);
    CHECK(bufs.wbuf.banks() == r.wbuf_banks);
    CHECK(bufs.obuf.banks() == r.obuf_banks);
    CHECK(bufs.abuf.words_per_half() == 384 * 1024 / 8);
    CHECK(bufs.wbuf.words_per_half() == 64 * 1024 / 8);
    // Uneven splits (49152 words over 5 banks) keep every word in exactly one bank.
    for (const Buffer* b : {&bufs.abuf, &bufs.wbuf, &bufs.obuf}) {
      std::int64_t words = 0;
      for (int k = 0; k < b->banks(); ++k) words += b->bank_words(k);
      CHECK(words == b->words_per_half());
    }
  }
}

TEST_CASE("buffer bit access packs sub-word operands and counts one access per word touched") {
  Buffer b({"abuf", 64, 2}); // 8 words per half
  const Half h = b.fill_half();
  // 2-bit values packed LSB first: 16 per word; value i at bit 2i.
  for (int i = 0; i < 40; ++i) b.write_bits(h, 2 * i, 2, std::uint32_t(i % 4));
  CHECK(b.writes() == 40); // one masked write per value, each inside one word
  CHECK(b.peek(h, 0) == 0xE4E4E4E4u);
  b.reset_counters();
  // 6 values (12 bits) starting at value 14 straddle words 0 and 1: two reads.
  std::uint32_t v = b.read_bits(h, 28, 12);
  CHECK(b.reads() == 2);
  for (int i = 0; i < 6; ++i) CHECK(((v >> (2 * i)) & 3u) == std::uint32_t((14 + i) % 4));
  // A masked write leaves the neighbouring bits alone, also across a word boundary.
  b.write_bits(h, 30, 4, 0x0);
  CHECK((b.peek(h, 0) >> 30) == 0u);
  CHECK((b.peek(h, 0) & 0x3FFFFFFFu) == (0xE4E4E4E4u & 0x3FFFFFFFu));
  CHECK((b.peek(h, 1) & 3u) == 0u);
  CHECK((b.peek(h, 1) >> 2) == (0xE4E4E4E4u >> 2));
  CHECK(b.bank_writes()[0] == 1);
  CHECK(b.bank_writes()[1] == 1);
  CHECK_THROWS_AS(b.read_bits(h, 0, 33), std::out_of_range);
  CHECK_THROWS_AS(b.read_bits(h, 8 * 32 - 4, 8), std::out_of_range); // past the half
}

TEST_CASE("buffer DMA bytes are little-endian words, a partial last word keeps its other bytes") {
  Buffer b({"wbuf", 64, 4});
  const Half h = b.fill_half();
  b.write(h, 2, 0xAABBCCDDu);
  b.reset_counters();
  std::vector<std::uint8_t> in = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  b.load_bytes(h, in.data(), in.size());
  CHECK(b.writes() == 3);
  CHECK(b.peek(h, 0) == 0x04030201u);
  CHECK(b.peek(h, 1) == 0x08070605u);
  CHECK(b.peek(h, 2) == 0xAABB0A09u);
  CHECK(b.peek(b.compute_half(), 0) == 0u); // the other half is untouched
  std::vector<std::uint8_t> out(in.size(), 0);
  b.store_bytes(h, out.data(), out.size());
  CHECK(out == in);
  CHECK(b.reads() == 3);
  CHECK(b.bank_reads() == std::vector<std::int64_t>{1, 1, 1, 0});
}
