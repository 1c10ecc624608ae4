#include <cmath>
#include <vector>

#include "support/layer_checks.hpp"
#include "attrib/layers/adaptive_avg_pool2d.hpp"

using namespace attrib;
using namespace attrib::test;

namespace {

struct Config {
  Shape in;
  Index oh, ow;
};

// Output smaller, equal, larger than the input, non-dividing sizes, 1x1.
std::vector<Config> configs() {
  return {
      {Shape{2, 3, 7, 5}, 3, 2}, {Shape{1, 2, 5, 7}, 3, 4}, {Shape{2, 1, 6, 6}, 6, 6},
      {Shape{1, 2, 2, 3}, 3, 5}, {Shape{3, 2, 4, 9}, 7, 2}, {Shape{2, 2, 5, 3}, 1, 1},
      {Shape{1, 1, 1, 1}, 2, 3},
  };
}

// Naive adaptive pooling with tap weight f(1 / |window|), window bounds by floating-point
// floor/ceil of i * n / out.
template <class T, class F>
Tensor<T> naive_adaptive(const Tensor<T>& x, Index oh, Index ow, const F& f) {
  const Index H = x.dim(2), W = x.dim(3);
  Tensor<T> y(Shape{x.dim(0), x.dim(1), oh, ow});
  auto lo = [](Index i, Index n, Index o) { return Index(std::floor(double(i) * double(n) / double(o))); };
  auto hi = [](Index i, Index n, Index o) { return Index(std::ceil(double(i + 1) * double(n) / double(o))); };
  for (Index n = 0; n < x.dim(0); ++n)
    for (Index c = 0; c < x.dim(1); ++c)
      for (Index oy = 0; oy < oh; ++oy)
        for (Index ox = 0; ox < ow; ++ox) {
          const Index y0 = lo(oy, H, oh), y1 = hi(oy, H, oh), x0 = lo(ox, W, ow), x1 = hi(ox, W, ow);
          const double w = double(f(1.0 / double((y1 - y0) * (x1 - x0))));
          double s = 0;
          for (Index iy = y0; iy < y1; ++iy)
            for (Index ix = x0; ix < x1; ++ix) s += w * double(x.at(n, c, iy, ix));
          y.at(n, c, oy, ox) = T(s);
        }
  return y;
}

template <class T>
Tensor<T> fixture_input(const Shape& s) {
  Tensor<T> t(s);
  for (Index i = 0; i < t.size(); ++i) t[i] = T(double((i * 37) % 101 - 50) / 10.0);
  return t;
}

}  // namespace

TEMPLATE_TEST_CASE("AdaptiveAvgPool2d forward matches a naive loop", "[layers][adaptive_avg_pool2d]",
                   float, double) {
  unsigned seed = 1;
  for (const Config& c : configs()) {
    AdaptiveAvgPool2d<TestType> pool(c.oh, c.ow);
    auto x = random_tensor<TestType>(c.in, seed++);
    INFO("input " << c.in << ", output " << c.oh << "x" << c.ow);
    REQUIRE(pool.output_shape(c.in) == Shape{c.in[0], c.in[1], c.oh, c.ow});
    Workspace<TestType> ws;
    Tensor<TestType> y(pool.output_shape(c.in));
    pool.forward(x, y, ws);
    require_close(y, naive_adaptive(x, c.oh, c.ow, transform::Identity{}), 1e-5, 1e-6, "adaptive forward");
  }
}

