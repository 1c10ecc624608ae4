#pragma once
// The forward trace: a view of the model input and of every node's output. Each view points
// either into storage owned by the trace (filled by attrib::forward) or into an external
// engine's buffer (bind()), in which case attrib computes only the backward pass.
#include "attrib/core/config.hpp"
#include <vector>

#include "attrib/core/span.hpp"
#include "attrib/core/tensor.hpp"
#include "attrib/graph/node.hpp"

ATTRIB_BEGIN_NAMESPACE

template <class T>
class Trace {
 public:
  /// Prepares the trace for a model with n nodes; keeps earlier allocations for reuse.
  void reset(Index n) {
    owned_.resize(static_cast<std::size_t>(n));
    out_.assign(static_cast<std::size_t>(n), ConstView<T>());
  }
  Index size() const { return static_cast<Index>(out_.size()); }

  /// The model input (a view: the caller's tensor must outlive the trace's use).
  void set_input(ConstView<T> x) { input_ = x; }
  ConstView<T> input() const { return input_; }

  /// Output of node i (i == -1: the model input).
  ConstView<T> output(Index i) const {
    if (i < 0) return input_;
    check(i);
    return out_[static_cast<std::size_t>(i)];
  }
  /// k-th input of a node.
  ConstView<T> input_of(const NodeInfo& n, int k = 0) const { return output(n.input(k)); }
  /// All inputs of a node (valid until the next call; for layers with any number of inputs).
  Span<ConstView<T>> inputs_of(const NodeInfo& n) const {
    views_.resize(n.inputs.size());
    for (std::size_t k = 0; k < n.inputs.size(); ++k) views_[k] = output(n.inputs[k]);
    return Span<ConstView<T>>(views_.data(), static_cast<int>(views_.size()));
  }
  /// Shapes of all inputs of a node (valid until the next call).
  Span<Shape> input_shapes_of(const NodeInfo& n) const {
    shapes_.resize(n.inputs.size());
    for (std::size_t k = 0; k < n.inputs.size(); ++k) shapes_[k] = output(n.inputs[k]).shape();
    return Span<Shape>(shapes_.data(), static_cast<int>(shapes_.size()));
  }
  /// The model output (the last node's output).
  ConstView<T> result() const { return out_.empty() ? input_ : out_.back(); }

  /// Owned storage of the given shape for node i's output (reused across calls).
  TensorView<T> prepare(Index i, const Shape& s) {
    check(i);
    auto& t = owned_[static_cast<std::size_t>(i)];
    t.resize(s);
    out_[static_cast<std::size_t>(i)] = t.view();
    return t.view();
  }
  /// Uses an engine's buffer as node i's output (no copy).
  void bind(Index i, ConstView<T> external) {
    check(i);
    out_[static_cast<std::size_t>(i)] = external;
  }
  bool has(Index i) const { return i < 0 ? !input_.empty() : !out_[static_cast<std::size_t>(i)].empty(); }

 private:
  void check(Index i) const {
    if (i < 0 || i >= size())
      raise<ArgumentError>("arg.010", "trace has ", size(), " nodes; node ", i, " requested");
  }
  ConstView<T> input_;
  std::vector<Tensor<T>> owned_;
  std::vector<ConstView<T>> out_;
  mutable std::vector<ConstView<T>> views_;  // scratch of inputs_of (reused: no allocation after warm-up)
  mutable std::vector<Shape> shapes_;
};

ATTRIB_END_NAMESPACE
