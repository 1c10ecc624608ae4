#pragma once
// im2col / col2im for one sample and one channel group of a 2-D convolution (NCHW), on a band
// of output rows [oy0, oy1) so that the column matrix of a large image can be processed in
// cache-sized pieces.
//
// The column matrix is row-major [C*kh*kw, (oy1-oy0)*Wo]: row (c, ky, kx), column (oy-oy0, ox)
// holds x[c][oy*sh - top + ky*dh][ox*sw - left + kx*dw], or 0 where that tap falls into the
// padding. col2im_add is its transpose (adds every column entry back onto the input position
// it came from), which makes the convolution's input gradient W^T gY followed by col2im.
#include <algorithm>
#include <cstring>

#include "attrib/core/config.hpp"

ATTRIB_BEGIN_NAMESPACE
namespace detail {

/// Geometry of a convolution on one channel group (bottom/right padding only enter through
/// the output size).
struct ConvGeometry {
  Index channels, height, width;  // input slice
  Index kernel_h, kernel_w;
  Index stride_h, stride_w;
  Index pad_top, pad_left;
  Index dilation_h, dilation_w;
  Index out_h, out_w;

  Index column_rows() const { return channels * kernel_h * kernel_w; }
  Index column_cols() const { return out_h * out_w; }
};

/// Output rows per band: as many as keep a band's column matrix within `budget` elements, but
/// at least enough for `min_cols` columns (a GEMM with few columns repacks its weight operand
/// too often to run at full speed) and at least one row.
inline Index band_rows(const ConvGeometry& g, Index budget, Index min_cols) {
  const Index per_row = std::max<Index>(g.column_rows() * g.out_w, 1);
  const Index wide_enough = (min_cols + g.out_w - 1) / std::max<Index>(g.out_w, 1);
  return std::clamp<Index>(std::max(budget / per_row, wide_enough), 1, std::max<Index>(g.out_h, 1));
}

/// The outputs o in [lo, hi) of 0..count-1 whose tap o*stride + offset lies in [0, extent).
struct ValidRange {
  Index lo, hi;
};
inline ValidRange valid_range(Index offset, Index stride, Index extent, Index count) {
  auto ceil_div = [](Index a, Index b) { return (a + b - 1) / b; };  // a >= 0, b > 0
  const Index lo = offset >= 0 ? 0 : ceil_div(-offset, stride);
  const Index hi = extent - offset <= 0 ? 0 : ceil_div(extent - offset, stride);
  const Index h = std::min(hi, count);
  return {std::min(lo, h), h};
}

/// Calls op(dst_offset, c, iy, ix0, r) for every segment of the band's column matrix: the Wo
/// entries starting at dst_offset belong to input row (c, iy); outputs ox in [r.lo, r.hi) read
/// input column ix0 + ox*sw, the others are padding taps. iy = -1 marks a padding row.
template <class Op>
void for_each_segment(const ConvGeometry& g, Index oy0, Index oy1, Op&& op) {
  const Index ncols = (oy1 - oy0) * g.out_w;
  Index row = 0;
  for (Index c = 0; c < g.channels; ++c)
    for (Index ky = 0; ky < g.kernel_h; ++ky)
      for (Index kx = 0; kx < g.kernel_w; ++kx, ++row) {
        const Index ix0 = kx * g.dilation_w - g.pad_left;
        const ValidRange r = valid_range(ix0, g.stride_w, g.width, g.out_w);
        for (Index oy = oy0; oy < oy1; ++oy) {
          const Index iy = oy * g.stride_h - g.pad_top + ky * g.dilation_h;
          const bool inside = iy >= 0 && iy < g.height;
          op(row * ncols + (oy - oy0) * g.out_w, c, inside ? iy : Index(-1), ix0, r);
        }
      }
}

/// cols[C*kh*kw, (oy1-oy0)*Wo] = im2col(x[C, H, W]) for output rows [oy0, oy1).
template <class T>
void im2col(const T* x, const ConvGeometry& g, Index oy0, Index oy1, T* cols) {
  for_each_segment(g, oy0, oy1, [&](Index off, Index c, Index iy, Index ix0, ValidRange r) {
    T* dst = cols + off;
    if (iy < 0) {
      std::fill(dst, dst + g.out_w, T(0));
      return;
    }
    std::fill(dst, dst + r.lo, T(0));
    if (r.hi > r.lo) {
      const T* src = x + (c * g.height + iy) * g.width + ix0 + r.lo * g.stride_w;
      if (g.stride_w == 1)
        std::memcpy(dst + r.lo, src, sizeof(T) * static_cast<std::size_t>(r.hi - r.lo));
      else
        for (Index ox = r.lo; ox < r.hi; ++ox) dst[ox] = src[(ox - r.lo) * g.stride_w];
    }
    std::fill(dst + r.hi, dst + g.out_w, T(0));
  });
}

/// x[C, H, W] += col2im(cols[C*kh*kw, (oy1-oy0)*Wo]) for output rows [oy0, oy1) (padding taps
/// are dropped).
template <class T>
void col2im_add(const T* cols, const ConvGeometry& g, Index oy0, Index oy1, T* x) {
  for_each_segment(g, oy0, oy1, [&](Index off, Index c, Index iy, Index ix0, ValidRange r) {
    if (iy < 0 || r.hi <= r.lo) return;
    const T* src = cols + off + r.lo;
    T* dst = x + (c * g.height + iy) * g.width + ix0 + r.lo * g.stride_w;
    const Index n = r.hi - r.lo;
    if (g.stride_w == 1)
      for (Index i = 0; i < n; ++i) dst[i] += src[i];
    else
      for (Index i = 0; i < n; ++i) dst[i * g.stride_w] += src[i];
  });
}

}  // namespace detail
ATTRIB_END_NAMESPACE
