// SmoothGrad / SmoothGrad^2 / VarGrad: theory A.4 (3) closed forms by Monte Carlo (within 4
// standard errors, coverage over seeds), linear models exact, over a rule, determinism, errors.
#include "support/support.hpp"
#include "support/hand_layers.hpp"
#include "methods/poly.hpp"
#include "attrib/attrib.hpp"
#include "attrib/methods/smooth_grad.hpp"

using namespace attrib;
using namespace attrib::test;

namespace {
/// Every element within k standard errors of the exact value; returns the count within 2 SE.
template <class T>
int within(const SmoothGradResult<T>& r, const std::vector<double>& exact, double k) {
  int in2 = 0;
  for (std::size_t i = 0; i < exact.size(); ++i) {
    const double e = double(r.attribution[Index(i)]), se = double(r.standard_error[Index(i)]);
    INFO("element " << i << ": " << e << " vs exact " << exact[i] << ", standard error " << se);
    REQUIRE(se > 0);
    REQUIRE(std::abs(e - exact[i]) <= k * se);
    in2 += std::abs(e - exact[i]) <= 2 * se;
  }
  return in2;
}
}  // namespace

TEMPLATE_TEST_CASE("smooth_grad: closed forms T1, T3, T4 (sigma^2 terms) within 4 standard errors", "[methods][smoothgrad]",
                   float, double) {
  using T = TestType;
  SmoothGradOptions<T> o;
  o.samples = 4000;
  o.sigma = 0.7;
  o.batch_size = 500;
  const double s2 = 0.49;
  SECTION("T1 x1 x2 at (2,3): gradient (3, 2) for any sigma") {
    auto p = t1<T>();
    auto x = row<T>({2, 3});
    within(smooth_grad(p.grad(), x, 0, o), {3, 2}, 4);
  }
  SECTION("T3 x1^2 x2 at (2,3): (12, 4 + sigma^2)") {
    auto p = t3<T>();
    auto x = row<T>({2, 3});
    within(smooth_grad(p.grad(), x, 0, o), {12, 4 + s2}, 4);
  }
  SECTION("T4 x1^3 at 2: 12 + 3 sigma^2") {
    auto p = t4<T>();
    auto x = row<T>({2});
    within(smooth_grad(p.grad(), x, 0, o), {12 + 3 * s2}, 4);
  }
}

TEST_CASE("smooth_grad: coverage of the reported standard error over seeds", "[methods][smoothgrad]") {
  // T3 and T4 together (3 elements) for 40 seeds: every estimate within 4 SE, and the share
  // within 2 SE near the normal 95 % (a wrong SE, e.g. forgetting sqrt(n), fails either way).
  auto p3 = t3<double>();
  auto p4 = t4<double>();
  auto x3 = row<double>({2, 3});
  auto x4 = row<double>({2});
  SmoothGradOptions<double> o;
  o.samples = 400;
  o.sigma = 0.5;
  int in2 = 0, total = 0;
  for (std::uint64_t seed = 1; seed <= 40; ++seed) {
    o.seed = seed;
    in2 += within(smooth_grad(p3.grad(), x3, 0, o), {12, 4.25}, 4);
    in2 += within(smooth_grad(p4.grad(), x4, 0, o), {12.75}, 4);
    total += 3;
  }
  const double share = double(in2) / total;
  INFO("share within 2 standard errors: " << share);
  REQUIRE(share > 0.85);
  REQUIRE(share < 0.995);
}

TEST_CASE("smooth_grad: SmoothGrad^2 and VarGrad closed forms on x^3", "[methods][smoothgrad]") {
  // g = 3 (x + e)^2, x = 2, sigma = 0.5:
  //   E[g^2] = 9 E[(x+e)^4] = 9 (x^4 + 6 x^2 s^2 + 3 s^4) = 199.6875
  //   Var g  = 9 Var((x+e)^2) = 9 (4 x^2 s^2 + 2 s^4) = 37.125
  auto p = t4<double>();
  auto x = row<double>({2});
  SmoothGradOptions<double> o;
  o.samples = 20000;
  o.sigma = 0.5;
  o.seed = 7;
  o.aggregate = NoiseAggregate::square;
  within(smooth_grad(p.grad(), x, 0, o), {199.6875}, 4);
  o.aggregate = NoiseAggregate::variance;
  within(smooth_grad(p.grad(), x, 0, o), {37.125}, 4);
}

