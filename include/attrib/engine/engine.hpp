#pragma once
// The two passes every method is built on, written once for any model (compile-time
// Sequential or runtime Network) and any rule:
//   forward(model, x, trace, ws)                    fills the trace node by node;
//   BackwardPass<T, Signal>::run(model, rule, ...)  walks the nodes in reverse, calling the
//   rule's overload for each node's concrete layer type and summing signals at fan-outs.
#include "attrib/core/config.hpp"
#include <vector>

#include "attrib/layers/traits.hpp"
#include "attrib/graph/trace.hpp"
#include "attrib/rules/rule.hpp"

ATTRIB_BEGIN_NAMESPACE

namespace detail {
/// The output shape of node n's layer for the inputs in the trace (any arity).
template <class L, class T>
Shape node_output_shape(const L& layer, const NodeInfo& n, const Trace<T>& trace) {
  if constexpr (L::arity == 1) return layer.output_shape(trace.output(n.input(0)).shape());
  else if constexpr (L::arity == 2)
    return layer.output_shape(trace.output(n.input(0)).shape(), trace.output(n.input(1)).shape());
  else return layer.output_shape(trace.input_shapes_of(n));
}
}  // namespace detail

/// Runs the model on x (batched), storing every node's output in the trace. x is viewed, not
/// copied: it must outlive the trace's use.
template <class Model, class T>
void forward(const Model& model, ConstView<T> x, Trace<T>& trace, Workspace<T>& ws) {
  trace.reset(model.size());
  trace.set_input(x);
  for (Index i = 0; i < model.size(); ++i) {
    const NodeInfo& n = model.node(i);
    model.visit(i, [&](const auto& layer) {
      using L = std::decay_t<decltype(layer)>;
      const TensorView<T> y = trace.prepare(i, detail::node_output_shape(layer, n, trace));
      if constexpr (L::arity == 1) layer.forward(trace.output(n.input(0)), y, ws);
      else if constexpr (L::arity == 2) layer.forward(trace.output(n.input(0)), trace.output(n.input(1)), y, ws);
      else layer.forward(trace.inputs_of(n), y, ws);
    });
  }
}

/// Checks that an externally filled trace is complete and shape-consistent with the model.
template <class Model, class T>
void validate_trace(const Model& model, const Trace<T>& trace) {
  if (trace.size() == 0 && model.size() > 0)
    raise<ShapeError>("shape.031", "trace: empty (", model.size(), " nodes expected); fill it with forward(model, x, "
                      "trace, ws) or bind an engine's buffers (Trace::reset, set_input, bind) first");
  if (trace.size() != model.size())
    raise<ShapeError>("shape.030", "trace has ", trace.size(), " nodes, the model ", model.size());
  if (model.size() == 0)
    raise<ArgumentError>("arg.004", "the model has no layers; add layers before running or explaining it");
  if (trace.input().rank() >= 1 && trace.input().size() == 0)
    raise<ShapeError>("shape.034", "trace: the model input has shape ", trace.input().shape(),
                      ", an empty batch; pass at least one item");
  if (!trace.has(-1)) raise<ShapeError>("shape.031", "trace: the model input is not set");
  for (Index i = 0; i < model.size(); ++i) {
    const NodeInfo& n = model.node(i);
    if (!trace.has(i))
      raise<ShapeError>("shape.031", "trace: output of ", n.kind, " '", n.name, "' (node ", i, ") is not set");
    model.visit(i, [&](const auto& layer) {
      const Shape expected = detail::node_output_shape(layer, n, trace);
      if (trace.output(i).shape() != expected)
        raise<ShapeError>("shape.032", "trace: output of ", n.kind, " '", n.name, "' has shape ",
                          trace.output(i).shape(), ", expected ", expected);
    });
  }
}

namespace detail {
template <class Model, class Rule, class T, class L>
[[noreturn]] void missing_rule(const Rule& rule, const NodeInfo& n) {
  raise<RuleError>("rule.001", "rule ", rule_name(rule), " has no backward behaviour for ", L::kind,
                   " '", n.name, "' (node ", n.index, "); map this layer to another rule with a Composite");
}
}  // namespace detail

/// Per-thread state of backward passes: one signal per node output plus the input signal.
/// Reused across calls, so repeated passes over same-shaped inputs do not allocate.
template <class T, class Signal>
class BackwardPass {
 public:
  /// Signal at node i's output (i == -1: at the model input).
  const Signal& signal(Index i) const { return i < 0 ? input_ : out_[static_cast<std::size_t>(i)]; }
  /// Sum over its inputs of the signal node i passed down in the last run (Tensor signals; 0
  /// for unreached nodes). With the node's output sum it gives the per-layer conservation.
  double input_sum(Index i) const { return in_sum_[static_cast<std::size_t>(i)]; }
  /// Whether node i was reached (is the start node or one of its ancestors).
  bool reached(Index i) const { return i < 0 ? true : active_[static_cast<std::size_t>(i)] != 0; }

