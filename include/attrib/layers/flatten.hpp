#pragma once
// [N, d1, ...] -> [N, d1 * ...] (torch.flatten(x, 1)), row-major so the element order is
// unchanged. The backward pass reshapes the gradient back to the input shape.
#include "attrib/core/config.hpp"
#include "attrib/layers/role.hpp"
#include "attrib/core/named.hpp"
#include "attrib/core/workspace.hpp"

ATTRIB_BEGIN_NAMESPACE

template <class T>
class Flatten : public detail::Named {
 public:
  using Scalar = T;
  static constexpr const char* kind = "Flatten";
  static constexpr Role role = Role::reshape;
  static constexpr int arity = 1;

  /// Rank 2 to 4 -> [N, sample size]; rank 1 is rejected (torch.flatten(x, 1) needs a dim 1).
  Shape output_shape(const Shape& in) const {
    if (in.rank() < 2)
      raise<ShapeError>("shape.420", who(kind), ": input shape ", in, ", expected [N, ...] of rank 2 to 4");
    Index rest = 1;
    for (int i = 1; i < in.rank(); ++i) rest *= in[i];
    return Shape{in[0], rest};
  }

  void forward(ConstView<T> x, TensorView<T> y, Workspace<T>& /*ws*/) const {
    expect_shape(y, output_shape(x.shape()), who(kind), "output");
    if (y.data() != x.data()) y.vec() = x.vec();
  }
  void backward(ConstView<T> x, ConstView<T> gy, TensorView<T> gx, Workspace<T>& /*ws*/) const {
    expect_shape(gy, output_shape(x.shape()), who(kind), "output signal");
    expect_shape(gx, x.shape(), who(kind), "input signal");
    if (gx.data() != gy.data()) gx.vec() = gy.vec();
  }
};

ATTRIB_END_NAMESPACE
