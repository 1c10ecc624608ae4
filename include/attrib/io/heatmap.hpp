#pragma once
// Pictures of attributions, without any dependency: an 8-bit Image type, channel reduction,
// percentile normalisation, colour maps (diverging blue-white-red centred at zero; sequential
// for absolute values; grey), overlay on the input, and a labelled grid of images with text
// drawn in a built-in 5x7 bitmap font. attrib/io/png.hpp writes the results to PNG files.
//
//   attrib::Image h = attrib::heatmap(e.attribution.cview());          // [1, C, H, W] -> RGB
//   attrib::Image g = attrib::labelled_grid(cells, rows, cols, row_labels, col_labels);
//
// Errors: ShapeError / ArgumentError with ids io.340-io.347 (docs/examples.md).
#include "attrib/core/config.hpp"
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "attrib/core/error.hpp"
#include "attrib/core/percentile.hpp"
#include "attrib/core/tensor.hpp"

ATTRIB_BEGIN_NAMESPACE

struct Rgb {
  unsigned char r = 0, g = 0, b = 0;
  friend bool operator==(Rgb a, Rgb b) { return a.r == b.r && a.g == b.g && a.b == b.b; }
  friend bool operator!=(Rgb a, Rgb b) { return !(a == b); }
};

/// The largest Image attrib makes (io.347) or decodes (io.325): 2^15 pixels per side and 2^26
/// pixels in all (256 MB as RGBA), so a careless scale, padding or PNG header fails with an
/// error instead of overflowing int or allocating gigabytes.
inline constexpr int max_image_side = 1 << 15;
inline constexpr std::int64_t max_image_pixels = std::int64_t(1) << 26;

namespace detail::heatmap {
/// Throws io.347 unless a w x h image (sizes computed in 64 bits by the caller) is within the limits.
inline void check_image_size(std::int64_t w, std::int64_t h, const char* who) {
  if (w > max_image_side || h > max_image_side || w * h > max_image_pixels)
    raise<ArgumentError>("io.347", who, ": a ", w, "x", h, " image; attrib makes images of at most ", max_image_side,
                         " pixels per side and ", max_image_pixels, " pixels in all");
}
}  // namespace detail::heatmap

/// An 8-bit image: row-major, channels interleaved (1 grey, 2 grey+alpha, 3 RGB, 4 RGBA).
struct Image {
  int width = 0, height = 0, channels = 0;
  std::vector<unsigned char> pixels;

  Image() = default;
  Image(int w, int h, int c, unsigned char fill = 0) : width(w), height(h), channels(c) {
    if (w < 0 || h < 0 || c < 1 || c > 4)
      raise<ArgumentError>("io.340", "Image: size ", w, "x", h, " with ", c, " channels; expected sizes >= 0 and 1-4 channels");
    detail::heatmap::check_image_size(w, h, "Image");
    pixels.assign(std::size_t(w) * std::size_t(h) * std::size_t(c), fill);
  }
  Image(int w, int h, Rgb fill) : Image(w, h, 3) {
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) set(x, y, fill);
  }
  unsigned char& at(int x, int y, int c) { return pixels[(std::size_t(y) * std::size_t(width) + std::size_t(x)) * std::size_t(channels) + std::size_t(c)]; }
  unsigned char at(int x, int y, int c) const { return pixels[(std::size_t(y) * std::size_t(width) + std::size_t(x)) * std::size_t(channels) + std::size_t(c)]; }
  /// The pixel as RGB (grey is replicated, alpha ignored).
  Rgb rgb(int x, int y) const {
    if (channels < 3) return {at(x, y, 0), at(x, y, 0), at(x, y, 0)};
    return {at(x, y, 0), at(x, y, 1), at(x, y, 2)};
  }
  /// Sets an RGB(A) pixel (alpha untouched) or a grey pixel (to the colour's mean).
  void set(int x, int y, Rgb c) {
    if (channels < 3) {
      at(x, y, 0) = static_cast<unsigned char>((int(c.r) + int(c.g) + int(c.b) + 1) / 3);
      return;
    }
    at(x, y, 0) = c.r;
    at(x, y, 1) = c.g;
    at(x, y, 2) = c.b;
  }
};

// ---------------------------------------------------------------------------------------------
// Channel reduction and normalisation

