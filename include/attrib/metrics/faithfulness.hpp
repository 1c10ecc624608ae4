#pragma once
// Faithfulness of attributions in the Taylor-interaction frame of Deng et al., "Understanding
// and unifying fourteen attribution methods with Taylor interactions" (docs/faithfulness.md):
//  - Polynomial: f(x) = sum_k c_k prod_i (x_i - b_i)^kappa_i expanded at its baseline b; value,
//    gradient, batched function f(batch) -> [N, 1] and gradient callable, so that every method
//    runs on it; taylor_interactions(): I(S) = sum_{kappa in Omega_S} c_kappa prod Delta^kappa
//    (the Harsanyi dividends of the baseline-masking game, by Deng et al.'s theorem; the masking
//    side is harsanyi_interactions() of methods/shapley.hpp).
//  - Monomial probing for methods linear in f: w_{i,kappa} = a_i(f_kappa) / f_kappa(x) and the
//    measures of principles P1-P3 on a mixed polynomial: ignored mass U, leak L, over/under
//    allocation C, completeness gap G.
//  - Leak tests for any method (also non-linear in f, modified-BP rules): dummy-input leak,
//    additive-branch leak, completeness gap, group sums vs exact Shapley; a builder of ReLU
//    networks f = g(x_A) + h(x_B) with a structural dummy.
// A method for probing is a callable method(f, grad, x, b) -> attribution (Tensor<T> of x's
// shape or std::vector<double>), with f a Polynomial&, grad a PolynomialGradient&, x and b
// ConstView<T> of shape [1, n]. Error ids: shape/param/arg .900-.949.
#include "attrib/core/config.hpp"
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "attrib/core/random.hpp"
#include "attrib/methods/shapley.hpp"
#include "attrib/models/network.hpp"

ATTRIB_BEGIN_NAMESPACE

/// One term c * prod_i (x_i - b_i)^degree_i of a Polynomial.
struct PolyTerm {
  double coef = 0;
  std::vector<int> degree;  ///< kappa, one entry per variable
};

namespace detail {
inline double ipow(double v, int k) {
  double r = 1;
  for (int t = 0; t < k; ++t) r *= v;
  return r;
}
inline Index support_mask(const std::vector<int>& kappa) {
  Index m = 0;
  for (std::size_t i = 0; i < kappa.size(); ++i)
    if (kappa[i] > 0) m |= Index(1) << i;
  return m;
}
}  // namespace detail

class Polynomial;

/// Gradient callable of a Polynomial: grad(batch [N, n], targets) -> [N, n]; the only target is 0.
class PolynomialGradient {
 public:
  explicit PolynomialGradient(const Polynomial& p) : p_(&p) {}
  template <class T>
  Tensor<T> operator()(ConstView<T> batch, const Targets& targets) const;

 private:
  const Polynomial* p_;
};

/// f(x) = sum_k coef_k prod_i (x_i - b_i)^degree_k,i with the expansion point b (the baseline
/// of every method run on it). Evaluated in double.
class Polynomial {
 public:
  Polynomial(std::vector<double> baseline, std::vector<PolyTerm> terms)
      : b_(std::move(baseline)), terms_(std::move(terms)) {
    const char* who = "Polynomial";
    if (b_.empty()) raise<ShapeError>("shape.900", who, ": empty baseline, expected one value per variable (n >= 1)");
    for (std::size_t i = 0; i < b_.size(); ++i)
      if (!std::isfinite(b_[i])) raise<ArgumentError>("arg.900", who, ": baseline[", i, "] = ", b_[i], " is not finite");
    for (std::size_t k = 0; k < terms_.size(); ++k) {
      const PolyTerm& t = terms_[k];
      if (t.degree.size() != b_.size())
        raise<ShapeError>("shape.901", who, ": term ", k, " has ", t.degree.size(), " degrees, expected ", b_.size(),
                          " (one per variable)");
      for (int d : t.degree)
        if (d < 0) raise<ParameterError>("param.900", who, ": term ", k, " has degree ", d, ", expected >= 0");
      if (!std::isfinite(t.coef)) raise<ArgumentError>("arg.900", who, ": term ", k, " has coefficient ", t.coef);
    }
  }
  /// The single monomial prod_i (x_i - b_i)^degree_i.
  static Polynomial monomial(std::vector<double> baseline, std::vector<int> degree) {
    return Polynomial(std::move(baseline), {PolyTerm{1.0, std::move(degree)}});
  }

