#include <cmath>
#include <limits>
#include <vector>

#include "support/layer_checks.hpp"
#include "attrib/layers/normalize.hpp"

using namespace attrib;
using namespace attrib::test;

namespace {
const std::vector<double> kMean{0.485, 0.456, 0.406}, kStd{0.229, 0.224, 0.225};  // ImageNet

template <class T>
Normalize<T> make_normalize() {
  Normalize<T> n(std::vector<T>(kMean.begin(), kMean.end()), std::vector<T>(kStd.begin(), kStd.end()));
  n.set_name("preprocess");
  return n;
}

// y = f(1/std_c) x + {0, f(-mean_c/std_c), -mean_c/std_c}; for the identity this is (x - mean)/std.
template <class T, class F>
Tensor<T> naive(const F& f, BiasMode mode, const Tensor<T>& x) {
  Tensor<T> y(x.shape());
  const Index n = x.dim(0), c = x.dim(1), e = x.size() / (n * c);
  for (Index i = 0; i < n; ++i)
    for (Index k = 0; k < c; ++k) {
      const double w = 1 / kStd[k], b = -kMean[k] / kStd[k];
      const double bias = mode == BiasMode::none ? 0.0 : mode == BiasMode::transformed ? f(b) : b;
      for (Index j = 0; j < e; ++j) y[(i * c + k) * e + j] = T(f(w) * double(x[(i * c + k) * e + j]) + bias);
    }
  return y;
}
}  // namespace

TEMPLATE_TEST_CASE("Normalize computes (x - mean) / std per channel", "[layers][normalize]", float, double) {
  auto norm = make_normalize<TestType>();
  CHECK(norm.channels() == 3);
  Workspace<TestType> ws;
  // Analytic point: x = mean + 2 std gives exactly 2 in every channel.
  Tensor<TestType> x(Shape{1, 3, 1, 2}), y(x.shape());
  for (Index c = 0; c < 3; ++c) {
    x.at(0, c, 0, 0) = TestType(kMean[c] + 2 * kStd[c]);
    x.at(0, c, 0, 1) = TestType(kMean[c]);
  }
  norm.forward(x, y, ws);
  for (Index c = 0; c < 3; ++c) {
    CHECK(y.at(0, c, 0, 0) == Approx(2.0).epsilon(1e-5));
    CHECK(y.at(0, c, 0, 1) == Approx(0.0).margin(1e-5));
  }
  for (Shape s : {Shape{2, 3, 4, 5}, Shape{4, 3}}) {
    auto xr = random_tensor<TestType>(s, 1);
    Tensor<TestType> yr(norm.output_shape(s));
    norm.forward(xr, yr, ws);
    Tensor<TestType> ref(s);
    const Index e = s.size() / (s[0] * 3);
    for (Index i = 0; i < s.size(); ++i) {
      const Index c = (i / e) % 3;
      ref[i] = TestType((double(xr[i]) - kMean[c]) / kStd[c]);
    }
    require_close(yr, ref, 1e-5, 1e-5, "normalize " + s.str());
  }
}

TEMPLATE_TEST_CASE("Normalize transformed primitives match naive loops", "[layers][normalize]", float, double) {
  auto norm = make_normalize<TestType>();
  auto x = random_tensor<TestType>(Shape{2, 3, 3, 3}, 2);
  auto gy = random_tensor<TestType>(x.shape(), 3);
  Workspace<TestType> ws;
  Tensor<TestType> y(x.shape()), gx(x.shape());
  auto check = [&](auto f) {
    for (BiasMode mode : {BiasMode::none, BiasMode::transformed, BiasMode::unchanged}) {
      norm.forward_transformed(f, mode, x, y, ws);
      require_close(y, naive(f, mode, x), 1e-5, 1e-5, "forward_transformed");
    }
    norm.backward_transformed(f, gy, gx, ws);
    require_close(gx, naive(f, BiasMode::none, gy), 1e-5, 1e-5, "backward_transformed");
  };
  check(transform::Identity{});
  check(transform::Positive{});
  check(transform::Negative{});  // weights are all positive: W- is zero, the bias b- is not
  check(transform::Square{});
  check(transform::Ones{});
}

TEST_CASE("Normalize backward and transformed primitives pass FD and adjoint checks", "[layers][normalize]") {
  auto norm = make_normalize<double>();
  check_backward_fd(norm, random_tensor<double>(Shape{2, 3, 2, 3}, 4), 5);
  check_adjoint(norm, transform::Identity{}, Shape{2, 3, 2, 3}, 6);
  check_adjoint(norm, transform::Square{}, Shape{3, 3}, 7);
  check_batch_equals_samples(norm, random_tensor<double>(Shape{3, 3, 2, 2}, 8));
}

TEST_CASE("Normalize exposes its effective per-channel scale and shift", "[layers][normalize]") {
  auto norm = make_normalize<double>();
  Tensor<double> s(Shape{3}), b(Shape{3});
  norm.effective_affine(s, b);
  for (Index c = 0; c < 3; ++c) {
    CHECK(s[c] == Approx(1 / kStd[c]));
    CHECK(b[c] == Approx(-kMean[c] / kStd[c]));
  }
  CHECK(norm.mean() == kMean);
  CHECK(norm.stddev() == kStd);
}

TEST_CASE("Normalize rejects bad statistics and shapes with messages", "[layers][normalize][errors]") {
  using V = std::vector<float>;
  CHECK_THROWS_WITH(Normalize<float>(V{0, 0}, V{1, 1, 1}),
                    Catch::Contains("[attrib.param.410]") && Catch::Contains("2 means and 3"));
  CHECK_THROWS_AS(Normalize<float>(V{}, V{}), ParameterError);
  CHECK_THROWS_WITH(Normalize<float>(V{0, 0}, V{1, 0}),
                    Catch::Contains("[attrib.param.411]") && Catch::Contains("std[1] = 0"));
  CHECK_THROWS_AS(Normalize<float>(V{0}, V{-1}), ParameterError);
  CHECK_THROWS_AS(Normalize<float>(V{0}, V{std::numeric_limits<float>::quiet_NaN()}), ParameterError);
  CHECK_THROWS_WITH(Normalize<float>(V{std::numeric_limits<float>::infinity()}, V{1}),
                    Catch::Contains("[attrib.param.412]") && Catch::Contains("mean[0]"));

  auto norm = make_normalize<float>();
  Workspace<float> ws;
  Tensor<float> x(Shape{1, 1, 28, 28}), y(x.shape());
  CHECK_THROWS_WITH(norm.forward(x, y, ws), Catch::Contains("[attrib.shape.400]") &&
                                                Catch::Contains("Normalize 'preprocess'") &&
                                                Catch::Contains("[1, 1, 28, 28]") &&
                                                Catch::Contains("[N, 3, H, W]"));
}
