// Faithfulness in the Taylor-interaction frame (theory A.2-A.7): Polynomial (value, gradient vs
// finite differences), the Harsanyi/Taylor identity (A.2 worked example, random polynomials),
// probed allocation weights (IG kappa_i/|kappa|, GxI kappa_i, Occlusion-1 [i in S], Shapley
// [i in S]/|S|), U/L/C/G closed forms on a mixed polynomial, A.7 oracles T1-T5, T6a, T11, T12,
// T14, T16, T17, dummy and additive-branch leaks on ReLU networks, errors.
// Oracles: rational values from theory A.7 / A.3 (copied as literals), hand expansions and the
// independent polynomial lambdas of tests/methods/poly.hpp.
#include <cmath>

#include "support/support.hpp"
#include "methods/poly.hpp"
#include "attrib/attrib.hpp"
#include "attrib/methods/grad_cam.hpp"
#include "attrib/methods/integrated_gradients.hpp"
#include "attrib/methods/occlusion.hpp"
#include "attrib/methods/shapley.hpp"
#include "attrib/metrics/faithfulness.hpp"
#include "attrib/report/faithfulness_report.hpp"

using namespace attrib;

namespace {
constexpr double tol = 1e-12;

void require_close(const std::vector<double>& a, std::initializer_list<double> e, double t = tol) {
  REQUIRE(a.size() == e.size());
  std::size_t i = 0;
  for (double v : e) {
    INFO("element " << i << ": " << a[i] << " vs " << v);
    REQUIRE(std::abs(a[i] - v) <= t * (1 + std::abs(v)));
    ++i;
  }
}
std::vector<double> to_vec(ConstView<double> a) {
  std::vector<double> v;
  for (Index i = 0; i < a.size(); ++i) v.push_back(a[i]);
  return v;
}

// The methods as probing callables method(f, grad, x, b).
const auto gxi = [](auto& /*f*/, auto& g, ConstView<double> x, ConstView<double> b) {
  Tensor<double> a = g(x, Targets(0));
  for (Index i = 0; i < a.size(); ++i) a[i] *= x[i] - b[i];
  return a;
};
const auto ig = [](auto& f, auto& g, ConstView<double> x, ConstView<double> b) {
  IntegratedGradientsOptions<double> o;
  o.baseline = b;
  o.steps = 16;  // Gauss-Legendre: exact for path gradients of degree <= 31
  return integrated_gradients(f, g, x, 0, o).attribution;
};
const auto occ1 = [](auto& f, auto& /*g*/, ConstView<double> x, ConstView<double> b) {
  OcclusionOptions<double> o;
  o.baseline = b;
  return occlusion(f, x, 0, o).attribution;
};
const auto shap = [](auto& f, auto& /*g*/, ConstView<double> x, ConstView<double> b) {
  ShapleyOptions<double> o;
  o.baseline = b;
  return shapley_exact(f, x, 0, o).values[0];
};

/// f = x1^2 x2 + x2 x3 expanded at b = (1, 0, 1): 2 D2 + 2 D1 D2 + D1^2 D2 + D2 D3 (theory A.2).
Polynomial a2_example() {
  return Polynomial({1, 0, 1}, {{2, {0, 1, 0}}, {2, {1, 1, 0}}, {1, {2, 1, 0}}, {1, {0, 1, 1}}});
}
/// Mixed polynomial at b = 0 with a dummy x4: 3 x1 + 2 x1 x2 - x2^2 x3 + x1 x2 x3.
Polynomial mixed() {
  return Polynomial({0, 0, 0, 0}, {{3, {1, 0, 0, 0}}, {2, {1, 1, 0, 0}}, {-1, {0, 2, 1, 0}}, {1, {1, 1, 1, 0}}});
}
const std::vector<double> mixed_x = {2, -1, 3, 5};

template <class T>
Dense<T> dense(std::initializer_list<double> w, Index in, Index out, std::initializer_list<double> b = {}) {
  Dense<T> d(in, out, b.size() > 0);
  Index k = 0;
  for (double v : w) d.weight().mutable_view()[k++] = T(v);
  k = 0;
  for (double v : b) d.bias().mutable_view()[k++] = T(v);
  return d;
}
/// relu(w . x + c) as a network [N, n] -> [N, 1]; `out` scales the output (OR gate: 1 - relu(...)).
Network<double> gate(std::initializer_list<double> w, double c, double out_w = 1, double out_b = 0) {
  Network<double> net;
  const Index n = Index(w.size());
  net.add(dense<double>(w, n, 1, {c}), "fc");
  net.add(ReLU<double>(), "relu");
  net.add(dense<double>({out_w}, 1, 1, {out_b}), "out");
  return net;
}
template <class Rule>
std::vector<double> rule_attr(const Network<double>& net, Rule r, const Tensor<double>& x) {
  return to_vec(explain(net, r, x.cview(), 0).attribution.cview());
}
}  // namespace

