#pragma once
// Composite<Rules...>: per-layer rule assignment. The rule *types* are fixed at compile time;
// which node uses which of them is decided at run time by selectors (position, layer kind,
// name), so that one composite works on builder models and on networks loaded from files.
// The first matching selector wins; unmatched nodes use rule 0.
#include "attrib/core/config.hpp"
#include <cstring>
#include <string>
#include <tuple>
#include <vector>

#include "attrib/rules/rule.hpp"

ATTRIB_BEGIN_NAMESPACE

/// Which nodes a composite entry applies to.
struct Select {
  enum class By { kind, name, name_prefix, index_range, first_of_kinds, last_of_kinds };
  By by = By::kind;
  std::vector<std::string> kinds;
  std::string name;
  Index lo = 0, hi = -1;

  /// Every layer of one of these kinds ("Conv2d", "Dense", ...).
  static Select kind(std::vector<std::string> k) { Select s; s.by = By::kind; s.kinds = std::move(k); return s; }
  /// The layer with exactly this name.
  static Select name_is(std::string n) { Select s; s.by = By::name; s.name = std::move(n); return s; }
  /// Layers whose name starts with this prefix (e.g. "features.", "layer4.").
  static Select name_prefix(std::string n) { Select s; s.by = By::name_prefix; s.name = std::move(n); return s; }
  /// Nodes lo..hi in execution order (inclusive; negative values count from the end: -1 = last).
  static Select range(Index lo, Index hi) { Select s; s.by = By::index_range; s.lo = lo; s.hi = hi; return s; }
  /// The first node (in execution order) whose kind is one of these, e.g. the first linear layer.
  static Select first_of(std::vector<std::string> k) { Select s; s.by = By::first_of_kinds; s.kinds = std::move(k); return s; }
  /// The last node whose kind is one of these, e.g. the output layer.
  static Select last_of(std::vector<std::string> k) { Select s; s.by = By::last_of_kinds; s.kinds = std::move(k); return s; }
};

template <class... Rules>
class Composite {
  static_assert(sizeof...(Rules) > 0, "attrib::Composite needs at least one rule");
  using First = std::tuple_element_t<0, std::tuple<Rules...>>;

 public:
  static constexpr const char* name = "Composite";
  static constexpr Seed seed = rule_seed_v<First>;
  static_assert(((rule_seed_v<Rules> == seed) && ...),
                "attrib::Composite: all rules must seed the output the same way (Seed)");
  static constexpr bool needs_reference = (rule_needs_reference_v<Rules> || ...);
  template <class T>
  using signal = rule_signal_t<First, T>;

  explicit Composite(Rules... rules) : rules_(std::move(rules)...) {}

  /// Nodes matched by `sel` use rule number `rule` (0-based position in Rules...).
  Composite& map(Select sel, std::size_t rule) {
    if (rule >= sizeof...(Rules))
      raise<ParameterError>("param.020", "Composite::map: rule index ", rule, " but the composite has ",
                            sizeof...(Rules), " rules");
    entries_.push_back({std::move(sel), rule});
    return *this;
  }

  /// A copy whose node -> rule table is resolved for `model` (explain() does this for you).
  template <class Model>
  Composite resolved_for(const Model& model) const {
    Composite c = *this;
    const Index n = model.size();
    c.table_.assign(static_cast<std::size_t>(n), 0);
    c.names_.clear();
    for (Index i = 0; i < n; ++i) c.names_.push_back(model.node(i).name);
    for (Index i = 0; i < n; ++i)
      for (const auto& e : entries_)
        if (matches(e.sel, model, i)) {
          c.table_[static_cast<std::size_t>(i)] = static_cast<int>(e.rule);
          break;
        }
    return c;
  }
  /// Rule index used for node i (after resolved_for).
  std::size_t rule_of(Index i) const { return static_cast<std::size_t>(table_.at(static_cast<std::size_t>(i))); }
  template <std::size_t I> const auto& rule() const { return std::get<I>(rules_); }

  std::string display_name() const {
    std::string s = "Composite<";
    std::size_t k = 0;
    ((s += (k++ ? ", " : "") + rule_name(std::get<Rules>(rules_))), ...);
    return s + ">";
  }

  /// Dispatches to the rule mapped to this node; available for a layer type if any rule has it.
  template <class L, class T, class S,
            class = std::enable_if_t<(has_backward_v<Rules, L, T> || ...)>>
  void backward(const L& layer, Step<T, S>& s) const {
    if (table_.empty())
      raise<RuleError>("rule.002", "Composite used without resolved_for(model)");
    dispatch<0>(rule_of(s.node.index), layer, s);
  }

 private:
  struct Entry {
    Select sel;
    std::size_t rule;
  };

  template <std::size_t I, class L, class T, class S>
  void dispatch(std::size_t r, const L& layer, Step<T, S>& s) const {
    if constexpr (I < sizeof...(Rules)) {
      if (r != I) return dispatch<I + 1>(r, layer, s);
      using R = std::tuple_element_t<I, std::tuple<Rules...>>;
      if constexpr (has_backward_v<R, L, T>) std::get<I>(rules_).backward(layer, s);
      else
        raise<RuleError>("rule.001", "rule ", rule_name(std::get<I>(rules_)), " (composite entry ", I,
                         ") has no backward behaviour for ", L::kind, " '", s.node.name, "' (node ",
                         s.node.index, ")");
    }
  }

  static bool has_kind(const std::vector<std::string>& kinds, const char* k) {
    for (const auto& x : kinds)
      if (x == k) return true;
    return false;
  }
  template <class Model>
  static bool matches(const Select& sel, const Model& m, Index i) {
    const NodeInfo& n = m.node(i);
    const Index size = m.size();
    switch (sel.by) {
      case Select::By::kind: return has_kind(sel.kinds, n.kind);
      case Select::By::name: return n.name == sel.name;
      case Select::By::name_prefix: return n.name.compare(0, sel.name.size(), sel.name) == 0;
      case Select::By::index_range: {
        const Index lo = sel.lo < 0 ? size + sel.lo : sel.lo, hi = sel.hi < 0 ? size + sel.hi : sel.hi;
        return i >= lo && i <= hi;
      }
      case Select::By::first_of_kinds:
        for (Index j = 0; j < size; ++j)
          if (has_kind(sel.kinds, m.node(j).kind)) return j == i;
        return false;
      case Select::By::last_of_kinds:
        for (Index j = size - 1; j >= 0; --j)
          if (has_kind(sel.kinds, m.node(j).kind)) return j == i;
        return false;
    }
    return false;
  }

  std::tuple<Rules...> rules_;
  std::vector<Entry> entries_;
  std::vector<int> table_;
  std::vector<std::string> names_;
};

ATTRIB_END_NAMESPACE
