#pragma once
// Rectified Gradient (Kim et al. 2019, "Why are saliency maps noisy?"): the gradient at every
// layer except ReLU, where with a = ReLU output, z = ReLU input and r_a the signal at the output
//   s   = a (.) r_a                                   importance score of each unit
//   tau = q-th percentile of s over all units of the layer, per batch item (all non-batch axes)
//   r_z = 1[z > 0] 1[s > tau] r_a                     (strict ">")
// The forward mask 1[z > 0] is applied explicitly, as the reference code does by taking the
// gradient through the ReLU after thresholding: it is implied by s > tau when tau >= 0 (a dead
// unit has s = 0), but not when tau < 0 (about q percent of the scores or more are negative).
// RectGradConstant uses a fixed tau (default 0) instead of the percentile; with tau = 0 it equals
// Guided Backprop exactly (a >= 0, so 1[a r > 0] = 1[z > 0] 1[r > 0]).
//
// Options (runtime fields):
//  * percentile q in [0, 100], default 98 (official code RG and "When Explanations Lie" W).
//  * interpolation of the percentile between order statistics (core/percentile.hpp):
//    `nearest` (default) is TensorFlow's tf.contrib.distributions.percentile default, which both
//    reference implementations used, so the default picks the same order statistic as they do; `linear`
//    is numpy's / torch.quantile's default, for comparisons with PyTorch ports. The two masks
//    differ at most in the one order statistic just above floor((n - 1) q/100) (one unit unless
//    scores tie).
//  * multiply_by_input: read the attribution out as x (.) r (what the official RectGrad code
//    returns); default off = the rectified gradient itself, as the paper's experiments (W) use.
// Seed: `RectGrad` is gradient-type (one-hot x 1, as RG); `RectGradLogitSeed` seeds with the
// logit value as W/iNNvestigate do (see rules/guided.hpp for why this is a type parameter).
// Not implemented: RG's "padding trick" (zeroing a 1-pixel border before SAME conv backward),
// which W does not use either.
//
// Scratch: the scores of one batch item live in a workspace frame; no allocation after warm-up.
#include "attrib/core/config.hpp"
#include <algorithm>
#include <cmath>

#include "attrib/core/percentile.hpp"
#include "attrib/layers/relu.hpp"
#include "attrib/rules/gradient.hpp"
#include "attrib/rules/guided.hpp"

ATTRIB_BEGIN_NAMESPACE

namespace detail {
/// The part every RectGrad variant shares: gradient elsewhere, optional x (.) r read-out.
struct RectGradBase : Gradient {
  bool multiply_by_input = false;

  template <class T>
  void readout(const Tensor<T>& r, ConstView<T> activation, ConstView<T> /*ref*/, Tensor<T>& out) const {
    out.resize(r.shape());
    if (multiply_by_input) out.vec() = r.vec().cwiseProduct(activation.vec());
    else out.vec() = r.vec();
  }

 protected:
  /// r_z = 1[z > 0] 1[a r > tau] r on one batch item of d units.
  template <class T>
  static void rectify(const T* z, const T* a, const T* r, T tau, T* out, Index d) {
    for (Index i = 0; i < d; ++i) out[i] = (z[i] > T(0) && a[i] * r[i] > tau) ? r[i] : T(0);
  }
  /// Other rectifiers (relu_like(): LeakyReLU, PReLU, ReLU6, Clip(0, hi)):
  /// r_z = 1[a r > tau] f'(z) r with tau of x's shape (the threshold of each element's sample).
  template <class T, template <class> class Fn, class Signal>
  static void rectify(const Elementwise<T, Fn>& layer, Step<T, Signal>& s, ConstView<T> tau) {
    layer.map([](const auto& f, T z, T a, T r, T t) { return a * r > t ? f.derivative(z) * r : T(0); }, s.in, s.x,
              s.y, s.out, tau);
  }
};
}  // namespace detail

/// RectGrad with a per-sample percentile threshold; `S` = Seed::gradient or Seed::relevance.
template <Seed S = Seed::gradient>
struct RectGradT : detail::RectGradBase {
  static_assert(detail::is_gradient_or_logit_seed<S>,
                "attrib::RectGradT: the seed must be Seed::gradient or Seed::relevance (logit value)");
  static constexpr const char* name = S == Seed::gradient ? "RectGrad" : "RectGradLogitSeed";
  static constexpr Seed seed = S;

  double percentile = 98;
  PercentileInterpolation interpolation = PercentileInterpolation::nearest;

