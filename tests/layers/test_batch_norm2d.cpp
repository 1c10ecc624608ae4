#include <cmath>
#include <vector>

#include "support/layer_checks.hpp"
#include "attrib/layers/batch_norm2d.hpp"

using namespace attrib;
using namespace attrib::test;

namespace {
struct BnParams {
  std::vector<double> gamma, beta, mean, var;
  double eps;
};

BnParams random_params(Index c, unsigned seed, double eps = 1e-5) {
  auto g = random_tensor<double>(Shape{c}, seed, -2, 2), b = random_tensor<double>(Shape{c}, seed + 1);
  auto m = random_tensor<double>(Shape{c}, seed + 2), v = random_tensor<double>(Shape{c}, seed + 3, 0.1, 3);
  auto vec = [](const Tensor<double>& t) { return std::vector<double>(t.data(), t.data() + t.size()); };
  return {vec(g), vec(b), vec(m), vec(v), eps};
}

template <class T>
void set(Param<T>& p, const std::vector<double>& v) {
  auto view = p.mutable_view();
  for (Index i = 0; i < view.size(); ++i) view[i] = static_cast<T>(v[static_cast<std::size_t>(i)]);
}

template <class T>
BatchNorm2d<T> make_bn(const BnParams& p) {
  BatchNorm2d<T> bn(static_cast<Index>(p.gamma.size()), static_cast<T>(p.eps));
  bn.set_name("bn1");
  set(bn.weight(), p.gamma);
  set(bn.bias(), p.beta);
  set(bn.running_mean(), p.mean);
  set(bn.running_var(), p.var);
  return bn;
}

// Naive eval-mode BatchNorm, written as PyTorch documents it: gamma (x - mean) / sqrt(var + eps) + beta.
template <class T>
Tensor<T> naive_bn(const BnParams& p, const Tensor<T>& x) {
  Tensor<T> y(x.shape());
  const Index n = x.dim(0), c = x.dim(1), e = x.size() / (n * c);
  for (Index i = 0; i < n; ++i)
    for (Index k = 0; k < c; ++k)
      for (Index j = 0; j < e; ++j) {
        const Index at = (i * c + k) * e + j;
        y[at] = T(p.gamma[k] * (double(x[at]) - p.mean[k]) / std::sqrt(p.var[k] + p.eps) + p.beta[k]);
      }
  return y;
}

// Naive transformed primitive: y = f(s_c) x + {0, f(b_c), b_c}.
template <class T, class F>
Tensor<T> naive_transformed(const BnParams& p, const F& f, BiasMode mode, const Tensor<T>& x) {
  Tensor<T> y(x.shape());
  const Index n = x.dim(0), c = x.dim(1), e = x.size() / (n * c);
  for (Index i = 0; i < n; ++i)
    for (Index k = 0; k < c; ++k) {
      const double s = p.gamma[k] / std::sqrt(p.var[k] + p.eps), b = p.beta[k] - s * p.mean[k];
      const double bias = mode == BiasMode::none ? 0.0 : mode == BiasMode::transformed ? f(b) : b;
      for (Index j = 0; j < e; ++j) {
        const Index at = (i * c + k) * e + j;
        y[at] = T(f(s) * double(x[at]) + bias);
      }
    }
  return y;
}
}  // namespace

TEMPLATE_TEST_CASE("BatchNorm2d forward matches the eval-mode formula", "[layers][batchnorm]", float, double) {
  const auto p = random_params(4, 1);
  auto bn = make_bn<TestType>(p);
  Workspace<TestType> ws;
  for (Shape s : {Shape{2, 4, 3, 5}, Shape{3, 4}, Shape{2, 4, 6}}) {
    auto x = random_tensor<TestType>(s, 2, -3, 3);
    Tensor<TestType> y(bn.output_shape(s));
    REQUIRE(y.shape() == s);
    bn.forward(x, y, ws);
    require_close(y, naive_bn(p, x), 1e-5, 1e-5, "batchnorm forward " + s.str());
  }
}

