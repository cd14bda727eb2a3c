// lsan_probe [kernel]: leaks one allocation on purpose; with "kernel" it first runs the
// SystemC kernel for one nanosecond. In sanitizer builds (tests/sysc/CMakeLists.txt) the
// first form must fail with a leak report (LeakSanitizer is on where SystemC never ran)
// and the second must pass (sysc/lsan_systemc.cpp turns it off after the kernel ran).
#include <cstring>

#include <systemc>

extern "C" int sc_main(int, char**) {
  return 0;
}

namespace {
int* volatile g_leak = nullptr;

// Allocates out of line and forgets the pointer: nothing reaches the block afterwards.
__attribute__((noinline)) void leak(int v) {
  g_leak = new int[64];
  g_leak[0] = v;
  g_leak = nullptr;
}
} // namespace

int main(int argc, char** argv) {
  leak(argc);
  if (argc > 1 && std::strcmp(argv[1], "kernel") == 0) sc_core::sc_start(1, sc_core::SC_NS);
  return 0;
}
