#pragma once
// Element-wise weight transforms for the linear-layer primitives (forward_transformed /
// backward_transformed). A modified-backward rule is written once against these and then
// serves Dense, Conv2d, AvgPool2d, AdaptiveAvgPool2d, BatchNorm2d and Normalize alike.
// Any callable T -> T works; the named ones below cover the LRP family.
#include "attrib/core/config.hpp"
#include <type_traits>

ATTRIB_BEGIN_NAMESPACE

namespace transform {
/// w -> w (no copy is made: the layer uses its own weights directly).
struct Identity {
  template <class T> T operator()(T w) const { return w; }
};
/// w -> max(w, 0)
struct Positive {
  template <class T> T operator()(T w) const { return w > T(0) ? w : T(0); }
};
/// w -> min(w, 0)
struct Negative {
  template <class T> T operator()(T w) const { return w < T(0) ? w : T(0); }
};
/// w -> w^2
struct Square {
  template <class T> T operator()(T w) const { return w * w; }
};
/// w -> 1 (the "flat" rule; for pooling, every window tap becomes 1)
struct Ones {
  template <class T> T operator()(T) const { return T(1); }
};
/// w -> a*w + p*max(w,0) + n*min(w,0); e.g. LRP-gamma is {1, gamma, 0}.
template <class S>
struct Affine {
  S a = 1, p = 0, n = 0;
  template <class T> T operator()(T w) const {
    return T(a) * w + T(p) * (w > T(0) ? w : T(0)) + T(n) * (w < T(0) ? w : T(0));
  }
};
}  // namespace transform

/// How a linear primitive treats the bias.
enum class BiasMode {
  none,         ///< no bias
  transformed,  ///< the bias goes through the same transform as the weights (b+ for W+ ...)
  unchanged     ///< the original bias, whatever the weight transform
};

template <class F>
inline constexpr bool is_identity_transform_v = std::is_same_v<std::decay_t<F>, transform::Identity>;

ATTRIB_END_NAMESPACE