TEMPLATE_TEST_CASE("BatchNorm2d defaults to gamma 1, beta 0, mean 0, var 1", "[layers][batchnorm]", float,
                   double) {
  BatchNorm2d<TestType> bn(3);
  CHECK(bn.eps() == Approx(1e-5));
  for (Index c = 0; c < 3; ++c) {
    CHECK(bn.weight().view()[c] == 1);
    CHECK(bn.bias().view()[c] == 0);
    CHECK(bn.running_mean().view()[c] == 0);
    CHECK(bn.running_var().view()[c] == 1);
  }
  auto x = random_tensor<TestType>(Shape{2, 3, 2, 2}, 3);
  Tensor<TestType> y(x.shape());
  Workspace<TestType> ws;
  bn.forward(x, y, ws);
  for (Index i = 0; i < x.size(); ++i) CHECK(y[i] == Approx(x[i] / std::sqrt(1 + 1e-5)).epsilon(1e-6));
}

// Reference values computed once with torch 1.13, everything float64, eval mode:
//   bn = torch.nn.BatchNorm2d(3, eps=1e-3).double().eval(); with torch.no_grad(): copy_ into
//   weight [1.5, -0.5, 2.0], bias [0.25, 1.0, -0.75], running_mean [0.1, -0.2, 0.3],
//   running_var [0.5, 2.0, 0.01] (torch.tensor(..., dtype=torch.float64): a float32 source
//   tensor would round 0.01 and shift channel 2 by ~3e-8 relative, which this test detects);
//   x = (arange(24, dtype=float64) * 0.125 - 1.5).reshape(2, 3, 2, 2).requires_grad_()
//   y = bn(x); gy = arange(24).reshape(2, 3, 2, 2) * 0.5 - 3; y.backward(gy) -> x.grad
//   printed with f"{v:.17g}".
TEMPLATE_TEST_CASE("BatchNorm2d reproduces PyTorch eval-mode values", "[layers][batchnorm][pytorch]", float,
                   double) {
  const BnParams p{{1.5, -0.5, 2.0}, {0.25, 1.0, -0.75}, {0.1, -0.2, 0.3}, {0.5, 2.0, 0.01}, 1e-3};
  auto bn = make_bn<TestType>(p);
  Tensor<TestType> x(Shape{2, 3, 2, 2}), gy(x.shape());
  for (Index i = 0; i < 24; ++i) {
    x[i] = TestType(i * 0.125 - 1.5);
    gy[i] = TestType(i * 0.5 - 3);
  }
  const Tensor<double> y_torch(Shape{2, 3, 2, 2}, std::vector<double>{
      -3.1407235198440988, -2.8758232448562784, -2.6109229698684584, -2.346022694880638,
      1.282772028301961,   1.2385888988797795,  1.1944057694575982,  1.1502226400354167,
      -16.005401427929478, -13.621744954815496, -11.238088481701514, -8.8544320085875334,
      0.038079780009743824, 0.30298005499756403, 0.56788032998538429, 0.8327806049732045,
      0.75257447523578425, 0.70839134581360286, 0.66420821639142147, 0.62002508696924008,
      12.598476249438292,  14.982132722552272,  17.365789195666252,  19.749445668780233});
  const Tensor<double> gx_torch(Shape{2, 3, 2, 2}, std::vector<double>{
      -6.3576065997076849, -5.2980054997564032, -4.2384043998051233, -3.1788032998538425,
      0.35346503537745116, 0.17673251768872558, 0.0,                 -0.17673251768872558,
      19.069251784911845,  28.60387767736777,   38.13850356982369,   47.673129462279611,
      6.3576065997076849,  7.4172076996589649,  8.4768087996102466,  9.5364098995615265,
      -1.7673251768872558, -1.9440576945759813, -2.1207902122647071, -2.2975227299534327,
      133.48476249438292,  143.01938838683884,  152.55401427929476,  162.08864017175068});
  const double tol = std::is_same_v<TestType, float> ? 1e-5 : 1e-13;
  Workspace<TestType> ws;
  Tensor<TestType> y(x.shape()), gx(x.shape());
  bn.forward(x, y, ws);
  bn.backward(x, gy, gx, ws);
  require_close(cast<double>(y), y_torch, tol, tol, "forward vs torch");
  require_close(cast<double>(gx), gx_torch, tol, tol, "backward vs torch");
}

