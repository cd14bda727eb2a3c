// brickyard-search: the LibTorch subcommands (cosearch, retrain, train, quantize). `brickyard
// cosearch ...` execs this binary from its own directory, so that the other subcommands (and the
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
#include "search/cosearch/cosearch.hpp"
#include "search/cosearch/cost_model.hpp"
#include "search/cosearch/sweep.hpp"
#include "search/experiment/experiment.hpp"
#include "search/nn/model_file.hpp"
#include "search/quantize/quantize.hpp"

namespace po = boost::program_options;
using brickyard::model::SpecError;
namespace fs = std::filesystem;

namespace {

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

  run.stop = &g_stop;
  run.stop_after_iters = stop_after;
  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);
  // After the search (retraining, baselines, simulation) Ctrl-C ends the run at once: the
  // finished search's checkpoint is on disk and --resume starts from it.
  run.search_done = [] {
    if (g_stop.load()) return;
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
  };
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
  po::options_description desc(
      "usage: brickyard retrain --design DIR/design.json [options]\n\n"
      "Retrains a co-searched subnet (precision transfer: 8-bit first, then its bits)\n"
      "and writes the accuracy into the design. The schedule is the run's own\n"
      "(DIR/config.json, \"retrain\"); the options below override it.\n\n"
      "options");
  std::string design;
  brickyard::search::RetrainOptions o;
  int epochs = 0, transfer = 0;
  double lr = 0, wd = 0, ls = 0, clip = 0;
  desc.add_options()("help,h", "show this help")("design", po::value(&design), "design.json")(
      "epochs", po::value(&epochs), "epochs at the chosen bits")(
      "transfer-epochs", po::value(&transfer), "epochs at 8 bits first")(
      "lr", po::value(&lr), "SGD learning rate")("weight-decay", po::value(&wd),
                                                 "SGD weight decay")(
      "label-smoothing", po::value(&ls), "label smoothing of the cross-entropy, in [0, 1)")(
      "grad-clip", po::value(&clip), "gradient-norm clipping, 0 = off")("quiet,q",
                                                                        "no progress lines");
  auto vm = brickyard::cli::parse_args(desc, args);
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return brickyard::cli::kExitOk;
  }
  if (design.empty()) throw SpecError("design", "missing (--design FILE)");
  const fs::path config = fs::path(design).parent_path() / "config.json";
  if (fs::exists(config))
    o = brickyard::search::cosearch_config_from_json(
            brickyard::model::read_json_file(config.string(), "config"))
            .retrain;
  if (vm.count("epochs")) o.epochs = epochs;
  if (vm.count("transfer-epochs")) o.transfer_epochs = transfer;
  if (vm.count("lr")) o.lr = lr;
  if (vm.count("weight-decay")) o.weight_decay = wd;
  if (vm.count("label-smoothing")) o.label_smoothing = ls;
  if (vm.count("grad-clip")) o.grad_clip = clip;
  if (o.epochs < 0) throw SpecError("epochs", "must be >= 0");
  if (o.transfer_epochs < 0) throw SpecError("transfer-epochs", "must be >= 0");
  if (!(o.lr > 0)) throw SpecError("lr", "must be > 0");
  if (!(o.weight_decay >= 0)) throw SpecError("weight-decay", "must be >= 0");
  if (!(o.label_smoothing >= 0 && o.label_smoothing < 1))
    throw SpecError("label-smoothing", "must be in [0, 1)");
  if (!(o.grad_clip >= 0)) throw SpecError("grad-clip", "must be >= 0");
  auto d = brickyard::search::retrain_design(design, o, vm.count("quiet") == 0);
  brickyard::model::write_json_file(design, d);
  std::cout << "retrained test accuracy: "
            << brickyard::cli::fmt("%.2f%%", 100 * d["accuracy"]["retrained_test"].get<double>())
            << " (written to " << design << ")\n";
  return brickyard::cli::kExitOk;
}

