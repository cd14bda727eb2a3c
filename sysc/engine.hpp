#pragma once
// The PE array as the simulator's controller drives it: exactly the ports of
// rtl/pe_array.sv (see rtl/README.md for each dataflow's subset and timing), one clock
// cycle at a time. Two implementations with identical cycle behaviour:
//   native  a C++ model of the RTL's registers, written for speed (NativeEngine)
//   rtl     the Verilated rtl/pe_array for the shapes compiled in (RtlEngine)
// The controller sets the inputs of a cycle, reads the outputs of that cycle (they
// depend on registers and, for OS readout, on rd_row), then calls clock().
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "model/accelerator.hpp"

namespace brickyard::sysc {

// One cycle's input port values. Vectors hold one 32-bit word per row/column/bus, as in
// the RTL's flat ports: w_data has COLS words (WS) or ROWS words (RS); in_a has ROWS
// words (WS, OS) or (COLS-1)*2+ROWS buses (RS); in_w has COLS words (OS).
struct ArrayInputs {
  int a_prec = 2, w_prec = 2; // 0: 2-bit, 1: 4-bit, 2: 8-bit
  bool a_signed = false, w_signed = false;
  bool stride2 = false; // RS: stride 2
  int k = 1;            // RS: kernel width
  bool w_we = false, w_bank = false;
  int w_row = 0, w_idx = 0;
  std::vector<std::uint32_t> w_data;
  bool in_valid = false, in_bank = false, in_first = false, in_last = false;
  int in_kw = 0;
  std::vector<std::uint32_t> in_a, in_w;
  int rd_row = 0;
};

struct ArrayOutputs {
  bool out_valid = false;
  std::vector<std::uint32_t> out_data; // COLS words
};

enum class Engine { Native, Rtl };
const char* to_string(Engine e);
Engine engine_from_string(const std::string& s, const std::string& field);

class ArrayEngine {
public:
  virtual ~ArrayEngine() = default;
  virtual void reset() = 0; // synchronous reset, then idle
  virtual void set_inputs(const ArrayInputs& in) = 0;
  virtual const ArrayOutputs& outputs() = 0; // outputs in the current cycle
  virtual void clock() = 0;                  // rising edge: end of the cycle
  int rows() const { return rows_; }
  int cols() const { return cols_; }
  model::Dataflow dataflow() const { return df_; }

protected:
  ArrayEngine(model::Dataflow df, int rows, int cols) : rows_(rows), cols_(cols), df_(df) {}
  int rows_, cols_;
  model::Dataflow df_;
};

// Number of input words the in_a port carries for a dataflow/shape.
inline int in_a_words(model::Dataflow df, int rows, int cols) {
  return df == model::Dataflow::RS ? (cols - 1) * 2 + rows : rows;
}
inline int w_data_words(model::Dataflow df, int rows, int cols) {
  return df == model::Dataflow::RS ? rows : cols;
}
inline constexpr int kRsKmax = 7; // KMAX of the RS array (largest kernel width)

// Throws model::SpecError("engine", ...) when the rtl engine has no compiled model of
// this shape; the message lists the shapes that exist.
std::unique_ptr<ArrayEngine> make_engine(Engine e, model::Dataflow df, int rows, int cols);

// Shapes the rtl engine was built with, "ws 4x4", ...
std::vector<std::string> rtl_engine_shapes();

// What a shared library built by `brickyard export-rtl --verify` exports through
// `extern "C" const RtlModelExport* brickyard_rtl_model()`: the shape of its Verilated
// top and a factory of RtlEngine<V> (sysc/rtl_engine.hpp) around it.
inline constexpr int kRtlModelAbi = 1; // bump when ArrayEngine or this struct changes
struct RtlModelExport {
  int abi;
  int dataflow; // model::Dataflow
  int rows, cols;
  const char* name;
  std::unique_ptr<ArrayEngine> (*make)();
};
struct RtlModelInfo {
  model::Dataflow dataflow;
  int rows, cols;
  std::string name;
};
// Loads such a library; its model then serves make_engine(Engine::Rtl, ...) for its shape
// (before any built-in model). Throws model::SpecError("rtl-model") if it cannot.
RtlModelInfo load_rtl_model(const std::string& path);
// load_rtl_model(), then SpecError("rtl-model") unless its shape and dataflow are the
// accelerator's.
void check_rtl_model(const std::string& path, const model::Accelerator& accel);

} // namespace brickyard::sysc
