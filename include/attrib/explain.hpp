#pragma once
// Entry points: Explainer (reusable, allocation-free after warm-up), explain(), explain_from().
#include "attrib/core/config.hpp"
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "attrib/engine/engine.hpp"

ATTRIB_BEGIN_NAMESPACE

/// A list of class indices that holds one index without allocating (explain(m, r, x, 3) must
/// not allocate per call); a vector-like subset: size, empty, resize, [].
class ClassList {
 public:
  ClassList() = default;
  explicit ClassList(Index c) : one_(c), n_(1) {}
  ClassList(std::vector<Index> v) : n_(v.size()) {  // NOLINT: implicit like Targets
    if (n_ == 1) one_ = v[0];
    else many_ = std::move(v);
  }
  ClassList(std::initializer_list<Index> v) : n_(v.size()) {
    if (n_ == 1) one_ = *v.begin();
    else many_.assign(v.begin(), v.end());
  }
  std::size_t size() const { return n_; }
  bool empty() const { return n_ == 0; }
  Index operator[](std::size_t i) const { return n_ <= 1 ? one_ : many_[i]; }
  Index& operator[](std::size_t i) { return n_ <= 1 ? one_ : many_[i]; }
  /// Keeps the first min(n, size()) entries; the heap storage is reused across calls.
  void resize(std::size_t n) {
    if (n <= 1) {
      if (n == 1 && n_ > 1) one_ = many_[0];
    } else {
      const bool was_inline = n_ <= 1;
      many_.resize(n);
      if (was_inline && n_ == 1) many_[0] = one_;
    }
    n_ = n;
  }

 private:
  Index one_ = 0;
  std::size_t n_ = 0;
  std::vector<Index> many_;
};

/// Target classes: one for the whole batch or one per batch item.
struct Targets {
  ClassList classes;
  Targets(Index c) : classes(c) {}  // NOLINT: implicit on purpose (explain(m, r, x, 3))
  Targets(std::vector<Index> c) : classes(std::move(c)) {}
  Targets(std::initializer_list<Index> c) : classes(c) {}
  Index operator()(Index n) const { return classes.size() == 1 ? classes[0] : classes[static_cast<std::size_t>(n)]; }
};

/// Per-layer relevance bookkeeping (rules with a single-tensor signal): what reached the
/// layer's output, what it passed to its inputs, and the difference it absorbed (bias,
/// stabilisers, dropped zero denominators) or created.
struct LayerConservation {
  Index index;
  std::string_view name;  ///< the model's node name (valid while the model lives)
  const char* kind;
  double out_sum;   ///< sum of the signal at the layer's output (all batch items)
  double in_sum;    ///< sum of what the layer passed to its input(s)
  double absorbed() const { return out_sum - in_sum; }
};

/// Prints the conservation table (one line per reached layer).
inline std::ostream& operator<<(std::ostream& os, const std::vector<LayerConservation>& rows) {
  char buf[256];
  std::snprintf(buf, sizeof buf, "%5s  %-28s %-18s %14s %14s %14s\n", "node", "name", "kind", "sum out", "sum in",
                "absorbed");
  os << buf;
  for (const auto& r : rows) {
    std::snprintf(buf, sizeof buf, "%5ld  %-28s %-18s %14.6e %14.6e %14.6e\n", long(r.index), std::string(r.name).c_str(), r.kind,
                  r.out_sum, r.in_sum, r.absorbed());
    os << buf;
  }
  return os;
}

template <class T>
struct ExplainOptions {
  bool keep_layers = false;  ///< also read out the relevance at every node's output
  bool conservation = false; ///< fill Explanation::conservation (single-tensor signals)
  ConstView<T> seed;         ///< custom seed at the output (overrides the target's one-hot seed)
  ConstView<T> reference;    ///< reference input for rules that need one (default: zeros)
  /// A non-finite model output (at the node where the backward pass starts) or a non-finite
  /// attribution raises ArgumentError (arg.033 / arg.034) unless this is set; then the result
  /// is returned with Explanation::finite == false (docs/errors.md, "Non-finite values").
  bool allow_non_finite = false;
};

template <class T>
struct Explanation {
  Tensor<T> attribution;          ///< shape of the input
  Tensor<T> output;               ///< model output (logits) for x
  std::vector<Tensor<T>> layers;  ///< layers[i]: read-out at node i's output (keep_layers), else empty
  std::vector<LayerConservation> conservation;  ///< reached layers, top to bottom (opt.conservation)
  /// False if the model output or the attribution holds a NaN or Inf (only ever false with
  /// ExplainOptions::allow_non_finite; otherwise that raises).
  bool finite = true;
};

/// Holds everything one thread needs to explain many inputs with one (model, rule): trace,
/// reference trace, backward signals and workspace. The model is shared read-only.
template <class Model, class Rule>
class Explainer {
 public:
  using T = typename Model::Scalar;
  using Signal = rule_signal_t<Rule, T>;

  Explainer(const Model& model, Rule rule) : model_(model), rule_(resolve(model, std::move(rule))) {}
  Explainer(const Explainer&) = delete;
  Explainer& operator=(const Explainer&) = delete;

