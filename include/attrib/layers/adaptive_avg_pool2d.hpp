#pragma once
// Adaptive average pooling [N, C, H, W] -> [N, C, OH, OW] with PyTorch's window rule: output
// row i averages input rows [floor(i H / OH), ceil((i + 1) H / OH)), likewise for columns.
// Valid for any H, W >= 1, also when the output is larger than the input (windows overlap).
//
// A linear layer without bias: every tap of window o has the effective weight 1 / |window o|;
// the transformed primitives apply f to that tap weight. GlobalAvgPool2d is the OH = OW = 1 case.
#include "attrib/core/config.hpp"
#include "attrib/layers/role.hpp"
#include <string>

#include "attrib/core/named.hpp"
#include "attrib/core/transform.hpp"
#include "attrib/core/workspace.hpp"
#include "attrib/detail/pool_window.hpp"

ATTRIB_BEGIN_NAMESPACE

template <class T>
class AdaptiveAvgPool2d : public detail::Named {
 public:
  using Scalar = T;
  static constexpr const char* kind = "AdaptiveAvgPool2d";
  static constexpr Role role = Role::pooling;
  static constexpr int arity = 1;

  /// Output size oh x ow; throws ParameterError unless both are >= 1.
  AdaptiveAvgPool2d(Index oh, Index ow) : AdaptiveAvgPool2d(oh, ow, kind) {}
  /// Square output o x o.
  explicit AdaptiveAvgPool2d(Index o) : AdaptiveAvgPool2d(o, o, kind) {}

  Index out_h() const { return oh_; }
  Index out_w() const { return ow_; }

  /// [N, C, H, W] -> [N, C, OH, OW]; throws ShapeError for another rank or H or W < 1.
  Shape output_shape(const Shape& in) const {
    detail::expect_nchw(in, who(kind_));
    if (in[2] < 1 || in[3] < 1)
      raise<ShapeError>("shape.310", who(kind_), ": input shape ", in,
                        " has an empty spatial extent, expected [N, C, H >= 1, W >= 1]");
    return Shape{in[0], in[1], oh_, ow_};
  }

  void forward(ConstView<T> x, TensorView<T> y, Workspace<T>& ws) const {
    forward_transformed(transform::Identity{}, BiasMode::none, x, y, ws);
  }
  /// Input gradient: each window spreads gy[o] / |window o| over its cells.
  void backward(ConstView<T> /*x*/, ConstView<T> gy, TensorView<T> gx, Workspace<T>& ws) const {
    backward_transformed(transform::Identity{}, gy, gx, ws);
  }

  /// y[o] = f(1 / |window o|) * (sum of window o's input cells). No bias: the BiasMode is
  /// accepted for uniformity and ignored.
  template <class F>
  void forward_transformed(const F& f, BiasMode /*mode*/, ConstView<T> x, TensorView<T> y,
                           Workspace<T>& ws) const {
    const Shape out = output_shape(x.shape());
    expect_shape(y, out, who(kind_), "output");
    const T* w = tap_weights(f, x.shape(), ws);
    detail::box_pool_forward(x, y, rows(x.dim(2)), cols(x.dim(3)), w);
  }
  /// gx = f(A)^T gy, the adjoint of forward_transformed; gx's shape is the input shape.
  template <class F>
  void backward_transformed(const F& f, ConstView<T> gy, TensorView<T> gx, Workspace<T>& ws) const {
    const Shape out = output_shape(gx.shape());
    expect_shape(gy, out, who(kind_), "output signal");
    const T* w = tap_weights(f, gx.shape(), ws);
    detail::box_pool_backward(gy, gx, rows(gx.dim(2)), cols(gx.dim(3)), w);
  }

 protected:
  // `kind_name` lets GlobalAvgPool2d report itself under its own name.
  AdaptiveAvgPool2d(Index oh, Index ow, const char* kind_name) : oh_(oh), ow_(ow), kind_(kind_name) {
    if (oh < 1 || ow < 1)
      raise<ParameterError>("param.310", kind_, ": output size ", oh, "x", ow,
                            ", expected both >= 1");
  }

 private:
  // f(1 / |window|) for every output position (oy, ox), in the workspace's weight slot.
  template <class F>
  const T* tap_weights(const F& f, const Shape& in, Workspace<T>& ws) const {
    T* w = ws.get(Slot::weights, oh_ * ow_);
    for (Index oy = 0; oy < oh_; ++oy) {
      const auto r = detail::adaptive_cells(oy, in[2], oh_);
      for (Index ox = 0; ox < ow_; ++ox) {
        const auto c = detail::adaptive_cells(ox, in[3], ow_);
        const Index size = (r.second - r.first) * (c.second - c.first);
        w[oy * ow_ + ox] = static_cast<T>(f(T(1) / static_cast<T>(size)));
      }
    }
    return w;
  }
  auto rows(Index H) const {
    return [this, H](Index oy) { return detail::adaptive_cells(oy, H, oh_); };
  }
  auto cols(Index W) const {
    return [this, W](Index ox) { return detail::adaptive_cells(ox, W, ow_); };
  }

  Index oh_, ow_;
  const char* kind_;
};

/// Global average pooling [N, C, H, W] -> [N, C, 1, 1]: AdaptiveAvgPool2d(1, 1) under its own
/// kind (in messages and traces). Rules written for AdaptiveAvgPool2d apply unchanged.
template <class T>
class GlobalAvgPool2d : public AdaptiveAvgPool2d<T> {
 public:
  static constexpr const char* kind = "GlobalAvgPool2d";
  GlobalAvgPool2d() : AdaptiveAvgPool2d<T>(1, 1, kind) {}
};

ATTRIB_END_NAMESPACE
