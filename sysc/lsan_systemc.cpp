// Compiled into every sanitized executable that links brickyard_sysc (an INTERFACE source
// of that library, only in BRICKYARD_SANITIZE builds).
//
// LeakSanitizer's exit-time check stops the world with a ptrace "tracer" thread; in a
// process that has run the SystemC kernel (its QuickThreads coroutines run on stacks the
// kernel allocates and switches by hand) that tracer crashes in 13 of 20 runs of one DRAM
// test ("Tracer caught signal 11 ... LeakSanitizer has encountered a fatal error"), so the
// sanitizer stage passed or failed by chance. LSan consults this hook before it stops the
// world: leak checking is off exactly for processes that started the SystemC kernel (left
// elaboration: sc_start created the coroutines), and stays on for every other process,
// including those that link SystemC but never start it (the CLI parsers, calibration's
// parent). libsystemc creates its simulation context at static initialisation, so the
// context alone says nothing. AddressSanitizer and UBSan stay on everywhere.
#include <systemc>

extern "C" int __lsan_is_turned_off() {
  return sc_core::sc_curr_simcontext != nullptr &&
         sc_core::sc_get_status() != sc_core::SC_ELABORATION;
}