TEMPLATE_TEST_CASE("AdaptiveAvgPool2d matches PyTorch values", "[layers][adaptive_avg_pool2d]", float,
                   double) {
  // torch 1.13, float64, x = tensor([((i*37)%101 - 50)/10 for i in range(H*W)]).reshape(1, 1, H, W):
  //   F.adaptive_avg_pool2d(x (5x7), (3, 4)) and F.adaptive_avg_pool2d(x (2x3), (3, 5))
  const std::vector<double> down = {-0.2999999999999998, 0.19999999999999998, -0.8166666666666668, 0.525,
                                    -0.16666666666666666, 0.3333333333333333, -0.12222222222222222, 1.5,
                                    -0.8750000000000002, 0.46666666666666656, -0.5499999999999999,
                                    -0.04999999999999996};
  const std::vector<double> up = {-5.0, -3.15, -1.3, 0.5499999999999999, 2.4, -4.5, -2.6500000000000004, -0.8,
                                  1.0499999999999998, 2.9, -4.0, -2.15, -0.3, 1.55, 3.4};
  Workspace<TestType> ws;
  auto check = [&](Shape in, Index oh, Index ow, const std::vector<double>& expected) {
    AdaptiveAvgPool2d<TestType> pool(oh, ow);
    Tensor<TestType> y(pool.output_shape(in));
    pool.forward(fixture_input<TestType>(in), y, ws);
    for (Index i = 0; i < y.size(); ++i)
      CHECK(double(y[i]) == Approx(expected[static_cast<std::size_t>(i)]).margin(1e-6));
  };
  check(Shape{1, 1, 5, 7}, 3, 4, down);
  check(Shape{1, 1, 2, 3}, 3, 5, up);
}

TEMPLATE_TEST_CASE("AdaptiveAvgPool2d transformed forward applies f to every tap weight",
                   "[layers][adaptive_avg_pool2d]", float, double) {
  unsigned seed = 20;
  for (const Config& c : configs()) {
    AdaptiveAvgPool2d<TestType> pool(c.oh, c.ow);
    auto x = random_tensor<TestType>(c.in, seed++);
    Workspace<TestType> ws;
    Tensor<TestType> y(pool.output_shape(c.in));
    INFO("input " << c.in << ", output " << c.oh << "x" << c.ow);
    auto check = [&](auto f) {
      pool.forward_transformed(f, BiasMode::transformed, x, y, ws);
      require_close(y, naive_adaptive(x, c.oh, c.ow, f), 1e-5, 1e-6, "transformed forward");
    };
    check(transform::Ones{});
    check(transform::Square{});
    check(transform::Positive{});
    check(transform::Affine<double>{0.5, 1, 0});
    pool.forward_transformed(transform::Negative{}, BiasMode::none, x, y, ws);
    CHECK(y.vec().cwiseAbs().maxCoeff() == TestType(0));
  }
}

TEST_CASE("AdaptiveAvgPool2d backward and transformed primitives pass FD and adjoint checks",
          "[layers][adaptive_avg_pool2d]") {
  unsigned seed = 40;
  for (const Config& c : configs()) {
    AdaptiveAvgPool2d<double> pool(c.oh, c.ow);
    INFO("input " << c.in << ", output " << c.oh << "x" << c.ow);
    check_backward_fd(pool, random_tensor<double>(c.in, seed), seed + 1);
    check_adjoint(pool, transform::Identity{}, c.in, seed + 2);
    check_adjoint(pool, transform::Ones{}, c.in, seed + 3);
    check_adjoint(pool, transform::Square{}, c.in, seed + 4);
    check_adjoint(pool, transform::Affine<double>{0.5, 1, 0}, c.in, seed + 5);
    check_batch_equals_samples(pool, random_tensor<double>(c.in.with_batch(3), seed + 6));
    seed += 7;
  }
}

TEST_CASE("AdaptiveAvgPool2d transformed backward equals the naive transpose", "[layers][adaptive_avg_pool2d]") {
  const Config c{Shape{1, 2, 3, 5}, 4, 3};  // overlapping windows in both directions
  AdaptiveAvgPool2d<double> pool(c.oh, c.ow);
  auto gy = random_tensor<double>(pool.output_shape(c.in), 60);
  Tensor<double> gx(c.in), ref(c.in), e(c.in);
  Workspace<double> ws;
  pool.backward_transformed(transform::Square{}, gy, gx, ws);
  for (Index j = 0; j < e.size(); ++j) {
    e.set_zero();
    e[j] = 1;
    ref[j] = dot<double>(naive_adaptive(e, c.oh, c.ow, transform::Square{}), gy);
  }
  require_close(gx, ref, 1e-12, 1e-14, "backward_transformed vs naive columns");
}

