#pragma once
// Expected Gradients (Erion et al. 2021): IG averaged over baselines from a data set,
// estimated with sampled (baseline, alpha) pairs:
//   EG_i = E_{b ~ D, alpha ~ U(0, 1)} [ (x_i - b_i) d f_c / d x_i (b + alpha (x - b)) ]
// Completeness holds in expectation: sum_i EG_i -> f_c(x) - mean_{b in D} f_c(b).
#include "attrib/core/config.hpp"
#include <cstdint>
#include <vector>

#include "attrib/core/random.hpp"
#include "attrib/methods/common.hpp"

ATTRIB_BEGIN_NAMESPACE

template <class T>
struct ExpectedGradientsOptions : BatchOptions {
  ConstView<T> baselines;     ///< [M, ...] data set the baselines are drawn from (uniformly, with replacement)
  Index samples = 64;         ///< (baseline, alpha) pairs per batch item (2 to max_method_count)
  std::uint64_t seed = 0;     ///< attrib::Random seed
  bool compute_delta = true;  ///< evaluate f on x and on the whole data set for the delta
  /// User-given draws (replace seed when not empty), e.g. another library's to replay its run
  /// exactly: N * samples baseline indices into `baselines` and as many alphas in [0, 1], rows
  /// ordered (item, sample) as Captum's GradientShap orders them. Row i * samples + s evaluates
  /// the gradient at b + alpha (x_i - b), b = baselines[draw_index[row]], alpha = draw_alpha[row].
  std::vector<Index> draw_index;
  std::vector<double> draw_alpha;
};

template <class T>
struct ExpectedGradientsResult {
  Tensor<T> attribution;            ///< shape of x
  Tensor<T> standard_error;         ///< Monte Carlo standard error per element
  std::vector<double> output_diff;  ///< f_c(x) - mean_{b in D} f_c(b) per item (compute_delta)
  std::vector<double> delta;        ///< sum attribution - output_diff per item (compute_delta)
};

