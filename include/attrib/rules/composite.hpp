#pragma once
// Composite<Rules...>: per-layer rule assignment. The rule *types* are fixed at compile time;
// which node uses which of them is decided at run time by selectors (position, layer kind or
// role, name), so that one composite works on builder models and on networks loaded from files.
// The first matching selector wins; unmatched nodes use rule 0.
//
// A composite is a whole rule: per node it forwards backward(), the read-out (at node i's
// output: node i's rule; at the model input: the rule of node 0) and the rule state (every
// rule with a `state` type is prepared and sees its own state). Its rules must agree on what
// cannot be mixed within one backward pass, or the composite does not compile: the signal
// type and the output seed. It needs a reference trace if any of its rules does.
#include "attrib/core/config.hpp"
#include <string>
#include <tuple>
#include <vector>

#include "attrib/layers/any_layer.hpp"
#include "attrib/rules/rule.hpp"

ATTRIB_BEGIN_NAMESPACE

/// Which nodes a composite entry applies to.
struct Select {
  enum class By { kind, name, name_prefix, index_range, first_of_kinds, last_of_kinds, role, first_of_role, last_of_role };
  By by = By::kind;
  std::vector<std::string> kinds;
  std::string name;
  Index lo = 0, hi = -1;
  Role role_ = Role::weighted_linear;

  /// Every layer of one of these kinds: Select::kind<Conv2d>(), Select::kind<Dense, Conv2d>().
  template <template <class> class... L>
  static Select kind() { return of_kinds(By::kind, {L<float>::kind...}); }
  /// The same by kind strings ("Conv2d", "Dense", ...); ParameterError param.021 listing the
  /// known kinds for a string that is not one (a misspelt kind would otherwise match nothing).
  static Select kind(std::vector<std::string> k) { return of_kinds(By::kind, checked(std::move(k))); }
  /// Every layer with this role (attrib/layers/role.hpp), e.g. Role::weighted_linear.
  static Select role(Role r) { return of_role(By::role, r); }
  /// The layer with exactly this name.
  static Select name_is(std::string n) { Select s; s.by = By::name; s.name = std::move(n); return s; }
  /// Layers whose name starts with this prefix (e.g. "features.", "layer4.").
  static Select name_prefix(std::string n) { Select s; s.by = By::name_prefix; s.name = std::move(n); return s; }
  /// Nodes lo..hi in execution order (inclusive; negative values count from the end: -1 = last).
  static Select range(Index lo, Index hi) { Select s; s.by = By::index_range; s.lo = lo; s.hi = hi; return s; }
  /// The first node (in execution order) of one of these kinds / of this role, e.g. the first
  /// weighted layer: Select::first_of(Role::weighted_linear).
  template <template <class> class... L>
  static Select first_of() { return of_kinds(By::first_of_kinds, {L<float>::kind...}); }
  static Select first_of(std::vector<std::string> k) { return of_kinds(By::first_of_kinds, checked(std::move(k))); }
  static Select first_of(Role r) { return of_role(By::first_of_role, r); }
  /// The last node of one of these kinds / of this role, e.g. the output layer.
  template <template <class> class... L>
  static Select last_of() { return of_kinds(By::last_of_kinds, {L<float>::kind...}); }
  static Select last_of(std::vector<std::string> k) { return of_kinds(By::last_of_kinds, checked(std::move(k))); }
  static Select last_of(Role r) { return of_role(By::last_of_role, r); }

