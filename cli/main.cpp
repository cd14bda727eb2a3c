// brickyard: one subcommand per use; parses, calls a library, prints.
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "model/error.hpp"

namespace {

constexpr const char* kUsage =
    R"(brickyard - co-design of a CNN, its low-bit precisions and a BitFusion-style accelerator

usage: brickyard <command> [options]      (brickyard <command> --help for its options)
       brickyard --version

commands:
  map         best mapping (tiles + loop order) of each layer, by the BatchTile mapper
  estimate    analytic latency, energy and area of each layer at its best mapping
  simulate    cycle-accurate SystemC/TLM simulation, bit-exact outputs
  calibrate   fit the estimator to the simulator and report its error
  cosearch    joint network/precision/accelerator search (JAQ), retrain, simulate, report
  experiment  the co-search against decoupled, hardware-only and random search over seeds
  cost-model  train the co-search's hardware cost model offline (estimator + simulated points)
  retrain     retrain a co-searched design (precision transfer)
  export-rtl  Verilog parameter files for a design, verified in RTL
  train       train a fixed network of a search space at full precision (quantize's input)
  quantize    post-training per-layer precision allocation by ILP on simulated costs (OHQ)

exit status: 0 success, 2 bad input (one line on stderr naming the field), 1 internal error
)";

} // namespace

// libsystemc.so defines main() and expects sc_main; ours is the real entry point.
extern "C" int sc_main(int, char**) {
  return 0;
}

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::cout << kUsage;
    return args.empty() ? brickyard::cli::kExitBadInput : brickyard::cli::kExitOk;
  }
  if (args[0] == "--version" || args[0] == "version") {
    std::cout << "brickyard " BRICKYARD_VERSION "\n";
    return brickyard::cli::kExitOk;
  }
  std::string cmd = args[0];
  args.erase(args.begin());
  try {
    if (cmd == "map") return brickyard::cli::run_map(args, false);
    if (cmd == "estimate") return brickyard::cli::run_map(args, true);
    if (cmd == "simulate") return brickyard::cli::run_simulate(args);
    if (cmd == "export-rtl") return brickyard::cli::run_export_rtl(args);
    if (cmd == "calibrate") return brickyard::cli::run_calibrate(args);
    if (cmd == "cosearch" || cmd == "retrain" || cmd == "train" || cmd == "quantize" ||
        cmd == "experiment" || cmd == "cost-model") {
      // LibTorch lives in the sibling brickyard-search binary (search_main.cpp).
      const auto exe =
          std::filesystem::read_symlink("/proc/self/exe").parent_path() / "brickyard-search";
      std::vector<std::string> a = {exe.string(), cmd};
      a.insert(a.end(), args.begin(), args.end());
      // LibTorch's OpenMP threads spin while waiting; on shared cores that makes 2 threads
      // several times slower than 1 (measured: search/nn/README.md). Passive waiting costs
      // nothing on idle cores. libgomp reads this when it loads, hence here.
      setenv("OMP_WAIT_POLICY", "PASSIVE", 0);
      std::vector<char*> argv2;
      for (auto& s : a) argv2.push_back(s.data());
      argv2.push_back(nullptr);
      execv(argv2[0], argv2.data());
      std::cerr << "brickyard " << cmd << ": not available in this build (no " << exe.string()
                << ": built without LibTorch)\n";
      return brickyard::cli::kExitInternal;
    }
    std::string shown;
    for (char c : cmd) shown += (static_cast<unsigned char>(c) < 0x20) ? '?' : c;
    std::cerr << "brickyard: field 'command': unknown command '" << shown
              << "' (brickyard --help lists them)\n";
    return brickyard::cli::kExitBadInput;
  } catch (const brickyard::model::SpecError& e) {
    std::cerr << "brickyard " << cmd << ": " << e.what() << "\n";
    return brickyard::cli::kExitBadInput;
  } catch (const std::exception& e) {
    std::cerr << "brickyard " << cmd << ": internal error: " << e.what() << "\n";
    return brickyard::cli::kExitInternal;
  }
}
