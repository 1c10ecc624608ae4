// Hand-computed goldens for every LRP-family rule on one Dense layer, small enough to do by
// hand. Layer: W = [[1, -1], [2, 1]] (rows = output units), b = [0.5, -1], x = [1, 2],
// relevance at the output R = [1, 2] (custom seed). Pre-activations z = W x + b = [-0.5, 3].
#include "support/support.hpp"
#include "attrib/attrib.hpp"
#include "attrib/rules/lrp.hpp"

using namespace attrib;
using namespace attrib::test;

namespace {
template <class T>
Network<T> one_dense() {
  Dense<T> d(2, 2);
  const T w[] = {1, -1, 2, 1}, b[] = {0.5, -1};
  std::copy(w, w + 4, d.weight().mutable_view().data());
  std::copy(b, b + 2, d.bias().mutable_view().data());
  Network<T> net;
  net.add(d, "fc");
  return net;
}
template <class T, class Rule>
Tensor<T> relevance(const Rule& rule, std::vector<T> x = {1, 2}) {
  auto net = one_dense<T>();
  Tensor<T> xin(Shape{1, 2}, std::move(x)), seed(Shape{1, 2}, std::vector<T>{1, 2});
  ExplainOptions<T> opt;
  opt.seed = seed.cview();
  return explain(net, rule, xin.cview(), 0, opt).attribution;
}
template <class T>
void check(const Tensor<T>& r, double r0, double r1, double tol) {
  CHECK(r[0] == Approx(r0).margin(tol));
  CHECK(r[1] == Approx(r1).margin(tol));
}
}  // namespace

TEMPLATE_TEST_CASE("LRP goldens on a 2x2 dense layer", "[rules][lrp][golden]", float, double) {
  const double tol = std::is_same_v<TestType, float> ? 1e-5 : 1e-12;
  // LRP-0: R/z = [1/-0.5, 2/3] = [-2, 2/3]; R_1 = 1*(1*-2 + 2*2/3) = -2/3; R_2 = 2*(-1*-2 + 1*2/3) = 16/3.
  check(relevance<TestType>(LrpZ{}), -2.0 / 3, 16.0 / 3, tol);
  // epsilon 0.1: stab(z) = [-0.6, 3.1]; s = [-5/3, 2/3.1];
  // R_1 = 1*(-5/3 + 2*2/3.1) = -0.376344..., R_2 = 2*(5/3 + 2/3.1) = 4.623655...
  check(relevance<TestType>(LrpEpsilon{0.1}), -5.0 / 3 + 4 / 3.1, 2 * (5.0 / 3 + 2 / 3.1), tol);
  // z+ without bias (x >= 0): z+ = [1*1, 2*1 + 1*2] = [1, 4]; s = [1, 0.5];
  // R_1 = 1*(1*1 + 2*0.5) = 2, R_2 = 2*(0*1 + 1*0.5) = 1 (sum 3 = sum R, conservative).
  check(relevance<TestType>(LrpZPlus{false, 0.0}), 2, 1, tol);
  // Excitation BP: x w+ without bias: identical to z+ here.
  check(relevance<TestType>(ExcitationBackprop{}), 2, 1, tol);
  // alpha2beta1: positive part = 2 * [2, 1] = [4, 2]; negative contributions: unit 1 has
  // x_2 w_12 = -2 (z- = -2), unit 2 none (z- = 0, passes alpha R_2 undiminished);
  // negative part R-_2 = 2 * (-1 * 1/-2) = 1 -> R = [4, 2] - [0, 1] = [4, 1].
  check(relevance<TestType>(LrpAlphaBeta{2, 1, false, 0.0}), 4, 1, tol);
  // alpha1beta0 = z+.
  check(relevance<TestType>(LrpAlphaBeta{1, 0, false, 0.0}), 2, 1, tol);
  // flat: each unit spreads R_j / 2 over its 2 inputs: R_i = 1/2 + 2/2 = 1.5.
  check(relevance<TestType>(LrpFlat{}), 1.5, 1.5, tol);
  // w^2: column sums of w^2: unit 1: 1 + 1 = 2, unit 2: 4 + 1 = 5;
  // R_1 = 1*1/2 + 4*2/5 = 2.1, R_2 = 1*1/2 + 1*2/5 = 0.9.
  check(relevance<TestType>(LrpWSquare{}), 2.1, 0.9, tol);
  // z^B with l = -1, h = 3: unit 1: Wx = -1, l*sum w+ = -1, h*sum w- = -3 -> z = 3;
  // unit 2: Wx = 4, l*sum w+ = -3, h*sum w- = 0 -> z = 7; s = [1/3, 2/7];
  // R_1 = x_1 (s_1 + 2 s_2) - l (s_1 + 2 s_2) - h * 0 = 2 (1/3 + 4/7);
  // R_2 = 2 (-s_1 + s_2) + 1 * s_2 - 3 * (-s_1) = 2 (-1/3 + 2/7) + 2/7 + 1.
  check(relevance<TestType>(LrpZBox{-1, 3, 0.0}), 2 * (1.0 / 3 + 4.0 / 7), 2 * (-1.0 / 3 + 2.0 / 7) + 2.0 / 7 + 1, tol);
  // gamma 0.25 (Zennit generalised): z = [-0.5, 3]. Unit 1 (z <= 0) uses W + g W- on x+:
  // [1, -1.25], bias b + g b- = 0.5 -> z' = 1 - 2.5 + 0.5 = -1, s_1 = -1. Unit 2 (z > 0) uses
  // W + g W+: [2.5, 1.25], bias -1 + g*0 = -1 -> z' = 2.5 + 2.5 - 1 = 4, s_2 = 0.5.
  // R_1 = 1*(1*-1 + 2.5*0.5) = 0.25, R_2 = 2*(-1.25*-1 + 1.25*0.5) = 3.75.
  check(relevance<TestType>(LrpGamma{0.25, true, 0.0}), 0.25, 3.75, tol);
}

