#pragma once
// The runtime network: a directed acyclic graph of layers stored as a std::variant of the same
// layer templates, in execution (topological) order. Builders and file loaders return it;
// residual blocks appear as their nodes plus an explicit Add node with two inputs, so that
// every layer (also inside residual blocks) has an index and a name.
#include "attrib/core/config.hpp"
#include <initializer_list>
#include <string>
#include <variant>
#include <vector>

#include "attrib/layers/any_layer.hpp"
#include "attrib/layers/traits.hpp"
#include "attrib/graph/node.hpp"

ATTRIB_BEGIN_NAMESPACE

template <class T>
class Network : public detail::NodeTable {
 public:
  using Scalar = T;
  static constexpr bool is_runtime = true;
  /// Input index meaning "the previous node" (or the model input for the first node).
  static constexpr Index previous = -2;
  /// Input index meaning the model input.
  static constexpr Index model_input = -1;

  /// Appends a layer named `name` whose inputs are earlier nodes (default: the previous node);
  /// returns its node index. Names must be unique; the number of inputs must be the layer's
  /// arity (any number >= 1 for variadic layers).
  template <class L>
  Index add(L layer, std::string name, std::initializer_list<Index> inputs = {previous}) {
    return add(std::move(layer), std::move(name), std::vector<Index>(inputs));
  }
  template <class L>
  Index add(L layer, std::string name, std::vector<Index> inputs) {
    static_assert(std::is_constructible_v<AnyLayer<T>, L>,
                  "attrib::Network::add: this layer type is not one of the runtime layer types "
                  "(AnyLayer<T>); add it to the variant in attrib/layers/any_layer.hpp");
    for (const auto& n : nodes_)
      if (n.name == name)
        raise<ParameterError>("param.010", "Network::add: a layer named '", name, "' exists already");
    const bool ok = L::arity == variadic ? !inputs.empty() : static_cast<int>(inputs.size()) == L::arity;
    if (!ok)
      raise<ParameterError>("param.011", "Network::add: ", L::kind, " '", name, "' takes ",
                            L::arity == variadic ? std::string("one or more") : std::to_string(L::arity),
                            " input(s), ", inputs.size(), " given");
    for (Index& in : inputs) {
      if (in == previous) in = size() - 1;
      if (in < -1 || in >= size())
        raise<ParameterError>("param.012", "Network::add: ", L::kind, " '", name, "' input ", in,
                              " is not an earlier node (0..", size() - 1, ") or the model input (-1)");
    }
    layer.set_name(name);
    layers_.emplace_back(std::move(layer));
    nodes_.push_back(detail::make_node<L>(size(), std::move(name), std::move(inputs)));
    return size() - 1;
  }

  // --- model interface (see docs/design.md): size, node, nodes, find from NodeTable ---
  template <class F> void visit(Index i, F&& f) const {
    detail::check_node_index(nodes_, i);
    std::visit(f, layers_[static_cast<std::size_t>(i)]);
  }
  template <class F> void visit(Index i, F&& f) {
    detail::check_node_index(nodes_, i);
    std::visit(f, layers_[static_cast<std::size_t>(i)]);
  }
  /// Node i's layer as type L (ArgumentError naming the actual kind otherwise).
  template <class L> const L& layer(Index i) const { return get_as<L>(*this, i); }
  template <class L> L& layer(Index i) { return get_as<L>(*this, i); }
  template <class L> L& layer(std::string_view name) { return get_as<L>(*this, find(name)); }
  template <class L> const L& layer(std::string_view name) const { return get_as<L>(*this, find(name)); }

 private:
  template <class L, class Self>
  static auto& get_as(Self& self, Index i) {
    detail::check_node_index(self.nodes_, i);
    auto* p = std::get_if<L>(&self.layers_[static_cast<std::size_t>(i)]);
    if (!p)
      raise<ArgumentError>("arg.003", "layer ", i, " '", self.nodes_[std::size_t(i)].name, "' is a ",
                           self.nodes_[std::size_t(i)].kind, ", not a ", L::kind);
    return *p;
  }
  std::vector<AnyLayer<T>> layers_;
};

ATTRIB_END_NAMESPACE
