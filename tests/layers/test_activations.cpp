// The element-wise activations of layers/{activations,rectifiers,prelu}.hpp against closed forms
// written out here in long double, central finite differences, PyTorch's derivative at kinks
// (values printed by torch 1.13 autograd), float vs double, batch vs sample, large |x|, PReLU's
// channel broadcast, and typed errors. tests/layers/test_torch_activations.cpp adds the fixture.
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "support/layer_checks.hpp"
#include "attrib/layers/activations.hpp"
#include "attrib/layers/prelu.hpp"
#include "attrib/layers/rectifiers.hpp"
#include "attrib/layers/relu.hpp"

using namespace attrib;
using namespace attrib::test;

namespace {

using LD = long double;

LD sig(LD x) { return 1 / (1 + std::exp(-x)); }

template <class T>
struct Tag {
  using type = T;
};
// A factory of one activation in any precision: make(Tag<float>{}) -> Softplus<float>(2, 10).
#define ATTRIB_MAKE(...) [](auto tag) { using T = typename decltype(tag)::type; return __VA_ARGS__; }

/// Calls f(make, closed form, kinks) for every activation (non-default parameters where there
/// are any); the closed forms are written independently of the policies.
template <class F>
void for_each_activation(F&& f) {
  using K = std::vector<double>;
  f(ATTRIB_MAKE(Sigmoid<T>()), [](LD x) { return sig(x); }, K{});
  f(ATTRIB_MAKE(Tanh<T>()), [](LD x) { return std::tanh(x); }, K{});
  f(ATTRIB_MAKE(SiLU<T>()), [](LD x) { return x * sig(x); }, K{});
  f(ATTRIB_MAKE(GELU<T>()), [](LD x) { return 0.5L * x * (1 + std::erf(x / std::sqrt(2.0L))); }, K{});
  f(ATTRIB_MAKE(GELU<T>(GeluApproximation::tanh)),
    [](LD x) {
      const LD pi = std::acos(-1.0L);
      return 0.5L * x * (1 + std::tanh(std::sqrt(2 / pi) * (x + 0.044715L * x * x * x)));
    },
    K{});
  f(ATTRIB_MAKE(Softplus<T>()), [](LD x) { return x > 20 ? x : std::log1p(std::exp(x)); }, K{20});
  f(ATTRIB_MAKE(Softplus<T>(T(2), T(10))), [](LD x) { return 2 * x > 10 ? x : std::log1p(std::exp(2 * x)) / 2; },
    K{5});
  f(ATTRIB_MAKE(ELU<T>(T(1.5))), [](LD x) { return x > 0 ? x : 1.5L * (std::exp(x) - 1); }, K{0});
  f(ATTRIB_MAKE(LeakyReLU<T>(T(0.2))), [](LD x) { return x > 0 ? x : 0.2L * x; }, K{0});
  f(ATTRIB_MAKE(ReLU6<T>()), [](LD x) { return x < 0 ? 0 : x > 6 ? 6 : x; }, K{0, 6});
  f(ATTRIB_MAKE(Clip<T>(T(-2), T(3))), [](LD x) { return x < -2 ? -2 : x > 3 ? 3 : x; }, K{-2, 3});
  f(ATTRIB_MAKE(HardSigmoid<T>()), [](LD x) { return x <= -3 ? 0 : x >= 3 ? 1 : x / 6 + 0.5L; }, K{-3, 3});
  f(ATTRIB_MAKE(HardSigmoid<T>(T(0.2), T(0.5))),
    [](LD x) { return x <= -2.5L ? 0 : x >= 2.5L ? 1 : 0.2L * x + 0.5L; }, K{-2.5, 2.5});
  f(ATTRIB_MAKE(HardSwish<T>()), [](LD x) { return x <= -3 ? 0 : x >= 3 ? x : x * (x + 3) / 6; }, K{-3, 3});
  f(ATTRIB_MAKE(PReLU<T>(1, T(-0.3))), [](LD x) { return x > 0 ? x : -0.3L * x; }, K{0});
}
#undef ATTRIB_MAKE

/// x uniform in [lo, hi], moved at least `gap` away from every kink.
Tensor<double> away_from_kinks(const Shape& s, unsigned seed, const std::vector<double>& kinks, double gap,
                               double lo = -6, double hi = 6) {
  auto x = random_tensor<double>(s, seed, lo, hi);
  for (Index i = 0; i < x.size(); ++i)
    for (double k : kinks)
      if (std::abs(x[i] - k) < gap) x[i] = k + (x[i] < k ? -gap : gap);
  return x;
}

template <class L>
Tensor<double> derivative_of(const L& layer, const Tensor<double>& x) {
  Tensor<double> d(x.shape());
  layer.derivative(x, d);
  return d;
}

}  // namespace

