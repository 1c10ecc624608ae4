#pragma once
// The rule mechanism. A rule is a small value type whose per-layer backward behaviour is an
// overload set chosen at compile time:
//
//   struct MyRule {
//     static constexpr const char* name = "MyRule";
//     static constexpr Seed seed = Seed::relevance;      // how the output is seeded
//     template <class T> using signal = Tensor<T>;       // optional: what flows backward
//     template <class T, class S> void backward(const Dense<T>&, Step<T, S>&) const;
//     ...
//   };
//
// Optional members: init_signal(seed tensor -> signal) and readout(signal, activation -> tensor)
// for rules whose signal is not a single tensor (DeepLIFT's multiplier pair) or whose
// attribution is not the signal itself (Gradient x Input); needs_reference for rules that need
// the forward trace of a reference input; resolved_for(model) for composites.
#include "attrib/core/config.hpp"
#include <string>
#include <type_traits>
#include <utility>

#include "attrib/core/tensor.hpp"
#include "attrib/core/workspace.hpp"
#include "attrib/graph/node.hpp"
#include "attrib/graph/trace.hpp"
#include "attrib/layers/traits.hpp"

ATTRIB_BEGIN_NAMESPACE

/// How a target class seeds the backward pass at the model output (docs/design.md).
enum class Seed {
  gradient,    ///< one-hot x 1: gradient-type rules
  relevance,   ///< one-hot x f_c(x): the LRP family (relevance sums to the logit)
  multiplier,  ///< one-hot x 1 on the multipliers: DeepLIFT (contributions sum to f_c(x) - f_c(x0))
};

/// Everything a rule sees when it processes one node. `x` / `in` are the first input and the
/// signal at it (all a single-input layer has); nodes with several inputs (Add, Concat, ...)
/// reach input k with x_at(k) / in_at(k), k < arity().
template <class T, class Signal>
struct Step {
  const NodeInfo& node;
  ConstView<T> x;      ///< the node's first input
  ConstView<T> y;      ///< the node's output
  const Signal& out;   ///< signal at the output
  Signal& in;          ///< signal at the first input, sized like x; the rule writes all of it
  Workspace<T>& ws;
  const Trace<T>* reference = nullptr;  ///< forward trace of the reference input (rules with needs_reference)
  const void* rule_state = nullptr;     ///< the rule's prepared state (rules with a `state` type)
  const ConstView<T>* xs = nullptr;     ///< all inputs (arity() of them; nullptr: just x)
  Signal* const* ins = nullptr;         ///< all input signals (nullptr: just in)

  /// Number of inputs of the node.
  int arity() const { return node.arity; }
  /// The k-th input (k < arity()).
  ConstView<T> x_at(int k) const {
    ATTRIB_ASSERT(k >= 0 && k < arity());
    return xs ? xs[k] : x;
  }
  /// All inputs (for layers with any number of them).
  Span<ConstView<T>> inputs() const { return xs ? Span<ConstView<T>>(xs, arity()) : Span<ConstView<T>>(&x, 1); }
  /// The signal at the k-th input, sized like x_at(k); the rule writes all of it.
  Signal& in_at(int k) const {
    ATTRIB_ASSERT(k >= 0 && k < arity());
    return ins ? *ins[k] : in;
  }

  /// The state the rule's prepare() filled (type-checked by the caller's template argument).
  template <class State>
  const State& state() const {
    if (!rule_state)
      raise<ArgumentError>("arg.021", "node '", node.name, "': this rule's state was not prepared");
    return *static_cast<const State*>(rule_state);
  }

  /// The reference trace's k-th input / output of this node (ArgumentError without one).
  ConstView<T> ref_x(int k = 0) const { return ref().input_of(node, k); }
  ConstView<T> ref_y() const { return ref().output(node.index); }

 private:
  const Trace<T>& ref() const {
    if (!reference)
      raise<ArgumentError>("arg.020", "node '", node.name, "': this rule needs a reference trace");
    return *reference;
  }
};

namespace detail {
template <class R, class T, class = void>
struct rule_signal { using type = Tensor<T>; };
template <class R, class T>
struct rule_signal<R, T, std::void_t<typename R::template signal<T>>> {
  using type = typename R::template signal<T>;
};
template <class R, class = void>
struct rule_seed : std::integral_constant<Seed, Seed::gradient> {};
template <class R>
struct rule_seed<R, std::void_t<decltype(R::seed)>> : std::integral_constant<Seed, R::seed> {};
template <class R, class = void>
struct rule_needs_reference : std::false_type {};
template <class R>
struct rule_needs_reference<R, std::void_t<decltype(R::needs_reference)>>
    : std::bool_constant<R::needs_reference> {};
}  // namespace detail

template <class R, class T>
using rule_signal_t = typename detail::rule_signal<R, T>::type;

