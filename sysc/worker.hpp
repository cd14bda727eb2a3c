#pragma once
// The brickyard-sim worker (sysc/worker_main.cpp): reads a SimJob (sim_json.hpp), runs it
// with simulate() (its one SystemC elaboration), writes the SimStats JSON atomically.
#include <string>

namespace brickyard::sysc {

// Exit status: 0 results written, 2 the job is bad input (one line on stderr naming the
// field), 1 anything else (the reason on stderr).
int run_worker(const std::string& job_path, const std::string& result_path);

} // namespace brickyard::sysc
