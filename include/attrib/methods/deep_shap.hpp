#pragma once
// DeepSHAP (Lundberg & Lee 2017, theory A.4 (14)): DeepLIFT attributions averaged over a
// background set D = {b_1, ..., b_M} used as references,
//   a_i(x) = (1/M) sum_k C_i(x; b_k),     C = DeepLIFT contributions with reference b_k,
// so that, where DeepLIFT sums to delta for every reference (Rescale, RevealCancel, the
// genomics default; cross-max at max pools), sum_i a_i = f_c(x) - (1/M) sum_k f_c(b_k).
//
// The (item, background) pairs are run as rows of one batch: x tiled and the background as
// the per-row reference of one Explainer<Model, DeepLift> (ExplainOptions::reference with the
// batch's shape), at most batch_size rows per call; after the first chunk nothing is
// allocated per background item.
#include "attrib/core/config.hpp"
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <vector>

#include "attrib/core/random.hpp"
#include "attrib/methods/common.hpp"
#include "attrib/rules/deeplift.hpp"

ATTRIB_BEGIN_NAMESPACE

template <class T>
struct DeepShapOptions : BatchOptions {
  ConstView<T> background;           ///< [M, ...], M >= 1, items shaped like x's items
  DeepLift rule = DeepLiftRescale(); ///< any DeepLIFT configuration (default Rescale)
  Index max_background = 0;          ///< > 0: use at most this many background items (subsample)
  std::uint64_t seed = 0;            ///< attrib::Random seed of the subsample
  bool compute_delta = true;         ///< evaluate f on the used background for output_diff / delta
};

template <class T>
struct DeepShapResult {
  Tensor<T> attribution;                ///< shape of x: mean over the used background of DeepLIFT
  std::vector<double> output_diff;      ///< per item: f_c(x) - mean_k f_c(b_k) (compute_delta)
  std::vector<double> delta;            ///< per item: sum attribution - output_diff (compute_delta)
  std::vector<Index> background_used;  ///< indices into the background, ascending
};

namespace detail {

/// k distinct indices of [0, m) drawn uniformly (partial Fisher–Yates on attrib::Random),
/// ascending; all of them when k <= 0 or k >= m. Same indices on every platform.
inline std::vector<Index> subsample_indices(Index m, Index k, std::uint64_t seed) {
  std::vector<Index> idx(static_cast<std::size_t>(m));
  for (Index i = 0; i < m; ++i) idx[static_cast<std::size_t>(i)] = i;
  if (k <= 0 || k >= m) return idx;
  Random rng(seed);
  for (Index i = 0; i < k; ++i) {
    const Index j = i + static_cast<Index>(rng.below(static_cast<std::uint64_t>(m - i)));
    std::swap(idx[static_cast<std::size_t>(i)], idx[static_cast<std::size_t>(j)]);
  }
  idx.resize(static_cast<std::size_t>(k));
  std::sort(idx.begin(), idx.end());
  return idx;
}

template <class T>
void check_background(ConstView<T> bg, ConstView<T> x, const char* who) {
  if (bg.rank() < 1 || bg.shape().batch() < 1 || bg.size() == 0)
    raise<ShapeError>("shape.761", who, ": the background is empty (shape ", bg.shape(),
                      "), expected [M, ...] with M >= 1 items shaped like x's items ", x.shape().with_batch(1));
  if (bg.shape().with_batch(1) != x.shape().with_batch(1))
    raise<ShapeError>("shape.760", who, ": background has shape ", bg.shape(), ", expected [M, ...] with items shaped like x's ",
                      x.shape(), " (", x.shape().with_batch(1), " per item)");
  for (Index k = 0; k < bg.size(); ++k)
    if (!std::isfinite(static_cast<double>(bg[k])))
      raise<ArgumentError>("arg.760", who, ": background of shape ", bg.shape(), " has a non-finite value at flat index ", k,
                           " (background item ", k / bg.shape().sample_size(), ")");
}

}  // namespace detail

/// DeepSHAP kept across calls: the Explainer<Model, DeepLift>, the model function for the
/// delta, the batch buffers and the result are reused, so repeated calls with the same batch
/// size allocate nothing after the first (a fresh Explainer pays for touching its trace,
/// reference trace and signals the first time: measured in docs/performance.md). The Explainer
/// is rebuilt when opt.rule differs from the previous call's. One per thread.
template <class Model>
class DeepShap {
  static_assert(detail::is_model_v<Model>, "attrib::DeepShap<Model>: Model must be one of attrib's models (Network, Sequential)");

 public:
  using T = typename Model::Scalar;
  explicit DeepShap(const Model& model) : model_(&model), f_(model) {}
  DeepShap(const DeepShap&) = delete;
  DeepShap& operator=(const DeepShap&) = delete;

