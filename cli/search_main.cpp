// brickyard-search: the LibTorch subcommands (cosearch, retrain). `brickyard cosearch ...`
// execs this binary from its own directory, so that the other subcommands (and the
// calibration workers) do not load LibTorch (about 0.5 s per process).
#include <boost/program_options.hpp>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "calibration/mpi.hpp"
#include "cli/commands.hpp"
#include "cli/inputs.hpp"
#include "model/error.hpp"
#include "model/json_io.hpp"
#include "search/cosearch.hpp"
#include "search/sweep.hpp"

namespace po = boost::program_options;
using brickyard::model::SpecError;
namespace fs = std::filesystem;

namespace {

std::string sibling(const std::string& name) {
  return (fs::read_symlink("/proc/self/exe").parent_path() / name).string();
}

std::atomic<bool> g_stop{false};

// First Ctrl-C (or SIGTERM): finish the current iteration, write the checkpoint, exit 130.
// A second one ends the process at once (the default action).
void on_stop_signal(int sig) {
  g_stop.store(true);
  std::signal(sig, SIG_DFL);
}

int run_cosearch(const std::vector<std::string>& args) {
  po::options_description desc(
      "usage: brickyard cosearch --config FILE --out DIR [--force] [--sweep L1,L2,...]\n"
      "       brickyard cosearch --resume DIR\n\nJoint search of network "
      "operators, per-layer bits and the accelerator (JAQ), then\nretraining, cycle-accurate "
      "simulation and a report (DIR/design.json, report.md,\nreport.json, search_log.jsonl). "
      "The search writes DIR/checkpoint.pt after every\nepoch and on Ctrl-C; --resume DIR "
      "continues from it with DIR/config.json and,\nwith the same seed, reaches the design an "
      "uninterrupted run reaches.\n\noptions");
  std::string config, out, resume, sweep;
  std::int64_t stop_after = 0;
  desc.add_options()("help,h", "show this help")("config", po::value(&config),
                                                 "co-search configuration (configs/*.json)")(
      "out", po::value(&out), "output directory")("force", "write into an existing directory")(
      "resume", po::value(&resume), "continue the interrupted run (or sweep) in this directory")(
      "sweep", po::value(&sweep),
      "one co-search per lambda (e.g. 0.1,0.3,1) in DIR/lambda_*/, then DIR/pareto.{md,json,png}")(
      "stop-after-steps", po::value(&stop_after),
      "stop as Ctrl-C would after this many weight steps (tests, time-boxed runs)")(
      "check", "validate the configuration, print it resolved and exit")("quiet,q",
                                                                         "no progress lines");
  auto vm = brickyard::cli::parse_args(desc, args);
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return brickyard::cli::kExitOk;
  }
  if (vm.count("check")) {
    if (config.empty()) throw SpecError("config", "missing (--config FILE)");
    const auto c = brickyard::search::load_cosearch_config(config);
    std::cout << brickyard::search::describe_config(c);
    return brickyard::cli::kExitOk;
  }
  brickyard::search::CosearchRun run;
  brickyard::search::CosearchConfig cfg;
  if (!resume.empty()) {
    if (!config.empty())
      throw SpecError("config", "not with --resume (the run's own config.json is used)");
    if (!out.empty() && fs::path(out) != fs::path(resume))
      throw SpecError("out", "not with --resume (the run continues in its own directory)");
    const fs::path saved = fs::path(resume) / "config.json";
    if (!fs::exists(saved))
      throw SpecError("resume", "'" + resume + "' has no config.json (not a cosearch directory)");
    cfg = brickyard::search::load_cosearch_config(saved.string());
    out = resume;
    run.resume = true;
    if (!sweep.empty())
      throw SpecError("sweep", "not with --resume (the sweep's own sweep.json is used)");
    if (fs::exists(fs::path(resume) / "sweep.json")) {
      const auto sj =
          brickyard::model::read_json_file((fs::path(resume) / "sweep.json").string(), "sweep");
      for (const auto& l : sj.at("lambdas")) sweep += (sweep.empty() ? "" : ",") + l.dump();
    }
  } else {
    if (config.empty()) throw SpecError("config", "missing (--config FILE)");
    if (out.empty()) throw SpecError("out", "missing (--out DIR)");
    cfg = brickyard::search::load_cosearch_config(config);
  }
  if (stop_after < 0) throw SpecError("stop-after-steps", "must be >= 0");
  run.out_dir = out;
  run.force = vm.count("force") > 0;
  run.progress = vm.count("quiet") == 0;
  run.brickyard_exe = sibling("brickyard");
  run.stop = &g_stop;
  run.stop_after_iters = stop_after;
  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);
  if (!sweep.empty()) {
    brickyard::search::SweepOptions so;
    so.lambdas = brickyard::search::parse_lambdas(sweep);
    brickyard::calibration::MpiSession mpi;
    so.rank = mpi.rank();
    so.size = mpi.size();
    if (mpi.size() > 1) so.barrier = [&mpi] { mpi.barrier(); };
    auto sr = brickyard::search::cosearch_sweep(cfg, so, run);
    if (sr.interrupted) {
      std::cout << "interrupted: continue with: brickyard cosearch --resume " << out << "\n";
      return 130;
    }
    if (so.rank != 0) return brickyard::cli::kExitOk;
    std::cout << "sweep: " << out << "/pareto.md\n" << sr.plot_note << "\n";
    for (const auto& p : sr.pareto["points"]) {
      char line[256];
      std::snprintf(line, sizeof line,
                    "lambda %-8g accuracy %6.2f%%  EDAP %.3e  (%.3f of uniform 8-bit)%s\n",
                    p["lambda"].get<double>(),
                    p["accuracy"].is_number() ? 100 * p["accuracy"].get<double>() : 0.0,
                    p["edap"].get<double>(), p["edap_vs_baseline"].get<double>(),
                    p["pareto"].get<bool>() ? "  Pareto" : "");
      std::cout << line;
    }
    return brickyard::cli::kExitOk;
  }
  auto r = brickyard::search::cosearch(cfg, run);
  if (r.interrupted) {
    std::cout << "interrupted: checkpoint " << r.checkpoint
              << "\ncontinue with: brickyard cosearch --resume " << out << "\n";
    return 130;
  }
  std::cout << "design: " << out << "/design.json\nreport: " << out << "/report.md\n";
  std::cout << "EDAP vs uniform 8-bit on the base accelerator: "
            << brickyard::cli::fmt("%.3f", r.report["edap_vs_baseline"].get<double>()) << "\n";
  if (r.design["accuracy"].contains("retrained_test"))
    std::cout << "retrained test accuracy: "
              << brickyard::cli::fmt("%.2f%%",
                                     100 * r.design["accuracy"]["retrained_test"].get<double>())
              << "\n";
  return brickyard::cli::kExitOk;
}