int run_train(const std::vector<std::string>& args) {
  po::options_description desc(
      "usage: brickyard train --out DIR [--space small|FILE] [--op NAME | --choice FILE] "
      "[options]\n\nTrains one fixed network of a search space at full precision (float) on "
      "Fashion-MNIST\nand writes DIR/model.json + DIR/model.pt, the input of brickyard quantize "
      "--model.\n\noptions");
  brickyard::search::TrainModelOptions o;
  o.train.epochs = 3;
  o.train.lr = 0.05;
  std::string out;
  desc.add_options()("help,h", "show this help")("out", po::value(&out), "output directory")(
      "space", po::value(&o.space)->default_value(o.space), "search space: preset or JSON file")(
      "op", po::value(&o.op), "every block's op (default: the first op each block offers)")(
      "choice", po::value(&o.choice_path), "the ops of a design.json or model.json instead")(
      "epochs", po::value(&o.train.epochs)->default_value(o.train.epochs), "training epochs")(
      "lr", po::value(&o.train.lr)->default_value(o.train.lr), "SGD learning rate (cosine)")(
      "batch-size", po::value(&o.train.batch_size)->default_value(o.train.batch_size),
      "batch size")("max-batches", po::value(&o.train.max_batches)->default_value(0),
                    "batches per epoch (0 = all; quick runs)")(
      "data", po::value(&o.data.root)->default_value(o.data.root),
      "Fashion-MNIST directory (unpacked IDX files)")(
      "train-limit", po::value(&o.data.train_limit)->default_value(0),
      "first N training images only (0 = all)")(
      "test-limit", po::value(&o.data.test_limit)->default_value(0),
      "first N test images only (0 = all)")("augment", "random flips and crops")(
      "seed", po::value(&o.train.seed)->default_value(o.train.seed),
      "seed")("threads", po::value(&o.threads)->default_value(o.threads), "LibTorch threads")(
      "force", "replace an existing output directory")("quiet,q", "no progress lines");
  auto vm = brickyard::cli::parse_args(desc, args);
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return brickyard::cli::kExitOk;
  }
  if (out.empty()) throw SpecError("out", "missing (--out DIR)");
  if (o.train.epochs < 1) throw SpecError("epochs", "must be >= 1");
  if (!(o.train.lr > 0)) throw SpecError("lr", "must be > 0");
  if (o.train.batch_size < 1) throw SpecError("batch-size", "must be >= 1");
  if (o.train.max_batches < 0) throw SpecError("max-batches", "must be >= 0");
  if (o.data.train_limit < 0) throw SpecError("train-limit", "must be >= 0");
  if (o.data.test_limit < 0) throw SpecError("test-limit", "must be >= 0");
  o.out_dir = out;
  o.force = vm.count("force") > 0;
  o.data.augment = vm.count("augment") > 0;
  o.data.seed = o.train.seed;
  o.train.progress = vm.count("quiet") == 0;
  auto j = brickyard::search::train_model(o);
  std::cout << "model: " << out << "/model.json (" << j["layers"].get<int>() << " layers)\n"
            << "test accuracy (float): "
            << brickyard::cli::fmt("%.2f%%", 100 * j["test_accuracy"].get<double>()) << "\n";
  return brickyard::cli::kExitOk;
}

