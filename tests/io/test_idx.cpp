// IDX reader: crafted plain and gzip files (written here byte by byte, gzip by zlib's writer),
// every documented error, and the real Fashion-MNIST files when Debian's package is installed.
#include <zlib.h>

#include <cstdlib>

#include "io/io_test_support.hpp"
#include "attrib/io/idx.hpp"

using namespace attrib;
using namespace attrib::test;

namespace {

/// Header (magic 0 0 type rank, big-endian dims) followed by the data bytes.
std::vector<unsigned char> idx_bytes(const std::vector<std::uint32_t>& dims, const std::vector<unsigned char>& data,
                                     unsigned char type = 0x08) {
  std::vector<unsigned char> out = {0, 0, type, static_cast<unsigned char>(dims.size())};
  for (std::uint32_t d : dims)
    for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<unsigned char>((d >> s) & 0xFF));
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

void write_gzip(const std::string& path, const std::vector<unsigned char>& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  REQUIRE(f != nullptr);
  if (!bytes.empty()) REQUIRE(gzwrite(f, bytes.data(), unsigned(bytes.size())) == int(bytes.size()));
  REQUIRE(gzclose(f) == Z_OK);
}

std::vector<unsigned char> counting(std::size_t n) {
  std::vector<unsigned char> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<unsigned char>((i * 37 + 11) % 256);
  return v;
}

}  // namespace

TEMPLATE_TEST_CASE("IDX images: plain and gzip give [N, 1, rows, cols] = byte / 255", "[idx]", float, double) {
  TempDir dir;
  const auto data = counting(3 * 4 * 5);
  const auto bytes = idx_bytes({3, 4, 5}, data);
  write_bytes(dir.file("img.idx"), bytes);
  write_gzip(dir.file("img.idx.gz"), bytes);
  REQUIRE(read_bytes(dir.file("img.idx.gz")).size() > 2);
  CHECK(read_bytes(dir.file("img.idx.gz"))[0] == 0x1F);  // really gzip

  for (const char* name : {"img.idx", "img.idx.gz"}) {
    INFO(name);
    const Tensor<TestType> x = load_idx_images<TestType>(dir.file(name));
    REQUIRE(x.shape() == Shape{3, 1, 4, 5});
    for (Index n = 0; n < 3; ++n)
      for (Index r = 0; r < 4; ++r)
        for (Index c = 0; c < 5; ++c) {
          const double expected = double(data[std::size_t((n * 4 + r) * 5 + c)]) / 255.0;
          CHECK(double(x.at(n, 0, r, c)) == Approx(expected).margin(1e-7));
        }
  }
  const auto first2 = load_idx_images<TestType>(dir.file("img.idx.gz"), 2);
  REQUIRE(first2.shape() == Shape{2, 1, 4, 5});
  CHECK(double(first2.at(1, 0, 3, 4)) == Approx(double(data[39]) / 255.0).margin(1e-7));
  CHECK(load_idx_images<TestType>(dir.file("img.idx"), 0).shape() == Shape{0, 1, 4, 5});
  CHECK(load_idx_images<TestType>(dir.file("img.idx"), 99).shape() == Shape{3, 1, 4, 5});  // more than there are
}

TEST_CASE("IDX labels and raw arrays", "[idx]") {
  TempDir dir;
  const std::vector<unsigned char> labels = {9, 0, 0, 3, 2, 7, 255};
  write_gzip(dir.file("l.gz"), idx_bytes({7}, labels));
  const std::vector<int> got = load_idx_labels(dir.file("l.gz"));
  CHECK(got == std::vector<int>{9, 0, 0, 3, 2, 7, 255});
  CHECK(load_idx_labels(dir.file("l.gz"), 3) == std::vector<int>{9, 0, 0});

  write_bytes(dir.file("r4"), idx_bytes({2, 1, 3, 2}, counting(12)));
  const IdxArray a = read_idx(dir.file("r4"));
  CHECK(a.dims == std::vector<Index>{2, 1, 3, 2});
  CHECK(a.data == counting(12));
  write_bytes(dir.file("empty"), idx_bytes({0, 28, 28}, {}));
  CHECK(load_idx_images<float>(dir.file("empty")).shape() == Shape{0, 1, 28, 28});
}

