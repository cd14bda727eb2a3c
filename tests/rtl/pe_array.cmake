# WS and OS arrays: a square and a non-square shape each, every output bit-exact and
# on the cycle rtl/README.md predicts.
set(_ws_os_shapes ws:4:4 ws:3:5 os:4:4 os:5:3)
foreach(spec IN LISTS _ws_os_shapes)
  string(REPLACE ":" ";" shape ${spec})
  list(GET shape 0 df)
  list(GET shape 1 rows)
  list(GET shape 2 cols)
  set(tgt rtl_${df}_${rows}x${cols})
  brickyard_verilate(${tgt} TOP pe_array_${df} LIBRARY rtl_models_ws_os
    SOURCES ${BRICKYARD_RTL_FU_SOURCES} ${BRICKYARD_RTL_DIR}/pe_array_${df}.sv
    PARAMS -GROWS=${rows} -GCOLS=${cols})
  string(TOUPPER ${df} DF)
  add_executable(test_${tgt} ${CMAKE_CURRENT_SOURCE_DIR}/test_pe_array.cpp)
  target_compile_definitions(test_${tgt} PRIVATE DUT=V${tgt} DUT_HEADER="V${tgt}.h"
    ARRAY_ROWS=${rows} ARRAY_COLS=${cols} DATAFLOW_${DF} DATAFLOW_NAME="${DF}")
  target_link_libraries(test_${tgt} PRIVATE rtl_models_ws_os brickyard_warnings)
  add_test(NAME ${tgt} COMMAND test_${tgt})
  add_test(NAME rtl_lint_${df}_${rows}x${cols}
    COMMAND verilator --lint-only -Wall ${BRICKYARD_RTL_FU_SOURCES}
            ${BRICKYARD_RTL_DIR}/pe_array_${df}.sv --top-module pe_array_${df}
            -GROWS=${rows} -GCOLS=${cols})
endforeach()
