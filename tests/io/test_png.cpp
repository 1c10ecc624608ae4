// PNG reading and writing: files made by an independent encoder (Python's zlib + struct, in the
// comments) decode to the known pixels; written files round-trip for 1-4 channels; errors.
#include <algorithm>

#include "io/io_test_support.hpp"
#include "attrib/io/png.hpp"

using namespace attrib;
using namespace attrib::test;

namespace {
// def png(w, h, ctype, rows): filter byte 0 per row, zlib.compress(raw, 9), IHDR/IDAT/IEND chunks
// png(3, 2, 2, [[255,0,0, 0,255,0, 0,0,255], [10,20,30, 128,128,128, 255,255,255]])   (RGB)
const char* const py_rgb_3x2 =
    "89504e470d0a1a0a0000000d49484452000000030000000208020000001216f14d000000184944415478da63f8cfc0c000c15c22720d0d"
    "0dffffff07003c2d07b71a6f4f500000000049454e44ae426082";
// png(2, 2, 0, [[0, 64], [128, 255]])   (grey)
const char* const py_grey_2x2 =
    "89504e470d0a1a0a0000000d494844520000000200000002080000000057dd52f80000000e4944415478da6360706068f80f000305"
    "01c0535b159f0000000049454e44ae426082";

Image pattern(int w, int h, int c) {
  Image img(w, h, c);
  for (std::size_t i = 0; i < img.pixels.size(); ++i) img.pixels[i] = static_cast<unsigned char>((i * 53 + 7) % 256);
  return img;
}
}  // namespace

TEST_CASE("PNG: files from an independent encoder decode to their pixels", "[png]") {
  const Image rgb = decode_png(from_hex(py_rgb_3x2));
  REQUIRE(rgb.width == 3);
  REQUIRE(rgb.height == 2);
  REQUIRE(rgb.channels == 3);
  CHECK(rgb.pixels == std::vector<unsigned char>{255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30, 128, 128, 128, 255, 255, 255});
  CHECK(rgb.rgb(1, 0) == Rgb{0, 255, 0});
  CHECK(rgb.rgb(0, 1) == Rgb{10, 20, 30});

  const Image grey = decode_png(from_hex(py_grey_2x2));
  REQUIRE(grey.channels == 1);
  CHECK(grey.pixels == std::vector<unsigned char>{0, 64, 128, 255});
  const Image grey_as_rgba = decode_png(from_hex(py_grey_2x2), 4);
  REQUIRE(grey_as_rgba.channels == 4);
  CHECK(grey_as_rgba.rgb(1, 1) == Rgb{255, 255, 255});
  CHECK(grey_as_rgba.at(0, 1, 3) == 255);  // opaque
  CHECK(grey_as_rgba.rgb(1, 0) == Rgb{64, 64, 64});
}

TEST_CASE("PNG: write/read round trip for grey, grey+alpha, RGB and RGBA", "[png]") {
  TempDir dir;
  for (int c = 1; c <= 4; ++c) {
    INFO(c << " channels");
    const Image img = pattern(7, 5, c);
    const std::string path = dir.file("img" + std::to_string(c) + ".png");
    write_png(path, img);
    const auto bytes = read_bytes(path);
    REQUIRE(bytes.size() > 8);
    CHECK(bytes[1] == 'P');
    const Image back = read_png(path);
    CHECK(back.width == 7);
    CHECK(back.height == 5);
    CHECK(back.channels == c);
    CHECK(back.pixels == img.pixels);
    CHECK(decode_png(encode_png(img)).pixels == img.pixels);
  }
  // RGB read as grey: stb's luminance (77 r + 150 g + 29 b) >> 8.
  Image red(1, 1, Rgb{255, 0, 0});
  write_png(dir.file("red.png"), red);
  CHECK(int(read_png(dir.file("red.png"), 1).pixels[0]) == (77 * 255) >> 8);
}

TEST_CASE("PNG errors", "[png][errors]") {
  TempDir dir;
  require_io_error([&] { read_png(dir.file("missing.png")); }, "io.321", {"missing.png", "no such file"});
  write_bytes(dir.file("text.png"), {'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd'});
  require_io_error([&] { read_png(dir.file("text.png")); }, "io.323", {"text.png", "no PNG signature"});
  auto cut = from_hex(py_rgb_3x2);
  cut.resize(40);
  write_bytes(dir.file("cut.png"), cut);
  require_io_error([&] { read_png(dir.file("cut.png")); }, "io.323", {"cut.png", "cannot decode PNG"});

  Image broken(2, 2, 3);
  broken.pixels.pop_back();
  require_io_error([&] { encode_png(broken); }, "io.322", {"invalid image 2x2 with 3 channels and 11 bytes"});
  require_io_error([&] { encode_png(Image()); }, "io.322", {"invalid image 0x0"});
  require_io_error([&] { write_png(dir.file("no_such_dir/x.png"), pattern(2, 2, 3)); }, "io.320",
                   {"no_such_dir/x.png", "cannot create a temporary file", "No such file or directory"});
  CHECK_THROWS_AS(decode_png(from_hex(py_grey_2x2), 5), ArgumentError);
  // A header claiming 40000 x 16384 pixels (640 MB as grey, under stb's own 2^30-byte limit) is
  // refused before stb allocates for it (stb does not check the chunk CRC, so patching IHDR's
  // width and height is enough).
  auto huge = from_hex(py_grey_2x2);
  const unsigned char size[8] = {0, 0, 0x9C, 0x40, 0, 0, 0x40, 0};  // big-endian 40000, 16384
  std::copy(size, size + 8, huge.begin() + 16);
  require_io_error([&] { decode_png(huge); }, "io.325", {"a 40000x16384 image", "at most 32768 pixels per side"});
}

// Issue #16 item 7: write_png replaces the file atomically; a failed write keeps the old image.
TEST_CASE("PNG: a failed write keeps the previous file intact", "[png][errors][atomic]") {
  TempDir dir;
  const std::string path = dir.file("keep.png");
  write_png(path, pattern(2, 2, 3));
  const auto before = test::read_bytes(path);
#ifdef ATTRIB_TEST_HAVE_RLIMIT
  {
    test::FileSizeLimit limit(before.size() + 16);
    require_io_error([&] { write_png(path, pattern(256, 256, 4)); }, "io.320", {path, "File too large", "unchanged"});
  }
  CHECK(test::read_bytes(path) == before);
  CHECK(test::files_in(dir.path()) == 1);
#endif
  if (std::filesystem::exists("/dev/full"))
    require_io_error([] { write_png("/dev/full", pattern(2, 2, 3)); }, "io.320", {"No space left on device"});
}
