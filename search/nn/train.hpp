#pragma once
// The supernet search loop (issue 7, item 6; JAQ "The Overall Joint Pipeline" without the
// hardware term, which issue 8 adds): per iteration a weight step on a train_w batch (SGD,
// cosine learning rate) and, interleaved so that both splits are seen once per epoch, an
// architecture step on a train_a batch (Adam on alpha and beta). The Gumbel temperature
// starts at 5 (JAQ) and decays exponentially, tau = tau_start * tau_decay^(epoch progress)
// (FBNet: 0.956 per epoch). Progress lines with loss, accuracy and ETA go to stderr; one
// record per epoch goes to a CSV (log_path ends in .csv) or JSON-lines log.
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <torch/serialize/archive.h>
#include <torch/types.h>

#include "search/nn/data.hpp"
#include "search/nn/derive.hpp"
#include "search/nn/supernet.hpp"

namespace brickyard::search {

struct SearchOptions {
  int epochs = 3;
  std::int64_t batch_size = 128;
  double w_lr = 0.1; // SGD, cosine-annealed to 0 over the planned iterations or time limit
  double w_momentum = 0.9;
  double w_weight_decay = 4e-5;
  double arch_lr = 0.01; // Adam (FBNet's theta optimizer)
  double arch_weight_decay = 5e-4;
  int warmup_epochs = 0; // epochs of weight steps only before architecture steps start
  // Weight steps on a hard Gumbel sample (one op and bit pair per block, only that path
  // computed; SupernetImpl::sample_path) instead of the Gumbel-weighted mixture of every
  // candidate (Eq. 1). Architecture steps always use the mixture.
  bool single_path_weights = false;
  double tau_start = 5.0;
  double tau_decay = 0.956;
  std::int64_t max_batches = 0; // per epoch and split, 0 = all (quick runs, tests)
  std::int64_t val_limit = 0;   // validation samples evaluated per epoch, 0 = all
  double time_limit_s = 0;      // stop training after this much wall time, 0 = none
  int threads = 2;              // at::set_num_threads (LibTorch defaults to 1 here)
  std::uint64_t seed = 1;
  bool progress = true;    // progress lines on stderr
  int progress_every = 20; // iterations between progress lines
  std::string log_path;    // "" = none; *.csv = CSV, otherwise JSON lines
  // Checkpoints (issue 8 item 6): "" = none. Written atomically at the end of every epoch,
  // when `stop` becomes true (after the current iteration) and at the end of the search.
  // With `resume`, the search continues from that file: weights, architecture parameters,
  // both optimizers, the global random generator, the position inside the epoch and the
  // epoch statistics so far, plus the hook's state; with the same options it then takes
  // exactly the steps an uninterrupted search would have taken.
  std::string checkpoint_path;
  bool resume = false;
  const std::atomic<bool>* stop = nullptr; // polled after every weight iteration (Ctrl-C)
  std::int64_t stop_after_iters = 0;       // act as if `stop` were set after this many (tests)
};

struct EvalResult {
  double loss = 0;
  double accuracy = 0; // fraction in [0, 1]
  std::int64_t samples = 0;
};

struct EpochStats {
  int epoch = 0;
  double tau = 0;
  double train_loss = 0, train_accuracy = 0; // weight steps (Gumbel-sampled supernet)
  double arch_loss = 0, arch_accuracy = 0;   // architecture steps (0 before warm-up ends)
  double val_loss = 0, val_accuracy = 0;     // supernet, eval mode, softmax(theta / tau)
  double seconds = 0;                        // wall time of the epoch incl. validation
  double images_per_s = 0;                   // training images (both steps) per second
};

struct SearchResult {
  std::vector<EpochStats> epochs;
  ArchChoice choice; // argmax at the end
  double seconds = 0;
  bool time_limited = false; // stopped by time_limit_s
  bool interrupted = false;  // stopped by `stop` / stop_after_iters; checkpoint written
  double final_tau = 0;
};

// What a caller adds to every architecture step (the co-search's hardware term, issue 8):
// `loss` returns a term added to the cross-entropy before backward (it may build graphs
// through other modules); `after_backward` runs after the architecture optimizer's step
// (e.g. to step the hardware generation network's optimizer); `end_of_epoch` sees every
// epoch's statistics (checkpoints, logs); `save`/`load` put the hook's own state (the
// hardware generation network, its optimizer, the cost surrogate) into the checkpoint.
struct ArchHook {
  std::function<torch::Tensor(SupernetImpl& net, double tau)> loss;
  std::function<void()> after_backward;
  std::function<void(const EpochStats&)> end_of_epoch;
  std::function<void(torch::serialize::OutputArchive&)> save;
  std::function<void(torch::serialize::InputArchive&)> load;
};

// Small values in archives (checkpoints): doubles and int64s as 1-d tensors, text as bytes.
void write_values(torch::serialize::OutputArchive& a, const std::string& key,
                  const std::vector<double>& v);
std::vector<double> read_values(torch::serialize::InputArchive& a, const std::string& key);
void write_text(torch::serialize::OutputArchive& a, const std::string& key, const std::string& s);
std::string read_text(torch::serialize::InputArchive& a, const std::string& key);
// Writes `a` to `path` through a temporary file and a rename (never half-written).
void save_atomically(torch::serialize::OutputArchive& a, const std::string& path);

SearchResult search(SupernetImpl& net, const Dataset& data, const Split& split,
                    const SearchOptions& options, const ArchHook* hook = nullptr);

// Mean cross-entropy and accuracy over data rows `indices` (eval mode, no gradients).
EvalResult evaluate(SupernetImpl& net, const Dataset& data, const torch::Tensor& indices,
                    double tau, std::int64_t batch_size = 256);
EvalResult evaluate(SubnetImpl& net, const Dataset& data, const torch::Tensor& indices,
                    std::int64_t batch_size = 256);

// Re-estimates a derived subnet's BatchNorm statistics on `batches` batches of `indices`
// (train-mode forward, no gradients, cumulative averages): the supernet's statistics are
// those of the Gumbel-weighted mixtures of all candidates, not of the chosen op alone.
void recalibrate_batch_norm(SubnetImpl& net, const Dataset& data, const torch::Tensor& indices,
                            std::int64_t batches = 20, std::int64_t batch_size = 128);

} // namespace brickyard::search
