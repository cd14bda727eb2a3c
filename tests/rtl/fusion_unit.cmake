# bitbrick and fusion_unit: verilated models, exhaustive / randomized self-checking
# testbenches (plain C++, exit status), a stand-alone Verilator lint and a Yosys generic
# synthesis run. Included from tests/rtl/CMakeLists.txt.

brickyard_verilate(rtl_bitbrick TOP bitbrick)
brickyard_verilate(rtl_fusion_unit TOP fusion_unit)

add_executable(test_bitbrick ${CMAKE_CURRENT_LIST_DIR}/test_bitbrick.cpp)
target_link_libraries(test_bitbrick PRIVATE rtl_bitbrick brickyard_warnings)
add_test(NAME rtl_bitbrick COMMAND test_bitbrick)

add_executable(test_fusion_unit ${CMAKE_CURRENT_LIST_DIR}/test_fusion_unit.cpp)
target_link_libraries(test_fusion_unit PRIVATE rtl_fusion_unit brickyard_warnings)
add_test(NAME rtl_fusion_unit COMMAND test_fusion_unit)

# Lint of exactly the two files (the verilated libraries lint all RTL sources together).
find_program(BRICKYARD_VERILATOR_LINT NAMES verilator HINTS ${VERILATOR_ROOT}/bin)
if(BRICKYARD_VERILATOR_LINT)
  add_test(NAME rtl_lint_fusion_unit
           COMMAND ${BRICKYARD_VERILATOR_LINT} --lint-only -Wall
                   ${BRICKYARD_RTL_DIR}/bitbrick.sv ${BRICKYARD_RTL_DIR}/fusion_unit.sv
                   --top-module fusion_unit)
endif()

# Yosys generic synthesis; synth.sh exits 77 (reported as skipped) when yosys is missing.
add_test(NAME rtl_synth_fusion_unit
         COMMAND bash ${PROJECT_SOURCE_DIR}/scripts/synth.sh --only fusion_unit
                 --out ${CMAKE_BINARY_DIR}/synth)
set_tests_properties(rtl_synth_fusion_unit PROPERTIES SKIP_RETURN_CODE 77)
