#pragma once
// The part every weighted linear layer (Role::weighted_linear: Dense, Conv2d) shares: weight
// and optional bias storage, the parameter list, and the transformed-weight primitives written
// once over the layer's own products with explicit weights:
//
//   Derived::forward_with(ConstView<T> a, const T* b, ConstView<T> x, TensorView<T> y, Workspace<T>&)
//   Derived::backward_with(ConstView<T> a, ConstView<T> gy, TensorView<T> gx, Workspace<T>&)
//
// The first weight dimension is the output unit (channel): weight().shape()[0] == out_units().
#include "attrib/core/config.hpp"
#include "attrib/core/named.hpp"
#include "attrib/core/param.hpp"
#include "attrib/core/transform.hpp"
#include "attrib/core/workspace.hpp"
#include "attrib/detail/transformed.hpp"
#include "attrib/layers/role.hpp"

ATTRIB_BEGIN_NAMESPACE
namespace detail {

template <class Derived, class T>
class WeightedLinear : public Named {
 public:
  using Scalar = T;
  static constexpr Role role = Role::weighted_linear;
  static constexpr int arity = 1;

  bool has_bias() const { return !bias_.empty(); }
  const Param<T>& weight() const { return weight_; }
  const Param<T>& bias() const { return bias_; }
  Param<T>& weight() { return weight_; }
  Param<T>& bias() { return bias_; }
  /// Output units (channels): the first weight dimension.
  Index out_units() const { return weight_.shape()[0]; }

  /// Calls f(name, param) for "weight" and, if present, "bias" (PyTorch names).
  template <class F> void parameters(F&& f) { each_parameter(*this, f); }
  template <class F> void parameters(F&& f) const { each_parameter(*this, f); }

  /// Gives the layer a zero bias if it has none (canonize, ONNX bias folding).
  void ensure_bias() {
    if (!has_bias()) bias_ = Param<T>(Shape{out_units()});
  }

  void forward(ConstView<T> x, TensorView<T> y, Workspace<T>& ws) const {
    forward_transformed(transform::Identity{}, BiasMode::transformed, x, y, ws);
  }

  /// y = f(W) x (+ bias according to mode).
  template <class F>
  void forward_transformed(const F& f, BiasMode mode, ConstView<T> x, TensorView<T> y, Workspace<T>& ws) const {
    const T* w = detail::transformed(f, weight_.data(), weight_.shape().size(), ws, Slot::weights);
    self().forward_with(ConstView<T>(w, weight_.shape()), detail::transformed_bias(f, mode, bias_, ws), x, y, ws);
  }
  /// gx = f(W)^T gy, the adjoint of forward_transformed without bias; gx's shape gives the
  /// input size.
  template <class F>
  void backward_transformed(const F& f, ConstView<T> gy, TensorView<T> gx, Workspace<T>& ws) const {
    const T* w = detail::transformed(f, weight_.data(), weight_.shape().size(), ws, Slot::weights);
    self().backward_with(ConstView<T>(w, weight_.shape()), gy, gx, ws);
  }

 protected:
  WeightedLinear(const Shape& weight, bool bias) : weight_(weight) {
    if (bias) bias_ = Param<T>(Shape{weight[0]});
  }
  Param<T> weight_, bias_;

 private:
  const Derived& self() const { return static_cast<const Derived&>(*this); }
  template <class Self, class F>
  static void each_parameter(Self& self, F& f) {
    f("weight", self.weight_);
    if (self.has_bias()) f("bias", self.bias_);
  }
};

}  // namespace detail
ATTRIB_END_NAMESPACE
