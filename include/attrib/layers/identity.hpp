#pragma once
// Identity, and Dropout in inference mode (also the identity: PyTorch scales by 1/(1-p) while
// training, so eval-mode outputs are the inputs unchanged). Any shape.
#include "attrib/core/config.hpp"
#include "attrib/layers/role.hpp"
#include "attrib/core/named.hpp"
#include "attrib/core/workspace.hpp"

ATTRIB_BEGIN_NAMESPACE

namespace detail {
/// y = x and gx = gy; Derived supplies `kind` for messages.
template <class Derived, class T>
class PassThrough : public Named {
 public:
  using Scalar = T;
  static constexpr Role role = Role::reshape;
  static constexpr int arity = 1;

  Shape output_shape(const Shape& in) const { return in; }

  void forward(ConstView<T> x, TensorView<T> y, Workspace<T>& /*ws*/) const {
    expect_shape(y, x.shape(), who(Derived::kind), "output");
    if (y.data() != x.data()) y.vec() = x.vec();
  }
  void backward(ConstView<T> x, ConstView<T> gy, TensorView<T> gx, Workspace<T>& /*ws*/) const {
    expect_shape(gy, x.shape(), who(Derived::kind), "output signal");
    expect_shape(gx, x.shape(), who(Derived::kind), "input signal");
    if (gx.data() != gy.data()) gx.vec() = gy.vec();
  }
};
}  // namespace detail

template <class T>
class Identity : public detail::PassThrough<Identity<T>, T> {
 public:
  static constexpr const char* kind = "Identity";
};

template <class T>
class Dropout : public detail::PassThrough<Dropout<T>, T> {
 public:
  static constexpr const char* kind = "Dropout";

  /// Drop probability p in [0, 1) (PyTorch's default 0.5); kept for export and inspection only.
  explicit Dropout(double p = 0.5) : p_(p) {
    if (!(p >= 0.0 && p < 1.0))
      raise<ParameterError>("param.420", kind, ": p = ", p, "; must be in [0, 1)");
  }
  double p() const { return p_; }

 private:
  double p_;
};

ATTRIB_END_NAMESPACE
