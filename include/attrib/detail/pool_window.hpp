#pragma once
// Window arithmetic shared by the pooling layers, following PyTorch's conventions exactly:
// output length, ceil mode, the pad <= kernel / 2 limit, AvgPool's divisor and the adaptive
// window rule. Pool2dOptions is public (namespace attrib); everything else is detail.
#include "attrib/core/config.hpp"
#include <algorithm>
#include <string>
#include <utility>

#include "attrib/core/error.hpp"
#include "attrib/core/named.hpp"
#include "attrib/core/shape.hpp"
#include "attrib/core/tensor.hpp"

ATTRIB_BEGIN_NAMESPACE

/// Hyper-parameters of MaxPool2d and AvgPool2d, with chainable setters:
/// `Pool2dOptions{}.stride(2).padding(1).ceil_mode(true)`.
/// Unset stride means "equal to the kernel" (PyTorch's default). Dilation is MaxPool2d only;
/// count_include_pad is AvgPool2d only (MaxPool2d ignores it: padded cells are -inf there).
struct Pool2dOptions {
  Index stride_h = 0, stride_w = 0;  ///< meaningful only when has_stride
  bool has_stride = false;
  Index pad_h = 0, pad_w = 0;
  Index dilation_h = 1, dilation_w = 1;
  bool ceil = false;
  bool include_pad = true;

  Pool2dOptions& stride(Index s) { return stride(s, s); }
  Pool2dOptions& stride(Index sh, Index sw) {
    stride_h = sh;
    stride_w = sw;
    has_stride = true;
    return *this;
  }
  Pool2dOptions& padding(Index p) { return padding(p, p); }
  Pool2dOptions& padding(Index ph, Index pw) {
    pad_h = ph;
    pad_w = pw;
    return *this;
  }
  Pool2dOptions& dilation(Index d) { return dilation(d, d); }
  Pool2dOptions& dilation(Index dh, Index dw) {
    dilation_h = dh;
    dilation_w = dw;
    return *this;
  }
  Pool2dOptions& ceil_mode(bool on = true) {
    ceil = on;
    return *this;
  }
  Pool2dOptions& count_include_pad(bool on) {
    include_pad = on;
    return *this;
  }
};

namespace detail {

/// floor(a / b) for b > 0 (C++ integer division truncates toward zero instead).
inline Index floor_div(Index a, Index b) {
  const Index q = a / b;
  return (a % b != 0 && a < 0) ? q - 1 : q;
}

/// One spatial axis of a sliding-window pooling.
struct PoolAxis {
  Index kernel = 1, stride = 1, pad = 0, dilation = 1;
  bool ceil = false;

