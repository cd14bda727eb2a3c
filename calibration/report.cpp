// The calibration JSON (coefficients, meaning, error report) and the gnuplot scatter.
#include <sys/wait.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "calibration/calibrate.hpp"
#include "jobs/process.hpp"
#include "model/estimator.hpp"

namespace brickyard::calibration {

using model::json;

namespace {

// Six significant digits: short, stable files whose numbers are what the report used.
double round6(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return std::strtod(buf, nullptr);
}
double round3(double v) {
  return std::round(v * 1000) / 1000;
}

json metrics_json(const Metrics& m) {
  return {{"points", m.points},
          {"groups", m.groups},
          {"cycles_mape_pct", round3(m.cycles_mape)},
          {"cycles_max_err_pct", round3(m.cycles_max)},
          {"energy_mape_pct", round3(m.energy_mape)},
          {"energy_max_err_pct", round3(m.energy_max)},
          {"kendall_tau_cycles_mean", round3(m.tau_cycles_mean)},
          {"kendall_tau_cycles_min", round3(m.tau_cycles_min)},
          {"kendall_tau_energy_mean", round3(m.tau_energy_mean)},
          {"kendall_tau_energy_min", round3(m.tau_energy_min)},
          {"kendall_tau_groups", m.tau_groups}};
}

json before_after(const std::vector<Record>& recs, const model::Calibration& before,
                  const model::Calibration& after, const model::Tech& tech,
                  const std::function<bool(const Record&)>& keep) {
  return {{"before", metrics_json(evaluate(recs, before, tech, keep))},
          {"after", metrics_json(evaluate(recs, after, tech, keep))}};
}

json coefficients(const model::Calibration& c) {
  json j = model::to_json(c);
  j.erase("source");
  return j;
}

} // namespace

json report_json(const model::Calibration& fitted_in, const model::Calibration& start,
                 const std::vector<Record>& recs, const CalibrateOptions& opt,
                 const model::Tech& tech, const std::vector<Failure>& failures) {
  model::Calibration fitted = fitted_in;
  for (double& v : fitted.fill_drain) v = round6(v);
  fitted.dram_efficiency = std::min(1.0, round6(fitted.dram_efficiency));
  fitted.pe_energy_scale = round6(fitted.pe_energy_scale);
  fitted.sram_energy_scale = round6(fitted.sram_energy_scale);
  fitted.dram_energy_scale = round6(fitted.dram_energy_scale);

  int train = 0, test = 0;
  for (const auto& r : recs) (r.test ? test : train)++;
  auto is_test = [](const Record& r) { return r.test; };
  auto is_train = [](const Record& r) { return !r.test; };
  json by_df = json::object();
  for (model::Dataflow df : {model::Dataflow::WS, model::Dataflow::OS, model::Dataflow::RS})
    by_df[model::to_string(df)] = before_after(recs, start, fitted, tech, [df](const Record& r) {
      return r.test && r.accel.dataflow == df;
    });
  json by_bits = json::object();
  for (int a : {2, 4, 8})
    for (int w : {2, 4, 8})
      by_bits["a" + std::to_string(a) + "w" + std::to_string(w)] =
          before_after(recs, start, fitted, tech, [a, w](const Record& r) {
            return r.test && r.layer.a_bits == a && r.layer.w_bits == w;
          });
  // Where the error lives: points the simulator finds DRAM-bound (stalls >= 10% of the
  // cycles) vs compute-bound, and the mapper's own choice (mapping 0 of each group).
  json by_regime = {
      {"compute_bound",
       before_after(recs, start, fitted, tech,
                    [](const Record& r) { return r.test && 10 * r.stall_cycles < r.cycles; })},
      {"dram_bound", before_after(recs, start, fitted, tech, [](const Record& r) {
         return r.test && 10 * r.stall_cycles >= r.cycles;
       })}};
  json best = before_after(recs, start, fitted, tech,
                           [](const Record& r) { return r.test && r.index == 0; });
  for (auto* side : {&best["before"], &best["after"]}) // one point per group: no ranking
    for (const char* k :
         {"kendall_tau_cycles_mean", "kendall_tau_cycles_min", "kendall_tau_energy_mean",
          "kendall_tau_energy_min", "kendall_tau_groups"})
      side->erase(k);
  json failed = json::array();
  for (const auto& f : failures)
    failed.push_back(
        {{"group", f.group},
         {"points", std::to_string(f.first_point) + ".." + std::to_string(f.last_point)},
         {"reason", f.reason}});

  json j = model::to_json(fitted);
  j["source"] = "brickyard calibrate";
  j["description"] =
      "Estimator coefficients fitted to the cycle-accurate simulator (relative errors; 1-D "
      "searches for the cycle coefficients, least squares reweighted toward absolute errors for "
      "the energy scales) on the training split of a seeded Latin-hypercube sample of layers, "
      "accelerators and mappings; error_report gives the errors on the held-out split before "
      "(start coefficients) and after the fit.";
  j["meaning"] = {
      {"fill_drain", "scale of the per-tile fill/drain term of each dataflow (docs/estimator.md: "
                     "WS R+C, OS R+C-1, RS k+R cycles)"},
      {"dram_efficiency", "fraction of the nominal DRAM bits per cycle that transfers achieve"},
      {"pe_energy_scale", "multiplier on the tech table's fusion-unit energy"},
      {"sram_energy_scale", "multiplier on the tech table's SRAM energies"},
      {"dram_energy_scale", "multiplier on the tech table's DRAM energy"}};
  j["error_report"] = {
      {"sample",
       {{"points", int(recs.size())},
        {"train_points", train},
        {"test_points", test},
        {"mappings_per_group", opt.sampler.mappings_per_group},
        {"seed", opt.sampler.seed},
        {"engine", opt.run.engine},
        {"max_cycles_per_point", opt.sampler.max_cycles},
        {"csv", std::filesystem::path(opt.csv_path.empty() ? sibling_path(opt.out_path, ".csv")
                                                           : opt.csv_path)
                    .filename()
                    .string()}}},
      {"errors", "percent of the simulated value; Kendall tau-b of the estimator's ranking of "
                 "each group's mappings (one layer on one accelerator) against the simulator's"},
      {"start", coefficients(start)},
      {"held_out", before_after(recs, start, fitted, tech, is_test)},
      {"held_out_by_dataflow", by_df},
      {"held_out_by_bits", by_bits},
      {"held_out_by_regime", by_regime},
      {"held_out_best_mappings", best},
      {"train", before_after(recs, start, fitted, tech, is_train)},
      {"failed", failed}};
  return j;
}

std::string plot(const std::string& png_path, const std::vector<Record>& recs,
                 const model::Calibration& before, const model::Calibration& after,
                 const model::Tech& tech) {
  namespace fs = std::filesystem;
  const std::string dat = fs::path(png_path).replace_extension(".plot.dat").string();
  {
    std::ofstream out(dat);
    if (!out) return "plot skipped: cannot write '" + dat + "'";
    out << "# held-out points: sim_cycles est_cycles_before est_cycles_after sim_energy_j "
           "est_energy_before est_energy_after\n";
    for (const auto& r : recs) {
      if (!r.test) continue;
      model::Cost b = model::estimate(r.layer, r.accel, r.mapping, tech, before);
      model::Cost a = model::estimate(r.layer, r.accel, r.mapping, tech, after);
      out << r.cycles << ' ' << b.cycles << ' ' << a.cycles << ' ' << r.energy_j << ' '
          << b.energy_j << ' ' << a.energy_j << '\n';
    }
  }
  const std::string script = fs::path(png_path).replace_extension(".gp").string();
  {
    std::ofstream gp(script);
    gp << "set terminal pngcairo size 1400,640\n"
       << "set output '" << png_path << "'\n"
       << "set multiplot layout 1,2 title 'brickyard calibrate: estimator vs simulator "
          "(held-out points)'\n"
       << "set logscale xy\nset grid\nset key top left\n"
       << "set xlabel 'simulated cycles'\nset ylabel 'estimated cycles'\n"
       << "plot '" << dat
       << "' u 1:2 w p pt 7 ps 0.5 lc rgb '#d95f02' t 'before fit', '' u 1:3 w p pt 6 ps 0.8 lc "
          "rgb '#1b9e77' "
       << "t 'after fit', x w l lc rgb 'black' t 'y = x'\n"
       << "set xlabel 'simulated energy (J)'\nset ylabel 'estimated energy (J)'\n"
       << "set format x '%.0e'\nset format y '%.0e'\n"
       << "plot '" << dat
       << "' u 4:5 w p pt 7 ps 0.5 lc rgb '#d95f02' t 'before fit', '' u 4:6 w p pt 6 ps 0.8 lc "
          "rgb '#1b9e77' "
       << "t 'after fit', x w l lc rgb 'black' t 'y = x'\n"
       << "unset multiplot\n";
  }
  std::error_code ec;
  pid_t pid = -1;
  try {
    jobs::Redirect r;
    r.out = r.err = "/dev/null";
    pid = jobs::spawn({"gnuplot", script}, r);
  } catch (const std::exception&) {
    fs::remove(script, ec);
    return "plot skipped: gnuplot not found (data in '" + dat + "')";
  }
  const int st = jobs::wait_for(pid);
  fs::remove(script, ec);
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
    return "plot skipped: gnuplot failed (data in '" + dat + "')";
  fs::remove(dat, ec); // the CSV has everything; the PNG is what was asked for
  return "plot: " + png_path;
}

} // namespace brickyard::calibration
