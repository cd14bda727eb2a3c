# Row-stationary array (rtl/pe_array_rs.sv): one verilated model per shape (a wide and a
# tall array), each with its self-checking testbench (every output bit-exact and on the
# cycle rtl/README.md predicts), a stand-alone Verilator lint per shape and a Yosys
# generic synthesis run. Included from tests/rtl/CMakeLists.txt.
set(_rs_shapes 3:4:5 5:3:7)  # ROWS:COLS:KMAX
find_program(BRICKYARD_VERILATOR_LINT NAMES verilator HINTS ${VERILATOR_ROOT}/bin)
foreach(spec IN LISTS _rs_shapes)
  string(REPLACE ":" ";" shape ${spec})
  list(GET shape 0 rows)
  list(GET shape 1 cols)
  list(GET shape 2 kmax)
  set(tgt rtl_rs_${rows}x${cols})
  brickyard_verilate(${tgt} TOP pe_array_rs LIBRARY rtl_models_rs
    SOURCES ${BRICKYARD_RTL_FU_SOURCES} ${BRICKYARD_RTL_DIR}/pe_array_rs.sv
    PARAMS -GROWS=${rows} -GCOLS=${cols} -GKMAX=${kmax})
  add_executable(test_${tgt} ${CMAKE_CURRENT_LIST_DIR}/test_pe_array_rs.cpp)
  target_compile_definitions(test_${tgt} PRIVATE DUT=V${tgt} DUT_HEADER="V${tgt}.h"
    ARRAY_ROWS=${rows} ARRAY_COLS=${cols} ARRAY_KMAX=${kmax})
  target_link_libraries(test_${tgt} PRIVATE rtl_models_rs brickyard_warnings)
  add_test(NAME ${tgt} COMMAND test_${tgt})
  if(BRICKYARD_VERILATOR_LINT)
    add_test(NAME rtl_lint_pe_array_rs_${rows}x${cols}
      COMMAND ${BRICKYARD_VERILATOR_LINT} --lint-only -Wall ${BRICKYARD_RTL_FU_SOURCES}
              ${BRICKYARD_RTL_DIR}/pe_array_rs.sv --top-module pe_array_rs
              -GROWS=${rows} -GCOLS=${cols} -GKMAX=${kmax})
  endif()
endforeach()

# Yosys must accept the file: generic synthesis of a 3x3 array (when yosys is installed).
find_program(BRICKYARD_YOSYS NAMES yosys)
if(BRICKYARD_YOSYS)
  list(JOIN BRICKYARD_RTL_FU_SOURCES " " _rs_fu_sources)
  add_test(NAME rtl_rs_synth_3x3
    COMMAND ${BRICKYARD_YOSYS} -q -p "read_verilog -sv ${_rs_fu_sources} \
${BRICKYARD_RTL_DIR}/pe_array_rs.sv; chparam -set ROWS 3 -set COLS 3 pe_array_rs; \
synth -top pe_array_rs; tee -o ${CMAKE_CURRENT_BINARY_DIR}/pe_array_rs_3x3.stat stat")
endif()
