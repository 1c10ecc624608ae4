#pragma once
// Compile-time models: Sequential<Blocks...> and Residual<Main, Shortcut>. A block is a layer
// or another Sequential/Residual; nodes are flattened in execution order (a residual block:
// main path, shortcut path, then its Add node), so that every layer, also inside residual
// blocks, has an index and a name. Layers without a name get PyTorch-style defaults
// ("3", "3.main.0", "3.shortcut.0", "3.add").
#include "attrib/core/config.hpp"
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include "attrib/layers/add.hpp"
#include "attrib/layers/traits.hpp"
#include "attrib/graph/node.hpp"

ATTRIB_BEGIN_NAMESPACE

namespace detail {
template <class B, class = void>
struct is_block : std::false_type {};
template <class B>
struct is_block<B, std::void_t<decltype(B::is_block)>> : std::bool_constant<B::is_block> {};

template <class B>
constexpr Index node_count() {
  if constexpr (is_block<B>::value) return B::node_count;
  else return 1;
}

inline std::string join(const std::string& prefix, const std::string& name) {
  return prefix.empty() ? name : prefix + "." + name;
}

/// Appends the infos of block b (naming unnamed layers) and returns its output node index.
template <class B>
Index append_block(B& b, std::vector<NodeInfo>& out, Index input, const std::string& default_name) {
  if constexpr (is_block<B>::value) {
    return b.append_nodes(out, input, default_name);
  } else {
    if (b.has_default_name()) b.set_default_name(default_name);
    out.push_back(make_node<B>(static_cast<Index>(out.size()), b.name(), {input}));
    return out.back().index;
  }
}

template <class B, class F>
void visit_block(B& b, Index local, F&& f) {
  if constexpr (is_block<std::remove_const_t<B>>::value) b.visit_local(local, f);
  else f(b);
}
}  // namespace detail

/// The identity shortcut of a residual block (no nodes).
struct IdentityShortcut {
  static constexpr bool is_block = true;
  static constexpr Index node_count = 0;
  Index append_nodes(std::vector<NodeInfo>&, Index input, const std::string&) { return input; }
  template <class F> void visit_local(Index, F&&) const {}
  template <class F> void visit_local(Index, F&&) {}
};

template <class... Blocks>
class Sequential : public detail::NodeTable {
  static_assert(sizeof...(Blocks) > 0, "attrib::Sequential needs at least one layer");

 public:
  using Scalar = typename std::tuple_element_t<sizeof...(Blocks) - 1,
                                               std::tuple<Blocks...>>::Scalar;
  static constexpr bool is_block = true;
  static constexpr bool is_runtime = false;
  static constexpr Index node_count = (detail::node_count<Blocks>() + ...);

  explicit Sequential(Blocks... blocks) : blocks_(std::move(blocks)...) {
    append_nodes(nodes_, -1, "");
  }
  Sequential(const Sequential&) = default;
  Sequential& operator=(const Sequential&) = default;

  // --- model interface (see docs/design.md): size, node, nodes, find from NodeTable ---
  /// Calls f(layer) with node i's layer as its concrete type.
  template <class F> void visit(Index i, F&& f) const {
    detail::check_node_index(nodes_, i);
    visit_local(i, f);
  }
  template <class F> void visit(Index i, F&& f) {
    detail::check_node_index(nodes_, i);
    visit_local(i, f);
  }
  template <std::size_t I> auto& get() { return std::get<I>(blocks_); }
  template <std::size_t I> const auto& get() const { return std::get<I>(blocks_); }

  // --- block interface (used when nested) ---
  Index append_nodes(std::vector<NodeInfo>& out, Index input, const std::string& prefix) {
    return append_each<0>(out, input, prefix);
  }
  template <class F> void visit_local(Index i, F&& f) const { visit_each<0>(*this, i, 0, f); }
  template <class F> void visit_local(Index i, F&& f) { visit_each<0>(*this, i, 0, f); }

 private:
  template <std::size_t I>
  Index append_each(std::vector<NodeInfo>& out, Index input, const std::string& prefix) {
    if constexpr (I == sizeof...(Blocks)) {
      return input;
    } else {
      const Index o = detail::append_block(std::get<I>(blocks_), out, input,
                                           detail::join(prefix, std::to_string(I)));
      return append_each<I + 1>(out, o, prefix);
    }
  }
  template <std::size_t I, class Self, class F>
  static void visit_each(Self& self, Index i, Index offset, F& f) {
    if constexpr (I < sizeof...(Blocks)) {
      using B = std::tuple_element_t<I, std::tuple<Blocks...>>;
      constexpr Index n = detail::node_count<B>();
      if (i < offset + n) detail::visit_block(std::get<I>(self.blocks_), i - offset, f);
      else visit_each<I + 1>(self, i, offset + n, f);
    }
  }

  std::tuple<Blocks...> blocks_;
};

/// Residual block: out = main(x) + shortcut(x), with an identity or projection shortcut.
template <class Main, class Shortcut = IdentityShortcut>
class Residual {
 public:
  using Scalar = typename Main::Scalar;
  static constexpr bool is_block = true;
  static constexpr Index node_count = detail::node_count<Main>() + detail::node_count<Shortcut>() + 1;

  explicit Residual(Main main, Shortcut shortcut = Shortcut{})
      : main_(std::move(main)), shortcut_(std::move(shortcut)) {}

  Main& main() { return main_; }
  Shortcut& shortcut() { return shortcut_; }
  const Main& main() const { return main_; }
  const Shortcut& shortcut() const { return shortcut_; }

  Index append_nodes(std::vector<NodeInfo>& out, Index input, const std::string& prefix) {
    const Index a = detail::append_block(main_, out, input, detail::join(prefix, "main"));
    const Index b = detail::append_block(shortcut_, out, input, detail::join(prefix, "shortcut"));
    if (add_.has_default_name()) add_.set_default_name(detail::join(prefix, "add"));
    out.push_back(detail::make_node<Add<Scalar>>(static_cast<Index>(out.size()), add_.name(), {a, b}));
    return out.back().index;
  }
  template <class F> void visit_local(Index i, F&& f) const { visit_impl(*this, i, f); }
  template <class F> void visit_local(Index i, F&& f) { visit_impl(*this, i, f); }

 private:
  template <class Self, class F>
  static void visit_impl(Self& self, Index i, F& f) {
    constexpr Index nm = detail::node_count<Main>(), ns = detail::node_count<Shortcut>();
    if (i < nm) detail::visit_block(self.main_, i, f);
    else if (i < nm + ns) detail::visit_block(self.shortcut_, i - nm, f);
    else f(self.add_);
  }
  Main main_;
  Shortcut shortcut_;
  Add<Scalar> add_;
};

ATTRIB_END_NAMESPACE
