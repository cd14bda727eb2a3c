#pragma once
// JAQ Eq. 2 quantizer (seeds/jaq-paper.txt):  Q(V) = round(clip(V/s, min_b, max_b)) * s,
// s = (max(V) - min(V)) / (2^b - 1), with a straight-through gradient.
//
// Implemented affine form, with lo = min(V), hi = max(V), n = 2^b - 1, s = (hi - lo) / n:
//   Q(V) = lo + s * round(clip((V - lo) / s, 0, n))                       (levels k = 0..n)
// This is Eq. 2 applied to V - lo with the integer range [min_b, max_b] = [0, 2^b - 1]:
// Eq. 2 as printed anchors its grid at 0, so for a range not containing a multiple of s at
// its ends it gives 2^b - 1 or 2^b + 1 levels and misses min/max; shifting by lo (a real
// zero point, i.e. asymmetric quantization) gives exactly 2^b levels that include lo and hi
// exactly (level n is returned as hi itself, not lo + n*s, so no rounding drift), which
// makes Q idempotent. s = 0 (constant tensor) is guarded: Q(V) = V.
//
// Gradient (straight-through estimator): dQ/dV = 1 where lo <= V <= hi, 0 outside (only an
// explicit range can leave V outside). lo/hi computed from V are statistics: no gradient.
#include <cstdint>

#include <torch/arg.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

namespace brickyard::search {

enum class QuantRange {
  PerTensor,  // one [min, max] for the whole tensor
  PerChannel, // one [min, max] per index of dim 0 (output channel of a weight)
};

// b in {2, 4, 8}; other b throw model::SpecError("bits").
void check_bits(int bits);

// Range taken from v itself.
torch::Tensor quantize(const torch::Tensor& v, int bits, QuantRange range = QuantRange::PerTensor);

// Explicit range (e.g. EMA statistics of activations); lo/hi broadcast against v, values
// outside are clipped and get zero gradient. Requires hi >= lo.
torch::Tensor quantize(const torch::Tensor& v, int bits, const torch::Tensor& lo,
                       const torch::Tensor& hi);

struct QuantizerOptions {
  QuantizerOptions(int bits = 8) : bits_(bits) {}
  TORCH_ARG(int, bits);
  // EMA update: running = (1 - momentum) * running + momentum * batch statistic.
  TORCH_ARG(double, momentum) = 0.1;
};

// Activation quantizer: in training quantizes each batch with its own min/max and tracks
// their EMA; in eval quantizes with the EMA range (clipping). Before any training batch,
// eval falls back to the input's own range.
class QuantizerImpl : public torch::nn::Cloneable<QuantizerImpl> {
public:
  explicit QuantizerImpl(QuantizerOptions options = {});
  void reset() override;
  torch::Tensor forward(const torch::Tensor& x);
  void pretty_print(std::ostream& stream) const override;

  QuantizerOptions options;
  torch::Tensor running_min;         // scalar float buffer
  torch::Tensor running_max;         // scalar float buffer
  torch::Tensor num_batches_tracked; // scalar int64 buffer
};
TORCH_MODULE(Quantizer);

} // namespace brickyard::search