TEST_CASE("Activations match their closed forms", "[layers][activations]") {
  for_each_activation([](auto make, auto f, const std::vector<double>& kinks) {
    const auto layer = make(Tag<double>{});
    INFO(layer.kind);
    auto x = away_from_kinks(Shape{3, 4, 5}, 1, kinks, 1e-9, -8, 8);
    Tensor<double> y = run_forward(layer, x), expected(x.shape());
    for (Index i = 0; i < x.size(); ++i) expected[i] = double(f(LD(x[i])));
    require_close(y, expected, 1e-14, 1e-15, std::string(layer.kind) + " vs closed form");
  });
}

TEST_CASE("Activation backward matches central finite differences away from kinks", "[layers][activations]") {
  for_each_activation([](auto make, auto, const std::vector<double>& kinks) {
    const auto layer = make(Tag<double>{});
    INFO(layer.kind);
    check_backward_fd(layer, away_from_kinks(Shape{2, 3, 4, 5}, 2, kinks, 1e-3), 3, 1e-7);
    // derivative() is backward with a cotangent of ones
    auto x = away_from_kinks(Shape{2, 5}, 4, kinks, 1e-3);
    Tensor<double> ones(x.shape(), 1.0), gx(x.shape());
    Workspace<double> ws;
    layer.backward(x, ones, gx, ws);
    require_close(derivative_of(layer, x), gx, 0, 0, "derivative() vs backward()");
  });
}

TEST_CASE("Derivatives at kinks are PyTorch's", "[layers][activations][kinks]") {
  // torch 1.13, float64, autograd of each function at exactly these points (the scalar kernel,
  // which is also the CUDA one; for hardswish at x = 3 PyTorch's vectorised CPU kernel returns 1).
  struct Case {
    double x, dy;
  };
  auto check = [](const auto& layer, std::initializer_list<Case> cases) {
    for (const Case& c : cases) {
      INFO(layer.kind << " at x = " << c.x);
      Tensor<double> x(Shape{1}, std::vector<double>{c.x});
      CHECK(derivative_of(layer, x)[0] == Approx(c.dy).margin(1e-15));
    }
  };
  check(ReLU6<double>(), {{0, 0}, {6, 0}, {-1e-300, 0}, {5.9, 1}});
  check(Clip<double>(0, 6), {{0, 1}, {6, 1}, {7, 0}});
  check(Clip<double>(-2, 2), {{-2, 1}, {2, 1}, {3, 0}});
  check(LeakyReLU<double>(0.1), {{0, 0.1}, {-0.0, 0.1}, {1, 1}});
  check(ELU<double>(1.5), {{0, 1.5}, {-0.0, 1.5}, {1, 1}, {-1, 1.5 * std::exp(-1.0)}});
  check(HardSwish<double>(), {{-3, -0.5}, {3, 1.5}, {0, 0.5}, {-3.1, 0}, {3.1, 1}});
  check(HardSigmoid<double>(), {{-3, 0}, {3, 0}, {0, 1.0 / 6}, {2.9, 1.0 / 6}});
  check(HardSigmoid<double>(0.2, 0.5), {{-2.5, 0}, {2.5, 0}, {0, 0.2}});
  check(PReLU<double>(1, 0.25), {{0, 0.25}, {-1, 0.25}, {1, 1}});
  check(Softplus<double>(2, 10), {{5, double(sig(10))}, {5.1, 1}, {0, 0.5}});
  check(GELU<double>(), {{0, 0.5}});
  check(GELU<double>(GeluApproximation::tanh), {{0, 0.5}, {10, 1}});
  check(SiLU<double>(), {{0, 0.5}});
}