/// How a [C, H, W] attribution becomes one value per pixel.
enum class ChannelReduction {
  sum,     ///< Σ_c a_c (signed; what iNNvestigate and the LRP papers show)
  abs_max  ///< max_c |a_c| (unsigned; Simonyan et al.'s saliency map)
};

namespace detail::heatmap {
template <class T>
void check_finite(ConstView<T> x, const char* who) {
  for (Index i = 0; i < x.size(); ++i)
    if (!std::isfinite(double(x[i])))
      raise<ArgumentError>("io.343", who, ": non-finite value ", double(x[i]), " at index ", i, " of a tensor of shape ", x.shape());
}
inline void check_percent(double q, const char* who) {
  if (!(q > 0 && q <= 100)) raise<ArgumentError>("io.344", who, ": percentile ", q, ", expected 0 < q <= 100");
}
inline unsigned char to_byte(double v) {
  return static_cast<unsigned char>(std::lround(std::clamp(v, 0.0, 255.0)));
}
/// (channels, height, width) of one map given as [H, W], [C, H, W] or [1, C, H, W].
template <class T>
void map_dims(ConstView<T> x, const char* who, Index& c, Index& h, Index& w) {
  const Shape& s = x.shape();
  if (s.rank() == 2) { c = 1; h = s[0]; w = s[1]; }
  else if (s.rank() == 3) { c = s[0]; h = s[1]; w = s[2]; }
  else if (s.rank() == 4 && s[0] == 1) { c = s[1]; h = s[2]; w = s[3]; }
  else raise<ShapeError>("io.341", who, ": shape ", s, ", expected one map [H, W], [C, H, W] or [1, C, H, W]");
  check_image_size(w, h, who);  // before any int(h), int(w)
}
}  // namespace detail::heatmap

/// [N, C, H, W] -> [N, 1, H, W] (rank 3 [C, H, W] -> [1, H, W]).
template <class T>
Tensor<T> reduce_channels(ConstView<T> a, ChannelReduction how = ChannelReduction::sum) {
  const Shape& s = a.shape();
  if (s.rank() != 3 && s.rank() != 4)
    raise<ShapeError>("io.341", "reduce_channels: shape ", s, ", expected [N, C, H, W] or [C, H, W]");
  const Index n = s.rank() == 4 ? s[0] : 1, c = s[s.rank() - 3], hw = s[s.rank() - 2] * s[s.rank() - 1];
  Tensor<T> out(s.rank() == 4 ? Shape{n, 1, s[2], s[3]} : Shape{1, s[1], s[2]});
  for (Index i = 0; i < n; ++i)
    for (Index p = 0; p < hw; ++p) {
      T acc = 0;
      for (Index k = 0; k < c; ++k) {
        const T v = a[(i * c + k) * hw + p];
        acc = how == ChannelReduction::sum ? acc + v : std::max(acc, T(std::abs(v)));
      }
      out[i * hw + p] = acc;
    }
  return out;
}

/// The q-th percentile (0 < q <= 100, linear interpolation as numpy's default) of |x| over
/// all elements of x.
template <class T>
double abs_percentile(ConstView<T> x, double q) {
  detail::heatmap::check_percent(q, "abs_percentile");
  detail::heatmap::check_finite(x, "abs_percentile");
  if (x.size() == 0) raise<ShapeError>("io.341", "abs_percentile: empty tensor");
  std::vector<double> v(static_cast<std::size_t>(x.size()));
  for (Index i = 0; i < x.size(); ++i) v[std::size_t(i)] = std::abs(double(x[i]));
  auto from = v.begin();
  return detail::select_percentile(v.begin(), from, v.end(), q, PercentileInterpolation::linear);
}

namespace detail::heatmap {
template <class T, class F>
Tensor<T> per_sample(ConstView<T> x, double q, const char* who, F&& f) {
  check_percent(q, who);
  check_finite(x, who);
  Tensor<T> out(x.shape());
  const Index n = x.shape().rank() == 4 ? x.shape()[0] : 1;
  const Index m = n ? x.size() / n : 0;
  for (Index i = 0; i < n; ++i) {
    const ConstView<T> s(x.data() + i * m, Shape{m});
    const double scale = m ? abs_percentile(s, q) : 0.0;
    for (Index j = 0; j < m; ++j) out[i * m + j] = T(f(double(s[j]), scale));
  }
  return out;
}
}  // namespace detail::heatmap

