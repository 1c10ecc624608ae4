#pragma once
// SmoothGrad (Smilkov et al. 2017), SmoothGrad^2 and VarGrad (Adebayo et al. 2018) over any
// attributor: for n noisy copies x + eps_k, eps_k ~ N(0, sigma^2 I),
//   SmoothGrad   = mean_k a(x + eps_k)
//   SmoothGrad^2 = mean_k a(x + eps_k)^2
//   VarGrad      = mean_k (a(x + eps_k) - SmoothGrad)^2     (population variance, divisor n)
// sigma = noise_level * (max - min of the batch item) unless an absolute sigma is given.
// Noise from attrib::Random (portable): the same seed gives the same result everywhere.
#include "attrib/core/config.hpp"
#include <cmath>
#include <cstdint>
#include <vector>

#include "attrib/core/random.hpp"
#include "attrib/methods/common.hpp"

ATTRIB_BEGIN_NAMESPACE

enum class NoiseAggregate { mean, square, variance };

template <class T>
struct SmoothGradOptions : BatchOptions {
  Index samples = 50;          ///< n noisy copies per batch item (1 to max_method_count)
  double noise_level = 0.15;   ///< sigma as a fraction of the item's range max - min
  double sigma = -1;           ///< absolute sigma (>= 0) overrides noise_level
  std::uint64_t seed = 0;      ///< attrib::Random seed
  NoiseAggregate aggregate = NoiseAggregate::mean;
  /// User-given noise (replaces sigma, noise_level and seed when not empty), e.g. another
  /// library's draws to replay its run exactly: [N * samples, ...] with rows ordered (item,
  /// sample) as Captum's NoiseTunnel orders them (repeat_interleave), or [samples, ...] for the
  /// same draws around every item. Sample s of item i is evaluated at x_i + noise[i * samples + s]
  /// (or x_i + noise[s]).
  ConstView<T> noise;
};

template <class T>
struct SmoothGradResult {
  Tensor<T> attribution;     ///< shape of x
  /// Monte Carlo standard error of each element: sample standard deviation (divisor n - 1) of
  /// the averaged quantity (a, a^2 or the squared deviation) over sqrt(n); zero for n = 1.
  Tensor<T> standard_error;
  std::vector<double> sigma;  ///< the sigma used for each batch item (user-given noise: its root mean square)
};

