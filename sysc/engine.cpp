// The engine factory of sysc/engine.hpp (the engine names are in sysc/sim_json.cpp). The engines
// themselves live in sysc/engine_native.cpp (C++ model of the RTL's registers) and
// sysc/engine_rtl.cpp (Verilated rtl/pe_array models compiled by sysc/rtl_models.cmake).
#include "sysc/engine.hpp"

#include "model/error.hpp"
#include "sysc/engine_impl.hpp"

namespace brickyard::sysc {

std::unique_ptr<ArrayEngine> make_engine(Engine e, model::Dataflow df, int rows, int cols) {
  if (e == Engine::Rtl) {
    if (auto p = detail::make_rtl_engine(df, rows, cols)) return p;
    std::string built;
    for (const std::string& s : detail::rtl_shapes()) built += (built.empty() ? "" : ", ") + s;
    throw model::SpecError("engine", std::string("no rtl model of ") + model::to_string(df) + " " +
                                         std::to_string(rows) + "x" + std::to_string(cols) +
                                         "; built: " + (built.empty() ? "none" : built));
  }
  // rtl/README.md: ROWS and COLS range over 3..64 (6-bit w_row / rd_row ports; the RS
  // array needs ROWS >= 3). The native engine models exactly that hardware.
  if (rows < 3 || rows > 64 || cols < 3 || cols > 64)
    throw model::SpecError("engine", "the native engine models arrays of 3..64 rows and "
                                     "columns, like rtl/pe_array.sv (got " +
                                         std::to_string(rows) + "x" + std::to_string(cols) + ")");
  return detail::make_native_engine(df, rows, cols);
}

std::vector<std::string> rtl_engine_shapes() {
  return detail::rtl_shapes();
}

void check_rtl_model(const std::string& path, const model::Accelerator& a) {
  const RtlModelInfo m = load_rtl_model(path);
  if (m.dataflow != a.dataflow || m.rows != a.pe_rows || m.cols != a.pe_cols)
    throw model::SpecError("rtl-model",
                           "'" + path + "' is a " + model::to_string(m.dataflow) + " " +
                               std::to_string(m.rows) + "x" + std::to_string(m.cols) +
                               " array, the accelerator a " + model::to_string(a.dataflow) + " " +
                               std::to_string(a.pe_rows) + "x" + std::to_string(a.pe_cols));
}

} // namespace brickyard::sysc
