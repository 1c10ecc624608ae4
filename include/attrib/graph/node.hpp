#pragma once
// Node addressing shared by compile-time and runtime models: one NodeInfo per layer occurrence,
// and the node table (size / node / nodes / find) both model kinds expose.
#include "attrib/core/config.hpp"
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "attrib/core/error.hpp"
#include "attrib/layers/role.hpp"

ATTRIB_BEGIN_NAMESPACE

/// One layer occurrence in a model, in execution order.
struct NodeInfo {
  Index index = 0;              ///< position in execution order (0-based)
  std::string name;             ///< e.g. "features.0", "layer1.0.conv1"
  const char* kind = "";        ///< layer kind, e.g. "Conv2d" (the layer's L::kind)
  Role role = Role::reshape;    ///< what the layer is (the layer's L::role)
  int arity = 1;                ///< number of inputs (== inputs.size())
  std::vector<Index> inputs;    ///< producing nodes in input order; -1 = the model input

  /// The k-th input's producer (-1: the model input).
  Index input(int k = 0) const { return inputs[static_cast<std::size_t>(k)]; }
};

namespace detail {

template <class L, class = void>
struct declares_role : std::false_type {};
template <class L>
struct declares_role<L, std::void_t<decltype(L::role), decltype(L::arity)>> : std::true_type {};

/// The NodeInfo of layer type L at `index` with these producers (kind, role, arity from L).
template <class L>
NodeInfo make_node(Index index, std::string name, std::vector<Index> inputs) {
  static_assert(declares_role<L>::value,
                "attrib: a layer must declare `static constexpr Role role = Role::...;` and "
                "`static constexpr int arity = 1;` (see attrib/layers/role.hpp)");
  NodeInfo n;
  n.index = index;
  n.name = std::move(name);
  n.kind = L::kind;
  n.role = L::role;
  n.arity = static_cast<int>(inputs.size());
  n.inputs = std::move(inputs);
  return n;
}

/// Finds a node by name; the error lists a few names that do exist.
inline Index find_node(const std::vector<NodeInfo>& nodes, std::string_view name) {
  for (const auto& n : nodes)
    if (n.name == name) return n.index;
  std::string some;
  for (std::size_t i = 0; i < nodes.size() && i < 12; ++i) some += (i ? ", " : "") + nodes[i].name;
  if (nodes.size() > 12) some += ", ...";
  raise<ArgumentError>("arg.001", "no layer named '", name, "' in the model (", nodes.size(),
                       " layers: ", some, ")");
}

inline void check_node_index(const std::vector<NodeInfo>& nodes, Index i) {
  if (nodes.empty())
    raise<ArgumentError>("arg.004", "the model has no layers (layer index ", i,
                         " requested); add layers before running or explaining it");
  if (i < 0 || i >= static_cast<Index>(nodes.size()))
    raise<ArgumentError>("arg.002", "layer index ", i, " out of range; the model has ",
                         nodes.size(), " layers (0 to ", Index(nodes.size()) - 1, ")");
}

/// The node-table half of the model interface (docs/design.md), shared by Sequential and
/// Network; the model adds visit().
class NodeTable {
 public:
  Index size() const { return static_cast<Index>(nodes_.size()); }
  const NodeInfo& node(Index i) const {
    check_node_index(nodes_, i);
    return nodes_[static_cast<std::size_t>(i)];
  }
  const std::vector<NodeInfo>& nodes() const { return nodes_; }
  Index find(std::string_view name) const { return find_node(nodes_, name); }

 protected:
  std::vector<NodeInfo> nodes_;
};

}  // namespace detail
ATTRIB_END_NAMESPACE
