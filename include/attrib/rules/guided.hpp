#pragma once
// Guided Backprop (Springenberg et al. 2015) and Deconvnet (Zeiler & Fergus 2014): the gradient
// at every layer except ReLU (and the other rectifiers, Elementwise::relu_like()), where the
// backward signal r_a at the ReLU output is rectified:
//   Guided Backprop  r_z = 1[z > 0] max(0, r_a)   (forward mask and backward sign)
//   Deconvnet        r_z = max(0, r_a)            (backward sign only)
// with z the ReLU input. No multiplication by the input. These equal Zennit's ReLUGuidedBackprop /
// ReLUDeconvNet and Captum's GuidedBackprop / Deconvolution.
//
// Output seed. `GuidedBackprop` / `Deconvnet` are gradient-type: one-hot x 1 at the target.
// iNNvestigate (the backend of "When Explanations Lie") seeds them with the logit value f_c(x)
// instead; for f_c(x) < 0 that negates the signal before the first ReLU step and changes the map
// (for f_c(x) > 0 it only scales it). That convention is `GuidedBackpropLogitSeed` /
// `DeconvnetLogitSeed`. The seed is a type property, not a runtime field, because the rule
// mechanism reads it at compile time (`static constexpr Seed seed`, docs/design.md); hence the
// template parameter. A custom seed tensor (ExplainOptions::seed) overrides either.
#include "attrib/core/config.hpp"
#include "attrib/layers/elementwise.hpp"
#include "attrib/layers/prelu.hpp"
#include "attrib/layers/relu.hpp"
#include "attrib/rules/gradient.hpp"

ATTRIB_BEGIN_NAMESPACE

namespace detail {
template <Seed S>
constexpr bool is_gradient_or_logit_seed = S == Seed::gradient || S == Seed::relevance;

template <class Signal, class T>
void expect_relu_signal(const Step<T, Signal>& s, const ReLU<T>& layer, const char* rule) {
  if (s.out.shape() != s.y.shape() || s.in.shape() != s.x.shape())
    raise<ShapeError>("shape.500", rule, " at ReLU '", layer.name(), "': output signal ", s.out.shape(),
                      " and input signal ", s.in.shape(), ", expected both ", s.x.shape());
}
}  // namespace detail

/// Guided Backprop; `S` = Seed::gradient (one-hot x 1) or Seed::relevance (one-hot x logit).
template <Seed S = Seed::gradient>
struct GuidedBackpropT : Gradient {
  static_assert(detail::is_gradient_or_logit_seed<S>,
                "attrib::GuidedBackpropT: the seed must be Seed::gradient or Seed::relevance (logit value)");
  static constexpr const char* name = S == Seed::gradient ? "GuidedBackprop" : "GuidedBackpropLogitSeed";
  static constexpr Seed seed = S;

  using Gradient::backward;
  template <class T, class Signal>
  void backward(const ReLU<T>& layer, Step<T, Signal>& s) const {
    detail::expect_relu_signal(s, layer, name);
    s.in.vec() = (s.x.vec().array() > T(0) && s.out.vec().array() > T(0)).select(s.out.vec(), T(0));
  }
  /// Other rectifiers (relu_like(): LeakyReLU, PReLU, ReLU6, Clip(0, hi)): f'(z) max(0, r);
  /// every other element-wise activation: the gradient f'(z) r.
  template <class T, template <class> class Fn, class Signal>
  void backward(const Elementwise<T, Fn>& layer, Step<T, Signal>& s) const {
    if (!layer.relu_like()) return layer.backward(s.x, s.out, s.in, s.ws);
    layer.map([](const auto& f, T z, T r) { return r > T(0) ? f.derivative(z) * r : T(0); }, s.in, s.x, s.out);
  }
  template <class T, class Signal>
  void backward(const PReLU<T>& layer, Step<T, Signal>& s) const { backward(layer.elementwise(), s); }
};

/// Deconvnet; `S` as for GuidedBackpropT.
template <Seed S = Seed::gradient>
struct DeconvnetT : Gradient {
  static_assert(detail::is_gradient_or_logit_seed<S>,
                "attrib::DeconvnetT: the seed must be Seed::gradient or Seed::relevance (logit value)");
  static constexpr const char* name = S == Seed::gradient ? "Deconvnet" : "DeconvnetLogitSeed";
  static constexpr Seed seed = S;

  using Gradient::backward;
  template <class T, class Signal>
  void backward(const ReLU<T>& layer, Step<T, Signal>& s) const {
    detail::expect_relu_signal(s, layer, name);
    s.in.vec() = s.out.vec().cwiseMax(T(0));
  }
  /// Other rectifiers (relu_like()): the unit's rectification applied to the signal, without
  /// the forward mask: max(0, r) + f'(-1) min(0, r) (ReLU6, Clip(0, hi): max(0, r); LeakyReLU:
  /// + slope min(0, r); PReLU: + a_c min(0, r)). Every other element-wise activation: the
  /// gradient f'(z) r.
  template <class T, template <class> class Fn, class Signal>
  void backward(const Elementwise<T, Fn>& layer, Step<T, Signal>& s) const {
    if (!layer.relu_like()) return layer.backward(s.x, s.out, s.in, s.ws);
    layer.map([](const auto& f, T r) { return r > T(0) ? r : f.derivative(T(-1)) * r; }, s.in, s.out);
  }
  template <class T, class Signal>
  void backward(const PReLU<T>& layer, Step<T, Signal>& s) const { backward(layer.elementwise(), s); }
};

using GuidedBackprop = GuidedBackpropT<Seed::gradient>;
using GuidedBackpropLogitSeed = GuidedBackpropT<Seed::relevance>;
using Deconvnet = DeconvnetT<Seed::gradient>;
using DeconvnetLogitSeed = DeconvnetT<Seed::relevance>;

ATTRIB_END_NAMESPACE
