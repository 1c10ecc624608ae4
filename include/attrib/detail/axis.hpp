#pragma once
// Axis arithmetic shared by the structural layers (Concat, Slice): resolving a possibly negative
// axis against a rank, and the (outer, extent, inner) factorisation of a row-major shape
// around one axis: element (o, i, r) sits at (o * extent + i) * inner + r.
#include "attrib/core/config.hpp"
#include "attrib/core/error.hpp"
#include "attrib/core/shape.hpp"

ATTRIB_BEGIN_NAMESPACE
namespace detail {

/// axis in [-rank, rank) -> [1, rank); the batch axis 0 is never a valid layer axis.
template <class W>
int resolve_axis(int axis, const Shape& s, const W& who, const char* what) {
  const int a = axis < 0 ? axis + s.rank() : axis;
  if (a < 1 || a >= s.rank())
    raise<ShapeError>("shape.1002", who, ": axis ", axis, " for ", what, " shape ", s,
                      ", expected an axis in [1, ", s.rank(), ") or [", -s.rank() + 1, ", -1] (not the batch axis)");
  return a;
}

/// Product of dims [first, last).
inline Index dims_product(const Shape& s, int first, int last) {
  Index n = 1;
  for (int i = first; i < last; ++i) n *= s[i];
  return n;
}

struct AxisSplit {
  Index outer, extent, inner;
};
inline AxisSplit split_at(const Shape& s, int axis) {
  return {dims_product(s, 0, axis), s[axis], dims_product(s, axis + 1, s.rank())};
}

/// [N, C, L] viewed as [N, C, 1, L] (same memory): how the 1-d layers reuse the 2-d ones.
template <class V>
V length_as_width(const V& v) {
  return V(v.data(), Shape{v.dim(0), v.dim(1), 1, v.dim(2)});
}

}  // namespace detail
ATTRIB_END_NAMESPACE
