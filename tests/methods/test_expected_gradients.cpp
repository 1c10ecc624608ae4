// Expected Gradients: closed forms (theory A.4 (5), A.6b) by Monte Carlo within 4 standard
// errors, completeness w.r.t. the data-set mean, linear exactness, determinism, errors.
#include "support/support.hpp"
#include "support/hand_layers.hpp"
#include "methods/poly.hpp"
#include "attrib/attrib.hpp"
#include "attrib/methods/expected_gradients.hpp"

using namespace attrib;
using namespace attrib::test;

namespace {
template <class T>
void within(const ExpectedGradientsResult<T>& r, const std::vector<double>& exact, double k) {
  for (std::size_t i = 0; i < exact.size(); ++i) {
    const double e = double(r.attribution[Index(i)]), se = double(r.standard_error[Index(i)]);
    INFO("element " << i << ": " << e << " vs exact " << exact[i] << ", standard error " << se);
    REQUIRE(se > 0);
    REQUIRE(std::abs(e - exact[i]) <= k * se);
  }
}
}  // namespace

TEMPLATE_TEST_CASE("expected_gradients: one baseline = IG in expectation (T3: (8, 4))", "[methods][eg]", float, double) {
  using T = TestType;
  auto p = t3<T>();
  auto x = row<T>({2, 3});
  Tensor<T> data(Shape{1, 2});
  data.set_zero();
  ExpectedGradientsOptions<T> o;
  o.baselines = data;
  o.samples = 4000;
  o.seed = 5;
  auto r = expected_gradients(p, p.grad(), x, 0, o);
  within(r, {8, 4}, 4);
  REQUIRE(std::abs(r.output_diff[0] - 12) < 1e-5);
}

TEST_CASE("expected_gradients: T1 over a three-point data set, completeness to the data-set mean", "[methods][eg]") {
  // IG_1(b) = (x1 - b1)(x2 + b2)/2, IG_2(b) = (x2 - b2)(x1 + b1)/2 at x = (2,3):
  // b = (0,0): (3, 3); (1,1): (2, 3); (-1,2): (7.5, 0.5); mean (25/6, 13/6).
  // f(x) - mean f(b) = 6 - (0 + 1 - 2)/3 = 19/3 = 25/6 + 13/6.
  auto p = t1<double>();
  auto x = row<double>({2, 3});
  Tensor<double> data(Shape{3, 2}, {0, 0, 1, 1, -1, 2});
  ExpectedGradientsOptions<double> o;
  o.baselines = data;
  o.samples = 20000;
  o.batch_size = 1000;
  int in2 = 0;
  for (std::uint64_t seed = 1; seed <= 10; ++seed) {
    o.seed = seed;
    auto r = expected_gradients(p, p.grad(), x, 0, o);
    within(r, {25.0 / 6, 13.0 / 6}, 4);
    for (Index j = 0; j < 2; ++j)
      in2 += std::abs(r.attribution[j] - (j == 0 ? 25.0 / 6 : 13.0 / 6)) <= 2 * r.standard_error[j];
    REQUIRE(std::abs(r.output_diff[0] - 19.0 / 3) < 1e-14);
    REQUIRE(std::abs(r.delta[0]) < 4 * (r.standard_error[0] + r.standard_error[1]));
  }
  REQUIRE(in2 >= 15);  // ~95 % of 20 expected
}

TEST_CASE("expected_gradients: linear network with one baseline is exact, batch size does not matter", "[methods][eg]") {
  Network<double> net;
  net.add(make_dense<double>({2, -3, 0.5, 1, 1, 1}, 3, 2, {7, 0}), "fc");
  Tensor<double> x(Shape{2, 3}, {1, 2, -1, 0.5, -4, 3});
  Tensor<double> data(Shape{1, 3}, {0.25, -1, 2});
  ExpectedGradientsOptions<double> o;
  o.baselines = data;
  o.samples = 7;
  o.batch_size = 3;
  auto r = expected_gradients(net, x.cview(), Targets{0, 1}, o);
  const double w[2][3] = {{2, -3, 0.5}, {1, 1, 1}};
  for (Index i = 0; i < 2; ++i) {
    for (Index j = 0; j < 3; ++j) {
      REQUIRE(std::abs(r.attribution.at(i, j) - w[i][j] * (x.at(i, j) - data[j])) < 1e-13);
      REQUIRE(r.standard_error.at(i, j) < 1e-13);
    }
    REQUIRE(std::abs(r.delta[std::size_t(i)]) < 1e-12);
  }
  // Random ReLU network: same seed, different batch size -> identical result.
  Network<double> net2;
  Dense<double> d1(3, 5), d2(5, 2);
  fill_random(d1.weight().mutable_view(), 1);
  fill_random(d2.weight().mutable_view(), 2);
  net2.add(d1, "fc1");
  net2.add(ReLU<double>(), "relu");
  net2.add(d2, "fc2");
  auto data2 = random_tensor<double>(Shape{6, 3}, 3);
  o.baselines = data2;
  o.samples = 11;
  auto a = expected_gradients(net2, x.cview(), 1, o);
  o.batch_size = 64;
  auto b = expected_gradients(net2, x.cview(), 1, o);
  REQUIRE(a.attribution.vec() == b.attribution.vec());
}

TEST_CASE("expected_gradients: errors", "[methods][eg]") {
  auto p = t1<double>();
  auto x = row<double>({2, 3});
  ExpectedGradientsOptions<double> o;
  REQUIRE_THROWS_WITH(expected_gradients(p, p.grad(), x, 0, o), Catch::Contains("attrib.shape.740"));
  Tensor<double> bad(Shape{4, 3});
  bad.set_zero();
  o.baselines = bad;
  REQUIRE_THROWS_WITH(expected_gradients(p, p.grad(), x, 0, o),
                      Catch::Contains("attrib.shape.740") && Catch::Contains("[4, 3]") && Catch::Contains("[1, 2]"));
  Tensor<double> good(Shape{2, 2});
  good.set_zero();
  o.baselines = good;
  o.samples = 1;
  REQUIRE_THROWS_WITH(expected_gradients(p, p.grad(), x, 0, o), Catch::Contains("attrib.param.740"));
}
