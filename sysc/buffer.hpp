#pragma once
// On-chip SRAM buffer of 32-bit words, banked and double buffered. A plain class: the
// controller owns it and reads/writes it cycle by cycle; the counters feed the energy
// estimate (accesses x energy per access of the bank).
//
// Layout: the capacity is split into two halves, ping and pong, of words_per_half() =
// floor(bytes / 8) words each (bytes that do not fill a word in both halves are unused).
// Word i of either half lives in bank i % banks, so each bank is itself double buffered
// and holds ceil or floor(words_per_half / banks) words of each half. swap() exchanges
// which half the compute side uses and which one DRAM fills.
// Banking as in BitFusion's simulator (make_buffers): abuf one bank per PE row, wbuf one
// per PE, obuf one per PE column.
//
// Sub-word operands are stored bit-packed, as the estimator's capacity check assumes: a
// half is also a bit string (word i holds bits [32i, 32i + 32), LSB first), and
// read_bits/write_bits count one access per word they touch. The DMA side moves bytes
// (little-endian words), one counted access per word.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "model/accelerator.hpp"

namespace brickyard::sysc {

struct BufferOptions {
  std::string name = "buffer";
  std::int64_t bytes = 1024; // total capacity, both halves
  int banks = 1;
};

enum class Half { Ping = 0, Pong = 1 };
const char* to_string(Half h);

class Buffer {
public:
  // Throws model::SpecError ("<name>.bytes" unless >= 8, "<name>.banks" unless >= 1).
  explicit Buffer(BufferOptions options);

  const std::string& name() const { return opt_.name; }
  std::int64_t bytes() const { return opt_.bytes; }
  int banks() const { return opt_.banks; }
  std::int64_t words_per_half() const { return words_per_half_; }
  int bank_of(std::int64_t word) const { return static_cast<int>(word % opt_.banks); }
  // Words of one half held by `bank`.
  std::int64_t bank_words(int bank) const;

  Half compute_half() const { return compute_; }
  Half fill_half() const { return compute_ == Half::Ping ? Half::Pong : Half::Ping; }
  void swap() { compute_ = fill_half(); }

  // Counted accesses. Throw std::out_of_range naming the buffer, half and index.
  std::uint32_t read(Half half, std::int64_t word);
  void write(Half half, std::int64_t word, std::uint32_t value);
  // Uncounted read (scoreboards, dumps).
  std::uint32_t peek(Half half, std::int64_t word) const;

  // nbits (1..32) bits starting at bit `bit` of a half; one access per word touched.
  std::uint32_t read_bits(Half half, std::int64_t bit, int nbits);
  void write_bits(Half half, std::int64_t bit, int nbits, std::uint32_t value);
  // Bytes [0, n) of a half from / to DRAM, one access per word touched.
  void load_bytes(Half half, const std::uint8_t* src, std::size_t n);
  void store_bytes(Half half, std::uint8_t* dst, std::size_t n);

  const std::vector<std::int64_t>& bank_reads() const { return bank_reads_; }
  const std::vector<std::int64_t>& bank_writes() const { return bank_writes_; }
  std::int64_t reads() const { return reads_; } // word reads, all banks
  std::int64_t writes() const { return writes_; }
  std::int64_t read_bits() const { return 32 * reads_; }
  std::int64_t write_bits() const { return 32 * writes_; }
  void reset_counters();

private:
  std::size_t index(Half half, std::int64_t word, const char* op) const;

  BufferOptions opt_;
  std::int64_t words_per_half_;
  Half compute_ = Half::Ping;
  std::vector<std::uint32_t> data_; // ping words, then pong words
  std::vector<std::int64_t> bank_reads_, bank_writes_;
  std::int64_t reads_ = 0, writes_ = 0;
};

struct Buffers {
  Buffer abuf; // activations: pe_rows banks
  Buffer wbuf; // weights: pe_rows * pe_cols banks
  Buffer obuf; // outputs: pe_cols banks
};

Buffers make_buffers(const model::Accelerator& a);

} // namespace brickyard::sysc
