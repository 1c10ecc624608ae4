// Issue #16 item 7: writers replace files atomically. A failed write (disk full, file size limit,
// unwritable directory) leaves the previous good file byte for byte and no temporary file; the
// message carries the OS's reason. RLIMIT_FSIZE makes the kernel refuse writes past a size
// (EFBIG), which simulates a full disk for one process; /dev/full fails every write (ENOSPC).
#include <filesystem>
#include <string>
#include <vector>

#include "attrib/io/npy.hpp"
#include "attrib/io/safetensors.hpp"
#include "io/io_test_support.hpp"

using namespace attrib;
using attrib::test::read_bytes;
using attrib::test::require_io_error;
using attrib::test::TempDir;
#ifdef ATTRIB_TEST_HAVE_RLIMIT
using attrib::test::FileSizeLimit;
#endif

TEST_CASE("atomic write: a failed npy or safetensors save keeps the previous file intact", "[io][atomic]") {
#ifndef ATTRIB_TEST_HAVE_RLIMIT
  SUCCEED("no RLIMIT_FSIZE on this platform");
#else
  TempDir dir;
  const std::string npy = dir.file("a.npy"), st = dir.file("a.safetensors");
  const Tensor<float> small(Shape{4}, 1.5f), big(Shape{64, 1024}, 2.0f);  // 256 KiB: over the limit
  save_npy<float>(npy, small);
  save_safetensors<float>(st, {{"w", small}});
  const auto npy_before = read_bytes(npy), st_before = read_bytes(st);
  {
    FileSizeLimit limit(64 * 1024);
    require_io_error([&] { save_npy<float>(npy, big); }, "io.102",
                     {npy, "bytes failed: File too large", "previous file, if any, is unchanged"});
    require_io_error([&] { save_safetensors<float>(st, {{"w", big}}); }, "io.102",
                     {st, "File too large"});
  }
  CHECK(read_bytes(npy) == npy_before);
  CHECK(read_bytes(st) == st_before);
  CHECK(test::files_in(dir.path()) == 2);  // no temporary file left behind
  CHECK(test::bit_equal(load_npy<float>(npy), small));
  // Without the limit the same save replaces the file.
  save_npy<float>(npy, big);
  CHECK(test::bit_equal(load_npy<float>(npy), big));
  CHECK(test::files_in(dir.path()) == 2);
#endif
}

TEST_CASE("atomic write: a full device reports the OS reason", "[io][atomic]") {
  if (!std::filesystem::exists("/dev/full")) return;
  require_io_error([] { save_npy<float>("/dev/full", Tensor<float>(Shape{8}, 1.f)); }, "io.102",
                   {"/dev/full", "No space left on device"});
  CHECK(std::filesystem::exists("/dev/full"));  // written in place, never replaced by a rename
  CHECK(!std::filesystem::is_regular_file("/dev/full"));
}

TEST_CASE("atomic write: a directory as the target is refused", "[io][atomic]") {
  TempDir dir;
  require_io_error([&] { save_npy<float>(dir.path().string(), Tensor<float>(Shape{2})); }, "io.102",
                   {"is a directory"});
}