TEST_CASE("IDX errors name the file and the byte offset", "[idx][errors]") {
  TempDir dir;
  const std::string missing = dir.file("nope.gz");
  require_io_error([&] { read_idx(missing); }, "io.300", {"'" + missing + "'", "no such file"});
  require_io_error([&] { read_idx(dir.path().string()); }, "io.300", {"not a regular file"});

  write_bytes(dir.file("short"), {0, 0, 8});
  require_io_error([&] { read_idx(dir.file("short")); }, "io.305", {"'" + dir.file("short") + "'", "3 bytes"});

  write_bytes(dir.file("magic"), {0x50, 0x4B, 3, 4, 0, 0, 0, 0});
  require_io_error([&] { read_idx(dir.file("magic")); }, "io.302", {"bad magic number 80 75 3 4", "byte offset 0"});
  write_bytes(dir.file("type"), idx_bytes({2}, {0, 0, 0, 0, 0, 0, 0, 0}, 0x0D));
  require_io_error([&] { read_idx(dir.file("type")); }, "io.303", {"float32", "code 13", "only unsigned byte"});
  write_bytes(dir.file("unknown_type"), idx_bytes({2}, {0, 0}, 0x0A));
  require_io_error([&] { read_idx(dir.file("unknown_type")); }, "io.302", {"bad magic"});
  write_bytes(dir.file("rank0"), {0, 0, 8, 0});
  require_io_error([&] { read_idx(dir.file("rank0")); }, "io.304", {"rank 0", "byte offset 3"});
  write_bytes(dir.file("rank5"), idx_bytes({1, 1, 1, 1, 1}, {7}));
  require_io_error([&] { read_idx(dir.file("rank5")); }, "io.304", {"rank 5"});

  auto dims_cut = idx_bytes({10, 28, 28}, {});
  dims_cut.resize(10);
  write_bytes(dir.file("dims_cut"), dims_cut);
  require_io_error([&] { read_idx(dir.file("dims_cut")); }, "io.305", {"header truncated at byte offset 10", "16 header bytes"});

  write_bytes(dir.file("trunc"), idx_bytes({2, 3, 3}, counting(17)));
  require_io_error([&] { read_idx(dir.file("trunc")); }, "io.306", {"17 bytes at byte offset 16", "need 18"});
  // Reading only the first item does not need the missing byte.
  CHECK(read_idx(dir.file("trunc"), 1).data.size() == 9);

  write_bytes(dir.file("trail"), idx_bytes({2}, {1, 2, 3}));
  require_io_error([&] { read_idx(dir.file("trail")); }, "io.307", {"trailing bytes", "byte offset 10"});

  // 2^32-1 items of 2^32-1 x 2^32-1 bytes: refused before anything is allocated.
  write_bytes(dir.file("huge"), idx_bytes({0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu}, {}));
  require_io_error([&] { read_idx(dir.file("huge")); }, "io.308", {"2^40"});
  // Large but representable dims over a tiny file: a truncation error, not an allocation.
  write_bytes(dir.file("big"), idx_bytes({60000, 280, 280}, counting(100)));
  require_io_error([&] { read_idx(dir.file("big"), -1, std::uint64_t(1) << 40); }, "io.306",
                   {"100 bytes at byte offset 16", "4704000000"});
  require_io_error([&] { read_idx(dir.file("big")); }, "io.313", {"4704000000", "limit"});  // default 1 GiB

  write_bytes(dir.file("labels_as_images"), idx_bytes({3}, {1, 2, 3}));
  require_io_error([&] { load_idx_images<float>(dir.file("labels_as_images")); }, "io.309", {"rank 1", "expected 3"});
  write_bytes(dir.file("images_as_labels"), idx_bytes({1, 1, 2}, {1, 2}));
  require_io_error([&] { load_idx_labels(dir.file("images_as_labels")); }, "io.309", {"rank 3", "expected 1"});
  CHECK_THROWS_AS(read_idx(dir.file("trail"), -2), ArgumentError);
}

TEST_CASE("IDX: corrupt and truncated gzip streams", "[idx][errors]") {
  TempDir dir;
  write_gzip(dir.file("ok.gz"), idx_bytes({4, 8, 8}, counting(256)));
  auto gz = read_bytes(dir.file("ok.gz"));
  auto cut = gz;
  cut.resize(gz.size() / 2);
  write_bytes(dir.file("cut.gz"), cut);
  try {
    read_idx(dir.file("cut.gz"));
    FAIL("no error for a truncated gzip stream");
  } catch (const IoError& e) {
    const std::string msg = e.what();
    INFO(msg);
    CHECK((e.id() == "attrib.io.301" || e.id() == "attrib.io.306" || e.id() == "attrib.io.305"));
    CHECK(msg.find("'" + dir.file("cut.gz") + "'") != std::string::npos);
    CHECK(msg.find("decompressed data") != std::string::npos);
  }
  auto bad = gz;
  for (std::size_t i = 12; i < bad.size() - 8; ++i) bad[i] ^= 0x5A;  // deflate data garbled
  write_bytes(dir.file("bad.gz"), bad);
  CHECK_THROWS_AS(read_idx(dir.file("bad.gz")), IoError);
}

