#include "search/quantize/steps.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <random>
#include <sstream>

#include <torch/serialize.h>

#include "model/error.hpp"
#include "model/json_io.hpp"
#include "search/nn/clock.hpp"
#include "search/nn/finetune.hpp"
#include "search/nn/supernet.hpp"
#include "search/nn/train.hpp"
#include "search/quantize/sensitivity.hpp"

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

std::string csv_escape(const std::string& s) {
  if (s.find_first_of(",\"") == std::string::npos) return s;
  std::string o = "\"";
  for (char c : s) o += c == '"' ? std::string("\"\"") : std::string(1, c);
  return o + "\"";
}

void say(const QuantizeOptions& o, const std::string& s) {
  if (o.progress) std::fprintf(stderr, "quantize: %s\n", s.c_str());
}

} // namespace

void check_quantize_options(const QuantizeOptions& o) {
  if (!o.budgets.latency && !o.budgets.energy)
    throw SpecError("budget", "missing (--latency-budget, --energy-budget or --budget)");
  if (o.calib_images < 2) throw SpecError("calib-images", "must be >= 2");
  if (o.threads < 1) throw SpecError("threads", "must be >= 1");
  if (o.finetune.epochs < 0) throw SpecError("finetune-epochs", "must be >= 0");
  if (!(o.finetune.lr > 0)) throw SpecError("lr", "must be > 0");
  if (o.cost.jobs < 1) throw SpecError("jobs", "must be >= 1");
}

LoadedModel load_step(const QuantizeOptions& o, TrainedModel m, const model::Accelerator& accel) {
  auto tl = Clock::now();
  LoadedModel lm;
  lm.data = load(m.data);
  const Dataset& data = lm.data;
  lm.split = data.split(m.data);
  const Split& split = lm.split;
  lm.train_rows = torch::cat({split.train_w, split.train_a});
  std::tie(lm.calib_a, lm.calib_b) = calibration_rows(lm.train_rows, o.calib_images, o.calib_seed);
  const std::size_t L = m.net->layers().size();
  m.net->set_layer_bits(uniform_bits(L, 0));
  if (m.recalibrate_bn) recalibrate_batch_norm(*m.net, data, split.train_w, o.bn_batches);
  m.net->eval();
  lm.layers = m.net->layers();
  lm.seconds = since(tl);
  say(o, "model: " + std::to_string(L) + " layers (" + m.space.name + "), weights " + m.weights +
             "; accelerator " + std::to_string(accel.pe_rows) + "x" +
             std::to_string(accel.pe_cols) + " " + model::to_string(accel.dataflow));
  lm.m = std::move(m);
  return lm;
}

Costs cost_step(const QuantizeOptions& o, const std::vector<model::Layer>& layers,
                const model::Accelerator& accel) {
  const std::size_t L = layers.size();
  const auto pairs = bit_pairs();
  CostTableOptions co = o.cost;
  if (o.progress && !co.progress)
    co.progress = [](const std::string& s) { std::fprintf(stderr, "quantize: %s\n", s.c_str()); };
  say(o, std::string("cost table: ") + std::to_string(L) + " layers x " +
             std::to_string(pairs.size()) + " bit pairs from the " + to_string(co.source));
  Costs c;
  c.table = build_cost_table(layers, accel, pairs, co);
  const CostTable& table = c.table;
  c.j8 = table.pair_index({8, 8}), c.j4 = table.pair_index({4, 4});
  const std::vector<int> all8(L, c.j8);
  c.lat8 = table.total_latency(all8), c.en8 = table.total_energy(all8);
  say(o, "cost table: " + fmt("%.2f", table.seconds) + " s (" + std::to_string(table.simulated) +
             " simulated, " + std::to_string(table.cache_hits) + " cached); uniform 8-bit " +
             fmt("%.4f", c.lat8 * 1e3) + " ms, " + fmt("%.4f", c.en8 * 1e6) + " uJ");
  return c;
}

void throw_infeasible(const Budgets& given, const AbsoluteBudgets& b, const Costs& costs,
                      bool latency, double min_abs) {
  const double ref = latency ? costs.lat8 : costs.en8;
  const std::string what = latency ? fmt("%.4f ms", min_abs * 1e3) : fmt("%.4f uJ", min_abs * 1e6);
  throw SpecError(latency ? "latency-budget" : "energy-budget",
                  "infeasible: no allocation meets " +
                      budget_text(latency ? *given.latency : *given.energy,
                                  latency ? BudgetKind::Latency : BudgetKind::Energy) +
                      "; the smallest feasible budget is " + fmt("%.4f", min_abs / ref) +
                      "x of uniform 8-bit (" + what + ")" +
                      (b.latency_s && b.energy_j ? " with the other budget as given" : ""));
}

