#pragma once
// Residual sum y = a + b of two tensors of identical shape (no broadcasting).
// Gradient: both inputs receive gy unchanged.
#include "attrib/core/config.hpp"
#include "attrib/layers/role.hpp"
#include "attrib/core/named.hpp"
#include "attrib/core/workspace.hpp"

ATTRIB_BEGIN_NAMESPACE

template <class T>
class Add : public detail::Named {
 public:
  using Scalar = T;
  static constexpr const char* kind = "Add";
  static constexpr Role role = Role::sum;
  static constexpr int arity = 2;

  /// The common shape; throws ShapeError naming both shapes if they differ.
  Shape output_shape(const Shape& a, const Shape& b) const {
    if (a != b)
      raise<ShapeError>("shape.410", who(kind), ": operand shapes ", a, " and ", b,
                        " differ, expected identical shapes");
    return a;
  }

  void forward(ConstView<T> a, ConstView<T> b, TensorView<T> y, Workspace<T>& /*ws*/) const {
    expect_shape(y, output_shape(a.shape(), b.shape()), who(kind), "output");
    y.vec() = a.vec() + b.vec();
  }
  /// Input gradients (the binary-layer interface): ga = gb = gy.
  void backward(ConstView<T> /*a*/, ConstView<T> /*b*/, ConstView<T> gy, TensorView<T> ga, TensorView<T> gb,
                Workspace<T>& ws) const {
    backward(gy, ga, gb, ws);
  }
  /// ga = gb = gy.
  void backward(ConstView<T> gy, TensorView<T> ga, TensorView<T> gb, Workspace<T>& /*ws*/) const {
    expect_shape(ga, gy.shape(), who(kind), "first input signal");
    expect_shape(gb, gy.shape(), who(kind), "second input signal");
    if (ga.data() != gy.data()) ga.vec() = gy.vec();
    if (gb.data() != gy.data()) gb.vec() = gy.vec();
  }
};

ATTRIB_END_NAMESPACE
