#pragma once
// Max pooling over [N, C, H, W] with PyTorch's semantics: kernel, stride (default = kernel),
// padding (padded cells are -inf, padding <= kernel / 2), dilation and ceil mode.
//
// The input gradient is winner-take-all: each window's output gradient goes to the window's
// argmax, the first maximum in row-major scan order on ties (NaN counts as a maximum, as in
// PyTorch). argmax() exposes that routing so rules can reuse or replace it.
#include "attrib/core/config.hpp"
#include "attrib/layers/role.hpp"
#include <cmath>
#include <limits>

#include "attrib/core/named.hpp"
#include "attrib/core/workspace.hpp"
#include "attrib/detail/pool_window.hpp"

ATTRIB_BEGIN_NAMESPACE

template <class T>
class MaxPool2d : public detail::Pool2dWindows {
 public:
  using Scalar = T;
  static constexpr const char* kind = "MaxPool2d";
  static constexpr Role role = Role::pooling;
  static constexpr int arity = 1;

  /// Kernel kh x kw; stride, padding, dilation and ceil mode from opt (count_include_pad is
  /// ignored). Throws ParameterError for a kernel, stride or dilation < 1 or a padding outside
  /// [0, kernel / 2].
  MaxPool2d(Index kh, Index kw, Pool2dOptions opt = {}) : Pool2dWindows(kind, kh, kw, opt) {}
  /// Square kernel k x k.
  explicit MaxPool2d(Index k, Pool2dOptions opt = {}) : MaxPool2d(k, k, opt) {}

  /// [N, C, H, W] -> [N, C, OH, OW]; throws ShapeError for another rank or an input too small
  /// for one window.
  Shape output_shape(const Shape& in) const {
    return detail::pool_output_shape(in, h_, w_, who(kind));
  }

  /// y = max over each window (-inf for a window lying entirely in the padding).
  void forward(ConstView<T> x, TensorView<T> y, Workspace<T>& /*ws*/) const {
    const Shape out = output_shape(x.shape());
    expect_shape(y, out, who(kind), "output");
    scan(x, out, [&](Index o, T best, Index) { y[o] = best; });
  }

  /// Input gradient: gx = 0 except gx[argmax of window o] += gy[o].
  void backward(ConstView<T> x, ConstView<T> gy, TensorView<T> gx, Workspace<T>& /*ws*/) const {
    const Shape out = output_shape(x.shape());
    expect_shape(gy, out, who(kind), "output signal");
    expect_shape(gx, x.shape(), who(kind), "input signal");
    gx.vec().setZero();
    scan(x, out, [&](Index o, T, Index at) {
      if (at >= 0) gx[at] += gy[o];
    });
  }

  /// For every output element o (idx has output_shape(x)), the flat index into x of its
  /// window's maximum: the element backward() routes gy[o] to. A window lying entirely in the
  /// padding (possible only with dilation) gets -1 (PyTorch reports an out-of-range index).
  void argmax(ConstView<T> x, TensorView<Index> idx) const {
    const Shape out = output_shape(x.shape());
    expect_shape(idx, out, who(kind), "argmax indices");
    scan(x, out, [&](Index o, T, Index at) { idx[o] = at; });
  }

 private:
  // Calls visit(flat output index, window maximum, flat input index of the maximum or -1).
  template <class Visit>
  void scan(ConstView<T> x, const Shape& out, const Visit& visit) const {
    const Index planes = x.dim(0) * x.dim(1), H = x.dim(2), W = x.dim(3);
    const Index OH = out[2], OW = out[3];
    const Index dh = h_.dilation, dw = w_.dilation;
    for (Index p = 0; p < planes; ++p) {
      const Index base = p * H * W;
      const T* xp = x.data() + base;
      for (Index oy = 0; oy < OH; ++oy) {
        const Index ky0 = first_tap(h_.start(oy), dh), iy0 = h_.start(oy) + ky0 * dh;
        for (Index ox = 0; ox < OW; ++ox) {
          const Index kx0 = first_tap(w_.start(ox), dw), ix0 = w_.start(ox) + kx0 * dw;
          T best = -std::numeric_limits<T>::infinity();
          Index at = (iy0 < H && ix0 < W) ? base + iy0 * W + ix0 : Index(-1);
          for (Index ky = ky0, iy = iy0; ky < h_.kernel && iy < H; ++ky, iy += dh)
            for (Index kx = kx0, ix = ix0; kx < w_.kernel && ix < W; ++kx, ix += dw) {
              const T v = xp[iy * W + ix];
              if (v > best || std::isnan(v)) {
                best = v;
                at = base + iy * W + ix;
              }
            }
          visit((p * OH + oy) * OW + ox, best, at);
        }
      }
    }
  }
  // First tap index whose cell start + k * d is not in the left padding.
  static Index first_tap(Index start, Index d) { return start < 0 ? (-start + d - 1) / d : 0; }

};

ATTRIB_END_NAMESPACE
