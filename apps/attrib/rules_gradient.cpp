// Gradient-type rules of the attrib program (docs/rules.md, "Gradient-type rules").
#include <attrib/rules/gradient.hpp>
#include <attrib/rules/guided.hpp>
#include <attrib/rules/rectgrad.hpp>

#include "rule_entry.hpp"

namespace attrib::cli {

void add_gradient_rules(std::vector<Method>& v) {
  const auto abs_max = HeatmapReduce::abs_max;
  v.push_back(rule_entry("Gradient", "rule", "the input gradient df_c/dx", abs_max, Conserves::nothing, fixed(Gradient{})));
  v.push_back(rule_entry("GradientTimesInput", "rule", "x * df_c/dx", HeatmapReduce::sum, Conserves::nothing,
                         fixed(GradientTimesInput{})));
  v.push_back(rule_entry("GuidedBackprop", "rule", "Springenberg et al.: positive signals through ReLUs", abs_max,
                         Conserves::nothing, fixed(GuidedBackprop{})));
  v.push_back(rule_entry("Deconvnet", "rule", "Zeiler & Fergus: ReLU applied to the signal", abs_max, Conserves::nothing,
                         fixed(Deconvnet{})));
  v.push_back(rule_entry("RectGrad", "rule", "Kim et al.: gradient gated by the 98th percentile of a*r", abs_max,
                         Conserves::nothing, fixed(RectGrad{})));
}

}  // namespace attrib::cli
