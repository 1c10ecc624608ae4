#pragma once
// IDX files (the MNIST / Fashion-MNIST format), plain or gzip-compressed. Needs zlib: link the
// CMake target attrib::idx (ZLIB::ZLIB), or -lz.
//
// Layout (big endian): two zero bytes, a type code (0x08 = unsigned byte; attrib reads no
// other), the rank r, r 4-byte dimensions, then the data in C order. Images are rank 3
// [N, rows, cols], labels rank 1 [N].
//
//   auto test = attrib::load_fashion_mnist<float>("t10k");        // default directory, all 10,000
//   test.images;  // Tensor<float> [N, 1, 28, 28], pixel / 255 in [0, 1]
//   test.labels;  // std::vector<int>
//
// Every failure is an IoError (io.300-io.312, docs/examples.md) naming the file and, for malformed
// content, the byte offset in the (decompressed) data. A hostile header cannot make the reader
// allocate more than the data actually present: the buffer grows as bytes arrive.
#include "attrib/core/config.hpp"
#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "attrib/core/error.hpp"
#include "attrib/core/tensor.hpp"

ATTRIB_BEGIN_NAMESPACE

/// The raw content of an unsigned-byte IDX file.
struct IdxArray {
  std::vector<Index> dims;           ///< e.g. [10000, 28, 28]
  std::vector<unsigned char> data;   ///< C order; dims[0] may have been limited by max_items
};

namespace detail::idx {

inline const char* type_name(int code) {
  switch (code) {
    case 0x08: return "unsigned byte";
    case 0x09: return "signed byte";
    case 0x0B: return "int16";
    case 0x0C: return "int32";
    case 0x0D: return "float32";
    case 0x0E: return "float64";
    default: return nullptr;
  }
}

/// A gzip or plain file read sequentially through zlib (gzread passes plain files through).
class Reader {
 public:
  explicit Reader(const std::string& path) : path_(path) {
    std::error_code ec;
    const auto status = std::filesystem::status(path, ec);
    if (!std::filesystem::exists(status)) raise<IoError>("io.300", "IDX file '", path, "': no such file");
    if (!std::filesystem::is_regular_file(status))
      raise<IoError>("io.300", "IDX file '", path, "': not a regular file");
    file_ = gzopen(path.c_str(), "rb");
    if (!file_) raise<IoError>("io.300", "IDX file '", path, "': cannot open for reading");
  }
  ~Reader() {
    if (file_) gzclose(file_);
  }
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

  const std::string& path() const { return path_; }
  bool compressed() const { return gzdirect(file_) == 0; }
  std::uint64_t offset() const { return offset_; }

  /// Up to n bytes appended to out; returns how many arrived (fewer only at the end of the data).
  std::uint64_t read(std::vector<unsigned char>& out, std::uint64_t n) {
    std::uint64_t got = 0;
    while (got < n) {
      const auto chunk = static_cast<unsigned>(std::min<std::uint64_t>(n - got, 1u << 20));
      const std::size_t at = out.size();
      out.resize(at + chunk);
      const int r = gzread(file_, out.data() + at, chunk);
      if (r < 0) fail_stream();
      out.resize(at + static_cast<std::size_t>(r));
      got += static_cast<std::uint64_t>(r);
      offset_ += static_cast<std::uint64_t>(r);
      if (static_cast<unsigned>(r) < chunk) {
        int err = Z_OK;
        gzerror(file_, &err);
        if (err != Z_OK && err != Z_STREAM_END) fail_stream();
        break;
      }
    }
    return got;
  }

  std::string where() const {
    return std::string(compressed() ? " of the decompressed data" : "");
  }

 private:
  [[noreturn]] void fail_stream() {
    int err = Z_OK;
    const char* msg = gzerror(file_, &err);
    raise<IoError>("io.301", "IDX file '", path_, "': read or decompression error at byte offset ", offset_,
                   where(), ": ", msg ? msg : "unknown zlib error",
                   " (truncated or corrupt gzip stream?)");
  }

  std::string path_;
  gzFile file_ = nullptr;
  std::uint64_t offset_ = 0;
};

}  // namespace detail::idx

