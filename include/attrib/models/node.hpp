#pragma once
// Node addressing shared by compile-time and runtime models.
#include "attrib/core/config.hpp"
#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "attrib/core/error.hpp"

ATTRIB_BEGIN_NAMESPACE

/// One layer occurrence in a model, in execution order.
struct NodeInfo {
  Index index = 0;                    ///< position in execution order (0-based)
  std::string name;                   ///< e.g. "features.0", "layer1.0.conv1"
  const char* kind = "";              ///< layer kind, e.g. "Conv2d"
  int arity = 1;                      ///< number of inputs (2 for Add)
  std::array<Index, 2> inputs{-1, -1};  ///< producing nodes; -1 = the model input
};

namespace detail {

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

}  // namespace detail
ATTRIB_END_NAMESPACE
