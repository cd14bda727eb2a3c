#pragma once
// Internals of the array engines (sysc/engine.hpp), shared by sysc/engine.cpp,
// sysc/engine_native.cpp, sysc/engine_rtl.cpp, their test and their benchmark.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sysc/engine.hpp"

namespace brickyard::sysc::detail {

// One fusion unit (rtl/fusion_unit.sv): the sum over k < pf of a_k * w_k, with the pf
// A-bit activations and W-bit weights packed LSB first in a and w (rtl/README.md,
// Operands). Precision codes 0: 2-bit, 1: 4-bit, 2 and 3: 8-bit (only the low 2 bits of
// the code are used, like the 2-bit port); bits above pf*A (pf*W) are ignored. The result
// is the RTL's 32-bit two's complement sum.
std::int32_t fu_dot(std::uint32_t a, std::uint32_t w, int a_prec, int w_prec, bool a_signed,
                    bool w_signed);

// NativeEngine of one dataflow; rows and cols must be in 3..64 (checked by make_engine).
std::unique_ptr<ArrayEngine> make_native_engine(model::Dataflow df, int rows, int cols);

// RtlEngine over the compiled Verilated model of this shape, or nullptr if there is none.
std::unique_ptr<ArrayEngine> make_rtl_engine(model::Dataflow df, int rows, int cols);

// "ws 4x4", ... in the order sysc/rtl_models.cmake lists them.
std::vector<std::string> rtl_shapes();

// Port widths shared by both engines: ints of ArrayInputs are truncated to these widths
// (exactly what assigning them to the RTL's ports does).
inline constexpr unsigned kPrecMask = 3; // a_prec, w_prec: 2 bits
inline constexpr unsigned kRowMask = 63; // w_row, rd_row: 6 bits
inline constexpr unsigned kKwMask = 7;   // k, w_idx, in_kw: $clog2(KMAX+1) = 3 bits
static_assert(kRsKmax == 7, "kKwMask assumes KMAX 7 (3-bit k / w_idx / in_kw ports)");

} // namespace brickyard::sysc::detail
