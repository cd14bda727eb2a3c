#pragma once
// Training of a derived network at its current per-layer bits (quantization-aware with the
// straight-through quantizer of quantizer.hpp; float where bits are 0): `brickyard train`
// from scratch at full precision, and `brickyard quantize`'s brief fine-tune of each
// allocation (issue 10), and cosearch's retraining (issue 8). SGD with Nesterov momentum and a
// cosine learning rate; progress lines with an ETA on stderr.
#include <cstdint>
#include <string>

#include <torch/types.h>

#include "search/nn/data.hpp"
#include "search/nn/derive.hpp"

namespace brickyard::search {

struct FinetuneOptions {
  int epochs = 1;
  double lr = 0.01; // cosine-annealed to 0 over all steps
  double momentum = 0.9;
  double weight_decay = 4e-5;
  double label_smoothing = 0; // cross-entropy against (1 - e) one-hot + e uniform
  // Gradient-norm clipping (L2 over all parameters), 0 = off. A low-bit network's quantized
  // activations can collapse to one level per channel; BatchNorm then divides by sqrt(eps)
  // and the straight-through gradient grows by ~300x per layer, which blew the weights up
  // within a few steps of a 2/2-bit network. 8-bit training here runs at norms near 1.
  double grad_clip = 5.0;
  std::int64_t batch_size = 128;
  std::int64_t max_batches = 0; // per epoch, 0 = all (quick runs, tests)
  bool augment = false;         // random flip + crop (DataOptions::augment)
  std::uint64_t seed = 1;
  bool progress = true;
  std::string tag = "train"; // prefix of the progress lines
};

struct FinetuneResult {
  std::int64_t steps = 0;
  // Steps whose loss or gradient was not finite: skipped (no update), as mixed-precision
  // training skips overflowing steps; a 2-bit network can overflow where 8 bits do not.
  std::int64_t skipped_steps = 0;
  std::int64_t clipped_steps = 0;            // steps whose gradient norm exceeded grad_clip
  double train_loss = 0, train_accuracy = 0; // of the last epoch
  double seconds = 0;
};

// Trains `net` on the rows `rows` of `data`; epochs = 0 does nothing.
FinetuneResult finetune(SubnetImpl& net, const Dataset& data, const torch::Tensor& rows,
                        const FinetuneOptions& options);

} // namespace brickyard::search
