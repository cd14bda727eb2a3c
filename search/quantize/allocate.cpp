#include "search/quantize/allocate.hpp"

#include <glpk.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <memory>

#include "model/error.hpp"

namespace brickyard::search {

namespace {

using model::SpecError;

void check(const AllocationProblem& p) {
  const std::size_t L = p.sensitivity.size();
  if (L == 0) throw SpecError("sensitivity", "no layers");
  const std::size_t J = p.sensitivity[0].size();
  if (J == 0) throw SpecError("sensitivity", "no options");
  auto table = [&](const std::vector<std::vector<double>>& t, const char* name, bool needed) {
    if (t.empty() && !needed) return;
    if (t.size() != L)
      throw SpecError(name,
                      "has " + std::to_string(t.size()) + " layers, not " + std::to_string(L));
    for (std::size_t l = 0; l < L; ++l) {
      if (t[l].size() != J)
        throw SpecError(std::string(name) + "[" + std::to_string(l) + "]",
                        "has " + std::to_string(t[l].size()) + " options, not " +
                            std::to_string(J));
      for (double v : t[l])
        if (!std::isfinite(v) || v < 0)
          throw SpecError(std::string(name) + "[" + std::to_string(l) + "]",
                          "values must be finite and >= 0");
    }
  };
  table(p.sensitivity, "sensitivity", true);
  table(p.latency, "latency", p.latency_budget.has_value());
  table(p.energy, "energy", p.energy_budget.has_value());
  for (auto b : {p.latency_budget, p.energy_budget})
    if (b && !(std::isfinite(*b) && *b >= 0)) throw SpecError("budget", "must be finite and >= 0");
}

struct ProbDeleter {
  void operator()(glp_prob* p) const { glp_delete_prob(p); }
};

struct GapTracker {
  double gap = 0;
};
void on_event(glp_tree* t, void* info) {
  if (glp_ios_reason(t) == GLP_IBINGO || glp_ios_reason(t) == GLP_ISELECT) {
    double g = glp_ios_mip_gap(t);
    if (std::isfinite(g)) static_cast<GapTracker*>(info)->gap = g;
  }
}

// min sum c[l][j] x[l][j] subject to the budgets; c is one of the tables.
AllocationResult solve(const AllocationProblem& p, const std::vector<std::vector<double>>& c,
                       const IlpOptions& o) {
  const int L = int(p.sensitivity.size()), J = int(p.sensitivity[0].size());
  std::unique_ptr<glp_prob, ProbDeleter> lp(glp_create_prob());
  glp_prob* P = lp.get();
  glp_set_obj_dir(P, GLP_MIN);
  glp_add_cols(P, L * J);
  for (int l = 0; l < L; ++l)
    for (int j = 0; j < J; ++j) {
      int col = l * J + j + 1;
      glp_set_col_kind(P, col, GLP_BV);
      glp_set_obj_coef(P, col, c[std::size_t(l)][std::size_t(j)]);
    }
  std::vector<int> ia(1), ja(1);
  std::vector<double> ar(1);
  auto add_row = [&](double lo, double hi, int type, auto coef) {
    int row = glp_add_rows(P, 1);
    glp_set_row_bnds(P, row, type, lo, hi);
    for (int l = 0; l < L; ++l)
      for (int j = 0; j < J; ++j) {
        double v = coef(l, j);
        if (v == 0) continue;
        ia.push_back(row);
        ja.push_back(l * J + j + 1);
        ar.push_back(v);
      }
  };
  for (int l = 0; l < L; ++l)
    add_row(1, 1, GLP_FX, [&](int ll, int) { return ll == l ? 1.0 : 0.0; });
  if (p.latency_budget)
    add_row(0, *p.latency_budget, GLP_UP,
            [&](int l, int j) { return p.latency[std::size_t(l)][std::size_t(j)]; });
  if (p.energy_budget)
    add_row(0, *p.energy_budget, GLP_UP,
            [&](int l, int j) { return p.energy[std::size_t(l)][std::size_t(j)]; });
  glp_load_matrix(P, int(ia.size()) - 1, ia.data(), ja.data(), ar.data());

  glp_iocp parm;
  glp_init_iocp(&parm);
  parm.presolve = GLP_ON; // also detects infeasibility without a separate LP solve
  parm.msg_lev = GLP_MSG_OFF;
  parm.mip_gap = o.mip_gap;
  if (o.time_limit_ms > 0) parm.tm_lim = o.time_limit_ms;
  GapTracker gap;
  parm.cb_func = on_event;
  parm.cb_info = &gap;
  const int ret = glp_intopt(P, &parm);
  const int st = glp_mip_status(P);
  AllocationResult r;
  if (ret == GLP_ENOPFS || ret == GLP_ENODFS || st == GLP_NOFEAS) {
    r.status = "infeasible";
    return r;
  }
  if (st != GLP_OPT && st != GLP_FEAS) {
    r.status = ret == GLP_ETMLIM ? "no solution within the time limit" : "solver failed";
    return r;
  }
  r.feasible = true;
  r.status = st == GLP_OPT && ret == 0 ? "optimal" : "feasible (stopped early)";
  r.gap = st == GLP_OPT && ret == 0 ? std::min(gap.gap, o.mip_gap) : gap.gap;
  if (st == GLP_OPT && ret == 0 && o.mip_gap == 0) r.gap = 0;
  r.choice.assign(std::size_t(L), 0);
  for (int l = 0; l < L; ++l)
    for (int j = 0; j < J; ++j)
      if (glp_mip_col_val(P, l * J + j + 1) > 0.5) r.choice[std::size_t(l)] = j;
  return r;
}

void totals(const AllocationProblem& p, AllocationResult& r) {
  r.objective = r.latency = r.energy = 0;
  for (std::size_t l = 0; l < r.choice.size(); ++l) {
    const auto j = std::size_t(r.choice[l]);
    r.objective += p.sensitivity[l][j];
    if (!p.latency.empty()) r.latency += p.latency[l][j];
    if (!p.energy.empty()) r.energy += p.energy[l][j];
  }
}

} // namespace

AllocationResult solve_allocation(const AllocationProblem& p, const IlpOptions& o) {
  check(p);
  auto t0 = std::chrono::steady_clock::now();
  glp_term_out(GLP_OFF);
  AllocationResult r = solve(p, p.sensitivity, o);
  if (r.feasible) {
    totals(p, r);
  } else if (r.status == "infeasible") {
    // The smallest budget of each kind that would admit a solution, the other as given:
    // minimize that cost alone without its own budget.
    auto smallest = [&](std::optional<double> AllocationProblem::*budget,
                        const std::vector<std::vector<double>>& cost, bool latency) {
      AllocationProblem q = p;
      (q.*budget).reset();
      AllocationResult m = solve(q, cost, IlpOptions{});
      if (!m.feasible) return std::optional<double>();
      totals(q, m);
      return std::optional<double>(latency ? m.latency : m.energy);
    };
    if (p.latency_budget)
      r.min_latency_budget = smallest(&AllocationProblem::latency_budget, p.latency, true);
    if (p.energy_budget)
      r.min_energy_budget = smallest(&AllocationProblem::energy_budget, p.energy, false);
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

AllocationResult brute_force_allocation(const AllocationProblem& p) {
  check(p);
  const std::size_t L = p.sensitivity.size(), J = p.sensitivity[0].size();
  std::vector<int> c(L, 0);
  AllocationResult best;
  best.status = "infeasible";
  double best_obj = std::numeric_limits<double>::infinity();
  const double eps = 1e-9;
  while (true) {
    AllocationResult r;
    r.choice = c;
    totals(p, r);
    bool ok = (!p.latency_budget || r.latency <= *p.latency_budget * (1 + eps)) &&
              (!p.energy_budget || r.energy <= *p.energy_budget * (1 + eps));
    if (ok && r.objective < best_obj) {
      best_obj = r.objective;
      best = r;
      best.feasible = true;
      best.status = "optimal";
    }
    std::size_t i = 0;
    while (i < L && ++c[i] == int(J)) c[i++] = 0;
    if (i == L) break;
  }
  return best;
}

} // namespace brickyard::search