int run_quantize(const std::vector<std::string>& args) {
  po::options_description desc(
      "usage: brickyard quantize --model FILE --out DIR [--accel SPEC|FILE] (--latency-budget B | "
      "--energy-budget B | --budget latency=B,energy=B) [options]\n\nPost-training "
      "mixed-precision allocation (OHQ): every layer's latency and energy at every\n(a_bits, "
      "w_bits) on the accelerator (cycle-accurate simulator, cached), each layer's\nsensitivity "
      "as the KL of the output with only that layer quantized, and an ILP that\nminimizes the "
      "total sensitivity under the budget; then the allocated network, BN\nre-estimated and "
      "fine-tuned, against uniform 8-bit and 4-bit. Budgets are relative to\nuniform 8-bit "
      "(0.8, 0.8x, 80%) or absolute (2.5ms, 300us; 1.2mJ, 30uJ).\nWrites DIR/design.json, "
      "report.json, report.md, costs.csv, sensitivity.csv, model.pt.\n\noptions");
  brickyard::search::QuantizeOptions o;
  o.finetune.epochs = 1;
  o.finetune.lr = 0.01;
  std::string out, lat, en, budget, cost = "simulator", objective = "latency";
  desc.add_options()("help,h", "show this help")(
      "model", po::value(&o.model_path), "model.json (brickyard train) or a cosearch design.json")(
      "accel", po::value(&o.accel)->default_value("bitfusion"),
      "accelerator: inline spec, JSON file, or bitfusion (data/accels/bitfusion_default.json)")(
      "out", po::value(&out), "output directory")("latency-budget", po::value(&lat),
                                                  "latency budget (0.8 = 80% of uniform 8-bit)")(
      "energy-budget", po::value(&en), "energy budget")("budget", po::value(&budget),
                                                        "latency=B,energy=B (either or both)")(
      "cost", po::value(&cost)->default_value(cost), "cost source: simulator | estimator")(
      "objective", po::value(&objective)->default_value(objective),
      "mapper objective of each layer's mapping")(
      "jobs,j", po::value(&o.cost.jobs)->default_value(1),
      "simulator processes at a time")("cache", po::value(&o.cost.cache_dir),
                                       "cost cache directory (default ~/.cache/brickyard/costs)")(
      "no-cache", "neither read nor write the "
                  "cache")("calibration", po::value(&o.cost.calibration),
                           "estimator coefficients (default shipped)")(
      "calib-images", po::value(&o.calib_images)->default_value(o.calib_images),
      "images per calibration batch (two disjoint batches from the training split)")(
      "calib-seed", po::value(&o.calib_seed)->default_value(o.calib_seed),
      "seed of the calibration batches")(
      "finetune-epochs", po::value(&o.finetune.epochs)->default_value(o.finetune.epochs),
      "fine-tune epochs of every quantized network (0: BN re-estimation only)")(
      "lr", po::value(&o.finetune.lr)->default_value(o.finetune.lr), "fine-tune learning rate")(
      "batch-size", po::value(&o.finetune.batch_size)->default_value(o.finetune.batch_size),
      "fine-tune batch size")("max-batches", po::value(&o.finetune.max_batches)->default_value(0),
                              "fine-tune batches per epoch (0 = all; quick runs)")(
      "bn-batches", po::value(&o.bn_batches)->default_value(o.bn_batches),
      "BatchNorm re-estimation batches")("no-baselines",
                                         "skip the uniform 8-bit and 4-bit fine-tunes")(
      "ilp-time-limit", po::value(&o.ilp.time_limit_ms)->default_value(0),
      "ILP time limit in ms (0 = prove optimality)")(
      "threads", po::value(&o.threads)->default_value(o.threads), "LibTorch threads")(
      "force", "replace an existing output directory")("quiet,q", "no progress lines");
  auto vm = brickyard::cli::parse_args(desc, args);
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return brickyard::cli::kExitOk;
  }
  using brickyard::search::BudgetKind;
  if (o.model_path.empty()) throw SpecError("model", "missing (--model FILE)");
  if (out.empty()) throw SpecError("out", "missing (--out DIR)");
  if (!budget.empty()) o.budgets = brickyard::search::parse_budget_list(budget, "budget");
  if (!lat.empty()) {
    if (o.budgets.latency) throw SpecError("latency-budget", "also given in --budget");
    o.budgets.latency = brickyard::search::parse_budget(lat, BudgetKind::Latency, "latency-budget");
  }
  if (!en.empty()) {
    if (o.budgets.energy) throw SpecError("energy-budget", "also given in --budget");
    o.budgets.energy = brickyard::search::parse_budget(en, BudgetKind::Energy, "energy-budget");
  }
  o.cost.source = brickyard::search::cost_source_from_string(cost, "cost");
  o.cost.objective = brickyard::model::objective_from_string(objective, "objective");
  o.cost.use_cache = vm.count("no-cache") == 0;

  if (o.finetune.batch_size < 1) throw SpecError("batch-size", "must be >= 1");
  if (o.finetune.max_batches < 0) throw SpecError("max-batches", "must be >= 0");
  if (o.bn_batches < 1) throw SpecError("bn-batches", "must be >= 1");
  if (o.ilp.time_limit_ms < 0) throw SpecError("ilp-time-limit", "must be >= 0");
  o.baselines = vm.count("no-baselines") == 0;
  o.out_dir = out;
  o.force = vm.count("force") > 0;
  o.progress = vm.count("quiet") == 0;
  auto r = brickyard::search::quantize(o);
  std::cout << brickyard::search::quantize_summary(r) << "\noutput: " << out
            << "/ (design.json, report.md, report.json, costs.csv, sensitivity.csv, model.pt)\n";
  return brickyard::cli::kExitOk;
}

