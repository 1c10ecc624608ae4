#pragma once
// Integrated Gradients (Sundararajan et al. 2017):
//   IG_i = (x_i - b_i) * integral_0^1 d f_c / d x_i (b + alpha (x - b)) d alpha,
// the integral replaced by a quadrature rule with nodes alpha_k and weights w_k on [0, 1].
// Reports the convergence delta sum_i IG_i - (f_c(x) - f_c(b)) per batch item.
#include "attrib/core/config.hpp"
#include <cmath>
#include <vector>

#include "attrib/methods/common.hpp"

ATTRIB_BEGIN_NAMESPACE

/// Quadrature on [0, 1] for the path integral; m = IntegratedGradientsOptions::steps.
///   left / right / midpoint: m gradient evaluations, error O(1/m), O(1/m), O(1/m^2) (smooth f)
///   trapezoid: m intervals = m + 1 evaluations, error O(1/m^2)
///   gauss_legendre: m nodes, exact when the gradient along the path is a polynomial of degree
///   <= 2m - 1, spectrally fast on analytic paths.
enum class Quadrature { left, right, midpoint, trapezoid, gauss_legendre };

inline const char* quadrature_name(Quadrature q) {
  switch (q) {
    case Quadrature::left: return "left";
    case Quadrature::right: return "right";
    case Quadrature::midpoint: return "midpoint";
    case Quadrature::trapezoid: return "trapezoid";
    case Quadrature::gauss_legendre: return "gauss_legendre";
  }
  return "?";
}

/// Gauss–Legendre nodes and weights on [-1, 1] (ascending), computed in double by Newton's
/// method on the Legendre recurrence from Chebyshev-type initial guesses.
inline void gauss_legendre(Index m, std::vector<double>& nodes, std::vector<double>& weights) {
  if (m < 1) raise<ParameterError>("param.701", "gauss_legendre: m = ", m, ", expected >= 1");
  nodes.assign(static_cast<std::size_t>(m), 0.0);
  weights.assign(static_cast<std::size_t>(m), 0.0);
  const double pi = 3.14159265358979323846;
  for (Index i = 0; i < (m + 1) / 2; ++i) {
    double z = std::cos(pi * (double(i) + 0.75) / (double(m) + 0.5));
    double dp = 0;
    for (int it = 0; it < 100; ++it) {
      double p0 = 1.0, p1 = z;  // P_0, P_1
      for (Index k = 2; k <= m; ++k) {
        const double p2 = ((2.0 * double(k) - 1.0) * z * p1 - (double(k) - 1.0) * p0) / double(k);
        p0 = p1;
        p1 = p2;
      }
      if (m == 1) p0 = 1.0;
      // p1 = P_m(z), p0 = P_{m-1}(z);  P_m'(z) = m (z P_m - P_{m-1}) / (z^2 - 1)
      dp = double(m) * (z * p1 - p0) / (z * z - 1.0);
      const double dz = p1 / dp;
      z -= dz;
      if (std::abs(dz) < 1e-16) break;
    }
    {  // final derivative at the converged root
      double p0 = 1.0, p1 = z;
      for (Index k = 2; k <= m; ++k) {
        const double p2 = ((2.0 * double(k) - 1.0) * z * p1 - (double(k) - 1.0) * p0) / double(k);
        p0 = p1;
        p1 = p2;
      }
      if (m == 1) p0 = 1.0;
      dp = double(m) * (z * p1 - p0) / (z * z - 1.0);
    }
    const double w = 2.0 / ((1.0 - z * z) * dp * dp);
    nodes[static_cast<std::size_t>(i)] = -z;
    nodes[static_cast<std::size_t>(m - 1 - i)] = z;
    weights[static_cast<std::size_t>(i)] = w;
    weights[static_cast<std::size_t>(m - 1 - i)] = w;
  }
  if (m % 2 == 1) nodes[static_cast<std::size_t>(m / 2)] = 0.0;  // exact centre
}

/// Nodes alpha_k in [0, 1] and weights w_k (sum 1) of a quadrature rule with m steps.
inline void quadrature_nodes(Quadrature q, Index m, std::vector<double>& alpha, std::vector<double>& w) {
  if (m < 1 || m > max_method_count)
    raise<ParameterError>("param.702", "integrated_gradients: steps = ", m, ", expected 1 to ", max_method_count);
  alpha.clear();
  w.clear();
  const double h = 1.0 / double(m);
  switch (q) {
    case Quadrature::left:
      for (Index k = 0; k < m; ++k) { alpha.push_back(double(k) * h); w.push_back(h); }
      break;
    case Quadrature::right:
      for (Index k = 0; k < m; ++k) { alpha.push_back(double(k + 1) * h); w.push_back(h); }
      break;
    case Quadrature::midpoint:
      for (Index k = 0; k < m; ++k) { alpha.push_back((double(k) + 0.5) * h); w.push_back(h); }
      break;
    case Quadrature::trapezoid:
      for (Index k = 0; k <= m; ++k) {
        alpha.push_back(double(k) * h);
        w.push_back(k == 0 || k == m ? 0.5 * h : h);
      }
      break;
    case Quadrature::gauss_legendre: {
      gauss_legendre(m, alpha, w);
      for (std::size_t k = 0; k < alpha.size(); ++k) {
        alpha[k] = 0.5 * (alpha[k] + 1.0);
        w[k] *= 0.5;
      }
      break;
    }
    default:
      raise<ParameterError>("param.703", "integrated_gradients: unknown quadrature rule ", int(q));
  }
}