namespace detail {
/// Row of user-given noise for sample s of item i: [N * n, ...] rows (item, sample), or [n, ...].
template <class T>
ConstView<T> noise_row(ConstView<T> noise, Index n, Index m, Index i, Index s) {
  return noise.slice(noise.shape().batch() == n * m ? i * m + s : s, 1);
}

template <class T, class G>
SmoothGradResult<T> smooth_grad_impl(G& attributor, ConstView<T> x, const Targets& targets,
                                     const SmoothGradOptions<T>& opt, const char* who) {
  check_input(x, who);
  check_batch_options(opt, who);
  const Index n = x.shape().batch(), d = x.shape().sample_size();
  const ConstView<T> given = opt.noise;
  const bool user = !given.empty();
  const Index m = opt.samples;
  if (m < 1 || m > max_method_count)
    raise<ParameterError>("param.710", who, ": samples = ", m, ", expected 1 to ", max_method_count);
  if (user) {
    if (given.shape().with_batch(1) != x.shape().with_batch(1) ||
        (given.shape().batch() != n * m && given.shape().batch() != m))
      raise<ShapeError>("shape.712", who, ": noise has shape ", given.shape(), ", expected [N * samples, ...] = [", n * m,
                        ", ...] or [samples, ...] = [", m, ", ...] with samples shaped like x ", x.shape());
    for (Index k = 0; k < given.size(); ++k)
      if (!std::isfinite(static_cast<double>(given[k])))
        raise<ArgumentError>("arg.712", who, ": noise has a non-finite value at flat index ", k);
  }
  if (!user && !(opt.sigma >= 0) && !(opt.noise_level >= 0 && std::isfinite(opt.noise_level)))
    raise<ParameterError>("param.711", who, ": noise_level = ", opt.noise_level,
                          ", expected a finite value >= 0 (or an absolute sigma >= 0)");
  if (!user && !std::isfinite(opt.sigma))
    raise<ParameterError>("param.712", who, ": sigma = ", opt.sigma, ", expected a finite value");
  const std::vector<Index> tg = expand_targets(targets, n, who);

  SmoothGradResult<T> res;
  res.sigma.resize(static_cast<std::size_t>(n));
  for (Index i = 0; i < n; ++i) {
    if (user) {
      double ss = 0;
      for (Index s = 0; s < m; ++s) {
        const ConstView<T> e = noise_row(given, n, m, i, s);
        for (Index j = 0; j < d; ++j) ss += static_cast<double>(e[j]) * static_cast<double>(e[j]);
      }
      res.sigma[static_cast<std::size_t>(i)] = std::sqrt(ss / double(m * d));
    } else if (opt.sigma >= 0) {
      res.sigma[static_cast<std::size_t>(i)] = opt.sigma;
    } else {
      const auto xi = x.slice(i, 1).vec();
      res.sigma[static_cast<std::size_t>(i)] =
          opt.noise_level * (static_cast<double>(xi.maxCoeff()) - static_cast<double>(xi.minCoeff()));
    }
  }
  // Noise drawn in row order (item, sample, element): independent of the batch size.
  Random rng(opt.seed);
  const Index rows = n * m;
  std::vector<Index> row_target(static_cast<std::size_t>(rows));
  for (Index r = 0; r < rows; ++r) row_target[static_cast<std::size_t>(r)] = tg[static_cast<std::size_t>(r / m)];
  // Per element: sum of q and of q^2 over samples, q = a (mean), a^2 (square); for the
  // variance keep sum a, sum a^2, sum a^3, sum a^4 (for its standard error).
  const bool var = opt.aggregate == NoiseAggregate::variance;
  std::vector<double> s1(static_cast<std::size_t>(n * d), 0.0), s2(s1), s3, s4;
  if (var) {
    s3 = s1;
    s4 = s1;
  }
  Index done = 0;
  Tensor<T> buf;
  batched_attr<T>(
      attributor, x.shape(), rows, row_target, opt, done, rows,
      [&](Index r, TensorView<T> dst) {
        const Index i = r / m;
        const double s = res.sigma[static_cast<std::size_t>(i)];
        const ConstView<T> xi = x.slice(i, 1);
        if (user) {
          const ConstView<T> e = noise_row(given, n, m, i, r % m);
          for (Index j = 0; j < d; ++j) dst[j] = xi[j] + e[j];
        } else {
          for (Index j = 0; j < d; ++j) dst[j] = static_cast<T>(static_cast<double>(xi[j]) + s * rng.normal());
        }
      },
      [&](Index r, ConstView<T> a) {
        const std::size_t o = static_cast<std::size_t>((r / m) * d);
        for (Index j = 0; j < d; ++j) {
          const double v = static_cast<double>(a[j]);
          const double q = opt.aggregate == NoiseAggregate::square ? v * v : v;
          const std::size_t k = o + static_cast<std::size_t>(j);
          s1[k] += q;
          s2[k] += q * q;
          if (var) {
            s3[k] += v * v * v;
            s4[k] += v * v * v * v;
          }
        }
      },
      buf, who);

  res.attribution.resize(x.shape());
  res.standard_error.resize(x.shape());
  const double dm = double(m);
  for (Index k = 0; k < n * d; ++k) {
    const std::size_t u = static_cast<std::size_t>(k);
    const double mean = s1[u] / dm;
    const double var_q = m > 1 ? std::max(0.0, (s2[u] - dm * mean * mean) / (dm - 1)) : 0.0;
    if (!var) {
      res.attribution[k] = static_cast<T>(mean);
      res.standard_error[k] = static_cast<T>(std::sqrt(var_q / dm));
    } else {
      // Population variance of a; its standard error from the 4th central moment:
      // Var(s^2) ~ (mu4 - mu2^2) / n.
      const double mu2 = s2[u] / dm - mean * mean;
      const double mu4 = s4[u] / dm - 4 * mean * s3[u] / dm + 6 * mean * mean * s2[u] / dm - 3 * mean * mean * mean * mean;
      res.attribution[k] = static_cast<T>(std::max(0.0, mu2));
      res.standard_error[k] = static_cast<T>(m > 1 ? std::sqrt(std::max(0.0, mu4 - mu2 * mu2) / dm) : 0.0);
    }
  }
  return res;
}
}  // namespace detail

/// SmoothGrad (or SmoothGrad^2 / VarGrad via opt.aggregate) of any attributor
/// a(batch, targets) -> attribution (a gradient callable, or rule_attributor(model, rule)).
template <class G, class X, class = std::enable_if_t<!detail::is_model_v<G>>>
SmoothGradResult<detail::view_scalar_t<X>> smooth_grad(G&& attributor, const X& x, const Targets& targets,
                                                      const SmoothGradOptions<detail::view_scalar_t<X>>& opt = {}) {
  using T = detail::view_scalar_t<X>;
  return detail::smooth_grad_impl<T>(attributor, ConstView<T>(x), targets, opt, "smooth_grad");
}

/// SmoothGrad of one of our models over any rule (default: Gradient).
template <class Model, class Rule = Gradient, class = std::enable_if_t<detail::is_model_v<Model>>>
SmoothGradResult<typename Model::Scalar> smooth_grad(const Model& model, ConstView<typename Model::Scalar> x,
                                                     const Targets& targets,
                                                     const SmoothGradOptions<typename Model::Scalar>& opt = {},
                                                     Rule rule = {}) {
  auto g = rule_attributors(model, std::move(rule), opt.threads);
  return detail::smooth_grad_impl<typename Model::Scalar>(g, x, targets, opt, "smooth_grad");
}

ATTRIB_END_NAMESPACE
