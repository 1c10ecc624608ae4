// Integrated Gradients: theory A.7 oracles (T1, T3, T4, T5, T6a), quadrature orders, linear
// models exact, batching / targets / progress, errors.
#include "support/support.hpp"
#include "support/hand_layers.hpp"
#include "methods/poly.hpp"
#include "attrib/attrib.hpp"
#include "attrib/methods/integrated_gradients.hpp"

using namespace attrib;
using namespace attrib::test;

TEST_CASE("gauss_legendre: nodes/weights integrate polynomials of degree 2m-1 exactly", "[methods][ig]") {
  for (Index m : {1, 2, 3, 5, 8, 17, 64}) {
    std::vector<double> t, w;
    gauss_legendre(m, t, w);
    REQUIRE(Index(t.size()) == m);
    for (std::size_t k = 1; k < t.size(); ++k) REQUIRE(t[k] > t[k - 1]);
    for (int deg = 0; deg <= 2 * m - 1 && deg < 40; ++deg) {
      double s = 0;
      for (std::size_t k = 0; k < t.size(); ++k) s += w[k] * std::pow(t[k], deg);
      const double exact = deg % 2 ? 0.0 : 2.0 / (deg + 1);
      INFO("m = " << m << " degree " << deg);
      REQUIRE(std::abs(s - exact) < 1e-13);
    }
  }
  // m = 2: nodes +-1/sqrt(3), weights 1 (the classical values, derived by hand).
  std::vector<double> t, w;
  gauss_legendre(2, t, w);
  REQUIRE(std::abs(t[1] - 1 / std::sqrt(3.0)) < 1e-15);
  REQUIRE(std::abs(w[0] - 1) < 1e-14);
}

TEMPLATE_TEST_CASE("integrated_gradients: theory A.7 oracles on polynomials", "[methods][ig]", float, double) {
  using T = TestType;
  const double tol = std::is_same_v<T, float> ? 2e-6 : 1e-12;
  IntegratedGradientsOptions<T> o;
  o.rule = Quadrature::gauss_legendre;
  o.steps = 4;  // gradient degree <= 2 along the path: exact
  SECTION("T1 x1 x2 at (2,3): (3,3)") {
    auto p = t1<T>();
    auto x = row<T>({2, 3});
    auto r = integrated_gradients(p, p.grad(), x, 0, o);
    require_values(r.attribution, {3, 3}, tol);
    REQUIRE(std::abs(r.delta[0]) < 10 * tol);
    REQUIRE(std::abs(r.output_diff[0] - 6) < tol * 10);
  }
  SECTION("T3 x1^2 x2 at (2,3): (8,4), not Shapley's (6,6)") {
    auto p = t3<T>();
    auto x = row<T>({2, 3});
    auto r = integrated_gradients(p, p.grad(), x, 0, o);
    require_values(r.attribution, {8, 4}, tol);
    REQUIRE(std::abs(r.delta[0]) < 20 * tol);
  }
  SECTION("T4 x1^3 at 2: 8") {
    auto p = t4<T>();
    auto x = row<T>({2});
    auto r = integrated_gradients(p, p.grad(), x, 0, o);
    require_values(r.attribution, {8}, tol);
  }
  SECTION("T5 x1 x2 x3, b = (1,1,1), x = (2,3,4): (11/2, 8, 19/2), delta 0") {
    auto p = t5<T>();
    auto x = row<T>({2, 3, 4});
    auto b = row<T>({1, 1, 1});
    o.baseline = b;
    auto r = integrated_gradients(p, p.grad(), x, 0, o);
    require_values(r.attribution, {5.5, 8, 9.5}, tol);
    REQUIRE(std::abs(r.output_diff[0] - 23) < 30 * tol);
    REQUIRE(std::abs(r.delta[0]) < 30 * tol);
  }
  SECTION("T14 dummy x3 gets exactly 0") {
    auto p = t14<T>();
    auto x = row<T>({2, 3, 7});
    auto r = integrated_gradients(p, p.grad(), x, 0, o);
    require_values(r.attribution, {3, 3, 0}, tol);
    REQUIRE(r.attribution[2] == T(0));
  }
}