  const Model& model() const { return model_; }
  const Rule& rule() const { return rule_; }
  /// The explainer's own forward trace; an engine that computed the forward itself binds its
  /// buffers here (Trace::bind) and then calls explain_trace() / explain_from().
  Trace<T>& trace() {
    trace_ = &own_trace_;
    return own_trace_;
  }
  /// Uses a trace owned by the caller (not copied; it must outlive the following calls).
  void use_trace(const Trace<T>& t) { trace_ = &t; }
  const BackwardPass<T, Signal>& pass() const { return pass_; }
  Workspace<T>& workspace() { return ws_; }

  /// Forward + backward for a batch x ([N, ...]) and the target class(es).
  const Explanation<T>& explain(ConstView<T> x, const Targets& targets, const ExplainOptions<T>& opt = {}) {
    if (x.rank() < 1 || x.empty())
      raise<ShapeError>("shape.033", "explain: input has shape ", x.shape(), x.data() ? "" : " and no data",
                        ", expected a non-empty batch [N, ...] with N >= 1",
                        x.rank() >= 1 && x.shape().batch() == 0 ? " (a batch of 0 items has nothing to explain)" : "");
    require_finite(x, "input");
    trace_ = &own_trace_;
    forward(model_, x, own_trace_, ws_);
    return explain_trace(targets, opt);
  }

  /// Backward only, from the current trace (filled by explain(), forward() or an engine).
  const Explanation<T>& explain_trace(const Targets& targets, const ExplainOptions<T>& opt = {}) {
    validate_trace(model_, *trace_);
    const Index last = model_.size() - 1;
    make_seed(trace_->output(last), targets, opt.seed);
    return backward_from(last, seed_, opt);
  }

  /// Starts the backward pass at node `layer` with `signal` at its output (everything above is
  /// ignored). Uses the current trace.
  const Explanation<T>& explain_from(Index layer, ConstView<T> signal, const ExplainOptions<T>& opt = {}) {
    validate_trace(model_, *trace_);
    const NodeInfo& n = model_.node(layer);
    expect_shape(signal, trace_->output(layer).shape(), std::string(n.kind) + " '" + n.name + "'",
                 "injected signal");
    require_finite(signal, "injected signal");
    seed_.resize(signal.shape());
    seed_.vec() = signal.vec();
    return backward_from(layer, seed_, opt);
  }
  const Explanation<T>& explain_from(std::string_view layer, ConstView<T> signal,
                                     const ExplainOptions<T>& opt = {}) {
    return explain_from(model_.find(layer), signal, opt);
  }

 private:
  template <class R>
  static R resolve(const Model& m, R r) {
    if constexpr (detail::has_resolved_for<R, Model>::value) return r.resolved_for(m);
    else return r;
  }

  /// NaN/Inf inputs would silently poison every rule: reject them with the first offending index.
  static void require_finite(ConstView<T> v, const char* what) {
    if (v.empty() || v.vec().allFinite()) return;
    for (Index i = 0; i < v.size(); ++i)
      if (!std::isfinite(static_cast<double>(v[i])))
        raise<ArgumentError>("arg.032", "explain: ", what, " of shape ", v.shape(), " has a non-finite value (",
                             v[i], ") at flat index ", i, " (batch item ", i / std::max<Index>(1, v.shape().sample_size()), ")");
  }

  /// Finite input, non-finite output or attribution: a weight is NaN/Inf or the values overflow.
  std::string non_finite(Index start, ConstView<T> v) const {
    Index i = 0;
    while (i + 1 < v.size() && std::isfinite(static_cast<double>(v[i]))) ++i;
    const NodeInfo& n = model_.node(start);
    return detail::cat(" of shape ", v.shape(), " has a non-finite value (", v[i], ") at flat index ", i,
                       " although the input is finite (backward from ", n.kind, " '", n.name, "', node ", start,
                       ", rule ", rule_name(rule_), "): a weight is NaN or Inf, or the values overflow ",
                       sizeof(T) == 4 ? "float" : "double",
                       "; set ExplainOptions::allow_non_finite to get the result flagged instead");
  }

  void make_seed(ConstView<T> y, const Targets& targets, ConstView<T> custom) {
    seed_.resize(y.shape());
    if (!custom.empty()) {
      expect_shape(custom, y.shape(), "explain", "custom seed");
      require_finite(custom, "custom seed");
      seed_.vec() = custom.vec();
      return;
    }
    if (y.rank() != 2)
      raise<ShapeError>("shape.040", "explain: a target class needs a model output of shape [N, classes], got ",
                        y.shape(), "; pass a custom seed instead");
    const Index n = y.dim(0), k = y.dim(1);
    if (targets.classes.size() != 1 && static_cast<Index>(targets.classes.size()) != n)
      raise<ArgumentError>("arg.030", "explain: ", targets.classes.size(), " targets for a batch of ", n);
    seed_.set_zero();
    for (Index b = 0; b < n; ++b) {
      const Index c = targets(b);
      if (c < 0 || c >= k)
        raise<ArgumentError>("arg.031", "explain: target class ", c, " for batch item ", b,
                             " is out of range; the model has ", k, " outputs (0 to ", k - 1, ")");
      seed_.at(b, c) = rule_seed_v<Rule> == Seed::relevance ? y.at(b, c) : T(1);
    }
  }

