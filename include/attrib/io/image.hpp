#pragma once
// Reading PNG, JPEG and BMP files as attrib::Image (8 bits per channel), for programs that
// explain photographs: the format is told by the file's signature, not its name.
//
//   attrib::Image img = attrib::read_image("cat.jpg", 3);   // RGB, whatever the file stores
//
// Same implementation rules as attrib/io/png.hpp (link attrib::image, whose stb is compiled
// with the PNG, JPEG and BMP decoders). PNG files go through decode_png (its chunk checks);
// JPEG and BMP headers are checked against max_image_side / max_image_pixels before stb
// allocates. Errors: IoError io.325 (too large), io.326-io.328 naming the file (docs/io.md).
#include "attrib/core/config.hpp"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "attrib/core/error.hpp"
#include "attrib/io/png.hpp"

ATTRIB_BEGIN_NAMESPACE

enum class ImageFormat { unknown, png, jpeg, bmp };

inline const char* to_string(ImageFormat f) {
  switch (f) {
    case ImageFormat::png: return "PNG";
    case ImageFormat::jpeg: return "JPEG";
    case ImageFormat::bmp: return "BMP";
    default: return "unknown";
  }
}

/// The format by signature: PNG (89 'PNG'), JPEG (FF D8 FF), BMP ('BM').
inline ImageFormat image_format(const std::vector<unsigned char>& bytes) {
  if (bytes.size() >= 8 && std::memcmp(bytes.data(), detail::png::signature, 8) == 0) return ImageFormat::png;
  if (bytes.size() >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF) return ImageFormat::jpeg;
  if (bytes.size() >= 2 && bytes[0] == 'B' && bytes[1] == 'M') return ImageFormat::bmp;
  return ImageFormat::unknown;
}

/// Decodes PNG, JPEG or BMP bytes; desired_channels 0 keeps the stored channel count, 1-4
/// converts (grey = stb's luminance). `what` names the source in messages.
inline Image decode_image(const std::vector<unsigned char>& bytes, int desired_channels = 0,
                          const std::string& what = "image data") {
  if (desired_channels < 0 || desired_channels > 4)
    raise<ArgumentError>("io.324", "decode_image: desired_channels ", desired_channels, ", expected 0 (as stored) to 4");
  const ImageFormat format = image_format(bytes);
  if (format == ImageFormat::png) return decode_png(bytes, desired_channels, what);
  if (format == ImageFormat::unknown)
    raise<IoError>("io.326", what, ": not a PNG, JPEG or BMP file (no known signature at byte offset 0, ",
                   bytes.size(), " bytes)");
  if (bytes.size() > std::size_t(1) << 30)
    raise<IoError>("io.327", what, ": ", bytes.size(), " bytes, more than the 1 GiB attrib reads");
  int w = 0, h = 0, stored = 0;
  if (!stbi_info_from_memory(bytes.data(), int(bytes.size()), &w, &h, &stored))
    raise<IoError>("io.327", what, ": cannot read the ", to_string(format), " header (truncated or corrupt?)");
  detail::png::check_header_size(w, h, what);
  Image img;
  if (const char* why = detail::png::stb_decode(bytes, desired_channels, img))
    raise<IoError>("io.327", what, ": cannot decode ", to_string(format), ": ", why, " (truncated or corrupt?)");
  return img;
}

/// Reads a PNG, JPEG or BMP file (the format by signature).
inline Image read_image(const std::string& path, int desired_channels = 0) {
  std::vector<unsigned char> bytes;
  if (const char* why = detail::png::read_file(path, bytes)) raise<IoError>("io.328", "image file '", path, "': ", why);
  return decode_image(bytes, desired_channels, "image file '" + path + "'");
}

ATTRIB_END_NAMESPACE