AbsoluteBudgets budget_step(const Budgets& given, const Costs& costs) {
  const CostTable& table = costs.table;
  // Budgets in seconds/joules, and the quick check of each alone (before any torch work).
  AbsoluteBudgets b;
  if (given.latency) b.latency_s = given.latency->absolute(costs.lat8);
  if (given.energy) b.energy_j = given.energy->absolute(costs.en8);
  auto floor_of = [&](bool latency) {
    double s = 0;
    for (const auto& row : table.cells) {
      double best = 1e300;
      for (const auto& c : row) best = std::min(best, latency ? c.latency_s : c.energy_j);
      s += best;
    }
    return s;
  };
  if (b.latency_s && *b.latency_s < floor_of(true))
    throw_infeasible(given, b, costs, true, floor_of(true));
  if (b.energy_j && *b.energy_j < floor_of(false))
    throw_infeasible(given, b, costs, false, floor_of(false));
  return b;
}

Sensitivities sensitivity_step(const QuantizeOptions& o, LoadedModel& lm,
                               const std::vector<BitPair>& pairs) {
  const std::size_t L = lm.layers.size();
  Sensitivities r;
  const auto ts = Clock::now();
  SensitivityOptions so;
  if (o.progress)
    so.progress = [](const std::string& s) { std::fprintf(stderr, "quantize: %s\n", s.c_str()); };
  so.tag = "sensitivity (batch A)";
  const auto imgs_a = lm.data.images.index_select(0, lm.calib_a);
  const auto imgs_b = lm.data.images.index_select(0, lm.calib_b);
  r.a = kl_sensitivity(*lm.m.net, imgs_a, pairs, so);
  so.tag = "sensitivity (batch B)";
  r.b = kl_sensitivity(*lm.m.net, imgs_b, pairs, so);
  std::vector<double> fa, fb;
  for (std::size_t l = 0; l < L; ++l)
    for (std::size_t j = 0; j < pairs.size(); ++j) {
      fa.push_back(r.a[l][j]);
      fb.push_back(r.b[l][j]);
    }
  r.spearman = spearman(fa, fb);
  r.seconds = since(ts);
  say(o, "sensitivity: " + fmt("%.2f", r.seconds) + " s; Spearman rank correlation of the two " +
             std::to_string(o.calib_images) + "-image batches: " + fmt("%.4f", r.spearman));
  return r;
}

Allocation allocate_step(const QuantizeOptions& o, const Costs& costs, const AbsoluteBudgets& b,
                         const Sensitivities& sens) {
  const CostTable& table = costs.table;
  const auto& pairs = table.pairs;
  const std::size_t L = table.cells.size();
  const double lat8 = costs.lat8, en8 = costs.en8;
  std::vector<double> fa;
  for (const auto& row : sens.a) fa.insert(fa.end(), row.begin(), row.end());
  Allocation r;
  // Tables normalized (latency and energy by uniform 8-bit, sensitivity by its largest
  // value) so that GLPK's tolerances see numbers near 1; the argmin is unchanged.
  AllocationProblem prob;
  r.smax = std::max(1e-300, *std::max_element(fa.begin(), fa.end()));
  const double smax = r.smax;
  for (std::size_t l = 0; l < L; ++l) {
    prob.sensitivity.emplace_back();
    prob.latency.emplace_back();
    prob.energy.emplace_back();
    for (std::size_t j = 0; j < pairs.size(); ++j) {
      prob.sensitivity.back().push_back(sens.a[l][j] / smax);
      prob.latency.back().push_back(table.cells[l][j].latency_s / lat8);
      prob.energy.back().push_back(table.cells[l][j].energy_j / en8);
    }
  }
  if (b.latency_s) prob.latency_budget = *b.latency_s / lat8;
  if (b.energy_j) prob.energy_budget = *b.energy_j / en8;
  r.result = solve_allocation(prob, o.ilp);
  const AllocationResult& alloc = r.result;
  if (!alloc.feasible) {
    if (alloc.status != "infeasible") throw std::runtime_error("allocation ILP: " + alloc.status);
    if (b.latency_s && alloc.min_latency_budget)
      throw_infeasible(o.budgets, b, costs, true, *alloc.min_latency_budget * lat8);
    if (b.energy_j && alloc.min_energy_budget)
      throw_infeasible(o.budgets, b, costs, false, *alloc.min_energy_budget * en8);
    throw SpecError("budget", "infeasible: the latency and energy budgets together admit no "
                              "allocation");
  }
  r.latency_s = table.total_latency(alloc.choice);
  r.energy_j = table.total_energy(alloc.choice);
  say(o, "ILP (GLPK): " + alloc.status + ", gap " + fmt("%.2g", alloc.gap) + ", " +
             fmt("%.3f", alloc.seconds) + " s; latency " + fmt("%.3f", r.latency_s / lat8) +
             "x, energy " + fmt("%.3f", r.energy_j / en8) + "x of uniform 8-bit");
  return r;
}

