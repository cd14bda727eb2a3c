#pragma once
// Image classification data for the supernet search (issue 7, item 1): Fashion-MNIST/MNIST
// IDX files and the CIFAR-10/100 binary format, read from local files only (never
// downloads). Images are float N x C x H x W in [0,1] (optionally standardized), labels
// int64. Bad files raise model::SpecError naming the file (or "data.root").
#include <cstdint>
#include <random>
#include <string>

#include <torch/types.h>

namespace brickyard::search {

// Where the build unpacked Debian's Fashion-MNIST (BRICKYARD_FMNIST_DIR).
std::string default_fmnist_dir();

enum class DataFormat {
  FashionMnist, // also MNIST: {train,t10k}-{images-idx3,labels-idx1}-ubyte in root
  Cifar10,      // data_batch_1..5.bin + test_batch.bin in root (cifar-10-batches-bin)
  Cifar100,     // train.bin + test.bin in root (cifar-100-binary), fine labels
};

struct DataOptions {
  DataFormat format = DataFormat::FashionMnist;
  std::string root = default_fmnist_dir();
  std::int64_t train_limit = 0; // first N training samples (0 = all)
  std::int64_t test_limit = 0;  // first N test samples (0 = all)
  // Held out of the training file for validation (10000 of Fashion-MNIST's 60000).
  double val_fraction = 1.0 / 6.0;
  // Share of the remaining training samples used for architecture parameters; the rest
  // train weights (the 80/20 weight/architecture split of JAQ and DAQU).
  double arch_fraction = 0.2;
  std::uint64_t seed = 1;
  // Per-channel mean/std from the training file, applied to all samples.
  bool standardize = false;
  // Random horizontal flip + zero-pad random crop (pad 2 for 28x28, 4 for 32x32); used by
  // loaders built with loader_options(), off by default.
  bool augment = false;
};

// Samples of one file pair / file: images N x C x H x W float, labels N int64.
struct Samples {
  torch::Tensor images;
  torch::Tensor labels;
  std::int64_t size() const { return labels.defined() ? labels.size(0) : 0; }
};

// IDX (LeCun) image file (magic 0x00000803, u8 N x H x W) and label file (0x00000801).
// `limit` > 0 reads only the first `limit` samples.
Samples read_idx(const std::string& images_path, const std::string& labels_path,
                 std::int64_t limit = 0);

enum class CifarKind { Cifar10, Cifar100 };
// CIFAR binary batch: records of <label> (CIFAR-100: <coarse><fine>, fine is used) then
// 3072 bytes of 32x32 R, G, B planes.
Samples read_cifar(const std::string& path, CifarKind kind, std::int64_t limit = 0);

// Index sets (int64, sorted) into Dataset rows; pairwise disjoint.
struct Split {
  torch::Tensor train_w; // weights
  torch::Tensor train_a; // architecture parameters
  torch::Tensor val;
  torch::Tensor test;
};

// Training-file rows [0, num_train) followed by test-file rows.
struct Dataset {
  torch::Tensor images;
  torch::Tensor labels;
  std::int64_t num_train = 0;

  std::int64_t size() const { return labels.defined() ? labels.size(0) : 0; }
  std::int64_t num_test() const { return size() - num_train; }
  // Seeded split of the training rows into val (val_fraction) and the rest, the rest into
  // train_a (arch_fraction) and train_w; test = all test rows. Deterministic for a seed.
  Split split(const DataOptions& options) const;
};

Dataset make_dataset(Samples train, Samples test);
// Reads options.format from options.root, applies limits and standardization.
Dataset load(const DataOptions& options);

struct Batch {
  torch::Tensor images;
  torch::Tensor labels;
};

struct LoaderOptions {
  std::int64_t batch_size = 64;
  bool shuffle = true; // new permutation every epoch, from (seed, epoch)
  bool augment = false;
  bool drop_last = false;
  std::uint64_t seed = 1;
};
LoaderOptions loader_options(const DataOptions& data, std::int64_t batch_size);

// Iterates batches of `indices` rows of a dataset:
//   Loader l(data, split.train_w, opts); for (int e = 0; ...) { l.start_epoch(e); Batch b;
//   while (l.next(b)) ... }
class Loader {
public:
  Loader(const Dataset& data, torch::Tensor indices, LoaderOptions options);
  void start_epoch(std::int64_t epoch);
  bool next(Batch& batch);
  std::int64_t batches_per_epoch() const;
  std::int64_t size() const { return indices_.size(0); }

private:
  torch::Tensor images_; // shares storage with the Dataset's tensors
  torch::Tensor labels_;
  torch::Tensor indices_;
  LoaderOptions options_;
  torch::Tensor order_;
  std::int64_t pos_ = 0;
  std::mt19937_64 rng_;
};

} // namespace brickyard::search
