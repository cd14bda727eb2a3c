// brickyard-sim JOB.json RESULT.json: the simulation service's worker (sysc/worker.hpp).
#include <iostream>

#include "sysc/worker.hpp"

// libsystemc.so defines main() and expects sc_main; ours is the real entry point.
extern "C" int sc_main(int, char**) {
  return 0;
}

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: brickyard-sim JOB.json RESULT.json (a worker of the simulation service)\n";
    return 2;
  }
  return brickyard::sysc::run_worker(argv[1], argv[2]);
}