int run_experiment_cmd(const std::vector<std::string>& args) {
  po::options_description desc(
      "usage: brickyard experiment --config FILE --out DIR [--seeds 1,2,3] [--force]\n"
      "       brickyard experiment --resume DIR\n\n"
      "For every seed: the co-search, its CSQ variants and the baselines (decoupled,\n"
      "hardware-only, random search) with the same search schedule, exact-evaluation budget\n"
      "and retraining; choices on validation data, the test set read once per finished\n"
      "model. Writes DIR/experiment.{json,md,png}; each run in DIR/seed_<s>/<cell>/. A\n"
      "finished cell is reused and an interrupted one resumed; under mpirun the cells are\n"
      "spread over the ranks.\n\noptions");
  std::string config, out, resume, seeds;
  desc.add_options()("help,h", "show this help")(
      "config", po::value(&config), "experiment configuration (configs/experiment*.json)")(
      "out", po::value(&out), "output directory")(
      "seeds", po::value(&seeds), "seeds to run, overriding the config's (e.g. 1,2,3)")(
      "force", "start over in an existing directory")("resume", po::value(&resume),
                                                      "continue the experiment in this directory")(
      "report", "only rebuild the report from the finished runs (with --resume DIR; a partial "
                "experiment's means are over the seeds each method finished)")(
      "check", "validate the configuration, print the cells and exit")("quiet,q",
                                                                       "no progress lines");
  auto vm = brickyard::cli::parse_args(desc, args);
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return brickyard::cli::kExitOk;
  }
  brickyard::search::ExperimentRun run;
  brickyard::search::ExperimentConfig cfg;
  if (!resume.empty()) {
    if (!config.empty())
      throw SpecError("config", "not with --resume (the run's own experiment_config.json is used)");
    if (!seeds.empty()) throw SpecError("seeds", "not with --resume");
    const fs::path saved = fs::path(resume) / "experiment_config.json";
    if (!fs::exists(saved))
      throw SpecError(
          "resume", "'" + resume + "' has no experiment_config.json (not an experiment directory)");
    cfg = brickyard::search::load_experiment_config(saved.string());
    out = resume;
    run.resume = true;
  } else {
    if (config.empty()) throw SpecError("config", "missing (--config FILE)");
    cfg = brickyard::search::load_experiment_config(config);
    if (!seeds.empty()) {
      cfg.seeds = brickyard::search::parse_seeds(seeds);
      cfg.source["seeds"] = cfg.seeds;
    }
    if (vm.count("check")) {
      std::cout << brickyard::search::describe_config(cfg.cosearch) << "seeds:";
      for (auto s : cfg.seeds) std::cout << " " << s;
      std::cout << "\ncsq K %:";
      for (auto k : cfg.csq_k_percent) std::cout << " " << k;
      std::cout << "\nbaselines: decoupled " << (cfg.decoupled ? "yes" : "no") << ", hardware-only "
                << (cfg.hardware_only ? "yes" : "no") << ", random search "
                << (cfg.random_search ? "yes" : "no") << "\n";
      return brickyard::cli::kExitOk;
    }
    if (out.empty()) throw SpecError("out", "missing (--out DIR)");
  }
  if (vm.count("report")) {
    if (resume.empty()) throw SpecError("report", "needs --resume DIR");
    auto r = brickyard::search::experiment_report(cfg, out, true);
    std::cout << "report: " << out << "/experiment.md\n" << r.plot_note << "\n";
    return brickyard::cli::kExitOk;
  }
  run.out_dir = out;
  run.force = vm.count("force") > 0;
  run.progress = vm.count("quiet") == 0;
  run.stop = &g_stop;
  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);
  brickyard::calibration::MpiSession mpi;
  run.rank = mpi.rank();
  run.size = mpi.size();
  if (mpi.size() > 1) run.barrier = [&mpi] { mpi.barrier(); };
  auto r = brickyard::search::run_experiment(cfg, run);
  if (r.interrupted) {
    std::cout << "interrupted: continue with: brickyard experiment --resume " << out << "\n";
    return 130;
  }
  if (run.rank != 0) return brickyard::cli::kExitOk;
  std::cout << "experiment: " << out << "/experiment.md\n" << r.plot_note << "\n";
  for (const auto& [m, d] : r.report["cosearch_vs_baselines"].items())
    std::cout << "co-search vs " << m << ": "
              << (d["dominates_on_test_means"].get<bool>() ? "dominates" : "does not dominate")
              << " on the means\n";
  return brickyard::cli::kExitOk;
}

