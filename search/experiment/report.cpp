// experiment.json, experiment.md and experiment.png from the cells' cell.json files.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "jobs/process.hpp"
#include "model/error.hpp"
#include "model/json_io.hpp"
#include "search/experiment/cells.hpp"
#include "search/experiment/experiment.hpp"
#include "search/nn/space.hpp"

namespace brickyard::search {

namespace fs = std::filesystem;
using json = nlohmann::json;
using model::SpecError;

namespace {

const char* const kMetrics[] = {"val_accuracy", "test_accuracy",     "latency_s",
                                "energy_j",     "area_mm2",          "edap",
                                "wall_s",       "lowest_bits_share", "surrogate_disagreement"};

// JAQ Table 7's "misguided search": the share of the bit choices (activation and weight of
// every block that has layers) at the lowest width of the space.
double lowest_bits_share(const json& choice, int lowest) {
  int n = 0, low = 0;
  if (!choice.is_array()) return NAN;
  for (const auto& b : choice) {
    if (b.value("op", std::string()) == "skip") continue;
    for (const char* k : {"a_bits", "w_bits"}) {
      ++n;
      low += b.value(k, 0) == lowest;
    }
  }
  return n ? double(low) / n : NAN;
}

double num(const json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_number() ? j[key].get<double>() : NAN;
}

std::string fmt(const char* f, double v) {
  if (!std::isfinite(v)) return "-";
  char b[64];
  std::snprintf(b, sizeof b, f, v);
  return b;
}

// "EDAP 1.50x lower" for a baseline/co-search ratio above 1, "EDAP 12.03x higher" below it.
std::string edap_words(double ratio) {
  if (!(std::isfinite(ratio) && ratio > 0)) return "EDAP -";
  return ratio >= 1 ? "EDAP " + fmt("%.2f", ratio) + "x lower"
                    : "EDAP " + fmt("%.2f", 1 / ratio) + "x higher";
}

std::string pm(const char* f, const json& m, const char* key, double scale = 1) {
  const double mean = num(m["mean"], key), sd = num(m["std"], key);
  if (!std::isfinite(mean)) return "-";
  return fmt(f, scale * mean) + " ± " + fmt(f, scale * sd);
}

// Methods in report order: the co-search, its CSQ variants, then the baselines.
std::vector<std::string> method_order(const json& methods) {
  std::vector<std::string> v;
  if (methods.contains("cosearch")) v.push_back("cosearch");
  for (const auto& [k, _] : methods.items())
    if (k.rfind("cosearch_", 0) == 0) v.push_back(k);
  for (const char* k : {"decoupled", "hardware_only", "random_search"})
    if (methods.contains(k)) v.push_back(k);
  return v;
}

std::string describe_method(const std::string& m) {
  if (m == "cosearch") return "co-search (as configured)";
  if (m.rfind("cosearch_csq_k", 0) == 0) return "co-search, CSQ K = " + m.substr(14) + "%";
  if (m.rfind("cosearch_", 0) == 0) return "co-search, quantization " + m.substr(9);
  if (m == "decoupled") return "decoupled: ops (lambda 0), then ILP bits, then hardware";
  if (m == "hardware_only") return "hardware-only: accuracy-first network at 8 bits";
  if (m == "random_search") return "random search (joint, one-shot on validation)";
  return m;
}

std::string plot(const fs::path& out, const json& methods, const std::vector<std::string>& order) {
  const fs::path dat = out / "experiment.plot.dat", gp = out / "experiment.gp",
                 png = out / "experiment.png";
  {
    std::ofstream d(dat);
    // Per method two blocks: the seeds (edap, test %), then the mean with its std.
    for (const auto& m : order) {
      for (const auto& [seed, r] : methods[m]["seeds"].items())
        d << num(r, "edap") << ' ' << 100 * num(r, "test_accuracy") << ' ' << seed << '\n';
      d << "\n\n";
      const json& mn = methods[m]["mean"];
      const json& sd = methods[m]["std"];
      d << num(mn, "edap") << ' ' << 100 * num(mn, "test_accuracy") << ' ' << num(sd, "edap") << ' '
        << 100 * num(sd, "test_accuracy") << '\n';
      d << "\n\n";
    }
    if (!d) return "plot skipped: cannot write '" + dat.string() + "'";
  }
  static const char* const colors[] = {"#1b9e77", "#66a61e", "#a6761d", "#e6ab02",
                                       "#d95f02", "#7570b3", "#e7298a", "#666666"};
  {
    std::ofstream g(gp);
    g << "set terminal pngcairo size 1000,800\n"
      << "set output '" << png.string() << "'\n"
      << "set title \"brickyard experiment: test accuracy vs EDAP\\nsmall points: one per seed; "
         "large: the mean, bars +- 1 std (EDAP bar clipped at mean / 10 on the log axis)\"\n"
      << "set logscale x\nset grid\nset key below maxcols 2\nset format x '%.1e'\n"
      << "set xlabel 'EDAP (J s mm2, estimator) - lower is better'\n"
      << "set ylabel 'test accuracy after retraining (%) - higher is better'\n"
      << "set datafile missing 'nan'\nplot ";
    for (std::size_t i = 0; i < order.size(); ++i) {
      const char* col = colors[i % 8];
      if (i) g << ", ";
      g << "'" << dat.string() << "' index " << 2 * i << " u 1:2 w p pt 7 ps 1 lc rgb '" << col
        << "' notitle, '' index " << 2 * i + 1
        << " u 1:2:($1-$3>$1/10?$1-$3:$1/10):($1+$3):($2-$4):($2+$4) w xyerrorbars pt "
        << 5 + 2 * int(i % 5) << " ps 2.5 lw 2 lc rgb '" << col << "' t '"
        << describe_method(order[i]) << "'";
    }
    g << "\n";
  }
  return jobs::gnuplot(gp.string(), dat.string(), png.string());
}

} // namespace

ExperimentResult experiment_report(const ExperimentConfig& e, const std::string& out_dir,
                                   bool allow_partial) {
  const fs::path out(out_dir);
  json methods = json::object(), cells = json::array(), unfinished = json::array();
  const SearchSpace space = load_space(e.cosearch.space);
  const int lowest = std::min(*std::min_element(space.a_bits.begin(), space.a_bits.end()),
                              *std::min_element(space.w_bits.begin(), space.w_bits.end()));
  for (const Cell& c : experiment_cells(e)) {
    const fs::path f = cell_dir(out, c) / "cell.json";
    std::error_code ec;
    if (!fs::exists(f, ec)) {
      if (allow_partial) {
        unfinished.push_back({{"cell", c.name}, {"seed", c.seed}});
        continue;
      }
      throw SpecError("out", "cell '" + f.parent_path().string() +
                                 "' has not finished (run the experiment with --resume)");
    }
    const json j = model::read_json_file(f.string(), "cell");
    for (const auto& [m, r] : j.at("methods").items()) {
      json rec = r;
      const double low = lowest_bits_share(rec["choice"], lowest);
      rec["lowest_bits_share"] = std::isfinite(low) ? json(low) : json(nullptr);
      methods[m]["seeds"][std::to_string(c.seed)] = rec;
    }
    cells.push_back({{"cell", c.name}, {"seed", c.seed}});
  }
  int max_reads = 0, min_reads = 1 << 30;
  for (auto& [m, v] : methods.items()) {
    for (const char* k : kMetrics) {
      std::vector<double> xs;
      for (const auto& [s, r] : v["seeds"].items()) xs.push_back(num(r, k));
      const MeanStd ms = mean_std(xs);
      v["mean"][k] = std::isfinite(ms.mean) ? json(ms.mean) : json(nullptr);
      v["std"][k] = std::isfinite(ms.std) ? json(ms.std) : json(nullptr);
    }
    v["n"] = v["seeds"].size();
    for (const auto& [s, r] : v["seeds"].items()) {
      max_reads = std::max(max_reads, r.value("test_reads", 0));
      min_reads = std::min(min_reads, r.value("test_reads", 0));
    }
  }
  // The co-search against each baseline on the means: dominance (accuracy >= and EDAP <=,
  // one strictly), on test and on validation, and per seed.
  json dom = json::object();
  if (methods.contains("cosearch"))
    for (const auto& m : method_order(methods)) {
      if (m == "cosearch") continue;
      const json &a = methods["cosearch"], &b = methods[m];
      const double at = num(a["mean"], "test_accuracy"), bt = num(b["mean"], "test_accuracy");
      const double av = num(a["mean"], "val_accuracy"), bv = num(b["mean"], "val_accuracy");
      const double ae = num(a["mean"], "edap"), be = num(b["mean"], "edap");
      int seeds_dominated = 0, seeds = 0;
      for (const auto& [s, r] : a["seeds"].items()) {
        if (!b["seeds"].contains(s)) continue;
        ++seeds;
        const json& q = b["seeds"][s];
        if (dominates(num(r, "test_accuracy"), num(r, "edap"), num(q, "test_accuracy"),
                      num(q, "edap")))
          ++seeds_dominated;
      }
      dom[m] = {{"dominates_on_test_means", dominates(at, ae, bt, be)},
                {"dominates_on_validation_means", dominates(av, ae, bv, be)},
                {"test_accuracy_difference", std::isfinite(at - bt) ? json(at - bt) : json()},
                {"edap_ratio_baseline_over_cosearch", ae > 0 ? json(be / ae) : json()},
                {"seeds_dominated", seeds_dominated},
                {"seeds_compared", seeds}};
    }
  ExperimentResult res;
  res.report = {{"config", e.name},
                {"seeds", e.seeds},
                {"methods", methods},
                {"cosearch_vs_baselines", dom},
                {"protocol",
                 {{"validation_fraction_of_training_file", e.cosearch.data.val_fraction},
                  {"choices_made_on", "validation split and training images"},
                  {"test_reads_per_model_max", max_reads},
                  {"test_reads_per_model_min", min_reads},
                  {"std", "sample standard deviation over seeds (n - 1)"}}},
                {"cells", cells},
                {"unfinished_cells", unfinished}};
  const auto order = method_order(methods);
  res.plot_note = plot(out, methods, order);
  res.report["plot"] = res.plot_note;
  model::write_text_file((out / "experiment.json").string(), res.report.dump(2) + "\n");

  std::ostringstream md;
  md << "# brickyard experiment: " << e.name << "\n\nSeeds";
  for (auto s : e.seeds) md << " " << s;
  if (!unfinished.empty()) {
    md << " (PARTIAL: " << unfinished.size() << " runs have not finished:";
    for (const auto& u : unfinished)
      md << " seed " << u["seed"].get<std::uint64_t>() << " " << u["cell"].get<std::string>()
         << ";";
    md << " each method's mean is over the seeds it finished, n below)";
  }
  md << ". Mean ± sample standard deviation over the seeds. Every choice was made on the "
        "validation split (held out of the training file) or on training images; the test "
        "set was read "
     << (max_reads == min_reads ? std::to_string(max_reads) : "up to " + std::to_string(max_reads))
     << " time(s) per finished model. EDAP and its parts are the estimator's (BatchTile "
        "mappings) on each method's accelerator.\n\n"
     << "| method | n | val accuracy % | test accuracy % | latency ms | energy uJ | area mm2 | "
        "EDAP (J s mm2) | lowest-bit share % | surrogate disagreement % | wall min |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|\n";
  for (const auto& m : order) {
    const json& v = methods[m];
    md << "| " << describe_method(m) << " | " << v["n"].get<int>() << " | "
       << pm("%.2f", v, "val_accuracy", 100) << " | " << pm("%.2f", v, "test_accuracy", 100)
       << " | " << pm("%.3f", v, "latency_s", 1e3) << " | " << pm("%.2f", v, "energy_j", 1e6)
       << " | " << pm("%.3f", v, "area_mm2") << " | " << pm("%.3e", v, "edap") << " | "
       << pm("%.1f", v, "lowest_bits_share", 100) << " | "
       << pm("%.1f", v, "surrogate_disagreement", 100) << " | " << pm("%.1f", v, "wall_s", 1.0 / 60)
       << " |\n";
  }
  md << "\n## The co-search against each baseline\n\n";
  for (const auto& [m, d] : dom.items()) {
    const bool t = d["dominates_on_test_means"].get<bool>();
    md << "- **" << describe_method(m) << "**: the co-search "
       << (t ? "dominates" : "does not dominate") << " it on the means (test accuracy "
       << fmt("%+.2f", 100 * num(d, "test_accuracy_difference")) << " points, "
       << edap_words(num(d, "edap_ratio_baseline_over_cosearch"))
       << "); on validation means it "
       << (d["dominates_on_validation_means"].get<bool>() ? "dominates" : "does not dominate")
       << "; per seed it dominates " << d["seeds_dominated"].get<int>() << " of "
       << d["seeds_compared"].get<int>() << ".\n";
  }
  md << "\n## Per seed\n\n| method | seed | val % | test % | EDAP | accelerator | wall s |\n"
     << "|---|---|---|---|---|---|---|\n";
  for (const auto& m : order)
    for (const auto& [s, r] : methods[m]["seeds"].items()) {
      const json& a = r["accelerator"];
      md << "| " << m << " | " << s << " | " << fmt("%.2f", 100 * num(r, "val_accuracy")) << " | "
         << fmt("%.2f", 100 * num(r, "test_accuracy")) << " | " << fmt("%.3e", num(r, "edap"))
         << " | " << a.value("pe_rows", 0) << "x" << a.value("pe_cols", 0) << " "
         << a.value("dataflow", std::string("?")) << " | " << fmt("%.0f", num(r, "wall_s"))
         << " |\n";
    }
  md << "\n" << res.plot_note << "\n";
  model::write_text_file((out / "experiment.md").string(), md.str());
  return res;
}

} // namespace brickyard::search