TEMPLATE_TEST_CASE("Polynomial: value and gradient as batched callables", "[faithfulness]", float, double) {
  using T = TestType;
  const Polynomial p = a2_example();
  // Independent: the raw form x1^2 x2 + x2 x3 and its gradient (2 x1 x2, x1^2 + x3, x2).
  Tensor<T> xs(Shape{2, 3});
  const double pts[2][3] = {{2, 3, 2}, {-1, 0.5, 4}};
  for (int r = 0; r < 2; ++r)
    for (int j = 0; j < 3; ++j) xs.at(r, j) = T(pts[r][j]);
  const Tensor<T> y = p(xs.cview());
  REQUIRE(y.shape() == Shape{2, 1});
  const Tensor<T> g = p.gradient_function()(xs.cview(), Targets(0));
  const double t = std::is_same_v<T, float> ? 1e-5 : 1e-13;
  for (int r = 0; r < 2; ++r) {
    const double* q = pts[r];
    REQUIRE(std::abs(double(y[r]) - (q[0] * q[0] * q[1] + q[1] * q[2])) <= t * 20);
    REQUIRE(std::abs(double(g.at(r, 0)) - 2 * q[0] * q[1]) <= t * 20);
    REQUIRE(std::abs(double(g.at(r, 1)) - (q[0] * q[0] + q[2])) <= t * 20);
    REQUIRE(std::abs(double(g.at(r, 2)) - q[1]) <= t * 20);
  }
}

TEMPLATE_TEST_CASE("taylor_allocation runs the methods in float and double", "[faithfulness][probe]", float, double) {
  using T = TestType;
  const double t = std::is_same_v<T, float> ? 1e-5 : 1e-12;
  const auto ig_t = [](auto& f, auto& g, ConstView<T> x, ConstView<T> b) {
    IntegratedGradientsOptions<T> o;
    o.baseline = b;
    o.steps = 16;
    return integrated_gradients(f, g, x, 0, o).attribution;
  };
  const auto gxi_t = [](auto& /*f*/, auto& g, ConstView<T> x, ConstView<T> b) {
    Tensor<T> a = g(x, Targets(0));
    for (Index i = 0; i < a.size(); ++i) a[i] *= x[i] - b[i];
    return a;
  };
  const auto r_ig = taylor_allocation<T>(ig_t, mixed(), mixed_x);
  REQUIRE(r_ig.over_under < t * 10);
  REQUIRE(r_ig.gap < t * 100);
  const auto r_gxi = taylor_allocation<T>(gxi_t, mixed(), mixed_x);
  REQUIRE(std::abs(r_gxi.over_under - 22.0 / 19) < t * 10);
  const auto w = probe_weights<T>(ig_t, {0, 0}, {2, 1}, {2, 3});  // T3: (2/3, 1/3)
  REQUIRE(std::abs(w[0] - 2.0 / 3) < t);
  REQUIRE(std::abs(w[1] - 1.0 / 3) < t);
}

TEST_CASE("Polynomial gradient matches central finite differences", "[faithfulness]") {
  const Polynomial p = mixed();
  const std::vector<double> x = {0.7, -1.3, 2.1, 0.4};
  std::vector<double> g(4);
  p.gradient(x.data(), g.data());
  for (int i = 0; i < 4; ++i) {
    std::vector<double> u = x, d = x;
    const double h = 1e-5;
    u[std::size_t(i)] += h;
    d[std::size_t(i)] -= h;
    REQUIRE(std::abs((p.value(u) - p.value(d)) / (2 * h) - g[std::size_t(i)]) < 1e-8);
  }
}

TEST_CASE("Harsanyi/Taylor identity: theory A.2 worked example", "[faithfulness][harsanyi]") {
  const Polynomial p = a2_example();
  const std::vector<double> x = {2, 3, 2};
  REQUIRE(std::abs(p.value(x) - 18) < tol);  // 2^2 * 3 + 3 * 2
  const auto taylor = p.taylor_interactions(x);
  // bit i = variable i + 1: {2} = 2, {1,2} = 3, {2,3} = 6
  const std::vector<double> expected = {0, 0, 6, 9, 0, 0, 3, 0};
  for (std::size_t m = 0; m < 8; ++m) REQUIRE(std::abs(taylor[m] - expected[m]) < tol);
  // Masking side on the independent raw form (x1^2 x2 + x2 x3), baseline (1, 0, 1).
  test::Poly<double> raw{3, [](const double* v) { return v[0] * v[0] * v[1] + v[1] * v[2]; }, {}};
  const Tensor<double> xt = test::row<double>({2, 3, 2}), bt = test::row<double>({1, 0, 1});
  const auto masked = harsanyi_interactions(raw, xt, bt.cview(), FeatureGroups{});
  for (std::size_t m = 0; m < 8; ++m) REQUIRE(std::abs(masked[m] - expected[m]) < tol);
  // and on the Polynomial itself
  const auto masked_p = harsanyi_interactions(p, xt, bt.cview(), FeatureGroups{});
  for (std::size_t m = 0; m < 8; ++m) REQUIRE(std::abs(masked_p[m] - expected[m]) < tol);
}

