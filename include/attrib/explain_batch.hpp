#pragma once
// Opt-in parallel explanation of a batch (docs/threading.md): ParallelExplainer (reusable: one
// Explainer per worker over one shared const model, threads owned by the object) and the one-shot
// explain_batch(). Every item is explained as a batch of one; the result is bit-identical to
// Explainer::explain(x.slice(i, 1), targets(i)) item after item, for every thread count.
#include "attrib/core/config.hpp"
#include <algorithm>
#include <exception>
#include <memory>
#include <vector>

#include "attrib/core/parallel.hpp"
#include "attrib/explain.hpp"

ATTRIB_BEGIN_NAMESPACE

/// Explains the items of a batch on `threads` workers: the caller's thread and threads - 1
/// std::threads, started by the constructor and joined by the destructor (they wait, idle,
/// between calls). Items are split into contiguous chunks, one per worker; each worker has its
/// own Explainer, so nothing is allocated per item once every worker has explained one input of
/// the shape. The model is shared read-only and must outlive this object. Not copyable; one
/// ParallelExplainer must not be used by two threads at once.
template <class Model, class Rule>
class ParallelExplainer {
 public:
  using T = typename Model::Scalar;

  ParallelExplainer(const Model& model, Rule rule, ParallelOptions p = {})
      : team_(checked(p.threads)), err_(static_cast<std::size_t>(p.threads)), item_(err_.size()), finite_(err_.size()), last_(err_.size()) {
    ex_.reserve(err_.size());
    for (Index w = 0; w < p.threads; ++w) ex_.push_back(std::make_unique<Explainer<Model, Rule>>(model, rule));
  }
  ParallelExplainer(const ParallelExplainer&) = delete;
  ParallelExplainer& operator=(const ParallelExplainer&) = delete;

  Index threads() const { return team_.size(); }
  /// Worker w's Explainer (e.g. its rule).
  Explainer<Model, Rule>& explainer(Index w) { return *ex_[static_cast<std::size_t>(w)]; }

  /// Explains every item of x ([N, ...]) for targets (one class or one per item). The result
  /// holds attribution [N, ...], output [N, K] and, with opt.keep_layers, every node's read-out
  /// [N, ...]; finite is false if any item's is. opt.seed (custom seed) must be [N, ...] (row i
  /// seeds item i); opt.reference [N, ...] (row i for item i) or [1, ...] (for every item).
  /// opt.conservation is not supported here (use an Explainer). An error of item i is rethrown
  /// in the caller's thread with its class and id and "explain_batch: item i of N: " in front;
  /// the item reported is the first failing one, as in a sequential loop.
  const Explanation<T>& explain(ConstView<T> x, const Targets& targets, const ExplainOptions<T>& opt = {}) {
    const char* who = "explain_batch";
    if (x.rank() < 1 || x.empty() || x.shape().batch() < 1)
      raise<ShapeError>("shape.036", who, ": input has shape ", x.shape(), ", expected a non-empty batch [N, ...] with N >= 1");
    const Index n = x.shape().batch();
    if (targets.classes.size() != 1 && static_cast<Index>(targets.classes.size()) != n)
      raise<ArgumentError>("arg.036", who, ": ", targets.classes.size(), " targets for a batch of ", n, ", expected 1 or ", n);
    if (opt.conservation)
      raise<ParameterError>("param.061", who, ": ExplainOptions::conservation is not supported for a parallel batch; "
                            "explain the items with an Explainer to get the conservation table");
    if (!opt.seed.empty() && (opt.seed.rank() < 1 || opt.seed.shape().batch() != n))
      raise<ShapeError>("shape.037", who, ": custom seed has shape ", opt.seed.shape(), ", expected [", n, ", ...] (one row per item)");
    const ConstView<T> ref = opt.reference;
    if (!ref.empty() && (ref.rank() < 1 || (ref.shape().batch() != n && ref.shape().batch() != 1)))
      raise<ShapeError>("shape.038", who, ": reference input has shape ", ref.shape(), ", expected ", x.shape(), " or ",
                        x.shape().with_batch(1));

    const Index workers = std::min(threads(), n);
    const auto explain_item = [&](Index w, Index i) -> const Explanation<T>& {
      item_[static_cast<std::size_t>(w)] = i;
      ExplainOptions<T> o = opt;
      if (!opt.seed.empty()) o.seed = opt.seed.slice(i, 1);
      if (!ref.empty() && ref.shape().batch() == n) o.reference = ref.slice(i, 1);
      return ex_[static_cast<std::size_t>(w)]->explain(x.slice(i, 1), Targets(targets(i)), o);
    };
    // Phase 1 (warm-up): every worker explains the first item of its chunk.
    auto first = [&](Index w) {
      if (w >= workers) return;
      const Explanation<T>& e = explain_item(w, detail::chunk_of(n, workers, w).first);
      last_[static_cast<std::size_t>(w)] = &e;
      finite_[static_cast<std::size_t>(w)] = e.finite;
    };
    team_.run(first);
    for (Index w = 0; w < team_.size(); ++w) err_[static_cast<std::size_t>(w)] = team_.error(w);
    if (err_[0]) detail::rethrow_for_item(err_[0], who, item_[0], n);  // item 0 failed: the first failing item
    allocate(*last_[0], n, opt.keep_layers);
    // Phase 2: each worker stores its first result and explains the rest of its chunk.
    auto rest = [&](Index w) {
      if (w >= workers || err_[static_cast<std::size_t>(w)]) return;
      const auto [b, e] = detail::chunk_of(n, workers, w);
      store(*last_[static_cast<std::size_t>(w)], b, opt.keep_layers);
      bool fin = finite_[static_cast<std::size_t>(w)];
      for (Index i = b + 1; i < e; ++i) {
        const Explanation<T>& r = explain_item(w, i);
        fin = fin && r.finite;
        store(r, i, opt.keep_layers);
      }
      finite_[static_cast<std::size_t>(w)] = fin;
    };
    team_.run(rest);
    result_.finite = true;
    for (Index w = 0; w < workers; ++w) {
      const std::size_t u = static_cast<std::size_t>(w);
      if (!err_[u]) err_[u] = team_.error(w);
      if (err_[u]) detail::rethrow_for_item(err_[u], who, item_[u], n);
      result_.finite = result_.finite && finite_[u];
    }
    return result_;
  }