  const Explanation<T>& backward_from(Index start, const Tensor<T>& seed, const ExplainOptions<T>& opt) {
    const Trace<T>* ref = nullptr;
    if constexpr (rule_needs_reference_v<Rule>) {
      if (opt.reference.empty()) {
        zeros_.resize(trace_->input().shape());
        zeros_.set_zero();
        forward(model_, zeros_.cview(), ref_trace_, ws_);
      } else if (opt.reference.shape() == trace_->input().shape()) {
        require_finite(opt.reference, "reference input");
        forward(model_, opt.reference, ref_trace_, ws_);
      } else {
        // One reference for the whole batch: tile it.
        const Shape xs = trace_->input().shape();
        if (opt.reference.shape() != xs.with_batch(1))
          raise<ShapeError>("shape.041", "explain: reference input has shape ", opt.reference.shape(), ", expected ",
                            xs, " or ", xs.with_batch(1));
        require_finite(opt.reference, "reference input");
        zeros_.resize(xs);
        for (Index b = 0; b < xs.batch(); ++b)
          zeros_.view().slice(b, 1).vec() = opt.reference.vec();
        forward(model_, zeros_.cview(), ref_trace_, ws_);
      }
      ref = &ref_trace_;
    }
    init_signal(rule_, seed.cview(), signal_seed_);
    const void* state = nullptr;
    if constexpr (!std::is_same_v<rule_state_t<Rule, T>, NoRuleState>) {
      rule_.prepare(model_, *trace_, ref, state_, ws_);
      state = &state_;
    }
    const ConstView<T> top = trace_->output(start);
    const bool top_finite = top.vec().allFinite();
    if (!top_finite && !opt.allow_non_finite) raise<ArgumentError>("arg.033", "explain: the model output", non_finite(start, top));
    pass_.run(model_, rule_, *trace_, start, signal_seed_, ws_, ref, state);

    const auto ref_act = [&](Index i) { return ref ? ref->output(i) : ConstView<T>(); };
    readout(rule_, pass_.signal(-1), trace_->input(), ref_act(-1), result_.attribution, Index(-1));
    result_.finite = top_finite && result_.attribution.vec().allFinite();
    if (!result_.finite && !opt.allow_non_finite)
      raise<ArgumentError>("arg.034", "explain: the attribution", non_finite(start, result_.attribution.cview()));
    const ConstView<T> y = trace_->result();
    result_.output.resize(y.shape());
    result_.output.vec() = y.vec();
    result_.layers.resize(opt.keep_layers ? static_cast<std::size_t>(model_.size()) : 0);
    if (opt.keep_layers)
      for (Index i = 0; i < model_.size(); ++i) {
        auto& dst = result_.layers[static_cast<std::size_t>(i)];
        if (pass_.reached(i) && i <= start) {
          readout(rule_, pass_.signal(i), trace_->output(i), ref_act(i), dst, i);
        } else {
          dst.resize(trace_->output(i).shape());
          dst.set_zero();
        }
      }
    result_.conservation.clear();
    if (opt.conservation) {
      if constexpr (std::is_same_v<Signal, Tensor<T>>)
        for (Index i = start; i >= 0; --i)
          if (pass_.reached(i)) {
            const NodeInfo& n = model_.node(i);
            result_.conservation.push_back({i, n.name, n.kind, double(pass_.signal(i).vec().sum()), pass_.input_sum(i)});
          }
    }
    return result_;
  }

  const Model& model_;
  Rule rule_;
  Trace<T> own_trace_, ref_trace_;
  const Trace<T>* trace_ = &own_trace_;
  Tensor<T> zeros_, seed_;
  Signal signal_seed_;
  rule_state_t<Rule, T> state_;
  BackwardPass<T, Signal> pass_;
  Workspace<T> ws_;
  Explanation<T> result_;
};

/// One-shot: explains x ([N, ...]) for the target class(es) with the rule.
template <class Model, class Rule>
Explanation<typename Model::Scalar> explain(const Model& model, const Rule& rule,
                                            ConstView<typename Model::Scalar> x, const Targets& targets,
                                            const ExplainOptions<typename Model::Scalar>& opt = {}) {
  Explainer<Model, Rule> e(model, rule);
  return e.explain(x, targets, opt);
}

/// One-shot injection: backward from `layer` with `signal` at its output, on a filled trace.
template <class Model, class Rule, class LayerRef>
Explanation<typename Model::Scalar> explain_from(const Model& model, const Rule& rule,
                                                 const Trace<typename Model::Scalar>& trace, LayerRef layer,
                                                 ConstView<typename Model::Scalar> signal,
                                                 const ExplainOptions<typename Model::Scalar>& opt = {}) {
  Explainer<Model, Rule> e(model, rule);
  e.use_trace(trace);
  return e.explain_from(layer, signal, opt);
}

ATTRIB_END_NAMESPACE