  Index dim() const { return static_cast<Index>(b_.size()); }
  const std::vector<double>& baseline() const { return b_; }
  const std::vector<PolyTerm>& terms() const { return terms_; }

  /// psi(kappa_k) = coef_k prod_i (x_i - b_i)^kappa_i: term k's Taylor effect at x.
  double term_value(std::size_t k, const double* x) const {
    const PolyTerm& t = terms_[k];
    double v = t.coef;
    for (std::size_t i = 0; i < b_.size(); ++i) v *= detail::ipow(x[i] - b_[i], t.degree[i]);
    return v;
  }
  double value(const double* x) const {
    double s = 0;
    for (std::size_t k = 0; k < terms_.size(); ++k) s += term_value(k, x);
    return s;
  }
  void gradient(const double* x, double* g) const {
    const std::size_t n = b_.size();
    for (std::size_t i = 0; i < n; ++i) g[i] = 0;
    for (const PolyTerm& t : terms_)
      for (std::size_t i = 0; i < n; ++i) {
        if (t.degree[i] == 0) continue;
        double v = t.coef * t.degree[i] * detail::ipow(x[i] - b_[i], t.degree[i] - 1);
        for (std::size_t j = 0; j < n; ++j)
          if (j != i) v *= detail::ipow(x[j] - b_[j], t.degree[j]);
        g[i] += v;
      }
  }
  double value(const std::vector<double>& x) const {
    check_point(x, "Polynomial::value");
    return value(x.data());
  }

  /// The model as a function: batch [N, n] (any shape with n elements per item) -> [N, 1].
  template <class T>
  Tensor<T> operator()(ConstView<T> batch) const {
    check_batch(batch, "Polynomial");
    const Index n = batch.shape().batch(), d = dim();
    Tensor<T> y(Shape{n, 1});
    std::vector<double> r(static_cast<std::size_t>(d));
    for (Index i = 0; i < n; ++i) {
      for (Index j = 0; j < d; ++j) r[static_cast<std::size_t>(j)] = static_cast<double>(batch[i * d + j]);
      y[i] = static_cast<T>(value(r.data()));
    }
    return y;
  }
  PolynomialGradient gradient_function() const { return PolynomialGradient(*this); }

  /// Taylor side of the Harsanyi dividends at x: I[mask] = sum of the effects of the terms
  /// whose support is exactly mask (I[0] = the constant terms = f(b)); n <= 16.
  std::vector<double> taylor_interactions(const std::vector<double>& x) const {
    const char* who = "Polynomial::taylor_interactions";
    check_point(x, who);
    detail::check_exact_players(dim(), who);
    std::vector<double> I(static_cast<std::size_t>(Index(1) << dim()), 0.0);
    for (std::size_t k = 0; k < terms_.size(); ++k)
      I[static_cast<std::size_t>(detail::support_mask(terms_[k].degree))] += term_value(k, x.data());
    return I;
  }

  template <class T>
  void check_batch(ConstView<T> batch, const char* who) const {
    if (batch.rank() < 1 || batch.shape().batch() < 1 || batch.shape().sample_size() != dim())
      raise<ShapeError>("shape.902", who, ": batch of shape ", batch.shape(), ", expected [N, ", dim(),
                        "] (one value per variable)");
  }
  void check_point(const std::vector<double>& x, const char* who) const {
    if (static_cast<Index>(x.size()) != dim())
      raise<ShapeError>("shape.903", who, ": point with ", x.size(), " values, expected ", dim());
  }

 private:
  std::vector<double> b_;
  std::vector<PolyTerm> terms_;
};

template <class T>
Tensor<T> PolynomialGradient::operator()(ConstView<T> batch, const Targets& targets) const {
  p_->check_batch(batch, "PolynomialGradient");
  const Index n = batch.shape().batch(), d = p_->dim();
  for (Index i = 0; i < n; ++i)
    if (targets(i) != 0)
      raise<ArgumentError>("arg.901", "PolynomialGradient: target ", targets(i), " for item ", i,
                           ", the polynomial has one output (target 0)");
  Tensor<T> g(batch.shape());
  std::vector<double> r(static_cast<std::size_t>(d)), gr(static_cast<std::size_t>(d));
  for (Index i = 0; i < n; ++i) {
    for (Index j = 0; j < d; ++j) r[static_cast<std::size_t>(j)] = static_cast<double>(batch[i * d + j]);
    p_->gradient(r.data(), gr.data());
    for (Index j = 0; j < d; ++j) g[i * d + j] = static_cast<T>(gr[static_cast<std::size_t>(j)]);
  }
  return g;
}

