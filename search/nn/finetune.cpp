#include "search/nn/finetune.hpp"

#include <cmath>
#include <cstdio>

#include <torch/nn/functional/loss.h>
#include <torch/nn/utils/clip_grad.h>
#include <torch/optim/sgd.h>

#include "model/error.hpp"
#include "search/nn/clock.hpp"

namespace brickyard::search {

FinetuneResult finetune(SubnetImpl& net, const Dataset& data, const torch::Tensor& rows,
                        const FinetuneOptions& o) {
  if (o.epochs < 0) throw model::SpecError("epochs", "must be >= 0");
  if (!(o.lr > 0)) throw model::SpecError("lr", "must be > 0");
  if (!(o.label_smoothing >= 0 && o.label_smoothing < 1))
    throw model::SpecError("label_smoothing", "must be in [0, 1)");
  if (!(o.grad_clip >= 0)) throw model::SpecError("grad_clip", "must be >= 0");
  FinetuneResult r;
  const auto t0 = Clock::now();
  if (o.epochs == 0) return r;
  torch::manual_seed(o.seed);
  torch::optim::SGD opt(net.parameters(), torch::optim::SGDOptions(o.lr)
                                              .momentum(o.momentum)
                                              .weight_decay(o.weight_decay)
                                              .nesterov(true));
  LoaderOptions lo;
  lo.batch_size = o.batch_size;
  lo.seed = o.seed;
  lo.augment = o.augment;
  lo.drop_last = rows.size(0) > o.batch_size;
  Loader loader(data, rows, lo);
  std::int64_t per_epoch = loader.batches_per_epoch();
  if (o.max_batches > 0) per_epoch = std::min(per_epoch, o.max_batches);
  const std::int64_t total = per_epoch * o.epochs;
  const std::int64_t every = std::max<std::int64_t>(1, total / 10);
  for (int e = 0; e < o.epochs; ++e) {
    loader.start_epoch(e);
    net.train();
    Batch b;
    double loss_sum = 0, correct = 0, seen = 0;
    for (std::int64_t it = 0; it < per_epoch && loader.next(b); ++it) {
      const double lr = 0.5 * o.lr * (1 + std::cos(M_PI * double(r.steps) / double(total)));
      for (auto& g : opt.param_groups()) static_cast<torch::optim::SGDOptions&>(g.options()).lr(lr);
      auto logits = net.forward(b.images);
      auto loss = torch::nn::functional::cross_entropy(
          logits, b.labels,
          torch::nn::functional::CrossEntropyFuncOptions().label_smoothing(o.label_smoothing));
      opt.zero_grad();
      const double loss_v = loss.item<double>();
      bool finite = std::isfinite(loss_v);
      if (finite) {
        loss.backward();
        for (const auto& p : net.parameters())
          if (p.grad().defined() && !torch::isfinite(p.grad()).all().item<bool>()) {
            finite = false;
            break;
          }
      }
      if (finite) {
        if (o.grad_clip > 0 &&
            torch::nn::utils::clip_grad_norm_(net.parameters(), o.grad_clip) > o.grad_clip)
          ++r.clipped_steps;
        opt.step();
        loss_sum += loss_v * double(b.labels.size(0));
      } else {
        ++r.skipped_steps; // no update from a non-finite loss or gradient
      }
      ++r.steps;
      correct += logits.argmax(1).eq(b.labels).sum().item<double>();
      seen += double(b.labels.size(0));
      if (o.progress && (r.steps % every == 0 || r.steps == total)) {
        const double el = since(t0);
        std::fprintf(
            stderr,
            "%s: epoch %d/%d step %lld/%lld loss %.4f acc %.2f%%%s | %.0f s elapsed, "
            "ETA %.0f s\n",
            o.tag.c_str(), e + 1, o.epochs, static_cast<long long>(r.steps),
            static_cast<long long>(total), loss_sum / std::max(1.0, seen),
            100 * correct / std::max(1.0, seen),
            r.skipped_steps
                ? (" (" + std::to_string(r.skipped_steps) + " non-finite steps skipped)").c_str()
                : "",
            el, el / double(r.steps) * double(total - r.steps));
      }
    }
    r.train_loss = loss_sum / std::max(1.0, seen);
    r.train_accuracy = correct / std::max(1.0, seen);
  }
  net.eval();
  r.seconds = since(t0);
  return r;
}

} // namespace brickyard::search
