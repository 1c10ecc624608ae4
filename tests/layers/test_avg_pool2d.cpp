#include <vector>

#include "support/layer_checks.hpp"
#include "attrib/layers/avg_pool2d.hpp"

using namespace attrib;
using namespace attrib::test;

namespace {

struct Config {
  Shape in;
  Index kh, kw;
  Pool2dOptions opt;
};

// Small odd shapes: stride != kernel, padding, ceil mode (windows hanging over the padded
// border), non-square, both count_include_pad settings.
std::vector<Config> configs() {
  std::vector<Config> base = {
      {Shape{2, 3, 7, 5}, 2, 2, Pool2dOptions{}},
      {Shape{1, 2, 7, 6}, 3, 2, Pool2dOptions{}.stride(2, 1)},
      {Shape{2, 1, 5, 7}, 3, 3, Pool2dOptions{}.stride(2).padding(1)},
      {Shape{1, 2, 6, 6}, 3, 3, Pool2dOptions{}.stride(2).padding(1).ceil_mode(true)},
      {Shape{1, 1, 5, 6}, 3, 2, Pool2dOptions{}.stride(2, 2).padding(1, 1).ceil_mode(true)},
      {Shape{2, 2, 4, 4}, 3, 3, Pool2dOptions{}.stride(2).padding(1).ceil_mode(true)},
      {Shape{1, 3, 2, 4}, 3, 2, Pool2dOptions{}.stride(2).ceil_mode(true)},
      {Shape{3, 2, 8, 5}, 4, 1, Pool2dOptions{}.stride(3, 2).padding(2, 0).ceil_mode(true)},
      // ceil mode drops a last window that would start in the right padding
      {Shape{1, 2, 5, 8}, 2, 2, Pool2dOptions{}.stride(3).padding(1).ceil_mode(true)},
  };
  std::vector<Config> all;
  for (bool include_pad : {true, false})
    for (Config c : base) {
      c.opt.count_include_pad(include_pad);
      all.push_back(c);
    }
  return all;
}

// Naive average pooling with tap weight f(1 / divisor). The windows are enumerated the way
// PyTorch describes ceil mode (extra window while the previous one fell short of the padded
// end and the new one starts inside the input or left padding); the divisor counts taps in
// the input, plus taps in the padding when count_include_pad.
Index naive_windows(Index n, Index k, Index s, Index p, bool ceil) {
  Index count = 0;
  for (Index start = 0;; start += s, ++count) {  // padded coordinates
    if (start + k <= n + 2 * p) continue;
    if (ceil && start - s + k < n + 2 * p && start < n + p) ++count;
    return count;
  }
}

template <class T, class F>
Tensor<T> naive_avg_pool(const Tensor<T>& x, const Config& c, const F& f) {
  const Pool2dOptions& o = c.opt;
  const Index sh = o.has_stride ? o.stride_h : c.kh, sw = o.has_stride ? o.stride_w : c.kw;
  const Index H = x.dim(2), W = x.dim(3);
  const Index OH = naive_windows(H, c.kh, sh, o.pad_h, o.ceil);
  const Index OW = naive_windows(W, c.kw, sw, o.pad_w, o.ceil);
  Tensor<T> y(Shape{x.dim(0), x.dim(1), OH, OW});
  for (Index n = 0; n < x.dim(0); ++n)
    for (Index ch = 0; ch < x.dim(1); ++ch)
      for (Index oy = 0; oy < OH; ++oy)
        for (Index ox = 0; ox < OW; ++ox) {
          Index divisor = 0;
          std::vector<double> vals;
          for (Index ky = 0; ky < c.kh; ++ky)
            for (Index kx = 0; kx < c.kw; ++kx) {
              const Index iy = oy * sh - o.pad_h + ky, ix = ox * sw - o.pad_w + kx;
              const bool inside = iy >= 0 && iy < H && ix >= 0 && ix < W;
              const bool in_padded = iy >= -o.pad_h && iy < H + o.pad_h && ix >= -o.pad_w &&
                                     ix < W + o.pad_w;
              if (inside) vals.push_back(double(x.at(n, ch, iy, ix)));
              if (inside || (o.include_pad && in_padded)) ++divisor;
            }
          const double w = double(f(1.0 / double(divisor)));
          double s = 0;
          for (double v : vals) s += w * v;
          y.at(n, ch, oy, ox) = T(s);
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

TEMPLATE_TEST_CASE("AvgPool2d forward matches a naive loop", "[layers][avg_pool2d]", float, double) {
  unsigned seed = 1;
  for (const Config& c : configs()) {
    AvgPool2d<TestType> pool(c.kh, c.kw, c.opt);
    auto x = random_tensor<TestType>(c.in, seed++);
    Tensor<TestType> ref = naive_avg_pool(x, c, transform::Identity{});
    INFO("input " << c.in << ", kernel " << c.kh << "x" << c.kw << ", include_pad " << c.opt.include_pad);
    REQUIRE(pool.output_shape(c.in) == ref.shape());
    Workspace<TestType> ws;
    Tensor<TestType> y(ref.shape());
    pool.forward(x, y, ws);
    require_close(y, ref, 1e-5, 1e-6, "avg pool forward");
  }
}

TEMPLATE_TEST_CASE("AvgPool2d matches PyTorch values", "[layers][avg_pool2d]", float, double) {
  // torch 1.13, float64:
  //   x = tensor([((i*37)%101 - 50)/10 for i in range(30)]).reshape(1, 1, 5, 6)
  //   F.avg_pool2d(x, (3, 2), (2, 2), (1, 1), ceil_mode=True, count_include_pad=True / False)
  const std::vector<double> with_pad = {-1.3333333333333333, 1.0333333333333334, -0.7666666666666666,
                                        -0.2166666666666667, -0.5, 1.1833333333333333,
                                        0.16666666666666666, -1.3499999999999999, 0.6666666666666666,
                                        -0.016666666666666653, -0.1333333333333334, 0.10000000000000002};
  const std::vector<double> without_pad = {-4.0, 1.55, -1.15, -0.6500000000000001, -1.0, 1.1833333333333333,
                                           0.16666666666666666, -2.6999999999999997, 2.0,
                                           -0.02499999999999998, -0.20000000000000007, 0.30000000000000004};
  const Shape in{1, 1, 5, 6};
  auto x = fixture_input<TestType>(in);
  Workspace<TestType> ws;
  for (bool include_pad : {true, false}) {
    AvgPool2d<TestType> pool(3, 2, Pool2dOptions{}.stride(2).padding(1).ceil_mode(true).count_include_pad(include_pad));
    REQUIRE(pool.output_shape(in) == Shape{1, 1, 3, 4});
    Tensor<TestType> y(Shape{1, 1, 3, 4});
    pool.forward(x, y, ws);
    const auto& expected = include_pad ? with_pad : without_pad;
    for (Index i = 0; i < 12; ++i)
      CHECK(double(y[i]) == Approx(expected[static_cast<std::size_t>(i)]).margin(1e-6));
  }
  // torch 1.13: F.avg_pool2d(ones(1, 1, 4, 4), 3, 2, 1, ceil_mode=True) -> the last row/column
  // windows hang over the padded border: divisors 9, 6, 4 along the diagonal.
  AvgPool2d<TestType> pool(3, Pool2dOptions{}.stride(2).padding(1).ceil_mode(true));
  Tensor<TestType> ones(Shape{1, 1, 4, 4}, TestType(1)), y(Shape{1, 1, 3, 3});
  pool.forward(ones, y, ws);
  const double corner[9] = {0.4444444478, 0.6666666865, 0.3333333433, 0.6666666865, 1.0, 0.5,
                            0.3333333433, 0.5, 0.25};
  for (Index i = 0; i < 9; ++i) CHECK(double(y[i]) == Approx(corner[i]).margin(1e-6));
}

TEMPLATE_TEST_CASE("AvgPool2d transformed forward applies f to every tap weight", "[layers][avg_pool2d]",
                   float, double) {
  unsigned seed = 30;
  for (const Config& c : configs()) {
    AvgPool2d<TestType> pool(c.kh, c.kw, c.opt);
    auto x = random_tensor<TestType>(c.in, seed++);
    Workspace<TestType> ws;
    Tensor<TestType> y(pool.output_shape(c.in));
    INFO("input " << c.in << ", kernel " << c.kh << "x" << c.kw << ", include_pad " << c.opt.include_pad);
    auto check = [&](auto f, BiasMode mode) {
      pool.forward_transformed(f, mode, x, y, ws);
      require_close(y, naive_avg_pool(x, c, f), 1e-5, 1e-6, "transformed forward");
    };
    check(transform::Ones{}, BiasMode::none);  // window sums
    check(transform::Square{}, BiasMode::transformed);
    check(transform::Positive{}, BiasMode::unchanged);  // no bias: the mode changes nothing
    check(transform::Affine<double>{1, 0.25, 0}, BiasMode::none);
    check([](TestType w) { return TestType(3) * w - TestType(0.5); }, BiasMode::none);
    pool.forward_transformed(transform::Negative{}, BiasMode::transformed, x, y, ws);
    CHECK(y.vec().cwiseAbs().maxCoeff() == TestType(0));
  }
}

TEST_CASE("AvgPool2d backward and transformed primitives pass FD and adjoint checks", "[layers][avg_pool2d]") {
  unsigned seed = 50;
  for (const Config& c : configs()) {
    AvgPool2d<double> pool(c.kh, c.kw, c.opt);
    INFO("input " << c.in << ", kernel " << c.kh << "x" << c.kw << ", include_pad " << c.opt.include_pad);
    check_backward_fd(pool, random_tensor<double>(c.in, seed), seed + 1);
    check_adjoint(pool, transform::Identity{}, c.in, seed + 2);
    check_adjoint(pool, transform::Ones{}, c.in, seed + 3);
    check_adjoint(pool, transform::Square{}, c.in, seed + 4);
    check_adjoint(pool, transform::Affine<double>{1, 0.25, 0}, c.in, seed + 5);
    check_batch_equals_samples(pool, random_tensor<double>(c.in.with_batch(3), seed + 6));
    seed += 7;
  }
}

TEST_CASE("AvgPool2d transformed backward equals the naive transpose", "[layers][avg_pool2d]") {
  // Column j of f(A) is forward_transformed of the unit vector e_j; gx_j = <f(A) e_j, gy>.
  const Config c = configs()[13];  // ceil mode, padding, count_include_pad = false
  AvgPool2d<double> pool(c.kh, c.kw, c.opt);
  const Shape out = pool.output_shape(c.in);
  auto gy = random_tensor<double>(out, 70);
  Tensor<double> gx(c.in), ref(c.in), e(c.in);
  Workspace<double> ws;
  pool.backward_transformed(transform::Square{}, gy, gx, ws);
  for (Index j = 0; j < e.size(); ++j) {
    e.set_zero();
    e[j] = 1;
    ref[j] = dot<double>(naive_avg_pool(e, c, transform::Square{}), gy);
  }
  require_close(gx, ref, 1e-12, 1e-14, "backward_transformed vs naive columns");
}

TEST_CASE("AvgPool2d float results match double results", "[layers][avg_pool2d]") {
  const Config c = configs()[12];
  auto x = random_tensor<double>(Shape{2, 3, 11, 9}, 80);
  AvgPool2d<double> pd(c.kh, c.kw, c.opt);
  AvgPool2d<float> pf(c.kh, c.kw, c.opt);
  Workspace<float> ws;
  Tensor<float> yf(pf.output_shape(x.shape()));
  pf.forward(cast<float>(x), yf, ws);
  require_close(cast<double>(yf), run_forward(pd, x), 1e-5, 1e-6, "float vs double");
}

TEST_CASE("AvgPool2d rejects wrong shapes and parameters with messages naming layer and shapes",
          "[layers][avg_pool2d][errors]") {
  AvgPool2d<float> pool(3, 2, Pool2dOptions{}.stride(2));
  pool.set_name("pool2");
  Workspace<float> ws;
  Tensor<float> x2(Shape{4, 25}), y(Shape{4, 1, 2, 2});
  CHECK_THROWS_AS(pool.forward(x2, y, ws), ShapeError);
  CHECK_THROWS_WITH(pool.forward(x2, y, ws),
                    Catch::Contains("[attrib.shape.300]") && Catch::Contains("AvgPool2d 'pool2'") &&
                        Catch::Contains("[4, 25]") && Catch::Contains("[N, C, H, W]"));
  CHECK_THROWS_WITH(pool.output_shape(Shape{1, 1, 5, 1}),
                    Catch::Contains("[attrib.shape.301]") && Catch::Contains("AvgPool2d 'pool2'") &&
                        Catch::Contains("[1, 1, 5, 1]") && Catch::Contains("W >= 2"));
  Tensor<float> x(Shape{1, 2, 5, 5}), ybad(Shape{1, 2, 2, 3});
  CHECK_THROWS_WITH(pool.forward(x, ybad, ws), Catch::Contains("AvgPool2d 'pool2'") &&
                                                   Catch::Contains("output") &&
                                                   Catch::Contains("expected [1, 2, 2, 2]"));
  Tensor<float> gy(Shape{1, 2, 3, 2}), gx(x.shape());
  CHECK_THROWS_WITH(pool.backward(x, gy, gx, ws), Catch::Contains("output signal") &&
                                                      Catch::Contains("[1, 2, 3, 2]") &&
                                                      Catch::Contains("expected [1, 2, 2, 2]"));
  CHECK_THROWS_AS(pool.backward_transformed(transform::Ones{}, gy, gx, ws), ShapeError);

  CHECK_THROWS_WITH(AvgPool2d<float>(2, 0), Catch::Contains("[attrib.param.300]") &&
                                                Catch::Contains("AvgPool2d") && Catch::Contains("kernel width = 0"));
  CHECK_THROWS_WITH(AvgPool2d<float>(2, Pool2dOptions{}.stride(0)), Catch::Contains("[attrib.param.301]"));
  CHECK_THROWS_WITH(AvgPool2d<float>(4, 2, Pool2dOptions{}.padding(1, 2)),
                    Catch::Contains("[attrib.param.302]") && Catch::Contains("padding width = 2"));
  CHECK_THROWS_WITH(AvgPool2d<float>(3, Pool2dOptions{}.dilation(2)),
                    Catch::Contains("[attrib.param.304]") && Catch::Contains("AvgPool2d") &&
                        Catch::Contains("dilation 2x2"));
}
