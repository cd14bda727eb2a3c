#include "sysc/dram.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <sstream>

#include "model/error.hpp"

namespace brickyard::sysc {

namespace {

sc_core::sc_time cycles_to_time(const sc_core::sc_time& period, std::uint64_t cycles) {
  return sc_core::sc_time::from_value(period.value() * cycles);
}

const char* command_name(tlm::tlm_command cmd) {
  return cmd == tlm::TLM_READ_COMMAND ? "read" : cmd == tlm::TLM_WRITE_COMMAND ? "write" : "ignore";
}

std::string describe(const char* who, tlm::tlm_command cmd, std::uint64_t addr, std::size_t bytes) {
  std::ostringstream s;
  s << who << ": " << command_name(cmd) << " of " << bytes << " bytes at address 0x" << std::hex
    << addr;
  return s.str();
}

// Command, address, data and length (streaming width = length) of one transaction.
void fill_payload(tlm::tlm_generic_payload& gp, const char* who, tlm::tlm_command cmd,
                  std::uint64_t addr, std::size_t bytes, unsigned char* data, const char* limit) {
  if (bytes > std::numeric_limits<unsigned int>::max())
    throw std::length_error(describe(who, cmd, addr, bytes) + ": larger than " + limit);
  gp.set_command(cmd);
  gp.set_address(addr);
  gp.set_data_ptr(data);
  gp.set_data_length(static_cast<unsigned int>(bytes));
  gp.set_streaming_width(static_cast<unsigned int>(bytes));
}

} // namespace

void validate(const DramOptions& o) {
  if (o.bits_per_cycle < 1)
    throw model::SpecError("dram.bits_per_cycle",
                           "must be at least 1 (got " + std::to_string(o.bits_per_cycle) + ")");
  if (o.latency_cycles < 0)
    throw model::SpecError("dram.latency_cycles",
                           "must not be negative (got " + std::to_string(o.latency_cycles) + ")");
  if (o.clock_period <= sc_core::SC_ZERO_TIME)
    throw model::SpecError("dram.clock_period", "must be positive");
  if (o.size_bytes < 1) throw model::SpecError("dram.size_bytes", "must be at least 1");
}

DramOptions dram_options(const model::Accelerator& a, std::uint64_t size_bytes) {
  DramOptions o;
  o.bits_per_cycle = a.dram_bits_per_cycle;
  o.latency_cycles = a.dram_latency_cycles;
  o.clock_period = sc_core::sc_time(1.0 / a.clock_hz, sc_core::SC_SEC);
  o.size_bytes = size_bytes;
  return o;
}

Dram::Dram(sc_core::sc_module_name name, const DramOptions& options)
    : sc_core::sc_module(name), socket("socket"), opt_(options) {
  validate(opt_);
  mem_.assign(opt_.size_bytes, 0);
  socket.register_b_transport(this, &Dram::b_transport);
  socket.register_transport_dbg(this, &Dram::transport_dbg);
}

std::uint64_t Dram::transfer_cycles(std::uint64_t bytes) const {
  const auto bw = static_cast<std::uint64_t>(opt_.bits_per_cycle);
  return (8 * bytes + bw - 1) / bw;
}

bool Dram::in_range(std::uint64_t addr, std::uint64_t len) const {
  return len > 0 && addr < mem_.size() && len <= mem_.size() - addr;
}

void Dram::b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) {
  const tlm::tlm_command cmd = gp.get_command();
  const std::uint64_t addr = gp.get_address();
  const unsigned int len = gp.get_data_length();
  gp.set_dmi_allowed(false);
  if (cmd == tlm::TLM_IGNORE_COMMAND) {
    gp.set_response_status(tlm::TLM_OK_RESPONSE);
    return;
  }
  if (!in_range(addr, len)) {
    gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  if (gp.get_byte_enable_ptr() != nullptr) {
    gp.set_response_status(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
    return;
  }
  if (gp.get_streaming_width() < len) {
    gp.set_response_status(tlm::TLM_BURST_ERROR_RESPONSE);
    return;
  }
  if (gp.get_data_ptr() == nullptr) {
    gp.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
    return;
  }

  if (cmd == tlm::TLM_READ_COMMAND) {
    std::memcpy(gp.get_data_ptr(), &mem_[addr], len);
    stats_.bits_read += 8 * std::uint64_t{len};
  } else {
    std::memcpy(&mem_[addr], gp.get_data_ptr(), len);
    stats_.bits_written += 8 * std::uint64_t{len};
  }

  const sc_core::sc_time now = sc_core::sc_time_stamp();
  const sc_core::sc_time arrival = now + delay;
  const sc_core::sc_time start = std::max(arrival, busy_until_);
  const std::uint64_t xfer = transfer_cycles(len);
  busy_until_ = start + cycles_to_time(opt_.clock_period, xfer);
  const sc_core::sc_time done =
      start +
      cycles_to_time(opt_.clock_period, static_cast<std::uint64_t>(opt_.latency_cycles) + xfer);
  delay = done - now;
  ++stats_.bursts;
  stats_.busy_cycles += xfer;
  gp.set_response_status(tlm::TLM_OK_RESPONSE);
}

unsigned int Dram::transport_dbg(tlm::tlm_generic_payload& gp) {
  const tlm::tlm_command cmd = gp.get_command();
  const std::uint64_t addr = gp.get_address();
  if (cmd == tlm::TLM_IGNORE_COMMAND || addr >= mem_.size() || gp.get_data_ptr() == nullptr)
    return 0;
  const auto len =
      static_cast<unsigned int>(std::min<std::uint64_t>(gp.get_data_length(), mem_.size() - addr));
  if (cmd == tlm::TLM_READ_COMMAND)
    std::memcpy(gp.get_data_ptr(), &mem_[addr], len);
  else
    std::memcpy(&mem_[addr], gp.get_data_ptr(), len);
  return len;
}

DramPort::DramPort(sc_core::sc_module_name name) : sc_core::sc_module(name), socket("socket") {}

sc_core::sc_time DramPort::transport(tlm::tlm_command cmd, std::uint64_t addr, std::size_t bytes,
                                     unsigned char* data) {
  tlm::tlm_generic_payload gp;
  fill_payload(gp, name(), cmd, addr, bytes, data, "one burst");
  gp.set_byte_enable_ptr(nullptr);
  gp.set_dmi_allowed(false);
  gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
  socket->b_transport(gp, delay);
  if (gp.is_response_error())
    throw DramError(describe(name(), cmd, addr, bytes) + ": " + gp.get_response_string(), addr,
                    gp.get_response_status());
  const sc_core::sc_time done = sc_core::sc_time_stamp() + delay;
  last_done_ = std::max(last_done_, done);
  return done;
}

void DramPort::read(std::uint64_t addr, std::size_t bytes, void* dst) {
  const sc_core::sc_time done = issue_read(addr, bytes, dst);
  wait(done - sc_core::sc_time_stamp());
}

void DramPort::write(std::uint64_t addr, const void* src, std::size_t bytes) {
  const sc_core::sc_time done = issue_write(addr, src, bytes);
  wait(done - sc_core::sc_time_stamp());
}

sc_core::sc_time DramPort::issue_read(std::uint64_t addr, std::size_t bytes, void* dst) {
  return transport(tlm::TLM_READ_COMMAND, addr, bytes, static_cast<unsigned char*>(dst));
}

sc_core::sc_time DramPort::issue_write(std::uint64_t addr, const void* src, std::size_t bytes) {
  // The target only reads the data of a write.
  return transport(tlm::TLM_WRITE_COMMAND, addr, bytes,
                   const_cast<unsigned char*>(static_cast<const unsigned char*>(src)));
}

void DramPort::drain() {
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  if (last_done_ > now) wait(last_done_ - now);
}

void DramPort::transport_dbg(tlm::tlm_command cmd, std::uint64_t addr, std::size_t bytes,
                             unsigned char* data) {
  tlm::tlm_generic_payload gp;
  fill_payload(gp, name(), cmd, addr, bytes, data, "one transaction");
  const unsigned int n = socket->transport_dbg(gp);
  if (n != bytes)
    throw DramError(describe(name(), cmd, addr, bytes) + " (debug): only " + std::to_string(n) +
                        " bytes inside the DRAM",
                    addr, tlm::TLM_ADDRESS_ERROR_RESPONSE);
}

void DramPort::debug_read(std::uint64_t addr, std::size_t bytes, void* dst) {
  transport_dbg(tlm::TLM_READ_COMMAND, addr, bytes, static_cast<unsigned char*>(dst));
}

void DramPort::debug_write(std::uint64_t addr, const void* src, std::size_t bytes) {
  transport_dbg(tlm::TLM_WRITE_COMMAND, addr, bytes,
                const_cast<unsigned char*>(static_cast<const unsigned char*>(src)));
}

} // namespace brickyard::sysc