int run_retrain(const std::vector<std::string>& args) {
  po::options_description desc("usage: brickyard retrain --design DIR/design.json [options]\n\n"
                               "Retrains a co-searched subnet (precision transfer: 8-bit first, "
                               "then its bits)\nand writes the accuracy into the design.\n\n"
                               "options");
  std::string design;
  brickyard::search::RetrainOptions o;
  desc.add_options()("help,h", "show this help")("design", po::value(&design), "design.json")(
      "epochs", po::value(&o.epochs)->default_value(o.epochs), "epochs at the chosen bits")(
      "transfer-epochs", po::value(&o.transfer_epochs)->default_value(o.transfer_epochs),
      "epochs at 8 bits first")("lr", po::value(&o.lr)->default_value(o.lr),
                                "SGD learning rate")("quiet,q", "no progress lines");
  auto vm = brickyard::cli::parse_args(desc, args);
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return brickyard::cli::kExitOk;
  }
  if (design.empty()) throw SpecError("design", "missing (--design FILE)");
  if (o.epochs < 0) throw SpecError("epochs", "must be >= 0");
  if (o.transfer_epochs < 0) throw SpecError("transfer-epochs", "must be >= 0");
  if (!(o.lr > 0)) throw SpecError("lr", "must be > 0");
  auto d = brickyard::search::retrain_design(design, o, vm.count("quiet") == 0);
  brickyard::model::write_json_file(design, d);
  std::cout << "retrained test accuracy: "
            << brickyard::cli::fmt("%.2f%%", 100 * d["accuracy"]["retrained_test"].get<double>())
            << " (written to " << design << ")\n";
  return brickyard::cli::kExitOk;
}

} // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  const std::string cmd = args.empty() ? "" : args[0];
  if (!args.empty()) args.erase(args.begin());
  try {
    if (cmd == "cosearch") return run_cosearch(args);
    if (cmd == "retrain") return run_retrain(args);
    std::cerr << "brickyard-search: field 'command': unknown command '" << cmd
              << "' (cosearch, retrain)\n";
    return brickyard::cli::kExitBadInput;
  } catch (const SpecError& e) {
    std::cerr << "brickyard " << cmd << ": " << brickyard::cli::one_line(e.what()) << "\n";
    return brickyard::cli::kExitBadInput;
  } catch (const std::exception& e) {
    std::cerr << "brickyard " << cmd << ": internal error: " << e.what() << "\n";
    return brickyard::cli::kExitInternal;
  }
}
