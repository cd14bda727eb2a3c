// libsystemc.so defines main() and calls sc_main(); Catch2's main wins at link time, but
// the symbol must exist (TOOLCHAIN.md gotcha 2).
extern "C" int sc_main(int, char**) {
  return 0;
}