TEST_CASE("Harsanyi/Taylor identity on random integer polynomials", "[faithfulness][harsanyi]") {
  Random rng(7);
  for (int trial = 0; trial < 20; ++trial) {
    const Index n = 5;
    std::vector<double> b(n), x(n);
    for (Index i = 0; i < n; ++i) {
      b[std::size_t(i)] = double(int(rng.below(5)) - 2);
      x[std::size_t(i)] = b[std::size_t(i)] + double(int(rng.below(4)) + 1) * (rng.below(2) ? 1 : -1);
    }
    std::vector<PolyTerm> terms;
    for (int k = 0; k < 8; ++k) {
      PolyTerm t{double(int(rng.below(9)) - 4), std::vector<int>(std::size_t(n))};
      for (auto& d : t.degree) d = rng.below(3) == 0 ? int(rng.below(3)) + 1 : 0;
      terms.push_back(t);
    }
    terms.push_back({1.5, std::vector<int>(std::size_t(n), 0)});  // constant: I(empty) = f(b)
    const Polynomial p(b, terms);
    const auto taylor = p.taylor_interactions(x);
    const Tensor<double> xt = detail::row_tensor<double>(x), bt = detail::row_tensor<double>(b);
    const auto masked = harsanyi_interactions(p, xt, bt.cview(), FeatureGroups{});
    for (std::size_t m = 0; m < masked.size(); ++m) {
      INFO("trial " << trial << " mask " << m);
      REQUIRE(std::abs(masked[m] - taylor[m]) <= 1e-12 * (1 + std::abs(taylor[m])) * 64);
    }
  }
}

TEST_CASE("Probed weights: IG kappa_i/|kappa|, GxI kappa_i, Occlusion-1 [i in S], Shapley [i in S]/|S|",
          "[faithfulness][probe]") {
  const std::vector<double> b = {1, -1, 0.5, 2}, x = {3, 1, -1.5, 1};  // every Delta != 0
  const std::vector<std::vector<int>> kappas = {{2, 1, 0, 0}, {1, 1, 1, 0}, {3, 0, 0, 0}, {0, 2, 1, 1}, {1, 0, 0, 4}};
  for (const auto& k : kappas) {
    int order = 0, support = 0;
    for (int d : k) {
      order += d;
      support += d > 0;
    }
    const auto w_ig = probe_weights(ig, b, k, x);
    const auto w_gxi = probe_weights(gxi, b, k, x);
    const auto w_o1 = probe_weights(occ1, b, k, x);
    const auto w_sh = probe_weights(shap, b, k, x);
    for (std::size_t i = 0; i < 4; ++i) {
      INFO("kappa (" << k[0] << k[1] << k[2] << k[3] << ") variable " << i);
      REQUIRE(std::abs(w_ig[i] - double(k[i]) / order) < 1e-12);
      REQUIRE(std::abs(w_gxi[i] - double(k[i])) < 1e-12);
      REQUIRE(std::abs(w_o1[i] - (k[i] > 0 ? 1.0 : 0.0)) < 1e-12);
      REQUIRE(std::abs(w_sh[i] - (k[i] > 0 ? 1.0 / support : 0.0)) < 1e-12);
    }
  }
}