/// Default limit of the data read_idx inflates: 1 GiB (Fashion-MNIST's training images are 47 MB).
inline constexpr std::uint64_t idx_default_max_bytes = std::uint64_t(1) << 30;

/// Reads an unsigned-byte IDX file (plain or gzip). `max_items` >= 0 reads only the first
/// max_items entries along the first dimension (dims[0] is then min(dims[0], max_items) and
/// the rest of the file is not read); -1 reads and validates everything, including that no
/// bytes follow the data. Data the header declares beyond `max_bytes` is refused (io.313)
/// before anything is inflated: a small .gz cannot expand into gigabytes of memory; the data
/// is inflated in 1 MiB chunks and never past what the header declares.
inline IdxArray read_idx(const std::string& path, Index max_items = -1,
                         std::uint64_t max_bytes = idx_default_max_bytes) {
  if (max_items < -1)
    raise<ArgumentError>("io.310", "read_idx('", path, "'): max_items ", max_items, ", expected -1 (all) or >= 0");
  detail::idx::Reader in(path);
  std::vector<unsigned char> head;
  if (in.read(head, 4) < 4)
    raise<IoError>("io.305", "IDX file '", path, "': ", head.size(), " bytes", in.where(),
                   ", shorter than the 4-byte magic number");
  const int type = head[2], rank = head[3];
  if (head[0] != 0 || head[1] != 0 || !detail::idx::type_name(type))
    raise<IoError>("io.302", "IDX file '", path, "': bad magic number ", int(head[0]), " ", int(head[1]), " ",
                   type, " ", rank, " at byte offset 0", in.where(),
                   " (expected 0 0 <type code 0x08-0x0E> <rank>); not an IDX file");
  if (type != 0x08)
    raise<IoError>("io.303", "IDX file '", path, "': element type ", detail::idx::type_name(type), " (code ", type,
                   ", byte offset 2); only unsigned byte (0x08) is supported");
  if (rank < 1 || rank > 4)
    raise<IoError>("io.304", "IDX file '", path, "': rank ", rank, " at byte offset 3, expected 1 to 4");
  head.clear();
  if (in.read(head, 4 * std::uint64_t(rank)) < 4 * std::uint64_t(rank))
    raise<IoError>("io.305", "IDX file '", path, "': header truncated at byte offset ", in.offset(), in.where(),
                   " (", rank, " dimensions need ", 4 + 4 * rank, " header bytes)");
  IdxArray out;
  std::uint64_t count = 1;
  for (int d = 0; d < rank; ++d) {
    const unsigned char* p = head.data() + 4 * d;
    const std::uint64_t v = (std::uint64_t(p[0]) << 24) | (std::uint64_t(p[1]) << 16) | (std::uint64_t(p[2]) << 8) | p[3];
    out.dims.push_back(static_cast<Index>(v));
    constexpr std::uint64_t limit = std::uint64_t(1) << 40;  // 1 TiB: refused, never multiplied past
    if (v != 0 && count > limit / v)
      raise<IoError>("io.308", "IDX file '", path, "': the dimensions at byte offset 4 describe more than 2^40 bytes");
    count *= v;
  }
  const std::uint64_t item = out.dims[0] ? count / std::uint64_t(out.dims[0]) : 0;
  const bool all = max_items < 0 || max_items >= out.dims[0];
  if (!all) out.dims[0] = max_items;
  const std::uint64_t want = all ? count : item * std::uint64_t(max_items);
  if (want > max_bytes)
    raise<IoError>("io.313", "IDX file '", path, "': the dimensions at byte offset 4 declare ", want,
                   " data bytes, more than the limit of ", max_bytes,
                   " (read_idx's max_bytes; pass max_items to read fewer items or raise the limit)");
  const std::uint64_t data_start = in.offset();
  if (in.read(out.data, want) < want)
    raise<IoError>("io.306", "IDX file '", path, "': data truncated: ", out.data.size(), " bytes at byte offset ",
                   data_start, in.where(), ", the dimensions need ", want, all ? "" : " (for the requested items)");
  if (all) {
    std::vector<unsigned char> extra;
    if (in.read(extra, 1) > 0)
      raise<IoError>("io.307", "IDX file '", path, "': trailing bytes after the data at byte offset ",
                     data_start + want, in.where(), " (the dimensions describe ", want, " data bytes)");
  }
  return out;
}