/// x / p in [-1, 1] (clipped), p = the q-th percentile of |x|; per batch item for rank 4.
/// An all-zero map stays zero.
template <class T>
Tensor<T> normalize_signed(ConstView<T> x, double q = 99.5) {
  return detail::heatmap::per_sample(x, q, "normalize_signed", [](double v, double p) {
    return p > 0 ? std::clamp(v / p, -1.0, 1.0) : 0.0;
  });
}

/// |x| / p in [0, 1] (clipped), p as in normalize_signed.
template <class T>
Tensor<T> normalize_abs(ConstView<T> x, double q = 99.5) {
  return detail::heatmap::per_sample(x, q, "normalize_abs", [](double v, double p) {
    return p > 0 ? std::min(std::abs(v) / p, 1.0) : 0.0;
  });
}

// ---------------------------------------------------------------------------------------------
// Colour maps

/// v in [-1, 1] (clipped): -1 blue (0, 0, 255), 0 white, +1 red (255, 0, 0), linear in between
/// (matplotlib's "bwr").
inline Rgb diverging_color(double v) {
  v = std::clamp(v, -1.0, 1.0);
  const unsigned char fade = detail::heatmap::to_byte(255.0 * (1.0 - std::abs(v)));
  return v >= 0 ? Rgb{255, fade, fade} : Rgb{fade, fade, 255};
}

/// v in [0, 1] (clipped): white through orange and red to dark red (matplotlib's "Reds"
/// anchors, linear between them).
inline Rgb sequential_color(double v) {
  static constexpr unsigned char anchors[5][3] = {
      {255, 255, 255}, {252, 187, 161}, {251, 106, 74}, {203, 24, 29}, {103, 0, 13}};
  v = std::clamp(v, 0.0, 1.0) * 4.0;
  const int k = std::min(int(v), 3);
  const double t = v - k;
  Rgb c;
  unsigned char* out[3] = {&c.r, &c.g, &c.b};
  for (int i = 0; i < 3; ++i)
    *out[i] = detail::heatmap::to_byte(anchors[k][i] + t * (anchors[k + 1][i] - anchors[k][i]));
  return c;
}

/// v in [0, 1] (clipped): black to white.
inline Rgb grey_color(double v) {
  const unsigned char g = detail::heatmap::to_byte(255.0 * std::clamp(v, 0.0, 1.0));
  return {g, g, g};
}

enum class Colormap {
  diverging,   ///< signed values, blue-white-red centred at zero (diverging_color)
  sequential,  ///< absolute values, white to dark red (sequential_color)
  grey         ///< absolute values, black to white
};

struct HeatmapOptions {
  ChannelReduction reduce = ChannelReduction::sum;
  double percentile = 99.5;             ///< values are divided by this percentile of |map|
  Colormap colormap = Colormap::diverging;
  int scale = 1;                        ///< nearest-neighbour upscaling factor
};

/// Nearest-neighbour upscaling by an integer factor >= 1.
inline Image upscale(const Image& in, int factor) {
  if (factor < 1) raise<ArgumentError>("io.342", "upscale: factor ", factor, ", expected >= 1");
  detail::heatmap::check_image_size(std::int64_t(in.width) * factor, std::int64_t(in.height) * factor, "upscale");
  if (factor == 1) return in;
  Image out(in.width * factor, in.height * factor, in.channels);
  for (int y = 0; y < out.height; ++y)
    for (int x = 0; x < out.width; ++x)
      for (int c = 0; c < in.channels; ++c) out.at(x, y, c) = in.at(x / factor, y / factor, c);
  return out;
}

/// An RGB picture of one attribution map ([H, W], [C, H, W] or [1, C, H, W]): channels reduced,
/// normalised by the percentile (signed for the diverging map, absolute otherwise), coloured.
template <class T>
Image heatmap(ConstView<T> attribution, const HeatmapOptions& o = {}) {
  Index c, h, w;
  detail::heatmap::map_dims(attribution, "heatmap", c, h, w);
  const Tensor<T> map = reduce_channels(attribution.reshaped(Shape{1, c, h, w}), o.reduce);
  const bool is_signed = o.colormap == Colormap::diverging;
  const Tensor<T> v = is_signed ? normalize_signed(map.cview(), o.percentile) : normalize_abs(map.cview(), o.percentile);
  Image img(int(w), int(h), 3);
  for (Index y = 0; y < h; ++y)
    for (Index x = 0; x < w; ++x) {
      const double s = double(v[y * w + x]);
      img.set(int(x), int(y), is_signed ? diverging_color(s) : o.colormap == Colormap::sequential ? sequential_color(s) : grey_color(s));
    }
  return upscale(img, o.scale);
}

