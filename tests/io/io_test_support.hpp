#pragma once
// Helpers for the I/O tests: a private temporary directory removed on destruction, raw file
// writing for crafting malformed files, and an IoError id + message check.
#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "attrib/core/tensor.hpp"

#if defined(__unix__) || defined(__APPLE__)
#  include <csignal>
#  include <sys/resource.h>
#  define ATTRIB_TEST_HAVE_RLIMIT 1
#endif

namespace attrib::test {

/// A fresh directory under temp_directory_path(), removed with its contents on destruction.
class TempDir {
 public:
  TempDir() {
    namespace fs = std::filesystem;
    std::random_device rd;
    std::mt19937_64 gen((std::uint64_t(rd()) << 32) ^ rd() ^
                        static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()));
    for (int attempt = 0; attempt < 100; ++attempt) {
      path_ = fs::temp_directory_path() / ("attrib_io_test_" + std::to_string(gen()));
      if (fs::create_directory(path_)) return;
    }
    FAIL("cannot create a temporary directory");
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

inline void write_bytes(const std::string& path, const std::vector<unsigned char>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(out.good());
}

inline std::vector<unsigned char> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  return std::vector<unsigned char>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline void append_le(std::vector<unsigned char>& out, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i, v >>= 8) out.push_back(static_cast<unsigned char>(v & 0xFF));
}

inline std::vector<unsigned char> from_hex(const std::string& hex) {
  std::vector<unsigned char> out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<unsigned char>(std::stoul(hex.substr(i, 2), nullptr, 16)));
  return out;
}

/// Same shape and the same bytes (NaN payloads and -0 included).
template <class T>
bool bit_equal(const Tensor<T>& a, const Tensor<T>& b) {
  return a.shape() == b.shape() &&
         (a.size() == 0 || std::memcmp(a.data(), b.data(), sizeof(T) * std::size_t(a.size())) == 0);
}

/// f() must throw an IoError with id "attrib.<id>" whose message contains every fragment.
template <class F>
void require_io_error(F&& f, const std::string& id, const std::vector<std::string>& fragments) {
  try {
    f();
  } catch (const IoError& e) {
    const std::string msg = e.what();
    INFO("message: " << msg);
    CHECK(e.id() == "attrib." + id);
    CHECK(msg.rfind("[attrib." + id + "] ", 0) == 0);
    for (const auto& frag : fragments) {
      INFO("expected fragment: " << frag);
      CHECK(msg.find(frag) != std::string::npos);
    }
    return;
  }
  FAIL("no IoError thrown, expected " << id);
}

#ifdef ATTRIB_TEST_HAVE_RLIMIT
/// While alive, this process may not write files larger than `bytes` (writes fail with EFBIG).
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    old_handler_ = std::signal(SIGXFSZ, SIG_IGN);
    getrlimit(RLIMIT_FSIZE, &old_);
    rlimit l = old_;
    l.rlim_cur = bytes;
    REQUIRE(setrlimit(RLIMIT_FSIZE, &l) == 0);
  }
  ~FileSizeLimit() {
    setrlimit(RLIMIT_FSIZE, &old_);
    std::signal(SIGXFSZ, old_handler_);
  }
  FileSizeLimit(const FileSizeLimit&) = delete;
  FileSizeLimit& operator=(const FileSizeLimit&) = delete;
 private:
  rlimit old_{};
  void (*old_handler_)(int) = nullptr;
};
#endif

/// The files (not directories) directly in dir.
inline std::size_t files_in(const std::filesystem::path& dir) {
  std::size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) n += e.is_regular_file();
  return n;
}

}  // namespace attrib::test