/// Images of a rank-3 IDX file as [N, 1, rows, cols], pixel / 255 in [0, 1].
template <class T>
Tensor<T> load_idx_images(const std::string& path, Index max_items = -1) {
  const IdxArray a = read_idx(path, max_items);
  if (a.dims.size() != 3)
    raise<IoError>("io.309", "IDX file '", path, "': rank ", a.dims.size(), ", expected 3 ([N, rows, cols]) for images");
  Tensor<T> images(Shape{a.dims[0], 1, a.dims[1], a.dims[2]});
  for (std::size_t i = 0; i < a.data.size(); ++i) images[Index(i)] = T(a.data[i]) / T(255);
  return images;
}

/// Labels of a rank-1 IDX file.
inline std::vector<int> load_idx_labels(const std::string& path, Index max_items = -1) {
  const IdxArray a = read_idx(path, max_items);
  if (a.dims.size() != 1)
    raise<IoError>("io.309", "IDX file '", path, "': rank ", a.dims.size(), ", expected 1 ([N]) for labels");
  return std::vector<int>(a.data.begin(), a.data.end());
}

template <class T>
struct LabelledImages {
  Tensor<T> images;         ///< [N, 1, rows, cols] in [0, 1]
  std::vector<int> labels;  ///< N labels
};

/// $ATTRIB_FASHION_MNIST_DIR if set, else Debian's /usr/share/datasets/fashion-mnist.
inline std::string fashion_mnist_dir() {
  const char* env = std::getenv("ATTRIB_FASHION_MNIST_DIR");
  return env && *env ? std::string(env) : std::string("/usr/share/datasets/fashion-mnist");
}

namespace detail::idx {
/// "<dir>/<stem>.gz" if it exists, else "<dir>/<stem>" (the name used in messages if neither does).
inline std::string find_file(const std::string& dir, const std::string& stem) {
  const std::string plain = dir + "/" + stem;
  std::error_code ec;
  if (std::filesystem::exists(plain + ".gz", ec)) return plain + ".gz";
  return std::filesystem::exists(plain, ec) ? plain : plain + ".gz";
}
}  // namespace detail::idx

/// True if the images and labels of `split` ("train" or "t10k") are in `dir`.
inline bool fashion_mnist_available(const std::string& split = "t10k", const std::string& dir = fashion_mnist_dir()) {
  std::error_code ec;
  return std::filesystem::exists(detail::idx::find_file(dir, split + "-images-idx3-ubyte"), ec) &&
         std::filesystem::exists(detail::idx::find_file(dir, split + "-labels-idx1-ubyte"), ec);
}

/// A split of (Fashion-)MNIST: <dir>/<split>-images-idx3-ubyte[.gz] and the labels file,
/// optionally only the first max_items. The two files must hold the same number of items.
template <class T>
LabelledImages<T> load_fashion_mnist(const std::string& split, Index max_items = -1,
                                     const std::string& dir = fashion_mnist_dir()) {
  if (split != "train" && split != "t10k")
    raise<ArgumentError>("io.310", "load_fashion_mnist: split '", split, "', expected \"train\" or \"t10k\"");
  const std::string image_path = detail::idx::find_file(dir, split + "-images-idx3-ubyte");
  const std::string label_path = detail::idx::find_file(dir, split + "-labels-idx1-ubyte");
  LabelledImages<T> out{load_idx_images<T>(image_path, max_items), load_idx_labels(label_path, max_items)};
  if (out.images.dim(0) != Index(out.labels.size()))
    raise<IoError>("io.311", "Fashion-MNIST '", split, "': ", out.images.dim(0), " images in '", image_path, "' but ",
                   out.labels.size(), " labels in '", label_path, "'");
  for (std::size_t i = 0; i < out.labels.size(); ++i)
    if (out.labels[i] > 9)
      raise<IoError>("io.312", "Fashion-MNIST labels '", label_path, "': label ", out.labels[i], " at item ", i,
                     " (byte offset ", 8 + i, "), expected 0 to 9");
  return out;
}

ATTRIB_END_NAMESPACE
