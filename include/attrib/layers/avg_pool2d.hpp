#pragma once
// Average pooling over [N, C, H, W] with PyTorch's semantics: kernel, stride (default =
// kernel), padding (<= kernel / 2, padded cells are 0), ceil mode and count_include_pad
// (default true). The divisor of a window counts its cells inside the input, plus - with
// count_include_pad - its padded cells, but never cells beyond the padded border (ceil mode).
//
// A linear layer without bias: every tap of window o has the effective weight 1 / divisor(o).
// The transformed primitives apply f to that tap weight (Ones: every tap 1, Square:
// 1 / divisor^2, Positive: unchanged, Negative: 0).
#include "attrib/core/config.hpp"
#include "attrib/layers/role.hpp"
#include "attrib/core/named.hpp"
#include "attrib/core/transform.hpp"
#include "attrib/core/workspace.hpp"
#include "attrib/detail/pool_window.hpp"

ATTRIB_BEGIN_NAMESPACE

template <class T>
class AvgPool2d : public detail::Pool2dWindows {
 public:
  using Scalar = T;
  static constexpr const char* kind = "AvgPool2d";
  static constexpr Role role = Role::pooling;
  static constexpr int arity = 1;

  /// Kernel kh x kw; stride, padding, ceil mode and count_include_pad from opt. Throws
  /// ParameterError for a kernel or stride < 1, a padding outside [0, kernel / 2] or a
  /// dilation other than 1 (PyTorch's AvgPool2d has none).
  AvgPool2d(Index kh, Index kw, Pool2dOptions opt = {}) : Pool2dWindows(kind, kh, kw, opt), include_pad_(opt.include_pad) {
    if (opt.dilation_h != 1 || opt.dilation_w != 1)
      raise<ParameterError>("param.304", kind, ": dilation ", opt.dilation_h, "x",
                            opt.dilation_w, ", expected 1x1 (average pooling has no dilation)");
  }
  /// Square kernel k x k.
  explicit AvgPool2d(Index k, Pool2dOptions opt = {}) : AvgPool2d(k, k, opt) {}

  bool count_include_pad() const { return include_pad_; }

  /// [N, C, H, W] -> [N, C, OH, OW]; throws ShapeError for another rank or an input too small
  /// for one window.
  Shape output_shape(const Shape& in) const {
    return detail::pool_output_shape(in, h_, w_, who(kind));
  }

  void forward(ConstView<T> x, TensorView<T> y, Workspace<T>& ws) const {
    forward_transformed(transform::Identity{}, BiasMode::none, x, y, ws);
  }
  /// Input gradient: each window spreads gy[o] / divisor(o) over its cells.
  void backward(ConstView<T> /*x*/, ConstView<T> gy, TensorView<T> gx, Workspace<T>& ws) const {
    backward_transformed(transform::Identity{}, gy, gx, ws);
  }

  /// y[o] = f(1 / divisor(o)) * (sum of window o's input cells). There is no bias: the
  /// BiasMode is accepted for uniformity and ignored.
  template <class F>
  void forward_transformed(const F& f, BiasMode /*mode*/, ConstView<T> x, TensorView<T> y,
                           Workspace<T>& ws) const {
    const Shape out = output_shape(x.shape());
    expect_shape(y, out, who(kind), "output");
    const T* w = tap_weights(f, x.shape(), out, ws);
    detail::box_pool_forward(x, y, rows(x.dim(2)), cols(x.dim(3)), w);
  }
  /// gx = f(A)^T gy, the adjoint of forward_transformed; gx's shape is the input shape.
  template <class F>
  void backward_transformed(const F& f, ConstView<T> gy, TensorView<T> gx, Workspace<T>& ws) const {
    const Shape out = output_shape(gx.shape());
    expect_shape(gy, out, who(kind), "output signal");
    const T* w = tap_weights(f, gx.shape(), out, ws);
    detail::box_pool_backward(gy, gx, rows(gx.dim(2)), cols(gx.dim(3)), w);
  }

 private:
  // f(1 / divisor) for every output position (oy, ox), in the workspace's weight slot.
  template <class F>
  const T* tap_weights(const F& f, const Shape& in, const Shape& out, Workspace<T>& ws) const {
    const Index OH = out[2], OW = out[3];
    T* w = ws.get(Slot::weights, OH * OW);
    for (Index oy = 0; oy < OH; ++oy) {
      const Index dy = h_.divisor(oy, in[2], include_pad_);
      for (Index ox = 0; ox < OW; ++ox)
        w[oy * OW + ox] = static_cast<T>(f(T(1) / static_cast<T>(dy * w_.divisor(ox, in[3], include_pad_))));
    }
    return w;
  }
  auto rows(Index H) const {
    return [this, H](Index oy) { return h_.cells(oy, H); };
  }
  auto cols(Index W) const {
    return [this, W](Index ox) { return w_.cells(ox, W); };
  }

  bool include_pad_;
};

ATTRIB_END_NAMESPACE
