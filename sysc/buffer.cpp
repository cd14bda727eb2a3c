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
