#pragma once
// Off-chip DRAM as a TLM-2.0 loosely-timed target (Dram), and the initiator helper the
// controller calls from its SC_THREADs (DramPort).
//
// Timing model: one channel that serves one burst at a time, pipelined.
//   A transaction of data_length bytes is one burst of B = 8 * data_length bits. If it
//   arrives at t = sc_time_stamp() + delay (delay: the incoming annotation), then
//     start = max(t, busy_until)
//     xfer  = ceil(B / bits_per_cycle) cycles   (the data bus is busy: busy_until = start + xfer)
//     done  = start + (latency_cycles + xfer) cycles
//   and b_transport returns with delay = done - sc_time_stamp(); it never calls wait().
//   The bus takes a new burst every xfer cycles while each burst's latency runs, so bursts
//   issued together cost one latency plus the sum of their transfer times.
// Numbers with the default options (128 bits/cycle, 100 cycles latency, 2 ns clock):
//   one 64-byte burst (512 bits) on an idle DRAM completes 100 + 4 = 104 cycles = 208 ns later;
//   17 bytes (136 bits) take 100 + 2 = 102 cycles;
//   four 64-byte bursts issued at time 0 without waiting (DramPort::issue_read) complete at
//   104, 108, 112, 116 cycles: the last at 100 + 4 * 4 = 116 cycles = 232 ns;
//   the same four as blocking DramPort::read() calls one after another: 4 * 104 = 416 cycles.
// Bursts are served in b_transport call order: a call books the bus before any later call,
// even one whose annotated arrival is earlier. Times are not snapped to clock edges (an
// initiator that issues on edges stays on edges); durations are whole clock periods.
//
// Responses: an empty range or one outside [0, size_bytes) -> TLM_ADDRESS_ERROR_RESPONSE;
// byte enables -> TLM_BYTE_ENABLE_ERROR_RESPONSE; streaming (streaming_width <
// data_length) -> TLM_BURST_ERROR_RESPONSE; a null data pointer -> TLM_GENERIC_ERROR_RESPONSE.
// Failed transactions move no data, take no time and are not counted. No DMI.
// transport_dbg reads/writes the array with no time and no counters (test setup, dumps).
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include "model/accelerator.hpp"

namespace brickyard::sysc {

struct DramOptions {
  int bits_per_cycle = 128; // data bus width: bits transferred per clock cycle
  int latency_cycles = 100; // first-word latency of a burst
  sc_core::sc_time clock_period = sc_core::sc_time(2, sc_core::SC_NS);
  std::uint64_t size_bytes = std::uint64_t{1} << 24;
};

// Throws model::SpecError naming the field ("dram.bits_per_cycle", ...).
void validate(const DramOptions& o);

// bits_per_cycle, latency_cycles and clock period (1 / clock_hz, rounded to the SystemC
// time resolution) of an accelerator's DRAM interface.
DramOptions dram_options(const model::Accelerator& a, std::uint64_t size_bytes);

struct DramStats {
  std::uint64_t bits_read = 0;    // 8 x bytes of successful reads
  std::uint64_t bits_written = 0; // 8 x bytes of successful writes
  std::uint64_t bursts = 0;       // successful read/write transactions
  std::uint64_t busy_cycles = 0;  // sum of xfer: cycles the data bus was occupied
};

class Dram : public sc_core::sc_module {
public:
  tlm_utils::simple_target_socket<Dram> socket;

  explicit Dram(sc_core::sc_module_name name, const DramOptions& options = {});

  const DramOptions& options() const { return opt_; }
  const DramStats& stats() const { return stats_; }
  void reset_stats() { stats_ = {}; }
  // xfer of a burst of `bytes` bytes: ceil(8 * bytes / bits_per_cycle).
  std::uint64_t transfer_cycles(std::uint64_t bytes) const;
  // End of the last booked data-bus transfer.
  const sc_core::sc_time& busy_until() const { return busy_until_; }

private:
  void b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);
  unsigned int transport_dbg(tlm::tlm_generic_payload& gp);
  bool in_range(std::uint64_t addr, std::uint64_t len) const;

  DramOptions opt_;
  std::vector<std::uint8_t> mem_;
  sc_core::sc_time busy_until_ = sc_core::SC_ZERO_TIME;
  DramStats stats_;
};

// A failed DRAM transaction, as DramPort reports it.
class DramError : public std::runtime_error {
public:
  DramError(const std::string& message, std::uint64_t address, tlm::tlm_response_status status)
      : std::runtime_error(message), address_(address), status_(status) {}
  std::uint64_t address() const { return address_; }
  tlm::tlm_response_status status() const { return status_; }

private:
  std::uint64_t address_;
  tlm::tlm_response_status status_;
};

// Initiator side: bind `socket` to Dram::socket. read/write/drain wait (issue_* do not), so call
// them from an SC_THREAD; several threads of one module may share a port (the DRAM
// serializes their bursts). One call is one burst. Errors throw DramError (TLM error
// response, with the address) or std::length_error (more than 4 GiB in one burst).
class DramPort : public sc_core::sc_module {
public:
  tlm_utils::simple_initiator_socket<DramPort> socket;

  explicit DramPort(sc_core::sc_module_name name);

  // Blocking: return when the burst has completed (the data is in dst / in DRAM).
  void read(std::uint64_t addr, std::size_t bytes, void* dst);
  void write(std::uint64_t addr, const void* src, std::size_t bytes);

  // Pipelined: issue the burst now and return its completion time without waiting.
  // The data moves at once (loosely timed); the caller must not use dst / reuse src as if
  // the burst were done before the returned time. drain() waits for every burst issued
  // through this port, by any thread.
  sc_core::sc_time issue_read(std::uint64_t addr, std::size_t bytes, void* dst);
  sc_core::sc_time issue_write(std::uint64_t addr, const void* src, std::size_t bytes);
  void drain();

  // Untimed access through transport_dbg (test setup, result dumps); callable from any
  // process or after elaboration. Throws DramError unless all bytes were transferred.
  void debug_read(std::uint64_t addr, std::size_t bytes, void* dst);
  void debug_write(std::uint64_t addr, const void* src, std::size_t bytes);

private:
  sc_core::sc_time transport(tlm::tlm_command cmd, std::uint64_t addr, std::size_t bytes,
                             unsigned char* data);
  void transport_dbg(tlm::tlm_command cmd, std::uint64_t addr, std::size_t bytes,
                     unsigned char* data);

  sc_core::sc_time last_done_ = sc_core::SC_ZERO_TIME;
};

} // namespace brickyard::sysc
