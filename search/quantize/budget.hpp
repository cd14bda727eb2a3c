#pragma once
// Latency and energy budgets of `brickyard quantize` (issue 10 item 3): relative to the
// uniform 8-bit network on the same accelerator ("0.8", "0.8x", "80%"; a plain number must
// be <= 10 to count as relative) or absolute with a unit (latency "2.5ms", "300us",
// "0.002s", "900ns"; energy "1.2mJ", "30uJ", "0.001J", "500nJ", "40pJ").
// No LibTorch here.
#include <optional>
#include <string>

namespace brickyard::search {

enum class BudgetKind { Latency, Energy };

struct Budget {
  bool relative = true; // fraction of uniform 8-bit
  double value = 1;     // fraction, or seconds / joules
  // Seconds or joules, given the uniform 8-bit total.
  double absolute(double uniform8) const { return relative ? value * uniform8 : value; }
};

// SpecError(field) on anything else (no number, unknown unit, <= 0, relative > 10 without
// an "x" or "%").
Budget parse_budget(const std::string& text, BudgetKind kind, const std::string& field);

struct Budgets {
  std::optional<Budget> latency, energy;
};
// "latency=0.8,energy=0.9" (either or both), the docs/design.md `--budget` form.
Budgets parse_budget_list(const std::string& text, const std::string& field);

// "0.80x of uniform 8-bit" / "2.500 ms" / "1.200 mJ": for messages.
std::string budget_text(const Budget& b, BudgetKind kind);

} // namespace brickyard::search
