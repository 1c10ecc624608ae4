#pragma once
// Test-only layers and a model for the variadic (any number of inputs) layer interface.
#include <tuple>
#include <utility>

#include "attrib/attrib.hpp"

namespace attrib::test {

/// y = x_0 + ... + x_{n-1} of any number of same-shaped inputs (Role::sum, arity variadic).
template <class T>
class SumN : public detail::Named {
 public:
  using Scalar = T;
  static constexpr const char* kind = "SumN";
  static constexpr Role role = Role::sum;
  static constexpr int arity = variadic;

  Shape output_shape(Span<Shape> in) const {
    for (const Shape& s : in)
      if (s != in[0]) raise<ShapeError>("shape.410", who(kind), ": operand shapes ", in[0], " and ", s, " differ");  // as Add
    return in[0];
  }
  void forward(Span<ConstView<T>> xs, TensorView<T> y, Workspace<T>& /*ws*/) const {
    y.vec() = xs[0].vec();
    for (int k = 1; k < xs.size(); ++k) y.vec() += xs[k].vec();
  }
  /// d y / d x_k = 1: gx_k = gy.
  void backward(Span<ConstView<T>> /*xs*/, int /*k*/, ConstView<T> gy, TensorView<T> gx, Workspace<T>& /*ws*/) const {
    gx.vec() = gy.vec();
  }
};

/// A runtime model of three Dense branches on the model input summed by SumN: the model
/// interface (size, node, nodes, find, visit) over a fixed tuple of layers.
template <class T>
class ThreeBranchSum : public detail::NodeTable {
 public:
  using Scalar = T;
  static constexpr bool is_runtime = true;

  ThreeBranchSum(Dense<T> a, Dense<T> b, Dense<T> c) : layers_(std::move(a), std::move(b), std::move(c), SumN<T>()) {
    const char* names[] = {"d0", "d1", "d2"};
    for (Index i = 0; i < 3; ++i) nodes_.push_back(detail::make_node<Dense<T>>(i, names[i], {-1}));
    nodes_.push_back(detail::make_node<SumN<T>>(3, "sum", {0, 1, 2}));
  }
  template <class F> void visit(Index i, F&& f) const {
    detail::check_node_index(nodes_, i);
    switch (i) {
      case 0: return f(std::get<0>(layers_));
      case 1: return f(std::get<1>(layers_));
      case 2: return f(std::get<2>(layers_));
      default: return f(std::get<3>(layers_));
    }
  }
  const Dense<T>& branch(int k) const {
    return k == 0 ? std::get<0>(layers_) : k == 1 ? std::get<1>(layers_) : std::get<2>(layers_);
  }

 private:
  std::tuple<Dense<T>, Dense<T>, Dense<T>, SumN<T>> layers_;
};

}  // namespace attrib::test