/// Per-call state of a rule (R::state<T>, filled by R::prepare before each backward pass).
struct NoRuleState {};
namespace detail {
template <class R, class T, class = void>
struct rule_state { using type = NoRuleState; };
template <class R, class T>
struct rule_state<R, T, std::void_t<typename R::template state<T>>> {
  using type = typename R::template state<T>;
};
}  // namespace detail
template <class R, class T>
using rule_state_t = typename detail::rule_state<R, T>::type;
template <class R>
inline constexpr Seed rule_seed_v = detail::rule_seed<R>::value;
template <class R>
inline constexpr bool rule_needs_reference_v = detail::rule_needs_reference<R>::value;

/// True when rule R has a backward() overload for layer type L.
template <class R, class L, class T, class = void>
struct has_backward : std::false_type {};
template <class R, class L, class T>
struct has_backward<R, L, T,
                    std::void_t<decltype(std::declval<const R&>().backward(
                        std::declval<const L&>(), std::declval<Step<T, rule_signal_t<R, T>>&>()))>>
    : std::true_type {};
template <class R, class L, class T>
inline constexpr bool has_backward_v = has_backward<R, L, T>::value;

namespace detail {
template <class R, class = void>
struct has_display_name : std::false_type {};
template <class R>
struct has_display_name<R, std::void_t<decltype(std::declval<const R&>().display_name())>>
    : std::true_type {};
}  // namespace detail

/// The rule's display name: r.display_name() if it has one, else R::name.
template <class R>
std::string rule_name(const R& r) {
  if constexpr (detail::has_display_name<R>::value) return r.display_name();
  else return R::name;
}

namespace detail {
template <class R, class M, class = void>
struct has_resolved_for : std::false_type {};
template <class R, class M>
struct has_resolved_for<R, M, std::void_t<decltype(std::declval<const R&>().resolved_for(std::declval<const M&>()))>>
    : std::true_type {};
template <class R, class T, class = void>
struct has_init_signal : std::false_type {};
template <class R, class T>
struct has_init_signal<R, T, std::void_t<decltype(std::declval<const R&>().init_signal(
                                 std::declval<ConstView<T>>(), std::declval<rule_signal_t<R, T>&>()))>>
    : std::true_type {};
template <class R, class T, class = void>
struct has_readout : std::false_type {};
template <class R, class T>
struct has_readout<R, T, std::void_t<decltype(std::declval<const R&>().readout(
                             std::declval<const rule_signal_t<R, T>&>(), std::declval<ConstView<T>>(),
                             std::declval<ConstView<T>>(), std::declval<Tensor<T>&>()))>>
    : std::true_type {};
}  // namespace detail

/// Turns a seed tensor (shape of the layer output) into the rule's signal.
template <class R, class T>
void init_signal(const R& rule, ConstView<T> seed, rule_signal_t<R, T>& s) {
  if constexpr (detail::has_init_signal<R, T>::value) {
    rule.init_signal(seed, s);
  } else {
    static_assert(std::is_same_v<rule_signal_t<R, T>, Tensor<T>>,
                  "attrib: a rule whose signal is not Tensor<T> must define "
                  "init_signal(ConstView<T> seed, Signal&) const");
    s.resize(seed.shape());
    s.vec() = seed.vec();
  }
}

namespace detail {
template <class R, class T, class = void>
struct has_node_readout : std::false_type {};
template <class R, class T>
struct has_node_readout<R, T, std::void_t<decltype(std::declval<const R&>().readout(
                                  std::declval<const rule_signal_t<R, T>&>(), std::declval<ConstView<T>>(),
                                  std::declval<ConstView<T>>(), std::declval<Tensor<T>&>(), Index(0)))>>
    : std::true_type {};
}  // namespace detail

/// Reads the attribution out of a signal at a tensor with the given activation (and the
/// reference activation for rules with needs_reference, else empty): the output of node
/// `node`, or the model input for node == -1 (rules whose read-out depends on the node, such as
/// composites, define readout(signal, activation, ref, out, node)).
template <class R, class T>
void readout(const R& rule, const rule_signal_t<R, T>& s, ConstView<T> activation,
             ConstView<T> ref_activation, Tensor<T>& out, Index node = -1) {
  if constexpr (detail::has_node_readout<R, T>::value) {
    rule.readout(s, activation, ref_activation, out, node);
  } else if constexpr (detail::has_readout<R, T>::value) {
    rule.readout(s, activation, ref_activation, out);
  } else {
    static_assert(std::is_same_v<rule_signal_t<R, T>, Tensor<T>>,
                  "attrib: a rule whose signal is not Tensor<T> must define "
                  "readout(const Signal&, ConstView<T> activation, ConstView<T> ref, Tensor<T>& out) const");
    out.resize(s.shape());
    out.vec() = s.vec();
  }
}

ATTRIB_END_NAMESPACE