/// An RGB picture of a model input ([H, W], [C, H, W] or [1, C, H, W], C = 1 or 3) whose values
/// lie in [lo, hi] (clipped).
template <class T>
Image input_image(ConstView<T> x, double lo = 0.0, double hi = 1.0, int scale = 1) {
  Index c, h, w;
  detail::heatmap::map_dims(x, "input_image", c, h, w);
  if (c != 1 && c != 3) raise<ShapeError>("io.341", "input_image: ", c, " channels (shape ", x.shape(), "), expected 1 or 3");
  if (!(hi > lo)) raise<ArgumentError>("io.342", "input_image: range [", lo, ", ", hi, "] is empty");
  Image img(int(w), int(h), 3);
  for (Index y = 0; y < h; ++y)
    for (Index xx = 0; xx < w; ++xx)
      for (int k = 0; k < 3; ++k) {
        const double v = double(x[(c == 1 ? 0 : k) * h * w + y * w + xx]);
        img.at(int(xx), int(y), k) = detail::heatmap::to_byte(255.0 * (v - lo) / (hi - lo));
      }
  return upscale(img, scale);
}

/// The attribution's colours over a dimmed grey version of the input: each pixel is
/// (1 - a) * grey(input) + a * colour, with a = opacity * |normalised value|.
template <class T>
Image overlay(ConstView<T> input, ConstView<T> attribution, const HeatmapOptions& o = {}, double opacity = 0.8,
              double lo = 0.0, double hi = 1.0) {
  Index c, h, w, ca, ha, wa;
  detail::heatmap::map_dims(input, "overlay", c, h, w);
  detail::heatmap::map_dims(attribution, "overlay", ca, ha, wa);
  if (h != ha || w != wa)
    raise<ShapeError>("io.341", "overlay: input ", input.shape(), " and attribution ", attribution.shape(), " differ in size");
  if (!(opacity >= 0 && opacity <= 1)) raise<ArgumentError>("io.342", "overlay: opacity ", opacity, ", expected [0, 1]");
  HeatmapOptions one = o;
  one.scale = 1;
  const Image base = input_image(input, lo, hi), heat = heatmap(attribution, one);
  const Tensor<T> mag = normalize_abs(reduce_channels(attribution.reshaped(Shape{1, ca, ha, wa}), o.reduce).cview(), o.percentile);
  Image out(int(w), int(h), 3);
  for (int y = 0; y < out.height; ++y)
    for (int x = 0; x < out.width; ++x) {
      const Rgb b = base.rgb(x, y), q = heat.rgb(x, y);
      const double grey = 0.5 * (0.299 * b.r + 0.587 * b.g + 0.114 * b.b) + 64.0;  // dimmed
      const double a = opacity * double(mag[Index(y) * w + x]);
      out.set(x, y, {detail::heatmap::to_byte((1 - a) * grey + a * q.r), detail::heatmap::to_byte((1 - a) * grey + a * q.g),
                     detail::heatmap::to_byte((1 - a) * grey + a * q.b)});
    }
  return upscale(out, o.scale);
}

// ---------------------------------------------------------------------------------------------
// Text and grids

