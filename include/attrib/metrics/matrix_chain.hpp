#pragma once
// Convergence of random matrix products (rules-spec section 6; "When Explanations Lie",
// convergence_simulation.ipynb): X_0 = N(0, 1) of shape (32, 1000) (32 random "logit" rows),
// X_k = X_{k-1} M_k for the 16 VGG-16 backward shapes (centre taps, reversed and transposed),
// optionally clipped at 0 after every product (ReLU). After each step the metric is the mean
// |cos| between the 32 rows: the notebook's version over the lower triangle *including* the
// diagonal (np.tri; the 32 ones add ~0.06), or the off-diagonal variant. Repeated with fresh
// matrices; the median over repetitions of 1 - metric per step is what the paper plots.
// Families: vanilla N, ReLU (N, clipped), stochastic |N| / column sums, positive |N|,
// non-negative max(0, N), alpha-beta alpha N+ + (alpha - 1) N- (N- <= 0), and fixed ("learned")
// matrices supplied by the caller. Double precision throughout (a simulation, not a layer).
#include "attrib/core/config.hpp"
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include <Eigen/Core>

#include "attrib/core/error.hpp"
#include "attrib/core/percentile.hpp"
#include "attrib/core/random.hpp"

ATTRIB_BEGIN_NAMESPACE

enum class ChainFamily { vanilla, relu, stochastic, positive, non_negative, alpha_beta };

struct ChainSpec {
  ChainFamily family = ChainFamily::vanilla;
  double alpha = 1;  ///< alpha-beta only (beta = alpha - 1)
  std::string label() const {
    switch (family) {
      case ChainFamily::vanilla: return "vanilla";
      case ChainFamily::relu: return "ReLU";
      case ChainFamily::stochastic: return "stochastic";
      case ChainFamily::positive: return "positive";
      case ChainFamily::non_negative: return "non-negative";
      case ChainFamily::alpha_beta: return "alpha" + detail::cat(alpha) + "beta" + detail::cat(alpha - 1);
    }
    return "?";
  }
  bool clips() const { return family == ChainFamily::relu; }
};

/// The 16 VGG-16 backward shapes (rows, cols) of the notebook: fc3^T, fc2^T, fc1 centre tap^T,
/// conv5_3^T ... conv1_1^T (centre taps).
inline std::vector<std::pair<Index, Index>> vgg16_chain_shapes() {
  return {{1000, 4096}, {4096, 4096}, {4096, 512}, {512, 512}, {512, 512}, {512, 512}, {512, 512},
          {512, 512},   {512, 256},   {256, 256},  {256, 256}, {256, 128}, {128, 128}, {128, 64},
          {64, 64},     {64, 3}};
}

struct MatrixChainOptions {
  int rows = 32;            ///< random start vectors (rows of X_0)
  int repetitions = 20;     ///< fresh matrices per repetition
  std::uint64_t seed = 0;
  bool include_diagonal = true;  ///< the notebook's metric (np.tri); false = strictly lower triangle
  Index steps = -1;         ///< products to run (-1: all shapes)
  double band = 99.5;       ///< band = [100 - band, band] percentiles over repetitions
  std::vector<std::pair<Index, Index>> shapes = vgg16_chain_shapes();
  /// Fixed start matrix X_0 for every repetition (rows x first matrix rows), e.g. to reproduce
  /// another implementation's run; empty (default): N(0, 1) rows drawn per repetition.
  Eigen::MatrixXd start;
};

struct MatrixChainResult {
  std::string family;
  std::vector<std::vector<double>> metric;  ///< [repetition][step k = 0..steps] mean |cos|
  std::vector<double> median, lo, hi;       ///< per step, of 1 - metric over repetitions
};

