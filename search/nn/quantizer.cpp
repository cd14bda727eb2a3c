#include "search/nn/quantizer.hpp"

#include <ostream>
#include <string>
#include <tuple>
#include <vector>

#include <torch/csrc/autograd/custom_function.h>

#include "model/error.hpp"

namespace brickyard::search {

namespace {

// Straight-through estimator as an autograd Function: the forward value is exactly Q(V)
// (v + (q - v).detach() would add float rounding and create extra levels), and backward
// keeps only a 1-byte mask instead of float activations.
struct QuantizeSte : torch::autograd::Function<QuantizeSte> {
  // lo/hi: detached, broadcastable to v. See quantizer.hpp for the affine form.
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& v,
                               const torch::Tensor& lo, const torch::Tensor& hi,
                               std::int64_t bits) {
    const double n = static_cast<double>((std::int64_t{1} << bits) - 1);
    const auto lo_v = lo.to(v.scalar_type());
    const auto hi_v = hi.to(v.scalar_type());
    ctx->save_for_backward({(v >= lo_v).logical_and_(v <= hi_v)}); // d clip / dV
    const auto span = hi_v - lo_v;
    const auto s = torch::where(span > 0, span / n, torch::ones_like(span));
    const auto k = torch::round((torch::clamp(v, lo_v, hi_v) - lo_v) / s).clamp_(0.0, n);
    return torch::where(k >= n, hi_v.expand_as(k), lo_v + k * s);
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad) {
    const auto inside = ctx->get_saved_variables()[0];
    return {grad[0] * inside, torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

torch::Tensor quantize_in_range(const torch::Tensor& v, int bits, const torch::Tensor& lo,
                                const torch::Tensor& hi) {
  return QuantizeSte::apply(v, lo, hi, static_cast<std::int64_t>(bits));
}

} // namespace

void check_bits(int bits) {
  if (bits != 2 && bits != 4 && bits != 8)
    throw model::SpecError("bits", "must be 2, 4 or 8 (got " + std::to_string(bits) + ")");
}

torch::Tensor quantize(const torch::Tensor& v, int bits, QuantRange range) {
  check_bits(bits);
  if (v.numel() == 0) return v;
  const auto d = v.detach();
  if (range == QuantRange::PerTensor) return quantize_in_range(v, bits, d.min(), d.max());
  if (v.dim() < 1) throw model::SpecError("range", "per-channel range needs a tensor of rank >= 1");
  const auto flat = d.reshape({d.size(0), -1});
  std::vector<std::int64_t> shape(static_cast<std::size_t>(v.dim()), 1);
  shape[0] = v.size(0);
  const auto lo = std::get<0>(flat.min(1)).reshape(shape);
  const auto hi = std::get<0>(flat.max(1)).reshape(shape);
  return quantize_in_range(v, bits, lo, hi);
}

torch::Tensor quantize(const torch::Tensor& v, int bits, const torch::Tensor& lo,
                       const torch::Tensor& hi) {
  check_bits(bits);
  if ((hi.detach() < lo.detach()).any().item<bool>())
    throw model::SpecError("range", "max is below min");
  return quantize_in_range(v, bits, lo.detach(), hi.detach());
}

QuantizerImpl::QuantizerImpl(QuantizerOptions options_) : options(options_) {
  reset();
}

void QuantizerImpl::reset() {
  check_bits(options.bits());
  if (!(options.momentum() > 0.0 && options.momentum() <= 1.0))
    throw model::SpecError("momentum", "must be in (0, 1]");
  running_min = register_buffer("running_min", torch::zeros({}));
  running_max = register_buffer("running_max", torch::zeros({}));
  num_batches_tracked = register_buffer("num_batches_tracked", torch::zeros({}, torch::kInt64));
}

torch::Tensor QuantizerImpl::forward(const torch::Tensor& x) {
  check_bits(options.bits());
  if (x.numel() == 0) return x;
  if (is_training()) {
    const auto d = x.detach();
    const auto lo = d.min().to(running_min.scalar_type());
    const auto hi = d.max().to(running_max.scalar_type());
    {
      torch::NoGradGuard no_grad;
      if (num_batches_tracked.item<std::int64_t>() == 0) {
        running_min.copy_(lo);
        running_max.copy_(hi);
      } else {
        const double m = options.momentum();
        running_min.mul_(1.0 - m).add_(lo, m);
        running_max.mul_(1.0 - m).add_(hi, m);
      }
      num_batches_tracked.add_(1);
    }
    return quantize(x, options.bits());
  }
  if (num_batches_tracked.item<std::int64_t>() == 0) return quantize(x, options.bits());
  return quantize(x, options.bits(), running_min, running_max);
}

void QuantizerImpl::pretty_print(std::ostream& stream) const {
  stream << "brickyard::search::Quantizer(bits=" << options.bits()
         << ", momentum=" << options.momentum() << ")";
}

} // namespace brickyard::search
