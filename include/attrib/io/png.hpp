#pragma once
// PNG files for attrib::Image (attrib/io/heatmap.hpp), via stb_image / stb_image_write
// (Debian: libstb-dev, headers in /usr/include/stb/).
//
//   attrib::write_png("heatmap.png", attrib::heatmap(e.attribution.cview()));
//   attrib::Image img = attrib::read_png("heatmap.png");
//
// stb's implementation must be compiled exactly once per program:
//  * CMake: link attrib::image. It is a small static library whose single source file is
//    `#define ATTRIB_IMAGE_IMPLEMENTATION` + `#include <attrib/io/png.hpp>`; nothing else to do.
//  * Header-only use without our CMake targets: in exactly one .cpp file of the program write
//        #define ATTRIB_IMAGE_IMPLEMENTATION
//        #include <attrib/io/png.hpp>
//    (every other file includes png.hpp without the define). If the program already compiles
//    stb_image and stb_image_write itself (STB_IMAGE_IMPLEMENTATION and
//    STB_IMAGE_WRITE_IMPLEMENTATION somewhere), do not define it at all: attrib only calls
//    stbi_write_png_to_func, stbi_load_from_memory and stbi_image_free.
//  Defining it in two files gives duplicate-symbol link errors; in none, undefined stbi_*
//  symbols. Our implementation is compiled with STBI_ONLY_PNG, STBI_ONLY_JPEG and STBI_ONLY_BMP
//  (the decoders of read_image, attrib/io/image.hpp).
//
// Errors: IoError io.320-io.325 naming the file (docs/examples.md).
#include "attrib/core/config.hpp"
#include <stb/stb_image.h>
#include <stb/stb_image_write.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "attrib/core/error.hpp"
#include "attrib/io/detail/binary.hpp"
#include "attrib/io/heatmap.hpp"

ATTRIB_BEGIN_NAMESPACE

namespace detail::png {
inline void append(void* context, void* data, int size) {
  auto* out = static_cast<std::vector<unsigned char>*>(context);
  const auto* bytes = static_cast<const unsigned char*>(data);
  out->insert(out->end(), bytes, bytes + size);
}
inline constexpr unsigned char signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

/// Walks the chunks after the signature up to IEND: each must fit in the bytes. stb reserves
/// memory for a chunk's declared length before it reads the chunk, so a 70-byte file that
/// declares a 1.6 GB IDAT would otherwise allocate 1.6 GB (found by fuzz_image).
inline void check_chunks(const std::vector<unsigned char>& bytes, const std::string& what) {
  std::size_t at = 8;
  while (at + 8 <= bytes.size()) {
    const unsigned char* c = bytes.data() + at;
    const std::uint64_t length = (std::uint64_t(c[0]) << 24) | (std::uint64_t(c[1]) << 16) |
                                 (std::uint64_t(c[2]) << 8) | std::uint64_t(c[3]);
    std::string type(reinterpret_cast<const char*>(c + 4), 4);
    for (char& ch : type)
      if (ch < 0x20 || ch > 0x7e) ch = '?';
    const std::uint64_t left = bytes.size() - at - 8;
    if (length > left)
      raise<IoError>("io.323", what, ": chunk '", type, "' at byte offset ", at, " declares ",
                     length, " data bytes but only ", left, " bytes follow (truncated or corrupt PNG)");
    if (type == "IEND") return;
    at += 12 + std::size_t(length);  // length, type, data, CRC
  }
}

/// io.325 unless a decoded image's header size (w x h) is within max_image_side / max_image_pixels.
inline void check_header_size(int w, int h, const std::string& what) {
  if (w < 1 || h < 1 || w > max_image_side || h > max_image_side || std::int64_t(w) * h > max_image_pixels)
    raise<IoError>("io.325", what, ": a ", w, "x", h, " image; attrib reads images of at most ", max_image_side,
                   " pixels per side and ", max_image_pixels, " pixels in all");
}

/// stb's decode of bytes whose header the caller checked into `img`; stb's reason on failure
/// (the caller raises with its own id), nullptr on success.
inline const char* stb_decode(const std::vector<unsigned char>& bytes, int desired_channels, Image& img) {
  int w = 0, h = 0, stored = 0;
  unsigned char* data = stbi_load_from_memory(bytes.data(), int(bytes.size()), &w, &h, &stored, desired_channels);
  if (!data) {
    const char* why = stbi_failure_reason();
    return why ? why : "unknown error";
  }
  img.width = w;
  img.height = h;
  img.channels = desired_channels ? desired_channels : stored;
  img.pixels.assign(data, data + std::size_t(w) * std::size_t(h) * std::size_t(img.channels));
  stbi_image_free(data);
  return nullptr;
}

/// The bytes of a file into `bytes`; why it could not be read (the caller raises with its own
/// id), or nullptr.
inline const char* read_file(const std::string& path, std::vector<unsigned char>& bytes) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return "no such file";
  std::ifstream in(path, std::ios::binary);
  if (!in) return "cannot open for reading";
  bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return in.bad() ? "read error" : nullptr;
}
}  // namespace detail::png

