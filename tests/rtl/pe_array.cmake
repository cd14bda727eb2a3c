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

# The pe_array wrapper (DATAFLOW chosen at elaboration) runs the same testbench.
foreach(spec ws:0 os:1)
  string(REPLACE ":" ";" pair ${spec})
  list(GET pair 0 df)
  list(GET pair 1 code)
  string(TOUPPER ${df} DF)
  set(tgt rtl_pe_array_${df}_4x4)
  brickyard_verilate(${tgt} TOP pe_array LIBRARY rtl_models_ws_os
    PARAMS -GROWS=4 -GCOLS=4 -GDATAFLOW=${code})
  add_executable(test_${tgt} ${CMAKE_CURRENT_SOURCE_DIR}/test_pe_array.cpp)
  target_compile_definitions(test_${tgt} PRIVATE DUT=V${tgt} DUT_HEADER="V${tgt}.h"
    ARRAY_ROWS=4 ARRAY_COLS=4 DATAFLOW_${DF} DATAFLOW_NAME="pe_array ${DF}"
    WS_IN_PORT=in_a OS_RD_PORT=out_data)
  target_link_libraries(test_${tgt} PRIVATE rtl_models_ws_os brickyard_warnings)
  add_test(NAME ${tgt} COMMAND test_${tgt})
endforeach()

foreach(code 0 1 2)
  add_test(NAME rtl_lint_pe_array_dataflow${code}
    COMMAND verilator --lint-only -Wall ${BRICKYARD_RTL_SOURCES} --top-module pe_array
            -GROWS=4 -GCOLS=5 -GDATAFLOW=${code})
endforeach()
add_test(NAME rtl_synth_pe_array
  COMMAND bash ${PROJECT_SOURCE_DIR}/scripts/synth.sh --only pe_array --out ${CMAKE_BINARY_DIR}/synth)
set_tests_properties(rtl_synth_pe_array PROPERTIES SKIP_RETURN_CODE 77)