TEST_CASE("Activations in float agree with double, including at kinks", "[layers][activations]") {
  for_each_activation([](auto make, auto, const std::vector<double>& kinks) {
    const auto ld = make(Tag<double>{});
    const auto lf = make(Tag<float>{});
    INFO(ld.kind);
    auto x = random_tensor<double>(Shape{2, 3, 4, 5}, 5, -8, 8);
    for (std::size_t k = 0; k < kinks.size(); ++k) x[Index(k)] = kinks[k];  // exact in float too
    const Tensor<float> xf = cast<float>(x);
    const Tensor<double> xd = cast<double>(xf);  // the same points in both precisions
    Tensor<float> yf(x.shape()), gf(x.shape());
    Tensor<double> yd(x.shape()), gd(x.shape());
    const auto gy = random_tensor<double>(x.shape(), 6);
    Workspace<float> wsf;
    Workspace<double> wsd;
    lf.forward(xf, yf, wsf);
    ld.forward(xd, yd, wsd);
    lf.backward(xf, cast<float>(gy), gf, wsf);
    ld.backward(xd, gy, gd, wsd);
    require_close(yf, yd, 1e-6, 1e-6, "forward float vs double");
    require_close(gf, gd, 1e-5, 1e-6, "backward float vs double");
  });
}

TEST_CASE("Activations of a batch equal those of each sample", "[layers][activations]") {
  for_each_activation([](auto make, auto, const std::vector<double>&) {
    const auto layer = make(Tag<double>{});
    INFO(layer.kind);
    check_batch_equals_samples(layer, random_tensor<double>(Shape{3, 2, 3, 4}, 7, -8, 8));
  });
  PReLU<double> prelu(2);
  fill_random(prelu.weight().mutable_view(), 8);
  check_batch_equals_samples(prelu, random_tensor<double>(Shape{3, 2, 3, 4}, 9));
}

TEMPLATE_TEST_CASE("Activations stay finite and exact for large |x|", "[layers][activations][stability]", float,
                   double) {
  using T = TestType;
  const T big = std::numeric_limits<T>::max() / 4;
  for_each_activation([&](auto make, auto f, const std::vector<double>&) {
    const auto layer = make(Tag<T>{});
    INFO(layer.kind);
    Tensor<T> x(Shape{1, 6}, std::vector<T>{T(-1000), T(1000), T(-88.8), T(88.8), -big, big});
    Tensor<T> y(x.shape()), d(x.shape());
    Workspace<T> ws;
    layer.forward(x, y, ws);
    layer.derivative(x, d);
    for (Index i = 0; i < x.size(); ++i) {
      INFO("x = " << x[i] << ": f = " << y[i] << ", f' = " << d[i]);
      REQUIRE(std::isfinite(y[i]));
      REQUIRE(std::isfinite(d[i]));
      const LD expected = f(LD(x[i]));
      if (std::abs(x[i]) <= 1000) CHECK(double(y[i]) == Approx(double(expected)).epsilon(1e-6).margin(1e-30));
    }
  });
  // Saturated values and derivatives are exact.
  Tensor<T> x(Shape{2}, std::vector<T>{T(-1000), T(1000)}), y(x.shape()), d(x.shape());
  Sigmoid<T>().derivative(x, d);
  CHECK(d[0] == 0);
  CHECK(d[1] == 0);
  Softplus<T> sp(T(1), std::numeric_limits<T>::infinity());  // ONNX Softplus: no threshold
  Workspace<T> ws;
  sp.forward(x, y, ws);
  CHECK(y[0] == 0);
  CHECK(y[1] == T(1000));
  sp.derivative(x, d);
  CHECK(d[0] == 0);
  CHECK(d[1] == 1);
}

TEMPLATE_TEST_CASE("PReLU broadcasts one slope per channel on axis 1", "[layers][activations][prelu]", float,
                   double) {
  using T = TestType;
  PReLU<T> prelu(3);
  prelu.set_name("features.2");
  const std::vector<T> slopes = {T(0.25), T(-0.5), T(1.5)};
  for (Index c = 0; c < 3; ++c) prelu.weight().mutable_view()[c] = slopes[std::size_t(c)];
  CHECK(prelu.num_parameters() == 3);
  CHECK(prelu.weight().shape() == Shape{3});
  for (const Shape& s : {Shape{2, 3, 4, 5}, Shape{4, 3}, Shape{2, 3, 7}}) {
    INFO("input " << s);
    auto x = random_tensor<T>(s, 10);
    auto gy = random_tensor<T>(s, 11);
    Tensor<T> y(prelu.output_shape(s)), gx(s);
    Workspace<T> ws;
    prelu.forward(x, y, ws);
    prelu.backward(x, gy, gx, ws);
    const Index per_channel = s.size() / (s[0] * 3);
    for (Index i = 0; i < x.size(); ++i) {
      const T a = slopes[std::size_t((i / per_channel) % 3)];  // naive: channel of a flat index
      CHECK(y[i] == (x[i] > 0 ? x[i] : a * x[i]));
      CHECK(gx[i] == (x[i] > 0 ? gy[i] : a * gy[i]));
    }
  }
  // One slope: any shape, rank 1 too.
  PReLU<T> one(1, T(0.1));
  Tensor<T> v(Shape{3}, std::vector<T>{T(-2), T(0), T(4)}), w(Shape{3});
  Workspace<T> ws;
  one.forward(v, w, ws);
  CHECK(w[0] == Approx(-0.2));
  CHECK(w[2] == 4);
}