TEST_CASE("U, L, C, G on a mixed polynomial equal the closed forms of theory A.3", "[faithfulness][probe]") {
  // psi at x = (2, -1, 3, 5): 3 x1 = 6, 2 x1 x2 = -4, -x2^2 x3 = -3, x1 x2 x3 = -6; M = 19.
  const Polynomial p = mixed();
  SECTION("Gradient x Input: C = sum |psi| (|kappa| - 1) / M = 22/19, G = |sum psi (|kappa| - 1)| = 22") {
    const auto r = taylor_allocation(gxi, p, mixed_x);
    REQUIRE(std::abs(r.mass - 19) < tol);
    REQUIRE(r.ignored == 0);
    REQUIRE(std::abs(r.leak) < tol);
    REQUIRE(std::abs(r.over_under - 22.0 / 19) < tol);
    REQUIRE(std::abs(r.gap - 22) < 1e-11);
    REQUIRE(std::abs(r.attribution[3]) < tol);  // dummy x4
  }
  SECTION("Occlusion-1: C = sum |psi| (|S| - 1) / M = 19/19, G = 19") {
    const auto r = taylor_allocation(occ1, p, mixed_x);
    REQUIRE(r.ignored == 0);
    REQUIRE(std::abs(r.leak) < tol);
    REQUIRE(std::abs(r.over_under - 1.0) < tol);
    REQUIRE(std::abs(r.gap - 19) < 1e-11);
  }
  SECTION("IG and Shapley: U = L = C = G = 0") {
    for (int m = 0; m < 2; ++m) {
      const auto r = m == 0 ? taylor_allocation(ig, p, mixed_x) : taylor_allocation(shap, p, mixed_x);
      REQUIRE(r.ignored == 0);
      REQUIRE(std::abs(r.leak) < tol);
      REQUIRE(std::abs(r.over_under) < tol);
      REQUIRE(r.gap < 1e-11);
    }
  }
  SECTION("a method that ignores interactions (gradient x input, first order only) has U > 0") {
    const auto first_order = [](auto& /*f*/, auto& g, ConstView<double> x, ConstView<double> b) {
      // the linear part at b: Delta_i * df/dx_i(b)
      Tensor<double> a = g(b, Targets(0));
      for (Index i = 0; i < a.size(); ++i) a[i] *= x[i] - b[i];
      return a;
    };
    const auto r = taylor_allocation(first_order, p, mixed_x);
    REQUIRE(std::abs(r.ignored - 13.0 / 19) < tol);  // the three higher-order effects 4 + 3 + 6
    REQUIRE(std::abs(r.over_under - 13.0 / 19) < tol);
    REQUIRE(std::abs(r.gap - 13) < 1e-11);
  }
  SECTION("a leaking method: every effect to x1") {
    const auto all_to_first = [](auto& f, auto& /*g*/, ConstView<double> x, ConstView<double> b) {
      std::vector<double> a(std::size_t(x.size()), 0.0);
      a[0] = double(f(x)[0]) - double(f(b)[0]);
      return a;
    };
    const auto r = taylor_allocation(all_to_first, p, mixed_x);
    // the effects without x1: -x2^2 x3 (3 of 19)
    REQUIRE(std::abs(r.leak - 3.0 / 19) < tol);
    REQUIRE(std::abs(r.over_under) < tol);  // each effect is allocated once in total (to the wrong variable)
    REQUIRE(r.gap < tol);
  }
}

TEST_CASE("Theory A.7 oracles T1-T5 and T14 through attribute_polynomial", "[faithfulness][oracles]") {
  const auto run = [](auto m, const Polynomial& p, std::vector<double> x) { return attribute_polynomial(m, p, x); };
  const Polynomial t1({0, 0}, {{1, {1, 1}}});
  require_close(run(shap, t1, {2, 3}), {3, 3});
  require_close(run(ig, t1, {2, 3}), {3, 3});
  require_close(run(gxi, t1, {2, 3}), {6, 6});
  require_close(run(occ1, t1, {2, 3}), {6, 6});
  const Polynomial t2({0, 0, 0}, {{1, {1, 1, 0}}, {1, {0, 0, 1}}});
  require_close(run(shap, t2, {2, 3, 5}), {3, 3, 5});
  require_close(run(ig, t2, {2, 3, 5}), {3, 3, 5});
  require_close(run(gxi, t2, {2, 3, 5}), {6, 6, 5});
  require_close(run(occ1, t2, {2, 3, 5}), {6, 6, 5});
  const Polynomial t3({0, 0}, {{1, {2, 1}}});
  require_close(run(shap, t3, {2, 3}), {6, 6});
  require_close(run(ig, t3, {2, 3}), {8, 4});
  require_close(run(gxi, t3, {2, 3}), {24, 12});
  require_close(run(occ1, t3, {2, 3}), {12, 12});
  const Polynomial t4({0}, {{1, {3}}});
  require_close(run(shap, t4, {2}), {8});
  require_close(run(ig, t4, {2}), {8});
  require_close(run(gxi, t4, {2}), {24});
  // T5: x1 x2 x3 at b = (1,1,1): expanded, x_i = 1 + D_i.
  const Polynomial t5({1, 1, 1}, {{1, {0, 0, 0}}, {1, {1, 0, 0}}, {1, {0, 1, 0}}, {1, {0, 0, 1}}, {1, {1, 1, 0}},
                                  {1, {1, 0, 1}}, {1, {0, 1, 1}}, {1, {1, 1, 1}}});
  const std::vector<double> x5 = {2, 3, 4};
  require_close(run(shap, t5, x5), {11.0 / 2, 8, 19.0 / 2});
  require_close(run(ig, t5, x5), {11.0 / 2, 8, 19.0 / 2});
  require_close(run(occ1, t5, x5), {12, 16, 18});
  const auto h5 = t5.taylor_interactions(x5);  // {empty:1, 1:1, 2:2, 3:3, 12:2, 13:3, 23:6, 123:6}
  const std::vector<double> e5 = {1, 1, 2, 2, 3, 3, 6, 6};
  for (std::size_t m = 0; m < 8; ++m) REQUIRE(std::abs(h5[m] - e5[m]) < tol);
  // T14: x1 x2 with an unused x3 at (2, 3, 7): every (non-mixing) method gives a_3 = 0.
  const Polynomial t14({0, 0, 0}, {{1, {1, 1, 0}}});
  for (const auto& a : {run(shap, t14, {2, 3, 7}), run(ig, t14, {2, 3, 7}), run(gxi, t14, {2, 3, 7}),
                        run(occ1, t14, {2, 3, 7})}) {
    const Tensor<double> at = detail::row_tensor<double>(a);
    REQUIRE(dummy_leak(at.cview(), {2}) == 0);
  }
  // Occlusion-patch with windows {1,2}, {2,3} (theory T2): the dummy x3 of T14 gets 6/2... it leaks.
  const auto occ_patch = [](auto& f, auto& /*g*/, ConstView<double> x, ConstView<double> b) {
    OcclusionOptions<double> o;
    o.baseline = b;
    o.window = Shape{2};
    return occlusion(f, x, 0, o).attribution;
  };
  const auto a14 = run(occ_patch, t14, {2, 3, 7});
  require_close(a14, {6, 6, 6});  // windows {1,2}: 6, {2,3}: 6; x3 is covered by the second
  REQUIRE(std::abs(dummy_leak(detail::row_tensor<double>(a14).cview(), {2}) - 1.0 / 3) < tol);
  // T2 with the same windows: pixels (6, 17/2, 11), sum 51/2 != 11.
  require_close(run(occ_patch, t2, {2, 3, 5}), {6, 17.0 / 2, 11});
}

