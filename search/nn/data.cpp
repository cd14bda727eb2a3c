#include "search/nn/data.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <utility>
#include <vector>

#include <torch/types.h>

#include "model/error.hpp"

namespace brickyard::search {

namespace {

using model::SpecError;
using Bytes = std::vector<std::uint8_t>;

Bytes read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw SpecError(path, "cannot open file (missing or unreadable)");
  Bytes bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw SpecError(path, "read error");
  return bytes;
}

std::uint32_t big_endian_u32(const Bytes& b, std::size_t at) {
  return (std::uint32_t{b[at]} << 24) | (std::uint32_t{b[at + 1]} << 16) |
         (std::uint32_t{b[at + 2]} << 8) | std::uint32_t{b[at + 3]};
}

// Header of an IDX file: magic, then `rank` big-endian u32 dimensions.
std::vector<std::int64_t> idx_header(const Bytes& b, const std::string& path, std::uint32_t magic,
                                     int rank) {
  const std::size_t header = 4 + 4 * static_cast<std::size_t>(rank);
  if (b.size() < 4) throw SpecError(path, "truncated: no IDX magic number");
  if (big_endian_u32(b, 0) != magic) {
    char got[16], want[16];
    std::snprintf(got, sizeof got, "0x%08x", big_endian_u32(b, 0));
    std::snprintf(want, sizeof want, "0x%08x", magic);
    throw SpecError(path,
                    std::string("wrong IDX magic number ") + got + " (expected " + want + ")");
  }
  if (b.size() < header)
    throw SpecError(path, "truncated IDX header (" + std::to_string(b.size()) + " bytes)");
  std::vector<std::int64_t> dims;
  std::int64_t payload = 1;
  for (int i = 0; i < rank; ++i) {
    dims.push_back(big_endian_u32(b, 4 + 4 * static_cast<std::size_t>(i)));
    payload *= dims.back();
  }
  if (b.size() < header + static_cast<std::size_t>(payload))
    throw SpecError(path, "truncated: header promises " + std::to_string(payload) +
                              " data bytes, file has " + std::to_string(b.size() - header));
  return dims;
}

std::int64_t limited(std::int64_t n, std::int64_t limit) {
  return limit > 0 ? std::min(n, limit) : n;
}

// u8 buffer -> float N x C x H x W in [0,1] (copies).
torch::Tensor to_images(const std::uint8_t* data, std::int64_t n, std::int64_t c, std::int64_t h,
                        std::int64_t w) {
  auto u8 = torch::from_blob(const_cast<std::uint8_t*>(data), {n, c, h, w}, torch::kUInt8);
  return u8.to(torch::kFloat32).div_(255.0);
}

// Fisher-Yates with the engine's raw output: the same permutation on every platform.
std::vector<std::int64_t> permutation(std::int64_t n, std::mt19937_64& rng) {
  std::vector<std::int64_t> p(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) p[static_cast<std::size_t>(i)] = i;
  for (std::int64_t i = n - 1; i > 0; --i) {
    const auto j = static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(i + 1));
    std::swap(p[static_cast<std::size_t>(i)], p[static_cast<std::size_t>(j)]);
  }
  return p;
}

torch::Tensor sorted_indices(std::vector<std::int64_t> v) {
  std::sort(v.begin(), v.end());
  return torch::tensor(v, torch::kInt64);
}

void check_fraction(const std::string& field, double f) {
  if (!(f >= 0.0 && f < 1.0))
    throw SpecError(field, "must be in [0, 1) (got " + std::to_string(f) + ")");
}

Samples concat(const std::vector<Samples>& parts) {
  std::vector<torch::Tensor> images, labels;
  for (const auto& p : parts) {
    images.push_back(p.images);
    labels.push_back(p.labels);
  }
  return {torch::cat(images), torch::cat(labels)};
}

Samples read_cifar_files(const std::string& root, const std::vector<std::string>& names,
                         CifarKind kind, std::int64_t limit) {
  std::vector<Samples> parts;
  std::int64_t have = 0;
  for (const auto& name : names) {
    if (limit > 0 && have >= limit) break;
    parts.push_back(read_cifar((std::filesystem::path(root) / name).string(), kind,
                               limit > 0 ? limit - have : 0));
    have += parts.back().size();
  }
  return parts.size() == 1 ? parts.front() : concat(parts);
}

} // namespace

