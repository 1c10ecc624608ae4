#pragma once
// PatternNet and PatternAttribution (Kindermans et al. 2018) as in iNNvestigate 1.0.8
// (PatternNetReverseKernelLayer), with patterns fitted by attrib/methods/pattern_fit.hpp.
//
//   Dense, Conv2d:   r_in = A^T r_out          (PatternNet: the weights replaced by the pattern A)
//                    r_in = (A (.) W)^T r_out  (PatternAttribution; A (.) W computed once, when
//                                               the rule is built for a model)
//   everything else: the plain gradient (ReLU: 1[z > 0] r, MaxPool2d: the forward switches,
//                    BatchNorm2d / AvgPool2d / Normalize: their linear backward, Flatten: reshape,
//                    Add: copy to both inputs).
// iNNvestigate's kernel layers carry their activation fused; its backward first applies the
// activation's gradient 1[z > 0] and then the pattern layer. In attrib the ReLU is its own node
// just above the Dense/Conv2d node, and the rule takes the plain gradient there, which is the
// same computation. Seed: the logit value f_c(x) (iNNvestigate's head), Seed::relevance. No
// multiplication by the input at the end. iNNvestigate's per-layer "bottleneck projection"
// (every reversed tensor divided by its max |.|) is not applied: it only rescales each sample.
//
// A Dense/Conv2d node reached by the backward pass without a pattern is a RuleError
// [attrib.rule.600] naming the node; a pattern whose shape is not the layer's weight shape a
// ShapeError [attrib.shape.600].
#include "attrib/core/config.hpp"
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "attrib/layers/layers.hpp"
#include "attrib/rules/gradient.hpp"
#include "attrib/rules/rule.hpp"

ATTRIB_BEGIN_NAMESPACE

/// Pattern estimator (iNNvestigate's tools/pattern.py "linear" and "relu" = ReLUPositivePattern).
enum class PatternKind {
  linear,  ///< every sample counts: a = cov(x, y) / (w^T cov(x, y))
  relu     ///< statistics of x over the samples where the unit's ReLU output is > 0
};

inline const char* to_string(PatternKind k) { return k == PatternKind::linear ? "linear" : "relu"; }

/// Fitted patterns by node name: for each Dense/Conv2d node a tensor of its weight's shape,
/// plus the statistics they came from.
template <class T>
struct Patterns {
  struct Entry {
    Tensor<T> pattern;                 ///< shape of the layer's weight
    std::int64_t vectors = 0;          ///< input vectors seen per unit (samples x output positions)
    std::vector<std::int64_t> active;  ///< per unit: vectors with mask 1 (relu) or all (linear)
  };
  PatternKind kind = PatternKind::relu;
  std::int64_t samples = 0;  ///< input samples the fit saw
  std::map<std::string, Entry> nodes;

  bool contains(const std::string& node) const { return nodes.count(node) != 0; }
  /// The pattern of `node`; RuleError rule.600 naming the node (and those that exist) if absent.
  const Tensor<T>& pattern(const std::string& node, const char* kind = "layer") const {
    auto it = nodes.find(node);
    if (it == nodes.end()) {
      std::string list;
      for (const auto& kv : nodes) list += (list.empty() ? "'" : ", '") + kv.first + "'";
      raise<RuleError>("rule.600", "no fitted pattern for ", kind, " '", node,
                       "'; fit patterns on this model (PatternFitter) first; patterns exist for: ",
                       list.empty() ? std::string("none") : list);
    }
    return it->second.pattern;
  }
};

namespace detail {
template <class L>
std::string pattern_who(const L& l) {
  return std::string(L::kind) + " '" + l.name() + "'";
}
template <class T>
void check_pattern_shape(const Tensor<T>& a, const Param<T>& w, const std::string& who) {
  if (a.shape() != w.shape())
    raise<ShapeError>("shape.600", who, ": fitted pattern has shape ", a.shape(), ", expected the weight shape ",
                      w.shape());
}
}  // namespace detail

/// PatternNet: Dense/Conv2d signals go through the fitted patterns instead of the weights.
namespace detail {
template <class L>
[[noreturn]] void no_pattern_through_product(const char* rule, const NodeInfo& node) {
  raise<RuleError>("rule.603", rule, " at ", L::kind, " '", node.name,
                   "': patterns are defined for linear layers followed by ReLU; no pattern backward exists "
                   "through a product of two activations (use an LRP rule, DeepLIFT or a gradient method)");
}
template <class L>
[[noreturn]] void no_pattern_through_normalization(const char* rule, const NodeInfo& node) {
  raise<RuleError>("rule.604", rule, " at ", L::kind, " '", node.name,
                   "': patterns are defined for linear layers followed by ReLU; no pattern backward is defined "
                   "through a normalisation whose scale depends on the input (use an LRP rule, DeepLIFT or a "
                   "gradient method)");
}
}  // namespace detail

template <class T>
struct PatternNet : Gradient {
  static constexpr const char* name = "PatternNet";
  static constexpr Seed seed = Seed::relevance;

