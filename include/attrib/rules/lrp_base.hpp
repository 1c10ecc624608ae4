#pragma once
// The machinery shared by the LRP family.
//
// Every LRP rule on a linear layer (any layer with the transformed-weight primitives: Dense,
// Conv2d, AvgPool2d, AdaptiveAvgPool2d, BatchNorm2d, Normalize) is one formula over "terms" (input tensor, weight transform, bias mode, sign):
//     z     = sum_k  c_k * ( f_k(W) u_k  + bias_k )
//     s     = R_out / stab(z)
//     R_in += scale * sum_k  c_k * u_k (.) f_k(W)^T s        (u_k omitted for flat/w^2 terms)
// written once against the layers' forward_transformed / backward_transformed primitives.
// stab(z) = z + eps * sign(z) with sign(0) = +1; a denominator that is still exactly 0
// (eps = 0) contributes nothing (0/0 := 0), which the conservation report makes visible.
//
// LrpCommon gives every LRP rule the same behaviour on the other layers, by role:
//   activation (ReLU, ...)   relevance passes unchanged
//   MaxPool2d                winner-take-all (default), proportional to the inputs in each window,
//                            or winner-take-all scaled by y / stab(y) (Captum's epsilon rule)
//   sum (residual Add)       split in proportion to the inputs: R_a = a R / stab(a + b)
//   reshape (Flatten, Identity, Dropout, Slice, ChannelShuffle), concat   moved with the values
//   product (Mul)            signal-take-all: all to the signal operand, none to the gate
#include "attrib/core/config.hpp"
#include "attrib/detail/transformed.hpp"
#include "attrib/layers/layers.hpp"
#include "attrib/rules/rule.hpp"

ATTRIB_BEGIN_NAMESPACE

namespace lrp {

/// One term of the LRP formula; `input` empty means "all ones, and no multiplication by the
/// input in the backward step" (flat and w^2 rules).
template <class T, class F>
struct Term {
  ConstView<T> input;
  F f;
  BiasMode bias = BiasMode::none;
  T coef = T(1);
};
template <class T, class F>
Term<T, F> term(ConstView<T> input, F f, BiasMode bias = BiasMode::none, T coef = T(1)) {
  return Term<T, F>{input, f, bias, coef};
}

/// s = r / (z + eps*sign(z)), 0 where the stabilised denominator is exactly 0. In place on z.
template <class T>
void stabilized_divide(ConstView<T> r, TensorView<T> z, double eps) {
  const T e = static_cast<T>(eps);
  for (Index i = 0; i < z.size(); ++i) {
    const T d = z[i] + (z[i] >= T(0) ? e : -e);
    z[i] = d == T(0) ? T(0) : r[i] / d;
  }
}

/// x+ or x- (sign > 0 / < 0) in a scratch tensor of the caller's frame.
template <class T>
ConstView<T> part(ConstView<T> x, int sign, typename Workspace<T>::Frame& f) {
  Tensor<T>& t = f.tensor(x.shape());
  t.resize(x.shape());
  if (sign > 0) t.vec() = x.vec().cwiseMax(T(0));
  else t.vec() = x.vec().cwiseMin(T(0));
  return t.cview();
}

/// Layers the LRP rules treat as linear: linear layers, and layers linear once a factor is
/// detached (LayerNorm with sigma fixed, Ali et al. 2022).
template <class L>
inline constexpr bool is_lrp_linear_v = is_linear_layer_v<L> || has_detached_map_v<L>;

/// Calls body(map) with the linear map LRP propagates through: the layer itself, or for a
/// layer with a detached map (LayerNorm) that map at input x (its scales in a frame of ws that
/// stays open during body).
template <class L, class T, class Body>
void with_linear_map(const L& layer, ConstView<T> x, Workspace<T>& ws, Body&& body) {
  if constexpr (has_detached_map_v<L>) {
    auto f = ws.frame();
    const auto map = layer.detached(x, f);
    body(map);
  } else {
    body(layer);
  }
}

template <class T>
struct nondeduced { using type = T; };
template <class T>
using nondeduced_t = typename nondeduced<T>::type;

/// The formula above. With accumulate = false, r_in is overwritten. Terms whose input is
/// exactly zero (x- after a ReLU, ...) contribute nothing and are skipped.
template <class T, class L, class... Terms>
void redistribute(const L& layer, nondeduced_t<ConstView<T>> x, nondeduced_t<ConstView<T>> r_out,
                  nondeduced_t<TensorView<T>> r_in, Workspace<T>& ws, double eps, nondeduced_t<T> scale,
                  bool accumulate, const Terms&... terms) {
  auto frame = ws.frame();
  Tensor<T>& z = frame.tensor(r_out.shape());
  Tensor<T>& zk = frame.tensor(r_out.shape());
  Tensor<T>& c = frame.tensor(x.shape());
  z.set_zero();
  ConstView<T> ones;
  if (((terms.input.empty()) || ...)) {
    Tensor<T>& o = frame.tensor(x.shape());
    o.fill(T(1));
    ones = o.cview();
  }
  constexpr std::size_t n_terms = sizeof...(Terms);
  bool skip[n_terms];
  ConstView<T> weights[n_terms];
  {
    std::size_t k = 0;
    ((skip[k++] = !terms.input.empty() && terms.input.vec().isZero(0)), ...);
  }
  auto in = [&](const auto& t) { return t.input.empty() ? ones : t.input; };
  std::size_t k = 0;
  auto fwd = [&](const auto& t) {
    const std::size_t i = k++;
    if (skip[i]) return;
    if constexpr (L::role == Role::weighted_linear) {
      const auto& w = layer.weight();
      const T* tw = detail::transformed(t.f, w.data(), w.shape().size(), ws, Slot::weights);
      if (tw != w.data()) {  // keep a copy: Slot::weights is reused by the next term
        Tensor<T>& keep = frame.tensor(w.shape());
        std::copy(tw, tw + w.shape().size(), keep.data());
        tw = keep.data();
      }
      weights[i] = ConstView<T>(tw, w.shape());
      layer.forward_with(weights[i], detail::transformed_bias(t.f, t.bias, layer.bias(), ws), in(t), zk.view(), ws);
    } else {
      layer.forward_transformed(t.f, t.bias, in(t), zk.view(), ws);
    }
    z.vec() += t.coef * zk.vec();
  };
  (fwd(terms), ...);
  stabilized_divide(r_out, z.view(), eps);
  if (!accumulate) r_in.vec().setZero();
  k = 0;
  auto back = [&](const auto& t) {
    const std::size_t i = k++;
    if (skip[i]) return;
    if constexpr (L::role == Role::weighted_linear) layer.backward_with(weights[i], z.cview(), c.view(), ws);
    else layer.backward_transformed(t.f, z.cview(), c.view(), ws);
    if (t.input.empty()) r_in.vec() += (scale * t.coef) * c.vec();
    else r_in.vec() += (scale * t.coef) * t.input.vec().cwiseProduct(c.vec());
  };
  (back(terms), ...);
}

}  // namespace lrp