TEMPLATE_TEST_CASE("integrated_gradients: T6a single ReLU neuron on a Network = (1/2, 1/2)", "[methods][ig]", float,
                   double) {
  using T = TestType;
  Network<T> net;
  net.add(make_dense<T>({1, 1}, 2, 1, {-1}), "fc");
  net.add(ReLU<T>(), "relu");
  auto x = row<T>({1, 1});
  IntegratedGradientsOptions<T> o;
  o.rule = Quadrature::midpoint;
  o.steps = 64;  // even m: no node on the kink alpha = 1/2; exactly m/2 nodes beyond it
  o.batch_size = 10;
  auto r = integrated_gradients(net, x.cview(), 0, o);
  require_values(r.attribution, {0.5, 0.5}, std::is_same_v<T, float> ? 1e-6 : 1e-12);
  REQUIRE(std::abs(r.delta[0]) < 1e-6);
  // Riemann-left with m = 63: 31 of 63 nodes lie beyond the kink, an O(1/m) error.
  o.rule = Quadrature::left;
  o.steps = 63;
  auto l = integrated_gradients(net, x.cview(), 0, o);
  REQUIRE(std::abs(double(l.attribution[0]) - 0.5) > 1e-4);
  REQUIRE(std::abs(double(l.attribution[0]) - 0.5) < 1.0 / 63);
}

TEST_CASE("integrated_gradients: exact on linear models for every quadrature and any m", "[methods][ig]") {
  // f = 2 x1 - 3 x2 + 0.5 x3 + 7 as a Dense network with a second, non-target output.
  Network<double> net;
  net.add(make_dense<double>({2, -3, 0.5, 1, 1, 1}, 3, 2, {7, 0}), "fc");
  Tensor<double> x(Shape{2, 3}, {1, 2, -1, 0.5, -4, 3});
  Tensor<double> b(Shape{1, 3}, {0.25, -1, 2});
  for (Quadrature q : {Quadrature::left, Quadrature::right, Quadrature::midpoint, Quadrature::trapezoid,
                       Quadrature::gauss_legendre})
    for (Index m : {1, 3, 10}) {
      INFO(quadrature_name(q) << " m = " << m);
      IntegratedGradientsOptions<double> o;
      o.rule = q;
      o.steps = m;
      o.baseline = b;
      auto r = integrated_gradients(net, x.cview(), 0, o);
      const double w[3] = {2, -3, 0.5};
      for (Index i = 0; i < 2; ++i)
        for (Index j = 0; j < 3; ++j) REQUIRE(std::abs(r.attribution.at(i, j) - w[j] * (x.at(i, j) - b[j])) < 1e-13);
      for (double dl : r.delta) REQUIRE(std::abs(dl) < 1e-12);
    }
}

TEST_CASE("integrated_gradients: the delta shrinks at the documented order on a smooth function", "[methods][ig]") {
  auto p = smooth<double>();
  auto x = row<double>({1.5, 2.0, -1.2});
  auto b = row<double>({-0.5, 0.3, 0.4});
  auto delta = [&](Quadrature q, Index m) {
    IntegratedGradientsOptions<double> o;
    o.rule = q;
    o.steps = m;
    o.baseline = b;
    return std::abs(integrated_gradients(p, p.grad(), x, 0, o).delta[0]);
  };
  // Observed order log2(delta(m) / delta(2m)).
  auto order = [&](Quadrature q, Index m) { return std::log2(delta(q, m) / delta(q, 2 * m)); };
  for (Quadrature q : {Quadrature::left, Quadrature::right}) {
    INFO(quadrature_name(q));
    const double k = order(q, 64);
    CHECK(k > 0.9);
    CHECK(k < 1.1);
  }
  for (Quadrature q : {Quadrature::midpoint, Quadrature::trapezoid}) {
    INFO(quadrature_name(q));
    const double k = order(q, 64);
    CHECK(k > 1.9);
    CHECK(k < 2.1);
  }
  // Gauss-Legendre: already at rounding level with few nodes, far below midpoint.
  CHECK(delta(Quadrature::gauss_legendre, 8) < 1e-8);
  CHECK(delta(Quadrature::gauss_legendre, 16) < 1e-13);
  CHECK(delta(Quadrature::gauss_legendre, 4) < delta(Quadrature::midpoint, 64));
}

