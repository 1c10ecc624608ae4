// LRP rules of the attrib program, each on every linear layer (docs/rules.md, "LRP family").
#include <attrib/rules/lrp.hpp>

#include "rule_entry.hpp"

namespace attrib::cli {

void add_lrp_rules(std::vector<Method>& v) {
  const auto sum = HeatmapReduce::sum;
  const auto logit = Conserves::logit;
  v.push_back(rule_entry("LrpZ", "rule", "LRP-0 (Bach et al. 2015)", sum, logit, fixed(LrpZ{})));
  v.push_back(rule_entry("LrpEpsilon", "rule", "LRP-epsilon, epsilon = 1e-6", sum, logit, fixed(LrpEpsilon{})));
  v.push_back(rule_entry("LrpZPlus", "rule", "z+ (Montavon et al. 2017), no bias", sum, logit, fixed(LrpZPlus{})));
  v.push_back(rule_entry("LrpAlphaBeta", "rule", "alpha-beta, alpha = 2, beta = 1", sum, logit, fixed(LrpAlphaBeta{})));
  v.push_back(rule_entry("LrpGamma", "rule", "gamma = 0.25 (Montavon et al. 2019)", sum, logit, fixed(LrpGamma{})));
  v.push_back(rule_entry("LrpFlat", "rule", "flat (Lapuschkin et al. 2019)", sum, logit, fixed(LrpFlat{})));
  v.push_back(rule_entry("LrpWSquare", "rule", "w^2 (Montavon et al. 2017)", sum, logit, fixed(LrpWSquare{})));
  v.push_back(rule_entry("LrpZBox", "rule", "z^B with the input range as bounds", sum, logit,
                         [](const Network<T>&, const Context& c) { return LrpZBox(c.low, c.high); }));
  v.push_back(rule_entry("ExcitationBackprop", "rule", "Zhang et al. 2016", sum, logit, fixed(ExcitationBackprop{})));
}

}  // namespace attrib::cli