TEST_CASE("Theory A.7 T6a, T11, T12 on ReLU gates: completeness gaps and distance to Shapley",
          "[faithfulness][oracles]") {
  const Tensor<double> x2 = test::row<double>({1, 1}), x3 = test::row<double>({1, 1, 1});
  SECTION("T6a AND relu(x1 + x2 - 1) at (1,1): Sh = IG = DL-R = DL-RC = a1b0 = (1/2,1/2), GxI = LRP-0 = (1,1)") {
    const auto net = gate({1, 1}, -1);
    const auto sh = shapley_exact(net, x2.cview(), 0).values[0];
    require_close(sh, {0.5, 0.5});
    require_close(rule_attr(net, DeepLift{}, x2), {0.5, 0.5});
    require_close(rule_attr(net, DeepLift(DeepLiftNonlinear::reveal_cancel), x2), {0.5, 0.5});
    require_close(rule_attr(net, LrpAlphaBeta(1, 0), x2), {0.5, 0.5}, 1e-6);
    const auto gx = rule_attr(net, GradientTimesInput{}, x2);
    require_close(gx, {1, 1});
    require_close(rule_attr(net, LrpZ(), x2), {1, 1});  // bias in the denominator: = GxI
    require_close(rule_attr(net, LrpZ(false), x2), {0.5, 0.5});  // without: conservative
    const Tensor<double> a = detail::row_tensor<double>(gx);
    const auto c = completeness_gap(net, a.cview(), x2.cview(), ConstView<double>{});
    REQUIRE(std::abs(c.output_diff - 1) < tol);
    REQUIRE(std::abs(c.relative() - 1) < tol);  // the AND effect counted twice
    REQUIRE(std::abs(relative_l1(gx, sh) - 1) < tol);
  }
  SECTION("T11 AND3 relu(x1 + x2 + x3 - 2): H = {123: 1}, Sh = (1/3,1/3,1/3), GxI = O1 = (1,1,1)") {
    const auto net = gate({1, 1, 1}, -2);
    const auto H = harsanyi_interactions(net, x3, ConstView<double>{}, FeatureGroups{});
    for (std::size_t m = 0; m < 8; ++m) REQUIRE(std::abs(H[m] - (m == 7 ? 1.0 : 0.0)) < tol);
    const auto gx = rule_attr(net, GradientTimesInput{}, x3);
    require_close(gx, {1, 1, 1});
    const auto c = completeness_gap(net, detail::row_tensor<double>(gx).cview(), x3.cview(), ConstView<double>{});
    REQUIRE(std::abs(c.gap() - 2) < tol);  // P3 factor |S| = 3
    const auto o1 = to_vec(occlusion(net, x3.cview(), 0).attribution.cview());
    require_close(o1, {1, 1, 1});
  }
  SECTION("T12 OR 1 - relu(1 - x1 - x2): Sh = (1/2,1/2); GxI = O1 = (0,0) miss the whole Delta f = 1") {
    const auto net = gate({-1, -1}, 1, -1, 1);
    const auto H = harsanyi_interactions(net, x2, ConstView<double>{}, FeatureGroups{});
    require_close(H, {0, 1, 1, -1});
    const auto sh = shapley_exact(net, x2.cview(), 0).values[0];
    require_close(sh, {0.5, 0.5});
    const auto gx = rule_attr(net, GradientTimesInput{}, x2);
    const auto o1 = to_vec(occlusion(net, x2.cview(), 0).attribution.cview());
    require_close(gx, {0, 0});
    require_close(o1, {0, 0});
    for (const auto& a : {gx, o1}) {
      const auto c = completeness_gap(net, detail::row_tensor<double>(a).cview(), x2.cview(), ConstView<double>{});
      REQUIRE(std::abs(c.gap() - 1) < tol);
    }
    const auto c_sh = completeness_gap(net, detail::row_tensor<double>(sh).cview(), x2.cview(), ConstView<double>{});
    REQUIRE(c_sh.gap() < tol);
  }
}