 private:
  static Index checked(Index threads) {
    if (!detail::threads_ok(threads))
      raise<ParameterError>("param.060", "ParallelExplainer: threads = ", threads, ", expected 1 to ", max_threads);
    return threads;
  }

  void allocate(const Explanation<T>& e, Index n, bool keep_layers) {
    result_.attribution.resize(e.attribution.shape().with_batch(n));
    result_.output.resize(e.output.shape().with_batch(n));
    result_.layers.resize(keep_layers ? e.layers.size() : 0);
    for (std::size_t l = 0; l < result_.layers.size(); ++l) result_.layers[l].resize(e.layers[l].shape().with_batch(n));
    result_.conservation.clear();
  }

  void store(const Explanation<T>& e, Index i, bool keep_layers) {
    result_.attribution.view().slice(i, 1).vec() = e.attribution.vec();
    result_.output.view().slice(i, 1).vec() = e.output.vec();
    if (keep_layers)
      for (std::size_t l = 0; l < result_.layers.size(); ++l) result_.layers[l].view().slice(i, 1).vec() = e.layers[l].vec();
  }

  detail::WorkerTeam team_;
  std::vector<std::exception_ptr> err_;
  std::vector<Index> item_;
  std::vector<char> finite_;
  std::vector<const Explanation<T>*> last_;  ///< worker w's result of phase 1 (its Explainer's own)
  std::vector<std::unique_ptr<Explainer<Model, Rule>>> ex_;
  Explanation<T> result_;
};

/// One-shot parallel batch: explains every item of x ([N, ...]) on p.threads workers (see
/// ParallelExplainer); bit-identical to explaining the items one by one, for any thread count.
template <class Model, class Rule>
Explanation<typename Model::Scalar> explain_batch(const Model& model, const Rule& rule, ConstView<typename Model::Scalar> x,
                                                  const Targets& targets, ParallelOptions p = {},
                                                  const ExplainOptions<typename Model::Scalar>& opt = {}) {
  ParallelExplainer<Model, Rule> pe(model, rule, p);
  return pe.explain(x, targets, opt);
}

ATTRIB_END_NAMESPACE
