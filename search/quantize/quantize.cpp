#include "search/quantize/quantize.hpp"

#include <cstdio>
#include <sstream>

#include "model/json_io.hpp"
#include "search/nn/clock.hpp"
#include "search/quantize/steps.hpp"

namespace brickyard::search {

using json = nlohmann::json;

model::Accelerator quantize_accelerator(const std::string& spec) {
  if (spec.empty() || spec == "bitfusion" || spec == "bitfusion_default")
    return model::load_accelerator(model::data_dir() + "/accels/bitfusion_default.json");
  return model::load_accelerator(spec);
}

// The pipeline: the steps of steps.hpp in order.
json quantize(const QuantizeOptions& o) {
  const auto t0 = Clock::now();
  // Everything the user typed is checked before any work.
  check_quantize_options(o);
  const model::Accelerator accel = quantize_accelerator(o.accel);
  TrainedModel m = load_trained_model(o.model_path);
  OutputDir out(o.out_dir, o.force);
  at::set_num_threads(o.threads);

  LoadedModel lm = load_step(o, std::move(m), accel);
  const Costs costs = cost_step(o, lm.layers, accel);
  const AbsoluteBudgets budgets = budget_step(o.budgets, costs);
  const Sensitivities sens = sensitivity_step(o, lm, costs.table.pairs);
  const Allocation alloc = allocate_step(o, costs, budgets, sens);
  const Applied applied = apply_step(o, lm, costs, alloc);
  const json report =
      quantize_report(o, lm, accel, costs, budgets, sens, alloc, applied, since(t0));
  const json design = quantize_design(lm, accel, costs, alloc, applied, report);
  write_outputs(out, lm, costs, sens, applied, design, report);
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
