#include "sysc/buffer.hpp"

#include <stdexcept>
#include <utility>

#include "model/error.hpp"

namespace brickyard::sysc {

const char* to_string(Half h) {
  return h == Half::Ping ? "ping" : "pong";
}

Buffer::Buffer(BufferOptions options) : opt_(std::move(options)) {
  if (opt_.bytes < 8)
    throw model::SpecError(opt_.name + ".bytes",
                           "must be at least 8 (two halves of one 32-bit word; got " +
                               std::to_string(opt_.bytes) + ")");
  if (opt_.banks < 1)
    throw model::SpecError(opt_.name + ".banks",
                           "must be at least 1 (got " + std::to_string(opt_.banks) + ")");
  words_per_half_ = opt_.bytes / 8;
  data_.assign(static_cast<std::size_t>(2 * words_per_half_), 0);
  bank_reads_.assign(static_cast<std::size_t>(opt_.banks), 0);
  bank_writes_.assign(static_cast<std::size_t>(opt_.banks), 0);
}

std::int64_t Buffer::bank_words(int bank) const {
  if (bank < 0 || bank >= opt_.banks)
    throw std::out_of_range(opt_.name + ": bank " + std::to_string(bank) + " out of range [0, " +
                            std::to_string(opt_.banks) + ")");
  const std::int64_t full = words_per_half_ / opt_.banks;
  return full + (bank < words_per_half_ % opt_.banks ? 1 : 0);
}

std::size_t Buffer::index(Half half, std::int64_t word, const char* op) const {
  const auto h = static_cast<int>(half);
  if (h != 0 && h != 1)
    throw std::out_of_range(opt_.name + ": " + op + " of half " + std::to_string(h) +
                            " (ping = 0, pong = 1)");
  if (word < 0 || word >= words_per_half_)
    throw std::out_of_range(opt_.name + ": " + op + " of word " + std::to_string(word) + " in " +
                            to_string(half) + " half, out of range [0, " +
                            std::to_string(words_per_half_) + ")");
  return static_cast<std::size_t>(h * words_per_half_ + word);
}

std::uint32_t Buffer::read(Half half, std::int64_t word) {
  const std::size_t i = index(half, word, "read");
  ++bank_reads_[static_cast<std::size_t>(bank_of(word))];
  ++reads_;
  return data_[i];
}

void Buffer::write(Half half, std::int64_t word, std::uint32_t value) {
  const std::size_t i = index(half, word, "write");
  ++bank_writes_[static_cast<std::size_t>(bank_of(word))];
  ++writes_;
  data_[i] = value;
}

std::uint32_t Buffer::peek(Half half, std::int64_t word) const {
  return data_[index(half, word, "peek")];
}

std::uint32_t Buffer::read_bits(Half half, std::int64_t bit, int nbits) {
  if (nbits < 1 || nbits > 32 || bit < 0)
    throw std::out_of_range(opt_.name + ": read of " + std::to_string(nbits) + " bits at bit " +
                            std::to_string(bit));
  const std::int64_t w = bit / 32;
  const int off = int(bit % 32);
  std::uint64_t v = read(half, w) >> off;
  if (off + nbits > 32) v |= std::uint64_t(read(half, w + 1)) << (32 - off);
  return std::uint32_t(v & ((std::uint64_t(1) << nbits) - 1));
}

void Buffer::write_bits(Half half, std::int64_t bit, int nbits, std::uint32_t value) {
  if (nbits < 1 || nbits > 32 || bit < 0)
    throw std::out_of_range(opt_.name + ": write of " + std::to_string(nbits) + " bits at bit " +
                            std::to_string(bit));
  const std::int64_t w = bit / 32;
  const int off = int(bit % 32);
  const std::uint64_t mask = ((std::uint64_t(1) << nbits) - 1) << off;
  const std::uint64_t v = (std::uint64_t(value) << off) & mask;
  // A masked (bit-enable) write: the other bits of the word keep their value.
  auto put = [&](std::int64_t word, std::uint32_t m, std::uint32_t bits) {
    const std::size_t i = index(half, word, "write");
    data_[i] = (data_[i] & ~m) | bits;
    ++bank_writes_[static_cast<std::size_t>(bank_of(word))];
    ++writes_;
  };
  put(w, std::uint32_t(mask), std::uint32_t(v));
  if (off + nbits > 32) put(w + 1, std::uint32_t(mask >> 32), std::uint32_t(v >> 32));
}

void Buffer::load_bytes(Half half, const std::uint8_t* src, std::size_t n) {
  for (std::size_t b = 0; b < n; b += 4) {
    std::uint32_t v = 0;
    for (std::size_t j = 0; j < 4 && b + j < n; ++j) v |= std::uint32_t(src[b + j]) << (8 * j);
    if (n - b >= 4) {
      write(half, std::int64_t(b / 4), v);
    } else { // the last, partial word keeps its other bytes
      write_bits(half, std::int64_t(b * 8), int(8 * (n - b)), v);
    }
  }
}

void Buffer::store_bytes(Half half, std::uint8_t* dst, std::size_t n) {
  for (std::size_t b = 0; b < n; b += 4) {
    std::uint32_t v = read(half, std::int64_t(b / 4));
    for (std::size_t j = 0; j < 4 && b + j < n; ++j) dst[b + j] = std::uint8_t(v >> (8 * j));
  }
}

void Buffer::reset_counters() {
  bank_reads_.assign(bank_reads_.size(), 0);
  bank_writes_.assign(bank_writes_.size(), 0);
  reads_ = writes_ = 0;
}

Buffers make_buffers(const model::Accelerator& a) {
  return Buffers{Buffer({"abuf", a.abuf_bytes, a.pe_rows}),
                 Buffer({"wbuf", a.wbuf_bytes, a.pe_rows * a.pe_cols}),
                 Buffer({"obuf", a.obuf_bytes, a.pe_cols})};
}

} // namespace brickyard::sysc
