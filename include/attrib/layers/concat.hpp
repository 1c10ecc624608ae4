#pragma once
// Concatenation of n >= 1 activations along one axis (torch.cat, ONNX Concat), axis >= 1 (a
// negative axis counts from the end; the batch axis 0 is rejected). Every input has the rank
// of the output and agrees with it on every other axis.
//
// The inputs are a Span of views, independent of how a model stores them:
//   concat.forward({a, b, c}, y, ws);                 // braced list, std::vector or std::array
//   concat.backward({a, b, c}, k, gy, gx_k, ws);      // gx_k = input k's part of gy
// The gradient is the split of gy; under every rule family relevance, multipliers and
// gradients are moved by the same split (docs/rules.md, "Layers × rule families").
#include "attrib/core/config.hpp"
#include <algorithm>

#include "attrib/core/named.hpp"
#include "attrib/layers/role.hpp"
#include "attrib/core/span.hpp"
#include "attrib/core/workspace.hpp"
#include "attrib/detail/axis.hpp"

ATTRIB_BEGIN_NAMESPACE

template <class T>
class Concat : public detail::Named {
 public:
  using Scalar = T;
  static constexpr const char* kind = "Concat";
  static constexpr Role role = Role::concat;
  static constexpr int arity = variadic;

  /// Concatenation axis; 0 (the batch axis) throws ParameterError, other values are checked
  /// against the inputs' rank in output_shape.
  explicit Concat(int axis = 1) : axis_(axis) {
    if (axis == 0)
      raise<ParameterError>("param.1000", kind, ": axis 0 is the batch axis; expected axis >= 1 or negative");
  }

  int axis() const { return axis_; }

  /// The inputs' shapes with their extents along the axis summed; throws ShapeError for no
  /// input, an axis outside [1, rank) or inputs that differ on another axis (naming both).
  Shape output_shape(Span<Shape> in) const {
    return joined(in.size(), [&](int k) -> const Shape& { return in[k]; });
  }

  /// y = cat(xs, axis).
  void forward(Span<ConstView<T>> xs, TensorView<T> y, Workspace<T>& /*ws*/) const {
    expect_shape(y, shape_of(xs), who(kind), "output");
    for (int k = 0; k < xs.size(); ++k)
      for_each_chunk(xs, k, y.shape(), [&](Index at, Index from, Index n) {
        std::copy(xs[k].data() + from, xs[k].data() + from + n, y.data() + at);
      });
  }
  /// gx_k = the part of gy that input k produced (the arity-variadic layer interface). Also
  /// the backward pass of every rule (relevance, multipliers and gradients move unchanged).
  void backward(Span<ConstView<T>> xs, int k, ConstView<T> gy, TensorView<T> gx, Workspace<T>& /*ws*/) const {
    expect_shape(gy, shape_of(xs), who(kind), "output signal");
    expect_shape(gx, xs[k].shape(), who(kind), "input signal");
    for_each_chunk(xs, k, gy.shape(), [&](Index at, Index to, Index n) {
      std::copy(gy.data() + at, gy.data() + at + n, gx.data() + to);
    });
  }

 private:
  // The joined shape of n shapes given by shape(k); no list is materialised (allocation-free).
  template <class ShapeOf>
  Shape joined(int n, const ShapeOf& shape) const {
    if (n == 0) raise<ShapeError>("shape.1000", who(kind), ": no input, expected at least one");
    const int a = detail::resolve_axis(axis_, shape(0), who(kind), "input 0");
    Shape out = shape(0);
    for (int k = 1; k < n; ++k) {
      const Shape& s = shape(k);
      bool same = s.rank() == out.rank();
      for (int i = 0; same && i < out.rank(); ++i) same = i == a || s[i] == out[i];
      if (!same)
        raise<ShapeError>("shape.1001", who(kind), ": input ", k, " has shape ", s, ", input 0 has ", shape(0),
                          "; expected equal ranks and equal extents on every axis but ", a);
      out[a] += s[a];
    }
    return out;
  }
  Shape shape_of(Span<ConstView<T>> views) const {
    return joined(views.size(), [&](int k) -> const Shape& { return views[k].shape(); });
  }

  // visit(offset in the whole, offset in part k, count) for every contiguous chunk of part k:
  // whole[o, off_k + i, r] = part_k[o, i, r].
  template <class Visit>
  void for_each_chunk(Span<ConstView<T>> parts, int k, const Shape& whole, const Visit& visit) const {
    const int a = detail::resolve_axis(axis_, whole, who(kind), "output");
    const detail::AxisSplit w = detail::split_at(whole, a);
    Index offset = 0;
    for (int j = 0; j < k; ++j) offset += parts[j].dim(a) * w.inner;
    const Index chunk = parts[k].dim(a) * w.inner;
    for (Index o = 0; o < w.outer; ++o) visit(o * w.extent * w.inner + offset, o * chunk, chunk);
  }

  int axis_;
};

ATTRIB_END_NAMESPACE