// ---------------------------------------------------------------------------------------------
// Monomial probing (methods linear in f)

struct ProbeOptions {
  double zero_tolerance = 1e-9;  ///< |w| below this counts as "not allocated" (U)
};

/// Allocation of a mixed polynomial's Taylor effects by one method (theory A.3 measures).
struct TaylorAllocation {
  std::vector<PolyTerm> terms;                ///< the probed (non-constant) terms
  std::vector<double> effects;                ///< psi(kappa) per probed term
  std::vector<std::vector<double>> weights;   ///< w_{i,kappa}: [term][variable]
  std::vector<double> attribution;            ///< the method on the whole polynomial
  double mass = 0;        ///< M = sum |psi|
  double ignored = 0;     ///< U (P1): share of |psi| allocated to nobody
  double leak = 0;        ///< L (P2): share of |psi| times weight given outside the support
  double over_under = 0;  ///< C (P3): share of |psi| times |sum_i w - 1|
  double gap = 0;         ///< G: |sum_i a_i - (f(x) - f(b))|
  double gap_relative() const { return mass > 0 ? gap / mass : gap; }
};

namespace detail {
template <class T>
Tensor<T> row_tensor(const std::vector<double>& v) {
  Tensor<T> t(Shape{1, static_cast<Index>(v.size())});
  for (std::size_t i = 0; i < v.size(); ++i) t[static_cast<Index>(i)] = static_cast<T>(v[i]);
  return t;
}
template <class R>
std::vector<double> attribution_vector(const R& r, Index n, const char* who) {
  std::vector<double> out;
  if constexpr (std::is_same_v<std::decay_t<R>, std::vector<double>>) {
    out = r;
  } else {
    for (Index i = 0; i < r.size(); ++i) out.push_back(static_cast<double>(r[i]));
  }
  if (static_cast<Index>(out.size()) != n)
    raise<ShapeError>("shape.904", who, ": the method returned ", out.size(), " values for ", n, " variables");
  for (std::size_t i = 0; i < out.size(); ++i)
    if (!std::isfinite(out[i])) raise<ArgumentError>("arg.903", who, ": the method returned ", out[i], " for variable ", i);
  return out;
}
template <class T, class Method>
std::vector<double> run_on_polynomial(Method& method, const Polynomial& p, const std::vector<double>& x, const char* who) {
  Polynomial f = p;
  PolynomialGradient g = f.gradient_function();
  const Tensor<T> xt = row_tensor<T>(x), bt = row_tensor<T>(p.baseline());
  return attribution_vector(method(f, g, xt.cview(), bt.cview()), p.dim(), who);
}
}  // namespace detail

/// Runs method(f, grad, x, b) on the polynomial at x (b = its baseline); returns a_i.
template <class T = double, class Method>
std::vector<double> attribute_polynomial(Method&& method, const Polynomial& p, const std::vector<double>& x) {
  p.check_point(x, "attribute_polynomial");
  return detail::run_on_polynomial<T>(method, p, x, "attribute_polynomial");
}

/// Allocation weights w_i = a_i(f_kappa) / f_kappa(x) of the monomial f_kappa = prod (x_i - b_i)^kappa_i.
/// Needs f_kappa(x) != 0 (x_i != b_i on the support).
template <class T = double, class Method>
std::vector<double> probe_weights(Method&& method, const std::vector<double>& baseline, const std::vector<int>& kappa,
                                  const std::vector<double>& x) {
  const char* who = "probe_weights";
  const Polynomial m = Polynomial::monomial(baseline, kappa);
  m.check_point(x, who);
  if (detail::support_mask(kappa) == 0)
    raise<ArgumentError>("arg.902", who, ": degree vector of order 0 (a constant has no allocation)");
  const double fk = m.value(x.data());
  if (fk == 0)
    raise<ArgumentError>("arg.902", who, ": the monomial is 0 at x (x_i == b_i on its support); choose x with x_i != b_i");
  std::vector<double> w = detail::run_on_polynomial<T>(method, m, x, who);
  for (double& v : w) v /= fk;
  return w;
}