/// Mean |cos| between the rows of X over the lower triangle (with or without the diagonal);
/// rows of norm 0 give NaN cosines, which are dropped (as the notebook's nan-filter).
inline double chain_metric(const Eigen::MatrixXd& x, bool include_diagonal = true) {
  const Eigen::VectorXd norms = x.rowwise().norm();
  const Eigen::MatrixXd g = x * x.transpose();
  double sum = 0;
  Index count = 0;
  for (Index i = 0; i < x.rows(); ++i)
    for (Index j = 0; j <= i; ++j) {
      if (j == i && !include_diagonal) continue;
      if (!(norms(i) > 0 && norms(j) > 0)) continue;
      sum += std::abs(g(i, j) / (norms(i) * norms(j)));
      ++count;
    }
  return count ? sum / double(count) : std::numeric_limits<double>::quiet_NaN();
}

/// One random matrix of the family.
inline Eigen::MatrixXd chain_matrix(const ChainSpec& s, Index rows, Index cols, Random& rng) {
  Eigen::MatrixXd m(rows, cols);
  for (Index i = 0; i < m.size(); ++i) m.data()[i] = rng.normal();
  switch (s.family) {
    case ChainFamily::vanilla:
    case ChainFamily::relu: break;
    case ChainFamily::positive: m = m.cwiseAbs(); break;
    case ChainFamily::stochastic: {
      m = m.cwiseAbs();
      const Eigen::RowVectorXd colsum = m.colwise().sum();
      for (Index j = 0; j < cols; ++j) m.col(j) /= colsum(j);
      break;
    }
    case ChainFamily::non_negative: m = m.cwiseMax(0.0); break;
    case ChainFamily::alpha_beta:
      m = (s.alpha * m.cwiseMax(0.0) + (s.alpha - 1) * m.cwiseMin(0.0)).eval();
      break;
  }
  return m;
}

namespace detail {
inline void chain_summary(MatrixChainResult& r, double band) {
  const std::size_t steps = r.metric.empty() ? 0 : r.metric[0].size();
  for (std::size_t k = 0; k < steps; ++k) {
    std::vector<double> v;
    for (const auto& rep : r.metric)
      if (!std::isnan(rep[k])) v.push_back(1 - rep[k]);
    const double nan = std::numeric_limits<double>::quiet_NaN();
    r.median.push_back(v.empty() ? nan : percentile_linear(v, 50));
    r.lo.push_back(v.empty() ? nan : percentile_linear(v, 100 - band));
    r.hi.push_back(v.empty() ? nan : percentile_linear(v, band));
  }
}
/// X_0 of one repetition: the fixed start, or `rows` N(0, 1) rows of length `cols`.
inline Eigen::MatrixXd chain_start(const MatrixChainOptions& o, Index cols, Random& rng) {
  if (o.start.size() != 0) {
    if (o.start.cols() != cols)
      raise<ShapeError>("shape.880", "matrix chain: start matrix is [", o.start.rows(), ", ", o.start.cols(),
                        "], expected [rows, ", cols, "] (columns = rows of the first matrix)");
    return o.start;
  }
  Eigen::MatrixXd x(o.rows, cols);
  for (Index i = 0; i < x.size(); ++i) x.data()[i] = rng.normal();
  return x;
}

inline void check_chain_options(const MatrixChainOptions& o, Index available) {
  const Index rows = o.start.size() != 0 ? o.start.rows() : o.rows;
  if (rows < 2) raise<ParameterError>("param.820", "matrix chain: rows = ", rows, ", expected >= 2");
  if (o.repetitions < 1)
    raise<ParameterError>("param.821", "matrix chain: repetitions = ", o.repetitions, ", expected >= 1");
  if (o.steps < -1 || o.steps > available)
    raise<ParameterError>("param.822", "matrix chain: steps = ", o.steps, ", expected -1 or 0..", available);
  if (!(o.band >= 50 && o.band <= 100))
    raise<ParameterError>("param.823", "matrix chain: band = ", o.band, ", expected [50, 100]");
}
}  // namespace detail