TEST_CASE("Theory A.7 T16: Grad-CAM leaks onto a position the output does not read", "[faithfulness][oracles]") {
  // A = x through a 1x1 convolution (weight 1), then y = 2 A_1 + 0 A_2.
  Network<double> net;
  Conv2d<double> c(1, 1, 1, 1, Conv2dOptions().bias(false));
  c.weight().mutable_view()[0] = 1;
  net.add(c, "conv");
  net.add(Flatten<double>(), "flatten");
  net.add(dense<double>({2, 0}, 2, 1), "head");
  Tensor<double> x(Shape{1, 1, 1, 2});
  x[0] = 1;
  x[1] = 1;
  GradCamOptions o;
  o.relu = false;
  const auto cam = grad_cam(net, x.cview(), 0, 0, o);
  require_close(to_vec(cam.map.cview()), {1, 1});
  REQUIRE(std::abs(dummy_leak(cam.map.cview(), {1}) - 0.5) < tol);
  const auto exact = explain(net, GradientTimesInput{}, x.cview(), 0).attribution;  // (2, 0)
  REQUIRE(dummy_leak(exact.cview(), {1}) == 0);
  x[1] = 3;  // A = (1, 3): Grad-CAM (1, 3), total 4 != y = 2
  const auto cam3 = grad_cam(net, x.cview(), 0, 0, o);
  const auto cg = completeness_gap(net, cam3.map.cview(), x.cview(), ConstView<double>{});
  REQUIRE(std::abs(cg.sum - 4) < tol);
  REQUIRE(std::abs(cg.gap() - 2) < tol);
}

TEST_CASE("Theory A.7 T17: LRP-alpha1beta0 fails the additive split of y = 2 x1 - x2", "[faithfulness][oracles]") {
  Network<double> f, g, h;
  f.add(dense<double>({2, -1}, 2, 1), "y");
  g.add(dense<double>({2, 0}, 2, 1), "y");
  h.add(dense<double>({0, -1}, 2, 1), "y");
  const Tensor<double> x = test::row<double>({1, 1});
  const auto ab = rule_attr(f, LrpAlphaBeta(1, 0), x);
  require_close(ab, {1, 0}, 1e-6);
  const auto leak_ab = additive_leak(detail::row_tensor<double>(ab).cview(),
                                     detail::row_tensor<double>(rule_attr(g, LrpAlphaBeta(1, 0), x)).cview(),
                                     detail::row_tensor<double>(rule_attr(h, LrpAlphaBeta(1, 0), x)).cview(), {0, 1});
  REQUIRE(leak_ab > 0.4);  // (1, 0) against (2, 0): 1/2
  const auto z = rule_attr(f, LrpZ(false), x);
  require_close(z, {2, -1});
  const auto leak_z = additive_leak(detail::row_tensor<double>(z).cview(),
                                    detail::row_tensor<double>(rule_attr(g, LrpZ(false), x)).cview(),
                                    detail::row_tensor<double>(rule_attr(h, LrpZ(false), x)).cview(), {0, 1});
  REQUIRE(leak_z < tol);
}