TEST_CASE("load_fashion_mnist on a crafted directory: pairing and label checks", "[idx]") {
  TempDir dir;
  write_gzip(dir.file("t10k-images-idx3-ubyte.gz"), idx_bytes({3, 28, 28}, counting(3 * 784)));
  write_bytes(dir.file("t10k-labels-idx1-ubyte"), idx_bytes({3}, {4, 0, 9}));  // plain file found too
  CHECK(fashion_mnist_available("t10k", dir.path().string()));
  CHECK_FALSE(fashion_mnist_available("train", dir.path().string()));
  const auto s = load_fashion_mnist<float>("t10k", -1, dir.path().string());
  CHECK(s.images.shape() == Shape{3, 1, 28, 28});
  CHECK(s.labels == std::vector<int>{4, 0, 9});
  CHECK(load_fashion_mnist<double>("t10k", 2, dir.path().string()).labels.size() == 2);

  write_bytes(dir.file("t10k-labels-idx1-ubyte"), idx_bytes({2}, {4, 0}));
  require_io_error([&] { load_fashion_mnist<float>("t10k", -1, dir.path().string()); }, "io.311",
                   {"3 images", "2 labels"});
  write_bytes(dir.file("t10k-labels-idx1-ubyte"), idx_bytes({3}, {4, 10, 9}));
  require_io_error([&] { load_fashion_mnist<float>("t10k", -1, dir.path().string()); }, "io.312",
                   {"label 10 at item 1", "byte offset 9"});
  CHECK_THROWS_AS(load_fashion_mnist<float>("test", -1, dir.path().string()), ArgumentError);
  require_io_error([&] { load_fashion_mnist<float>("train", -1, dir.path().string()); }, "io.300",
                   {"train-images-idx3-ubyte.gz", "no such file"});
}

TEST_CASE("The real Fashion-MNIST files (Debian dataset-fashion-mnist)", "[idx][dataset]") {
  if (!fashion_mnist_available("t10k") || !fashion_mnist_available("train")) {
    if (std::getenv("ATTRIB_REQUIRE_FASHION_MNIST"))
      FAIL("Fashion-MNIST not found in " << fashion_mnist_dir() << " but ATTRIB_REQUIRE_FASHION_MNIST is set");
    WARN("Fashion-MNIST not found in " << fashion_mnist_dir() << " (apt-get install dataset-fashion-mnist); skipped");
    return;
  }
  const auto test = load_fashion_mnist<float>("t10k");
  REQUIRE(test.images.shape() == Shape{10000, 1, 28, 28});
  std::vector<int> per_class(10, 0);
  for (int l : test.labels) per_class[std::size_t(l)]++;
  CHECK(per_class == std::vector<int>(10, 1000));  // the test set is balanced
  CHECK(test.labels[0] == 9);                      // ankle boot, as every Fashion-MNIST tutorial shows
  CHECK(test.images.vec().minCoeff() == 0.0f);
  CHECK(test.images.vec().maxCoeff() == 1.0f);
  const auto train_labels = load_idx_labels(fashion_mnist_dir() + "/train-labels-idx1-ubyte.gz");
  CHECK(train_labels.size() == 60000);
  const auto train_head = load_idx_images<double>(fashion_mnist_dir() + "/train-images-idx3-ubyte.gz", 5);
  CHECK(train_head.shape() == Shape{5, 1, 28, 28});
}

// Issue #16 item 8: a small .idx.gz whose header declares gigabytes (zeros compress ~1000:1)
// used to be inflated into memory; the declared size is now checked against a documented
// limit before any data is inflated.
TEST_CASE("IDX: declared data beyond the limit is refused before inflating", "[idx][errors]") {
  TempDir dir;
  // [40000, 256, 256] = 2.6 GB declared; 4 MB of zeros actually present (a few KB compressed).
  write_gzip(dir.file("bomb.idx.gz"), idx_bytes({40000, 256, 256}, std::vector<unsigned char>(std::size_t(4) << 20, 0)));
  CHECK(read_bytes(dir.file("bomb.idx.gz")).size() < 64 * 1024);
  require_io_error([&] { read_idx(dir.file("bomb.idx.gz")); }, "io.313",
                   {"bomb.idx.gz", "declare 2621440000 data bytes, more than the limit of 1073741824"});
  require_io_error([&] { load_idx_images<float>(dir.file("bomb.idx.gz")); }, "io.313", {"max_items"});
  // max_items below the limit reads just those items.
  CHECK(read_idx(dir.file("bomb.idx.gz"), 2).data.size() == 2 * 256 * 256);
  // The limit is a parameter: exactly at it passes, one byte below fails.
  write_gzip(dir.file("small.gz"), idx_bytes({10, 10}, counting(100)));
  CHECK(read_idx(dir.file("small.gz"), -1, 100).data == counting(100));
  require_io_error([&] { read_idx(dir.file("small.gz"), -1, 99); }, "io.313", {"declare 100 data bytes"});
}