template <class T>
struct IntegratedGradientsOptions : BatchOptions {
  Index steps = 64;  ///< m (trapezoid: m intervals, m + 1 evaluations; 1 to max_method_count)
  Quadrature rule = Quadrature::gauss_legendre;  ///< quadrature on [0, 1]
  ConstView<T> baseline;                         ///< [N, ...] or [1, ...]; empty = zeros
  bool compute_delta = true;                     ///< evaluate f(x), f(b) for the convergence delta
  /// User-given quadrature (replaces `rule` and `steps` when not empty): nodes alpha_k in [0, 1]
  /// and their weights, e.g. another library's, to replay its run exactly (Captum's default is
  /// Gauss-Legendre with 50 nodes: numpy's leggauss mapped to [0, 1]; docs/methods.md).
  std::vector<double> nodes, weights;
};

template <class T>
struct IntegratedGradientsResult {
  Tensor<T> attribution;          ///< shape of x
  std::vector<double> delta;      ///< per item: sum attribution - (f_c(x) - f_c(b)) (empty without f)
  std::vector<double> output_diff;///< per item: f_c(x) - f_c(b)
};

namespace detail {
/// A user-given quadrature: as many weights as nodes (1 to max_method_count), nodes in [0, 1],
/// everything finite (weights may be negative: some rules have them).
inline void check_quadrature(const std::vector<double>& nodes, const std::vector<double>& weights, const char* who) {
  if (nodes.size() != weights.size() || nodes.empty() || Index(nodes.size()) > max_method_count)
    raise<ParameterError>("param.704", who, ": ", nodes.size(), " nodes and ", weights.size(),
                          " weights given, expected as many weights as nodes, 1 to ", max_method_count);
  for (std::size_t k = 0; k < nodes.size(); ++k)
    if (!(nodes[k] >= 0.0 && nodes[k] <= 1.0) || !std::isfinite(weights[k]))
      raise<ArgumentError>("arg.705", who, ": node ", k, " is ", nodes[k], " with weight ", weights[k],
                           ", expected a node in [0, 1] and a finite weight");
}

template <class T, class F, class G>
IntegratedGradientsResult<T> integrated_gradients_impl(F* f, G& grad, ConstView<T> x, const Targets& targets,
                                                       const IntegratedGradientsOptions<T>& opt) {
  const char* who = "integrated_gradients";
  check_input(x, who);
  check_batch_options(opt, who);
  const Index n = x.shape().batch(), d = x.shape().sample_size();
  const std::vector<Index> tg = expand_targets(targets, n, who);
  const Tensor<T> b = expand_baseline(opt.baseline, x, who);
  std::vector<double> alpha, w;
  if (opt.nodes.empty() && opt.weights.empty()) {
    quadrature_nodes(opt.rule, opt.steps, alpha, w);
  } else {
    check_quadrature(opt.nodes, opt.weights, who);
    alpha = opt.nodes;
    w = opt.weights;
  }
  const Index m = static_cast<Index>(alpha.size());
  const Index rows = n * m;
  const bool with_f = f != nullptr && opt.compute_delta;
  const Index total = rows + (with_f ? 2 * n : 0);
  Index done = 0;

  // f first (cheap; validates the targets against the model's outputs before the gradients).
  IntegratedGradientsResult<T> res;
  Tensor<T> buf;
  if (with_f)
    res.output_diff = output_differences<T>(
        *f, x, tg, n, true, [&](Index i) { return b.view().slice(i, 1); }, opt, done, total, buf, who);
  // Rows ordered (item, step) so that consecutive rows of one item share a chunk.
  std::vector<double> acc(static_cast<std::size_t>(n * d), 0.0);
  path_attributions<T>(
      grad, x, m, tg, opt, done, total, [&](Index r) { return b.view().slice(r / m, 1); },
      [&](Index r) { return static_cast<T>(alpha[static_cast<std::size_t>(r % m)]); },
      [&](Index r, Index i, ConstView<T>, ConstView<T> g) {
        const double wk = w[static_cast<std::size_t>(r % m)];
        double* a = acc.data() + i * d;
        for (Index j = 0; j < d; ++j) a[j] += wk * static_cast<double>(g[j]);
      },
      buf, who);

  res.attribution.resize(x.shape());
  for (Index k = 0; k < n * d; ++k)
    res.attribution[k] = static_cast<T>((static_cast<double>(x[k]) - static_cast<double>(b[k])) * acc[static_cast<std::size_t>(k)]);
  if (with_f) res.delta = completeness_delta(res.attribution, res.output_diff);
  return res;
}
}  // namespace detail

/// IG of any model given as a function f(batch) -> [N, K] and a gradient callable
/// grad(batch, targets) -> d f_c / d batch (shape of the batch). f is used only for the delta.
template <class F, class G, class X, class = std::enable_if_t<!detail::is_model_v<F>>>
IntegratedGradientsResult<detail::view_scalar_t<X>> integrated_gradients(
    F&& f, G&& grad, const X& x, const Targets& targets,
    const IntegratedGradientsOptions<detail::view_scalar_t<X>>& opt = {}) {
  using T = detail::view_scalar_t<X>;
  return detail::integrated_gradients_impl<T>(&f, grad, ConstView<T>(x), targets, opt);
}

/// IG of one of our models with any rule run on the interpolated batches (default: Gradient,
/// the original IG; another rule gives "IG over that rule").
template <class Model, class Rule = Gradient, class = std::enable_if_t<detail::is_model_v<Model>>>
IntegratedGradientsResult<typename Model::Scalar> integrated_gradients(
    const Model& model, ConstView<typename Model::Scalar> x, const Targets& targets,
    const IntegratedGradientsOptions<typename Model::Scalar>& opt = {}, Rule rule = {}) {
  using T = typename Model::Scalar;
  auto f = model_function(model);
  auto g = rule_attributors(model, std::move(rule), opt.threads);
  return detail::integrated_gradients_impl<T>(&f, g, x, targets, opt);
}

ATTRIB_END_NAMESPACE
