#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <vector>

#include "model/error.hpp"
#include "search/nn/data.hpp"

// After the torch headers: glog (via c10) defines CHECK too; Catch2's must win.
#include <catch2/catch.hpp>

using namespace brickyard::search;
using brickyard::model::SpecError;
namespace fs = std::filesystem;

namespace {

// A fresh directory under the system temp dir, removed at scope exit.
struct TempDir {
  fs::path path;
  TempDir() {
    std::random_device rd;
    path = fs::temp_directory_path() / ("brickyard_search_" + std::to_string(rd()));
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

void write_bytes(const std::string& path, const std::vector<std::uint8_t>& b) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

std::vector<std::uint8_t> cifar_records(int n, int label_bytes, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::uint8_t> b;
  for (int i = 0; i < n; ++i) {
    for (int l = 0; l < label_bytes; ++l) b.push_back(static_cast<std::uint8_t>(rng() % 10));
    for (int p = 0; p < 3072; ++p) b.push_back(static_cast<std::uint8_t>(rng()));
  }
  return b;
}

void check_cifar(const Samples& s, const std::vector<std::uint8_t>& bytes, int n, int label_bytes) {
  REQUIRE(s.images.sizes() == torch::IntArrayRef({n, 3, 32, 32}));
  REQUIRE(s.labels.sizes() == torch::IntArrayRef({n}));
  const auto px = torch::round(s.images * 255.0).to(torch::kUInt8).reshape({n, 3072});
  for (int i = 0; i < n; ++i) {
    const std::uint8_t* r = bytes.data() + i * (label_bytes + 3072);
    CHECK(s.labels[i].item<std::int64_t>() == r[label_bytes - 1]);
    const auto want =
        torch::from_blob(const_cast<std::uint8_t*>(r + label_bytes), {3072}, torch::kUInt8);
    CHECK(torch::equal(px[i], want));
  }
}

std::vector<std::uint8_t> be32(std::uint32_t v) {
  return {static_cast<std::uint8_t>(v >> 24), static_cast<std::uint8_t>(v >> 16),
          static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)};
}

std::string field_of_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const SpecError& e) {
    return e.field();
  }
  return "<no SpecError>";
}

torch::Tensor all_indices(const Split& s) {
  return torch::cat({s.train_w, s.train_a, s.val, s.test});
}

} // namespace

TEST_CASE("search: Fashion-MNIST loads from the unpacked Debian files") {
  const Dataset d = load(DataOptions{});
  CHECK(d.num_train == 60000);
  CHECK(d.num_test() == 10000);
  CHECK(d.images.sizes() == torch::IntArrayRef({70000, 1, 28, 28}));
  CHECK(d.images.scalar_type() == torch::kFloat32);
  CHECK(d.labels.scalar_type() == torch::kInt64);
  CHECK(d.images.min().item<float>() == 0.0f);
  CHECK(d.images.max().item<float>() == 1.0f);
  CHECK(d.labels.min().item<std::int64_t>() == 0);
  CHECK(d.labels.max().item<std::int64_t>() == 9);
  CHECK(d.labels[60000].item<std::int64_t>() == 9); // test[0]: ankle boot

  const Split s = d.split(DataOptions{});
  CHECK(s.val.numel() == 10000);
  CHECK(s.train_a.numel() == 10000); // 20% of the remaining 50000
  CHECK(s.train_w.numel() == 40000);
  CHECK(s.test.numel() == 10000);
  CHECK(std::get<0>(torch::_unique(all_indices(s))).numel() == 70000);
}

TEST_CASE("search: splits are disjoint, sized as configured and seeded") {
  DataOptions o;
  o.train_limit = 3000;
  o.test_limit = 500;
  o.val_fraction = 0.1;
  o.arch_fraction = 0.2;
  const Dataset d = load(o);
  REQUIRE(d.num_train == 3000);
  REQUIRE(d.num_test() == 500);

  const Split a = d.split(o);
  CHECK(a.val.numel() == 300);
  CHECK(a.train_a.numel() == 540);
  CHECK(a.train_w.numel() == 2160);
  CHECK(a.test.numel() == 500);
  const auto all = all_indices(a);
  CHECK(std::get<0>(torch::_unique(all)).numel() == 3500); // disjoint and covering
  CHECK(a.val.max().item<std::int64_t>() < 3000);
  CHECK(a.test.min().item<std::int64_t>() == 3000);

  const Split same = d.split(o);
  CHECK(torch::equal(a.train_w, same.train_w));
  CHECK(torch::equal(a.train_a, same.train_a));
  CHECK(torch::equal(a.val, same.val));

  o.seed = 2;
  const Split other = d.split(o);
  CHECK(other.train_a.numel() == 540);
  CHECK_FALSE(torch::equal(a.train_a, other.train_a));
  CHECK_FALSE(torch::equal(a.val, other.val));

  o.arch_fraction = 1.0;
  CHECK(field_of_error([&] { d.split(o); }) == "data.arch_fraction");
}

