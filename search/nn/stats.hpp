#pragma once
// Small statistics shared by the pipelines (quantize's sensitivity check, the cost model's
// held-out report).
#include <vector>

namespace brickyard::search {

// Spearman's rho: Pearson correlation of the ranks (ties get their average rank). Needs
// equal sizes >= 2 (std::invalid_argument otherwise); 0 if either side is constant.
double spearman(const std::vector<double>& x, const std::vector<double>& y);

} // namespace brickyard::search