/// Probes every non-constant term of p at x and computes U, L, C, G (theory A.3).
template <class T = double, class Method>
TaylorAllocation taylor_allocation(Method&& method, const Polynomial& p, const std::vector<double>& x,
                                   const ProbeOptions& opt = {}) {
  const char* who = "taylor_allocation";
  p.check_point(x, who);
  if (!(opt.zero_tolerance >= 0))
    raise<ParameterError>("param.901", who, ": zero_tolerance = ", opt.zero_tolerance, ", expected >= 0");
  TaylorAllocation r;
  const std::size_t n = static_cast<std::size_t>(p.dim());
  double constant = 0;
  for (std::size_t k = 0; k < p.terms().size(); ++k) {
    const PolyTerm& t = p.terms()[k];
    if (detail::support_mask(t.degree) == 0) {
      constant += t.coef;
      continue;
    }
    const double psi = p.term_value(k, x.data());
    std::vector<double> w = probe_weights<T>(method, p.baseline(), t.degree, x);
    const double a = std::abs(psi);
    r.mass += a;
    bool any = false;
    double outside = 0, total = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (std::abs(w[i]) > opt.zero_tolerance) any = true;
      if (t.degree[i] == 0) outside += std::abs(w[i]);
      total += w[i];
    }
    if (!any) r.ignored += a;
    r.leak += a * outside;
    r.over_under += a * std::abs(total - 1);
    r.terms.push_back(t);
    r.effects.push_back(psi);
    r.weights.push_back(std::move(w));
  }
  if (r.mass > 0) {
    r.ignored /= r.mass;
    r.leak /= r.mass;
    r.over_under /= r.mass;
  }
  r.attribution = detail::run_on_polynomial<T>(method, p, x, who);
  double sum = 0;
  for (double v : r.attribution) sum += v;
  const double diff = p.value(x.data()) - constant;  // f(x) - f(b)
  r.gap = std::abs(sum - diff);
  return r;
}

// ---------------------------------------------------------------------------------------------
// Leak tests for any method (numbers; 0 = faithful)

namespace detail {
template <class T>
void check_item_indices(ConstView<T> a, const std::vector<Index>& idx, const char* who) {
  if (a.rank() < 1 || a.size() == 0) raise<ShapeError>("shape.905", who, ": empty attribution of shape ", a.shape());
  for (Index i : idx)
    if (i < 0 || i >= a.size())
      raise<ArgumentError>("arg.904", who, ": index ", i, " is outside the attribution of shape ", a.shape(), " (0..",
                           a.size() - 1, ")");
}
}  // namespace detail

/// L_dummy = sum_{i in dummies} |a_i| / sum_i |a_i| (0 when a = 0). Indices are flat.
template <class T>
double dummy_leak(ConstView<T> attribution, const std::vector<Index>& dummies) {
  detail::check_item_indices(attribution, dummies, "dummy_leak");
  double num = 0, den = 0;
  for (Index i : dummies) num += std::abs(static_cast<double>(attribution[i]));
  for (Index i = 0; i < attribution.size(); ++i) den += std::abs(static_cast<double>(attribution[i]));
  return den > 0 ? num / den : 0.0;
}

/// Additive-branch leak of f = g(x_A) + h(x_B): with the reference r_i = a_i(g) for part[i] = 0
/// (A), a_i(h) for part[i] = 1 (B), 0 for part[i] = -1 (read by neither),
/// leak = sum_i |a_i(f) - r_i| / sum_i |r_i| (if r = 0: sum |a(f)| / (sum |a(f)| or 1)).
template <class T>
double additive_leak(ConstView<T> a_f, ConstView<T> a_g, ConstView<T> a_h, const std::vector<int>& part) {
  const char* who = "additive_leak";
  if (a_f.size() != static_cast<Index>(part.size()) || a_g.shape() != a_f.shape() || a_h.shape() != a_f.shape())
    raise<ShapeError>("shape.906", who, ": attributions of shapes ", a_f.shape(), ", ", a_g.shape(), ", ", a_h.shape(),
                      " and ", part.size(), " part labels; expected identical shapes and one label per element");
  double num = 0, den = 0, af = 0;
  for (std::size_t i = 0; i < part.size(); ++i) {
    const Index k = static_cast<Index>(i);
    if (part[i] < -1 || part[i] > 1)
      raise<ArgumentError>("arg.905", who, ": part[", i, "] = ", part[i], ", expected 0 (A), 1 (B) or -1 (neither)");
    const double r = part[i] == 0 ? static_cast<double>(a_g[k]) : part[i] == 1 ? static_cast<double>(a_h[k]) : 0.0;
    num += std::abs(static_cast<double>(a_f[k]) - r);
    den += std::abs(r);
    af += std::abs(static_cast<double>(a_f[k]));
  }
  if (den > 0) return num / den;
  return af > 0 ? 1.0 : 0.0;
}