namespace detail::heatmap {
/// 5x7 glyphs for ASCII 32-126, five column bytes each, bit 0 = top row (the widespread
/// public-domain LCD font). Unknown characters are drawn as '?'.
inline const unsigned char* glyph(char ch) {
  static constexpr unsigned char font[95][5] = {
      {0x00, 0x00, 0x00, 0x00, 0x00}, {0x00, 0x00, 0x5F, 0x00, 0x00}, {0x00, 0x07, 0x00, 0x07, 0x00},
      {0x14, 0x7F, 0x14, 0x7F, 0x14}, {0x24, 0x2A, 0x7F, 0x2A, 0x12}, {0x23, 0x13, 0x08, 0x64, 0x62},
      {0x36, 0x49, 0x55, 0x22, 0x50}, {0x00, 0x05, 0x03, 0x00, 0x00}, {0x00, 0x1C, 0x22, 0x41, 0x00},
      {0x00, 0x41, 0x22, 0x1C, 0x00}, {0x08, 0x2A, 0x1C, 0x2A, 0x08}, {0x08, 0x08, 0x3E, 0x08, 0x08},
      {0x00, 0x50, 0x30, 0x00, 0x00}, {0x08, 0x08, 0x08, 0x08, 0x08}, {0x00, 0x60, 0x60, 0x00, 0x00},
      {0x20, 0x10, 0x08, 0x04, 0x02}, {0x3E, 0x51, 0x49, 0x45, 0x3E}, {0x00, 0x42, 0x7F, 0x40, 0x00},
      {0x42, 0x61, 0x51, 0x49, 0x46}, {0x21, 0x41, 0x45, 0x4B, 0x31}, {0x18, 0x14, 0x12, 0x7F, 0x10},
      {0x27, 0x45, 0x45, 0x45, 0x39}, {0x3C, 0x4A, 0x49, 0x49, 0x30}, {0x01, 0x71, 0x09, 0x05, 0x03},
      {0x36, 0x49, 0x49, 0x49, 0x36}, {0x06, 0x49, 0x49, 0x29, 0x1E}, {0x00, 0x36, 0x36, 0x00, 0x00},
      {0x00, 0x56, 0x36, 0x00, 0x00}, {0x08, 0x14, 0x22, 0x41, 0x00}, {0x14, 0x14, 0x14, 0x14, 0x14},
      {0x00, 0x41, 0x22, 0x14, 0x08}, {0x02, 0x01, 0x51, 0x09, 0x06}, {0x32, 0x49, 0x79, 0x41, 0x3E},
      {0x7E, 0x11, 0x11, 0x11, 0x7E}, {0x7F, 0x49, 0x49, 0x49, 0x36}, {0x3E, 0x41, 0x41, 0x41, 0x22},
      {0x7F, 0x41, 0x41, 0x22, 0x1C}, {0x7F, 0x49, 0x49, 0x49, 0x41}, {0x7F, 0x09, 0x09, 0x09, 0x01},
      {0x3E, 0x41, 0x49, 0x49, 0x7A}, {0x7F, 0x08, 0x08, 0x08, 0x7F}, {0x00, 0x41, 0x7F, 0x41, 0x00},
      {0x20, 0x40, 0x41, 0x3F, 0x01}, {0x7F, 0x08, 0x14, 0x22, 0x41}, {0x7F, 0x40, 0x40, 0x40, 0x40},
      {0x7F, 0x02, 0x0C, 0x02, 0x7F}, {0x7F, 0x04, 0x08, 0x10, 0x7F}, {0x3E, 0x41, 0x41, 0x41, 0x3E},
      {0x7F, 0x09, 0x09, 0x09, 0x06}, {0x3E, 0x41, 0x51, 0x21, 0x5E}, {0x7F, 0x09, 0x19, 0x29, 0x46},
      {0x46, 0x49, 0x49, 0x49, 0x31}, {0x01, 0x01, 0x7F, 0x01, 0x01}, {0x3F, 0x40, 0x40, 0x40, 0x3F},
      {0x1F, 0x20, 0x40, 0x20, 0x1F}, {0x3F, 0x40, 0x38, 0x40, 0x3F}, {0x63, 0x14, 0x08, 0x14, 0x63},
      {0x07, 0x08, 0x70, 0x08, 0x07}, {0x61, 0x51, 0x49, 0x45, 0x43}, {0x00, 0x7F, 0x41, 0x41, 0x00},
      {0x02, 0x04, 0x08, 0x10, 0x20}, {0x00, 0x41, 0x41, 0x7F, 0x00}, {0x04, 0x02, 0x01, 0x02, 0x04},
      {0x40, 0x40, 0x40, 0x40, 0x40}, {0x00, 0x01, 0x02, 0x04, 0x00}, {0x20, 0x54, 0x54, 0x54, 0x78},
      {0x7F, 0x48, 0x44, 0x44, 0x38}, {0x38, 0x44, 0x44, 0x44, 0x20}, {0x38, 0x44, 0x44, 0x48, 0x7F},
      {0x38, 0x54, 0x54, 0x54, 0x18}, {0x08, 0x7E, 0x09, 0x01, 0x02}, {0x0C, 0x52, 0x52, 0x52, 0x3E},
      {0x7F, 0x08, 0x04, 0x04, 0x78}, {0x00, 0x44, 0x7D, 0x40, 0x00}, {0x20, 0x40, 0x44, 0x3D, 0x00},
      {0x7F, 0x10, 0x28, 0x44, 0x00}, {0x00, 0x41, 0x7F, 0x40, 0x00}, {0x7C, 0x04, 0x18, 0x04, 0x78},
      {0x7C, 0x08, 0x04, 0x04, 0x78}, {0x38, 0x44, 0x44, 0x44, 0x38}, {0x7C, 0x14, 0x14, 0x14, 0x08},
      {0x08, 0x14, 0x14, 0x18, 0x7C}, {0x7C, 0x08, 0x04, 0x04, 0x08}, {0x48, 0x54, 0x54, 0x54, 0x20},
      {0x04, 0x3F, 0x44, 0x40, 0x20}, {0x3C, 0x40, 0x40, 0x20, 0x7C}, {0x1C, 0x20, 0x40, 0x20, 0x1C},
      {0x3C, 0x40, 0x30, 0x40, 0x3C}, {0x44, 0x28, 0x10, 0x28, 0x44}, {0x0C, 0x50, 0x50, 0x50, 0x3C},
      {0x44, 0x64, 0x54, 0x4C, 0x44}, {0x00, 0x08, 0x36, 0x41, 0x00}, {0x00, 0x00, 0x7F, 0x00, 0x00},
      {0x00, 0x41, 0x36, 0x08, 0x00}, {0x08, 0x04, 0x08, 0x10, 0x08}};
  const int i = static_cast<unsigned char>(ch) >= 32 && static_cast<unsigned char>(ch) <= 126 ? ch - 32 : '?' - 32;
  return font[i];
}
inline constexpr int glyph_advance = 6;  // 5 columns + 1 space
inline constexpr int line_height = 9;    // 7 rows + 2 space

/// Splits text into lines of at most max_chars characters, preferring to break after a space,
/// '_', '(', ',', '-' or '/'; explicit '\n' always breaks.
inline std::vector<std::string> wrap(const std::string& text, int max_chars) {
  max_chars = std::max(max_chars, 1);
  std::vector<std::string> lines;
  std::string rest = text;
  while (true) {
    const std::size_t nl = rest.find('\n');
    std::string para = rest.substr(0, nl);
    while (int(para.size()) > max_chars) {
      std::size_t cut = std::size_t(max_chars);
      for (std::size_t k = std::size_t(max_chars); k > 0; --k)
        if (std::string(" _(,-/").find(para[k - 1]) != std::string::npos) { cut = k; break; }
      std::string line = para.substr(0, cut);
      while (!line.empty() && line.back() == ' ') line.pop_back();
      lines.push_back(line);
      para = para.substr(cut);
    }
    lines.push_back(para);
    if (nl == std::string::npos) break;
    rest = rest.substr(nl + 1);
  }
  return lines;
}
}  // namespace detail::heatmap