int run_cost_model(const std::vector<std::string>& args) {
  po::options_description desc(
      "usage: brickyard cost-model --out FILE.pt [--config FILE] [options]\n\n"
      "Trains the co-search's cost model offline: exact estimator + BatchTile costs of random\n"
      "subnets of the config's search space on random accelerators of its hardware space,\n"
      "plus the calibration CSV's simulated points. Writes FILE.pt and FILE.json (held-out\n"
      "errors, rank correlation, surrogate disagreement). A co-search uses it with\n"
      "\"hardware\": {\"cost_model\": \"FILE.pt\"} (\"default\": "
      "data/cost/default.pt).\n\noptions");
  std::string config, out, calibration, csv;
  brickyard::search::CostModelOptions o;
  desc.add_options()("help,h", "show this help")(
      "config", po::value(&config),
      "cosearch configuration (space, hardware space, weights; default: built-in)")(
      "out", po::value(&out), "cost model file to write (.pt; a .json report beside it)")(
      "calibration", po::value(&calibration),
      "estimator coefficients (default: the config's calibration)")(
      "calibration-csv", po::value(&csv),
      "simulated points (default: the calibration JSON's .csv sibling if it exists; '-' none)")(
      "samples", po::value(&o.samples)->default_value(o.samples),
      "random (subnet, accelerator) samples")("steps", po::value(&o.steps)->default_value(o.steps),
                                              "Adam steps (batch 256)")(
      "hidden", po::value(&o.hidden)->default_value(o.hidden), "hidden units per layer")(
      "seed", po::value(&o.seed)->default_value(o.seed), "seed of the samples and the fit")(
      "threads", po::value(&o.threads)->default_value(o.threads),
      "BatchTile threads (0: all cores)")("force", "replace an existing FILE")("quiet,q",
                                                                               "no progress lines");
  auto vm = brickyard::cli::parse_args(desc, args);
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return brickyard::cli::kExitOk;
  }
  if (out.empty()) throw SpecError("out", "missing (--out FILE.pt)");
  if (fs::exists(out) && !vm.count("force"))
    throw SpecError("out", "'" + out + "' exists (--force replaces it)");
  if (o.steps < 1) throw SpecError("steps", "must be at least 1");
  if (o.hidden < 4 || o.hidden > 4096) throw SpecError("hidden", "must be in 4..4096");
  if (o.threads < 0) throw SpecError("threads", "must be >= 0");
  // Without --config: the built-in co-search defaults (small space, Fashion-MNIST, the
  // default hardware space, balanced weights).
  auto cfg = config.empty() ? brickyard::search::cosearch_config_from_json(nlohmann::json::object())
                            : brickyard::search::load_cosearch_config(config);
  if (!calibration.empty()) {
    brickyard::model::load_calibration(calibration); // a bad file is named now
    cfg.calibration = calibration;
  }
  if (csv == "-") {
    csv.clear();
  } else if (csv.empty()) {
    const std::string cal = cfg.calibration.empty()
                                ? brickyard::model::data_dir() + "/calibration/default.json"
                                : cfg.calibration;
    const fs::path sib = fs::path(cal).replace_extension(".csv");
    if (fs::exists(sib)) csv = sib.string();
  }
  o.calibration_csv = csv;
  o.progress = vm.count("quiet") == 0;
  const auto r = brickyard::search::train_cost_model(cfg, o, out);
  const auto& h = r["held_out"];
  std::cout << "cost model: " << out << " (" << r["training_rows"] << " training rows, "
            << r["held_out_samples"] << " held-out samples)\n"
            << "held out: layer cycles MAPE " << h["layer_cycles_mape_pct"] << "%, energy "
            << h["layer_energy_mape_pct"] << "%; network latency " << h["network_latency_mape_pct"]
            << "%, energy " << h["network_energy_mape_pct"] << "%; Spearman "
            << h["network_cost_spearman"] << "\n"
            << "surrogate disagreement " << h["surrogate_disagreement"]["rate"] << " of "
            << h["surrogate_disagreement"]["checks"] << " checks (online warm-up surrogate: "
            << h["surrogate_disagreement_online_warm_up"]["rate"] << ")\n";
  if (!r["simulated_held_out"].is_null())
    std::cout << "against the simulator (" << r["simulated_held_out"]["points"]
              << " held-out points): cycles MAPE " << r["simulated_held_out"]["cycles_mape_pct"]
              << "%, energy " << r["simulated_held_out"]["energy_mape_pct"] << "%\n";
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
    if (cmd == "train") return run_train(args);
    if (cmd == "quantize") return run_quantize(args);
    if (cmd == "experiment") return run_experiment_cmd(args);
    if (cmd == "cost-model") return run_cost_model(args);
    std::cerr << "brickyard-search: field 'command': unknown command '" << cmd
              << "' (cosearch, retrain, train, quantize, experiment, cost-model)\n";
    return brickyard::cli::kExitBadInput;
  } catch (const SpecError& e) {
    std::cerr << "brickyard " << cmd << ": " << brickyard::cli::one_line(e.what()) << "\n";
    return brickyard::cli::kExitBadInput;
  } catch (const std::exception& e) {
    std::cerr << "brickyard " << cmd << ": internal error: " << e.what() << "\n";
    return brickyard::cli::kExitInternal;
  }
}
