// attrib's conservative composites (bias-free, the presets' behaviour before they followed
// Zennit; attrib/rules/presets.hpp, docs/rules.md "Composites").
#include <attrib/rules/presets.hpp>

#include "rule_entry.hpp"

namespace attrib::cli {

void add_conservative_composites(std::vector<Method>& v) {
  const auto sum = HeatmapReduce::sum;
  const auto logit = Conserves::logit;
  v.push_back(rule_entry("epsilon_plus_conservative", "composite", "EpsilonPlus with bias-free z+", sum, logit,
                         fixed(presets::epsilon_plus_conservative())));
  v.push_back(rule_entry("epsilon_plus_flat_conservative", "composite", "EpsilonPlusFlat, bias-free z+, exact flat", sum,
                         logit, fixed(presets::epsilon_plus_flat_conservative())));
  v.push_back(rule_entry("epsilon_alpha2_beta1_conservative", "composite", "EpsilonAlpha2Beta1, bias-free alpha-beta", sum,
                         logit, fixed(presets::epsilon_alpha2_beta1_conservative())));
  v.push_back(rule_entry("epsilon_alpha2_beta1_flat_conservative", "composite",
                         "EpsilonAlpha2Beta1Flat, bias-free alpha-beta, exact flat", sum, logit,
                         fixed(presets::epsilon_alpha2_beta1_flat_conservative())));
  v.push_back(rule_entry("excitation_backprop_caffe", "composite", "Zhang et al.'s Caffe code: x W+ everywhere, no bias",
                         sum, logit, fixed(presets::excitation_backprop_caffe())));
}

}  // namespace attrib::cli