std::string default_fmnist_dir() {
  return BRICKYARD_FMNIST_DIR;
}

Samples read_idx(const std::string& images_path, const std::string& labels_path,
                 std::int64_t limit) {
  const Bytes img = read_file(images_path);
  const Bytes lab = read_file(labels_path);
  const auto idims = idx_header(img, images_path, 0x00000803, 3);
  const auto ldims = idx_header(lab, labels_path, 0x00000801, 1);
  if (idims[0] != ldims[0])
    throw SpecError(labels_path, std::to_string(ldims[0]) + " labels for " +
                                     std::to_string(idims[0]) + " images in " + images_path);
  const std::int64_t n = limited(idims[0], limit);
  Samples s;
  s.images = to_images(img.data() + 16, n, 1, idims[1], idims[2]);
  s.labels = torch::from_blob(const_cast<std::uint8_t*>(lab.data() + 8), {n}, torch::kUInt8)
                 .to(torch::kInt64);
  return s;
}

Samples read_cifar(const std::string& path, CifarKind kind, std::int64_t limit) {
  constexpr std::int64_t kPixels = 3 * 32 * 32;
  const std::int64_t label_bytes = kind == CifarKind::Cifar100 ? 2 : 1;
  const std::int64_t num_classes = kind == CifarKind::Cifar100 ? 100 : 10;
  const std::int64_t record = label_bytes + kPixels;
  const Bytes b = read_file(path);
  const auto size = static_cast<std::int64_t>(b.size());
  if (size == 0) throw SpecError(path, "empty CIFAR file");
  if (size % record != 0)
    throw SpecError(path, "truncated: " + std::to_string(size) +
                              " bytes is not a multiple of the " + std::to_string(record) +
                              "-byte CIFAR record");
  const std::int64_t n = limited(size / record, limit);
  Bytes pixels(static_cast<std::size_t>(n * kPixels));
  std::vector<std::int64_t> labels(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) {
    const std::uint8_t* r = b.data() + i * record;
    const std::int64_t label = r[label_bytes - 1]; // CIFAR-100: <coarse><fine>
    if (label >= num_classes)
      throw SpecError(path, "record " + std::to_string(i) + ": label " + std::to_string(label) +
                                " out of range [0, " + std::to_string(num_classes) + ")");
    labels[static_cast<std::size_t>(i)] = label;
    std::copy(r + label_bytes, r + record, pixels.begin() + i * kPixels);
  }
  return {to_images(pixels.data(), n, 3, 32, 32), torch::tensor(labels, torch::kInt64)};
}

Dataset make_dataset(Samples train, Samples test) {
  Dataset d;
  d.num_train = train.size();
  d.images = torch::cat({train.images, test.images});
  d.labels = torch::cat({train.labels, test.labels});
  return d;
}

Dataset load(const DataOptions& options) {
  if (!std::filesystem::is_directory(options.root))
    throw SpecError("data.root", "'" + options.root + "' is not a directory");
  if (options.train_limit < 0) throw SpecError("data.train_limit", "must be >= 0");
  if (options.test_limit < 0) throw SpecError("data.test_limit", "must be >= 0");
  const std::filesystem::path root(options.root);
  Samples train, test;
  switch (options.format) {
  case DataFormat::FashionMnist:
    train = read_idx((root / "train-images-idx3-ubyte").string(),
                     (root / "train-labels-idx1-ubyte").string(), options.train_limit);
    test = read_idx((root / "t10k-images-idx3-ubyte").string(),
                    (root / "t10k-labels-idx1-ubyte").string(), options.test_limit);
    break;
  case DataFormat::Cifar10:
    train = read_cifar_files(options.root,
                             {"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin",
                              "data_batch_4.bin", "data_batch_5.bin"},
                             CifarKind::Cifar10, options.train_limit);
    test =
        read_cifar_files(options.root, {"test_batch.bin"}, CifarKind::Cifar10, options.test_limit);
    break;
  case DataFormat::Cifar100:
    train = read_cifar_files(options.root, {"train.bin"}, CifarKind::Cifar100, options.train_limit);
    test = read_cifar_files(options.root, {"test.bin"}, CifarKind::Cifar100, options.test_limit);
    break;
  }
  Dataset d = make_dataset(std::move(train), std::move(test));
  if (options.standardize && d.num_train > 0) {
    const auto tr = d.images.slice(0, 0, d.num_train);
    const auto mean = tr.mean({0, 2, 3}, /*keepdim=*/true);
    auto std = tr.std({0, 2, 3}, /*unbiased=*/false, /*keepdim=*/true);
    std = torch::where(std > 0, std, torch::ones_like(std));
    d.images = (d.images - mean) / std;
  }
  return d;
}

