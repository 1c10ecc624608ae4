// Composites of the attrib program (attrib/rules/presets.hpp, docs/rules.md "Composites").
#include <attrib/rules/presets.hpp>

#include "rule_entry.hpp"

namespace attrib::cli {

void add_composites(std::vector<Method>& v) {
  const auto sum = HeatmapReduce::sum;
  const auto logit = Conserves::logit;
  v.push_back(rule_entry("epsilon_plus", "composite", "Zennit EpsilonPlus: convolutions z+, else epsilon", sum, logit,
                         fixed(presets::epsilon_plus())));
  v.push_back(rule_entry("epsilon_plus_flat", "composite", "EpsilonPlus, first linear layer flat", sum, logit,
                         fixed(presets::epsilon_plus_flat())));
  v.push_back(rule_entry("epsilon_gamma_box", "composite", "Zennit EpsilonGammaBox, bounds = input range", sum, logit,
                         [](const Network<T>&, const Context& c) { return presets::epsilon_gamma_box(c.low, c.high); }));
  v.push_back(rule_entry("epsilon_alpha2_beta1", "composite", "Zennit EpsilonAlpha2Beta1: convolutions alpha2beta1, else epsilon", sum, logit,
                         fixed(presets::epsilon_alpha2_beta1())));
  v.push_back(rule_entry("epsilon_alpha2_beta1_flat", "composite", "as epsilon_alpha2_beta1, first linear layer flat",
                         sum, logit, fixed(presets::epsilon_alpha2_beta1_flat())));
  v.push_back(rule_entry("excitation_backprop", "composite", "Zennit ExcitationBackprop", sum, logit,
                         fixed(presets::excitation_backprop())));
  v.push_back(rule_entry("lrp_cmp_alpha1_beta0", "composite", "LRP CMP a1b0: Dense epsilon, Conv2d alpha1beta0, bias",
                         sum, logit, fixed(presets::lrp_cmp_alpha1_beta0())));
  v.push_back(rule_entry("lrp_cmp_alpha2_beta1", "composite", "LRP CMP a2b1: Dense epsilon, Conv2d alpha2beta1, bias",
                         sum, logit, fixed(presets::lrp_cmp_alpha2_beta1())));
  v.push_back(rule_entry("deep_taylor", "composite", "z+ everywhere, z^B on the first linear layer", sum, logit,
                         [](const Network<T>&, const Context& c) { return presets::deep_taylor(c.low, c.high); }));
}

}  // namespace attrib::cli
