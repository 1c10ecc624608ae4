#pragma once
// Shared by the fuzz targets (tests/fuzz/fuzz_*.cpp, docs/reliability.md): a scratch file for the
// loaders that take a path, and a reader that turns the fuzzer's bytes into small integers,
// doubles and floats. A target lets attrib::Error (the library's typed errors) through as the
// expected answer to a bad input; anything else - another exception, a crash, a sanitizer
// report, a hang, an allocation above the run's limit - is a finding.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace attrib::fuzz {

/// One scratch file per process, rewritten for every input, removed at exit: in /dev/shm if it is
/// writable (memory: on a disk-backed /tmp every input cost ~18 ms of waiting, 100x slower), else
/// in $TMPDIR or /tmp.
class ScratchFile {
 public:
  ScratchFile() {
    const char* tmp = std::getenv("TMPDIR");
    const std::string dir = ::access("/dev/shm", W_OK | X_OK) == 0 ? "/dev/shm" : tmp && *tmp ? tmp : "/tmp";
    path_ = dir + "/attrib_fuzz_" + std::to_string(::getpid());
  }
  ~ScratchFile() { std::remove(path_.c_str()); }
  ScratchFile(const ScratchFile&) = delete;
  ScratchFile& operator=(const ScratchFile&) = delete;

  /// Writes the bytes; returns the path.
  const std::string& write(const void* data, std::size_t size) {
    std::FILE* f = std::fopen(path_.c_str(), "wb");
    if (!f || (size && std::fwrite(data, 1, size, f) != size) || std::fclose(f) != 0) {
      std::perror(path_.c_str());
      std::abort();  // the harness, not the library, failed
    }
    return path_;
  }

 private:
  std::string path_;
};

/// A harness-level finding (wrong result without a crash): prints and aborts like a crash would.
[[noreturn]] inline void finding(const std::string& what) {
  std::fprintf(stderr, "fuzz finding: %s\n", what.c_str());
  std::abort();
}

/// Bit-identical tensors (shape and every element's bytes, NaN payloads included).
template <class A, class B>
bool same_bits(const A& a, const B& b) {
  return a.shape() == b.shape() &&
         (a.size() == 0 || std::memcmp(a.data(), b.data(), std::size_t(a.size()) * sizeof(*a.data())) == 0);
}

inline const std::string& write_scratch(const void* data, std::size_t size) {
  static ScratchFile file;
  return file.write(data, size);
}

/// Consumes the fuzzer's bytes from the front; past the end every value reads as zero.
class Bytes {
 public:
  Bytes(const std::uint8_t* data, std::size_t size) : p_(data), n_(size) {}

  std::uint8_t byte() { return n_ ? (--n_, *p_++) : 0; }
  /// Any 32-bit value, including the negative and the huge (what a careless caller passes).
  std::int32_t int32() {
    std::uint32_t u = 0;
    for (int i = 0; i < 4; ++i) u = (u << 8) | byte();
    std::int32_t v;
    std::memcpy(&v, &u, 4);
    return v;
  }
  /// Any double bit pattern: NaN, infinities, subnormals, huge and tiny values.
  double any_double() {
    std::uint64_t u = 0;
    for (int i = 0; i < 8; ++i) u = (u << 8) | byte();
    double v;
    std::memcpy(&v, &u, 8);
    return v;
  }
  float any_float() {
    std::uint32_t u = static_cast<std::uint32_t>(int32());
    float v;
    std::memcpy(&v, &u, 4);
    return v;
  }
  std::string text(std::size_t max_len) {
    std::string s;
    const std::size_t len = byte() % (max_len + 1);
    for (std::size_t i = 0; i < len && n_; ++i) s += static_cast<char>(byte());
    return s;
  }
  std::size_t left() const { return n_; }
  const std::uint8_t* data() const { return p_; }

 private:
  const std::uint8_t* p_;
  std::size_t n_;
};

}  // namespace attrib::fuzz
