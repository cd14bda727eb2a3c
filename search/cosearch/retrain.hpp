#pragma once
// Retraining of a derived subnet with DAQU's precision transfer (seeds/daqu-abstract.txt):
// the subnet at uniform 8 bits first, then at its chosen bits starting from those weights,
// each with finetune()'s SGD and cosine learning rate. Used by the co-search's retrain step
// and by `brickyard retrain`.
#include <cstdint>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "search/nn/data.hpp"
#include "search/nn/derive.hpp"
#include "search/nn/supernet.hpp"

namespace brickyard::search {

struct RetrainOptions {
  bool enabled = true;
  int transfer_epochs = 1; // at uniform 8 bits first (DAQU precision transfer)
  int epochs = 3;          // then at the chosen bits
  double lr = 0.05;
  double weight_decay = 4e-5;
  double label_smoothing = 0; // cross-entropy against (1 - e) one-hot + e uniform
  double grad_clip = 5.0;     // FinetuneOptions::grad_clip
  std::int64_t batch_size = 128;
  std::int64_t max_batches = 0; // per epoch (quick runs, tests), 0 = all
  bool baseline = true;         // also train the uniform 8-bit subnet for transfer + epochs
  // Evaluate the 8-bit network after the transfer phase on the test set as well (it is
  // always evaluated on validation). `brickyard experiment` turns this off, so that the
  // test set is read once per finished model.
  bool test_after_transfer = true;
};

struct TrainLog {
  double val_accuracy = 0;  // on split.val (held out of the training rows)
  double test_accuracy = 0; // on split.test, NaN when not read
  double seconds = 0;
  bool test_read = false;
  std::int64_t skipped_steps = 0; // non-finite loss or gradient: no update (finetune)
  std::int64_t clipped_steps = 0; // gradient norm above grad_clip (finetune)
};

// finetune()'s SGD with a cosine learning rate over `epochs` on the whole training split
// (weights + architecture rows); progress lines; validation accuracy at the end, and test
// accuracy if `read_test`.
TrainLog train_subnet(SubnetImpl& net, const Dataset& data, const Split& split, int epochs,
                      const RetrainOptions& o, std::uint64_t seed, const std::string& tag,
                      bool progress, bool read_test = true);

// DAQU precision transfer: the subnet at uniform 8 bits first (transfer_epochs), then at
// its own bits starting from those weights (epochs); BatchNorm statistics re-estimated
// before each (the supernet's are those of the candidate mixtures).
// `choose` (optional) decides the second phase's per-layer bits (in SubnetImpl::layers()
// order) from the trained 8-bit network, as the decoupled baseline's post-training
// allocation does; otherwise c's bits are used.
struct Transfer {
  Subnet s8{nullptr}, sq{nullptr};
  TrainLog t8, tq;
};
Transfer
precision_transfer(SupernetImpl& net, const ArchChoice& c, const Dataset& data, const Split& split,
                   const RetrainOptions& o, std::uint64_t seed, bool progress,
                   const std::string& who = "",
                   const std::function<std::vector<ConvBits>(SubnetImpl& s8)>& choose = {});

// `brickyard retrain`: retrains the subnet of a design.json written by cosearch (its
// `cosearch` section names the space and data), starting from the supernet weights saved
// beside it if present; updates the accuracy in a copy of the design (returned).
nlohmann::json retrain_design(const std::string& design_path, const RetrainOptions& options,
                              bool progress);

} // namespace brickyard::search