/// The simulation for one random family.
inline MatrixChainResult matrix_chain(const ChainSpec& spec, const MatrixChainOptions& o = {}) {
  const Index avail = Index(o.shapes.size());
  detail::check_chain_options(o, avail);
  for (std::size_t k = 0; k < o.shapes.size(); ++k) {
    const Index prev = k == 0 ? o.shapes[0].first : o.shapes[k - 1].second;
    if (o.shapes[k].first != prev || o.shapes[k].first < 1 || o.shapes[k].second < 1)
      raise<ShapeError>("shape.820", "matrix chain: shape ", k, " is [", o.shapes[k].first, ", ", o.shapes[k].second,
                        "], expected [", prev, ", >= 1] (rows = previous columns)");
  }
  const Index steps = o.steps < 0 ? avail : o.steps;
  MatrixChainResult r;
  r.family = spec.label();
  Random rng(o.seed);
  for (int rep = 0; rep < o.repetitions; ++rep) {
    Eigen::MatrixXd x = detail::chain_start(o, avail ? o.shapes[0].first : 1, rng);
    std::vector<double> m{chain_metric(x, o.include_diagonal)};
    for (Index k = 0; k < steps; ++k) {
      const auto [rows, cols] = o.shapes[std::size_t(k)];
      x = (x * chain_matrix(spec, rows, cols, rng)).eval();
      if (spec.clips()) x = x.cwiseMax(0.0);
      m.push_back(chain_metric(x, o.include_diagonal));
    }
    r.metric.push_back(std::move(m));
  }
  detail::chain_summary(r, o.band);
  return r;
}

/// Fixed matrices (e.g. a trained network's centre taps, transposed into backward order): only
/// the start vectors are random per repetition. o.shapes is ignored.
inline MatrixChainResult matrix_chain(const std::vector<Eigen::MatrixXd>& matrices, bool relu,
                                      const MatrixChainOptions& o = {}, std::string label = "learned") {
  detail::check_chain_options(o, Index(matrices.size()));
  if (matrices.empty()) raise<ArgumentError>("arg.820", "matrix chain: no matrices");
  for (std::size_t k = 1; k < matrices.size(); ++k)
    if (matrices[k].rows() != matrices[k - 1].cols())
      raise<ShapeError>("shape.821", "matrix chain: matrix ", k, " is [", matrices[k].rows(), ", ",
                        matrices[k].cols(), "], expected [", matrices[k - 1].cols(), ", ...] (rows = previous columns)");
  const Index steps = o.steps < 0 ? Index(matrices.size()) : o.steps;
  MatrixChainResult r;
  r.family = std::move(label);
  Random rng(o.seed);
  for (int rep = 0; rep < o.repetitions; ++rep) {
    Eigen::MatrixXd x = detail::chain_start(o, matrices[0].rows(), rng);
    std::vector<double> m{chain_metric(x, o.include_diagonal)};
    for (Index k = 0; k < steps; ++k) {
      x = (x * matrices[std::size_t(k)]).eval();
      if (relu) x = x.cwiseMax(0.0);
      m.push_back(chain_metric(x, o.include_diagonal));
    }
    r.metric.push_back(std::move(m));
  }
  detail::chain_summary(r, o.band);
  return r;
}

/// Forward-order matrices in (c_in, c_out) orientation (e.g. kernel_matrices() of a trained
/// network, centre taps) -> the backward chain of the notebook: reversed and transposed.
inline std::vector<Eigen::MatrixXd> backward_chain(const std::vector<Eigen::MatrixXd>& forward) {
  std::vector<Eigen::MatrixXd> b;
  for (auto it = forward.rbegin(); it != forward.rend(); ++it) b.push_back(it->transpose());
  return b;
}

/// The paper's families: vanilla, ReLU, stochastic, positive, non-negative, alpha-beta for
/// alpha in {1, 2, 3, 4, 5, 10} (alpha 1 = non-negative, listed once).
inline std::vector<ChainSpec> paper_chain_families() {
  std::vector<ChainSpec> f{{ChainFamily::vanilla, 1},    {ChainFamily::relu, 1},        {ChainFamily::stochastic, 1},
                           {ChainFamily::positive, 1},   {ChainFamily::non_negative, 1}};
  for (double a : {2.0, 3.0, 4.0, 5.0, 10.0}) f.push_back({ChainFamily::alpha_beta, a});
  return f;
}

ATTRIB_END_NAMESPACE