  /// DeepSHAP of x ([N, ...]) for the target class(es); the result is valid until the next call.
  const DeepShapResult<T>& operator()(ConstView<T> x, const Targets& targets, const DeepShapOptions<T>& opt) {
    const char* who = "deep_shap";
    detail::check_input(x, who);
    detail::check_batch_options(opt, who);
    if (opt.max_background < 0)
      raise<ParameterError>("param.760", who, ": max_background = ", opt.max_background,
                            ", expected >= 0 (0 = the whole background)");
    const ConstView<T> bg = opt.background;
    detail::check_background(bg, x, who);
    const Index n = x.shape().batch(), d = x.shape().sample_size();
    const std::vector<Index> tg = detail::expand_targets(targets, n, who);

    DeepShapResult<T>& res = result_;
    res.background_used = detail::subsample_indices(bg.shape().batch(), opt.max_background, opt.seed);
    const std::vector<Index>& used = res.background_used;
    const Index mu = static_cast<Index>(used.size());
    const Index rows = n * mu;
    const Index total = rows + (opt.compute_delta ? n + mu : 0);
    Index done = 0;

    res.output_diff.clear();
    res.delta.clear();
    if (opt.compute_delta)  // first: cheap, and validates the targets against the model's outputs
      res.output_diff = detail::output_differences<T>(
          f_, x, tg, mu, false, [&](Index k) { return bg.slice(used[static_cast<std::size_t>(k)], 1); }, opt, done,
          total, xs_, who);

    if (!explainer_ || !same_rule(explainer_->rule(), opt.rule))
      explainer_ = std::make_unique<Explainer<Model, DeepLift>>(*model_, opt.rule);
    // Rows ordered (item, background): row r = item r / mu with reference used[r % mu].
    targets_.classes.resize(static_cast<std::size_t>(std::min(opt.batch_size, rows)));
    acc_.assign(static_cast<std::size_t>(n * d), 0.0);
    for (Index start = 0; start < rows; start += opt.batch_size) {
      const Index cnt = std::min(opt.batch_size, rows - start);
      xs_.resize(x.shape().with_batch(cnt));
      refs_.resize(x.shape().with_batch(cnt));
      targets_.classes.resize(static_cast<std::size_t>(cnt));
      for (Index r = 0; r < cnt; ++r) {
        const Index i = (start + r) / mu, k = used[static_cast<std::size_t>((start + r) % mu)];
        xs_.view().slice(r, 1).vec() = x.slice(i, 1).vec();
        refs_.view().slice(r, 1).vec() = bg.slice(k, 1).vec();
        targets_.classes[static_cast<std::size_t>(r)] = tg[static_cast<std::size_t>(i)];
      }
      eo_.reference = refs_.cview();
      const Tensor<T>& a = explainer_->explain(xs_.cview(), targets_, eo_).attribution;
      for (Index r = 0; r < cnt; ++r) {
        double* dst = acc_.data() + ((start + r) / mu) * d;
        const T* src = a.data() + r * d;
        for (Index j = 0; j < d; ++j) dst[j] += static_cast<double>(src[j]);
      }
      done += cnt;
      if (opt.progress) opt.progress(done, total);
    }

    res.attribution.resize(x.shape());
    for (Index k = 0; k < n * d; ++k) res.attribution[k] = static_cast<T>(acc_[static_cast<std::size_t>(k)] / double(mu));
    if (opt.compute_delta) res.delta = detail::completeness_delta(res.attribution, res.output_diff);
    return res;
  }

 private:
  static bool same_rule(const DeepLift& a, const DeepLift& b) {
    return a.nonlinear == b.nonlinear && a.linear == b.linear && a.maxpool == b.maxpool && a.near_zero == b.near_zero;
  }

  const Model* model_;
  ModelFunction<Model> f_;
  std::unique_ptr<Explainer<Model, DeepLift>> explainer_;  // Explainer is not movable
  Tensor<T> xs_, refs_;
  Targets targets_{std::vector<Index>{}};
  ExplainOptions<T> eo_;
  std::vector<double> acc_;
  DeepShapResult<T> result_;
};

/// DeepSHAP of one of our models (Network, Sequential) for x ([N, ...]) and the target
/// class(es): DeepLIFT (opt.rule) with every used background item as reference, averaged.
/// One-shot; keep a DeepShap<Model> to reuse its buffers across calls.
template <class Model, class = std::enable_if_t<detail::is_model_v<Model>>>
DeepShapResult<typename Model::Scalar> deep_shap(const Model& model, ConstView<typename Model::Scalar> x,
                                                 const Targets& targets,
                                                 const DeepShapOptions<typename Model::Scalar>& opt) {
  DeepShap<Model> ds(model);
  return ds(x, targets, opt);
}

ATTRIB_END_NAMESPACE