TEST_CASE("PReLU rejects inputs without the weight's channel count", "[layers][activations][prelu][errors]") {
  PReLU<float> prelu(4);
  prelu.set_name("features.3");
  Workspace<float> ws;
  Tensor<float> x(Shape{2, 3, 5, 5}), y(x.shape());
  try {
    prelu.forward(x, y, ws);
    FAIL("no error");
  } catch (const ShapeError& e) {
    CHECK(e.id() == "attrib.shape.960");
    CHECK_THAT(e.what(), Catch::Contains("PReLU 'features.3'") && Catch::Contains("[2, 3, 5, 5]") &&
                             Catch::Contains("expected [N, 4, ...]"));
  }
  CHECK_THROWS_AS(prelu.output_shape(Shape{4}), ShapeError);
  Tensor<float> gy(Shape{2, 3, 5, 5}), gx(gy.shape());
  CHECK_THROWS_AS(prelu.backward(x, gy, gx, ws), ShapeError);
}

TEST_CASE("Activations reject mismatched signal shapes naming the layer", "[layers][activations][errors]") {
  Sigmoid<float> s;
  s.set_name("head.act");
  Tensor<float> x(Shape{1, 4}), gy(Shape{1, 5}), gx(Shape{1, 4}), y(Shape{4});
  Workspace<float> ws;
  CHECK_THROWS_WITH(s.backward(x, gy, gx, ws), Catch::Contains("[attrib.shape.020]") &&
                                                   Catch::Contains("Sigmoid 'head.act'") &&
                                                   Catch::Contains("[1, 5]") && Catch::Contains("expected [1, 4]"));
  CHECK_THROWS_AS(s.forward(x, y, ws), ShapeError);
  CHECK_THROWS_WITH(GELU<double>().derivative(Tensor<double>(Shape{2, 2}), Tensor<double>(Shape{4})),
                    Catch::Contains("GELU") && Catch::Contains("derivative"));
  CHECK_THROWS_WITH(
      LeakyReLU<float>().map([](const auto& f, float a, float b) { return f.value(a) - b; }, x.view(), x, gy),
      Catch::Contains("LeakyReLU") && Catch::Contains("operand") && Catch::Contains("[1, 5]"));
}

TEST_CASE("Activation parameters are validated with stable ids", "[layers][activations][errors]") {
  auto id_of = [](auto&& construct) -> std::string {
    try {
      construct();
    } catch (const ParameterError& e) {
      return e.id();
    }
    return "no error";
  };
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  CHECK(id_of([] { (void)Softplus<double>(0.0); }) == "attrib.param.961");
  CHECK(id_of([&] { (void)Softplus<double>(1.0, nan); }) == "attrib.param.962");
  CHECK(id_of([&] { (void)ELU<double>(inf); }) == "attrib.param.963");
  CHECK(id_of([&] { (void)LeakyReLU<double>(nan); }) == "attrib.param.964");
  CHECK(id_of([] { (void)Clip<double>(3.0, 1.0); }) == "attrib.param.965");
  CHECK(id_of([&] { (void)Clip<double>(nan, 1.0); }) == "attrib.param.965");
  CHECK(id_of([&] { (void)HardSigmoid<double>(inf, 0.5); }) == "attrib.param.966");
  CHECK(id_of([] { (void)PReLU<double>(0); }) == "attrib.param.967");
  CHECK(id_of([&] { (void)Clip<double>(0.0, inf); }) == "no error");
  CHECK(id_of([] { (void)Clip<double>(2.0, 2.0); }) == "no error");
  // A non-finite slope is found at use (the weight may be bound to caller memory).
  PReLU<double> p(2);
  p.set_name("act");
  p.weight().mutable_view()[1] = nan;
  Tensor<double> x(Shape{1, 2}), y(x.shape());
  Workspace<double> ws;
  CHECK_THROWS_WITH(p.forward(x, y, ws), Catch::Contains("[attrib.param.968]") && Catch::Contains("PReLU 'act'") &&
                                             Catch::Contains("weight[1]"));
}

