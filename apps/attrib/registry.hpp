#pragma once
// The rule, composite and method names of the attrib program (docs/rules.md, docs/methods.md).
// Each entry instantiates its rule's Explainer and CSC once, in the family's own translation
// unit (rules_gradient.cpp, rules_lrp.cpp, rules_composite.cpp, rules_conservative.cpp,
// rules_deeplift.cpp, methods.cpp); everything else sees only type-erased callables.
#include <attrib/metrics/csc.hpp>
#include <attrib/metrics/ssim.hpp>
#include <attrib/models/network.hpp>

#include <functional>
#include <memory>

#include "cli.hpp"

namespace attrib::cli {

/// What the entries may need besides the model: the input range (z^B bounds) and the images
/// being explained (PatternNet's fitting data, DeepSHAP's / Expected Gradients' background).
struct Context {
  double low = 0, high = 1;
  Tensor<T> images;  ///< [N, ...] all inputs
};

/// attribute(x [1, ...], class) -> attribution of x's shape (valid until the next call).
using Attribute = std::function<const Tensor<T>&(ConstView<T>, Index)>;

/// What the sums of an attribution should equal.
enum class Conserves { nothing, logit, delta };

struct Method {
  std::string name, family, description;
  HeatmapReduce reduce = HeatmapReduce::sum;  ///< sanity-check post-processing (abs.max: gradient type)
  Conserves conserves = Conserves::nothing;
  /// An attribution callable for one network (the original or a randomised copy).
  std::function<Attribute(const Network<T>&, const Context&)> make;
  /// CSC of the rule injected at `layer` (empty for methods: they have no backward pass to inject into).
  std::function<CscResult(const Network<T>&, ConstView<T>, Index, const CscOptions&, const Context&)> csc;
};

const std::vector<Method>& methods();
/// The entry of this name (case-sensitive); ArgumentError cli.030 listing close names otherwise.
const Method& find_method(const std::string& name);
std::string list_methods();

void add_gradient_rules(std::vector<Method>&);
void add_lrp_rules(std::vector<Method>&);
void add_composites(std::vector<Method>&);
void add_conservative_composites(std::vector<Method>&);
void add_deeplift_rules(std::vector<Method>&);
void add_methods(std::vector<Method>&);

/// The entry of a rule (a value or a factory rule(net, ctx)) for the family files.
template <class Make>
Method rule_entry(std::string name, std::string family, std::string description, HeatmapReduce reduce,
                  Conserves conserves, Make make_rule);

}  // namespace attrib::cli
