#include "search/cosearch/cosearch.hpp"

#include <algorithm>
#include <filesystem>
#include <sstream>

#include <torch/torch.h>

#include "model/error.hpp"
#include "model/estimator.hpp"
#include "model/json_io.hpp"
#include "model/json_reader.hpp"
#include "search/cosearch/steps.hpp"
#include "search/nn/clock.hpp"
#include "search/nn/space.hpp"

namespace brickyard::search {

using json = nlohmann::json;
using model::JsonReader;
using model::SpecError;

namespace {

// ---- config ----------------------------------------------------------------------------

void read_data(JsonReader r, DataOptions& d) {
  const std::string f = r.get_string("format", "fashion-mnist");
  if (f == "fashion-mnist")
    d.format = DataFormat::FashionMnist;
  else if (f == "cifar10")
    d.format = DataFormat::Cifar10;
  else if (f == "cifar100")
    d.format = DataFormat::Cifar100;
  else
    throw SpecError(r.field("format"),
                    "unknown format '" + f + "' (fashion-mnist, cifar10, cifar100)");
  d.root = r.get_string("root", d.format == DataFormat::FashionMnist ? default_fmnist_dir() : "");
  if (d.root.empty()) throw SpecError(r.field("root"), "missing (directory of the data files)");
  d.train_limit = r.get_i64("train_limit", 0, 0, 10'000'000);
  d.test_limit = r.get_i64("test_limit", 0, 0, 10'000'000);
  d.val_fraction = r.get_double("val_fraction", d.val_fraction, 0.01, 0.5);
  d.arch_fraction = r.get_double("arch_fraction", d.arch_fraction, 0.01, 0.9);
  d.augment = r.get_bool("augment", d.augment);
  d.standardize = r.get_bool("standardize", d.standardize);
  r.finish();
}

void read_search(JsonReader r, SearchOptions& s) {
  s.epochs = r.get_int("epochs", s.epochs, 1, 10000);
  s.batch_size = r.get_i64("batch_size", s.batch_size, 1, 65536);
  s.w_lr = r.get_double("w_lr", s.w_lr, 1e-6, 10);
  s.arch_lr = r.get_double("arch_lr", s.arch_lr, 1e-6, 10);
  s.warmup_epochs = r.get_int("warmup_epochs", s.warmup_epochs, 0, 10000);
  s.tau_start = r.get_double("tau_start", s.tau_start, 1e-3, 100);
  s.tau_decay = r.get_double("tau_decay", s.tau_decay, 1e-3, 1);
  s.max_batches = r.get_i64("max_batches", s.max_batches, 0, 1'000'000);
  s.val_limit = r.get_i64("val_limit", s.val_limit, 0, 10'000'000);
  s.time_limit_s = r.get_double("time_limit_s", s.time_limit_s, 0, 1e7);
  s.threads = r.get_int("threads", s.threads, 1, 256);
  const std::string ws =
      r.get_string("weight_step", s.single_path_weights ? "single-path" : "mixture");
  if (ws != "single-path" && ws != "mixture")
    throw SpecError(r.field("weight_step"),
                    "must be \"single-path\" or \"mixture\" (got '" + ws + "')");
  s.single_path_weights = ws == "single-path";
  r.finish();
}

void read_hardware(JsonReader r, CosearchConfig& c) {
  c.lambda = r.get_double("lambda", c.lambda, 0, 1e6);
  c.hw.lambda_energy = r.get_double("energy", c.hw.lambda_energy, 0, 1e6);
  c.hw.lambda_latency = r.get_double("latency", c.hw.lambda_latency, 0, 1e6);
  c.hw.lambda_area = r.get_double("area", c.hw.lambda_area, 0, 1e6);
  if (r.has("preset")) {
    const std::string p = r.get_string("preset", "");
    if (p == "balanced") {
      c.hw.lambda_energy = c.hw.lambda_latency = c.hw.lambda_area = 0.33;
    } else if (p == "latency") {
      c.hw.lambda_latency = 0.8, c.hw.lambda_energy = 0.1, c.hw.lambda_area = 0.1;
    } else if (p == "area") {
      c.hw.lambda_area = 0.8, c.hw.lambda_energy = 0.1, c.hw.lambda_latency = 0.1;
    } else {
      throw SpecError(r.field("preset"), "unknown preset '" + p + "' (balanced, latency, area)");
    }
  }
  c.hw_lr = r.get_double("hw_lr", c.hw_lr, 1e-7, 10);
  c.hw_prior = r.get_double("prior", c.hw_prior, 0, 100);
  c.warm_up_samples = r.get_int("warm_up_samples", c.warm_up_samples, 0, 100000);
  c.hw.surrogate_steps = r.get_int("surrogate_steps", c.hw.surrogate_steps, 0, 1000);
  if (r.has("cost_model")) {
    c.cost_model = r.get_string("cost_model", "");
    if (c.cost_model == "none") c.cost_model.clear();
    if (c.cost_model == "default") c.cost_model = model::data_dir() + "/cost/default.pt";
    std::error_code ec;
    if (!c.cost_model.empty() && !std::filesystem::is_regular_file(c.cost_model, ec))
      throw SpecError(r.field("cost_model"), "no cost model file '" + c.cost_model +
                                                 "' (\"default\", \"none\" or a file)");
    if (!c.cost_model.empty()) check_cost_model_file(c.cost_model, r.field("cost_model"));
  }
  // "misguided_every": the old name of disagreement_every (deprecated, read for one release).
  c.disagreement_every = r.get_int("misguided_every", c.disagreement_every, 0, 1000000);
  c.disagreement_every = r.get_int("disagreement_every", c.disagreement_every, 0, 1000000);
  c.disagreement_checks = r.get_int("disagreement_checks", c.disagreement_checks, 1, 1000);
  c.baselines = r.get_bool("baselines", c.baselines);
  c.baseline_max = r.get_int("baseline_max", c.baseline_max, 1, 100000);
  c.baseline_val = r.get_i64("baseline_val", c.baseline_val, 1, 10'000'000);
  c.baseline_retrain = r.get_bool("baseline_retrain", c.baseline_retrain);
  c.baseline_bn_batches = r.get_int("baseline_bn_batches", c.baseline_bn_batches, 0, 10000);
  c.hw_space.pe_min = r.get_int("pe_min", c.hw_space.pe_min, 3, 64);
  c.hw_space.pe_max = r.get_int("pe_max", c.hw_space.pe_max, c.hw_space.pe_min, 64);
  c.hw_space.buf_min = 1024 * r.get_i64("buf_min_kb", c.hw_space.buf_min / 1024, 1, 1 << 20);
  c.hw_space.buf_max =
      1024 * r.get_i64("buf_max_kb", c.hw_space.buf_max / 1024, c.hw_space.buf_min / 1024, 1 << 20);
  c.hw_space.buf_step = 1024 * r.get_i64("buf_step_kb", c.hw_space.buf_step / 1024, 1, 1 << 20);
  if (r.has("base")) c.hw_space.base = model::load_accelerator(r.get_string("base", ""));
  c.gen.max_layers = r.get_int("max_layers", c.gen.max_layers, 1, 4096);
  c.gen.hidden = r.get_int("hidden", c.gen.hidden, 4, 4096);
  r.finish();
}

void read_retrain(JsonReader r, RetrainOptions& o) {
  o.enabled = r.get_bool("enabled", o.enabled);
  o.transfer_epochs = r.get_int("transfer_epochs", o.transfer_epochs, 0, 10000);
  o.epochs = r.get_int("epochs", o.epochs, 0, 10000);
  o.lr = r.get_double("lr", o.lr, 1e-6, 10);
  o.weight_decay = r.get_double("weight_decay", o.weight_decay, 0, 1);
  o.label_smoothing = r.get_double("label_smoothing", o.label_smoothing, 0, 0.99);
  o.grad_clip = r.get_double("grad_clip", o.grad_clip, 0, 1e9);
  o.batch_size = r.get_i64("batch_size", o.batch_size, 1, 65536);
  o.max_batches = r.get_i64("max_batches", o.max_batches, 0, 1'000'000);
  o.baseline = r.get_bool("baseline", o.baseline);
  o.test_after_transfer = r.get_bool("test_after_transfer", o.test_after_transfer);
  r.finish();
}

} // namespace

CosearchConfig cosearch_config_from_json(const json& j) {
  CosearchConfig c;
  c.hw_space.base = model::load_accelerator(model::data_dir() + "/accels/bitfusion_default.json");
  JsonReader r(j, "");
  c.name = r.get_string("name", c.name);
  c.seed = std::uint64_t(r.get_i64("seed", 1, 0, (std::int64_t(1) << 62)));
  if (r.has("data")) read_data(JsonReader(r.raw("data"), "data."), c.data);
  c.space = r.get_string("space", c.space);
  if (r.has("quant")) {
    JsonReader q(r.raw("quant"), "quant.");
    c.supernet.mode = quant_mode_from_string(q.get_string("mode", "csq"), "quant.mode");
    c.supernet.k_percent = q.get_double("k_percent", c.supernet.k_percent, 0.01, 100);
    q.finish();
  }
  if (r.has("search")) read_search(JsonReader(r.raw("search"), "search."), c.search);
  if (r.has("hardware")) read_hardware(JsonReader(r.raw("hardware"), "hardware."), c);
  if (r.has("retrain")) read_retrain(JsonReader(r.raw("retrain"), "retrain."), c.retrain);
  c.simulate = r.get_bool("simulate", c.simulate);
  c.calibration = r.get_string("calibration", "");
  r.finish();
  model::load_calibration(c.calibration); // a bad file is named now, not after the search
  c.data.seed = c.seed;
  c.search.seed = c.seed;
  space_for_data(c.space, c.data.format); // validates the space now, naming the field
  c.source = j;
  return c;
}

std::string describe_config(const CosearchConfig& c) {
  const SearchSpace s = space_for_data(c.space, c.data.format);
  const char* fmt = c.data.format == DataFormat::FashionMnist ? "fashion-mnist"
                    : c.data.format == DataFormat::Cifar10    ? "cifar10"
                                                              : "cifar100";
  std::ostringstream o;
  o << "config " << c.name << " (seed " << c.seed << ")\n"
    << "  data      " << fmt << " from " << c.data.root
    << (c.data.train_limit ? " (first " + std::to_string(c.data.train_limit) + " training images)"
                           : "")
    << "\n"
    << "  space     " << c.space << ": " << blocks(s).size() << " searchable blocks, "
    << s.ops.size() << " candidate ops, " << s.in_channels << "x" << s.input_size << "x"
    << s.input_size << " inputs, " << s.num_classes << " classes\n"
    << "  quant     " << to_string(c.supernet.mode) << ", K = " << c.supernet.k_percent << "%\n"
    << "  search    " << c.search.epochs << " epochs (" << c.search.warmup_epochs
    << " weight-only), batch " << c.search.batch_size << ", "
    << (c.search.max_batches ? std::to_string(c.search.max_batches) + " batches per epoch"
                             : std::string("all batches"))
    << ", w_lr " << c.search.w_lr << ", arch_lr " << c.search.arch_lr << ", tau "
    << c.search.tau_start << " x " << c.search.tau_decay << "^epoch, weight steps "
    << (c.search.single_path_weights ? "single-path" : "mixture") << ", " << c.search.threads
    << " threads\n"
    << "  hardware  lambda " << c.lambda << " (energy " << c.hw.lambda_energy << ", latency "
    << c.hw.lambda_latency << ", area " << c.hw.lambda_area << "), PE " << c.hw_space.pe_min << ".."
    << c.hw_space.pe_max << ", buffers " << c.hw_space.buf_min / 1024 << ".."
    << c.hw_space.buf_max / 1024 << " KB, base " << c.hw_space.base.pe_rows << "x"
    << c.hw_space.base.pe_cols << " " << model::to_string(c.hw_space.base.dataflow) << "\n"
    << "  retrain   " << (c.retrain.enabled ? "" : "off; ") << c.retrain.transfer_epochs
    << " epochs at 8 bits + " << c.retrain.epochs << " at the chosen bits, lr " << c.retrain.lr
    << ", weight decay " << c.retrain.weight_decay << ", label smoothing "
    << c.retrain.label_smoothing << ", gradient clip " << c.retrain.grad_clip
    << (c.retrain.baseline ? ", uniform 8-bit baseline trained as long" : "") << "\n"
    << "  simulate  " << (c.simulate ? "yes" : "no") << ", baselines "
    << (c.baselines ? "yes" : "no") << "\n";
  return o.str();
}

CosearchConfig load_cosearch_config(const std::string& path) {
  json j = model::read_json_file(path, "config");
  try {
    return cosearch_config_from_json(j);
  } catch (const SpecError& e) {
    throw SpecError("config", "in '" + path + "': " + e.what());
  }
}

// The pipeline: the steps of steps.hpp in order.
CosearchResult cosearch(const CosearchConfig& cfg, const CosearchRun& run) {
  const auto t0 = Clock::now();
  const RunDir dir = prepare_run_dir(cfg, run);
  Problem p = load_problem(cfg);
  Hardware hw = setup_hardware(cfg, run, p);
  const SearchOutcome s = run_search(cfg, run, dir, p, hw);
  if (run.search_done) run.search_done();
  if (s.result.interrupted) {
    CosearchResult r;
    r.interrupted = true;
    r.checkpoint = dir.checkpoint.string();
    return r;
  }
  Derived d = derive_design(cfg, run, dir, p, hw, s);
  Baselines b = run_baselines(cfg, run, p, hw, d, s.arch_steps);
  const Retrained r = retrain_step(cfg, run, dir, p, d, b);
  save_design(dir, d.design);
  const json sim = verify_in_simulation(cfg, run, dir, d.final_ev, d.design);
  const CosearchReport report = make_report(cfg, s, d, r, b, sim, since(t0));
  write_report(dir, report);
  return {d.design, report.report, false, {}};
}

} // namespace brickyard::search
