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

 private:
  template <class L, class T, class S, class = std::enable_if_t<L::arity == 1>>
  static auto gradient_step(const L& layer, Step<T, S>& s, int) -> decltype(layer.backward(s.x, s.out, s.in, s.ws)) {
    layer.backward(s.x, s.out, s.in, s.ws);
  }
  template <class L, class T, class S, class = std::enable_if_t<L::arity == 2>>
  static auto gradient_step(const L& layer, Step<T, S>& s, long)
      -> decltype(layer.backward(s.x, s.x, s.out, s.in, s.in, s.ws)) {
    layer.backward(s.x_at(0), s.x_at(1), s.out, s.in_at(0), s.in_at(1), s.ws);
  }
  template <class L, class T, class S, class = std::enable_if_t<L::arity == variadic>>
  static auto gradient_step(const L& layer, Step<T, S>& s, unsigned)
      -> decltype(layer.backward(s.inputs(), 0, s.out, s.in, s.ws)) {
    for (int k = 0; k < s.arity(); ++k) layer.backward(s.inputs(), k, s.out, s.in_at(k), s.ws);
  }

 public:
  /// Any layer: its own gradient backward, whatever its number of inputs (docs/design.md:
  /// the layer interface by arity).
  template <class L, class T, class S>
  auto backward(const L& layer, Step<T, S>& s) const -> decltype(gradient_step(layer, s, 0)) {
    gradient_step(layer, s, 0);
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
