// Fuzz target: the picture writers and the image readers. The first byte chooses what the rest is:
//   0  PNG, JPEG or BMP bytes for decode_image (desired channels from the next byte, 5 is invalid
//      on purpose; PNG goes on to decode_png);
//   1  heatmap() of a tensor whose shape, values and HeatmapOptions come from the bytes;
//   2  overlay() of an input and an attribution, opacity and value range from the bytes;
//   3  input_image() of a tensor and labelled_grid() of cells, labels and GridOptions.
// Options are taken as a careless caller might pass them: any int (negative, huge), any double
// (NaN, infinities). Every image made must encode to PNG and decode back to the same pixels.
// Sizes in range are kept small (size_option): a valid 2^26-pixel image is no bug, but encoding and
// decoding it under ASan at -O0 takes 15 s, over the run's 10 s timeout (the CI smoke found that).
#include <cstdint>
#include <string>
#include <vector>

#include "attrib/io/heatmap.hpp"
#include "attrib/io/image.hpp"
#include "attrib/io/png.hpp"
#include "fuzz/fuzz_support.hpp"

namespace {
using attrib::fuzz::Bytes;

/// A float tensor of rank 1-4 with dimensions 0-32 and values from the bytes (zeros when they run out).
attrib::Tensor<float> tensor(Bytes& b) {
  std::vector<attrib::Index> dims(1 + b.byte() % 4);
  for (auto& d : dims) d = b.byte() % 33;
  attrib::Tensor<float> t(attrib::Shape::from_range(dims.begin(), dims.end()));
  for (attrib::Index i = 0; i < t.size() && b.left() >= 4; ++i) t[i] = b.any_float();
  return t;
}

/// A scale or padding as a careless caller passes it: negative and too-large values unchanged (they
/// must raise io.342 / io.347), values a caller may legitimately pass folded into 0-64.
int size_option(Bytes& b) {
  const std::int32_t v = b.int32();
  return v >= 0 && v <= attrib::max_image_side ? v % 65 : v;
}

attrib::HeatmapOptions heatmap_options(Bytes& b) {
  attrib::HeatmapOptions o;
  const int choice = b.byte();
  o.reduce = choice & 1 ? attrib::ChannelReduction::abs_max : attrib::ChannelReduction::sum;
  o.colormap = static_cast<attrib::Colormap>((choice >> 1) % 3);
  o.percentile = choice & 8 ? b.any_double() : 99.5;
  o.scale = choice & 16 ? size_option(b) : 1 + (choice >> 5);
  return o;
}

/// The image must round-trip through encode_png / decode_png unchanged.
void check_png(const attrib::Image& img) {
  if (img.width == 0 || img.height == 0) return;  // encode_png refuses empty images (io.322)
  const std::vector<unsigned char> png = attrib::encode_png(img);
  const attrib::Image back = attrib::decode_png(png, img.channels);
  if (back.width != img.width || back.height != img.height || back.pixels != img.pixels)
    attrib::fuzz::finding("PNG round trip changed the image");
}

void decode(Bytes& b) {
  const int channels = b.byte() % 6;
  const std::vector<unsigned char> bytes(b.data(), b.data() + b.left());
  const attrib::Image img = attrib::decode_image(bytes, channels);
  if (img.pixels.size() != std::size_t(img.width) * std::size_t(img.height) * std::size_t(img.channels))
    attrib::fuzz::finding("decode_image: pixel count and size disagree");
  check_png(img);
}

void grid(Bytes& b) {
  const attrib::Tensor<float> x = tensor(b);
  const double lo = b.any_double(), hi = b.any_double();
  const attrib::Image cell = attrib::input_image(x.cview(), lo, hi, b.byte() % 4);
  check_png(cell);
  const int rows = static_cast<std::int8_t>(b.byte()), cols = static_cast<std::int8_t>(b.byte());
  std::vector<attrib::Image> cells(b.byte() % 10, cell);
  std::vector<std::string> row_labels(b.byte() % 4), col_labels(b.byte() % 4);
  for (auto& l : row_labels) l = b.text(40);
  for (auto& l : col_labels) l = b.text(40);
  attrib::GridOptions o;
  o.padding = b.byte() & 1 ? size_option(b) : b.byte() % 8;
  o.font_scale = b.byte() & 1 ? size_option(b) : b.byte() % 4;
  check_png(attrib::labelled_grid(cells, rows, cols, row_labels, col_labels, o));
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Bytes b(data, size);
  try {
    switch (b.byte() % 4) {
      case 0: decode(b); break;
      case 1: {
        const attrib::Tensor<float> a = tensor(b);
        const attrib::HeatmapOptions o = heatmap_options(b);
        check_png(attrib::heatmap(a.cview(), o));
        break;
      }
      case 2: {
        const attrib::Tensor<float> x = tensor(b), a = tensor(b);
        const attrib::HeatmapOptions o = heatmap_options(b);
        const double opacity = b.byte() & 1 ? b.any_double() : 0.8, lo = b.any_double(), hi = b.any_double();
        check_png(attrib::overlay(x.cview(), a.cview(), o, opacity, lo, hi));
        break;
      }
      default: grid(b); break;
    }
  } catch (const attrib::Error&) {
  }
  return 0;
}