  /// Extent of one window in input cells, dilation included.
  Index span() const { return dilation * (kernel - 1) + 1; }
  /// Number of windows over n input cells; < 1 when n is too small. In ceil mode the last
  /// window must start inside the input or the left padding (PyTorch's rule).
  Index out(Index n) const {
    Index o = floor_div(n + 2 * pad - span() + (ceil ? stride - 1 : 0), stride) + 1;
    if (ceil && o > 0 && (o - 1) * stride >= n + pad) --o;
    return o;
  }
  /// Smallest input length that gives at least one window (for error messages).
  Index min_in() const {
    Index n = 1;
    while (out(n) < 1) ++n;
    return n;
  }
  /// Input coordinate of output o's first tap (negative inside the left padding).
  Index start(Index o) const { return o * stride - pad; }
  /// AvgPool2d divisor along this axis for output o over n input cells: with include_pad
  /// padded cells count, cells beyond the padded border (ceil mode) never do.
  Index divisor(Index o, Index n, bool include_pad) const {
    const Index s = start(o), e = s + kernel;
    if (include_pad) return std::min(e, n + pad) - s;
    return std::min(e, n) - std::max(s, Index(0));
  }
  /// Valid (inside the input) cells [first, last) of output o's window; dilation 1 only.
  std::pair<Index, Index> cells(Index o, Index n) const {
    const Index s = start(o);
    return {std::max(s, Index(0)), std::min(s + kernel, n)};
  }
};

/// Validates one axis at construction; `axis` is "height" or "width".
inline PoolAxis make_pool_axis(const std::string& who, const char* axis, Index kernel,
                               bool has_stride, Index stride, Index pad, Index dilation, bool ceil) {
  if (kernel <= 0)
    raise<ParameterError>("param.300", who, ": kernel ", axis, " = ", kernel, ", expected >= 1");
  if (!has_stride) stride = kernel;
  if (stride <= 0)
    raise<ParameterError>("param.301", who, ": stride ", axis, " = ", stride, ", expected >= 1");
  if (pad < 0 || pad > kernel / 2)
    raise<ParameterError>("param.302", who, ": padding ", axis, " = ", pad, " with kernel ",
                          kernel, ", expected 0 <= padding <= kernel / 2 = ", kernel / 2);
  if (dilation <= 0)
    raise<ParameterError>("param.303", who, ": dilation ", axis, " = ", dilation,
                          ", expected >= 1");
  return PoolAxis{kernel, stride, pad, dilation, ceil};
}

/// Throws unless `in` is [N, C, H, W].
template <class W>
void expect_nchw(const Shape& in, const W& who) {
  if (in.rank() != 4)
    raise<ShapeError>("shape.300", who, ": input shape ", in, ", expected [N, C, H, W]");
}

/// [N, C, H, W] -> [N, C, OH, OW] for a sliding-window pooling; throws when a window does not fit.
template <class W>
Shape pool_output_shape(const Shape& in, const PoolAxis& h, const PoolAxis& w, const W& who) {
  expect_nchw(in, who);
  const Index oh = h.out(in[2]), ow = w.out(in[3]);
  if (oh < 1 || ow < 1)
    raise<ShapeError>("shape.301", who, ": input shape ", in, " is too small for kernel ",
                      h.kernel, "x", w.kernel, ", stride ", h.stride, "x", w.stride, ", padding ",
                      h.pad, "x", w.pad, ", dilation ", h.dilation, "x", w.dilation,
                      (h.ceil ? " (ceil mode)" : ""), "; expected [N, C, H >= ", h.min_in(),
                      ", W >= ", w.min_in(), "]");
  return Shape{in[0], in[1], oh, ow};
}

/// Adaptive window [first, last) of output i of `out` over n cells (PyTorch):
/// first = floor(i n / out), last = ceil((i + 1) n / out). Windows overlap when out > n.
inline std::pair<Index, Index> adaptive_cells(Index i, Index n, Index out) {
  return {(i * n) / out, ((i + 1) * n + out - 1) / out};
}

/// Linear box pooling shared by AvgPool2d and AdaptiveAvgPool2d. Each output (p, oy, ox) of
/// plane p = n * C + c sums the valid input cells rows(oy) x cols(ox) of the same plane with
/// the tap weight w[oy * OW + ox] (the same for every tap of a window):
///   y[p, oy, ox] = w[oy, ox] * sum_{iy in rows(oy), ix in cols(ox)} x[p, iy, ix].
/// rows/cols return half-open [first, last) ranges of valid cells.
template <class T, class Rows, class Cols>
void box_pool_forward(ConstView<T> x, TensorView<T> y, const Rows& rows, const Cols& cols,
                      const T* w) {
  const Index planes = x.dim(0) * x.dim(1), H = x.dim(2), W = x.dim(3);
  const Index OH = y.dim(2), OW = y.dim(3);
  for (Index p = 0; p < planes; ++p) {
    const T* xp = x.data() + p * H * W;
    T* yp = y.data() + p * OH * OW;
    for (Index oy = 0; oy < OH; ++oy) {
      const auto r = rows(oy);
      for (Index ox = 0; ox < OW; ++ox) {
        const auto c = cols(ox);
        T s(0);
        for (Index iy = r.first; iy < r.second; ++iy)
          for (Index ix = c.first; ix < c.second; ++ix) s += xp[iy * W + ix];
        yp[oy * OW + ox] = w[oy * OW + ox] * s;
      }
    }
  }
}

/// The transpose of box_pool_forward: gx[p, iy, ix] = sum over windows containing the cell of
/// w[oy, ox] * gy[p, oy, ox].
template <class T, class Rows, class Cols>
void box_pool_backward(ConstView<T> gy, TensorView<T> gx, const Rows& rows, const Cols& cols,
                       const T* w) {
  const Index planes = gx.dim(0) * gx.dim(1), H = gx.dim(2), W = gx.dim(3);
  const Index OH = gy.dim(2), OW = gy.dim(3);
  gx.vec().setZero();
  for (Index p = 0; p < planes; ++p) {
    const T* gyp = gy.data() + p * OH * OW;
    T* gxp = gx.data() + p * H * W;
    for (Index oy = 0; oy < OH; ++oy) {
      const auto r = rows(oy);
      for (Index ox = 0; ox < OW; ++ox) {
        const auto c = cols(ox);
        const T g = w[oy * OW + ox] * gyp[oy * OW + ox];
        for (Index iy = r.first; iy < r.second; ++iy)
          for (Index ix = c.first; ix < c.second; ++ix) gxp[iy * W + ix] += g;
      }
    }
  }
}

/// What MaxPool2d and AvgPool2d share: the name, both window axes validated from Pool2dOptions
/// at construction (ParameterError naming the layer kind and the axis) and their accessors.
class Pool2dWindows : public Named {
 public:
  Index kernel_h() const { return h_.kernel; }
  Index kernel_w() const { return w_.kernel; }
  Index stride_h() const { return h_.stride; }
  Index stride_w() const { return w_.stride; }
  Index pad_h() const { return h_.pad; }
  Index pad_w() const { return w_.pad; }
  Index dilation_h() const { return h_.dilation; }
  Index dilation_w() const { return w_.dilation; }
  bool ceil_mode() const { return h_.ceil; }

 protected:
  Pool2dWindows(const char* kind, Index kh, Index kw, const Pool2dOptions& opt)
      : h_(make_pool_axis(kind, "height", kh, opt.has_stride, opt.stride_h, opt.pad_h, opt.dilation_h, opt.ceil)),
        w_(make_pool_axis(kind, "width", kw, opt.has_stride, opt.stride_w, opt.pad_w, opt.dilation_w, opt.ceil)) {}

  PoolAxis h_, w_;
};

}  // namespace detail
ATTRIB_END_NAMESPACE
