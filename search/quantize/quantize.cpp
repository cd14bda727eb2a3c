#include "search/quantize/quantize.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <random>
#include <sstream>

#include <torch/serialize.h>

#include "model/error.hpp"
#include "model/json_io.hpp"
#include "search/nn/clock.hpp"
#include "search/nn/model_file.hpp"
#include "search/nn/output_dir.hpp"
#include "search/quantize/sensitivity.hpp"
#include "search/nn/supernet.hpp"
#include "search/nn/train.hpp"

namespace brickyard::search {

namespace fs = std::filesystem;
using json = nlohmann::json;
using model::SpecError;

namespace {

std::string fmt(const char* f, double v) {
  char b[64];
  std::snprintf(b, sizeof b, f, v);
  return b;
}

// Two disjoint calibration batches drawn from the training rows (seeded).
std::pair<torch::Tensor, torch::Tensor> calibration_rows(const torch::Tensor& rows, std::int64_t n,
                                                         std::uint64_t seed) {
  if (2 * n > rows.size(0))
    throw SpecError("calib-images", "two batches of " + std::to_string(n) + " need " +
                                        std::to_string(2 * n) + " training images, the data has " +
                                        std::to_string(rows.size(0)));
  std::vector<std::int64_t> idx(static_cast<std::size_t>(rows.size(0)));
  for (std::size_t i = 0; i < idx.size(); ++i) idx[i] = std::int64_t(i);
  std::mt19937_64 rng(seed);
  std::shuffle(idx.begin(), idx.end(), rng);
  auto pick = [&](std::int64_t from) {
    std::vector<std::int64_t> v(idx.begin() + from, idx.begin() + from + n);
    return rows.index_select(0, torch::tensor(v, torch::kInt64));
  };
  return {pick(0), pick(n)};
}

std::vector<ConvBits> uniform_bits(std::size_t layers, int bits) {
  return std::vector<ConvBits>(layers, ConvBits{bits, bits});
}

// A fresh copy of the trained network (same weights and BN statistics) at `bits`.
Subnet copy_at(const TrainedModel& m, const std::vector<ConvBits>& bits) {
  Supernet sup(m.space, SupernetOptions{QuantMode::None});
  Subnet s(*sup, m.choice);
  copy_state(*m.net, *s);
  s->set_layer_bits(bits);
  return s;
}

struct Variant {
  std::string name;
  std::vector<int> choice; // pair index per layer (empty: float)
  double test_accuracy = 0, test_accuracy_before_finetune = 0;
  double latency_s = 0, energy_j = 0;
  double seconds = 0;
  Subnet net{nullptr};
};

std::string csv_escape(const std::string& s) {
  if (s.find_first_of(",\"") == std::string::npos) return s;
  std::string o = "\"";
  for (char c : s) o += c == '"' ? std::string("\"\"") : std::string(1, c);
  return o + "\"";
}

} // namespace

model::Accelerator quantize_accelerator(const std::string& spec) {
  if (spec.empty() || spec == "bitfusion" || spec == "bitfusion_default")
    return model::load_accelerator(model::data_dir() + "/accels/bitfusion_default.json");
  return model::load_accelerator(spec);
}

json quantize(const QuantizeOptions& o) {
  const auto t0 = Clock::now();
  auto say = [&](const std::string& s) {
    if (o.progress) std::fprintf(stderr, "quantize: %s\n", s.c_str());
  };
  // Everything the user typed is checked before any work.
  if (!o.budgets.latency && !o.budgets.energy)
    throw SpecError("budget", "missing (--latency-budget, --energy-budget or --budget)");
  if (o.calib_images < 2) throw SpecError("calib-images", "must be >= 2");
  if (o.threads < 1) throw SpecError("threads", "must be >= 1");
  if (o.finetune.epochs < 0) throw SpecError("finetune-epochs", "must be >= 0");
  if (!(o.finetune.lr > 0)) throw SpecError("lr", "must be > 0");
  if (o.cost.jobs < 1) throw SpecError("jobs", "must be >= 1");
  const model::Accelerator accel = quantize_accelerator(o.accel);
  TrainedModel m = load_trained_model(o.model_path);
  OutputDir out(o.out_dir, o.force);
  at::set_num_threads(o.threads);

  // ---- load ------------------------------------------------------------------------------
  auto tl = Clock::now();
  const Dataset data = load(m.data);
  const Split split = data.split(m.data);
  const torch::Tensor train_rows = torch::cat({split.train_w, split.train_a});
  const auto [calib_a, calib_b] = calibration_rows(train_rows, o.calib_images, o.calib_seed);
  const std::size_t L = m.net->layers().size();
  m.net->set_layer_bits(uniform_bits(L, 0));
  if (m.recalibrate_bn) recalibrate_batch_norm(*m.net, data, split.train_w, o.bn_batches);
  m.net->eval();
  const std::vector<model::Layer> layers = m.net->layers();
  const double load_s = since(tl);
  say("model: " + std::to_string(L) + " layers (" + m.space.name + "), weights " + m.weights +
      "; accelerator " + std::to_string(accel.pe_rows) + "x" + std::to_string(accel.pe_cols) + " " +
      model::to_string(accel.dataflow));

  // ---- 1. cost table ---------------------------------------------------------------------
  const auto pairs = bit_pairs();
  CostTableOptions co = o.cost;
  if (o.progress && !co.progress)
    co.progress = [](const std::string& s) { std::fprintf(stderr, "quantize: %s\n", s.c_str()); };
  say(std::string("cost table: ") + std::to_string(L) + " layers x " +
      std::to_string(pairs.size()) + " bit pairs from the " + to_string(co.source));
  const CostTable table = build_cost_table(layers, accel, pairs, co);
  const int j8 = table.pair_index({8, 8}), j4 = table.pair_index({4, 4});
  const std::vector<int> all8(L, j8), all4(L, j4);
  const double lat8 = table.total_latency(all8), en8 = table.total_energy(all8);
  say("cost table: " + fmt("%.2f", table.seconds) + " s (" + std::to_string(table.simulated) +
      " simulated, " + std::to_string(table.cache_hits) + " cached); uniform 8-bit " +
      fmt("%.4f", lat8 * 1e3) + " ms, " + fmt("%.4f", en8 * 1e6) + " uJ");

  // Budgets in seconds/joules, and the quick check of each alone (before any torch work).
  std::optional<double> lat_budget, en_budget;
  if (o.budgets.latency) lat_budget = o.budgets.latency->absolute(lat8);
  if (o.budgets.energy) en_budget = o.budgets.energy->absolute(en8);
  auto floor_of = [&](bool latency) {
    double s = 0;
    for (const auto& row : table.cells) {
      double best = 1e300;
      for (const auto& c : row) best = std::min(best, latency ? c.latency_s : c.energy_j);
      s += best;
    }
    return s;
  };
  auto infeasible = [&](bool latency, double min_abs) {
    const double ref = latency ? lat8 : en8;
    const std::string what =
        latency ? fmt("%.4f ms", min_abs * 1e3) : fmt("%.4f uJ", min_abs * 1e6);
    throw SpecError(latency ? "latency-budget" : "energy-budget",
                    "infeasible: no allocation meets " +
                        budget_text(latency ? *o.budgets.latency : *o.budgets.energy,
                                    latency ? BudgetKind::Latency : BudgetKind::Energy) +
                        "; the smallest feasible budget is " + fmt("%.4f", min_abs / ref) +
                        "x of uniform 8-bit (" + what + ")" +
                        (lat_budget && en_budget ? " with the other budget as given" : ""));
  };
  if (lat_budget && *lat_budget < floor_of(true)) infeasible(true, floor_of(true));
  if (en_budget && *en_budget < floor_of(false)) infeasible(false, floor_of(false));

  // ---- 2. sensitivity (OHQ MQE) ------------------------------------------------------------
  const auto ts = Clock::now();
  SensitivityOptions so;
  if (o.progress)
    so.progress = [](const std::string& s) { std::fprintf(stderr, "quantize: %s\n", s.c_str()); };
  so.tag = "sensitivity (batch A)";
  const auto imgs_a = data.images.index_select(0, calib_a);
  const auto imgs_b = data.images.index_select(0, calib_b);
  const auto sens = kl_sensitivity(*m.net, imgs_a, pairs, so);
  so.tag = "sensitivity (batch B)";
  const auto sens_b = kl_sensitivity(*m.net, imgs_b, pairs, so);
  std::vector<double> fa, fb;
  for (std::size_t l = 0; l < L; ++l)
    for (std::size_t j = 0; j < pairs.size(); ++j) {
      fa.push_back(sens[l][j]);
      fb.push_back(sens_b[l][j]);
    }
  const double rho = spearman(fa, fb);
  const double sens_s = since(ts);
  say("sensitivity: " + fmt("%.2f", sens_s) + " s; Spearman rank correlation of the two " +
      std::to_string(o.calib_images) + "-image batches: " + fmt("%.4f", rho));

  // ---- 3. ILP ------------------------------------------------------------------------------
  // Tables normalized (latency and energy by uniform 8-bit, sensitivity by its largest
  // value) so that GLPK's tolerances see numbers near 1; the argmin is unchanged.
  AllocationProblem prob;
  const double smax = std::max(1e-300, *std::max_element(fa.begin(), fa.end()));
  for (std::size_t l = 0; l < L; ++l) {
    prob.sensitivity.emplace_back();
    prob.latency.emplace_back();
    prob.energy.emplace_back();
    for (std::size_t j = 0; j < pairs.size(); ++j) {
      prob.sensitivity.back().push_back(sens[l][j] / smax);
      prob.latency.back().push_back(table.cells[l][j].latency_s / lat8);
      prob.energy.back().push_back(table.cells[l][j].energy_j / en8);
    }
  }
  if (lat_budget) prob.latency_budget = *lat_budget / lat8;
  if (en_budget) prob.energy_budget = *en_budget / en8;
  const AllocationResult alloc = solve_allocation(prob, o.ilp);
  if (!alloc.feasible) {
    if (alloc.status != "infeasible") throw std::runtime_error("allocation ILP: " + alloc.status);
    if (lat_budget && alloc.min_latency_budget) infeasible(true, *alloc.min_latency_budget * lat8);
    if (en_budget && alloc.min_energy_budget) infeasible(false, *alloc.min_energy_budget * en8);
    throw SpecError("budget", "infeasible: the latency and energy budgets together admit no "
                              "allocation");
  }
  const double alloc_lat = table.total_latency(alloc.choice);
  const double alloc_en = table.total_energy(alloc.choice);
  say("ILP (GLPK): " + alloc.status + ", gap " + fmt("%.2g", alloc.gap) + ", " +
      fmt("%.3f", alloc.seconds) + " s; latency " + fmt("%.3f", alloc_lat / lat8) + "x, energy " +
      fmt("%.3f", alloc_en / en8) + "x of uniform 8-bit");

  // ---- 4. apply ----------------------------------------------------------------------------
  const auto ta = Clock::now();
  Variant vf;
  vf.name = "float";
  {
    const auto t = Clock::now();
    vf.test_accuracy = evaluate(*m.net, data, split.test).accuracy;
    vf.test_accuracy_before_finetune = vf.test_accuracy;
    vf.seconds = since(t);
  }
  say("float: test accuracy " + fmt("%.2f%%", 100 * vf.test_accuracy));
  std::vector<Variant> variants;
  {
    Variant v;
    v.name = "allocated";
    v.choice = alloc.choice;
    variants.push_back(v);
  }
  if (o.baselines) {
    Variant v8, v4;
    v8.name = "uniform 8-bit";
    v8.choice = all8;
    v4.name = "uniform 4-bit";
    v4.choice = all4;
    variants.push_back(v8);
    variants.push_back(v4);
  }
  for (auto& v : variants) {
    const auto t = Clock::now();
    std::vector<ConvBits> bits;
    for (int j : v.choice)
      bits.push_back({pairs[std::size_t(j)].a_bits, pairs[std::size_t(j)].w_bits});
    v.net = copy_at(m, bits);
    recalibrate_batch_norm(*v.net, data, train_rows, o.bn_batches);
    v.test_accuracy_before_finetune = evaluate(*v.net, data, split.test).accuracy;
    FinetuneOptions fo = o.finetune;
    fo.progress = o.progress;
    fo.tag = "quantize: fine-tune " + v.name;
    finetune(*v.net, data, train_rows, fo);
    v.test_accuracy = o.finetune.epochs > 0 ? evaluate(*v.net, data, split.test).accuracy
                                            : v.test_accuracy_before_finetune;
    v.latency_s = table.total_latency(v.choice);
    v.energy_j = table.total_energy(v.choice);
    v.seconds = since(t);
    say(v.name + ": test accuracy " + fmt("%.2f%%", 100 * v.test_accuracy) + " (" +
        fmt("%.2f%%", 100 * v.test_accuracy_before_finetune) + " before fine-tuning), " +
        fmt("%.1f", v.seconds) + " s");
  }
  const double apply_s = since(ta);
  const Variant& va = variants[0];

  // ---- outputs -----------------------------------------------------------------------------
  model::Network net;
  net.name = (m.space.name.empty() ? std::string("model") : m.space.name) + "_quantized";
  json mappings = json::array(), allocation = json::array();
  for (std::size_t l = 0; l < L; ++l) {
    const auto j = std::size_t(alloc.choice[l]);
    model::Layer x = layers[l];
    x.a_bits = pairs[j].a_bits;
    x.w_bits = pairs[j].w_bits;
    net.layers.push_back(x);
    mappings.push_back(model::to_json(table.cells[l][j].mapping));
    allocation.push_back({{"layer", x.name},
                          {"a_bits", x.a_bits},
                          {"w_bits", x.w_bits},
                          {"cycles", table.cells[l][j].cycles},
                          {"latency_s", table.cells[l][j].latency_s},
                          {"energy_j", table.cells[l][j].energy_j},
                          {"sensitivity", sens[l][j]}});
  }
  auto variant_json = [&](const Variant& v) {
    json j = {{"test_accuracy", v.test_accuracy},
              {"test_accuracy_before_finetune", v.test_accuracy_before_finetune},
              {"seconds", v.seconds}};
    if (!v.choice.empty()) {
      j["latency_s"] = v.latency_s;
      j["energy_j"] = v.energy_j;
      j["latency_vs_uniform8"] = v.latency_s / lat8;
      j["energy_vs_uniform8"] = v.energy_j / en8;
    }
    return j;
  };
  json vj = {{"float", variant_json(vf)}};
  for (const auto& v : variants) vj[v.name] = variant_json(v);
  json budgets = json::object();
  if (lat_budget)
    budgets["latency"] = {{"given", budget_text(*o.budgets.latency, BudgetKind::Latency)},
                          {"latency_s", *lat_budget},
                          {"vs_uniform8", *lat_budget / lat8}};
  if (en_budget)
    budgets["energy"] = {{"given", budget_text(*o.budgets.energy, BudgetKind::Energy)},
                         {"energy_j", *en_budget},
                         {"vs_uniform8", *en_budget / en8}};
  const std::string cache_dir =
      o.cost.cache_dir.empty() ? default_cost_cache_dir() : o.cost.cache_dir;
  json report = {
      {"model", fs::absolute(o.model_path).string()},
      {"model_kind", m.kind},
      {"accelerator", model::to_json(accel)},
      {"layers", L},
      {"cost",
       {{"source", to_string(table.source)},
        {"cells", L * pairs.size()},
        {"simulated", table.simulated},
        {"cache_hits", table.cache_hits},
        {"children", table.children},
        {"jobs", o.cost.jobs},
        {"cache_dir", table.source == CostSource::Simulator ? json(cache_dir) : json(nullptr)},
        {"seconds", table.seconds}}},
      {"uniform8", {{"latency_s", lat8}, {"energy_j", en8}}},
      {"budgets", budgets},
      {"sensitivity",
       {{"method", "KL(float || only this layer quantized), OHQ mask-guided"},
        {"calib_images", o.calib_images},
        {"calib_seed", o.calib_seed},
        {"spearman_two_batches", rho},
        {"seconds", sens_s}}},
      {"ilp",
       {{"solver", "GLPK branch and cut"},
        {"status", alloc.status},
        {"gap", alloc.gap},
        {"objective_kl", alloc.objective * smax},
        {"seconds", alloc.seconds},
        {"latency_s", alloc_lat},
        {"energy_j", alloc_en}}},
      {"allocation", allocation},
      {"finetune",
       {{"epochs", o.finetune.epochs},
        {"lr", o.finetune.lr},
        {"batch_size", o.finetune.batch_size},
        {"max_batches", o.finetune.max_batches},
        {"bn_batches", o.bn_batches}}},
      {"variants", vj},
      {"accuracy_loss_vs_uniform8",
       o.baselines ? json(variants[1].test_accuracy - va.test_accuracy) : json(nullptr)},
      {"phases_s",
       {{"load", load_s},
        {"cost_table", table.seconds},
        {"sensitivity", sens_s},
        {"ilp", alloc.seconds},
        {"apply", apply_s},
        {"total", since(t0)}}}};
  json design = {{"network", model::to_json(net)},
                 {"accelerator", model::to_json(accel)},
                 {"mappings", mappings},
                 {"allocation", allocation},
                 {"predicted",
                  {{"source", to_string(table.source)},
                   {"latency_s", alloc_lat},
                   {"energy_j", alloc_en},
                   {"latency_vs_uniform8", alloc_lat / lat8},
                   {"energy_vs_uniform8", alloc_en / en8}}},
                 {"accuracy", {{"test", va.test_accuracy}}},
                 {"quantize",
                  {{"model", report["model"]},
                   {"space", to_json(m.space)},
                   {"choice", to_json(m.space, m.choice)},
                   {"weights", "model.pt"}}}};
  std::ostringstream costs, sc;
  costs << "layer,index,a_bits,w_bits,cycles,latency_s,energy_j,source,cached\n";
  sc << "layer,index,a_bits,w_bits,kl_batch_a,kl_batch_b\n";
  char line[256];
  for (std::size_t l = 0; l < L; ++l)
    for (std::size_t j = 0; j < pairs.size(); ++j) {
      const auto& c = table.cells[l][j];
      std::snprintf(line, sizeof line, ",%zu,%d,%d,%lld,%.9g,%.9g,%s,%d\n", l, pairs[j].a_bits,
                    pairs[j].w_bits, static_cast<long long>(c.cycles), c.latency_s, c.energy_j,
                    to_string(table.source), c.cached ? 1 : 0);
      costs << csv_escape(layers[l].name) << line;
      std::snprintf(line, sizeof line, ",%zu,%d,%d,%.9g,%.9g\n", l, pairs[j].a_bits,
                    pairs[j].w_bits, sens[l][j], sens_b[l][j]);
      sc << csv_escape(layers[l].name) << line;
    }
  torch::save(va.net, (out.path() / "model.pt").string());
  out.write("design.json", design.dump(2) + "\n");
  out.write("report.json", report.dump(2) + "\n");
  out.write("report.md", "# brickyard quantize\n\n" + quantize_summary(report));
  out.write("costs.csv", costs.str());
  out.write("sensitivity.csv", sc.str());
  out.commit();
  return report;
}

std::string quantize_summary(const json& r) {
  std::ostringstream s;
  char line[512];
  const auto& a = r["accelerator"];
  std::snprintf(line, sizeof line,
                "Accelerator %dx%d %s, %d layers, costs from the %s (%lld simulated, %lld "
                "cached, %.2f s).\n\n",
                a["pe_rows"].get<int>(), a["pe_cols"].get<int>(),
                a["dataflow"].get<std::string>().c_str(), r["layers"].get<int>(),
                r["cost"]["source"].get<std::string>().c_str(),
                static_cast<long long>(r["cost"]["simulated"].get<std::int64_t>()),
                static_cast<long long>(r["cost"]["cache_hits"].get<std::int64_t>()),
                r["cost"]["seconds"].get<double>());
  s << line;
  s << "| network | test accuracy | before fine-tune | latency ms | energy uJ | latency vs 8-bit "
       "| energy vs 8-bit |\n|---|---|---|---|---|---|---|\n";
  for (const char* name : {"float", "uniform 8-bit", "uniform 4-bit", "allocated"}) {
    if (!r["variants"].contains(name)) continue;
    const auto& v = r["variants"][name];
    if (v.contains("latency_s"))
      std::snprintf(line, sizeof line, "| %s | %.2f%% | %.2f%% | %.4f | %.4f | %.3f | %.3f |\n",
                    name, 100 * v["test_accuracy"].get<double>(),
                    100 * v["test_accuracy_before_finetune"].get<double>(),
                    1e3 * v["latency_s"].get<double>(), 1e6 * v["energy_j"].get<double>(),
                    v["latency_vs_uniform8"].get<double>(), v["energy_vs_uniform8"].get<double>());
    else
      std::snprintf(line, sizeof line, "| %s | %.2f%% | - | - | - | - | - |\n", name,
                    100 * v["test_accuracy"].get<double>());
    s << line;
  }
  const auto& ilp = r["ilp"];
  std::string budget;
  for (const auto& [k, b] : r["budgets"].items())
    budget += (budget.empty() ? "" : ", ") + k + " " + b["given"].get<std::string>();
  std::snprintf(line, sizeof line,
                "\nBudget: %s. ILP (GLPK): %s, gap %.2g, %.3f s. Sensitivity: KL on %lld "
                "calibration images; Spearman rank correlation between two disjoint batches "
                "%.4f.\n",
                budget.c_str(), ilp["status"].get<std::string>().c_str(), ilp["gap"].get<double>(),
                ilp["seconds"].get<double>(),
                static_cast<long long>(r["sensitivity"]["calib_images"].get<std::int64_t>()),
                r["sensitivity"]["spearman_two_batches"].get<double>());
  s << line;
  std::snprintf(line, sizeof line,
                "Fine-tune: %d epoch(s) at lr %.3g for every quantized network (BN re-estimated "
                "first).\n\n",
                r["finetune"]["epochs"].get<int>(), r["finetune"]["lr"].get<double>());
  s << line;
  s << "| layer | a bits | w bits | latency us | energy nJ | KL |\n|---|---|---|---|---|---|\n";
  for (const auto& x : r["allocation"]) {
    std::snprintf(line, sizeof line, "| %s | %d | %d | %.3f | %.3f | %.3g |\n",
                  x["layer"].get<std::string>().c_str(), x["a_bits"].get<int>(),
                  x["w_bits"].get<int>(), 1e6 * x["latency_s"].get<double>(),
                  1e9 * x["energy_j"].get<double>(), x["sensitivity"].get<double>());
    s << line;
  }
  const auto& ph = r["phases_s"];
  std::snprintf(line, sizeof line,
                "\nWall time: load %.1f s, cost table %.1f s, sensitivity %.1f s, ILP %.2f s, "
                "apply (BN + fine-tune + test) %.1f s, total %.1f s.\n",
                ph["load"].get<double>(), ph["cost_table"].get<double>(),
                ph["sensitivity"].get<double>(), ph["ilp"].get<double>(), ph["apply"].get<double>(),
                ph["total"].get<double>());
  s << line;
  return s.str();
}

} // namespace brickyard::search