  RectGradT() = default;
  explicit RectGradT(double q, PercentileInterpolation mode = PercentileInterpolation::nearest,
                     bool multiply_by_input_ = false)
      : percentile(q), interpolation(mode) {
    multiply_by_input = multiply_by_input_;
    detail::check_percentile(percentile, name);
  }

  using Gradient::backward;
  template <class T, class Signal>
  void backward(const ReLU<T>& layer, Step<T, Signal>& s) const {
    detail::check_percentile(percentile, name);
    detail::expect_relu_signal(s, layer, name);
    const Index n = s.y.shape().batch(), d = s.y.shape().sample_size();
    if (d == 0) return;
    auto f = s.ws.frame();
    Tensor<T>& scores = f.tensor(Shape{d});
    for (Index b = 0; b < n; ++b) {
      const T *z = s.x.data() + b * d, *a = s.y.data() + b * d, *r = s.out.data() + b * d;
      for (Index i = 0; i < d; ++i) scores[i] = a[i] * r[i];
      const T tau = percentile_inplace(scores.data(), d, percentile, interpolation);
      rectify(z, a, r, tau, s.in.data() + b * d, d);
    }
  }
  /// Other rectifiers (relu_like()) likewise with f'(z); other activations: the gradient.
  template <class T, template <class> class Fn, class Signal>
  void backward(const Elementwise<T, Fn>& layer, Step<T, Signal>& s) const {
    if (!layer.relu_like()) return layer.backward(s.x, s.out, s.in, s.ws);
    detail::check_percentile(percentile, name);
    const Index n = s.y.shape().batch(), d = s.y.shape().sample_size();
    if (d == 0) return;
    auto f = s.ws.frame();
    Tensor<T>& scores = f.tensor(Shape{d});
    Tensor<T>& tau = f.tensor(s.x.shape());
    for (Index b = 0; b < n; ++b) {
      const T *a = s.y.data() + b * d, *r = s.out.data() + b * d;
      for (Index i = 0; i < d; ++i) scores[i] = a[i] * r[i];
      const T t = percentile_inplace(scores.data(), d, percentile, interpolation);
      std::fill(tau.data() + b * d, tau.data() + (b + 1) * d, t);
    }
    rectify(layer, s, tau.cview());
  }
  template <class T, class Signal>
  void backward(const PReLU<T>& layer, Step<T, Signal>& s) const { backward(layer.elementwise(), s); }
};

/// RectGrad with a constant threshold tau (RG's RectifiedGradientConst); tau = 0 is Guided Backprop.
template <Seed S = Seed::gradient>
struct RectGradConstantT : detail::RectGradBase {
  static_assert(detail::is_gradient_or_logit_seed<S>,
                "attrib::RectGradConstantT: the seed must be Seed::gradient or Seed::relevance (logit value)");
  static constexpr const char* name = S == Seed::gradient ? "RectGradConstant" : "RectGradConstantLogitSeed";
  static constexpr Seed seed = S;

  double threshold = 0;

  RectGradConstantT() = default;
  explicit RectGradConstantT(double tau, bool multiply_by_input_ = false) : threshold(tau) {
    multiply_by_input = multiply_by_input_;
    check();
  }

  using Gradient::backward;
  template <class T, class Signal>
  void backward(const ReLU<T>& layer, Step<T, Signal>& s) const {
    check();
    detail::expect_relu_signal(s, layer, name);
    rectify(s.x.data(), s.y.data(), s.out.data(), static_cast<T>(threshold), s.in.data(), s.y.size());
  }
  /// Other rectifiers (relu_like()) with f'(z); other activations: the gradient.
  template <class T, template <class> class Fn, class Signal>
  void backward(const Elementwise<T, Fn>& layer, Step<T, Signal>& s) const {
    if (!layer.relu_like()) return layer.backward(s.x, s.out, s.in, s.ws);
    check();
    auto f = s.ws.frame();
    Tensor<T>& tau = f.tensor(s.x.shape());
    tau.fill(static_cast<T>(threshold));
    rectify(layer, s, tau.cview());
  }
  template <class T, class Signal>
  void backward(const PReLU<T>& layer, Step<T, Signal>& s) const { backward(layer.elementwise(), s); }

 private:
  void check() const {
    if (!std::isfinite(threshold))
      raise<ParameterError>("param.501", name, ": threshold = ", threshold, "; must be finite");
  }
};

using RectGrad = RectGradT<Seed::gradient>;
using RectGradLogitSeed = RectGradT<Seed::relevance>;
using RectGradConstant = RectGradConstantT<Seed::gradient>;
using RectGradConstantLogitSeed = RectGradConstantT<Seed::relevance>;

ATTRIB_END_NAMESPACE