TEMPLATE_TEST_CASE("BatchNorm2d transformed primitives match naive loops", "[layers][batchnorm]", float,
                   double) {
  const auto p = random_params(3, 4);
  auto bn = make_bn<TestType>(p);
  auto x = random_tensor<TestType>(Shape{2, 3, 4, 4}, 5);
  auto gy = random_tensor<TestType>(x.shape(), 6);
  Workspace<TestType> ws;
  Tensor<TestType> y(x.shape()), gx(x.shape());
  auto check = [&](auto f) {
    for (BiasMode mode : {BiasMode::none, BiasMode::transformed, BiasMode::unchanged}) {
      bn.forward_transformed(f, mode, x, y, ws);
      require_close(y, naive_transformed(p, f, mode, x), 1e-5, 1e-5, "forward_transformed");
    }
    bn.backward_transformed(f, gy, gx, ws);
    require_close(gx, naive_transformed(p, f, BiasMode::none, gy), 1e-5, 1e-5, "backward_transformed");
  };
  check(transform::Identity{});
  check(transform::Positive{});
  check(transform::Negative{});
  check(transform::Square{});
  check(transform::Ones{});
  check(transform::Affine<double>{1, 0.25, 0});
  check([](auto w) { return 3 * w - 1; });
}

TEST_CASE("BatchNorm2d backward and transformed primitives pass FD and adjoint checks", "[layers][batchnorm]") {
  auto bn = make_bn<double>(random_params(3, 7));
  check_backward_fd(bn, random_tensor<double>(Shape{2, 3, 3, 4}, 8), 9);
  check_backward_fd(bn, random_tensor<double>(Shape{4, 3}, 10), 11);
  check_adjoint(bn, transform::Identity{}, Shape{2, 3, 3, 4}, 12);
  check_adjoint(bn, transform::Positive{}, Shape{2, 3, 3, 4}, 13);
  check_adjoint(bn, transform::Negative{}, Shape{2, 3, 5}, 14);
  check_adjoint(bn, transform::Square{}, Shape{3, 3}, 15);
  check_batch_equals_samples(bn, random_tensor<double>(Shape{4, 3, 2, 3}, 16));
}

TEMPLATE_TEST_CASE("BatchNorm2d effective scale and shift reproduce the layer", "[layers][batchnorm]", float,
                   double) {
  const auto p = random_params(5, 17);
  auto bn = make_bn<TestType>(p);
  Tensor<TestType> s(Shape{5}), b(Shape{5});
  bn.effective_affine(s, b);
  for (Index c = 0; c < 5; ++c) {
    const double sc = p.gamma[c] / std::sqrt(p.var[c] + p.eps);
    CHECK(double(s[c]) == Approx(sc).epsilon(1e-6));
    CHECK(double(b[c]) == Approx(p.beta[c] - sc * p.mean[c]).epsilon(1e-6).margin(1e-6));
  }
}

TEST_CASE("BatchNorm2d float results match double results", "[layers][batchnorm]") {
  const auto p = random_params(6, 18);
  auto bd = make_bn<double>(p);
  auto bf = make_bn<float>(p);
  auto x = random_tensor<double>(Shape{2, 6, 5, 5}, 19, -4, 4);
  Workspace<float> wsf;
  Tensor<float> yf(x.shape());
  bf.forward(cast<float>(x), yf, wsf);
  require_close(cast<double>(yf), run_forward(bd, x), 1e-5, 1e-5, "float vs double");
}

TEST_CASE("BatchNorm2d binds engine buffers without copying", "[layers][batchnorm]") {
  std::vector<double> g{2.0, 0.5}, b{1.0, -1.0}, m{0.5, 0.0}, v{3.0, 0.0};
  BatchNorm2d<double> bn(2, 1.0);
  bn.weight().bind(wrap(static_cast<const double*>(g.data()), Shape{2}), "bn");
  bn.bias().bind(wrap(static_cast<const double*>(b.data()), Shape{2}), "bn");
  bn.running_mean().bind(wrap(static_cast<const double*>(m.data()), Shape{2}), "bn");
  bn.running_var().bind(wrap(static_cast<const double*>(v.data()), Shape{2}), "bn");
  CHECK(bn.weight().data() == g.data());
  CHECK(bn.bias().data() == b.data());
  CHECK(bn.running_mean().data() == m.data());
  CHECK(bn.running_var().data() == v.data());
  CHECK_FALSE(bn.running_var().is_owned());

  Tensor<double> x(Shape{1, 2, 1, 1}, std::vector<double>{2.5, 4.0}), y(x.shape());
  Workspace<double> ws;
  bn.forward(x, y, ws);
  CHECK(y[0] == Approx(2.0 * (2.5 - 0.5) / 2.0 + 1.0));  // sqrt(3 + 1) = 2
  CHECK(y[1] == Approx(0.5 * 4.0 / 1.0 - 1.0));          // sqrt(0 + 1) = 1
  // The layer reads the caller's memory at every call: a change there is seen, no stale copy.
  g[1] = 1.0;
  bn.forward(x, y, ws);
  CHECK(y[1] == Approx(3.0));
  // Mutating through the layer copies first and leaves the caller's buffer alone.
  bn.weight().mutable_view()[0] = 10.0;
  CHECK(bn.weight().is_owned());
  CHECK(g[0] == 2.0);
}

