#pragma once
// Slice of an activation along one axis >= 1: y = x[..., start:end:step, ...] with Python's
// (and ONNX Slice's) rules for start and end: a negative value counts from the end, values
// beyond the extent are clamped; step >= 1. The channel slice (axis 1) is one output of ONNX
// Split / torch.split / torch.chunk; split_slices() builds the n slices of a Split.
//
// The gradient scatters gy into the sliced positions of gx and zeros elsewhere; every rule
// family moves its signal the same way (relevance of the unused positions is 0 from this branch).
#include "attrib/core/config.hpp"
#include <algorithm>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "attrib/core/named.hpp"
#include "attrib/layers/role.hpp"
#include "attrib/core/workspace.hpp"
#include "attrib/detail/axis.hpp"

ATTRIB_BEGIN_NAMESPACE

template <class T>
class Slice : public detail::Named {
 public:
  using Scalar = T;
  static constexpr const char* kind = "Slice";
  static constexpr Role role = Role::reshape;
  static constexpr int arity = 1;
  /// An `end` that means "to the end of the axis" (ONNX exporters write INT64_MAX).
  static constexpr Index to_end = std::numeric_limits<Index>::max();

  /// Throws ParameterError for axis 0 (the batch axis) or step < 1.
  Slice(int axis, Index start, Index end, Index step = 1) : axis_(axis), start_(start), end_(end), step_(step) {
    if (axis == 0)
      raise<ParameterError>("param.1010", kind, ": axis 0 is the batch axis; expected axis >= 1 or negative");
    if (step < 1)
      raise<ParameterError>("param.1011", kind, ": step ", step, ", expected >= 1 (negative steps are not supported)");
  }

  int axis() const { return axis_; }
  Index start() const { return start_; }
  Index end() const { return end_; }
  Index step() const { return step_; }

  /// The input shape with the axis' extent replaced by the slice length; throws ShapeError for
  /// an axis outside [1, rank) or an empty slice.
  Shape output_shape(const Shape& in) const { return plan(in).out; }

  void forward(ConstView<T> x, TensorView<T> y, Workspace<T>& /*ws*/) const {
    const Plan p = plan(x.shape());
    expect_shape(y, p.out, who(kind), "output");
    each_row(p, [&](Index yo, Index xo) { std::copy(x.data() + xo, x.data() + xo + p.split.inner, y.data() + yo); });
  }
  /// gx = 0 except gx[..., start + i step, ...] = gy[..., i, ...].
  void backward(ConstView<T> x, ConstView<T> gy, TensorView<T> gx, Workspace<T>& /*ws*/) const {
    const Plan p = plan(x.shape());
    expect_shape(gy, p.out, who(kind), "output signal");
    expect_shape(gx, x.shape(), who(kind), "input signal");
    gx.vec().setZero();
    each_row(p, [&](Index yo, Index xo) { std::copy(gy.data() + yo, gy.data() + yo + p.split.inner, gx.data() + xo); });
  }

  /// The first index along the axis and the slice length for input shape `in`.
  std::pair<Index, Index> range(const Shape& in) const {
    const Plan p = plan(in);
    return {p.first, p.out[p.axis]};
  }

 private:
  struct Plan {
    int axis;
    detail::AxisSplit split;  // of the input
    Index first;
    Shape out;
  };
  Plan plan(const Shape& in) const {
    const int a = detail::resolve_axis(axis_, in, who(kind), "input");
    const Index d = in[a];
    auto clamp = [d](Index v) { return std::min(std::max(v < 0 ? v + d : v, Index(0)), d); };
    const Index s = clamp(start_), e = end_ == to_end ? d : clamp(end_);
    const Index len = e > s ? (e - s + step_ - 1) / step_ : 0;
    if (len == 0)
      raise<ShapeError>("shape.1010", who(kind), ": slice [", start_, ":", (end_ == to_end ? std::string() : std::to_string(end_)),
                        ":", step_, "] of axis ", a, " is empty for input shape ", in,
                        "; expected a non-empty slice");
    Plan p{a, detail::split_at(in, a), s, in};
    p.out[a] = len;
    return p;
  }
  // visit(offset of a y row, offset of the x row it copies); a row is `inner` contiguous values.
  template <class Visit>
  void each_row(const Plan& p, const Visit& visit) const {
    const Index len = p.out[p.axis], inner = p.split.inner;
    for (Index o = 0; o < p.split.outer; ++o)
      for (Index i = 0; i < len; ++i)
        visit((o * len + i) * inner, (o * p.split.extent + p.first + i * step_) * inner);
  }

  int axis_;
  Index start_, end_, step_;
};

/// The slices of ONNX Split / torch.split along `axis` with the given part sizes (consecutive,
/// starting at 0). Throws ParameterError for an empty list or a size < 1.
template <class T>
std::vector<Slice<T>> split_slices(int axis, const std::vector<Index>& sizes) {
  if (sizes.empty()) raise<ParameterError>("param.1012", "Split: no part sizes given, expected at least one");
  std::vector<Slice<T>> parts;
  Index at = 0;
  for (Index n : sizes) {
    if (n < 1) raise<ParameterError>("param.1012", "Split: part size ", n, ", expected every size >= 1");
    parts.emplace_back(axis, at, at + n);
    at += n;
  }
  return parts;
}

ATTRIB_END_NAMESPACE
