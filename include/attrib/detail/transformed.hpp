#pragma once
// Materialises transformed weights/biases in a workspace slot (or hands out the original
// pointer for the identity transform, so the plain forward pass copies nothing).
#include "attrib/core/config.hpp"
#include "attrib/core/param.hpp"
#include "attrib/core/transform.hpp"
#include "attrib/core/workspace.hpp"

ATTRIB_BEGIN_NAMESPACE
namespace detail {

template <class T, class F>
const T* transformed(const F& f, const T* src, Index n, Workspace<T>& ws, Slot slot) {
  if constexpr (is_identity_transform_v<F>) {
    (void)ws; (void)slot; (void)n; (void)f;
    return src;
  } else {
    T* out = ws.get(slot, n);
    for (Index i = 0; i < n; ++i) out[i] = f(src[i]);
    return out;
  }
}

/// Bias pointer for a primitive call, or nullptr when there is none to add.
template <class T, class F>
const T* transformed_bias(const F& f, BiasMode mode, const Param<T>& bias, Workspace<T>& ws) {
  if (mode == BiasMode::none || bias.empty()) return nullptr;
  if (mode == BiasMode::unchanged) return bias.data();
  return transformed(f, bias.data(), bias.shape().size(), ws, Slot::bias);
}

}  // namespace detail
ATTRIB_END_NAMESPACE
