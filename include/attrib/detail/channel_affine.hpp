#pragma once
// Common body of the per-channel affine layers (BatchNorm2d in inference, Normalize):
// y[n, c, ...] = s_c x[n, c, ...] + b_c on [N, C], [N, C, L] or [N, C, H, W] input.
//
// Derived supplies `kind`, `channels()` and `compute_effective(T* s, T* b)`, which writes the
// effective per-channel scale s and shift b (b may be nullptr) after validating its parameters.
#include "attrib/core/config.hpp"
#include "attrib/core/named.hpp"
#include "attrib/core/transform.hpp"
#include "attrib/core/workspace.hpp"

ATTRIB_BEGIN_NAMESPACE
namespace detail {

template <class Derived, class T>
class ChannelAffine : public Named {
 public:
  using Scalar = T;

  /// [N, C, ...] (rank 2 to 4) -> the same shape; throws ShapeError otherwise.
  Shape output_shape(const Shape& in) const {
    check_input(in, "input");
    return in;
  }

  void forward(ConstView<T> x, TensorView<T> y, Workspace<T>& ws) const {
    forward_transformed(transform::Identity{}, BiasMode::transformed, x, y, ws);
  }
  /// Input gradient: gx = s_c gy.
  void backward(ConstView<T> x, ConstView<T> gy, TensorView<T> gx, Workspace<T>& ws) const {
    expect_shape(gy, output_shape(x.shape()), who(self().kind), "output signal");
    backward_transformed(transform::Identity{}, gy, gx, ws);
  }

  /// y = f(s_c) x (+ nothing, f(b_c) or b_c according to mode).
  template <class F>
  void forward_transformed(const F& f, BiasMode mode, ConstView<T> x, TensorView<T> y,
                           Workspace<T>& ws) const {
    check_input(x.shape(), "input");
    expect_shape(y, x.shape(), who(self().kind), "output");
    T* s = ws.get(Slot::weights, channels());
    T* b = mode == BiasMode::none ? nullptr : ws.get(Slot::bias, channels());
    self().compute_effective(s, b);
    apply(f, s, channels());
    if (mode == BiasMode::transformed) apply(f, b, channels());
    scale_channels(s, b, x, y);
  }
  /// gx = f(s_c) gy (the map is diagonal, so it is its own transpose).
  template <class F>
  void backward_transformed(const F& f, ConstView<T> gy, TensorView<T> gx, Workspace<T>& ws) const {
    check_input(gy.shape(), "output signal");
    expect_shape(gx, gy.shape(), who(self().kind), "input signal");
    T* s = ws.get(Slot::weights, channels());
    self().compute_effective(s, nullptr);
    apply(f, s, channels());
    scale_channels(s, nullptr, gy, gx);
  }

  /// Writes the effective per-channel scale s_c and shift b_c (both [C]) into caller buffers,
  /// e.g. for folding this layer into a neighbouring convolution.
  void effective_affine(TensorView<T> scale, TensorView<T> shift) const {
    expect_shape(scale, Shape{channels()}, who(self().kind), "scale buffer");
    expect_shape(shift, Shape{channels()}, who(self().kind), "shift buffer");
    self().compute_effective(scale.data(), shift.data());
  }

 private:
  const Derived& self() const { return static_cast<const Derived&>(*this); }
  Index channels() const { return self().channels(); }

  void check_input(const Shape& in, const char* what) const {
    if (in.rank() < 2 || in[1] != channels())
      raise<ShapeError>("shape.400", who(self().kind), ": ", what, " shape ", in, ", expected [N, ",
                        channels(), ", H, W] (or [N, ", channels(), "] / [N, ", channels(), ", L])");
  }

  template <class F>
  static void apply(const F& f, T* v, Index n) {
    if constexpr (!is_identity_transform_v<F>)
      for (Index i = 0; i < n; ++i) v[i] = f(v[i]);
  }

  /// out[n, c, ...] = s[c] in[n, c, ...] (+ b[c]).
  void scale_channels(const T* s, const T* b, ConstView<T> in, TensorView<T> out) const {
    const Index c = channels(), rows = in.shape().batch() * c, extent = in.size() / (rows ? rows : 1);
    auto X = in.mat(rows, extent);
    auto Y = out.mat(rows, extent);
    for (Index r = 0; r < rows; ++r) {
      const Index k = r % c;
      if (b)
        Y.row(r).array() = s[k] * X.row(r).array() + b[k];
      else
        Y.row(r) = s[k] * X.row(r);
    }
  }
};

}  // namespace detail
ATTRIB_END_NAMESPACE
