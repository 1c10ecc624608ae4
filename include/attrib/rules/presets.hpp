#pragma once
// Composite presets: the peers' named composites and the "LRP CMP" composites of
// "When Explanations Lie". All map rules by layer kind and position (Core II composites),
// so they work on builder models and on loaded networks alike.
//
// A preset that carries a peer's name computes that peer's numbers with the peer's defaults:
// epsilon_plus, epsilon_plus_flat, epsilon_alpha2_beta1(_flat), epsilon_gamma_box and
// excitation_backprop equal Zennit 0.5.1's composites of the same names (its layer_map_base
// included: the Norm rule, i.e. the z-rule with the stabiliser, at average pools and residual
// sums; max pools winner-take-all). Run canonize() first to fold BatchNorm into its
// convolution, as Zennit's canonizers do (an unfolded BatchNorm2d uses rule 0 here; Zennit
// passes relevance through it). The *_conservative variants keep attrib's earlier, exactly
// conservative rules under their own names: z+ and alpha-beta without bias, Flat without
// stabiliser. docs/rules.md maps every name to Zennit, Captum and iNNvestigate.
#include "attrib/core/config.hpp"
#include "attrib/rules/composite.hpp"
#include "attrib/rules/lrp.hpp"

ATTRIB_BEGIN_NAMESPACE
namespace presets {

/// Zennit's Convolution (Conv1d, Conv2d).
inline Select convs() { return Select::kind<Conv1d, Conv2d>(); }
inline Select denses() { return Select::kind<Dense>(); }
/// Zennit's AvgPool (average pools of every kind), which its composites give the Norm rule.
inline Select avg_pools() { return Select::kind<AvgPool1d, AvgPool2d, AdaptiveAvgPool2d, GlobalAvgPool2d>(); }
/// Residual sums (Zennit's Sum module, inserted by its ResNet canonizer).
inline Select sums() { return Select::role(Role::sum); }
inline Select first_linear() { return Select::first_of(Role::weighted_linear); }
inline Select first_conv() { return Select::first_of<Conv1d, Conv2d>(); }

namespace detail {
/// Zennit's layer_map_base on top of a composite whose rule `norm` is Norm(stabilizer):
/// the z-rule with the stabiliser at average pools and sums.
template <class C>
C with_norm(C c, std::size_t norm) {
  return c.map(avg_pools(), norm).map(sums(), norm);
}
}  // namespace detail

/// Zennit's Norm rule: the z-rule with `stabilizer`, used at average pools and residual sums.
inline LrpEpsilon norm(double stabilizer = 1e-6) { return LrpEpsilon(stabilizer); }

/// Zennit EpsilonPlus: convolutions -> ZPlus (x+ W+ + b+, x- W-; stabiliser), Dense -> epsilon.
inline auto epsilon_plus(double epsilon = 1e-6, double stabilizer = 1e-6) {
  return detail::with_norm(
      Composite(LrpEpsilon(epsilon), LrpZPlus(true, stabilizer), norm(stabilizer)).map(convs(), 1), 2);
}
/// Zennit EpsilonPlusFlat: as EpsilonPlus, the first linear layer -> Flat (stabiliser).
inline auto epsilon_plus_flat(double epsilon = 1e-6, double stabilizer = 1e-6) {
  return detail::with_norm(Composite(LrpEpsilon(epsilon), LrpZPlus(true, stabilizer), norm(stabilizer),
                                     LrpFlat(stabilizer))
                               .map(first_linear(), 3)
                               .map(convs(), 1),
                           2);
}
/// Zennit EpsilonAlpha2Beta1: convolutions -> AlphaBeta(2, 1) with b+ / b-, Dense -> epsilon.
inline auto epsilon_alpha2_beta1(double epsilon = 1e-6, double stabilizer = 1e-6) {
  return detail::with_norm(
      Composite(LrpEpsilon(epsilon), LrpAlphaBeta(2, 1, true, stabilizer), norm(stabilizer)).map(convs(), 1), 2);
}
/// Zennit EpsilonAlpha2Beta1Flat: as EpsilonAlpha2Beta1, the first linear layer -> Flat.
inline auto epsilon_alpha2_beta1_flat(double epsilon = 1e-6, double stabilizer = 1e-6) {
  return detail::with_norm(Composite(LrpEpsilon(epsilon), LrpAlphaBeta(2, 1, true, stabilizer), norm(stabilizer),
                                     LrpFlat(stabilizer))
                               .map(first_linear(), 3)
                               .map(convs(), 1),
                           2);
}
namespace detail {
inline auto epsilon_gamma_box(LrpZBox box, double epsilon, double gamma, double stabilizer) {
  return with_norm(Composite(LrpEpsilon(epsilon), LrpGamma(gamma, true, stabilizer), norm(stabilizer), std::move(box))
                       .map(first_conv(), 3)
                       .map(convs(), 1),
                   2);
}
}  // namespace detail

/// Zennit EpsilonGammaBox: first convolution -> ZBox(low, high), other convolutions ->
/// Gamma(gamma), Dense -> epsilon. Bounds: scalars, per channel [C] or per-sample tensors.
inline auto epsilon_gamma_box(double low, double high, double epsilon = 1e-6, double gamma = 0.25,
                              double stabilizer = 1e-6) {
  return detail::epsilon_gamma_box(LrpZBox(low, high, stabilizer), epsilon, gamma, stabilizer);
}
inline auto epsilon_gamma_box(Tensor<double> low, Tensor<double> high, double epsilon = 1e-6, double gamma = 0.25,
                              double stabilizer = 1e-6) {
  return detail::epsilon_gamma_box(LrpZBox(std::move(low), std::move(high), stabilizer), epsilon, gamma, stabilizer);
}
/// Zennit ExcitationBackprop: ZPlus (with b+, stabiliser) on every Dense and convolution,
/// Norm at average pools and sums. On non-negative inputs without bias this is Zhang et al.'s
/// rule; see excitation_backprop_caffe() for their reference code's exact numbers.
inline auto excitation_backprop(double stabilizer = 1e-6) {
  return detail::with_norm(Composite(LrpZPlus(true, stabilizer), norm(stabilizer)), 1);
}

// --- attrib's conservative variants (the presets' behaviour before they followed Zennit) ---

/// EpsilonPlus with bias-free z+ (conserves relevance through every convolution).
inline auto epsilon_plus_conservative(double epsilon = 1e-6) {
  return Composite(LrpEpsilon(epsilon), LrpZPlus()).map(convs(), 1);
}
/// EpsilonPlusFlat with bias-free z+ and the exact Flat rule (no stabiliser).
inline auto epsilon_plus_flat_conservative(double epsilon = 1e-6) {
  return Composite(LrpEpsilon(epsilon), LrpZPlus(), LrpFlat()).map(first_linear(), 2).map(convs(), 1);
}
/// EpsilonAlpha2Beta1 with bias-free alpha-beta.
inline auto epsilon_alpha2_beta1_conservative(double epsilon = 1e-6) {
  return Composite(LrpEpsilon(epsilon), LrpAlphaBeta(2, 1)).map(convs(), 1);
}
/// EpsilonAlpha2Beta1Flat with bias-free alpha-beta and the exact Flat rule.
inline auto epsilon_alpha2_beta1_flat_conservative(double epsilon = 1e-6) {
  return Composite(LrpEpsilon(epsilon), LrpAlphaBeta(2, 1), LrpFlat()).map(first_linear(), 2).map(convs(), 1);
}
/// Excitation Backprop as Zhang et al.'s Caffe code: x W+ on every linear layer (also on
/// negative inputs), no bias, 0/0 := 0.
inline auto excitation_backprop_caffe() { return Composite(ExcitationBackprop()); }

/// "LRP CMP alpha1beta0" = iNNvestigate LRPSequentialPresetA as run by Sixt et al.: Dense ->
/// epsilon (the paper passes 1e-10; iNNvestigate's default is 0.1), convolutions -> alpha1beta0,
/// biases in the denominators (iNNvestigate's bias=True).
inline auto lrp_cmp_alpha1_beta0(double epsilon = 1e-10) {
  return Composite(LrpEpsilon(epsilon, true), LrpAlphaBeta(1, 0, true)).map(convs(), 1);
}
/// "LRP CMP alpha2beta1" = LRPSequentialPresetB: Dense -> epsilon, convolutions -> alpha2beta1.
inline auto lrp_cmp_alpha2_beta1(double epsilon = 1e-10) {
  return Composite(LrpEpsilon(epsilon, true), LrpAlphaBeta(2, 1, true)).map(convs(), 1);
}
/// Deep Taylor decomposition (Montavon et al. 2017): z+ (bias-free) on every hidden linear
/// layer, the bounded z^B rule on the first linear layer (the pixels).
inline auto deep_taylor(double low, double high) {
  return Composite(LrpZPlus(), LrpZBox(low, high)).map(first_linear(), 1);
}
inline auto deep_taylor(Tensor<double> low, Tensor<double> high) {
  return Composite(LrpZPlus(), LrpZBox(std::move(low), std::move(high))).map(first_linear(), 1);
}

}  // namespace presets
ATTRIB_END_NAMESPACE