namespace detail {
template <class T, class F, class G>
ExpectedGradientsResult<T> expected_gradients_impl(F* f, G& grad, ConstView<T> x, const Targets& targets,
                                                   const ExpectedGradientsOptions<T>& opt) {
  const char* who = "expected_gradients";
  check_input(x, who);
  check_batch_options(opt, who);
  if (opt.samples < 2 || opt.samples > max_method_count)
    raise<ParameterError>("param.740", who, ": samples = ", opt.samples, ", expected 2 (for a standard error) to ",
                          max_method_count);
  const ConstView<T> data = opt.baselines;
  if (data.empty() || data.shape().with_batch(1) != x.shape().with_batch(1))
    raise<ShapeError>("shape.740", who, ": baselines have shape ", data.shape(), ", expected [M, ...] with samples shaped like x ",
                      x.shape());
  for (Index k = 0; k < data.size(); ++k)
    if (!std::isfinite(static_cast<double>(data[k])))
      raise<ArgumentError>("arg.740", who, ": baselines have a non-finite value at flat index ", k);
  const Index n = x.shape().batch(), d = x.shape().sample_size(), m = opt.samples, nb = data.shape().batch();
  const std::vector<Index> tg = expand_targets(targets, n, who);
  const bool with_f = f != nullptr && opt.compute_delta;
  const Index rows = n * m;
  const Index total = rows + (with_f ? n + nb : 0);
  Index done = 0;
  ExpectedGradientsResult<T> res;
  Tensor<T> buf;
  // f(x) per item, then every baseline once (all target classes read from the same rows).
  if (with_f)
    res.output_diff = output_differences<T>(
        *f, x, tg, nb, false, [&](Index k) { return data.slice(k, 1); }, opt, done, total, buf, who);
  // Draw every (baseline, alpha) pair up front in row order (independent of the batch size).
  std::vector<Index> bidx(static_cast<std::size_t>(rows));
  std::vector<double> alpha(static_cast<std::size_t>(rows));
  if (opt.draw_index.empty() && opt.draw_alpha.empty()) {
    Random rng(opt.seed);
    for (Index r = 0; r < rows; ++r) {
      bidx[static_cast<std::size_t>(r)] = static_cast<Index>(rng.below(static_cast<std::uint64_t>(nb)));
      alpha[static_cast<std::size_t>(r)] = rng.uniform();
    }
  } else {
    if (Index(opt.draw_index.size()) != rows || Index(opt.draw_alpha.size()) != rows)
      raise<ParameterError>("param.741", who, ": ", opt.draw_index.size(), " baseline indices and ", opt.draw_alpha.size(),
                            " alphas given, expected N * samples = ", n, " * ", m, " = ", rows, " of each");
    for (Index r = 0; r < rows; ++r) {
      const Index k = opt.draw_index[static_cast<std::size_t>(r)];
      const double a = opt.draw_alpha[static_cast<std::size_t>(r)];
      if (k < 0 || k >= nb || !(a >= 0.0 && a <= 1.0))
        raise<ArgumentError>("arg.741", who, ": draw ", r, " is baseline ", k, " at alpha ", a, ", expected a baseline 0 to ",
                             nb - 1, " and an alpha in [0, 1]");
    }
    bidx = opt.draw_index;
    alpha = opt.draw_alpha;
  }
  std::vector<double> s1(static_cast<std::size_t>(n * d), 0.0), s2(s1);
  path_attributions<T>(
      grad, x, m, tg, opt, done, total, [&](Index r) { return data.slice(bidx[static_cast<std::size_t>(r)], 1); },
      [&](Index r) { return static_cast<T>(alpha[static_cast<std::size_t>(r)]); },
      [&](Index, Index i, ConstView<T> bi, ConstView<T> g) {
        const ConstView<T> xi = x.slice(i, 1);
        for (Index j = 0; j < d; ++j) {
          const double v = (static_cast<double>(xi[j]) - static_cast<double>(bi[j])) * static_cast<double>(g[j]);
          s1[static_cast<std::size_t>(i * d + j)] += v;
          s2[static_cast<std::size_t>(i * d + j)] += v * v;
        }
      },
      buf, who);
  res.attribution.resize(x.shape());
  res.standard_error.resize(x.shape());
  for (Index k = 0; k < n * d; ++k) {
    const std::size_t u = static_cast<std::size_t>(k);
    const double mean = s1[u] / double(m);
    res.attribution[k] = static_cast<T>(mean);
    res.standard_error[k] = static_cast<T>(std::sqrt(std::max(0.0, (s2[u] - double(m) * mean * mean) / double(m - 1)) / double(m)));
  }
  if (with_f) res.delta = completeness_delta(res.attribution, res.output_diff);
  return res;
}
}  // namespace detail

/// Expected Gradients of a function f(batch) -> [N, K] with a gradient callable grad(batch, targets).
template <class F, class G, class X, class = std::enable_if_t<!detail::is_model_v<F>>>
ExpectedGradientsResult<detail::view_scalar_t<X>> expected_gradients(
    F&& f, G&& grad, const X& x, const Targets& targets, const ExpectedGradientsOptions<detail::view_scalar_t<X>>& opt) {
  using T = detail::view_scalar_t<X>;
  return detail::expected_gradients_impl<T>(&f, grad, ConstView<T>(x), targets, opt);
}

/// Expected Gradients of one of our models (any rule on the sampled points; default Gradient).
template <class Model, class Rule = Gradient, class = std::enable_if_t<detail::is_model_v<Model>>>
ExpectedGradientsResult<typename Model::Scalar> expected_gradients(
    const Model& model, ConstView<typename Model::Scalar> x, const Targets& targets,
    const ExpectedGradientsOptions<typename Model::Scalar>& opt, Rule rule = {}) {
  using T = typename Model::Scalar;
  auto f = model_function(model);
  auto g = rule_attributors(model, std::move(rule), opt.threads);
  return detail::expected_gradients_impl<T>(&f, g, x, targets, opt);
}

ATTRIB_END_NAMESPACE
