# Array engines (sysc/engine.hpp): native vs Verilated RTL in lockstep, and directed
# convolution schedules on the native engine. Included from tests/sysc/CMakeLists.txt.
add_executable(test_engine ${CMAKE_CURRENT_LIST_DIR}/test_engine.cpp
                           ${CMAKE_CURRENT_LIST_DIR}/sc_main_stub.cpp)
target_link_libraries(test_engine PRIVATE brickyard::sysc Catch2::Catch2WithMain
                                          brickyard_warnings)
catch_discover_tests(test_engine PROPERTIES ENVIRONMENT SC_COPYRIGHT_MESSAGE=DISABLE)