Applied apply_step(const QuantizeOptions& o, LoadedModel& lm, const Costs& costs,
                   const Allocation& allocation) {
  TrainedModel& m = lm.m;
  const Dataset& data = lm.data;
  const Split& split = lm.split;
  const torch::Tensor& train_rows = lm.train_rows;
  const CostTable& table = costs.table;
  const auto& pairs = table.pairs;
  const std::size_t L = lm.layers.size();
  const AllocationResult& alloc = allocation.result;
  const std::vector<int> all8(L, costs.j8), all4(L, costs.j4);
  Applied r;
  const auto ta = Clock::now();
  Variant& vf = r.floating;
  vf.name = "float";
  {
    const auto t = Clock::now();
    vf.test_accuracy = evaluate(*m.net, data, split.test).accuracy;
    vf.test_accuracy_before_finetune = vf.test_accuracy;
    vf.seconds = since(t);
  }
  say(o, "float: test accuracy " + fmt("%.2f%%", 100 * vf.test_accuracy));
  std::vector<Variant>& variants = r.variants;
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
    say(o, v.name + ": test accuracy " + fmt("%.2f%%", 100 * v.test_accuracy) + " (" +
               fmt("%.2f%%", 100 * v.test_accuracy_before_finetune) + " before fine-tuning), " +
               fmt("%.1f", v.seconds) + " s");
  }
  r.seconds = since(ta);
  return r;
}

namespace {

// One record per layer: its allocated bits, costs and sensitivity (report and design).
json allocation_json(const LoadedModel& lm, const Costs& costs, const Allocation& allocation,
                     const Sensitivities& s) {
  const CostTable& table = costs.table;
  const auto& pairs = table.pairs;
  json allocation_records = json::array();
  for (std::size_t l = 0; l < lm.layers.size(); ++l) {
    const auto j = std::size_t(allocation.result.choice[l]);
    const model::Layer& x = lm.layers[l];
    allocation_records.push_back({{"layer", x.name},
                                  {"a_bits", pairs[j].a_bits},
                                  {"w_bits", pairs[j].w_bits},
                                  {"cycles", table.cells[l][j].cycles},
                                  {"latency_s", table.cells[l][j].latency_s},
                                  {"energy_j", table.cells[l][j].energy_j},
                                  {"sensitivity", s.a[l][j]}});
  }
  return allocation_records;
}

} // namespace

json quantize_report(const QuantizeOptions& o, const LoadedModel& lm,
                     const model::Accelerator& accel, const Costs& costs, const AbsoluteBudgets& b,
                     const Sensitivities& sens, const Allocation& al, const Applied& applied,
                     double seconds) {
  const TrainedModel& m = lm.m;
  const CostTable& table = costs.table;
  const auto& pairs = table.pairs;
  const std::size_t L = lm.layers.size();
  const double lat8 = costs.lat8, en8 = costs.en8;
  const AllocationResult& alloc = al.result;
  const std::vector<Variant>& variants = applied.variants;
  const Variant& va = variants[0];
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
  json vj = {{"float", variant_json(applied.floating)}};
  for (const auto& v : variants) vj[v.name] = variant_json(v);
  json budgets = json::object();
  if (b.latency_s)
    budgets["latency"] = {{"given", budget_text(*o.budgets.latency, BudgetKind::Latency)},
                          {"latency_s", *b.latency_s},
                          {"vs_uniform8", *b.latency_s / lat8}};
  if (b.energy_j)
    budgets["energy"] = {{"given", budget_text(*o.budgets.energy, BudgetKind::Energy)},
                         {"energy_j", *b.energy_j},
                         {"vs_uniform8", *b.energy_j / en8}};
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
        {"spearman_two_batches", sens.spearman},
        {"seconds", sens.seconds}}},
      {"ilp",
       {{"solver", "GLPK branch and cut"},
        {"status", alloc.status},
        {"gap", alloc.gap},
        {"objective_kl", alloc.objective * al.smax},
        {"seconds", alloc.seconds},
        {"latency_s", al.latency_s},
        {"energy_j", al.energy_j}}},
      {"allocation", allocation_json(lm, costs, al, sens)},
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
       {{"load", lm.seconds},
        {"cost_table", table.seconds},
        {"sensitivity", sens.seconds},
        {"ilp", alloc.seconds},
        {"apply", applied.seconds},
        {"total", seconds}}}};
  return report;
}

