#pragma once
// Gradient (saliency) and Gradient x Input. Seeded with one-hot x 1 at the target logit.
#include "attrib/core/config.hpp"
#include "attrib/layers/traits.hpp"
#include "attrib/rules/rule.hpp"

ATTRIB_BEGIN_NAMESPACE

/// r_in = (d layer / d x)^T r_out for every layer: the plain input gradient d f_c / d x.
struct Gradient {
  static constexpr const char* name = "Gradient";
  static constexpr Seed seed = Seed::gradient;

  /// Any single-input layer: its own gradient backward.
  template <class L, class T, class S, class = std::enable_if_t<!is_binary_layer_v<L>>>
  auto backward(const L& layer, Step<T, S>& s) const
      -> decltype(layer.backward(s.x, s.out, s.in, s.ws), void()) {
    layer.backward(s.x, s.out, s.in, s.ws);
  }
  /// Residual Add: the signal is copied to both inputs.
  template <class L, class T, class S, class = std::enable_if_t<is_binary_layer_v<L>>, class = void>
  auto backward(const L& layer, Step<T, S>& s) const
      -> decltype(layer.backward(s.out, s.in, *s.in2, s.ws), void()) {
    layer.backward(s.out, s.in, *s.in2, s.ws);
  }
};

/// x (.) d f_c / d x at the input; at an intermediate layer, activation (.) gradient.
struct GradientTimesInput : Gradient {
  static constexpr const char* name = "GradientTimesInput";

  template <class T>
  void readout(const Tensor<T>& grad, ConstView<T> activation, ConstView<T> /*ref*/, Tensor<T>& out) const {
    out.resize(grad.shape());
    out.vec() = grad.vec().cwiseProduct(activation.vec());
  }
};

ATTRIB_END_NAMESPACE