TEST_CASE("Dummy input leak on random ReLU networks", "[faithfulness][leak]") {
  const std::vector<int> part = {0, 0, -1, 1, 1};
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    AdditiveModelOptions o;
    o.seed = seed;
    o.hidden = 5;
    o.opposite_signs = false;
    const auto m = additive_relu_models<double>(part, o);
    Tensor<double> x(Shape{1, 5});
    Random rng(seed + 100);
    for (Index i = 0; i < 5; ++i) x[i] = rng.uniform(-2, 2);
    INFO("seed " << seed);
    const auto leak = [&](const std::vector<double>& a) { return dummy_leak(detail::row_tensor<double>(a).cview(), {2}); };
    REQUIRE(leak(rule_attr(m.f, GradientTimesInput{}, x)) == 0);
    REQUIRE(leak(rule_attr(m.f, LrpZ(), x)) == 0);
    REQUIRE(leak(rule_attr(m.f, DeepLift{}, x)) == 0);
    REQUIRE(leak(rule_attr(m.f, DeepLift(DeepLiftNonlinear::reveal_cancel), x)) == 0);
    REQUIRE(leak(to_vec(integrated_gradients(m.f, x.cview(), 0).attribution.cview())) == 0);
    REQUIRE(leak(shapley_exact(m.f, x.cview(), 0).values[0]) < 1e-15);
    REQUIRE(leak(to_vec(occlusion(m.f, x.cview(), 0).attribution.cview())) == 0);
    // Occlusion with windows of 2 (stride 1): x3 shares windows with x2 and x4.
    OcclusionOptions<double> op;
    op.window = Shape{2};
    const double patch = leak(to_vec(occlusion(m.f, x.cview(), 0, op).attribution.cview()));
    const auto o1 = to_vec(occlusion(m.f, x.cview(), 0).attribution.cview());
    if (std::abs(o1[1]) + std::abs(o1[3]) > 1e-9) REQUIRE(patch > 0);
  }
}

TEST_CASE("Additive branches: IG, Shapley, GxI, LRP-0, DeepLIFT split f = g + h, alpha1beta0 does not when g > 0 > h",
          "[faithfulness][leak]") {
  const std::vector<int> part = {0, 0, 1, 1, -1};
  for (BranchJoin join : {BranchJoin::dense, BranchJoin::add}) {
    for (std::uint64_t seed = 1; seed <= 4; ++seed) {
      AdditiveModelOptions o;
      o.seed = seed;
      o.join = join;
      const auto m = additive_relu_models<double>(part, o);
      Tensor<double> x(Shape{1, 5});
      Random rng(seed + 50);
      for (Index i = 0; i < 5; ++i) x[i] = rng.uniform(0.2, 2);
      // g > 0 > h by construction
      auto fg = model_function(m.g);
      auto fh = model_function(m.h);
      const double gv = fg(x.cview()).at(0, 0), hv = fh(x.cview()).at(0, 0);
      REQUIRE(gv > 0);
      REQUIRE(hv < 0);
      INFO("join " << int(join) << " seed " << seed);
      const auto split = [&](auto&& attr) {
        const auto af = attr(m.f), ag = attr(m.g), ah = attr(m.h);
        return additive_leak(detail::row_tensor<double>(af).cview(), detail::row_tensor<double>(ag).cview(),
                             detail::row_tensor<double>(ah).cview(), part);
      };
      REQUIRE(split([&](const Network<double>& n) { return rule_attr(n, GradientTimesInput{}, x); }) < 1e-12);
      REQUIRE(split([&](const Network<double>& n) { return rule_attr(n, LrpZ(), x); }) < 1e-12);
      REQUIRE(split([&](const Network<double>& n) { return rule_attr(n, DeepLift{}, x); }) < 1e-12);
      REQUIRE(split([&](const Network<double>& n) {
                return to_vec(integrated_gradients(n, x.cview(), 0).attribution.cview());
              }) < 1e-12);
      REQUIRE(split([&](const Network<double>& n) { return shapley_exact(n, x.cview(), 0).values[0]; }) < 1e-12);
      const double ab = split([&](const Network<double>& n) { return rule_attr(n, LrpAlphaBeta(1, 0), x); });
      if (join == BranchJoin::dense) {
        // the final Dense [1, 1] gives all of f to the positive branch g: leak = |h / g| on A, B gets 0
        // (alpha1beta0 on h alone returns 0: no positive contribution anywhere)
        REQUIRE(std::abs(ab - std::abs(hv / gv)) < 1e-4);
        REQUIRE(ab > 0.01);
      } else {
        REQUIRE(ab < 1e-4);  // the Add node splits in proportion to g and h (up to the stabiliser 1e-6)
      }
    }
  }
}

