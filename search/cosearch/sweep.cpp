#include "search/cosearch/sweep.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "jobs/process.hpp"
#include "model/error.hpp"
#include "model/json_io.hpp"

namespace brickyard::search {

namespace fs = std::filesystem;
using json = nlohmann::json;
using model::SpecError;

namespace {

double num(const json& j, const char* key, double fallback = NAN) {
  return j.is_object() && j.contains(key) && j[key].is_number() ? j[key].get<double>() : fallback;
}

std::string pct(double f) {
  if (std::isnan(f)) return "-";
  char b[32];
  std::snprintf(b, sizeof b, "%.2f%%", 100 * f);
  return b;
}

std::string sci(double v) {
  if (std::isnan(v)) return "-";
  char b[32];
  std::snprintf(b, sizeof b, "%.3e", v);
  return b;
}

std::string fmt_lambda(double l) {
  char b[32];
  std::snprintf(b, sizeof b, "%g", l);
  return b;
}

// Points not dominated by another (higher or equal accuracy and lower or equal EDAP, one
// of them strictly).
void mark_front(json& points) {
  for (auto& p : points) {
    const double a = num(p, "accuracy"), e = num(p, "edap");
    bool dominated = false;
    for (const auto& q : points) {
      const double qa = num(q, "accuracy"), qe = num(q, "edap");
      if (&q == &p || std::isnan(qa) || std::isnan(qe)) continue;
      if (qa >= a && qe <= e && (qa > a || qe < e)) dominated = true;
    }
    p["pareto"] = !dominated && !std::isnan(a) && !std::isnan(e);
  }
}

std::string plot(const fs::path& out, const json& points, const json& baselines) {
  const fs::path dat = out / "pareto.plot.dat", gp = out / "pareto.gp", png = out / "pareto.png";
  {
    std::ofstream d(dat);
    // index 0: points (edap, retrained acc, lambda); 1: front; 2: uniform 8-bit baselines;
    // 3: one-shot accuracy of the points; 4: random-search winners (one-shot).
    for (const auto& p : points)
      d << num(p, "edap") << ' ' << 100 * num(p, "accuracy") << ' ' << p["lambda"] << '\n';
    d << "\n\n";
    std::vector<std::pair<double, double>> front;
    for (const auto& p : points)
      if (p["pareto"].get<bool>()) front.emplace_back(num(p, "edap"), 100 * num(p, "accuracy"));
    std::sort(front.begin(), front.end());
    for (const auto& [e, a] : front) d << e << ' ' << a << '\n';
    d << "\n\n";
    for (const auto& b : baselines)
      d << num(b["uniform_8bit_on_base"], "edap") << ' '
        << 100 * num(b["uniform_8bit_on_base"], "accuracy") << '\n';
    d << "\n\n";
    for (const auto& p : points)
      d << num(p, "edap") << ' ' << 100 * num(p, "one_shot_accuracy") << ' ' << p["lambda"] << '\n';
    d << "\n\n";
    for (const auto& b : baselines)
      d << num(b["random_search"], "edap") << ' ' << 100 * num(b["random_search"], "accuracy")
        << '\n';
    if (!d) return "plot skipped: cannot write '" + dat.string() + "'";
  }
  {
    std::ofstream g(gp);
    g << "set terminal pngcairo size 1400,600\n"
      << "set output '" << png.string() << "'\n"
      << "set multiplot layout 1,2 title 'brickyard cosearch --sweep: accuracy vs EDAP "
         "(lower left is better in EDAP, higher in accuracy)'\n"
      << "set logscale x\nset grid\nset key bottom right\nset format x '%.0e'\n"
      << "set xlabel 'EDAP (J s mm2, estimator)'\nset ylabel 'test accuracy after retraining (%)'\n"
      << "set datafile missing 'nan'\n"
      << "plot '" << dat.string()
      << "' index 1 u 1:2 w l lw 2 lc rgb '#1b9e77' t 'Pareto front', '' index 0 u 1:2 w p pt 7 ps "
         "1.5 lc rgb '#1b9e77' t 'co-search (lambda)', '' index 0 u 1:2:(sprintf('%g', $3)) w "
         "labels offset 1.5,0.8 notitle, '' index 2 u 1:2 w p pt 5 ps 1.5 lc rgb '#d95f02' t "
         "'uniform 8-bit on the base accelerator'\n"
      << "set ylabel 'one-shot validation accuracy (supernet weights, %)'\n"
      << "plot '" << dat.string()
      << "' index 3 u 1:2 w p pt 7 ps 1.5 lc rgb '#1b9e77' t 'co-search (lambda)', '' index 3 u "
         "1:2:(sprintf('%g', $3)) w labels offset 1.5,0.8 notitle, '' index 4 u 1:2 w p pt 9 ps "
         "1.5 lc rgb '#7570b3' t 'random search, same exact-evaluation budget'\n"
      << "unset multiplot\n";
  }
  return jobs::gnuplot(gp.string(), dat.string(), png.string());
}

} // namespace

std::vector<double> parse_lambdas(const std::string& text) {
  std::vector<double> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    std::size_t used = 0;
    double v = NAN;
    try {
      v = std::stod(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != item.size() || !std::isfinite(v) || v < 0)
      throw SpecError("sweep", "'" + item + "' is not a lambda >= 0 (e.g. --sweep 0.1,0.3,1)");
    if (std::find(out.begin(), out.end(), v) != out.end())
      throw SpecError("sweep", "lambda " + item + " given twice");
    out.push_back(v);
  }
  if (out.empty()) throw SpecError("sweep", "empty (e.g. --sweep 0.1,0.3,1)");
  return out;
}

std::string sweep_point_dir(double lambda) {
  return "lambda_" + fmt_lambda(lambda);
}

SweepResult sweep_report(const std::string& out_dir, const std::vector<double>& lambdas) {
  const fs::path out(out_dir);
  json points = json::array(), baselines = json::array();
  for (double l : lambdas) {
    const fs::path dir = out / sweep_point_dir(l);
    const json r = model::read_json_file((dir / "report.json").string(), "sweep point");
    const json& d = r.at("design");
    const json& acc = d.at("accuracy");
    const json& b = r.at("baselines");
    json p = {
        {"lambda", l},
        {"dir", sweep_point_dir(l)},
        {"accuracy",
         acc.contains("retrained_test") ? acc["retrained_test"] : acc.value("search_val", json())},
        {"accuracy_kind", acc.contains("retrained_test") ? "retrained_test" : "search_val"},
        {"one_shot_accuracy", b.is_object() ? b["cosearch"]["one_shot_val_accuracy"] : json()},
        {"edap", d["predicted"]["edap"]},
        {"latency_s", d["predicted"]["latency_s"]},
        {"energy_j", d["predicted"]["energy_j"]},
        {"area_mm2", d["predicted"]["area_mm2"]},
        {"edap_vs_baseline", r["edap_vs_baseline"]},
        {"accelerator", d["accelerator"]},
        {"max_abs_cycles_error",
         r["simulated"].is_object() ? r["simulated"]["max_abs_cycles_error"] : json()}};
    points.push_back(p);
    const json& u = r.at("baseline_uniform_8bit_on_base");
    json base = {{"lambda", l},
                 {"uniform_8bit_on_base",
                  {{"accuracy", u["test_accuracy"]}, {"edap", u["predicted"]["edap"]}}}};
    if (b.is_object()) {
      base["random_search"] = {
          {"accuracy",
           b["random_search"].is_object() ? b["random_search"]["one_shot_val_accuracy"] : json()},
          {"edap",
           b["random_search"].is_object() ? b["random_search"]["predicted"]["edap"] : json()}};
      base["hardware_only_uniform_8bit"] = {
          {"edap", b["hardware_only_uniform_8bit"].is_object()
                       ? b["hardware_only_uniform_8bit"]["predicted"]["edap"]
                       : json()}};
      base["budget_exact_evaluations"] = b["budget_exact_evaluations"];
    }
    baselines.push_back(base);
  }
  mark_front(points);

  SweepResult res;
  res.pareto = {{"points", points}, {"baselines", baselines}};
  model::write_text_file((out / "pareto.json").string(), res.pareto.dump(2) + "\n");

  std::ostringstream md;
  md << "# brickyard cosearch --sweep\n\n"
     << "| lambda | test accuracy (retrained) | one-shot val accuracy | EDAP | EDAP / uniform "
        "8-bit | latency ms | energy mJ | area mm2 | accelerator | Pareto |\n"
     << "|---|---|---|---|---|---|---|---|---|---|\n";
  for (const auto& p : points) {
    const json& a = p["accelerator"];
    char line[512];
    std::snprintf(
        line, sizeof line, "| %g | %s | %s | %s | %.3f | %.4f | %.4f | %.3f | %dx%d %s | %s |\n",
        p["lambda"].get<double>(), pct(num(p, "accuracy")).c_str(),
        pct(num(p, "one_shot_accuracy")).c_str(), sci(num(p, "edap")).c_str(),
        num(p, "edap_vs_baseline"), 1e3 * num(p, "latency_s"), 1e3 * num(p, "energy_j"),
        num(p, "area_mm2"), a.value("pe_rows", 0), a.value("pe_cols", 0),
        a.value("dataflow", std::string("?")).c_str(), p["pareto"].get<bool>() ? "yes" : "");
    md << line;
  }
  md << "\nBaselines of each point's harness (the uniform 8-bit network is that point's subnet at "
        "8 bits, trained as long):\n\n"
     << "| lambda | uniform 8-bit on base: accuracy | EDAP | random search: one-shot accuracy | "
        "EDAP | hardware-only (8-bit): EDAP |\n|---|---|---|---|---|---|\n";
  for (const auto& b : baselines) {
    const json none = json::object();
    const json& u = b["uniform_8bit_on_base"];
    const json& rs = b.contains("random_search") ? b["random_search"] : none;
    const json& ho =
        b.contains("hardware_only_uniform_8bit") ? b["hardware_only_uniform_8bit"] : none;
    char line[512];
    std::snprintf(line, sizeof line, "| %g | %s | %s | %s | %s | %s |\n", b["lambda"].get<double>(),
                  pct(num(u, "accuracy")).c_str(), sci(num(u, "edap")).c_str(),
                  pct(num(rs, "accuracy")).c_str(), sci(num(rs, "edap")).c_str(),
                  sci(num(ho, "edap")).c_str());
    md << line;
  }
  res.plot_note = plot(out, points, baselines);
  md << "\n" << res.plot_note << "\n";
  model::write_text_file((out / "pareto.md").string(), md.str());
  return res;
}

SweepResult cosearch_sweep(const CosearchConfig& cfg, const SweepOptions& sw,
                           const CosearchRun& run) {
  if (sw.lambdas.empty()) throw SpecError("sweep", "no lambda");
  const fs::path out = fs::absolute(run.out_dir);
  std::error_code ec;
  if (sw.rank == 0) {
    if (!run.resume) {
      if (fs::exists(out, ec) && !run.force)
        throw SpecError("out", "'" + out.string() + "' exists (--force replaces its files)");
      fs::create_directories(out, ec);
      if (ec || !fs::is_directory(out))
        throw SpecError("out", "cannot create '" + out.string() + "'");
      model::write_text_file((out / "config.json").string(), cfg.source.dump(2) + "\n");
      model::write_text_file((out / "sweep.json").string(),
                             json{{"lambdas", sw.lambdas}}.dump(2) + "\n");
    }
  }
  if (sw.barrier) sw.barrier(); // the directory exists for every rank
  SweepResult res;
  for (std::size_t i = 0; i < sw.lambdas.size(); ++i) {
    if (int(i % std::size_t(sw.size)) != sw.rank) continue;
    const double l = sw.lambdas[i];
    const fs::path dir = out / sweep_point_dir(l);
    if (fs::exists(dir / "report.json", ec)) {
      if (run.progress)
        std::fprintf(stderr, "sweep: lambda %g done already (%s)\n", l, dir.c_str());
      continue;
    }
    CosearchConfig c = cfg;
    c.lambda = l;
    c.name = cfg.name + " lambda " + fmt_lambda(l);
    c.source["name"] = c.name;
    c.source["hardware"]["lambda"] = l;
    CosearchRun r = run;
    r.out_dir = dir.string();
    r.resume = fs::exists(dir / "checkpoint.pt", ec);
    r.force = true; // a point without a checkpoint starts over
    if (run.progress)
      std::fprintf(stderr, "sweep: lambda %g (%zu of %zu)%s\n", l, i + 1, sw.lambdas.size(),
                   r.resume ? ", resuming" : "");
    const CosearchResult cr = cosearch(c, r);
    if (cr.interrupted) {
      res.interrupted = true;
      return res;
    }
  }
  if (sw.barrier) sw.barrier();
  if (sw.rank != 0) return res;
  return sweep_report(out.string(), sw.lambdas);
}

} // namespace brickyard::search