  /// Whether node n (of the m nodes `nodes`) is selected.
  bool matches(const std::vector<NodeInfo>& nodes, Index i) const {
    const NodeInfo& n = nodes[static_cast<std::size_t>(i)];
    const Index size = static_cast<Index>(nodes.size());
    const auto hit = [&](const NodeInfo& x) {
      return by == By::first_of_role || by == By::last_of_role || by == By::role ? x.role == role_ : has_kind(x.kind);
    };
    switch (by) {
      case By::kind:
      case By::role: return hit(n);
      case By::name: return n.name == name;
      case By::name_prefix: return n.name.compare(0, name.size(), name) == 0;
      case By::index_range: {
        const Index l = lo < 0 ? size + lo : lo, h = hi < 0 ? size + hi : hi;
        return i >= l && i <= h;
      }
      case By::first_of_kinds:
      case By::first_of_role:
        for (Index j = 0; j < size; ++j)
          if (hit(nodes[static_cast<std::size_t>(j)])) return j == i;
        return false;
      case By::last_of_kinds:
      case By::last_of_role:
        for (Index j = size - 1; j >= 0; --j)
          if (hit(nodes[static_cast<std::size_t>(j)])) return j == i;
        return false;
    }
    return false;
  }

 private:
  static Select of_kinds(By by, std::vector<std::string> k) { Select s; s.by = by; s.kinds = std::move(k); return s; }
  static Select of_role(By by, Role r) { Select s; s.by = by; s.role_ = r; return s; }
  static std::vector<std::string> checked(std::vector<std::string> k) {
    const auto known = known_layer_kinds();
    for (const auto& x : k) {
      bool found = false;
      for (const auto& y : known) found = found || x == y;
      if (found) continue;
      std::string list;
      for (const auto& y : known) list += (list.empty() ? "" : ", ") + y;
      raise<ParameterError>("param.021", "Select: unknown layer kind '", x, "'; the known kinds are ", list,
                            " (or select a layer type: Select::kind<MyLayer>())");
    }
    return k;
  }
  bool has_kind(const char* k) const {
    for (const auto& x : kinds)
      if (x == k) return true;
    return false;
  }
};

namespace detail {
template <class R, class M, class T, class = void>
struct has_prepare : std::false_type {};
template <class R, class M, class T>
struct has_prepare<R, M, T, std::void_t<decltype(std::declval<const R&>().prepare(
                                std::declval<const M&>(), std::declval<const Trace<T>&>(),
                                std::declval<const Trace<T>*>(), std::declval<rule_state_t<R, T>&>(),
                                std::declval<Workspace<T>&>()))>> : std::true_type {};
}  // namespace detail

template <class... Rules>
class Composite {
  static_assert(sizeof...(Rules) > 0, "attrib::Composite needs at least one rule");
  using First = std::tuple_element_t<0, std::tuple<Rules...>>;
  template <std::size_t I>
  using RuleAt = std::tuple_element_t<I, std::tuple<Rules...>>;
  template <class T>
  static constexpr bool same_signal = (std::is_same_v<rule_signal_t<Rules, T>, rule_signal_t<First, T>> && ...);

 public:
  static constexpr const char* name = "Composite";
  static constexpr Seed seed = rule_seed_v<First>;
  static_assert(((rule_seed_v<Rules> == seed) && ...),
                "attrib::Composite: all rules must seed the output the same way (Seed); a composite "
                "cannot mix e.g. gradient-seeded rules with LRP (relevance-seeded) rules");
  static constexpr bool needs_reference = (rule_needs_reference_v<Rules> || ...);
  template <class T>
  using signal = rule_signal_t<First, T>;
  /// Each rule's own state (NoRuleState for rules without one).
  template <class T>
  using state = std::tuple<rule_state_t<Rules, T>...>;

  explicit Composite(Rules... rules) : rules_(std::move(rules)...) {}

  /// Nodes matched by `sel` use rule number `rule` (0-based position in Rules...).
  Composite& map(Select sel, std::size_t rule) {
    if (rule >= sizeof...(Rules))
      raise<ParameterError>("param.020", "Composite::map: rule index ", rule, " but the composite has ",
                            sizeof...(Rules), " rules");
    entries_.push_back({std::move(sel), rule});
    return *this;
  }