/// Completeness of an attribution: sum_i a_i against f_c(x) - f_c(b).
struct CompletenessGap {
  double sum = 0;          ///< sum_i a_i
  double output_diff = 0;  ///< f_c(x) - f_c(b)
  double gap() const { return std::abs(sum - output_diff); }
  /// gap / |f_c(x) - f_c(b)| (the absolute gap when the difference is 0).
  double relative() const { return output_diff != 0 ? gap() / std::abs(output_diff) : gap(); }
};

/// f: a function f(batch) -> [N, K] or one of our models; x, baseline, attribution: one item
/// [1, ...] of the same shape (baseline empty = zeros).
template <class F, class T>
CompletenessGap completeness_gap(F&& f_or_model, ConstView<T> attribution, ConstView<T> x, ConstView<T> baseline,
                                 Index target = 0) {
  const char* who = "completeness_gap";
  detail::check_input(x, who);
  detail::check_single_item(x, who);
  if (attribution.shape() != x.shape() && attribution.size() != x.size())
    raise<ShapeError>("shape.907", who, ": attribution of shape ", attribution.shape(), " for x of shape ", x.shape());
  const Tensor<T> b = detail::expand_baseline(baseline, x, who);
  Tensor<T> both(x.shape().with_batch(2));
  both.view().slice(0, 1).vec() = x.vec();
  both.view().slice(1, 1).vec() = b.vec();
  CompletenessGap g;
  detail::with_function(f_or_model, [&](auto& f) {
    const Tensor<T> y = f(both.cview());
    g.output_diff = detail::output_at(y, 2, 0, target, who) - detail::output_at(y, 2, 1, target, who);
    return 0;
  });
  for (Index i = 0; i < attribution.size(); ++i) g.sum += static_cast<double>(attribution[i]);
  return g;
}

/// Per-player sums of an attribution (one item) over feature groups (elements with group -1 are
/// left out).
template <class T>
std::vector<double> group_sums(ConstView<T> attribution, const FeatureGroups& groups) {
  const char* who = "group_sums";
  const Index d = attribution.size();
  const detail::Players p = detail::players_for<T>(groups, d, who);
  std::vector<double> s(static_cast<std::size_t>(p.n), 0.0);
  for (Index j = 0; j < d; ++j) {
    const Index g = p.group[static_cast<std::size_t>(j)];
    if (g >= 0) s[static_cast<std::size_t>(g)] += static_cast<double>(attribution[j]);
  }
  return s;
}

/// sum_i |a_i - r_i| / sum_i |r_i| (the distance to a reference, e.g. exact Shapley values).
inline double relative_l1(const std::vector<double>& a, const std::vector<double>& ref) {
  if (a.size() != ref.size())
    raise<ShapeError>("shape.908", "relative_l1: ", a.size(), " values against a reference of ", ref.size());
  double num = 0, den = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    num += std::abs(a[i] - ref[i]);
    den += std::abs(ref[i]);
  }
  return den > 0 ? num / den : num;
}

// ---------------------------------------------------------------------------------------------
// Additive ReLU test models

/// How the two branch outputs g and h are summed.
enum class BranchJoin {
  dense,  ///< both branch outputs are units of one layer, summed by a final Dense [1, 1]
  add     ///< two separate branches joined by an Add node
};

/// f = g(x_A) + h(x_B) and the two branches alone (same architecture, the other branch's output
/// weights zeroed), over inputs [N, n]. part[i]: 0 = A, 1 = B, -1 = a structural dummy (its
/// weight column is zero in every first-layer unit: the model never reads it).
template <class T>
struct AdditiveModels {
  Network<T> f, g, h;
  std::vector<int> part;
};

struct AdditiveModelOptions {
  Index hidden = 4;               ///< ReLU units per branch
  BranchJoin join = BranchJoin::dense;
  bool opposite_signs = true;     ///< g > 0 > h everywhere (non-negative / non-positive heads)
  std::uint64_t seed = 0;
};