/// How LRP rules treat max pooling.
enum class MaxPoolRule {
  winner_take_all,  ///< all relevance of a window to its maximum (the gradient's routing; Zennit)
  proportional,     ///< in proportion to the inputs of the window (z-rule over the window)
  epsilon           ///< winner-take-all scaled by y / stab(y), y the window's maximum (Captum's
                    ///< EpsilonRule on max pools, with the rule's eps)
};

/// Behaviour shared by all LRP rules on non-linear and shape-only layers, by role: a new layer
/// of one of these roles gets it without edits here.
struct LrpCommon {
  static constexpr Seed seed = Seed::relevance;
  double eps = 1e-6;  ///< stabiliser of the rule (also used for the residual Add split)
  MaxPoolRule maxpool = MaxPoolRule::winner_take_all;

  // The role overloads below list <T, S, L> and select with a non-type parameter: a rule that
  // derives from LrpCommon declares its own `template <class L, class T, class S, class = ...>
  // backward(const L&, Step<T, S>&)`, and a derived member template with the same parameter
  // types and an equivalent template head hides the base's (the using-declaration would then
  // silently drop e.g. the activation overload).

  /// Elementwise activations: relevance passes unchanged.
  template <class T, class S, class L, std::enable_if_t<L::role == Role::activation, int> = 0>
  void backward(const L&, Step<T, S>& s) const { s.in.vec() = s.out.vec(); }

  /// Reshapes (Flatten, Identity, Dropout, ...): relevance moves with the values.
  template <class T, class S, class L, std::enable_if_t<L::role == Role::reshape, int> = 0>
  void backward(const L& l, Step<T, S>& s) const { l.backward(s.x, s.out, s.in, s.ws); }

  /// Concatenations: each input gets the relevance of its part of the output.
  template <class T, class S, class L, std::enable_if_t<L::role == Role::concat, int> = 0>
  void backward(const L& l, Step<T, S>& s) const {
    for (int k = 0; k < s.arity(); ++k) l.backward(s.inputs(), k, s.out, s.in_at(k), s.ws);
  }