TEST_CASE("BatchNorm2d rejects bad shapes and parameters with messages naming layer, channel and shapes",
          "[layers][batchnorm][errors]") {
  CHECK_THROWS_AS(BatchNorm2d<float>(0), ParameterError);
  CHECK_THROWS_WITH(BatchNorm2d<float>(-2), Catch::Contains("[attrib.param.400]") && Catch::Contains("-2"));
  CHECK_THROWS_WITH(BatchNorm2d<double>(3, -1e-5), Catch::Contains("[attrib.param.401]") &&
                                                       Catch::Contains("eps"));
  CHECK_THROWS_AS(BatchNorm2d<double>(3, std::nan("")), ParameterError);

  BatchNorm2d<float> bn(3);
  bn.set_name("layer1.0.bn1");
  Workspace<float> ws;
  Tensor<float> x(Shape{2, 4, 5, 5}), y(Shape{2, 4, 5, 5});
  CHECK_THROWS_AS(bn.forward(x, y, ws), ShapeError);
  CHECK_THROWS_WITH(bn.forward(x, y, ws), Catch::Contains("[attrib.shape.400]") &&
                                              Catch::Contains("BatchNorm2d 'layer1.0.bn1'") &&
                                              Catch::Contains("[2, 4, 5, 5]") &&
                                              Catch::Contains("[N, 3, H, W]"));
  CHECK_THROWS_WITH(bn.output_shape(Shape{3}), Catch::Contains("[attrib.shape.400]") && Catch::Contains("[3]"));
  Tensor<float> x3(Shape{2, 3, 5, 5}), ybad(Shape{2, 3, 5, 4});
  CHECK_THROWS_WITH(bn.forward(x3, ybad, ws), Catch::Contains("output") && Catch::Contains("[2, 3, 5, 4]") &&
                                                  Catch::Contains("expected [2, 3, 5, 5]"));
  CHECK_THROWS_WITH(bn.backward(x3, ybad, x3, ws), Catch::Contains("output signal") &&
                                                       Catch::Contains("[2, 3, 5, 4]"));
  CHECK_THROWS_WITH(bn.backward_transformed(transform::Positive{}, x3, ybad, ws),
                    Catch::Contains("input signal") && Catch::Contains("expected [2, 3, 5, 5]"));
  Tensor<float> s(Shape{2}), b(Shape{3});
  CHECK_THROWS_WITH(bn.effective_affine(s, b), Catch::Contains("scale buffer") && Catch::Contains("[2]") &&
                                                   Catch::Contains("expected [3]"));

  // var + eps <= 0 is found at use, naming the channel.
  bn.running_var().mutable_view()[1] = -1.0f;
  Tensor<float> y3(x3.shape());
  CHECK_THROWS_AS(bn.forward(x3, y3, ws), ParameterError);
  CHECK_THROWS_WITH(bn.forward(x3, y3, ws), Catch::Contains("[attrib.param.402]") &&
                                                Catch::Contains("BatchNorm2d 'layer1.0.bn1'") &&
                                                Catch::Contains("channel 1"));
  CHECK_THROWS_AS(bn.backward_transformed(transform::Identity{}, x3, y3, ws), ParameterError);
  CHECK_THROWS_AS(bn.effective_affine(Tensor<float>(Shape{3}), Tensor<float>(Shape{3})), ParameterError);
}