  /// Runs the rule backward from node `start`, whose output signal is `seed`, down to the
  /// model input. Nodes that are not ancestors of `start` are skipped (their signal is zero).
  template <class Model, class Rule>
  void run(const Model& model, const Rule& rule, const Trace<T>& trace, Index start,
           const Signal& seed, Workspace<T>& ws, const Trace<T>* reference = nullptr,
           const void* rule_state = nullptr) {
    state_ = rule_state;
    const Index n = model.size();
    detail::check_node_index(model.nodes(), start);
    out_.resize(static_cast<std::size_t>(n));
    active_.assign(static_cast<std::size_t>(n), 0);
    in_sum_.assign(static_cast<std::size_t>(n), 0.0);
    consumers_.assign(static_cast<std::size_t>(n + 1), 0);  // slot 0 = model input
    active_[static_cast<std::size_t>(start)] = 1;
    for (Index i = start; i >= 0; --i) {
      if (!active_[static_cast<std::size_t>(i)]) continue;
      const NodeInfo& info = model.node(i);
      for (const Index p : info.inputs) {
        ++consumers_[static_cast<std::size_t>(p + 1)];
        if (p >= 0) active_[static_cast<std::size_t>(p)] = 1;
      }
    }
    // Fan-out producers accumulate: zero them first. Single-consumer producers are overwritten.
    for (Index p = -1; p < start; ++p)
      if (consumers_[static_cast<std::size_t>(p + 1)] > 1) {
        Signal& s = at(p);
        s.resize(trace.output(p).shape());
        s.set_zero();
      }
    out_[static_cast<std::size_t>(start)] = seed;

    for (Index i = start; i >= 0; --i) {
      if (!active_[static_cast<std::size_t>(i)]) continue;
      const NodeInfo& info = model.node(i);
      model.visit(i, [&](const auto& layer) {
        using L = std::decay_t<decltype(layer)>;
        if constexpr (Model::is_runtime) {
          if constexpr (has_backward_v<Rule, L, T>) step(rule, layer, info, trace, ws, reference);
          else detail::missing_rule<Model, Rule, T, L>(rule, info);
        } else {
          static_assert(has_backward_v<Rule, L, T>,
                        "attrib: this rule has no backward() for this layer type (see Rule and L "
                        "in the instantiation below). Add an overload "
                        "`template <class T, class S> void backward(const Layer<T>&, attrib::Step<T, S>&) const` "
                        "to the rule, or use a Composite that maps this layer to a rule that has one.");
          step(rule, layer, info, trace, ws, reference);
        }
      });
    }
    // Unreached producers of the input (only possible if the start node does not depend on it).
    if (consumers_[0] == 0) {
      input_.resize(trace.input().shape());
      input_.set_zero();
    }
  }

 private:
  Signal& at(Index p) { return p < 0 ? input_ : out_[static_cast<std::size_t>(p)]; }

  template <class Rule, class L>
  void step(const Rule& rule, const L& layer, const NodeInfo& info, const Trace<T>& trace,
            Workspace<T>& ws, const Trace<T>* reference) {
    // Destination of each input's signal: the producer's own signal if this node is its only
    // consumer, else a temporary that is added to the producer's accumulated signal.
    const std::size_t arity = info.inputs.size();
    if (tmp_.size() < arity) tmp_.resize(arity);  // grows to the widest node once
    dst_.resize(arity);
    xs_.resize(arity);
    for (std::size_t k = 0; k < arity; ++k) {
      const Index p = info.inputs[k];
      const bool shared = consumers_[static_cast<std::size_t>(p + 1)] > 1;
      dst_[k] = shared ? &tmp_[k] : &at(p);
      dst_[k]->resize(trace.output(p).shape());
      xs_[k] = trace.output(p);
    }
    Step<T, Signal> s{info, xs_[0], trace.output(info.index), out_[static_cast<std::size_t>(info.index)],
                      *dst_[0], ws, reference, state_, xs_.data(), dst_.data()};
    rule.backward(layer, s);
    ATTRIB_ASSERT(ws.open_frames() == 0 && "attrib: a rule left a workspace frame open");
    if constexpr (std::is_same_v<Signal, Tensor<T>>)
      for (std::size_t k = 0; k < arity; ++k)
        in_sum_[static_cast<std::size_t>(info.index)] += static_cast<double>(dst_[k]->vec().sum());
    for (std::size_t k = 0; k < arity; ++k)
      if (dst_[k] == &tmp_[k]) at(info.inputs[k]).add(*dst_[k]);
  }

  std::vector<Signal> out_;
  Signal input_;
  std::vector<Signal> tmp_;        // per input position: signal of a shared producer
  std::vector<Signal*> dst_;       // where each input's signal of the current node goes
  std::vector<ConstView<T>> xs_;   // the current node's inputs
  std::vector<char> active_;
  std::vector<int> consumers_;
  std::vector<double> in_sum_;
  const void* state_ = nullptr;
};

ATTRIB_END_NAMESPACE