json quantize_design(const LoadedModel& lm, const model::Accelerator& accel, const Costs& costs,
                     const Allocation& al, const Applied& applied, const json& report) {
  const TrainedModel& m = lm.m;
  const CostTable& table = costs.table;
  const auto& pairs = table.pairs;
  const double lat8 = costs.lat8, en8 = costs.en8;
  const double alloc_lat = al.latency_s, alloc_en = al.energy_j;
  const Variant& va = applied.variants[0];
  model::Network net;
  net.name = (m.space.name.empty() ? std::string("model") : m.space.name) + "_quantized";
  json mappings = json::array();
  for (std::size_t l = 0; l < lm.layers.size(); ++l) {
    const auto j = std::size_t(al.result.choice[l]);
    model::Layer x = lm.layers[l];
    x.a_bits = pairs[j].a_bits;
    x.w_bits = pairs[j].w_bits;
    net.layers.push_back(x);
    mappings.push_back(model::to_json(table.cells[l][j].mapping));
  }
  json design = {{"network", model::to_json(net)},
                 {"accelerator", model::to_json(accel)},
                 {"mappings", mappings},
                 {"allocation", report.at("allocation")},
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
  return design;
}

std::string costs_csv(const std::vector<model::Layer>& layers, const Costs& costs) {
  const CostTable& table = costs.table;
  const auto& pairs = table.pairs;
  std::ostringstream out;
  out << "layer,index,a_bits,w_bits,cycles,latency_s,energy_j,source,cached\n";
  char line[256];
  for (std::size_t l = 0; l < layers.size(); ++l)
    for (std::size_t j = 0; j < pairs.size(); ++j) {
      const auto& c = table.cells[l][j];
      std::snprintf(line, sizeof line, ",%zu,%d,%d,%lld,%.9g,%.9g,%s,%d\n", l, pairs[j].a_bits,
                    pairs[j].w_bits, static_cast<long long>(c.cycles), c.latency_s, c.energy_j,
                    to_string(table.source), c.cached ? 1 : 0);
      out << csv_escape(layers[l].name) << line;
    }
  return out.str();
}

std::string sensitivity_csv(const std::vector<model::Layer>& layers,
                            const std::vector<BitPair>& pairs, const Sensitivities& sens) {
  std::ostringstream sc;
  sc << "layer,index,a_bits,w_bits,kl_batch_a,kl_batch_b\n";
  char line[256];
  for (std::size_t l = 0; l < layers.size(); ++l)
    for (std::size_t j = 0; j < pairs.size(); ++j) {
      std::snprintf(line, sizeof line, ",%zu,%d,%d,%.9g,%.9g\n", l, pairs[j].a_bits,
                    pairs[j].w_bits, sens.a[l][j], sens.b[l][j]);
      sc << csv_escape(layers[l].name) << line;
    }
  return sc.str();
}

void write_outputs(OutputDir& out, const LoadedModel& lm, const Costs& costs,
                   const Sensitivities& sens, const Applied& applied, const json& design,
                   const json& report) {
  torch::save(applied.variants[0].net, (out.path() / "model.pt").string());
  out.write("design.json", design.dump(2) + "\n");
  out.write("report.json", report.dump(2) + "\n");
  out.write("report.md", "# brickyard quantize\n\n" + quantize_summary(report));
  out.write("costs.csv", costs_csv(lm.layers, costs));
  out.write("sensitivity.csv", sensitivity_csv(lm.layers, costs.table.pairs, sens));
  out.commit();
}

} // namespace brickyard::search
