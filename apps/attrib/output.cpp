// Staged output of the attrib program (output.hpp).
#include "output.hpp"

#include <attrib/io/detail/binary.hpp>
#include <attrib/io/png.hpp>

#include <signal.h>
#include <unistd.h>

#include <cerrno>

#include <cstdlib>
#include <filesystem>

namespace attrib::cli {

namespace fs = std::filesystem;

Staging::Staging(std::string out) : out_(std::move(out)) {
  std::error_code ec;
  if (fs::exists(out_, ec) && !fs::is_directory(out_, ec)) fail("cli.040", "--out '", out_, "' exists and is not a directory");
  fs::create_directories(out_, ec);
  if (ec) fail("cli.040", "--out '", out_, "': cannot create the directory: ", ec.message());
  // Staging directories of runs that were killed (their process is gone) are removed.
  for (const auto& e : fs::directory_iterator(out_, ec)) {
    const std::string n = e.path().filename().string(), prefix = ".attrib-staging-";
    if (n.rfind(prefix, 0) != 0) continue;
    const long pid = std::atol(n.c_str() + prefix.size());
    if (pid > 0 && kill(pid_t(pid), 0) != 0 && errno == ESRCH) fs::remove_all(e.path(), ec);
  }
  dir_ = (fs::path(out_) / (".attrib-staging-" + std::to_string(getpid()))).string();
  fs::remove_all(dir_, ec);
  fs::create_directory(dir_, ec);
  if (ec) fail("cli.040", "--out '", out_, "': cannot create '", dir_, "': ", ec.message());
}

Staging::~Staging() {
  if (committed_) return;
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

void Staging::written(const std::string& name) {
  files_.push_back(name);
  // Test hook (tests/cli): stop dead after this many files, as a kill half-way would.
  if (const char* n = std::getenv("ATTRIB_CLI_TEST_KILL_AFTER_FILES"))
    if (long(files_.size()) >= std::atol(n)) std::_Exit(137);
}

void Staging::text(const std::string& name, const std::string& content) {
  const std::string err = detail::io::write_atomically((fs::path(dir_) / name).string(), reinterpret_cast<const unsigned char*>(content.data()), content.size());
  if (!err.empty()) fail("cli.041", "cannot write '", name, "' in '", out_, "': ", err);
  written(name);
}

void Staging::png(const std::string& name, const Image& img) {
  write_png((fs::path(dir_) / name).string(), img);
  written(name);
}

void Staging::commit(const std::string& last) {
  std::vector<std::string> order;
  for (const auto& f : files_)
    if (f != last) order.push_back(f);
  if (!last.empty()) order.push_back(last);
  for (const auto& f : order) {
    std::error_code ec;
    fs::rename(fs::path(dir_) / f, fs::path(out_) / f, ec);
    if (ec) fail("cli.041", "cannot move '", f, "' into '", out_, "': ", ec.message());
  }
  std::error_code ec;
  fs::remove_all(dir_, ec);
  committed_ = true;
}

}  // namespace attrib::cli