TEST_CASE("FaithfulnessReport: markdown and csv", "[faithfulness][report]") {
  FaithfulnessReport r;
  r.section("poly", "a polynomial");
  r.set("poly", "IG", "U", 0);
  r.set("poly", "IG", "C", 0.5);
  r.set("poly", "GxI", "C", 22.0 / 19);
  r.note("poly", "GxI", "b = 0");
  r.set("poly", "|S| = 2", "C", 1);
  const std::string md = r.to_markdown();
  REQUIRE(md.find("### poly") != std::string::npos);
  REQUIRE(md.find("| method | U | C | note |") != std::string::npos);
  REQUIRE(md.find("| IG | 0 | 0.500 |  |") != std::string::npos);
  REQUIRE(md.find("| GxI | n/a | 1.158 | b = 0 |") != std::string::npos);
  REQUIRE(md.find("| \\|S\\| = 2 | n/a | 1.000 |  |") != std::string::npos);  // pipes escaped
  const std::string csv = r.to_csv();
  REQUIRE(csv.find("model,method,criterion,value\npoly,IG,U,0\npoly,IG,C,0.5\npoly,GxI,C,1.15789474") == 0);
  REQUIRE(std::isnan(r.get("poly", "GxI", "U")));
  REQUIRE(r.get("poly", "IG", "C") == 0.5);
  REQUIRE_THROWS_WITH(r.set("", "a", "b", 1), Catch::Contains("attrib.arg.910"));
}

TEST_CASE("faithfulness: errors", "[faithfulness][errors]") {
  REQUIRE_THROWS_WITH(Polynomial({0, 0}, {{1, {1}}}), Catch::Contains("attrib.shape.901") && Catch::Contains("term 0"));
  REQUIRE_THROWS_WITH(Polynomial({0, 0}, {{1, {1, -1}}}), Catch::Contains("attrib.param.900"));
  REQUIRE_THROWS_WITH(Polynomial({}, {}), Catch::Contains("attrib.shape.900"));
  REQUIRE_THROWS_WITH(Polynomial({std::nan("")}, {}), Catch::Contains("attrib.arg.900"));
  const Polynomial p = mixed();
  REQUIRE_THROWS_WITH(p(test::row<double>({1, 2}).cview()), Catch::Contains("attrib.shape.902") && Catch::Contains("[N, 4]"));
  REQUIRE_THROWS_WITH(p.gradient_function()(test::row<double>({1, 2, 3, 4}).cview(), Targets(1)),
                      Catch::Contains("attrib.arg.901"));
  REQUIRE_THROWS_WITH(p.taylor_interactions({1, 2}), Catch::Contains("attrib.shape.903"));
  const Polynomial big(std::vector<double>(17, 0.0), {});
  REQUIRE_THROWS_WITH(big.taylor_interactions(std::vector<double>(17, 1.0)), Catch::Contains("attrib.param.734"));
  REQUIRE_THROWS_WITH(harsanyi_interactions(big, detail::row_tensor<double>(std::vector<double>(17, 1.0)),
                                            ConstView<double>{}, FeatureGroups{}),
                      Catch::Contains("attrib.param.734"));
  REQUIRE_THROWS_WITH(probe_weights(ig, {0, 0}, {1, 1}, {0, 2}), Catch::Contains("attrib.arg.902"));
  REQUIRE_THROWS_WITH(probe_weights(ig, {0, 0}, {0, 0}, {1, 2}), Catch::Contains("attrib.arg.902"));
  const auto wrong_size = [](auto&, auto&, ConstView<double>, ConstView<double>) { return std::vector<double>{1}; };
  REQUIRE_THROWS_WITH(taylor_allocation(wrong_size, p, mixed_x), Catch::Contains("attrib.shape.904"));
  ProbeOptions po;
  po.zero_tolerance = -1;
  REQUIRE_THROWS_WITH(taylor_allocation(ig, p, mixed_x, po), Catch::Contains("attrib.param.901"));
  const Tensor<double> a = test::row<double>({1, 2, 3});
  REQUIRE_THROWS_WITH(dummy_leak(a.cview(), {3}), Catch::Contains("attrib.arg.904"));
  REQUIRE_THROWS_WITH(additive_leak(a.cview(), a.cview(), test::row<double>({1, 2}).cview(), {0, 1, 1}),
                      Catch::Contains("attrib.shape.906"));
  REQUIRE_THROWS_WITH(additive_leak(a.cview(), a.cview(), a.cview(), {0, 2, 1}), Catch::Contains("attrib.arg.905"));
  REQUIRE_THROWS_WITH(relative_l1({1, 2}, {1}), Catch::Contains("attrib.shape.908"));
  REQUIRE_THROWS_WITH(additive_relu_models<double>({0, 0, -1}), Catch::Contains("attrib.arg.906"));
  AdditiveModelOptions o;
  o.hidden = 0;
  REQUIRE_THROWS_WITH(additive_relu_models<double>({0, 1}, o), Catch::Contains("attrib.param.902"));
  const auto net = gate({1, 1}, -1);
  REQUIRE_THROWS_WITH(completeness_gap(net, test::row<double>({1, 2, 3}).cview(), test::row<double>({1, 1}).cview(),
                                       ConstView<double>{}),
                      Catch::Contains("attrib.shape.907"));
}