TEST_CASE("Kinds, ReLU-like flags and parameters", "[layers][activations]") {
  CHECK(std::string(Sigmoid<float>::kind) == "Sigmoid");
  CHECK(std::string(LeakyReLU<float>::kind) == "LeakyReLU");
  CHECK(std::string(PReLU<float>::kind) == "PReLU");
  CHECK(std::string(Clip<float>::kind) == "Clip");
  CHECK(std::string(ReLU6<float>::kind) == "ReLU6");
  for_each_activation([](auto make, auto, const std::vector<double>&) {
    const auto layer = make(Tag<float>{});
    const std::string kind = layer.kind;
    INFO(kind);
    const bool rectifier = kind == "LeakyReLU" || kind == "PReLU" || kind == "ReLU6";
    CHECK(layer.relu_like() == rectifier);  // Clip(-2, 3) is not
    int n = 0;
    layer.parameters([&](const char* name, const auto& p) {
      CHECK(std::string(name) == "weight");
      CHECK(p.shape() == Shape{1});
      ++n;
    });
    CHECK(n == (kind == "PReLU" ? 1 : 0));
  });
  CHECK(Clip<float>(0, 6).relu_like());
  CHECK(Clip<float>(0, std::numeric_limits<float>::infinity()).relu_like());
  CHECK_FALSE(Clip<float>(-1, 1).relu_like());
  CHECK_FALSE(Clip<float>(0, 0).relu_like());
  CHECK(Clip<float>(0, 6).function().max() == 6);
  CHECK(Softplus<float>().function().threshold() == 20);
  CHECK(HardSigmoid<double>().function().alpha() == Approx(1.0 / 6));
  CHECK(GELU<float>(GeluApproximation::tanh).function().approximation() == GeluApproximation::tanh);
  CHECK(LeakyReLU<float>().function().negative_slope() == Approx(0.01));
  CHECK(ELU<float>().function().alpha() == 1);
  CHECK(PReLU<float>().weight().view()[0] == Approx(0.25));
}

TEST_CASE("The ReLU policy equals the ReLU layer", "[layers][activations]") {
  Elementwise<double, activation::ReLU> generic;
  ReLU<double> relu;
  auto x = random_tensor<double>(Shape{2, 3, 4}, 12);
  x[0] = 0;
  auto gy = random_tensor<double>(x.shape(), 13);
  Tensor<double> a(x.shape()), b(x.shape());
  Workspace<double> ws;
  generic.backward(x, gy, a, ws);
  relu.backward(x, gy, b, ws);
  require_close(a, b, 0, 0, "backward");
  require_close(run_forward(generic, x), run_forward(relu, x), 0, 0, "forward");
  CHECK(generic.relu_like());
}

TEST_CASE("map gives rules the scalar function per element, in place too", "[layers][activations]") {
  // DeepLIFT's secant slope (f(x) - f(x0)) / (x - x0) for a per-channel PReLU, against a loop.
  PReLU<double> prelu(2);
  prelu.weight().mutable_view()[0] = 0.1;
  prelu.weight().mutable_view()[1] = -2;
  auto x = random_tensor<double>(Shape{2, 2, 3}, 14), x0 = random_tensor<double>(x.shape(), 15);
  Tensor<double> m(x.shape());
  prelu.map([](const auto& f, double a, double b) { return (f.value(a) - f.value(b)) / (a - b); }, m, x, x0);
  for (Index i = 0; i < x.size(); ++i) {
    const double s = (i / 3) % 2 == 0 ? 0.1 : -2;
    auto f = [&](double v) { return v > 0 ? v : s * v; };
    CHECK(m[i] == Approx((f(x[i]) - f(x0[i])) / (x[i] - x0[i])));
  }
  // In place: out is also the operand.
  Tensor<double> y = x;
  Tanh<double>().map([](const auto& f, double v) { return f.value(v); }, y, y);
  for (Index i = 0; i < x.size(); ++i) CHECK(y[i] == Approx(std::tanh(x[i])));
}