/// The PNG encoding of an image (1-4 channels, 8 bits each).
inline std::vector<unsigned char> encode_png(const Image& img) {
  if (img.width < 1 || img.height < 1 || img.channels < 1 || img.channels > 4 || img.width > max_image_side ||
      img.height > max_image_side ||
      img.pixels.size() != std::size_t(img.width) * std::size_t(img.height) * std::size_t(img.channels))
    raise<IoError>("io.322", "encode_png: invalid image ", img.width, "x", img.height, " with ", img.channels,
                   " channels and ", img.pixels.size(), " bytes (expected width, height >= 1, 1-4 channels, w*h*c bytes)");
  std::vector<unsigned char> out;
  if (!stbi_write_png_to_func(&detail::png::append, &out, img.width, img.height, img.channels, img.pixels.data(),
                              img.width * img.channels))
    raise<IoError>("io.322", "encode_png: stb_image_write failed on a ", img.width, "x", img.height, " image");
  return out;
}

/// Writes the image as a PNG file, atomically: on failure an existing file is left untouched.
inline void write_png(const std::string& path, const Image& img) {
  const std::vector<unsigned char> bytes = encode_png(img);
  const std::string err = detail::io::write_atomically(path, bytes.data(), bytes.size());
  if (!err.empty()) raise<IoError>("io.320", "PNG file '", path, "': ", err);
}

/// Decodes PNG bytes; desired_channels 0 keeps the file's channel count, 1-4 converts.
/// `what` names the source in messages.
inline Image decode_png(const std::vector<unsigned char>& bytes, int desired_channels = 0,
                        const std::string& what = "PNG data") {
  if (desired_channels < 0 || desired_channels > 4)
    raise<ArgumentError>("io.324", "decode_png: desired_channels ", desired_channels, ", expected 0 (as stored) to 4");
  if (bytes.size() < 8 || std::memcmp(bytes.data(), detail::png::signature, 8) != 0)
    raise<IoError>("io.323", what, ": no PNG signature at byte offset 0 (", bytes.size(), " bytes); not a PNG file");
  if (bytes.size() > std::size_t(1) << 30)
    raise<IoError>("io.323", what, ": ", bytes.size(), " bytes, more than the 1 GiB attrib reads");
  detail::png::check_chunks(bytes, what);
  // The header's size first: stb would allocate for it before it finds the data missing.
  int w = 0, h = 0, stored = 0;
  if (stbi_info_from_memory(bytes.data(), int(bytes.size()), &w, &h, &stored)) detail::png::check_header_size(w, h, what);
  Image img;
  if (const char* why = detail::png::stb_decode(bytes, desired_channels, img))
    raise<IoError>("io.323", what, ": cannot decode PNG: ", why, " (truncated or corrupt?)");
  return img;
}

/// Reads a PNG file (8-bit; 16-bit files are reduced to 8 bits).
inline Image read_png(const std::string& path, int desired_channels = 0) {
  std::vector<unsigned char> bytes;
  if (const char* why = detail::png::read_file(path, bytes)) raise<IoError>("io.321", "PNG file '", path, "': ", why);
  return decode_png(bytes, desired_channels, "PNG file '" + path + "'");
}

ATTRIB_END_NAMESPACE

#if defined(ATTRIB_IMAGE_IMPLEMENTATION) && !defined(ATTRIB_IMAGE_IMPLEMENTATION_DONE)
#define ATTRIB_IMAGE_IMPLEMENTATION_DONE
#define STBI_ONLY_PNG
#define STBI_ONLY_JPEG
#define STBI_ONLY_BMP
#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb/stb_image.h>
#include <stb/stb_image_write.h>
#endif