Split Dataset::split(const DataOptions& options) const {
  check_fraction("data.val_fraction", options.val_fraction);
  check_fraction("data.arch_fraction", options.arch_fraction);
  std::mt19937_64 rng(options.seed);
  const auto perm = permutation(num_train, rng);
  const auto n_val = static_cast<std::int64_t>(std::llround(options.val_fraction * num_train));
  const auto n_arch =
      static_cast<std::int64_t>(std::llround(options.arch_fraction * (num_train - n_val)));
  const auto at = [&](std::int64_t i) { return perm.begin() + i; };
  Split s;
  s.val = sorted_indices({at(0), at(n_val)});
  s.train_a = sorted_indices({at(n_val), at(n_val + n_arch)});
  s.train_w = sorted_indices({at(n_val + n_arch), perm.end()});
  s.test = torch::arange(num_train, size(), torch::kInt64);
  return s;
}

LoaderOptions loader_options(const DataOptions& data, std::int64_t batch_size) {
  LoaderOptions o;
  o.batch_size = batch_size;
  o.augment = data.augment;
  o.seed = data.seed;
  return o;
}

Loader::Loader(const Dataset& data, torch::Tensor indices, LoaderOptions options)
    : images_(data.images), labels_(data.labels), indices_(std::move(indices)), options_(options) {
  if (options_.batch_size <= 0) throw SpecError("batch_size", "must be > 0");
  if (!indices_.defined() || indices_.dim() != 1 || indices_.scalar_type() != torch::kInt64)
    throw std::invalid_argument("Loader: indices must be a 1-D int64 tensor");
  start_epoch(0);
}

void Loader::start_epoch(std::int64_t epoch) {
  std::seed_seq seq{static_cast<std::uint32_t>(options_.seed),
                    static_cast<std::uint32_t>(options_.seed >> 32),
                    static_cast<std::uint32_t>(epoch), 0x5eed0001u};
  rng_.seed(seq);
  if (options_.shuffle) {
    const auto p = permutation(indices_.size(0), rng_);
    order_ = indices_.index_select(0, torch::tensor(p, torch::kInt64));
  } else {
    order_ = indices_;
  }
  pos_ = 0;
}

std::int64_t Loader::batches_per_epoch() const {
  const auto n = indices_.size(0), bs = options_.batch_size;
  return options_.drop_last ? n / bs : (n + bs - 1) / bs;
}

bool Loader::next(Batch& batch) {
  const auto n = order_.size(0);
  const auto end = std::min(n, pos_ + options_.batch_size);
  if (pos_ >= n || (options_.drop_last && end - pos_ < options_.batch_size)) return false;
  const auto rows = order_.slice(0, pos_, end);
  pos_ = end;
  batch.labels = labels_.index_select(0, rows);
  auto x = images_.index_select(0, rows);
  if (options_.augment) {
    const std::int64_t h = x.size(2), w = x.size(3);
    const std::int64_t pad = h >= 32 ? 4 : 2;
    const auto padded = torch::constant_pad_nd(x, {pad, pad, pad, pad}, 0.0);
    for (std::int64_t i = 0; i < x.size(0); ++i) {
      const auto dy = static_cast<std::int64_t>(rng_() % static_cast<std::uint64_t>(2 * pad + 1));
      const auto dx = static_cast<std::int64_t>(rng_() % static_cast<std::uint64_t>(2 * pad + 1));
      auto crop = padded[i].slice(1, dy, dy + h).slice(2, dx, dx + w);
      if (rng_() & 1u) crop = crop.flip({2});
      x[i].copy_(crop);
    }
  }
  batch.images = x;
  return true;
}

} // namespace brickyard::search
