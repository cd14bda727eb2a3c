#include "search/nn/train.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <sstream>

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <ATen/core/Generator.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/optim/adam.h>
#include <torch/optim/sgd.h>
#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>

#include "model/error.hpp"
#include "search/nn/clock.hpp"

namespace brickyard::search {

namespace {

std::string clock_text(double s) {
  if (!(s >= 0) || s > 1e7) return "--:--";
  const auto t = static_cast<long>(std::lround(s));
  char buf[32];
  if (t >= 3600)
    std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
  else
    std::snprintf(buf, sizeof buf, "%ld:%02ld", t / 60, t % 60);
  return buf;
}

std::string bar(double fraction, int width = 20) {
  const int full = std::clamp(static_cast<int>(fraction * width), 0, width);
  return "[" + std::string(static_cast<std::size_t>(full), '#') +
         std::string(static_cast<std::size_t>(width - full), '.') + "]";
}

// Running mean of loss and accuracy over one epoch.
struct Meter {
  double loss = 0, correct = 0;
  std::int64_t n = 0;
  void add(const torch::Tensor& logits, const torch::Tensor& labels, const torch::Tensor& loss_t) {
    const auto b = labels.size(0);
    loss += loss_t.item<double>() * static_cast<double>(b);
    correct += logits.argmax(1).eq(labels).sum().item<double>();
    n += b;
  }
  double mean_loss() const { return n ? loss / static_cast<double>(n) : 0.0; }
  double accuracy() const { return n ? correct / static_cast<double>(n) : 0.0; }
};

// EpochStats as a row of doubles (checkpoints), and back.
constexpr std::size_t kStatsFields = 10;
void append_stats(std::vector<double>& v, const EpochStats& e) {
  v.insert(v.end(), {double(e.epoch), e.tau, e.train_loss, e.train_accuracy, e.arch_loss,
                     e.arch_accuracy, e.val_loss, e.val_accuracy, e.seconds, e.images_per_s});
}
EpochStats stats_at(const std::vector<double>& v, std::size_t i) {
  const double* r = v.data() + i * kStatsFields;
  EpochStats e;
  e.epoch = int(r[0]);
  e.tau = r[1], e.train_loss = r[2], e.train_accuracy = r[3], e.arch_loss = r[4];
  e.arch_accuracy = r[5], e.val_loss = r[6], e.val_accuracy = r[7], e.seconds = r[8];
  e.images_per_s = r[9];
  return e;
}

void set_lr(torch::optim::Optimizer& opt, double lr) {
  for (auto& g : opt.param_groups()) static_cast<torch::optim::SGDOptions&>(g.options()).lr(lr);
}

void set_requires_grad(const std::vector<torch::Tensor>& ps, bool on) {
  for (auto t : ps) t.requires_grad_(on);
}

template <typename Forward>
EvalResult evaluate_with(torch::nn::Module& net, const Dataset& data, const torch::Tensor& indices,
                         std::int64_t batch_size, Forward forward) {
  torch::NoGradGuard no_grad;
  const bool was_training = net.is_training();
  net.eval();
  LoaderOptions lo;
  lo.batch_size = batch_size;
  lo.shuffle = false;
  Loader loader(data, indices, lo);
  Meter m;
  Batch b;
  while (loader.next(b)) {
    const auto logits = forward(b.images);
    m.add(logits, b.labels, torch::cross_entropy_loss(logits, b.labels));
  }
  net.train(was_training);
  return {m.mean_loss(), m.accuracy(), m.n};
}

void check_options(const SearchOptions& o) {
  using model::SpecError;
  if (o.epochs < 1) throw SpecError("epochs", "must be >= 1");
  if (o.batch_size < 1) throw SpecError("batch_size", "must be >= 1");
  if (!(o.w_lr > 0)) throw SpecError("w_lr", "must be > 0");
  if (!(o.arch_lr > 0)) throw SpecError("arch_lr", "must be > 0");
  if (!(o.tau_start > 0)) throw SpecError("tau_start", "must be > 0");
  if (!(o.tau_decay > 0 && o.tau_decay <= 1)) throw SpecError("tau_decay", "must be in (0, 1]");
  if (o.warmup_epochs < 0) throw SpecError("warmup_epochs", "must be >= 0");
  if (o.max_batches < 0) throw SpecError("max_batches", "must be >= 0");
  if (o.val_limit < 0) throw SpecError("val_limit", "must be >= 0");
  if (o.time_limit_s < 0) throw SpecError("time_limit_s", "must be >= 0");
  if (o.progress_every < 1) throw SpecError("progress_every", "must be >= 1");
  if (o.stop_after_iters < 0) throw SpecError("stop_after_iters", "must be >= 0");
  if (o.resume && o.checkpoint_path.empty()) throw SpecError("resume", "needs a checkpoint path");
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Per-epoch log: CSV with a header, or one JSON object per line.
class EpochLog {
public:
  explicit EpochLog(const std::string& path) : csv_(ends_with(path, ".csv")) {
    if (path.empty()) return;
    out_.open(path, std::ios::trunc);
    if (!out_) throw model::SpecError("log_path", "cannot write '" + path + "'");
    if (csv_)
      out_ << "epoch,tau,train_loss,train_accuracy,arch_loss,arch_accuracy,val_loss,"
              "val_accuracy,seconds,images_per_s\n";
  }
  void write(const EpochStats& e) {
    if (!out_.is_open()) return;
    char line[512];
    if (csv_)
      std::snprintf(line, sizeof line, "%d,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.3f,%.1f\n", e.epoch,
                    e.tau, e.train_loss, e.train_accuracy, e.arch_loss, e.arch_accuracy, e.val_loss,
                    e.val_accuracy, e.seconds, e.images_per_s);
    else
      std::snprintf(line, sizeof line,
                    "{\"epoch\": %d, \"tau\": %.6g, \"train_loss\": %.6g, \"train_accuracy\": "
                    "%.6g, \"arch_loss\": %.6g, \"arch_accuracy\": %.6g, \"val_loss\": %.6g, "
                    "\"val_accuracy\": %.6g, \"seconds\": %.3f, \"images_per_s\": %.1f}\n",
                    e.epoch, e.tau, e.train_loss, e.train_accuracy, e.arch_loss, e.arch_accuracy,
                    e.val_loss, e.val_accuracy, e.seconds, e.images_per_s);
    out_ << line << std::flush;
  }
  void write_choice(const nlohmann::json& choice) {
    if (out_.is_open() && !csv_) out_ << nlohmann::json{{"choice", choice}}.dump() << "\n";
  }

private:
  bool csv_;
  std::ofstream out_;
};

} // namespace

EvalResult evaluate(SupernetImpl& net, const Dataset& data, const torch::Tensor& indices,
                    double tau, std::int64_t batch_size) {
  return evaluate_with(net, data, indices, batch_size,
                       [&](const torch::Tensor& x) { return net.forward(x, tau, false); });
}

EvalResult evaluate(SubnetImpl& net, const Dataset& data, const torch::Tensor& indices,
                    std::int64_t batch_size) {
  return evaluate_with(net, data, indices, batch_size,
                       [&](const torch::Tensor& x) { return net.forward(x); });
}

void recalibrate_batch_norm(SubnetImpl& net, const Dataset& data, const torch::Tensor& indices,
                            std::int64_t batches, std::int64_t batch_size) {
  torch::NoGradGuard no_grad;
  std::vector<torch::nn::BatchNorm2d> bns;
  for (const auto& m : net.modules(/*include_self=*/false))
    if (auto bn = std::dynamic_pointer_cast<torch::nn::BatchNorm2dImpl>(m)) {
      bn->reset_running_stats();
      bn->options.momentum(c10::nullopt); // cumulative moving average over the batches
      bns.emplace_back(bn);
    }
  LoaderOptions lo;
  lo.batch_size = batch_size;
  Loader loader(data, indices, lo);
  net.train();
  Batch b;
  for (std::int64_t i = 0; i < batches && loader.next(b); ++i) net.forward(b.images);
  for (auto& bn : bns) bn->options.momentum(0.1);
  net.eval();
}

void write_values(torch::serialize::OutputArchive& a, const std::string& key,
                  const std::vector<double>& v) {
  a.write(key, torch::tensor(v, torch::kFloat64), /*is_buffer=*/true);
}

std::vector<double> read_values(torch::serialize::InputArchive& a, const std::string& key) {
  torch::Tensor t;
  a.read(key, t, /*is_buffer=*/true);
  t = t.contiguous().to(torch::kFloat64);
  return {t.data_ptr<double>(), t.data_ptr<double>() + t.numel()};
}

void write_text(torch::serialize::OutputArchive& a, const std::string& key, const std::string& s) {
  a.write(key, c10::IValue(s));
}

std::string read_text(torch::serialize::InputArchive& a, const std::string& key) {
  c10::IValue v;
  a.read(key, v);
  return v.toStringRef();
}

void save_atomically(torch::serialize::OutputArchive& a, const std::string& path) {
  const std::string tmp = path + ".tmp";
  a.save_to(tmp);
  std::filesystem::rename(tmp, path);
}

namespace {

// Where one search() stands: optimizers, loaders, the next weight iteration of `epoch`
// (start_it) and the architecture batches taken so far in it (start_a_done), the epoch's
// running meters, the results so far.
struct SearchState {
  SearchState(SupernetImpl& n, const Dataset& d, const Split& sp, const SearchOptions& opt,
              const ArchHook* h)
      : net(n), data(d), split(sp), o(opt), hook(h) {}
  SupernetImpl& net;
  const Dataset& data;
  const Split& split;
  const SearchOptions& o;
  const ArchHook* hook;
  Clock::time_point t0;
  std::vector<torch::Tensor> weights, arch;
  std::unique_ptr<torch::optim::SGD> w_opt;
  std::unique_ptr<torch::optim::Adam> a_opt;
  std::unique_ptr<Loader> w_loader, a_loader;
  std::int64_t w_iters = 0, a_iters = 0, total_iters = 0;
  torch::Tensor val;
  SearchResult result;
  double tau = 0;
  std::int64_t done_iters = 0;
  int epoch = 0;
  std::int64_t start_it = 0, start_a_done = 0;
  Meter wm, am;
  double elapsed_before = 0; // wall time of earlier sessions (resume)
  at::Generator generator;
  std::int64_t iters_before = 0; // of earlier sessions (ETA from this one's rate)
  double total_elapsed() const { return elapsed_before + since(t0); }
};

// Checks the options, seeds, builds the optimizers and loaders (the search's start).
void start_search(SearchState& s) {
  SupernetImpl& net = s.net;
  const Dataset& data = s.data;
  const Split& split = s.split;
  const SearchOptions& o = s.o;
  check_options(o);
  if (o.threads > 0) at::set_num_threads(o.threads);
  torch::manual_seed(o.seed);
  s.t0 = Clock::now();

  s.weights = net.weight_parameters();
  s.arch = net.arch_parameters();
  s.w_opt = std::make_unique<torch::optim::SGD>(s.weights, torch::optim::SGDOptions(o.w_lr)
                                                               .momentum(o.w_momentum)
                                                               .weight_decay(o.w_weight_decay)
                                                               .nesterov(true));
  s.a_opt = std::make_unique<torch::optim::Adam>(
      s.arch,
      torch::optim::AdamOptions(o.arch_lr).betas({0.5, 0.999}).weight_decay(o.arch_weight_decay));

  LoaderOptions lw;
  lw.batch_size = o.batch_size;
  lw.seed = o.seed;
  lw.drop_last = true; // no tiny last batch for BatchNorm
  LoaderOptions la = lw;
  la.seed = o.seed + 1;
  s.w_loader = std::make_unique<Loader>(data, split.train_w, lw);
  s.a_loader = std::make_unique<Loader>(data, split.train_a, la);
  auto limit = [&](std::int64_t n) { return o.max_batches > 0 ? std::min(n, o.max_batches) : n; };
  s.w_iters = limit(s.w_loader->batches_per_epoch());
  s.a_iters = s.a_loader->size() >= o.batch_size ? limit(s.a_loader->batches_per_epoch()) : 0;
  if (s.w_iters == 0) throw model::SpecError("batch_size", "larger than the weight split");
  s.total_iters = s.w_iters * o.epochs;
  s.val = split.val;
  if (o.val_limit > 0 && s.val.size(0) > o.val_limit) s.val = s.val.slice(0, 0, o.val_limit);
  s.tau = o.tau_start;
  s.generator = at::detail::getDefaultCPUGenerator();
}

void save_checkpoint(SearchState& s, int at_epoch, std::int64_t next_it, std::int64_t a_done) {
  const SearchOptions& o = s.o;
  const ArchHook* hook = s.hook;
  const Meter &wm = s.wm, &am = s.am;
  if (o.checkpoint_path.empty()) return;
  torch::serialize::OutputArchive a, n, wo, ao;
  s.net.save(n);
  a.write("net", n);
  s.w_opt->save(wo);
  a.write("w_opt", wo);
  s.a_opt->save(ao);
  a.write("a_opt", ao);
  {
    std::lock_guard<std::mutex> lock(s.generator.mutex());
    a.write("rng", s.generator.get_state(), /*is_buffer=*/true);
  }
  write_values(a, "position",
               {double(at_epoch), double(next_it), double(a_done), double(s.done_iters), s.tau,
                wm.loss, wm.correct, double(wm.n), am.loss, am.correct, double(am.n),
                s.elapsed_before + since(s.t0), s.result.time_limited ? 1.0 : 0.0});
  std::vector<double> stats;
  for (const auto& e : s.result.epochs) append_stats(stats, e);
  write_values(a, "epochs", stats);
  if (hook && hook->save) {
    torch::serialize::OutputArchive h;
    hook->save(h);
    a.write("hook", h);
  }
  save_atomically(a, o.checkpoint_path);
}

void load_checkpoint(SearchState& s) {
  const SearchOptions& o = s.o;
  const ArchHook* hook = s.hook;
  Meter &wm = s.wm, &am = s.am;
  torch::serialize::InputArchive a, n, wo, ao;
  try {
    a.load_from(o.checkpoint_path);
  } catch (const c10::Error&) {
    throw model::SpecError("resume", "cannot read checkpoint '" + o.checkpoint_path + "'");
  }
  a.read("net", n);
  s.net.load(n);
  a.read("w_opt", wo);
  s.w_opt->load(wo);
  a.read("a_opt", ao);
  s.a_opt->load(ao);
  torch::Tensor rng;
  a.read("rng", rng, /*is_buffer=*/true);
  {
    std::lock_guard<std::mutex> lock(s.generator.mutex());
    s.generator.set_state(rng);
  }
  const auto p = read_values(a, "position");
  if (p.size() != 13) throw model::SpecError("resume", "checkpoint of another version");
  s.epoch = int(p[0]);
  s.start_it = std::int64_t(p[1]);
  s.start_a_done = std::int64_t(p[2]);
  s.done_iters = std::int64_t(p[3]);
  s.tau = p[4];
  wm.loss = p[5], wm.correct = p[6], wm.n = std::int64_t(p[7]);
  am.loss = p[8], am.correct = p[9], am.n = std::int64_t(p[10]);
  s.elapsed_before = p[11];
  s.result.time_limited = p[12] != 0;
  const auto stats = read_values(a, "epochs");
  for (std::size_t i = 0; i < stats.size() / kStatsFields; ++i)
    s.result.epochs.push_back(stats_at(stats, i));
  if (hook && hook->load) {
    torch::serialize::InputArchive h;
    a.read("hook", h);
    hook->load(h);
  }
}

// Weight step (w of Eq. 4): Gumbel-sampled supernet on train_w. Cosine learning rate over
// the planned iterations or, if sooner, the time limit.
void weight_step(SearchState& s, const Batch& b) {
  SupernetImpl& net = s.net;
  const SearchOptions& o = s.o;
  const double tau = s.tau;
  double progress = static_cast<double>(s.done_iters) / static_cast<double>(s.total_iters);
  if (o.time_limit_s > 0) progress = std::max(progress, s.total_elapsed() / o.time_limit_s);
  set_lr(*s.w_opt, 0.5 * o.w_lr * (1 + std::cos(M_PI * std::min(progress, 1.0))));
  net.train();
  set_requires_grad(s.arch, false);
  auto logits = o.single_path_weights ? net.forward(b.images, net.sample_path(tau))
                                      : net.forward(b.images, tau, true);
  auto loss = torch::cross_entropy_loss(logits, b.labels);
  s.w_opt->zero_grad();
  loss.backward();
  s.w_opt->step();
  set_requires_grad(s.arch, true);
  s.wm.add(logits.detach(), b.labels, loss.detach());
  ++s.done_iters;
}

// Architecture steps (alpha, beta) on train_a, interleaved proportionally with weight
// iteration `it`; the hook adds its loss term (the co-search's hardware cost).
void arch_steps(SearchState& s, std::int64_t it, std::int64_t& a_done) {
  SupernetImpl& net = s.net;
  const ArchHook* hook = s.hook;
  const double tau = s.tau;
  const std::int64_t w_iters = s.w_iters, a_iters = s.a_iters;
  while (a_done < a_iters && a_done * w_iters < (it + 1) * a_iters) {
    Batch ab;
    if (!s.a_loader->next(ab)) break;
    set_requires_grad(s.weights, false);
    auto al = net.forward(ab.images, tau, true);
    auto aloss = torch::cross_entropy_loss(al, ab.labels);
    s.a_opt->zero_grad();
    if (hook && hook->loss) {
      (aloss + hook->loss(net, tau)).backward();
    } else {
      aloss.backward();
    }
    s.a_opt->step();
    if (hook && hook->after_backward) hook->after_backward();
    set_requires_grad(s.weights, true);
    s.am.add(al.detach(), ab.labels, aloss.detach());
    ++a_done;
  }
}

void progress_line(const SearchState& s, std::int64_t it, double elapsed) {
  const SearchOptions& o = s.o;
  const std::int64_t w_iters = s.w_iters, total_iters = s.total_iters;
  const double rate =
      since(s.t0) / static_cast<double>(std::max<std::int64_t>(1, s.done_iters - s.iters_before));
  double eta = rate * static_cast<double>(total_iters - s.done_iters);
  if (o.time_limit_s > 0) eta = std::min(eta, std::max(0.0, o.time_limit_s - elapsed));
  std::fprintf(stderr,
               "search: epoch %d/%d %s %lld/%lld loss %.4f acc %.2f%% tau %.3f | %s "
               "elapsed, epoch ETA %s, total ETA %s\n",
               s.epoch + 1, o.epochs, bar(static_cast<double>(it + 1) / w_iters).c_str(),
               static_cast<long long>(it + 1), static_cast<long long>(w_iters), s.wm.mean_loss(),
               100 * s.wm.accuracy(), s.tau, clock_text(elapsed).c_str(),
               clock_text(rate * static_cast<double>(w_iters - it - 1)).c_str(),
               clock_text(eta).c_str());
}

// The epoch's statistics (validation included), log record, hook call and checkpoint.
void finish_epoch(SearchState& s, EpochLog& log, Clock::time_point te) {
  const SearchOptions& o = s.o;
  const ArchHook* hook = s.hook;
  SearchResult& result = s.result;
  Meter &wm = s.wm, &am = s.am;
  const int epoch = s.epoch;
  EpochStats e;
  e.epoch = epoch;
  e.tau = s.tau;
  e.train_loss = wm.mean_loss();
  e.train_accuracy = wm.accuracy();
  e.arch_loss = am.mean_loss();
  e.arch_accuracy = am.accuracy();
  const double train_s = since(te);
  e.images_per_s = static_cast<double>(wm.n + am.n) / std::max(train_s, 1e-9);
  if (s.val.size(0) > 0) {
    const auto v = evaluate(s.net, s.data, s.val, s.tau);
    e.val_loss = v.loss;
    e.val_accuracy = v.accuracy;
  }
  e.seconds = since(te);
  if (o.progress)
    std::fprintf(stderr,
                 "search: epoch %d/%d done in %s: train loss %.4f acc %.2f%%, arch loss %.4f "
                 "acc %.2f%%, val loss %.4f acc %.2f%%, %.0f images/s%s\n",
                 epoch + 1, o.epochs, clock_text(e.seconds).c_str(), e.train_loss,
                 100 * e.train_accuracy, e.arch_loss, 100 * e.arch_accuracy, e.val_loss,
                 100 * e.val_accuracy, e.images_per_s,
                 result.time_limited ? " (time limit reached)" : "");
  log.write(e);
  result.epochs.push_back(e);
  if (hook && hook->end_of_epoch) hook->end_of_epoch(e);
  wm = Meter{}, am = Meter{};
  save_checkpoint(s, epoch + 1, 0, 0); // the position: the start of the next epoch
}

// One epoch from the current position; false if the search stopped inside it (checkpoint
// written).
bool run_epoch(SearchState& s, EpochLog& log) {
  const SearchOptions& o = s.o;
  SearchResult& result = s.result;
  const int epoch = s.epoch;
  const std::int64_t w_iters = s.w_iters;
  const auto te = Clock::now();
  s.w_loader->start_epoch(epoch);
  s.a_loader->start_epoch(epoch);
  const bool arch_on = epoch >= o.warmup_epochs && s.a_iters > 0;
  std::int64_t a_done = 0;
  Batch b;
  // Resuming inside an epoch: the loaders replay the epoch's order and augmentation.
  for (std::int64_t i = 0; i < s.start_it; ++i) s.w_loader->next(b);
  for (; a_done < s.start_a_done; ++a_done) s.a_loader->next(b);
  const std::int64_t first_it = s.start_it;
  s.start_it = s.start_a_done = 0;
  if (first_it == 0) s.wm = Meter{}, s.am = Meter{};
  for (std::int64_t it = first_it; it < w_iters && s.w_loader->next(b); ++it) {
    s.tau = o.tau_start * std::pow(o.tau_decay, epoch + static_cast<double>(it) / w_iters);
    weight_step(s, b);
    if (arch_on) arch_steps(s, it, a_done);
    const double elapsed = s.total_elapsed();
    if (o.time_limit_s > 0 && elapsed >= o.time_limit_s) result.time_limited = true;
    if ((o.stop && o.stop->load()) ||
        (o.stop_after_iters > 0 && s.done_iters >= o.stop_after_iters))
      result.interrupted = it + 1 < w_iters || epoch + 1 < o.epochs;
    if (o.progress && ((it + 1) % o.progress_every == 0 || it + 1 == w_iters ||
                       result.time_limited || result.interrupted))
      progress_line(s, it, elapsed);
    if (result.interrupted && it + 1 < w_iters) {
      save_checkpoint(s, epoch, it + 1, a_done);
      if (o.progress)
        std::fprintf(stderr, "search: stopped in epoch %d after iteration %lld; checkpoint %s\n",
                     epoch + 1, static_cast<long long>(it + 1), o.checkpoint_path.c_str());
      return false;
    }
    if (result.time_limited) break;
  }
  finish_epoch(s, log, te);
  return true;
}

} // namespace

SearchResult search(SupernetImpl& net, const Dataset& data, const Split& split,
                    const SearchOptions& o, const ArchHook* hook) {
  SearchState s(net, data, split, o, hook);
  start_search(s);
  if (o.resume) load_checkpoint(s);
  s.iters_before = s.done_iters;
  EpochLog log(o.log_path); // rewritten from the checkpoint's epochs on resume
  for (const auto& e : s.result.epochs) log.write(e);
  for (; s.epoch < o.epochs && !s.result.time_limited && !s.result.interrupted; ++s.epoch)
    if (!run_epoch(s, log)) break; // checkpoint written inside
  s.result.choice = argmax_choice(net);
  log.write_choice(to_json(net.space(), s.result.choice));
  s.result.final_tau = s.tau;
  s.result.seconds = s.elapsed_before + since(s.t0);
  return s.result;
}

} // namespace brickyard::search