TEMPLATE_TEST_CASE("GlobalAvgPool2d averages each channel and names itself", "[layers][adaptive_avg_pool2d]",
                   float, double) {
  GlobalAvgPool2d<TestType> gap;
  gap.set_name("gap");
  CHECK(std::string(GlobalAvgPool2d<TestType>::kind) == "GlobalAvgPool2d");
  CHECK(gap.out_h() == 1);
  CHECK(gap.out_w() == 1);
  const Shape in{2, 3, 5, 4};
  auto x = random_tensor<TestType>(in, 70);
  Workspace<TestType> ws;
  Tensor<TestType> y(gap.output_shape(in));
  REQUIRE(y.shape() == Shape{2, 3, 1, 1});
  gap.forward(x, y, ws);
  for (Index n = 0; n < 2; ++n)
    for (Index c = 0; c < 3; ++c) {
      double s = 0;
      for (Index i = 0; i < 20; ++i) s += double(x[(n * 3 + c) * 20 + i]);
      CHECK(double(y.at(n, c, 0, 0)) == Approx(s / 20).margin(1e-6));
    }
  Tensor<TestType> x3(Shape{2, 3, 5});
  CHECK_THROWS_WITH(gap.output_shape(x3.shape()),
                    Catch::Contains("[attrib.shape.300]") && Catch::Contains("GlobalAvgPool2d 'gap'") &&
                        Catch::Contains("[2, 3, 5]"));
  // A rule written for AdaptiveAvgPool2d accepts it.
  const AdaptiveAvgPool2d<TestType>& base = gap;
  Tensor<TestType> gy(Shape{2, 3, 1, 1}, TestType(1)), gx(in);
  base.backward_transformed(transform::Ones{}, gy, gx, ws);
  CHECK(gx.vec().minCoeff() == TestType(1));
  CHECK(gx.vec().maxCoeff() == TestType(1));
}

TEST_CASE("AdaptiveAvgPool2d rejects wrong shapes and parameters with messages naming layer and shapes",
          "[layers][adaptive_avg_pool2d][errors]") {
  AdaptiveAvgPool2d<float> pool(2, 3);
  pool.set_name("head");
  Workspace<float> ws;
  Tensor<float> x2(Shape{4, 25}), y(Shape{4, 1, 2, 3});
  CHECK_THROWS_AS(pool.forward(x2, y, ws), ShapeError);
  CHECK_THROWS_WITH(pool.forward(x2, y, ws),
                    Catch::Contains("[attrib.shape.300]") && Catch::Contains("AdaptiveAvgPool2d 'head'") &&
                        Catch::Contains("[4, 25]") && Catch::Contains("[N, C, H, W]"));
  CHECK_THROWS_WITH(pool.output_shape(Shape{1, 2, 0, 4}),
                    Catch::Contains("[attrib.shape.310]") && Catch::Contains("[1, 2, 0, 4]") &&
                        Catch::Contains("H >= 1"));
  Tensor<float> x(Shape{1, 2, 5, 5}), ybad(Shape{1, 2, 3, 2});
  CHECK_THROWS_WITH(pool.forward(x, ybad, ws), Catch::Contains("AdaptiveAvgPool2d 'head'") &&
                                                   Catch::Contains("output") &&
                                                   Catch::Contains("expected [1, 2, 2, 3]"));
  Tensor<float> gy(Shape{1, 1, 2, 3}), gx(x.shape());
  CHECK_THROWS_WITH(pool.backward(x, gy, gx, ws),
                    Catch::Contains("output signal") && Catch::Contains("[1, 1, 2, 3]"));
  CHECK_THROWS_WITH(AdaptiveAvgPool2d<float>(0, 2), Catch::Contains("[attrib.param.310]") &&
                                                        Catch::Contains("AdaptiveAvgPool2d") &&
                                                        Catch::Contains("0x2"));
  CHECK_THROWS_AS(AdaptiveAvgPool2d<float>(-1), ParameterError);
}
