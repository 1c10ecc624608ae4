#pragma once
// Shared pieces of the model-agnostic attribution methods (docs/methods.md):
//  - the two model concepts the methods accept:
//      a function      f(ConstView<T> batch) -> Tensor<T>               outputs [N, K]
//      an attributor   a(ConstView<T> batch, const Targets&) -> Tensor<T>  shape of batch
//    (a gradient for gradient methods; any rule's attribution for SmoothGrad / IG "over a rule"),
//  - adaptors that turn a model (Network, Sequential) into either: model_function(model),
//    rule_attributor(model, rule) (an Explainer kept across calls: no allocation after warm-up),
//  - batching options (batch size, progress callback) and small helpers.
#include "attrib/core/config.hpp"
#include <algorithm>
#include <cmath>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "attrib/core/error.hpp"
#include "attrib/core/parallel.hpp"
#include "attrib/core/tensor.hpp"
#include "attrib/core/workspace.hpp"
#include "attrib/explain.hpp"
#include "attrib/engine/engine.hpp"
#include "attrib/rules/gradient.hpp"

ATTRIB_BEGIN_NAMESPACE

/// Progress of a long job: (model rows evaluated so far, total rows).
using Progress = std::function<void(Index done, Index total)>;

/// Upper limit of every count option of the methods (samples, steps, pairs): 2^20. Larger
/// values are refused with a ParameterError instead of ending in std::bad_alloc.
inline constexpr Index max_method_count = Index(1) << 20;

/// Batching shared by every method: at most `batch_size` rows per model call.
struct BatchOptions {
  Index batch_size = 64;
  Progress progress;
  /// Threads for the attribution rows of SmoothGrad, Integrated Gradients and Expected
  /// Gradients when they are given one of our models (one Explainer per thread; 1 to
  /// max_threads). 1, the default, starts no thread. The chunks of batch_size rows are the same
  /// for every thread count, so the result is bit-identical to threads = 1; the progress
  /// callback is called from the caller's thread. A callable attributor needs threads = 1.
  Index threads = 1;
};

/// A model (Network / Sequential ...) as a function f(batch) -> outputs; owns its trace and
/// workspace (reused across calls). The model must outlive it.
template <class Model>
class ModelFunction {
 public:
  using T = typename Model::Scalar;
  explicit ModelFunction(const Model& m) : model_(&m) {}
  Tensor<T> operator()(ConstView<T> batch) {
    forward(*model_, batch, trace_, ws_);
    const ConstView<T> y = trace_.result();
    if (!y.vec().allFinite()) {  // the methods check their inputs: a weight is NaN/Inf or values overflow
      Index i = 0;
      while (i + 1 < y.size() && std::isfinite(static_cast<double>(y[i]))) ++i;
      raise<ArgumentError>("arg.704", "model_function: the model output of shape ", y.shape(),
                           " has a non-finite value (", y[i], ") at flat index ", i, " for a batch of shape ",
                           batch.shape(), ": a weight is NaN or Inf, or the values overflow");
    }
    return Tensor<T>::copy_of(y);
  }

 private:
  const Model* model_;
  Trace<T> trace_;
  Workspace<T> ws_;
};
template <class Model>
ModelFunction<Model> model_function(const Model& m) { return ModelFunction<Model>(m); }

/// A model and a rule as an attributor a(batch, targets) -> attribution (an Explainer kept
/// across calls). With the default Gradient rule this is the input gradient d f_c / d x.
template <class Model, class Rule = Gradient>
class RuleAttributor {
 public:
  using T = typename Model::Scalar;
  explicit RuleAttributor(const Model& m, Rule r = {}) : e_(std::make_unique<Explainer<Model, Rule>>(m, std::move(r))) {}
  /// The Explainer's own result (valid until the next call): no copy per batch.
  const Tensor<T>& operator()(ConstView<T> batch, const Targets& targets) {
    return e_->explain(batch, targets).attribution;
  }
  Explainer<Model, Rule>& explainer() { return *e_; }

