# Dram / DramPort (TLM-2.0) and Buffer tests; included from tests/sysc/CMakeLists.txt.
# catch_discover_tests runs each TEST_CASE in its own process, as one SystemC elaboration
# per process requires; sc_main_stub.cpp satisfies libsystemc's main().
foreach(t IN ITEMS dram buffer)
  add_executable(test_sysc_${t} ${CMAKE_CURRENT_LIST_DIR}/test_${t}.cpp
                                ${CMAKE_CURRENT_LIST_DIR}/sc_main_stub.cpp)
  target_link_libraries(test_sysc_${t} PRIVATE brickyard::sysc Catch2::Catch2WithMain
                                                brickyard_warnings)
  catch_discover_tests(test_sysc_${t} PROPERTIES ENVIRONMENT SC_COPYRIGHT_MESSAGE=DISABLE)
endforeach()
