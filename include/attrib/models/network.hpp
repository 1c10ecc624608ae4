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

#include "attrib/layers/adaptive_avg_pool2d.hpp"
#include "attrib/layers/avg_pool2d.hpp"
#include "attrib/layers/conv2d.hpp"
#include "attrib/layers/layers.hpp"
#include "attrib/layers/max_pool2d.hpp"
#include "attrib/layers/traits.hpp"
#include "attrib/models/node.hpp"

ATTRIB_BEGIN_NAMESPACE

template <class T>
using AnyLayer = std::variant<Dense<T>, Conv2d<T>, ReLU<T>, MaxPool2d<T>, AvgPool2d<T>,
                              AdaptiveAvgPool2d<T>, GlobalAvgPool2d<T>, Flatten<T>, BatchNorm2d<T>,
                              Normalize<T>, Add<T>, Identity<T>, Dropout<T>>;

template <class T>
class Network {
 public:
  using Scalar = T;
  static constexpr bool is_runtime = true;
  /// Input index meaning "the previous node" (or the model input for the first node).
  static constexpr Index previous = -2;
  /// Input index meaning the model input.
  static constexpr Index model_input = -1;

  /// Appends a layer named `name` whose inputs are earlier nodes (default: the previous node);
  /// returns its node index. Names must be unique.
  template <class L>
  Index add(L layer, std::string name, std::initializer_list<Index> inputs = {previous}) {
    static_assert(std::is_constructible_v<AnyLayer<T>, L>,
                  "attrib::Network::add: this layer type is not one of the runtime layer types "
                  "(AnyLayer<T>); add it to the variant in attrib/models/network.hpp");
    for (const auto& n : nodes_)
      if (n.name == name)
        raise<ParameterError>("param.010", "Network::add: a layer named '", name, "' exists already");
    constexpr int arity = is_binary_layer_v<L> ? 2 : 1;
    if (static_cast<int>(inputs.size()) != arity)
      raise<ParameterError>("param.011", "Network::add: ", L::kind, " '", name, "' takes ", arity,
                            " input(s), ", inputs.size(), " given");
    NodeInfo info;
    info.index = size();
    info.name = name;
    info.kind = L::kind;
    info.arity = arity;
    int k = 0;
    for (Index in : inputs) {
      if (in == previous) in = size() - 1;
      if (in < -1 || in >= size())
        raise<ParameterError>("param.012", "Network::add: ", L::kind, " '", name, "' input ", in,
                              " is not an earlier node (0..", size() - 1, ") or the model input (-1)");
      info.inputs[static_cast<std::size_t>(k++)] = in;
    }
    layer.set_name(name);
    layers_.emplace_back(std::move(layer));
    nodes_.push_back(std::move(info));
    return size() - 1;
  }

  // --- model interface (see docs/design.md) ---
  Index size() const { return static_cast<Index>(nodes_.size()); }
  const NodeInfo& node(Index i) const {
    detail::check_node_index(nodes_, i);
    return nodes_[static_cast<std::size_t>(i)];
  }
  const std::vector<NodeInfo>& nodes() const { return nodes_; }
  Index find(std::string_view name) const { return detail::find_node(nodes_, name); }
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
  std::vector<NodeInfo> nodes_;
};

ATTRIB_END_NAMESPACE
