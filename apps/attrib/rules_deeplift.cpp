// DeepLIFT and PatternNet / PatternAttribution of the attrib program (docs/rules.md,
// docs/patterns.md). Patterns are fitted on the images being explained, for every network
// (the randomised copies of the sanity checks get their own).
#include <attrib/methods/pattern_fit.hpp>
#include <attrib/rules/deeplift.hpp>
#include <attrib/rules/pattern.hpp>

#include <optional>

#include "rule_entry.hpp"

namespace attrib::cli {

namespace {
std::shared_ptr<const Patterns<T>> fit(const Network<T>& net, const Context& c) {
  bool given = false;
  return std::make_shared<const Patterns<T>>(fit_patterns(net, PatternKind::relu, [&]() -> std::optional<ConstView<T>> {
    if (given) return std::nullopt;
    given = true;
    return c.images.cview();
  }));
}
}  // namespace

void add_deeplift_rules(std::vector<Method>& v) {
  const auto sum = HeatmapReduce::sum;
  const auto delta = Conserves::delta;
  v.push_back(rule_entry("DeepLiftRescale", "rule", "DeepLIFT Rescale, zero reference", sum, delta, fixed(DeepLiftRescale())));
  v.push_back(rule_entry("DeepLiftRevealCancel", "rule", "DeepLIFT RevealCancel, zero reference", sum, delta,
                         fixed(DeepLiftRevealCancel())));
  v.push_back(rule_entry("DeepLiftGenomicsDefault", "rule", "RevealCancel after Dense, Rescale elsewhere", sum, delta,
                         fixed(DeepLiftGenomicsDefault())));
  v.push_back(rule_entry("DeepLiftAblation", "rule", "Sixt et al.'s ablation: W+ only", sum, Conserves::nothing,
                         fixed(DeepLiftAblation())));
  v.push_back(rule_entry("PatternNet", "rule", "Kindermans et al. 2018, relu patterns fitted on the inputs", sum,
                         Conserves::nothing, [](const Network<T>& n, const Context& c) { return PatternNet<T>(fit(n, c)); }));
  v.push_back(rule_entry("PatternAttribution", "rule", "A (.) W with relu patterns fitted on the inputs", sum,
                         Conserves::nothing,
                         [](const Network<T>& n, const Context& c) { return PatternAttribution<T>(n, fit(n, c)); }));
}

}  // namespace attrib::cli
