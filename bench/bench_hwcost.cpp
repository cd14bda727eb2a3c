// Hardware cost evaluation per search iteration (issue 8): the hardware generation network
// proposes an accelerator for a 22-layer subnet, BatchTile maps every layer on it (exact
// estimator), and the differentiable cost (surrogate + exact area) is built and
// back-propagated. Goal: under 0.05 s per iteration on 2 cores (JAQ reports 0.15 s).
// "cold": the per-(layer, accelerator) memo is cleared every iteration, so every layer
// is mapped from scratch (the goal's case); "warm": the memo as in a real search, where
// the generation network keeps proposing accelerators it has seen.
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include "model/json_io.hpp"
#include "search/cosearch/hwgen.hpp"

namespace {
double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}
} // namespace

int main(int argc, char** argv) {
  using namespace brickyard;
  using clock = std::chrono::steady_clock;
  const int iters = argc > 1 ? std::atoi(argv[1]) : 30;
  torch::manual_seed(1);
  at::set_num_threads(1); // the generation network is tiny; BatchTile gets the cores
  auto net = model::load_network(model::data_dir() + "/nets/fbnet_like_22.json");
  search::HwSpace space;
  space.base = model::load_accelerator(model::data_dir() + "/accels/bitfusion_default.json");
  search::HwCostOptions o;
  const auto tech = model::load_tech("45nm");
  o.threads = int(std::max(1u, std::thread::hardware_concurrency()));
  search::HwCost cost(space, tech, model::Calibration{}, o);
  search::HwGenNet gen(space, search::HwGenOptions{});
  torch::optim::Adam adam(gen->parameters(), torch::optim::AdamOptions(1e-3));
  auto ops = search::encode_layers(net.layers);

  std::vector<double> cold, warm, exact_part, t_gen, t_eval, t_back;
  for (int pass = 0; pass < 2; ++pass) {
    for (int i = 0; i < iters; ++i) {
      if (pass == 0) cost.clear_memo();
      auto t0 = clock::now();
      auto out = gen->forward(ops, 5.0);
      auto t1 = clock::now();
      auto ev = cost.evaluate(net.layers, ops, out);
      auto t2 = clock::now();
      adam.zero_grad();
      ev.loss.backward();
      adam.step();
      auto t3 = clock::now();
      double s = std::chrono::duration<double>(t3 - t0).count();
      if (pass == 1) {
        t_gen.push_back(std::chrono::duration<double>(t1 - t0).count());
        t_eval.push_back(std::chrono::duration<double>(t2 - t1).count());
        t_back.push_back(std::chrono::duration<double>(t3 - t2).count());
      }
      (pass == 0 ? cold : warm).push_back(s);
      if (pass == 0) exact_part.push_back(ev.seconds);
    }
  }
  const double c = median(cold);
  std::printf("hardware cost per search iteration, %zu-layer subnet, %d BatchTile threads, "
              "median of %d:\n",
              net.layers.size(), o.threads, iters);
  std::printf("  cold (every layer mapped): %.1f ms (BatchTile %.1f ms)  [goal < 50 ms: %s; "
              "JAQ 150 ms: %.1fx faster]\n",
              1e3 * c, 1e3 * median(exact_part), c < 0.05 ? "PASS" : "MISS", 0.15 / c);
  std::printf("  warm (memo of %zu layer x accelerator pairs): %.1f ms (generation %.1f ms, "
              "cost path %.1f ms, backward + step %.1f ms)\n",
              cost.memo_size(), 1e3 * median(warm), 1e3 * median(t_gen), 1e3 * median(t_eval),
              1e3 * median(t_back));

  // The configuration the default co-search runs: the shipped cost model, frozen (no
  // online surrogate steps), warm memo. The goal: <= 10 ms per architecture step.
  search::HwCostOptions of = o;
  of.surrogate_steps = 0;
  search::HwCost frozen(space, tech, model::Calibration{}, of);
  frozen.load_cost_model(model::data_dir() + "/cost/default.pt", "cost_model");
  std::vector<double> fz;
  for (int pass = 0; pass < 2; ++pass)
    for (int i = 0; i < iters; ++i) {
      auto t0 = clock::now();
      auto out = gen->forward(ops, 5.0);
      auto ev = frozen.evaluate(net.layers, ops, out);
      adam.zero_grad();
      ev.loss.backward();
      adam.step();
      if (pass == 1) fz.push_back(std::chrono::duration<double>(clock::now() - t0).count());
    }
  const double f = median(fz);
  std::printf("  warm, shipped cost model frozen (the default run): %.1f ms  [goal <= 10 ms: %s; "
              "%.2fx the online surrogate's warm step]\n",
              1e3 * f, f <= 0.010 ? "PASS" : "MISS", f / median(warm));
  return 0;
}
