#pragma once
// Composite presets: the peers' named composites and the "LRP CMP" composites of
// "When Explanations Lie". All map rules by layer kind and position (Core II composites),
// so they work on builder models and on loaded networks alike. Layers not named below use
// the preset's rule 0 (for the linear ones: BatchNorm2d, AvgPool2d, AdaptiveAvgPool2d,
// Normalize) — run canonize() first to fold BatchNorm into its convolution, as Zennit does.
#include "attrib/core/config.hpp"
#include "attrib/rules/composite.hpp"
#include "attrib/rules/lrp.hpp"

ATTRIB_BEGIN_NAMESPACE
namespace presets {

inline Select convs() { return Select::kind<Conv2d>(); }
inline Select denses() { return Select::kind<Dense>(); }
inline Select first_linear() { return Select::first_of(Role::weighted_linear); }
inline Select first_conv() { return Select::first_of<Conv2d>(); }

/// Zennit EpsilonPlus: Conv2d -> z+, everything else (Dense, pools, BN) -> epsilon.
inline auto epsilon_plus(double epsilon = 1e-6) {
  return Composite(LrpEpsilon(epsilon), LrpZPlus()).map(convs(), 1);
}
/// Zennit EpsilonPlusFlat: as EpsilonPlus, first linear layer -> flat.
inline auto epsilon_plus_flat(double epsilon = 1e-6) {
  return Composite(LrpEpsilon(epsilon), LrpZPlus(), LrpFlat()).map(first_linear(), 2).map(convs(), 1);
}
/// Zennit EpsilonGammaBox: first Conv2d -> z^B(low, high), other Conv2d -> gamma, else epsilon.
inline auto epsilon_gamma_box(double low, double high, double epsilon = 1e-6, double gamma = 0.25) {
  return Composite(LrpEpsilon(epsilon), LrpGamma(gamma), LrpZBox(low, high)).map(first_conv(), 2).map(convs(), 1);
}
inline auto epsilon_gamma_box(Tensor<double> low, Tensor<double> high, double epsilon = 1e-6, double gamma = 0.25) {
  return Composite(LrpEpsilon(epsilon), LrpGamma(gamma), LrpZBox(std::move(low), std::move(high)))
      .map(first_conv(), 2)
      .map(convs(), 1);
}
/// Zennit EpsilonAlpha2Beta1: Conv2d -> alpha2beta1, else epsilon.
inline auto epsilon_alpha2_beta1(double epsilon = 1e-6) {
  return Composite(LrpEpsilon(epsilon), LrpAlphaBeta(2, 1)).map(convs(), 1);
}
/// Zennit EpsilonAlpha2Beta1Flat: as EpsilonAlpha2Beta1, first linear layer -> flat.
inline auto epsilon_alpha2_beta1_flat(double epsilon = 1e-6) {
  return Composite(LrpEpsilon(epsilon), LrpAlphaBeta(2, 1), LrpFlat()).map(first_linear(), 2).map(convs(), 1);
}
/// Excitation Backprop on every linear layer (Zennit's ExcitationBackprop composite).
inline auto excitation_backprop() { return Composite(ExcitationBackprop()); }

/// "LRP CMP alpha1beta0" = iNNvestigate LRPSequentialPresetA as run by Sixt et al.: Dense ->
/// epsilon (the paper passes 1e-10; iNNvestigate's default is 0.1), Conv2d -> alpha1beta0,
/// biases in the denominators (iNNvestigate's bias=True).
inline auto lrp_cmp_alpha1_beta0(double epsilon = 1e-10) {
  return Composite(LrpEpsilon(epsilon, true), LrpAlphaBeta(1, 0, true)).map(convs(), 1);
}
/// "LRP CMP alpha2beta1" = LRPSequentialPresetB: Dense -> epsilon, Conv2d -> alpha2beta1.
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
