#pragma once
// rule_entry(): instantiates one rule's Explainer and CSC (include in the family files only).
#include <attrib/explain.hpp>
#include <attrib/metrics/csc.hpp>

#include "registry.hpp"

namespace attrib::cli {

template <class Make>
Method rule_entry(std::string name, std::string family, std::string description, HeatmapReduce reduce,
                  Conserves conserves, Make make_rule) {
  using Rule = std::decay_t<decltype(make_rule(std::declval<const Network<T>&>(), std::declval<const Context&>()))>;
  Method m;
  m.name = std::move(name);
  m.family = std::move(family);
  m.description = std::move(description);
  m.reduce = reduce;
  m.conserves = conserves;
  m.make = [make_rule](const Network<T>& net, const Context& ctx) -> Attribute {
    auto ex = std::make_shared<Explainer<Network<T>, Rule>>(net, make_rule(net, ctx));
    return [ex](ConstView<T> x, Index c) -> const Tensor<T>& { return ex->explain(x, c).attribution; };
  };
  m.csc = [make_rule](const Network<T>& net, ConstView<T> images, Index layer, const CscOptions& o, const Context& ctx) {
    return cosine_similarity_convergence(net, make_rule(net, ctx), images, layer, o);
  };
  return m;
}

/// A rule that needs nothing from the network or the context.
template <class Rule>
auto fixed(Rule r) {
  return [r](const Network<T>&, const Context&) { return r; };
}

}  // namespace attrib::cli