namespace detail {
template <class T>
Network<T> additive_network(const std::vector<int>& part, const AdditiveModelOptions& o, bool keep_g, bool keep_h) {
  const Index n = static_cast<Index>(part.size()), hd = o.hidden;
  Random rng(o.seed);
  // First layer: 2 hd units, unit u reads part 0 (u < hd) or part 1; hidden -> branch heads.
  Dense<T> d1(n, 2 * hd);
  auto w1 = d1.weight().mutable_view();
  auto b1 = d1.bias().mutable_view();
  for (Index u = 0; u < 2 * hd; ++u) {
    const int want = u < hd ? 0 : 1;
    for (Index i = 0; i < n; ++i)
      w1[u * n + i] = part[static_cast<std::size_t>(i)] == want ? static_cast<T>(rng.uniform(-1, 1)) : T(0);
    b1[u] = static_cast<T>(rng.uniform(-0.5, 0.5));
  }
  std::vector<double> head(static_cast<std::size_t>(2 * hd)), head_bias(2);
  for (Index u = 0; u < 2 * hd; ++u) {
    double w = rng.uniform(-1, 1);
    if (o.opposite_signs) w = u < hd ? std::abs(w) + 0.1 : -std::abs(w) - 0.1;
    head[static_cast<std::size_t>(u)] = w;
  }
  for (int k = 0; k < 2; ++k) {
    double c = rng.uniform(-0.5, 0.5);
    if (o.opposite_signs) c = k == 0 ? std::abs(c) + 0.1 : -std::abs(c) - 0.1;
    head_bias[static_cast<std::size_t>(k)] = c;
  }
  const bool keep[2] = {keep_g, keep_h};
  Network<T> net;
  if (o.join == BranchJoin::dense) {
    net.add(d1, "branches.fc1");
    net.add(ReLU<T>(), "branches.relu");
    Dense<T> d2(2 * hd, 2);
    auto w2 = d2.weight().mutable_view();
    for (Index k = 0; k < 2; ++k) {
      for (Index u = 0; u < 2 * hd; ++u)
        w2[k * 2 * hd + u] = (keep[k] && (u < hd) == (k == 0)) ? static_cast<T>(head[static_cast<std::size_t>(u)]) : T(0);
      d2.bias().mutable_view()[k] = keep[k] ? static_cast<T>(head_bias[static_cast<std::size_t>(k)]) : T(0);
    }
    net.add(d2, "branches.heads");
    Dense<T> d3(2, 1, false);
    d3.weight().mutable_view()[0] = T(1);
    d3.weight().mutable_view()[1] = T(1);
    net.add(d3, "sum");
  } else {
    Index out[2];
    for (Index k = 0; k < 2; ++k) {
      Dense<T> a(n, hd);
      for (Index u = 0; u < hd; ++u) {
        for (Index i = 0; i < n; ++i) a.weight().mutable_view()[u * n + i] = w1[(k * hd + u) * n + i];
        a.bias().mutable_view()[u] = b1[k * hd + u];
      }
      const std::string pre = k == 0 ? "g." : "h.";
      net.add(a, pre + "fc1", {Network<T>::model_input});
      net.add(ReLU<T>(), pre + "relu");
      Dense<T> c(hd, 1);
      for (Index u = 0; u < hd; ++u)
        c.weight().mutable_view()[u] = keep[k] ? static_cast<T>(head[static_cast<std::size_t>(k * hd + u)]) : T(0);
      c.bias().mutable_view()[0] = keep[k] ? static_cast<T>(head_bias[static_cast<std::size_t>(k)]) : T(0);
      out[k] = net.add(c, pre + "head");
    }
    net.add(Add<T>(), "sum", {out[0], out[1]});
  }
  return net;
}
}  // namespace detail

/// Random ReLU models f = g + h over the parts of `part` (see AdditiveModels).
template <class T>
AdditiveModels<T> additive_relu_models(const std::vector<int>& part, const AdditiveModelOptions& opt = {}) {
  const char* who = "additive_relu_models";
  if (opt.hidden < 1) raise<ParameterError>("param.902", who, ": hidden = ", opt.hidden, ", expected >= 1");
  bool has[2] = {false, false};
  for (std::size_t i = 0; i < part.size(); ++i) {
    if (part[i] < -1 || part[i] > 1)
      raise<ArgumentError>("arg.905", who, ": part[", i, "] = ", part[i], ", expected 0 (A), 1 (B) or -1 (dummy)");
    if (part[i] >= 0) has[part[i]] = true;
  }
  if (!has[0] || !has[1])
    raise<ArgumentError>("arg.906", who, ": both parts A (0) and B (1) need at least one input; got ", part.size(),
                         " labels");
  return {detail::additive_network<T>(part, opt, true, true), detail::additive_network<T>(part, opt, true, false),
          detail::additive_network<T>(part, opt, false, true), part};
}

ATTRIB_END_NAMESPACE
