#pragma once
// Rectifier y = max(x, 0), any shape. Gradient 1[x > 0] (0 at x == 0, as PyTorch/TF).
#include "attrib/core/config.hpp"
#include "attrib/layers/role.hpp"
#include "attrib/core/named.hpp"
#include "attrib/core/workspace.hpp"

ATTRIB_BEGIN_NAMESPACE

template <class T>
class ReLU : public detail::Named {
 public:
  using Scalar = T;
  static constexpr const char* kind = "ReLU";
  static constexpr Role role = Role::activation;
  static constexpr int arity = 1;

  Shape output_shape(const Shape& in) const { return in; }
  /// The scalar function (activations may expose it; DeepLIFT's RevealCancel needs it).
  T value(T v) const { return v > T(0) ? v : T(0); }

  void forward(ConstView<T> x, TensorView<T> y, Workspace<T>& /*ws*/) const {
    expect_shape(y, x.shape(), who(kind), "output");
    y.vec() = x.vec().cwiseMax(T(0));
  }
  void backward(ConstView<T> x, ConstView<T> gy, TensorView<T> gx, Workspace<T>& /*ws*/) const {
    expect_shape(gy, x.shape(), who(kind), "output signal");
    expect_shape(gx, x.shape(), who(kind), "input signal");
    gx.vec() = (x.vec().array() > T(0)).select(gy.vec(), T(0));
  }
};

ATTRIB_END_NAMESPACE