 private:
  std::unique_ptr<Explainer<Model, Rule>> e_;  // Explainer is not movable
};
template <class Model, class Rule = Gradient>
RuleAttributor<Model, Rule> rule_attributor(const Model& m, Rule r = {}) {
  return RuleAttributor<Model, Rule>(m, std::move(r));
}

/// One attributor per worker thread (BatchOptions::threads): rule_attributors(model, rule, n).
template <class A>
struct Attributors {
  std::vector<A> per_worker;
};
template <class Model, class Rule = Gradient>
Attributors<RuleAttributor<Model, Rule>> rule_attributors(const Model& m, Rule r, Index threads) {
  const Index n = std::clamp<Index>(threads, 1, max_threads);  // the method checks the value (param.705)
  Attributors<RuleAttributor<Model, Rule>> a;
  a.per_worker.reserve(static_cast<std::size_t>(n));
  for (Index w = 0; w < n; ++w) a.per_worker.emplace_back(m, r);
  return a;
}

namespace detail {

template <class X> struct view_scalar;
template <class T> struct view_scalar<Tensor<T>> { using type = T; };
template <class T> struct view_scalar<TensorView<T>> { using type = std::remove_const_t<T>; };
template <class X>
using view_scalar_t = typename view_scalar<std::remove_cv_t<std::remove_reference_t<X>>>::type;

/// True for our models (they have a Scalar type and a node list).
template <class M, class = void>
struct is_model : std::false_type {};
template <class M>
struct is_model<M, std::void_t<typename M::Scalar, decltype(std::declval<const M&>().size()),
                               decltype(std::declval<const M&>().node(0))>> : std::true_type {};
template <class M>
inline constexpr bool is_model_v = is_model<std::remove_cv_t<std::remove_reference_t<M>>>::value;

inline void check_batch_options(const BatchOptions& b, const char* who) {
  if (b.batch_size < 1)
    raise<ParameterError>("param.700", who, ": batch_size = ", b.batch_size, ", expected >= 1");
}

/// x must be batched (rank >= 2 is not required: [N] is allowed) and non-empty.
template <class T>
void check_input(ConstView<T> x, const char* who) {
  if (x.rank() < 1 || x.size() == 0)
    raise<ShapeError>("shape.700", who, ": input has shape ", x.shape(), ", expected a non-empty batch [N, ...]");
  for (Index i = 0; i < x.size(); ++i)
    if (!std::isfinite(static_cast<double>(x[i])))
      raise<ArgumentError>("arg.700", who, ": input of shape ", x.shape(), " has a non-finite value at flat index ", i);
}

/// Per-item targets, validated against the batch size.
inline std::vector<Index> expand_targets(const Targets& t, Index n, const char* who) {
  if (t.classes.empty() || (t.classes.size() != 1 && static_cast<Index>(t.classes.size()) != n))
    raise<ArgumentError>("arg.701", who, ": ", t.classes.size(), " targets for a batch of ", n,
                         ", expected 1 or ", n);
  std::vector<Index> out(static_cast<std::size_t>(n));
  for (Index b = 0; b < n; ++b) out[static_cast<std::size_t>(b)] = t(b);
  return out;
}

/// Baseline as a full [N, ...] tensor: empty -> zeros, [1, ...] -> tiled, [N, ...] -> copied.
template <class T>
Tensor<T> expand_baseline(ConstView<T> baseline, ConstView<T> x, const char* who) {
  Tensor<T> b(x.shape());
  if (baseline.empty()) {
    b.set_zero();
    return b;
  }
  const Index n = x.shape().batch(), d = x.shape().sample_size();
  if (baseline.shape() == x.shape()) {
    b.vec() = baseline.vec();
  } else if (baseline.shape() == x.shape().with_batch(1)) {
    for (Index i = 0; i < n; ++i) b.view().slice(i, 1).vec() = baseline.vec();
  } else {
    raise<ShapeError>("shape.701", who, ": baseline has shape ", baseline.shape(), ", expected ", x.shape(),
                      " or ", x.shape().with_batch(1));
  }
  for (Index i = 0; i < n * d; ++i)
    if (!std::isfinite(static_cast<double>(b[i])))
      raise<ArgumentError>("arg.702", who, ": baseline has a non-finite value at flat index ", i);
  return b;
}

/// Reads f's output row r, class c, checking the output shape [rows, K].
template <class T>
double output_at(const Tensor<T>& y, Index rows, Index r, Index c, const char* who) {
  if (y.rank() != 2 || y.dim(0) != rows)
    raise<ShapeError>("shape.702", who, ": the model returned shape ", y.shape(), " for a batch of ", rows,
                      ", expected [", rows, ", K]");
  if (c < 0 || c >= y.dim(1))
    raise<ArgumentError>("arg.703", who, ": target class ", c, " is out of range; the model has ", y.dim(1),
                         " outputs");
  return static_cast<double>(y.at(r, c));
}

/// Evaluates f on `rows` rows produced by fill(row index, destination sample view), in chunks of
/// at most batch_size rows; consume(row index, outputs tensor, row within the chunk).
template <class T, class F, class Fill, class Consume>
void batched_eval(F& f, const Shape& sample_shape_batched, Index rows, const BatchOptions& bo, Index& done,
                  Index total, Fill&& fill, Consume&& consume, Tensor<T>& buf) {
  for (Index start = 0; start < rows; start += bo.batch_size) {
    const Index cnt = std::min(bo.batch_size, rows - start);
    buf.resize(sample_shape_batched.with_batch(cnt));
    for (Index r = 0; r < cnt; ++r) fill(start + r, buf.view().slice(r, 1));
    const Tensor<T> y = f(buf.cview());
    for (Index r = 0; r < cnt; ++r) consume(start + r, y, r, cnt);
    done += cnt;
    if (bo.progress) bo.progress(done, total);
  }
}

/// f_c(x_i) - f_c(reference of item i) per item, from one batched stream of n + nref rows: the n
/// items of x, then the reference rows ref_row(k), k < nref (a ConstView<T> [1, ...]). per_item:
/// reference row i belongs to item i (nref = n); otherwise every item is compared with the mean
/// of f_{c_i} over all reference rows. Validates the targets against the model's outputs.
template <class T, class F, class RefRow>
std::vector<double> output_differences(F& f, ConstView<T> x, const std::vector<Index>& tg, Index nref, bool per_item,
                                       RefRow&& ref_row, const BatchOptions& bo, Index& done, Index total,
                                       Tensor<T>& buf, const char* who) {
  const Index n = x.shape().batch();
  std::vector<double> fx(static_cast<std::size_t>(n)), fr(static_cast<std::size_t>(n), 0.0);
  batched_eval<T>(
      f, x.shape(), n + nref, bo, done, total,
      [&](Index r, TensorView<T> dst) { dst.vec() = r < n ? x.slice(r, 1).vec() : ref_row(r - n).vec(); },
      [&](Index r, const Tensor<T>& y, Index row, Index cnt) {
        if (r < n) {
          fx[static_cast<std::size_t>(r)] = output_at(y, cnt, row, tg[static_cast<std::size_t>(r)], who);
        } else if (per_item) {
          fr[static_cast<std::size_t>(r - n)] = output_at(y, cnt, row, tg[static_cast<std::size_t>(r - n)], who);
        } else {
          for (Index i = 0; i < n; ++i)
            fr[static_cast<std::size_t>(i)] += output_at(y, cnt, row, tg[static_cast<std::size_t>(i)], who);
        }
      },
      buf);
  for (std::size_t i = 0; i < fx.size(); ++i) fx[i] -= per_item ? fr[i] : fr[i] / double(nref);
  return fx;
}

/// Per item i of an attribution [N, ...]: (sum of the item's attribution, in double) - output_diff[i].
template <class T>
std::vector<double> completeness_delta(const Tensor<T>& attribution, const std::vector<double>& output_diff) {
  const Index n = attribution.shape().batch(), d = attribution.shape().sample_size();
  std::vector<double> delta(static_cast<std::size_t>(n));
  for (Index i = 0; i < n; ++i) {
    double s = 0;
    for (Index j = 0; j < d; ++j) s += static_cast<double>(attribution[i * d + j]);
    delta[static_cast<std::size_t>(i)] = s - output_diff[static_cast<std::size_t>(i)];
  }
  return delta;
}

/// Checks one chunk's attribution shape and hands its rows to consume.
template <class T, class Consume>
void consume_chunk(const Tensor<T>& a, const Tensor<T>& batch, Index start, Index cnt, Consume& consume, const char* who) {
  if (a.shape() != batch.shape())
    raise<ShapeError>("shape.703", who, ": the gradient/attributor returned shape ", a.shape(), " for a batch of shape ",
                      batch.shape(), ", expected the batch's shape");
  for (Index r = 0; r < cnt; ++r) consume(start + r, ConstView<T>(a.view().slice(r, 1)));
}

/// Fills the chunk of rows [start, start + cnt) into buf and its targets into tg.
template <class T, class Fill>
void fill_chunk(const Shape& batched_shape, Index start, Index cnt, const std::vector<Index>& row_target, Fill& fill,
                Tensor<T>& buf, Targets& tg) {
  buf.resize(batched_shape.with_batch(cnt));
  tg.classes.resize(static_cast<std::size_t>(cnt));
  for (Index r = 0; r < cnt; ++r) {
    fill(start + r, buf.view().slice(r, 1));
    tg.classes[static_cast<std::size_t>(r)] = row_target[static_cast<std::size_t>(start + r)];
  }
}

template <class T, class G, class Fill, class Consume>
void batched_attr_serial(G& g, const Shape& batched_shape, Index rows, const std::vector<Index>& row_target,
                         const BatchOptions& bo, Index& done, Index total, Fill& fill, Consume& consume,
                         Tensor<T>& buf, const char* who) {
  Targets tg(std::vector<Index>(static_cast<std::size_t>(std::min(bo.batch_size, rows))));  // reused per chunk
  for (Index start = 0; start < rows; start += bo.batch_size) {
    const Index cnt = std::min(bo.batch_size, rows - start);
    fill_chunk<T>(batched_shape, start, cnt, row_target, fill, buf, tg);
    // A reference into the attributor's own result where it returns one (no copy per chunk).
    const auto& a = g(buf.cview(), tg);
    consume_chunk<T>(a, buf, start, cnt, consume, who);
    done += cnt;
    if (bo.progress) bo.progress(done, total);
  }
}

/// Waves of `workers` chunks: the caller fills them in row order, every worker evaluates one
/// chunk with its own attributor, the caller consumes them in row order. The chunks and the
/// order of fill and consume are those of the serial loop, so the result is bit-identical.
template <class T, class A, class Fill, class Consume>
void batched_attr_parallel(Attributors<A>& g, Index workers, const Shape& batched_shape, Index rows,
                           const std::vector<Index>& row_target, const BatchOptions& bo, Index& done, Index total,
                           Fill& fill, Consume& consume, const char* who) {
  const std::size_t nw = static_cast<std::size_t>(workers);
  std::vector<Tensor<T>> bufs(nw);
  std::vector<Targets> tgs(nw, Targets(std::vector<Index>(static_cast<std::size_t>(std::min(bo.batch_size, rows)))));
  std::vector<const Tensor<T>*> out(nw);
  std::vector<Index> first(nw), count(nw);
  WorkerTeam team(workers);
  auto evaluate = [&](Index w) {
    const std::size_t u = static_cast<std::size_t>(w);
    if (count[u] > 0) out[u] = &g.per_worker[u](bufs[u].cview(), tgs[u]);  // the attributor's own result
  };
  for (Index wave = 0; wave < rows; wave += workers * bo.batch_size) {
    for (std::size_t u = 0; u < nw; ++u) {
      first[u] = wave + Index(u) * bo.batch_size;
      count[u] = first[u] < rows ? std::min(bo.batch_size, rows - first[u]) : 0;
      if (count[u] > 0) fill_chunk<T>(batched_shape, first[u], count[u], row_target, fill, bufs[u], tgs[u]);
    }
    team.run(evaluate);
    const Index failed = team.first_failed();
    if (failed >= 0) std::rethrow_exception(team.error(failed));  // the first failing chunk, as in the serial loop
    for (std::size_t u = 0; u < nw && count[u] > 0; ++u) {
      consume_chunk<T>(*out[u], bufs[u], first[u], count[u], consume, who);
      done += count[u];
      if (bo.progress) bo.progress(done, total);
    }
  }
}

template <class G> struct is_attributors : std::false_type {};
template <class A> struct is_attributors<Attributors<A>> : std::true_type {};

/// Evaluates an attributor (gradient) on rows with per-row targets, same chunking: a callable
/// (threads = 1) or Attributors, one per worker (bo.threads workers at most).
template <class T, class G, class Fill, class Consume>
void batched_attr(G& g, const Shape& batched_shape, Index rows, const std::vector<Index>& row_target,
                  const BatchOptions& bo, Index& done, Index total, Fill&& fill, Consume&& consume,
                  Tensor<T>& buf, const char* who) {
  if (!threads_ok(bo.threads))
    raise<ParameterError>("param.705", who, ": threads = ", bo.threads, ", expected 1 to ", max_threads);
  if constexpr (is_attributors<G>::value) {
    const Index chunks = (rows + bo.batch_size - 1) / bo.batch_size;  // no more workers than chunks
    const Index workers = std::min({bo.threads, Index(g.per_worker.size()), chunks});
    if (workers > 1)
      batched_attr_parallel<T>(g, workers, batched_shape, rows, row_target, bo, done, total, fill, consume, who);
    else
      batched_attr_serial<T>(g.per_worker.at(0), batched_shape, rows, row_target, bo, done, total, fill, consume, buf, who);
  } else {
    if (bo.threads != 1)
      raise<ParameterError>("param.706", who, ": threads = ", bo.threads,
                            " needs one of our models (one Explainer per thread); a callable attributor runs with threads = 1");
    batched_attr_serial<T>(g, batched_shape, rows, row_target, bo, done, total, fill, consume, buf, who);
  }
}

/// Attributor (gradient) values at path points p_r = b_r + alpha_r (x_i - b_r) for rows
/// r = (item i = r / m, step r % m), batched with the item's target: base(r) -> ConstView<T>
/// [1, ...], alpha(r) -> T, consume(r, i, b_r, g_r). Rows of one item are consecutive.
template <class T, class G, class Base, class Alpha, class Consume>
void path_attributions(G& grad, ConstView<T> x, Index m, const std::vector<Index>& tg, const BatchOptions& bo,
                       Index& done, Index total, Base&& base, Alpha&& alpha, Consume&& consume, Tensor<T>& buf,
                       const char* who) {
  const Index rows = x.shape().batch() * m;
  std::vector<Index> row_target(static_cast<std::size_t>(rows));
  for (Index r = 0; r < rows; ++r) row_target[static_cast<std::size_t>(r)] = tg[static_cast<std::size_t>(r / m)];
  batched_attr<T>(
      grad, x.shape(), rows, row_target, bo, done, total,
      [&](Index r, TensorView<T> dst) {
        const auto xi = x.slice(r / m, 1).vec();
        const auto bi = base(r).vec();
        dst.vec() = bi + alpha(r) * (xi - bi);
      },
      [&](Index r, ConstView<T> g) { consume(r, r / m, base(r), g); }, buf, who);
}

}  // namespace detail
ATTRIB_END_NAMESPACE