/// Width in pixels of one line of text at the given scale.
inline int text_width(const std::string& line, int scale = 1) {
  if (line.empty()) return 0;
  const std::int64_t w = std::int64_t(scale) * (std::int64_t(line.size()) * detail::heatmap::glyph_advance - 1);
  return int(std::min<std::int64_t>(w, std::numeric_limits<int>::max()));  // saturates: io.347 follows
}

/// Draws one line of text with its top-left corner at (x, y); pixels outside the image are skipped.
inline void draw_text(Image& img, int x, int y, const std::string& line, Rgb colour, int scale = 1) {
  if (scale < 1) raise<ArgumentError>("io.342", "draw_text: scale ", scale, ", expected >= 1");
  for (std::size_t k = 0; k < line.size(); ++k) {
    const unsigned char* g = detail::heatmap::glyph(line[k]);
    for (int col = 0; col < 5; ++col)
      for (int row = 0; row < 7; ++row) {
        if (!((g[col] >> row) & 1)) continue;
        for (int dy = 0; dy < scale; ++dy)
          for (int dx = 0; dx < scale; ++dx) {
            const int px = x + (int(k) * detail::heatmap::glyph_advance + col) * scale + dx, py = y + row * scale + dy;
            if (px >= 0 && py >= 0 && px < img.width && py < img.height) img.set(px, py, colour);
          }
      }
  }
}

struct GridOptions {
  int padding = 2;                 ///< pixels between cells and around the grid
  int font_scale = 1;
  Rgb background{255, 255, 255};
  Rgb text{0, 0, 0};
};

