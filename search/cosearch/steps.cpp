#include "search/cosearch/steps.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "model/design.hpp"
#include "model/error.hpp"
#include "model/estimator.hpp"
#include "model/json_io.hpp"
#include "search/nn/clock.hpp"
#include "sysc/service.hpp"

namespace brickyard::search {

namespace fs = std::filesystem;
using json = nlohmann::json;
using model::SpecError;

// ---- helpers -----------------------------------------------------------------------------

std::string pct(double fraction) {
  char b[32];
  std::snprintf(b, sizeof b, "%.2f%%", 100 * fraction);
  return b;
}

double edap(double e, double l, double a) {
  return e * l * a;
}

json cost_json(const HwEval& ev) {
  json layers = json::array();
  for (std::size_t i = 0; i < ev.layers.size(); ++i)
    layers.push_back({{"cycles", ev.layers[i].cycles},
                      {"latency_s", double(ev.layers[i].cycles) / ev.accel.clock_hz},
                      {"energy_j", ev.layers[i].energy_j}});
  return {{"latency_s", ev.latency_s},
          {"energy_j", ev.energy_j},
          {"area_mm2", ev.area_mm2},
          {"edap", edap(ev.energy_j, ev.latency_s, ev.area_mm2)},
          {"layers", layers}};
}

void progress_line(bool progress, const std::string& s) {
  if (progress) std::fprintf(stderr, "cosearch: %s\n", s.c_str());
}

// A preset space takes the data set's input shape and class count (fbnet22 serves CIFAR-10
// and CIFAR-100, small serves Fashion-MNIST and CIFAR); a space file must match them.
SearchSpace space_for_data(const std::string& name, DataFormat f) {
  SearchSpace s = load_space(name);
  const int ch = f == DataFormat::FashionMnist ? 1 : 3;
  const int size = f == DataFormat::FashionMnist ? 28 : 32;
  const int classes = f == DataFormat::Cifar100 ? 100 : 10;
  const auto presets = preset_names();
  if (std::find(presets.begin(), presets.end(), name) != presets.end()) {
    s.in_channels = ch, s.input_size = size, s.num_classes = classes;
    validate(s);
  } else if (s.in_channels != ch || s.input_size != size || s.num_classes != classes) {
    throw SpecError("space", "'" + name + "' takes " + std::to_string(s.in_channels) + "x" +
                                 std::to_string(s.input_size) + "x" + std::to_string(s.input_size) +
                                 " inputs and " + std::to_string(s.num_classes) +
                                 " classes; the data set has " + std::to_string(ch) + "x" +
                                 std::to_string(size) + "x" + std::to_string(size) + " and " +
                                 std::to_string(classes));
  }
  return s;
}

HwCost::SoftSubnet soft_subnet(SupernetImpl& net, const ArchChoice& argmax, double tau) {
  const SearchSpace& space = net.space();
  const auto& shapes = net.shapes();
  std::vector<torch::Tensor> rows, weights;
  std::vector<model::Layer> row_layers;
  auto abits = torch::tensor(std::vector<float>(space.a_bits.begin(), space.a_bits.end())) / 8.0;
  auto wbits = torch::tensor(std::vector<float>(space.w_bits.begin(), space.w_bits.end())) / 8.0;
  // Fixed layers (not in any block): from the argmax description.
  const auto all = describe(space, argmax);
  for (const auto& l : all)
    if (l.name.rfind("b", 0) != 0 || l.name.find('.') == std::string::npos) {
      rows.push_back(encode_layers({l}));
      weights.push_back(torch::ones({1}));
      row_layers.push_back(l);
    }
  for (std::size_t b = 0; b < shapes.size(); ++b) {
    auto g = torch::softmax(net.alpha[b] / tau, 0);
    for (std::size_t i = 0; i < shapes[b].ops.size(); ++i) {
      ArchChoice c = argmax;
      c.op[b] = int(i);
      const std::string prefix = "b" + std::to_string(b) + ".";
      std::vector<model::Layer> mine;
      for (const auto& l : describe(space, c))
        if (l.name.rfind(prefix, 0) == 0) mine.push_back(l);
      if (mine.empty()) continue; // skip: no layers
      auto enc = encode_layers(mine);
      auto ea = (torch::softmax(net.beta_a[b][std::int64_t(i)] / tau, 0) * abits).sum();
      auto ew = (torch::softmax(net.beta_w[b][std::int64_t(i)] / tau, 0) * wbits).sum();
      const auto n = enc.size(0);
      enc = torch::cat({enc.slice(1, 0, 5), ea.expand({n, 1}), ew.expand({n, 1})}, 1);
      rows.push_back(enc);
      weights.push_back(g[std::int64_t(i)].expand({n}));
      row_layers.insert(row_layers.end(), mine.begin(), mine.end());
    }
  }
  return {torch::cat(rows, 0), torch::cat(weights, 0), std::move(row_layers)};
}

std::unique_ptr<HwCost> normalized_cost(const CosearchConfig& cfg, const model::Tech& tech,
                                        const model::Calibration& cal,
                                        const std::vector<model::Layer>& layers8, HwEval* ref) {
  // References (Eq. 9 normalizers): uniform 8-bit initial argmax subnet on the base accelerator.
  HwCostOptions hwo = cfg.hw;
  HwCost ref_cost(cfg.hw_space, tech, cal, hwo);
  const HwEval r = ref_cost.exact(layers8, cfg.hw_space.base);
  hwo.ref_energy_j = r.energy_j;
  hwo.ref_latency_s = r.latency_s;
  hwo.ref_area_mm2 = r.area_mm2;
  if (ref) *ref = r;
  auto cost = std::make_unique<HwCost>(cfg.hw_space, tech, cal, hwo);
  if (!cfg.cost_model.empty()) cost->load_cost_model(cfg.cost_model, "hardware.cost_model");
  return cost;
}

std::array<int, kNumHeads> random_accelerator(const HwSpace& space, std::mt19937_64& rng) {
  std::array<int, kNumHeads> h{};
  for (int i = 0; i < kNumHeads; ++i) h[i] = int(rng() % std::uint64_t(space.options(HwHead(i))));
  return h;
}

HwEval hardware_search(HwCost& hw, const HwSpace& space, const std::vector<model::Layer>& layers,
                       int budget, std::mt19937_64& rng) {
  HwEval best;
  double best_cost = 1e300;
  for (int i = 0; i < budget; ++i) {
    HwEval ev = hw.exact(layers, space.accelerator(random_accelerator(space, rng)));
    if (ev.cost < best_cost) best_cost = ev.cost, best = std::move(ev);
  }
  return best;
}

// ---- steps -------------------------------------------------------------------------------

RunDir prepare_run_dir(const CosearchConfig& cfg, const CosearchRun& run) {
  if (run.out_dir.empty()) throw SpecError("out", "missing (--out DIR)");
  const fs::path out = fs::absolute(run.out_dir);
  const fs::path checkpoint = out / "checkpoint.pt";
  std::error_code ec;
  if (run.resume) {
    if (!fs::exists(checkpoint, ec))
      throw SpecError("resume", "no checkpoint in '" + out.string() + "'");
  } else {
    if (fs::exists(out, ec) && !run.force)
      throw SpecError("out", "'" + out.string() + "' exists (--force replaces its files)");
    fs::create_directories(out, ec);
    if (ec || !fs::is_directory(out))
      throw SpecError("out", "cannot create '" + out.string() + "'");
    fs::remove(checkpoint, ec);
    model::write_text_file((out / "config.json").string(), cfg.source.dump(2) + "\n");
  }
  return {out, checkpoint};
}

Problem load_problem(const CosearchConfig& cfg) {
  torch::manual_seed(cfg.seed);
  at::set_num_threads(cfg.search.threads);
  Problem p;
  p.data = load(cfg.data);
  p.split = p.data.split(cfg.data);
  p.space = space_for_data(cfg.space, cfg.data.format);
  p.net = Supernet(p.space, cfg.supernet);
  p.tech = model::load_tech(cfg.hw_space.base.tech);
  p.cal = model::load_calibration(cfg.calibration);
  return p;
}

Hardware setup_hardware(const CosearchConfig& cfg, const CosearchRun& run, Problem& p) {
  auto say = [&run](const std::string& s) { progress_line(run.progress, s); };
  Hardware h;
  h.layers8 = describe(p.space, with_bits(argmax_choice(*p.net), 8));
  h.cost = normalized_cost(cfg, p.tech, p.cal, h.layers8, &h.ref);
  const HwEval& ref = h.ref;
  HwGenOptions go = cfg.gen;
  go.max_layers = std::max<int>(go.max_layers, int(h.layers8.size()));
  h.gen = HwGenNet(cfg.hw_space, go);
  h.gen->prefer(cfg.hw_space.base, cfg.hw_prior); // start from the base accelerator
  h.opt = std::make_unique<torch::optim::Adam>(h.gen->parameters(),
                                               torch::optim::AdamOptions(cfg.hw_lr));
  say("reference: uniform 8-bit initial subnet on " + std::to_string(cfg.hw_space.base.pe_rows) +
      "x" + std::to_string(cfg.hw_space.base.pe_cols) +
      " base accelerator: " + std::to_string(ref.latency_s * 1e3) + " ms, " +
      std::to_string(ref.energy_j * 1e3) + " mJ, " + std::to_string(ref.area_mm2) + " mm2");
  // On resume the checkpoint has the surrogate; a cost model trained offline and frozen
  // (no online steps) has nothing to learn from a warm-up.
  const bool frozen = !cfg.cost_model.empty() && cfg.hw.surrogate_steps == 0;
  if (cfg.warm_up_samples > 0 && !run.resume && !frozen) {
    auto tw = Clock::now();
    h.cost->warm_up(h.layers8, cfg.warm_up_samples, cfg.seed);
    say("cost surrogate warmed up on " + std::to_string(cfg.warm_up_samples) +
        " random accelerators in " + std::to_string(since(tw)) + " s (fit loss " +
        std::to_string(h.cost->surrogate_loss()) + ")");
  }
  return h;
}

SearchOutcome run_search(const CosearchConfig& cfg, const CosearchRun& run, const RunDir& dir,
                         Problem& p, Hardware& h) {
  const SearchSpace& space = p.space;
  Supernet& net = p.net;
  HwCost& hw = *h.cost;
  HwGenNet& gen = h.gen;
  torch::optim::Adam& gen_opt = *h.opt;
  auto say = [&run](const std::string& s) { progress_line(run.progress, s); };
  SearchOutcome s;
  // The hardware term of every architecture step.
  std::int64_t& arch_steps = s.arch_steps;
  double &hw_seconds = s.hw_seconds, &last_cost = s.last_cost;
  json& hw_log = s.hw_log;
  // Exploration: how often the hard Gumbel sample of the generation network is not its
  // noise-free argmax (a search that samples away from its argmax most steps explores at
  // random), and the argmax accelerator at the end of every epoch.
  std::int64_t& departures = s.gumbel_departures;
  std::int64_t epoch_steps = 0, epoch_departures = 0;
  std::array<int, kNumHeads> argmax_hw{};
  ArchHook hook;
  hook.loss = [&](SupernetImpl& n, double tau) {
    auto th = Clock::now();
    gen_opt.zero_grad();
    const ArchChoice c = argmax_choice(n);
    const auto layers = describe(space, c);
    const auto ops = encode_layers(layers);
    HwGenOutput g = gen->forward(ops, tau);
    for (int k = 0; k < kNumHeads; ++k)
      argmax_hw[std::size_t(k)] = int(g.logits[std::size_t(k)].argmax().item<std::int64_t>());
    const bool departed = argmax_hw != g.choice;
    departures += departed, epoch_departures += departed, ++epoch_steps;
    const auto soft = soft_subnet(n, c, tau);
    HwEval ev = hw.evaluate(layers, ops, g, &soft);
    if (cfg.disagreement_every > 0 && arch_steps % cfg.disagreement_every == 0) {
      // Counted checks (near-ties are skipped), at most 4x as many attempts.
      const std::int64_t want = hw.checks() + cfg.disagreement_checks;
      for (int k = 0; k < 4 * cfg.disagreement_checks && hw.checks() < want; ++k)
        hw.check_disagreement(layers, g,
                              cfg.seed + 1000003 * std::uint64_t(arch_steps) + std::uint64_t(k));
    }
    ++arch_steps;
    last_cost = ev.cost;
    hw_seconds += since(th);
    return cfg.lambda * ev.loss;
  };
  hook.after_backward = [&]() { gen_opt.step(); };
  hook.save = [&](torch::serialize::OutputArchive& a) {
    torch::serialize::OutputArchive g, o, h;
    gen->save(g);
    a.write("generator", g);
    gen_opt.save(o);
    a.write("generator_optimizer", o);
    hw.save(h);
    a.write("cost", h);
    write_values(a, "counters",
                 {double(arch_steps), hw_seconds, last_cost, double(departures),
                  double(epoch_steps), double(epoch_departures)});
    write_text(a, "epochs_log", hw_log.dump());
  };
  hook.load = [&](torch::serialize::InputArchive& a) {
    torch::serialize::InputArchive g, o, h;
    a.read("generator", g);
    gen->load(g);
    a.read("generator_optimizer", o);
    gen_opt.load(o);
    a.read("cost", h);
    hw.load(h);
    const auto c = read_values(a, "counters");
    arch_steps = std::int64_t(c.at(0)), hw_seconds = c.at(1), last_cost = c.at(2);
    if (c.size() >= 6) // checkpoints before the exploration counters lack them
      departures = std::int64_t(c[3]), epoch_steps = std::int64_t(c[4]),
      epoch_departures = std::int64_t(c[5]);
    hw_log = json::parse(read_text(a, "epochs_log"));
  };
  hook.end_of_epoch = [&](const EpochStats& e) {
    const ArchChoice c = argmax_choice(*net);
    json j = {{"epoch", e.epoch},
              {"val_accuracy", e.val_accuracy},
              {"hw_cost", last_cost},
              {"surrogate_disagreement", hw.disagreement_rate()},
              {"surrogate_disagreement_checks", hw.checks()},
              {"gumbel_departure_share",
               epoch_steps ? double(epoch_departures) / double(epoch_steps) : 0.0},
              {"architecture_steps", epoch_steps},
              {"accelerator_argmax", model::to_json(cfg.hw_space.accelerator(argmax_hw))},
              {"choice", to_json(space, c)}};
    epoch_steps = epoch_departures = 0;
    hw_log.push_back(j);
    say("epoch " + std::to_string(e.epoch + 1) + ": hardware cost " + std::to_string(last_cost) +
        " (1 = reference), surrogate disagreement " + std::to_string(100 * hw.disagreement_rate()) +
        "% of " + std::to_string(hw.checks()) + " checks");
  };
  SearchOptions so = cfg.search;
  so.progress = run.progress;
  so.log_path = (dir.out / "search_log.jsonl").string();
  so.checkpoint_path = dir.checkpoint.string();
  so.resume = run.resume;
  so.stop = run.stop;
  so.stop_after_iters = run.stop_after_iters;
  if (run.resume) say("resuming from " + dir.checkpoint.string());
  s.result = search(*net, p.data, p.split, so, &hook);
  s.disagreement_rate = hw.disagreement_rate();
  s.disagreement_checks = hw.checks();
  return s;
}

Derived derive_design(const CosearchConfig& cfg, const CosearchRun& run, const RunDir& dir,
                      Problem& p, Hardware& h, const SearchOutcome& s) {
  const SearchSpace& space = p.space;
  HwCost& hw = *h.cost;
  const SearchResult& sr = s.result;
  Derived d;
  // Derive: subnet, bits, accelerator (noise-free argmax of the generation network), mappings.
  d.choice = sr.choice;
  const ArchChoice& choice = d.choice;
  d.layers = describe(space, choice);
  HwGenOutput g;
  {
    torch::NoGradGuard ng;
    g = h.gen->forward(encode_layers(d.layers), sr.final_tau, true, false);
  }
  d.accel = cfg.hw_space.accelerator(g.choice);
  const model::Accelerator& accel = d.accel;
  d.final_ev = hw.exact(d.layers, accel);
  const HwEval& final_ev = d.final_ev;
  const model::Network derived = to_network(space, choice);
  d.base8 = hw.exact(describe(space, with_bits(choice, 8)), cfg.hw_space.base);
  const HwEval& base8 = d.base8;
  progress_line(run.progress,
                "derived: " + std::to_string(d.layers.size()) + " layers on " +
                    std::to_string(accel.pe_rows) + "x" + std::to_string(accel.pe_cols) + " " +
                    model::to_string(accel.dataflow) + ", EDAP " +
                    std::to_string(edap(final_ev.energy_j, final_ev.latency_s, final_ev.area_mm2) /
                                   edap(base8.energy_j, base8.latency_s, base8.area_mm2)) +
                    " of the uniform 8-bit subnet on the base accelerator");
  torch::save(p.net, (dir.out / "supernet.pt").string());

  d.design = {
      {"network", model::to_json(derived)},
      {"accelerator", model::to_json(accel)},
      {"mappings", json::array()},
      {"choice", to_json(space, choice)},
      {"predicted", cost_json(final_ev)},
      {"accuracy", {{"search_val", sr.epochs.empty() ? 0.0 : sr.epochs.back().val_accuracy}}},
      {"cosearch",
       {{"config", cfg.name},
        {"space", to_json(space)},
        {"data_root", cfg.data.root},
        {"seed", cfg.seed},
        {"supernet", "supernet.pt"}}}};
  for (const auto& m : final_ev.mappings) d.design["mappings"].push_back(model::to_json(m));
  return d;
}

void save_design(const RunDir& dir, const json& design) {
  model::write_text_file((dir.out / "design.json").string(), design.dump(2) + "\n");
}

json verify_in_simulation(const CosearchConfig& cfg, const CosearchRun& run, const RunDir& dir,
                          const HwEval& final_ev, json& design) {
  const fs::path& out = dir.out;
  auto say = [&run](const std::string& s) { progress_line(run.progress, s); };
  // Cycle-accurate check of the final design.
  json sim = nullptr;
  if (cfg.simulate) {
    say("simulating the design cycle by cycle (a brickyard-sim worker)");
    // The design as saved: what `brickyard simulate --design design.json` runs.
    const model::Design d = model::load_design((out / "design.json").string());
    sysc::SimJob job;
    job.id = "the co-searched design";
    job.network = d.network;
    job.accel = d.accelerator;
    job.mappings = d.mappings;
    sysc::ServiceOptions so;
    so.worker_command = run.sim_worker_command;
    const sysc::SimStats s = sysc::simulate_job(job, so);
    json rows = json::array();
    double worst = 0;
    for (std::size_t i = 0; i < s.layers.size(); ++i) {
      const auto& l = s.layers[i];
      const double est = double(final_ev.layers[i].cycles);
      const double simc = double(l.cycles);
      const double err = simc > 0 ? (est - simc) / simc : 0;
      worst = std::max(worst, std::abs(err));
      rows.push_back({{"name", l.name},
                      {"est_cycles", est},
                      {"sim_cycles", simc},
                      {"cycles_error", err},
                      {"est_energy_j", final_ev.layers[i].energy_j},
                      {"sim_energy_j", l.energy_j},
                      {"bit_exact", l.mismatches == 0}});
    }
    sim = {{"layers", rows},
           {"latency_s", s.latency_s},
           {"energy_j", s.energy_j},
           {"max_abs_cycles_error", worst},
           {"outputs_bit_exact", sysc::mismatches(s) == 0}};
    design["simulated"] = sim;
    model::write_text_file((out / "design.json").string(), design.dump(2) + "\n");
  }
  return sim;
}

namespace {

// report.md: the design against the uniform 8-bit baseline, the baselines of the same
// harness, estimated vs simulated cycles, the search's own numbers.
std::string report_markdown(const CosearchConfig& cfg, const SearchOutcome& s, const Derived& d,
                            double base_acc, const json& baselines, const json& sim) {
  const SearchResult& sr = s.result;
  const model::Accelerator& accel = d.accel;
  const HwEval &final_ev = d.final_ev, &base8 = d.base8;
  const json& design = d.design;
  const std::int64_t arch_steps = s.arch_steps;
  const double hw_seconds = s.hw_seconds;
  const double e_final = edap(final_ev.energy_j, final_ev.latency_s, final_ev.area_mm2);
  const double e_base = edap(base8.energy_j, base8.latency_s, base8.area_mm2);
  std::ostringstream md;
  char line[512];
  md << "# brickyard cosearch: " << cfg.name << "\n\n";
  std::snprintf(line, sizeof line,
                "| | accuracy (test) | latency ms | energy mJ | area mm2 | EDAP (J s mm2) |\n"
                "|---|---|---|---|---|---|\n"
                "| found design (%dx%d %s) | %s | %.4f | %.4f | %.3f | %.3e |\n"
                "| uniform 8-bit on the base %dx%d %s | %s | %.4f | %.4f | %.3f | %.3e |\n\n",
                accel.pe_rows, accel.pe_cols, model::to_string(accel.dataflow),
                design["accuracy"].contains("retrained_test")
                    ? pct(design["accuracy"]["retrained_test"].get<double>()).c_str()
                    : "-",
                final_ev.latency_s * 1e3, final_ev.energy_j * 1e3, final_ev.area_mm2, e_final,
                cfg.hw_space.base.pe_rows, cfg.hw_space.base.pe_cols,
                model::to_string(cfg.hw_space.base.dataflow),
                base_acc >= 0 ? pct(base_acc).c_str() : "-", base8.latency_s * 1e3,
                base8.energy_j * 1e3, base8.area_mm2, e_base);
  md << line;
  std::snprintf(line, sizeof line, "EDAP ratio (found / baseline): %.3f (%.1fx lower)\n\n",
                e_final / e_base, e_base / e_final);
  md << line;
  if (!baselines.is_null()) {
    auto row = [&](const char* name, const json& b, const char* acc_key) {
      const json& p = b["predicted"];
      std::snprintf(line, sizeof line, "| %s | %s | %s | %.4f | %.4f | %.3f | %.3e |\n", name,
                    acc_key && b.contains(acc_key) ? pct(b[acc_key].get<double>()).c_str() : "-",
                    b.contains("test_accuracy") ? pct(b["test_accuracy"].get<double>()).c_str()
                                                : "-",
                    1e3 * p["latency_s"].get<double>(), 1e3 * p["energy_j"].get<double>(),
                    p["area_mm2"].get<double>(), p["edap"].get<double>());
      md << line;
    };
    const auto budget = baselines["budget_exact_evaluations"].get<std::int64_t>();
    const auto steps = baselines["cosearch_architecture_steps"].get<std::int64_t>();
    md << "Baselines at " << budget << " exact hardware evaluations each (the co-search made "
       << steps << " architecture steps"
       << (budget < steps ? ", more than hardware.baseline_max" : "") << "; one-shot accuracy on "
       << baselines["validation_images"].get<std::int64_t>() << " validation images):\n\n"
       << "| | one-shot val accuracy | test accuracy (retrained) | latency ms | energy mJ | area "
          "mm2 | EDAP |\n"
       << "|---|---|---|---|---|---|---|\n";
    row("co-search", baselines["cosearch"], "one_shot_val_accuracy");
    if (!baselines["random_search"].is_null())
      row("random search (joint space)", baselines["random_search"], "one_shot_val_accuracy");
    if (!baselines["hardware_only_uniform_8bit"].is_null())
      row("hardware-only, uniform 8-bit network", baselines["hardware_only_uniform_8bit"], nullptr);
    if (baselines.contains("cosearch_dominates_random_search"))
      md << "\nThe co-search design "
         << (baselines["cosearch_dominates_random_search"].get<bool>() ? "dominates"
                                                                       : "does not dominate")
         << " the random-search winner (test accuracy after the same retraining, and EDAP).\n";
    md << "\n";
  }
  if (!sim.is_null()) {
    md << "Estimated vs simulated (cycle-accurate SystemC, native engine):\n\n"
       << "| layer | est cycles | sim cycles | error | est uJ | sim uJ | outputs |\n"
       << "|---|---|---|---|---|---|---|\n";
    for (const auto& r : sim["layers"]) {
      std::snprintf(line, sizeof line, "| %s | %.0f | %.0f | %+.2f%% | %.3f | %.3f | %s |\n",
                    r["name"].get<std::string>().c_str(), r["est_cycles"].get<double>(),
                    r["sim_cycles"].get<double>(), 100 * r["cycles_error"].get<double>(),
                    1e6 * r["est_energy_j"].get<double>(), 1e6 * r["sim_energy_j"].get<double>(),
                    r["bit_exact"].get<bool>() ? "bit-exact" : "WRONG");
      md << line;
    }
  }
  std::snprintf(line, sizeof line,
                "\nSearch: %zu epochs in %.0f s; hardware term %.1f ms per architecture step "
                "(%lld steps); surrogate disagreement %.1f%% of %lld checks.\n",
                sr.epochs.size(), sr.seconds,
                arch_steps ? 1e3 * hw_seconds / double(arch_steps) : 0.0, (long long)arch_steps,
                100 * s.disagreement_rate, (long long)s.disagreement_checks);
  md << line;
  return md.str();
}

} // namespace

CosearchReport make_report(const CosearchConfig& cfg, const SearchOutcome& s, const Derived& d,
                           const Retrained& r, const Baselines& b, const json& sim,
                           double seconds) {
  const SearchResult& sr = s.result;
  const HwEval &final_ev = d.final_ev, &base8 = d.base8;
  const json& design = d.design;
  const std::int64_t arch_steps = s.arch_steps;
  const double hw_seconds = s.hw_seconds;
  const double base_acc = r.base_acc;
  const json &retrain = r.report, &baselines = b.report;
  const json& hw_log = s.hw_log;
  const double e_final = edap(final_ev.energy_j, final_ev.latency_s, final_ev.area_mm2);
  const double e_base = edap(base8.energy_j, base8.latency_s, base8.area_mm2);
  json report = {{"config", cfg.name},
                 {"seconds", seconds},
                 {"search",
                  {{"epochs", sr.epochs.size()},
                   {"seconds", sr.seconds},
                   {"hardware_seconds", hw_seconds},
                   {"architecture_steps", arch_steps},
                   {"hardware_seconds_per_step", arch_steps ? hw_seconds / double(arch_steps) : 0},
                   {"surrogate_disagreement", s.disagreement_rate},
                   {"gumbel_departure_share",
                    arch_steps ? double(s.gumbel_departures) / double(arch_steps) : 0.0},
                   {"surrogate_disagreement_checks", s.disagreement_checks},
                   {"cost_model", cfg.cost_model.empty() ? json("none") : json(cfg.cost_model)},
                   {"surrogate_steps", cfg.hw.surrogate_steps},
                   // Deprecated names of the two above (one release).
                   {"misguided_rate", s.disagreement_rate},
                   {"misguided_checks", s.disagreement_checks},
                   {"epochs_log", hw_log}}},
                 {"design",
                  {{"accuracy", design["accuracy"]},
                   {"predicted", cost_json(final_ev)},
                   {"accelerator", model::to_json(d.accel)}}},
                 {"baseline_uniform_8bit_on_base",
                  {{"predicted", cost_json(base8)},
                   {"test_accuracy", base_acc >= 0 ? json(base_acc) : json(nullptr)},
                   {"accelerator", model::to_json(cfg.hw_space.base)}}},
                 {"edap_vs_baseline", e_base > 0 ? e_final / e_base : 0},
                 {"retrain", retrain},
                 {"baselines", baselines},
                 {"simulated", sim}};
  return {report, report_markdown(cfg, s, d, base_acc, baselines, sim)};
}

void write_report(const RunDir& dir, const CosearchReport& r) {
  model::write_text_file((dir.out / "report.json").string(), r.report.dump(2) + "\n");
  model::write_text_file((dir.out / "report.md").string(), r.markdown);
}

} // namespace brickyard::search