  /// Products (Mul): signal-take-all (Arras et al. 2017). All relevance goes to the signal
  /// operand (summed over its broadcast axes), none to the gate (`Mul::gate()`); RuleError
  /// rule.020 when the gate is not known.
  template <class T, class S, class L, std::enable_if_t<L::role == Role::product, int> = 0>
  void backward(const L& l, Step<T, S>& s) const {
    const int gate = l.gate();
    if (gate != 0 && gate != 1)
      raise<RuleError>("rule.020", "LRP signal-take-all at ", L::kind, " '", s.node.name, "' (operand shapes ",
                       s.x_at(0).shape(), " and ", s.x_at(1).shape(),
                       "): which operand is the gate is not known; call set_gate(0 or 1)");
    const int signal = 1 - gate;
    auto f = s.ws.frame();
    Tensor<T>& ones = f.tensor(s.x_at(gate).shape());
    Tensor<T>& unused = f.tensor(s.x_at(gate).shape());
    ones.fill(T(1));
    // The layer's gradient with the gate replaced by ones: the signal's relevance is R summed
    // over the axes along which the signal was broadcast (R itself when it was not).
    if (signal == 0) l.backward(s.x_at(0), ones.cview(), s.out, s.in_at(0), unused.view(), s.ws);
    else l.backward(ones.cview(), s.x_at(1), s.out, unused.view(), s.in_at(1), s.ws);
    s.in_at(gate).set_zero();
  }

  /// MaxPool1d as MaxPool2d: winner-take-all, proportional over each window, or epsilon.
  template <class T, class S>
  void backward(const MaxPool1d<T>& l, Step<T, S>& s) const {
    if (maxpool == MaxPoolRule::winner_take_all) return l.backward(s.x, s.out, s.in, s.ws);
    if (maxpool == MaxPoolRule::epsilon) return max_pool_epsilon(l, s);
    if (l.dilation() != 1)
      raise<ParameterError>("param.050", "LRP proportional max-pool rule: ", l.kind, " '", l.name(),
                            "' has dilation ", l.dilation(), "; only 1 is supported");
    const AvgPool1d<T> window(l.kernel_size(), Pool1dOptions{}.stride(l.stride()).padding(l.padding())
                                                   .ceil_mode(l.ceil_mode()).count_include_pad(true));
    lrp::redistribute(window, s.x, s.out, s.in, s.ws, eps, T(1), false, lrp::term(s.x, transform::Identity{}));
  }

  template <class T, class S>
  void backward(const MaxPool2d<T>& l, Step<T, S>& s) const {
    if (maxpool == MaxPoolRule::winner_take_all) return l.backward(s.x, s.out, s.in, s.ws);
    if (maxpool == MaxPoolRule::epsilon) return max_pool_epsilon(l, s);
    if (l.dilation_h() != 1 || l.dilation_w() != 1)
      raise<ParameterError>("param.050", "LRP proportional max-pool rule: ", l.kind, " '", l.name(),
                            "' has dilation ", l.dilation_h(), "x", l.dilation_w(), "; only 1 is supported");
    const AvgPool2d<T> window(l.kernel_h(), l.kernel_w(),
                              Pool2dOptions{}.stride(l.stride_h(), l.stride_w()).padding(l.pad_h(), l.pad_w())
                                  .ceil_mode(l.ceil_mode()).count_include_pad(true));
    lrp::redistribute(window, s.x, s.out, s.in, s.ws, eps, T(1), false,
                      lrp::term(s.x, transform::Identity{}));
  }

  /// Sums (residual Add, any number of inputs): R_k = x_k R / stab(sum_k' x_k').
  template <class T, class S, class L, std::enable_if_t<L::role == Role::sum, int> = 0>
  void backward(const L&, Step<T, S>& s) const {
    const T e = static_cast<T>(eps);
    const int n = s.arity();
    for (Index i = 0; i < s.out.size(); ++i) {
      T z = s.x_at(0)[i];
      for (int k = 1; k < n; ++k) z += s.x_at(k)[i];
      const T d = z + (z >= T(0) ? e : -e);
      const T q = d == T(0) ? T(0) : s.out[i] / d;
      for (int k = 0; k < n; ++k) s.in_at(k)[i] = s.x_at(k)[i] * q;
    }
  }

 private:
  /// R_in = x (.) WTA(R / stab(y)): the relevance of each window goes to its maximum, scaled
  /// by y / stab(y) (0/0 := 0 with eps = 0).
  template <class L, class T, class S>
  void max_pool_epsilon(const L& l, Step<T, S>& s) const {
    auto f = s.ws.frame();
    Tensor<T>& q = f.tensor(s.out.shape());
    q.vec() = s.y.vec();
    lrp::stabilized_divide<T>(s.out, q.view(), eps);
    l.backward(s.x, q.cview(), s.in, s.ws);
    s.in.vec() = s.in.vec().cwiseProduct(s.x.vec());
  }
};

ATTRIB_END_NAMESPACE
