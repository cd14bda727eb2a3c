// Compiled by `brickyard export-rtl --verify` (rtlgen/verify.cpp), not by the project
// build: wraps the Verilated exported top Vbrickyard_top in RtlEngine and exports it for
// sysc::load_rtl_model(). BRICKYARD_DATAFLOW/ROWS/COLS come from the command line.
#include "Vbrickyard_top.h"

#include "sysc/rtl_engine.hpp"

namespace {

std::unique_ptr<brickyard::sysc::ArrayEngine> make() {
  return std::make_unique<brickyard::sysc::detail::RtlEngine<Vbrickyard_top>>(
      static_cast<brickyard::model::Dataflow>(BRICKYARD_DATAFLOW), BRICKYARD_ROWS, BRICKYARD_COLS);
}

const brickyard::sysc::RtlModelExport kModel = {brickyard::sysc::kRtlModelAbi,
                                                BRICKYARD_DATAFLOW,
                                                BRICKYARD_ROWS,
                                                BRICKYARD_COLS,
                                                "brickyard_top (export-rtl)",
                                                &make};

} // namespace

extern "C" const brickyard::sysc::RtlModelExport* brickyard_rtl_model() {
  return &kModel;
}