/// The cells (row-major, rows x cols, all the same size) in a grid with the row labels on the
/// left and the column labels on top (wrapped to the cell width). Labels may be empty vectors;
/// otherwise there must be one per row / column. Returns an RGB image.
inline Image labelled_grid(const std::vector<Image>& cells, int rows, int cols, const std::vector<std::string>& row_labels,
                           const std::vector<std::string>& col_labels, const GridOptions& o = {}) {
  if (rows < 1 || cols < 1 || cells.size() != std::size_t(rows) * std::size_t(cols))
    raise<ArgumentError>("io.345", "labelled_grid: ", cells.size(), " cells for ", rows, " x ", cols, " (expected rows * cols >= 1)");
  if (!row_labels.empty() && int(row_labels.size()) != rows)
    raise<ArgumentError>("io.345", "labelled_grid: ", row_labels.size(), " row labels for ", rows, " rows");
  if (!col_labels.empty() && int(col_labels.size()) != cols)
    raise<ArgumentError>("io.345", "labelled_grid: ", col_labels.size(), " column labels for ", cols, " columns");
  if (o.padding < 0 || o.padding > max_image_side || o.font_scale < 1 || o.font_scale > 64)
    raise<ArgumentError>("io.342", "labelled_grid: padding ", o.padding, ", font scale ", o.font_scale,
                         " (expected 0 to ", max_image_side, ", 1 to 64)");
  const int cw = cells[0].width, ch = cells[0].height, pad = o.padding, fs = o.font_scale;
  for (std::size_t i = 0; i < cells.size(); ++i)
    if (cells[i].width != cw || cells[i].height != ch)
      raise<ShapeError>("io.346", "labelled_grid: cell ", i, " is ", cells[i].width, "x", cells[i].height, ", cell 0 is ", cw, "x", ch);

  const int per_line = (cw + fs) / (detail::heatmap::glyph_advance * fs);
  std::vector<std::vector<std::string>> heads;
  std::size_t head_lines = 0;
  for (const auto& l : col_labels) {
    heads.push_back(detail::heatmap::wrap(l, per_line));
    head_lines = std::max(head_lines, heads.back().size());
  }
  int label_w = 0;
  for (const auto& l : row_labels)
    for (const auto& line : detail::heatmap::wrap(l, 1 << 20)) label_w = std::max(label_w, text_width(line, fs));
  const int head_h = head_lines ? int(head_lines) * detail::heatmap::line_height * fs : 0;
  const int left = label_w ? label_w + 2 * pad : 0, top = head_h ? head_h + pad : 0;

  const std::int64_t out_w = std::int64_t(left) + pad + std::int64_t(cols) * (cw + pad);
  const std::int64_t out_h = std::int64_t(top) + pad + std::int64_t(rows) * (ch + pad);
  detail::heatmap::check_image_size(out_w, out_h, "labelled_grid");
  Image out(int(out_w), int(out_h), o.background);
  for (int c = 0; c < cols && !heads.empty(); ++c) {
    const auto& lines = heads[std::size_t(c)];
    for (std::size_t k = 0; k < lines.size(); ++k) {
      const int x0 = left + pad + c * (cw + pad) + (cw - text_width(lines[k], fs)) / 2;
      const int y0 = pad + int(head_lines - lines.size() + k) * detail::heatmap::line_height * fs;
      draw_text(out, x0, y0, lines[k], o.text, fs);
    }
  }
  for (int r = 0; r < rows; ++r) {
    const int y0 = top + pad + r * (ch + pad);
    if (!row_labels.empty()) {
      const auto lines = detail::heatmap::wrap(row_labels[std::size_t(r)], 1 << 20);
      const int text_h = int(lines.size()) * detail::heatmap::line_height * fs;
      for (std::size_t k = 0; k < lines.size(); ++k)
        draw_text(out, pad, y0 + (ch - text_h) / 2 + int(k) * detail::heatmap::line_height * fs + fs, lines[k], o.text, fs);
    }
    for (int c = 0; c < cols; ++c) {
      const Image& cell = cells[std::size_t(r) * std::size_t(cols) + std::size_t(c)];
      const int x0 = left + pad + c * (cw + pad);
      for (int y = 0; y < ch; ++y)
        for (int x = 0; x < cw; ++x) out.set(x0 + x, y0 + y, cell.rgb(x, y));
    }
  }
  return out;
}

ATTRIB_END_NAMESPACE
