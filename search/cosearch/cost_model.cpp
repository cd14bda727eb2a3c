#include "search/cosearch/cost_model.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <numeric>
#include <random>

#include <torch/torch.h>

#include "calibration/record.hpp"
#include "jobs/pool.hpp"
#include "model/error.hpp"
#include "model/json_io.hpp"
#include "search/cosearch/hwgen.hpp"
#include "search/cosearch/steps.hpp"
#include "search/nn/clock.hpp"
#include "search/nn/derive.hpp"
#include "search/nn/space.hpp"
#include "search/nn/stats.hpp"
#include "search/nn/train.hpp"

namespace brickyard::search {

using nlohmann::json;

namespace {

struct Sample {
  std::vector<model::Layer> layers;
  std::array<int, kNumHeads> choice{};
  model::Accelerator accel;
  torch::Tensor x, y; // surrogate inputs and targets, one row per layer
  double latency_s = 0, energy_j = 0;
};

double r3(double v) {
  return std::round(v * 1000) / 1000;
}

// One-head-move disagreement checks of `hw`'s surrogate on the samples (seeded; one counted
// check per sample where a non-tie move is found in 4 tries).
json disagreement(HwCost& hw, const std::vector<const Sample*>& samples, std::uint64_t seed) {
  const std::int64_t c0 = hw.checks(), d0 = hw.disagreements();
  for (std::size_t i = 0; i < samples.size(); ++i) {
    HwGenOutput g;
    g.choice = samples[i]->choice;
    const std::int64_t want = hw.checks() + 1;
    for (int k = 0; k < 4 && hw.checks() < want; ++k)
      hw.check_disagreement(samples[i]->layers, g, seed + 7919 * i + std::uint64_t(k));
  }
  const std::int64_t checks = hw.checks() - c0, wrong = hw.disagreements() - d0;
  return {{"checks", checks}, {"rate", checks ? r3(double(wrong) / double(checks)) : 0.0}};
}

} // namespace

json train_cost_model(const CosearchConfig& cfg, const CostModelOptions& o,
                      const std::string& out_path) {
  if (o.samples < 10) throw model::SpecError("samples", "must be at least 10");
  if (!(o.holdout > 0 && o.holdout < 1)) throw model::SpecError("holdout", "must be in (0, 1)");
  auto say = [&o](const std::string& s) { progress_line(o.progress, s); };
  const auto t0 = Clock::now();
  torch::manual_seed(o.seed);
  const SearchSpace space = space_for_data(cfg.space, cfg.data.format);
  const model::Tech tech = model::load_tech(cfg.hw_space.base.tech);
  const model::Calibration cal = model::load_calibration(cfg.calibration);
  const auto shapes = blocks(space);
  std::mt19937_64 rng(o.seed);

  CosearchConfig c = cfg;
  c.cost_model.clear();
  c.hw.threads = o.threads;
  ArchChoice first;
  for (std::size_t b = 0; b < shapes.size(); ++b) {
    first.op.push_back(0);
    first.a_bits.push_back(8);
    first.w_bits.push_back(8);
  }
  const auto layers8 = describe(space, first);
  auto hw = normalized_cost(c, tech, cal, layers8, nullptr);

  // Samples: random subnets (ops and bits) on random accelerators, exact costs.
  std::vector<Sample> samples(std::size_t(o.samples));
  for (int i = 0; i < o.samples; ++i) {
    ArchChoice ch;
    for (const auto& sh : shapes) {
      ch.op.push_back(int(rng() % sh.ops.size()));
      ch.a_bits.push_back(space.a_bits[rng() % space.a_bits.size()]);
      ch.w_bits.push_back(space.w_bits[rng() % space.w_bits.size()]);
    }
    Sample& s = samples[std::size_t(i)];
    s.layers = describe(space, ch);
    s.choice = random_accelerator(c.hw_space, rng);
    s.accel = c.hw_space.accelerator(s.choice);
    const HwEval ev = hw->exact(s.layers, s.accel);
    s.x = hw->inputs(s.layers, s.accel);
    s.y = cost_targets(ev.layers);
    s.latency_s = ev.latency_s, s.energy_j = ev.energy_j;
    hw->clear_memo(); // random accelerators rarely repeat; keep memory flat
    if (o.progress && ((i + 1) % std::max(1, o.samples / 10) == 0 || i + 1 == o.samples)) {
      const double el = since(t0);
      say("cost model: sample " + std::to_string(i + 1) + "/" + std::to_string(o.samples) + ", " +
          jobs::clock_text(el) + " so far, ETA " +
          jobs::clock_text(el / double(i + 1) * double(o.samples - i - 1)));
    }
  }
  std::vector<std::size_t> order(samples.size());
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), rng);
  const std::size_t n_test = std::max<std::size_t>(1, std::size_t(o.holdout * double(o.samples)));
  std::vector<const Sample*> test, train;
  for (std::size_t i = 0; i < order.size(); ++i)
    (i < n_test ? test : train).push_back(&samples[order[i]]);

  // Simulated points: each calibration group's best simulated mapping (by the mapper's
  // objective), its training split into the fit, its held-out split reported.
  std::vector<torch::Tensor> xs, ys;
  for (const Sample* s : train) xs.push_back(s->x), ys.push_back(s->y);
  struct SimPoint {
    model::Layer layer;
    model::Accelerator accel;
    double cycles, energy_j;
  };
  std::vector<SimPoint> sim_test;
  int sim_train = 0;
  if (!o.calibration_csv.empty()) {
    const auto csv = calibration::read_csv(o.calibration_csv, "calibration_csv");
    const double sum = cfg.hw.lambda_energy + cfg.hw.lambda_latency;
    const double we = sum > 0 ? cfg.hw.lambda_energy / sum : 0.5;
    std::map<int, const calibration::Record*> best;
    auto objective = [we](const calibration::Record& r) {
      return we * std::log(std::max(r.energy_j, 1e-30)) +
             (1 - we) * std::log(std::max<double>(1, double(r.cycles)));
    };
    for (const auto& r : csv.rows) {
      if (r.cycles <= 0) continue;
      auto it = best.find(r.group);
      if (it == best.end() || objective(r) < objective(*it->second)) best[r.group] = &r;
    }
    for (const auto& [g, r] : best) {
      model::Cost cost;
      cost.cycles = r->cycles;
      cost.energy_j = r->energy_j;
      if (r->test) {
        sim_test.push_back({r->layer, r->accel, double(r->cycles), r->energy_j});
      } else {
        xs.push_back(hw->inputs({r->layer}, r->accel));
        ys.push_back(cost_targets({cost}));
        ++sim_train;
      }
    }
  }
  const auto X = torch::cat(xs, 0), Y = torch::cat(ys, 0);

  // Fit: Adam, batch 256, cosine-decayed learning rate, MSE on the standardized log targets.
  CostModel m(o.hidden);
  torch::optim::Adam opt(m->parameters(), torch::optim::AdamOptions(o.lr));
  const std::int64_t n = X.size(0), batch = std::min<std::int64_t>(256, n);
  double loss_v = 0;
  const auto tf = Clock::now();
  for (int s = 0; s < o.steps; ++s) {
    const double lr = 0.5 * o.lr * (1 + std::cos(M_PI * double(s) / double(o.steps)));
    for (auto& g : opt.param_groups()) static_cast<torch::optim::AdamOptions&>(g.options()).lr(lr);
    auto idx = torch::randint(n, {batch}, torch::kLong);
    auto loss = torch::mse_loss(m->forward_rows(X.index_select(0, idx)), Y.index_select(0, idx));
    opt.zero_grad();
    loss.backward();
    opt.step();
    loss_v = loss.item<double>();
    if (o.progress && ((s + 1) % std::max(1, o.steps / 5) == 0))
      say("cost model: fit step " + std::to_string(s + 1) + "/" + std::to_string(o.steps) +
          ", loss " + std::to_string(loss_v) + ", ETA " +
          jobs::clock_text(since(tf) / double(s + 1) * double(o.steps - s - 1)));
  }
  {
    torch::serialize::OutputArchive a, mm;
    m->save(mm);
    a.write("model", mm);
    a.write("meta", torch::tensor({double(kCostFeatureVersion), double(o.hidden)}, torch::kFloat64),
            /*is_buffer=*/true);
    save_atomically(a, out_path);
  }

  // Held-out report, through the file just written (what a co-search loads).
  hw->load_cost_model(out_path, "out");
  double l_err = 0, e_err = 0, nl_err = 0, ne_err = 0;
  std::int64_t rows = 0;
  std::vector<double> exact_cost, pred_cost;
  const double lE = cfg.hw.lambda_energy, lL = cfg.hw.lambda_latency;
  const double sumw = lE + lL > 0 ? lE + lL : 1;
  for (const Sample* s : test) {
    torch::NoGradGuard g;
    auto pred = torch::exp(cost_log(m->forward_rows(s->x)));
    auto truth = torch::exp(cost_log(s->y));
    auto rel = ((pred - truth).abs() / truth).sum(0);
    l_err += rel[0].item<double>(), e_err += rel[1].item<double>();
    rows += s->x.size(0);
    const auto [cyc, en] = hw->predict(s->layers, s->accel);
    const double lat = cyc / s->accel.clock_hz;
    nl_err += std::abs(lat - s->latency_s) / s->latency_s;
    ne_err += std::abs(en - s->energy_j) / s->energy_j;
    // The latency/energy part of the co-search's cost (area is exact and left out).
    exact_cost.push_back(lE / sumw * std::log(s->energy_j) + lL / sumw * std::log(s->latency_s));
    pred_cost.push_back(lE / sumw * std::log(en) + lL / sumw * std::log(lat));
  }
  const double nt = double(test.size());
  json sim = nullptr;
  if (!sim_test.empty()) {
    double sc = 0, se = 0;
    for (const auto& p : sim_test) {
      const auto [cyc, en] = hw->predict({p.layer}, p.accel);
      sc += std::abs(cyc - p.cycles) / p.cycles;
      se += std::abs(en - p.energy_j) / p.energy_j;
    }
    const double ns = double(sim_test.size());
    sim = {{"points", sim_test.size()},
           {"cycles_mape_pct", r3(100 * sc / ns)},
           {"energy_mape_pct", r3(100 * se / ns)}};
  }
  const json trained = disagreement(*hw, test, o.seed + 17);
  // The online surrogate as the co-search starts it (warm-up samples, no cost model).
  auto online = normalized_cost(c, tech, cal, layers8, nullptr);
  if (cfg.warm_up_samples > 0) online->warm_up(layers8, cfg.warm_up_samples, cfg.seed);
  const json before = disagreement(*online, test, o.seed + 17);

  json report = {
      {"description",
       "Cost model of the co-search's hardware term, trained offline (brickyard cost-model). "
       "Errors on held-out (subnet, accelerator) samples against the estimator + BatchTile, "
       "and on the calibration CSV's held-out simulated points against the simulator; "
       "disagreement: one-head moves where the cost path and the exact cost prefer "
       "different sides (near-ties within 1% not counted)."},
      {"feature_version", kCostFeatureVersion},
      {"space", cfg.space},
      {"samples", o.samples},
      {"held_out_samples", test.size()},
      {"training_rows", n},
      {"simulated_training_points", sim_train},
      {"hidden", o.hidden},
      {"steps", o.steps},
      {"seed", o.seed},
      {"final_fit_loss", r3(loss_v)},
      {"held_out",
       {{"layer_cycles_mape_pct", r3(100 * l_err / double(rows))},
        {"layer_energy_mape_pct", r3(100 * e_err / double(rows))},
        {"network_latency_mape_pct", r3(100 * nl_err / nt)},
        {"network_energy_mape_pct", r3(100 * ne_err / nt)},
        {"network_cost_spearman", r3(spearman(exact_cost, pred_cost))},
        {"surrogate_disagreement", trained},
        {"surrogate_disagreement_online_warm_up", before}}},
      {"simulated_held_out", sim},
      {"seconds", r3(since(t0))}};
  model::write_text_file(std::filesystem::path(out_path).replace_extension(".json").string(),
                         report.dump(2) + "\n");
  return report;
}

} // namespace brickyard::search