  /// A copy whose node -> rule table is resolved for `model` (explain() does this for you);
  /// rules that are composites themselves are resolved too.
  template <class Model>
  Composite resolved_for(const Model& model) const {
    Composite c = *this;
    const Index n = model.size();
    c.table_.assign(static_cast<std::size_t>(n), 0);
    for (Index i = 0; i < n; ++i)
      for (const auto& e : entries_)
        if (e.sel.matches(model.nodes(), i)) {
          c.table_[static_cast<std::size_t>(i)] = static_cast<int>(e.rule);
          break;
        }
    std::apply([&](auto&... r) { (resolve_rule(r, model), ...); }, c.rules_);
    return c;
  }
  /// Rule index used for node i (after resolved_for).
  std::size_t rule_of(Index i) const { return static_cast<std::size_t>(table_.at(static_cast<std::size_t>(i))); }
  template <std::size_t I> const auto& rule() const { return std::get<I>(rules_); }

  std::string display_name() const {
    std::string s = "Composite<";
    // By position: the same rule type may stand twice (Composite<DeepLift, DeepLift>).
    std::apply([&s](const Rules&... r) {
      std::size_t k = 0;
      ((s += (k++ ? ", " : "") + rule_name(r)), ...);
    }, rules_);
    return s + ">";
  }

  // --- the rule interface, forwarded ---
  template <class T>
  void init_signal(ConstView<T> seed_tensor, signal<T>& s) const {
    static_assert(same_signal<T>, "attrib::Composite: all rules must use the same signal type (e.g. LRP and "
                                  "DeepLIFT rules cannot be mixed: relevance tensor vs multiplier pair)");
    attrib::init_signal(std::get<0>(rules_), seed_tensor, s);
  }
  /// Read-out at node `node`'s output with that node's rule (node -1, the model input: node 0's).
  template <class T>
  void readout(const signal<T>& s, ConstView<T> activation, ConstView<T> ref, Tensor<T>& out, Index node) const {
    const std::size_t r = table_.empty() ? 0 : rule_of(node < 0 ? 0 : node);
    with_rule(r, [&](const auto& rule) { attrib::readout(rule, s, activation, ref, out); });
  }
  template <class Model, class T>
  void prepare(const Model& model, const Trace<T>& tr, const Trace<T>* ref, state<T>& st, Workspace<T>& ws) const {
    prepare_each<0>(model, tr, ref, st, ws);
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

  template <class R, class Model>
  static void resolve_rule(R& r, const Model& m) {
    if constexpr (detail::has_resolved_for<R, Model>::value) r = r.resolved_for(m);
  }

  template <class F, std::size_t I = 0>
  void with_rule(std::size_t r, F&& f) const {
    if constexpr (I < sizeof...(Rules)) {
      if (r == I) return f(std::get<I>(rules_));
      with_rule<F, I + 1>(r, std::forward<F>(f));
    }
  }

  template <std::size_t I, class Model, class T>
  void prepare_each(const Model& model, const Trace<T>& tr, const Trace<T>* ref, state<T>& st, Workspace<T>& ws) const {
    if constexpr (I < sizeof...(Rules)) {
      if constexpr (detail::has_prepare<RuleAt<I>, Model, T>::value)
        std::get<I>(rules_).prepare(model, tr, ref, std::get<I>(st), ws);
      prepare_each<I + 1>(model, tr, ref, st, ws);
    }
  }

  template <std::size_t I, class L, class T, class S>
  void dispatch(std::size_t r, const L& layer, Step<T, S>& s) const {
    if constexpr (I < sizeof...(Rules)) {
      if (r != I) return dispatch<I + 1>(r, layer, s);
      using R = RuleAt<I>;
      if constexpr (has_backward_v<R, L, T>) {
        // The rule sees its own state, not the composite's tuple.
        const void* all = s.rule_state;
        if (all) s.rule_state = &std::get<I>(*static_cast<const state<T>*>(all));
        std::get<I>(rules_).backward(layer, s);
        s.rule_state = all;
      } else {
        raise<RuleError>("rule.001", "rule ", rule_name(std::get<I>(rules_)), " (composite entry ", I,
                         ") has no backward behaviour for ", L::kind, " '", s.node.name, "' (node ",
                         s.node.index, ")");
      }
    }
  }

  std::tuple<Rules...> rules_;
  std::vector<Entry> entries_;
  std::vector<int> table_;
};

ATTRIB_END_NAMESPACE