TEMPLATE_TEST_CASE("LRP goldens of Zennit's rule options on a 2x2 dense layer", "[rules][lrp][golden]", float, double) {
  const double tol = std::is_same_v<TestType, float> ? 1e-5 : 1e-12;
  // z+ with b+ (Zennit's ZPlus): b+ = [0.5, 0] -> z+ = [1.5, 4], s = [2/3, 0.5];
  // R_1 = 1*(1*2/3 + 2*0.5) = 5/3, R_2 = 2*(0 + 1*0.5) = 1 (the bias absorbs 1/3).
  check(relevance<TestType>(LrpZPlus{true, 0.0}), 5.0 / 3, 1, tol);
  // alpha2beta1 with b+ / b-: positive part 2 * [5/3, 1]; z- = x+ W- + b- = [-2, -1],
  // s- = [-0.5, -2]; R-_1 = 1*(0*-0.5 + 0*-2) = 0, R-_2 = 2*(-1*-0.5 + 0) = 1 -> [10/3, 1].
  check(relevance<TestType>(LrpAlphaBeta{2, 1, true, 0.0}), 10.0 / 3, 1, tol);
  // Flat with stabiliser 0.1: R_i = 1/2.1 + 2/2.1.
  check(relevance<TestType>(LrpFlat{0.1}), 3 / 2.1, 3 / 2.1, tol);
  // w^2 with b^2 (Zennit's WSquare): denominators 2 + 0.25 = 2.25 and 5 + 1 = 6;
  // R_1 = 1/2.25 + 4*2/6, R_2 = 1/2.25 + 1*2/6.
  check(relevance<TestType>(LrpWSquare{true}), 1 / 2.25 + 8.0 / 6, 1 / 2.25 + 2.0 / 6, tol);
  // ... and with stabiliser 0.5 on top: 2.75 and 6.5.
  check(relevance<TestType>(LrpWSquare{true, 0.5}), 1 / 2.75 + 8.0 / 6.5, 1 / 2.75 + 2.0 / 6.5, tol);
}