TEST_CASE("integrated_gradients: batch = per item, per-item targets, batching and progress", "[methods][ig]") {
  Network<double> net;
  net.add(make_dense<double>({1, -2, 0.5, 0.3, 1, 1, -1, 0.2, 0.7, -0.4, 2, 1}, 4, 3, {0.1, -0.2, 0.3}), "fc1");
  net.add(ReLU<double>(), "relu");
  net.add(make_dense<double>({1, 2, -1, 0.5, -1, 1, 2, 1, 0.3}, 3, 3), "fc2");
  Tensor<double> x(Shape{3, 4}, {1, 2, -1, 0.5, 0.2, -0.3, 1.5, 2, -1, 1, 1, -2});
  IntegratedGradientsOptions<double> o;
  o.steps = 16;
  o.batch_size = 7;  // chunks cross item boundaries
  std::vector<Index> seen;
  o.progress = [&](Index done, Index total) {
    seen.push_back(done);
    REQUIRE(total == 3 * 16 + 6);
  };
  auto all = integrated_gradients(net, x.cview(), Targets{2, 0, 1}, o);
  REQUIRE(seen.back() == 3 * 16 + 6);
  REQUIRE(std::is_sorted(seen.begin(), seen.end()));
  for (Index i = 0; i < 3; ++i) {
    o.batch_size = 64;
    o.progress = nullptr;
    Tensor<double> xi = Tensor<double>::copy_of(x.view().slice(i, 1));
    auto one = integrated_gradients(net, xi.cview(), Index(std::vector<Index>{2, 0, 1}[std::size_t(i)]), o);
    for (Index j = 0; j < 4; ++j) REQUIRE(std::abs(one.attribution[j] - all.attribution.at(i, j)) < 1e-14);
    REQUIRE(std::abs(one.delta[0] - all.delta[std::size_t(i)]) < 1e-14);
  }
}

TEST_CASE("integrated_gradients: errors", "[methods][ig]") {
  auto p = t1<double>();
  auto x = row<double>({2, 3});
  IntegratedGradientsOptions<double> o;
  o.steps = 0;
  REQUIRE_THROWS_WITH(integrated_gradients(p, p.grad(), x, 0, o), Catch::Contains("attrib.param.702") && Catch::Contains("steps = 0"));
  o.steps = 4;
  o.batch_size = 0;
  REQUIRE_THROWS_AS(integrated_gradients(p, p.grad(), x, 0, o), ParameterError);
  o.batch_size = 8;
  auto bad = row<double>({1, 2, 3});
  o.baseline = bad;
  REQUIRE_THROWS_WITH(integrated_gradients(p, p.grad(), x, 0, o),
                      Catch::Contains("attrib.shape.701") && Catch::Contains("[1, 3]") && Catch::Contains("[1, 2]"));
  o.baseline = {};
  REQUIRE_THROWS_WITH(integrated_gradients(p, p.grad(), x, 5, o), Catch::Contains("attrib.arg.703") && Catch::Contains("target class 5"));
  REQUIRE_THROWS_WITH(integrated_gradients(p, p.grad(), x, Targets{0, 0}, o), Catch::Contains("attrib.arg.701"));
  x[1] = std::nan("");
  REQUIRE_THROWS_WITH(integrated_gradients(p, p.grad(), x, 0, o), Catch::Contains("attrib.arg.700"));
}

TEST_CASE("integrated_gradients: over another rule = that rule's signal integrated along the path", "[methods][ig]") {
  Network<double> net;
  net.add(make_dense<double>({1, -2, 0.5, 0.3, 1, 1, -1, 0.2, 0.7, -0.4, 2, 1}, 4, 3, {0.1, -0.2, 0.3}), "fc1");
  net.add(ReLU<double>(), "relu");
  net.add(make_dense<double>({1, 2, -1, 0.5, -1, 1, 2, 1, 0.3}, 3, 3), "fc2");
  Tensor<double> x(Shape{1, 4}, {1, 2, -1, 0.5});
  Tensor<double> b(Shape{1, 4}, {0.5, -1, 0.25, 0});
  IntegratedGradientsOptions<double> o;
  o.rule = Quadrature::trapezoid;
  o.steps = 5;
  o.baseline = b;
  auto r = integrated_gradients(net, x.cview(), 1, o, GuidedBackprop{});
  // Independent loop: one explain() per trapezoid node alpha = k/5, weights 1/10, 1/5, ..., 1/10.
  Tensor<double> ref(x.shape());
  ref.set_zero();
  for (int k = 0; k <= 5; ++k) {
    const double a = k / 5.0, w = (k == 0 || k == 5) ? 0.1 : 0.2;
    Tensor<double> xk(x.shape());
    for (Index j = 0; j < 4; ++j) xk[j] = b[j] + a * (x[j] - b[j]);
    auto e = explain(net, GuidedBackprop{}, xk.cview(), 1);
    for (Index j = 0; j < 4; ++j) ref[j] += w * e.attribution[j] * (x[j] - b[j]);
  }
  require_close(r.attribution, ref, 1e-13, 1e-14, "IG over GuidedBackprop");
  auto plain = integrated_gradients(net, x.cview(), 1, o);
  REQUIRE((plain.attribution.vec() - r.attribution.vec()).cwiseAbs().maxCoeff() > 1e-3);  // the rule matters here
}