TEMPLATE_TEST_CASE("smooth_grad: linear model is exact (every sample has the same gradient)", "[methods][smoothgrad]",
                   float, double) {
  using T = TestType;
  Network<T> net;
  net.add(make_dense<T>({2, -3, 0.5, 1, 1, 1}, 3, 2, {7, 0}), "fc");
  Tensor<T> x(Shape{2, 3}, {1, 2, -1, 0.5, -4, 3});
  SmoothGradOptions<T> o;
  o.samples = 13;
  o.batch_size = 5;
  auto r = smooth_grad(net, x.cview(), Targets{0, 1}, o);
  const double w[2][3] = {{2, -3, 0.5}, {1, 1, 1}};
  for (Index i = 0; i < 2; ++i)
    for (Index j = 0; j < 3; ++j) {
      REQUIRE(std::abs(double(r.attribution.at(i, j)) - w[i][j]) < 1e-6);
      REQUIRE(std::abs(double(r.standard_error.at(i, j))) < 1e-6);
    }
  // sigma = noise_level * (max - min) per item: 0.15 * 3 and 0.15 * 7.
  REQUIRE(std::abs(r.sigma[0] - 0.45) < 1e-6);
  REQUIRE(std::abs(r.sigma[1] - 1.05) < 1e-6);
  o.aggregate = NoiseAggregate::variance;
  auto v = smooth_grad(net, x.cview(), Targets{0, 1}, o);
  REQUIRE(v.attribution.vec().cwiseAbs().maxCoeff() < 1e-6);
}

TEST_CASE("smooth_grad: over any rule = mean of that rule on the same noisy copies, deterministic", "[methods][smoothgrad]") {
  Network<double> net;
  net.add(make_dense<double>({1, -2, 0.5, 0.3, 1, 1, -1, 0.2, 0.7, -0.4, 2, 1}, 4, 3, {0.1, -0.2, 0.3}), "fc1");
  net.add(ReLU<double>(), "relu");
  net.add(make_dense<double>({1, 2, -1, 0.5, -1, 1, 2, 1, 0.3}, 3, 3), "fc2");
  Tensor<double> x(Shape{2, 4}, {1, 2, -1, 0.5, 0.2, -0.3, 1.5, 2});
  SmoothGradOptions<double> o;
  o.samples = 9;
  o.seed = 42;
  o.noise_level = 0.2;
  o.batch_size = 4;
  auto r = smooth_grad(net, x.cview(), Targets{2, 0}, o, GradientTimesInput{});
  // Independent reference: the documented noise order (item, sample, element) from
  // attrib::Random(seed), sigma = 0.2 * range, one explain() per noisy copy.
  Random rng(42);
  Tensor<double> ref(x.shape());
  ref.set_zero();
  for (Index i = 0; i < 2; ++i) {
    double lo = 1e9, hi = -1e9;
    for (Index j = 0; j < 4; ++j) { lo = std::min(lo, x.at(i, j)); hi = std::max(hi, x.at(i, j)); }
    const double s = 0.2 * (hi - lo);
    for (Index k = 0; k < 9; ++k) {
      Tensor<double> xn(Shape{1, 4});
      for (Index j = 0; j < 4; ++j) xn[j] = x.at(i, j) + s * rng.normal();
      auto e = explain(net, GradientTimesInput{}, xn.cview(), i == 0 ? 2 : 0);
      for (Index j = 0; j < 4; ++j) ref.at(i, j) += e.attribution[j] / 9;
    }
  }
  require_close(r.attribution, ref, 1e-12, 1e-13, "SmoothGrad over GradientTimesInput");
  // Batch size does not change the result (noise is drawn in row order).
  o.batch_size = 64;
  auto r2 = smooth_grad(net, x.cview(), Targets{2, 0}, o, GradientTimesInput{});
  REQUIRE(r2.attribution.vec() == r.attribution.vec());
  o.seed = 43;
  auto r3 = smooth_grad(net, x.cview(), Targets{2, 0}, o, GradientTimesInput{});
  REQUIRE(!(r3.attribution.vec() == r.attribution.vec()));
}

TEST_CASE("smooth_grad: errors", "[methods][smoothgrad]") {
  auto p = t1<double>();
  auto x = row<double>({2, 3});
  SmoothGradOptions<double> o;
  o.samples = 0;
  REQUIRE_THROWS_WITH(smooth_grad(p.grad(), x, 0, o), Catch::Contains("attrib.param.710") && Catch::Contains("samples = 0"));
  o.samples = 3;
  o.noise_level = -1;
  REQUIRE_THROWS_WITH(smooth_grad(p.grad(), x, 0, o), Catch::Contains("attrib.param.711"));
  o.noise_level = 0.1;
  REQUIRE_THROWS_WITH(smooth_grad(p.grad(), x, Targets{0, 0, 0}, o), Catch::Contains("attrib.arg.701"));
  auto wrong = [](ConstView<double> b, const Targets&) { return Tensor<double>(Shape{b.dim(0), 5}); };
  REQUIRE_THROWS_WITH(smooth_grad(wrong, x, 0, o), Catch::Contains("attrib.shape.703") && Catch::Contains("[3, 5]"));
}