TEST_CASE("search: loader covers its index set once per epoch, reshuffled by seed and epoch") {
  DataOptions o;
  o.train_limit = 1000;
  o.test_limit = 10;
  o.augment = true;
  const Dataset d = load(o);
  const Split s = d.split(o);

  auto epoch_rows = [&](LoaderOptions lo, std::int64_t epoch) {
    Loader l(d, s.train_w, lo);
    l.start_epoch(epoch);
    std::vector<torch::Tensor> labels;
    Batch b;
    std::int64_t batches = 0;
    while (l.next(b)) {
      CHECK(b.images.size(0) == b.labels.size(0));
      CHECK(b.images.sizes().slice(1) == torch::IntArrayRef({1, 28, 28}));
      labels.push_back(b.labels);
      ++batches;
    }
    CHECK(batches == l.batches_per_epoch());
    return torch::cat(labels);
  };
  LoaderOptions plain;
  plain.batch_size = 64;
  const auto e0 = epoch_rows(plain, 0);
  CHECK(e0.numel() == s.train_w.numel());
  // Same multiset of labels as the index set, in a different order per epoch.
  CHECK(torch::equal(std::get<0>(e0.sort()),
                     std::get<0>(d.labels.index_select(0, s.train_w).sort())));
  CHECK(torch::equal(e0, epoch_rows(plain, 0)));
  CHECK_FALSE(torch::equal(e0, epoch_rows(plain, 1)));

  // Without shuffling or augmentation the loader returns the rows in index order.
  LoaderOptions ordered = plain;
  ordered.shuffle = false;
  Loader l(d, s.val, ordered);
  Batch b;
  REQUIRE(l.next(b));
  CHECK(torch::equal(b.images, d.images.index_select(0, s.val.slice(0, 0, 64))));

  // Augmentation: flips/crops keep shape and range and change some images.
  LoaderOptions aug = loader_options(o, 64);
  aug.shuffle = false;
  Loader la(d, s.val, aug);
  REQUIRE(la.next(b));
  CHECK(b.images.min().item<float>() >= 0.0f);
  CHECK(b.images.max().item<float>() <= 1.0f);
  CHECK_FALSE(torch::equal(b.images, d.images.index_select(0, s.val.slice(0, 0, 64))));
}

TEST_CASE("search: CIFAR-10 and CIFAR-100 binary files read back exactly") {
  TempDir dir;
  const auto c10 = cifar_records(20, 1, 1);
  write_bytes(dir.file("test_batch.bin"), c10);
  check_cifar(read_cifar(dir.file("test_batch.bin"), CifarKind::Cifar10), c10, 20, 1);
  check_cifar(read_cifar(dir.file("test_batch.bin"), CifarKind::Cifar10, 7), c10, 7, 1);

  const auto c100 = cifar_records(12, 2, 2);
  write_bytes(dir.file("c100.bin"), c100);
  check_cifar(read_cifar(dir.file("c100.bin"), CifarKind::Cifar100), c100, 12, 2);

  // Whole CIFAR-10 directory: five training batches + the test batch.
  for (int i = 1; i <= 5; ++i)
    write_bytes(dir.file("data_batch_" + std::to_string(i) + ".bin"), cifar_records(4, 1, 10 + i));
  DataOptions o;
  o.format = DataFormat::Cifar10;
  o.root = dir.path.string();
  const Dataset d = load(o);
  CHECK(d.num_train == 20);
  CHECK(d.num_test() == 20);
  CHECK(d.images.sizes() == torch::IntArrayRef({40, 3, 32, 32}));
  o.train_limit = 6; // crosses a batch-file boundary
  CHECK(load(o).num_train == 6);
}

TEST_CASE("search: missing and corrupt data files raise SpecError naming the file") {
  TempDir dir;
  DataOptions o;
  o.root = dir.file("no-such-dir");
  CHECK(field_of_error([&] { load(o); }) == "data.root");

  o.root = dir.path.string(); // exists, but holds no Fashion-MNIST files
  CHECK(field_of_error([&] { load(o); }) == dir.file("train-images-idx3-ubyte"));

  // IDX with the wrong magic (a label file passed as images).
  auto labels = be32(0x00000801);
  for (auto b : be32(2)) labels.push_back(b);
  labels.push_back(3);
  labels.push_back(4);
  write_bytes(dir.file("labels"), labels);
  try {
    read_idx(dir.file("labels"), dir.file("labels"));
    FAIL("no SpecError");
  } catch (const SpecError& e) {
    CHECK(e.field() == dir.file("labels"));
    CHECK_THAT(e.what(), Catch::Contains("magic"));
  }

  // Truncated IDX images: header says 2 x 28 x 28, one image present.
  auto images = be32(0x00000803);
  for (std::uint32_t v : {2u, 28u, 28u})
    for (auto b : be32(v)) images.push_back(b);
  images.resize(images.size() + 784, 0);
  write_bytes(dir.file("images"), images);
  try {
    read_idx(dir.file("images"), dir.file("labels"));
    FAIL("no SpecError");
  } catch (const SpecError& e) {
    CHECK(e.field() == dir.file("images"));
    CHECK_THAT(e.what(), Catch::Contains("truncated"));
  }

  // Truncated CIFAR file, empty file, label out of range.
  auto rec = cifar_records(3, 1, 4);
  rec.pop_back();
  write_bytes(dir.file("short.bin"), rec);
  CHECK(field_of_error([&] { read_cifar(dir.file("short.bin"), CifarKind::Cifar10); }) ==
        dir.file("short.bin"));
  write_bytes(dir.file("empty.bin"), {});
  CHECK(field_of_error([&] { read_cifar(dir.file("empty.bin"), CifarKind::Cifar10); }) ==
        dir.file("empty.bin"));
  auto bad = cifar_records(1, 1, 5);
  bad[0] = 10;
  write_bytes(dir.file("bad.bin"), bad);
  CHECK(field_of_error([&] { read_cifar(dir.file("bad.bin"), CifarKind::Cifar10); }) ==
        dir.file("bad.bin"));
}
