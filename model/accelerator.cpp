#include "model/accelerator.hpp"

#include "model/error.hpp"

namespace brickyard::model {

const char* to_string(Dataflow d) {
  switch (d) {
  case Dataflow::WS:
    return "ws";
  case Dataflow::OS:
    return "os";
  case Dataflow::RS:
    return "rs";
  }
  return "?";
}

Dataflow dataflow_from_string(const std::string& s, const std::string& field) {
  if (s == "ws" || s == "WS") return Dataflow::WS;
  if (s == "os" || s == "OS") return Dataflow::OS;
  if (s == "rs" || s == "RS") return Dataflow::RS;
  throw SpecError(field, "unknown dataflow '" + s + "' (ws, os, rs)");
}

void validate(const Accelerator& a, const std::string& where) {
  auto f = [&](const char* name) { return where + name; };
  auto dim = [&](const char* name, int v) {
    if (v < kMinPeDim || v > kMaxPeDim)
      throw SpecError(f(name), "must be in " + std::to_string(kMinPeDim) + ".." +
                                   std::to_string(kMaxPeDim) + " (got " + std::to_string(v) + ")");
  };
  dim("pe_rows", a.pe_rows);
  dim("pe_cols", a.pe_cols);
  constexpr std::int64_t kMaxBuf = std::int64_t(1) << 30;
  auto buf = [&](const char* name, std::int64_t v) {
    if (v < 64 || v > kMaxBuf)
      throw SpecError(f(name),
                      "must be between 64 bytes and 1 GiB (got " + std::to_string(v) + ")");
  };
  buf("abuf_bytes", a.abuf_bytes);
  buf("wbuf_bytes", a.wbuf_bytes);
  buf("obuf_bytes", a.obuf_bytes);
  if (!(a.clock_hz > 0 && a.clock_hz <= 1e10))
    throw SpecError(f("clock_hz"), "must be in (0, 10 GHz]");
  if (a.dram_bits_per_cycle < 1 || a.dram_bits_per_cycle > 65536)
    throw SpecError(f("dram_bits_per_cycle"),
                    "must be in 1..65536 (got " + std::to_string(a.dram_bits_per_cycle) + ")");
  if (a.dram_latency_cycles < 0 || a.dram_latency_cycles > 100000)
    throw SpecError(f("dram_latency_cycles"), "must be in 0..100000");
  if (a.tech.empty()) throw SpecError(f("tech"), "must name a tech table");
}

} // namespace brickyard::model