TEMPLATE_TEST_CASE("MaxPoolRule::epsilon scales winner-take-all by y / stab(y) (Captum)", "[rules][lrp][golden]",
                   float, double) {
  using T = TestType;
  const double tol = std::is_same_v<T, float> ? 1e-6 : 1e-14;
  Network<T> net;
  net.add(MaxPool2d<T>(2), "pool");
  Tensor<T> seed(Shape{1, 1, 1, 1}, T(2));
  ExplainOptions<T> opt;
  opt.seed = seed.cview();
  LrpEpsilon rule(0.5);
  rule.maxpool = MaxPoolRule::epsilon;
  // y = 3 at index 1: R = 3 * 2 / (3 + 0.5) there, 0 elsewhere.
  Tensor<T> x(Shape{1, 1, 2, 2}, std::vector<T>{1, 3, 2, -1});
  auto r = explain(net, rule, x.cview(), 0, opt).attribution;
  CHECK(r[1] == Approx(12.0 / 7).margin(tol));
  CHECK(r[0] == 0);
  CHECK(r[2] == 0);
  CHECK(r[3] == 0);
  // A negative maximum y = -1 is stabilised away from 0: -1 * 2 / (-1 - 0.5) = 4/3.
  Tensor<T> neg(Shape{1, 1, 2, 2}, std::vector<T>{-2, -3, -1, -4});
  CHECK(explain(net, rule, neg.cview(), 0, opt).attribution[2] == Approx(4.0 / 3).margin(tol));
  // eps = 0 is winner-take-all; y = 0 then passes nothing (0/0 := 0).
  rule.eps = 0;
  CHECK(explain(net, rule, x.cview(), 0, opt).attribution[1] == Approx(2).margin(tol));
  Tensor<T> zero(Shape{1, 1, 2, 2}, T(0));
  CHECK(explain(net, rule, zero.cview(), 0, opt).attribution.vec().cwiseAbs().maxCoeff() == 0);
  // MaxPool1d the same: windows [1, 3] and [2, -1], y = [3, 2], R = [2, 1], eps 0.5.
  Network<T> net1;
  net1.add(MaxPool1d<T>(2), "pool");
  Tensor<T> seed1(Shape{1, 1, 2}, std::vector<T>{2, 1});
  opt.seed = seed1.cview();
  rule.eps = 0.5;
  Tensor<T> x1(Shape{1, 1, 4}, std::vector<T>{1, 3, 2, -1});
  auto r1 = explain(net1, rule, x1.cview(), 0, opt).attribution;
  CHECK(r1[0] == 0);
  CHECK(r1[1] == Approx(6 / 3.5).margin(tol));
  CHECK(r1[2] == Approx(2 / 2.5).margin(tol));
  CHECK(r1[3] == 0);
}

TEST_CASE("LRP-epsilon stabilises with the sign of the denominator, sign(0) = +1", "[rules][lrp][edge]") {
  // x = [2, 1]: z = [2 - 1 + 0.5, 4 + 1 - 1] = [1.5, 4]; x = [0.5, 1]: z_1 = 0.5 - 1 + 0.5 = 0.
  // With z_1 = 0 the stabiliser is +eps: s_1 = 1/0.1 = 10, s_2 = 2/(2.5+0.1)... (z_2 = 1 + 1 - 1 = 1 -> 1.1).
  auto r = relevance<double>(LrpEpsilon{0.1}, {0.5, 1});
  const double s1 = 1 / 0.1, s2 = 2 / 1.1;
  check(r, 0.5 * (1 * s1 + 2 * s2), 1 * (-1 * s1 + 1 * s2), 1e-12);
  // LRP-0 at the same point: z_1 = 0 exactly -> unit 1's relevance is dropped (0/0 := 0).
  auto r0 = relevance<double>(LrpZ{}, {0.5, 1});
  const double t2 = 2 / 1.0;
  check(r0, 0.5 * 2 * t2, 1 * 1 * t2, 1e-12);
}

TEST_CASE("LRP rules reject invalid hyper-parameters", "[rules][lrp][errors]") {
  CHECK_THROWS_WITH(LrpAlphaBeta(2, 2), Catch::Contains("[attrib.param.052]") && Catch::Contains("alpha - beta = 1"));
  CHECK_THROWS_AS(LrpAlphaBeta(0.5, -0.5), ParameterError);
  CHECK_THROWS_AS(LrpEpsilon(-1), ParameterError);
  CHECK_THROWS_AS(LrpGamma(-0.1), ParameterError);
  CHECK_THROWS_WITH(LrpFlat(-1e-6), Catch::Contains("[attrib.param.056]"));
  CHECK_THROWS_WITH(LrpWSquare(true, -1), Catch::Contains("[attrib.param.057]"));
  CHECK_THROWS_WITH(LrpZBox(1.0, -1.0), Catch::Contains("low[0] = 1 > high[0] = -1"));
  CHECK(rule_name(LrpAlphaBeta(2, 1)) == "LrpAlpha2Beta1");
}