  std::shared_ptr<const Patterns<T>> patterns;

  PatternNet() = default;
  explicit PatternNet(std::shared_ptr<const Patterns<T>> p) : patterns(std::move(p)) {
    if (!patterns) raise<ArgumentError>("arg.600", "PatternNet: null patterns");
  }

  using Gradient::backward;
  /// Weighted linear layers (Dense, Conv2d): r_in = A^T r_out.
  template <class L, class S, class = std::enable_if_t<L::role == Role::weighted_linear>>
  void backward(const L& l, Step<T, S>& s) const {
    l.backward_with(lookup(l).cview(), s.out, s.in, s.ws);
  }
  /// Products of two activations (Mul): no pattern backward is defined (RuleError rule.603).
  template <class L, class S, class = std::enable_if_t<L::role == Role::product>, class = void>
  void backward(const L&, Step<T, S>& s) const { detail::no_pattern_through_product<L>(name, s.node); }
  /// Normalisations (LayerNorm): no pattern backward is defined (RuleError rule.604).
  template <class L, class S, class = std::enable_if_t<L::role == Role::normalization>, class = void, class = void>
  void backward(const L&, Step<T, S>& s) const { detail::no_pattern_through_normalization<L>(name, s.node); }

 private:
  template <class L>
  const Tensor<T>& lookup(const L& l) const {
    if (!patterns) raise<RuleError>("rule.601", "PatternNet: no patterns given (default-constructed rule)");
    const Tensor<T>& a = patterns->pattern(l.name(), L::kind);
    detail::check_pattern_shape(a, l.weight(), detail::pattern_who(l));
    return a;
  }
};

/// PatternAttribution: Dense/Conv2d signals go through A (.) W. The products are computed once
/// for a model (the constructor), from the model's weights at that time.
template <class T>
struct PatternAttribution : Gradient {
  static constexpr const char* name = "PatternAttribution";
  static constexpr Seed seed = Seed::relevance;

  std::shared_ptr<const Patterns<T>> patterns;
  std::shared_ptr<const std::map<std::string, Tensor<T>>> products;  ///< A (.) W by node name

  PatternAttribution() = default;
  /// Precomputes A (.) W for every Dense/Conv2d node of `model` that has a pattern (ShapeError
  /// shape.600 if a pattern does not have the weight's shape). Nodes without one raise
  /// RuleError rule.600 when the backward pass reaches them.
  template <class Model>
  PatternAttribution(const Model& model, std::shared_ptr<const Patterns<T>> p) : patterns(std::move(p)) {
    if (!patterns) raise<ArgumentError>("arg.600", "PatternAttribution: null patterns");
    auto prod = std::make_shared<std::map<std::string, Tensor<T>>>();
    for (Index i = 0; i < model.size(); ++i)
      model.visit(i, [&](const auto& layer) {
        using L = std::decay_t<decltype(layer)>;
        if constexpr (L::role == Role::weighted_linear) {
          if (!patterns->contains(layer.name())) return;
          const Tensor<T>& a = patterns->pattern(layer.name());
          detail::check_pattern_shape(a, layer.weight(), detail::pattern_who(layer));
          Tensor<T> aw(a.shape());
          aw.vec() = a.vec().cwiseProduct(layer.weight().view().vec());
          (*prod)[layer.name()] = std::move(aw);
        }
      });
    products = std::move(prod);
  }

  using Gradient::backward;
  /// Weighted linear layers (Dense, Conv2d): r_in = (A (.) W)^T r_out.
  template <class L, class S, class = std::enable_if_t<L::role == Role::weighted_linear>>
  void backward(const L& l, Step<T, S>& s) const {
    l.backward_with(lookup(l).cview(), s.out, s.in, s.ws);
  }
  /// Products of two activations (Mul): no pattern backward is defined (RuleError rule.603).
  template <class L, class S, class = std::enable_if_t<L::role == Role::product>, class = void>
  void backward(const L&, Step<T, S>& s) const { detail::no_pattern_through_product<L>(name, s.node); }
  /// Normalisations (LayerNorm): no pattern backward is defined (RuleError rule.604).
  template <class L, class S, class = std::enable_if_t<L::role == Role::normalization>, class = void, class = void>
  void backward(const L&, Step<T, S>& s) const { detail::no_pattern_through_normalization<L>(name, s.node); }

 private:
  template <class L>
  const Tensor<T>& lookup(const L& l) const {
    if (!patterns || !products)
      raise<RuleError>("rule.601", "PatternAttribution: not built for a model; use PatternAttribution(model, patterns)");
    auto it = products->find(l.name());
    if (it == products->end()) patterns->pattern(l.name(), L::kind);  // throws rule.600 if absent
    if (it == products->end())
      raise<RuleError>("rule.602", "PatternAttribution: ", detail::pattern_who(l),
                       " has a pattern but was not in the model the rule was built for");
    detail::check_pattern_shape(it->second, l.weight(), detail::pattern_who(l));
    return it->second;
  }
};

ATTRIB_END_NAMESPACE
