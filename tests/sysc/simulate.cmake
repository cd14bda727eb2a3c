# Whole-layer simulations: one simulate() per TEST_CASE (one SystemC elaboration per
# process), each over a network of many small layers.
add_executable(test_simulate ${CMAKE_CURRENT_SOURCE_DIR}/test_simulate.cpp
               ${CMAKE_CURRENT_SOURCE_DIR}/sc_main_stub.cpp)
target_link_libraries(test_simulate PRIVATE brickyard::sysc Catch2::Catch2WithMain
                      brickyard_warnings)
catch_discover_tests(test_simulate PROPERTIES ENVIRONMENT SC_COPYRIGHT_MESSAGE=DISABLE)
