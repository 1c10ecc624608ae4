#pragma once
// File access and little-endian float coding shared by the safetensors and npy readers.
// Every failure is an IoError whose message names the file (and the byte offset if any).
#include "attrib/core/config.hpp"
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <type_traits>
#include <vector>

#include "attrib/core/error.hpp"

#if defined(__unix__) || defined(__APPLE__)
#  include <unistd.h>
#endif

ATTRIB_BEGIN_NAMESPACE
namespace detail::io {

template <class T>
inline constexpr bool is_io_scalar_v = std::is_same_v<T, float> || std::is_same_v<T, double>;

/// The two element formats attrib reads and writes: IEEE-754 binary32 / binary64, little endian.
enum class Float { f32, f64 };

inline std::size_t byte_size(Float f) { return f == Float::f32 ? 4 : 8; }

/// Float::f32 for float, Float::f64 for double.
template <class T>
constexpr Float format_of() {
  static_assert(is_io_scalar_v<T>, "attrib I/O stores float or double tensors only; use Tensor<float> or Tensor<double>");
  return std::is_same_v<T, float> ? Float::f32 : Float::f64;
}

/// count elements stored in format f at src -> dst (converted to T; f64 -> float rounds).
template <class T>
void decode(Float f, const unsigned char* src, std::size_t count, T* dst) {
  static_assert(is_io_scalar_v<T>, "attrib I/O stores float or double tensors only");
  if (f == Float::f32) {
    for (std::size_t i = 0; i < count; ++i, src += 4) {
      std::uint32_t u = 0;
      for (int b = 3; b >= 0; --b) u = (u << 8) | src[b];
      float v;
      std::memcpy(&v, &u, 4);
      dst[i] = static_cast<T>(v);
    }
  } else {
    for (std::size_t i = 0; i < count; ++i, src += 8) {
      std::uint64_t u = 0;
      for (int b = 7; b >= 0; --b) u = (u << 8) | src[b];
      double v;
      std::memcpy(&v, &u, 8);
      dst[i] = static_cast<T>(v);
    }
  }
}

/// count elements of T -> little-endian bytes in T's own format (bit-exact).
template <class T>
void encode(const T* src, std::size_t count, unsigned char* dst) {
  static_assert(is_io_scalar_v<T>, "attrib I/O stores float or double tensors only");
  using U = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
  for (std::size_t i = 0; i < count; ++i) {
    U u;
    std::memcpy(&u, &src[i], sizeof(T));
    for (std::size_t b = 0; b < sizeof(T); ++b, u >>= 8) *dst++ = static_cast<unsigned char>(u & 0xFF);
  }
}

inline std::uint64_t read_le(const unsigned char* p, int bytes) {
  std::uint64_t u = 0;
  for (int b = bytes - 1; b >= 0; --b) u = (u << 8) | p[b];
  return u;
}
inline void write_le(std::uint64_t v, int bytes, unsigned char* p) {
  for (int b = 0; b < bytes; ++b, v >>= 8) p[b] = static_cast<unsigned char>(v & 0xFF);
}

/// A regular file opened for reading; size known up front.
class InputFile {
 public:
  InputFile(const std::string& path, const char* format) : path_(path) {
    std::error_code ec;
    const auto status = std::filesystem::status(path, ec);
    if (!std::filesystem::exists(status))
      raise<IoError>("io.100", format, " file '", path, "': no such file");
    if (!std::filesystem::is_regular_file(status))
      raise<IoError>("io.100", format, " file '", path, "': not a regular file");
    size_ = std::filesystem::file_size(path, ec);
    in_.open(path, std::ios::binary);
    if (ec || !in_) raise<IoError>("io.100", format, " file '", path, "': cannot open for reading");
  }

  const std::string& path() const { return path_; }
  std::uint64_t size() const { return size_; }

  /// Reads n bytes at `offset`; `what` says what they are for the message.
  void read(std::uint64_t offset, void* dst, std::uint64_t n, const std::string& what) {
    if (n == 0) return;
    in_.clear();
    in_.seekg(static_cast<std::streamoff>(offset));
    in_.read(static_cast<char*>(dst), static_cast<std::streamsize>(n));
    if (!in_ || static_cast<std::uint64_t>(in_.gcount()) != n)
      raise<IoError>("io.101", "file '", path_, "': cannot read ", n, " bytes at byte offset ", offset,
                     " (", what, "); the file is truncated or unreadable");
  }

 private:
  std::string path_;
  std::uint64_t size_ = 0;
  std::ifstream in_;
};

/// Replaces `path` by `bytes` atomically: writes a temporary file in the same directory, flushes
/// it to the disk and renames it over `path`. On any failure (disk full, read-only directory,
/// file size limit ...) the temporary file is removed and an existing `path` is left untouched.
/// Returns "" on success, else the reason including the OS's (strerror).
inline std::string write_atomically(const std::string& path, const unsigned char* data, std::size_t n) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_directory(path, ec)) return "is a directory";
  fs::path target(path);
  if (fs::is_symlink(target, ec)) {  // replace the file the link points to, not the link
    const fs::path real = fs::weakly_canonical(target, ec);
    if (!ec) target = real;
  }
  // An existing device, pipe or socket (/dev/stdout, /dev/full) is written in place: it cannot be
  // replaced by a rename, and there is no previous content to keep.
  const auto st = fs::status(target, ec);
  const bool in_place = fs::exists(st) && !fs::is_regular_file(st);
  static std::atomic<unsigned long> counter{0};
  const auto stamp = static_cast<unsigned long>(std::chrono::steady_clock::now().time_since_epoch().count());
  const std::string tmp = in_place ? target.string()
                                   : target.string() + ".attrib-tmp-" + std::to_string(stamp) + "-" + std::to_string(counter++);
  std::FILE* f = std::fopen(tmp.c_str(), in_place ? "wb" : "wbx");
  if (!f)
    return in_place ? "cannot open for writing: " + std::string(std::strerror(errno))
                    : "cannot create a temporary file next to it ('" + tmp + "'): " + std::strerror(errno);
  int err = 0;
  if (n && std::fwrite(data, 1, n, f) != n) err = errno ? errno : EIO;
  if (!err && std::fflush(f) != 0) err = errno ? errno : EIO;
#if defined(__unix__) || defined(__APPLE__)
  if (!err && ::fsync(::fileno(f)) != 0 && errno != EINVAL && errno != EROFS) err = errno;
#endif
  if (std::fclose(f) != 0 && !err) err = errno ? errno : EIO;
  if (err) {
    if (in_place) return "writing " + std::to_string(n) + " bytes failed: " + std::strerror(err);
    std::remove(tmp.c_str());
    return "writing " + std::to_string(n) + " bytes failed: " + std::strerror(err) +
           " (the previous file, if any, is unchanged)";
  }
  if (in_place) return {};
  fs::rename(tmp, target, ec);
  if (ec) {
    std::remove(tmp.c_str());
    return "cannot replace it with the written temporary file: " + ec.message() +
           " (the previous file, if any, is unchanged)";
  }
  return {};
}

/// Writes `bytes` to `path` atomically (write_atomically); throws IoError io.102 on any failure.
inline void write_file(const std::string& path, const std::vector<unsigned char>& bytes, const char* format) {
  const std::string err = write_atomically(path, bytes.data(), bytes.size());
  if (!err.empty()) raise<IoError>("io.102", format, " file '", path, "': ", err);
}

}  // namespace detail::io
ATTRIB_END_NAMESPACE
