// read_image / decode_image: BMP and JPEG files assembled byte by byte in the test (the oracle is
// the format's definition, not stb), PNG through decode_png, format detection and errors.
#include "io/io_test_support.hpp"
#include "attrib/io/image.hpp"

using namespace attrib;
using namespace attrib::test;

namespace {
void put16(std::vector<unsigned char>& b, unsigned v) {
  b.push_back(static_cast<unsigned char>(v & 0xFF));
  b.push_back(static_cast<unsigned char>((v >> 8) & 0xFF));
}
void put32(std::vector<unsigned char>& b, std::uint32_t v) {
  put16(b, v & 0xFFFF);
  put16(b, v >> 16);
}

/// A 24-bit BMP (BITMAPINFOHEADER): rows bottom-up, BGR, each row padded to 4 bytes.
std::vector<unsigned char> bmp24(int w, int h, const std::vector<Rgb>& top_down) {
  const int row = (3 * w + 3) / 4 * 4;
  std::vector<unsigned char> b{'B', 'M'};
  put32(b, std::uint32_t(54 + row * h));
  put32(b, 0);
  put32(b, 54);
  put32(b, 40);
  put32(b, std::uint32_t(w));
  put32(b, std::uint32_t(h));
  put16(b, 1);
  put16(b, 24);
  for (int i = 0; i < 6; ++i) put32(b, 0);  // no compression, sizes, resolution, palette
  for (int y = h - 1; y >= 0; --y) {
    for (int x = 0; x < w; ++x) {
      const Rgb c = top_down[std::size_t(y * w + x)];
      b.insert(b.end(), {c.b, c.g, c.r});
    }
    for (int p = 3 * w; p < row; ++p) b.push_back(0);
  }
  return b;
}

/// A baseline JPEG of one 8x8 grey block with only its DC coefficient: quantisation table all
/// ones, one-code Huffman tables (DC: category 8 -> "0", AC: EOB -> "0"). The inverse DCT of a
/// lone DC coefficient F is F/8 everywhere, so F = 8 * (v - 128) decodes to v exactly; v = 100
/// gives F = -224 (category 8, amplitude bits 255 - 224 = 31).
std::vector<unsigned char> jpeg_grey_100() {
  std::vector<unsigned char> b{0xFF, 0xD8};
  b.insert(b.end(), {0xFF, 0xDB, 0x00, 0x43, 0x00});  // DQT, table 0, 8-bit
  for (int i = 0; i < 64; ++i) b.push_back(1);
  b.insert(b.end(), {0xFF, 0xC0, 0x00, 0x0B, 0x08, 0x00, 0x08, 0x00, 0x08, 0x01, 0x01, 0x11, 0x00});  // SOF0 8x8, 1 comp
  const auto dht = [&](unsigned char cls, unsigned char symbol) {
    b.insert(b.end(), {0xFF, 0xC4, 0x00, 0x14, cls, 0x01});  // one code of length 1
    for (int i = 1; i < 16; ++i) b.push_back(0);
    b.push_back(symbol);
  };
  dht(0x00, 0x08);  // DC table 0: category 8
  dht(0x10, 0x00);  // AC table 0: EOB
  b.insert(b.end(), {0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00});  // SOS
  // bits: 0 (DC code) 00011111 (amplitude) 0 (EOB), padded with ones: 00001111 10111111
  b.insert(b.end(), {0x0F, 0xBF, 0xFF, 0xD9});
  return b;
}
}  // namespace

TEST_CASE("image: a BMP assembled by hand decodes to its pixels", "[image]") {
  const std::vector<Rgb> px{{255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {10, 20, 30}, {128, 128, 128}, {1, 2, 3}};
  const auto bytes = bmp24(3, 2, px);
  CHECK(image_format(bytes) == ImageFormat::bmp);
  const Image img = decode_image(bytes);
  REQUIRE(img.width == 3);
  REQUIRE(img.height == 2);
  REQUIRE(img.channels == 3);
  for (int y = 0; y < 2; ++y)
    for (int x = 0; x < 3; ++x) CHECK(img.rgb(x, y) == px[std::size_t(y * 3 + x)]);
  TempDir dir;
  write_bytes(dir.file("a.bmp"), bytes);
  const Image grey = read_image(dir.file("a.bmp"), 1);
  CHECK(grey.channels == 1);
  CHECK(int(grey.pixels[0]) == (77 * 255) >> 8);  // stb's luminance of red
}

TEST_CASE("image: a DC-only JPEG decodes to its closed-form grey value", "[image]") {
  const auto bytes = jpeg_grey_100();
  CHECK(image_format(bytes) == ImageFormat::jpeg);
  const Image img = decode_image(bytes);
  REQUIRE(img.width == 8);
  REQUIRE(img.height == 8);
  REQUIRE(img.channels == 1);
  for (unsigned char v : img.pixels) CHECK(int(v) == 100);
  const Image rgb = decode_image(bytes, 3);
  CHECK(rgb.rgb(7, 7) == Rgb{100, 100, 100});
}

TEST_CASE("image: PNG files go through decode_png", "[image]") {
  TempDir dir;
  Image img(4, 3, 3);
  for (std::size_t i = 0; i < img.pixels.size(); ++i) img.pixels[i] = static_cast<unsigned char>(i * 7);
  write_png(dir.file("p.png"), img);
  CHECK(image_format(read_bytes(dir.file("p.png"))) == ImageFormat::png);
  CHECK(read_image(dir.file("p.png")).pixels == img.pixels);
}

TEST_CASE("image errors", "[image][errors]") {
  TempDir dir;
  require_io_error([&] { read_image(dir.file("missing.jpg")); }, "io.328", {"missing.jpg", "no such file"});
  write_bytes(dir.file("text.jpg"), {'h', 'e', 'l', 'l', 'o'});
  require_io_error([&] { read_image(dir.file("text.jpg")); }, "io.326", {"text.jpg", "not a PNG, JPEG or BMP"});
  auto cut = jpeg_grey_100();
  cut.resize(30);
  write_bytes(dir.file("cut.jpg"), cut);
  require_io_error([&] { read_image(dir.file("cut.jpg")); }, "io.327", {"cut.jpg", "JPEG"});
  // A BMP header that claims 40000 x 1 pixels: refused before stb allocates.
  auto big = bmp24(1, 1, {{0, 0, 0}});
  big[18] = 0x40, big[19] = 0x9C;  // width 40000
  require_io_error([&] { decode_image(big, 0, "big.bmp"); }, "io.325", {"big.bmp", "40000x1"});
  CHECK_THROWS_AS(decode_image(jpeg_grey_100(), 5), ArgumentError);
}
