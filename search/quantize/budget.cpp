#include "search/quantize/budget.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <utility>
#include <vector>

#include "model/error.hpp"

namespace brickyard::search {

using model::SpecError;

Budget parse_budget(const std::string& text, BudgetKind kind, const std::string& field) {
  const char* s = text.c_str();
  char* end = nullptr;
  const double v = std::strtod(s, &end);
  if (end == s || text.empty() || !std::isfinite(v))
    throw SpecError(field, "'" + text + "' is not a budget (e.g. 0.8, 0.8x, 80%, " +
                               (kind == BudgetKind::Latency ? "2.5ms)" : "1.2mJ)"));
  const std::string unit(end);
  if (!(v > 0)) throw SpecError(field, "must be > 0 (got '" + text + "')");
  Budget b;
  if (unit.empty()) {
    if (v > 10)
      throw SpecError(field,
                      "'" + text + "' is large for a fraction of uniform 8-bit: give a unit (" +
                          (kind == BudgetKind::Latency ? "ms, us, s" : "mJ, uJ, J") + ") or an x");
    b.value = v;
    return b;
  }
  if (unit == "x") {
    b.value = v;
    return b;
  }
  if (unit == "%") {
    b.value = v / 100;
    return b;
  }
  const std::vector<std::pair<std::string, double>> units =
      kind == BudgetKind::Latency
          ? std::vector<std::pair<std::string, double>>{{"s", 1},
                                                        {"ms", 1e-3},
                                                        {"us", 1e-6},
                                                        {"ns", 1e-9}}
          : std::vector<std::pair<std::string, double>>{
                {"J", 1}, {"mJ", 1e-3}, {"uJ", 1e-6}, {"nJ", 1e-9}, {"pJ", 1e-12}};
  for (const auto& [u, scale] : units)
    if (unit == u) {
      b.relative = false;
      b.value = v * scale;
      return b;
    }
  throw SpecError(field,
                  "unknown unit '" + unit + "' in '" + text + "' (x, %, " +
                      (kind == BudgetKind::Latency ? "s, ms, us, ns)" : "J, mJ, uJ, nJ, pJ)"));
}

Budgets parse_budget_list(const std::string& text, const std::string& field) {
  Budgets out;
  std::size_t pos = 0;
  if (text.empty()) throw SpecError(field, "empty (e.g. latency=0.8,energy=0.9)");
  while (pos <= text.size()) {
    const auto comma = text.find(',', pos);
    const std::string item =
        text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    const auto eq = item.find('=');
    if (eq == std::string::npos)
      throw SpecError(field, "'" + item + "' is not key=value (latency=0.8,energy=0.9)");
    const std::string key = item.substr(0, eq), value = item.substr(eq + 1);
    if (key == "latency") {
      if (out.latency) throw SpecError(field, "latency given twice");
      out.latency = parse_budget(value, BudgetKind::Latency, field + ".latency");
    } else if (key == "energy") {
      if (out.energy) throw SpecError(field, "energy given twice");
      out.energy = parse_budget(value, BudgetKind::Energy, field + ".energy");
    } else {
      throw SpecError(field, "unknown budget '" + key + "' (latency, energy)");
    }
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return out;
}

std::string budget_text(const Budget& b, BudgetKind kind) {
  char buf[64];
  if (b.relative)
    std::snprintf(buf, sizeof buf, "%.3fx of uniform 8-bit", b.value);
  else if (kind == BudgetKind::Latency)
    std::snprintf(buf, sizeof buf, "%.4f ms", b.value * 1e3);
  else
    std::snprintf(buf, sizeof buf, "%.4f uJ", b.value * 1e6);
  return buf;
}

} // namespace brickyard::search
