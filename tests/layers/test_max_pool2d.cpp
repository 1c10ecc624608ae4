#include <algorithm>
#include <limits>
#include <numeric>
#include <vector>

#include "support/layer_checks.hpp"
#include "attrib/layers/max_pool2d.hpp"

using namespace attrib;
using namespace attrib::test;

namespace {

struct Config {
  Shape in;
  Index kh, kw;
  Pool2dOptions opt;
};

// Small odd shapes: stride != kernel, padding, dilation, ceil mode, non-square everything.
std::vector<Config> configs() {
  return {
      {Shape{2, 3, 7, 5}, 2, 2, Pool2dOptions{}},
      {Shape{1, 2, 7, 6}, 3, 2, Pool2dOptions{}.stride(2, 1)},
      {Shape{2, 1, 5, 7}, 3, 3, Pool2dOptions{}.stride(2).padding(1)},
      {Shape{1, 2, 6, 6}, 3, 3, Pool2dOptions{}.stride(2).padding(1).ceil_mode(true)},
      {Shape{1, 2, 5, 7}, 3, 2, Pool2dOptions{}.stride(2, 3).padding(1, 1).dilation(1, 2).ceil_mode(true)},
      {Shape{2, 2, 9, 8}, 3, 2, Pool2dOptions{}.stride(3, 2).padding(1, 0).dilation(2, 3)},
      {Shape{1, 1, 7, 7}, 3, 3, Pool2dOptions{}.stride(3).padding(1).dilation(2).ceil_mode(true)},
      {Shape{1, 3, 2, 4}, 3, 2, Pool2dOptions{}.stride(2).ceil_mode(true)},  // window hangs over
      {Shape{3, 2, 4, 4}, 4, 1, Pool2dOptions{}.stride(1, 2).padding(2, 0)},
      // ceil mode drops a last window that would start in the right padding
      {Shape{1, 2, 5, 8}, 2, 2, Pool2dOptions{}.stride(3).padding(1).ceil_mode(true)},
  };
}

// Number of windows along one axis, stated as PyTorch describes it: windows start every
// `stride` cells of the padded input; floor mode keeps those that fit entirely, ceil mode adds
// windows while the previous one did not reach the padded end, as long as the new one starts
// inside the input or its left padding.
Index naive_windows(Index n, Index k, Index s, Index p, Index d, bool ceil) {
  const Index span = d * (k - 1) + 1, padded = n + 2 * p;
  Index count = 0;
  for (Index start = 0;; start += s, ++count) {  // start in padded coordinates
    if (start + span <= padded) continue;
    const bool previous_fell_short = start - s + span < padded;
    if (ceil && previous_fell_short && start < n + p) ++count;
    return count;
  }
}

// Naive max pooling: every kernel tap, padded taps are -inf, strict '>' keeps the first
// maximum in scan order. Also returns the flat input index of each maximum (-1 if none).
template <class T>
Tensor<T> naive_max_pool(const Tensor<T>& x, const Config& c, std::vector<Index>* argmax = nullptr) {
  const Pool2dOptions& o = c.opt;
  const Index sh = o.has_stride ? o.stride_h : c.kh, sw = o.has_stride ? o.stride_w : c.kw;
  const Index H = x.dim(2), W = x.dim(3);
  const Index OH = naive_windows(H, c.kh, sh, o.pad_h, o.dilation_h, o.ceil);
  const Index OW = naive_windows(W, c.kw, sw, o.pad_w, o.dilation_w, o.ceil);
  Tensor<T> y(Shape{x.dim(0), x.dim(1), OH, OW});
  if (argmax) argmax->assign(static_cast<std::size_t>(y.size()), -1);
  Index out = 0;
  for (Index n = 0; n < x.dim(0); ++n)
    for (Index ch = 0; ch < x.dim(1); ++ch)
      for (Index oy = 0; oy < OH; ++oy)
        for (Index ox = 0; ox < OW; ++ox, ++out) {
          T best = -std::numeric_limits<T>::infinity();
          Index best_i = -1;
          for (Index ky = 0; ky < c.kh; ++ky)
            for (Index kx = 0; kx < c.kw; ++kx) {
              const Index iy = oy * sh - o.pad_h + ky * o.dilation_h;
              const Index ix = ox * sw - o.pad_w + kx * o.dilation_w;
              if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
              const T v = x.at(n, ch, iy, ix);
              if (best_i < 0 || v > best) {
                best = v;
                best_i = ((n * x.dim(1) + ch) * H + iy) * W + ix;
              }
            }
          y[out] = best;
          if (argmax) (*argmax)[static_cast<std::size_t>(out)] = best_i;
        }
  return y;
}

// Distinct values spaced 0.1 apart in a seeded random order: no ties, so the argmax is stable
// under the finite-difference step.
Tensor<double> distinct_values(const Shape& s, unsigned seed) {
  Tensor<double> t(s);
  std::vector<Index> order(static_cast<std::size_t>(t.size()));
  std::iota(order.begin(), order.end(), Index(0));
  std::shuffle(order.begin(), order.end(), std::mt19937(seed));
  for (Index i = 0; i < t.size(); ++i) t[i] = 0.1 * double(order[static_cast<std::size_t>(i)] - t.size() / 2);
  return t;
}

// The values PyTorch's fixture below was computed on: x[i] = ((37 i) mod 101 - 50) / 10.
template <class T>
Tensor<T> fixture_input(const Shape& s) {
  Tensor<T> t(s);
  for (Index i = 0; i < t.size(); ++i) t[i] = T(double((i * 37) % 101 - 50) / 10.0);
  return t;
}

}  // namespace

TEMPLATE_TEST_CASE("MaxPool2d forward matches a naive loop", "[layers][max_pool2d]", float, double) {
  unsigned seed = 1;
  for (const Config& c : configs()) {
    MaxPool2d<TestType> pool(c.kh, c.kw, c.opt);
    auto x = random_tensor<TestType>(c.in, seed++);
    Tensor<TestType> ref = naive_max_pool(x, c);
    INFO("input " << c.in << ", kernel " << c.kh << "x" << c.kw);
    REQUIRE(pool.output_shape(c.in) == ref.shape());
    Workspace<TestType> ws;
    Tensor<TestType> y(ref.shape());
    pool.forward(x, y, ws);
    require_close(y, ref, 0, 0, "max pool forward");  // a max is exact
  }
}

TEMPLATE_TEST_CASE("MaxPool2d matches PyTorch values", "[layers][max_pool2d]", float, double) {
  // torch 1.13, float64:
  //   x = tensor([((i*37)%101 - 50)/10 for i in range(70)]).reshape(1, 2, 5, 7)
  //   y, idx = F.max_pool2d(x, (3, 2), (2, 3), (1, 1), (1, 2), ceil_mode=True, return_indices=True)
  // idx is per plane in PyTorch; the second plane's indices are shifted by 35 here.
  MaxPool2d<TestType> pool(3, 2, Pool2dOptions{}.stride(2, 3).padding(1, 1).dilation(1, 2).ceil_mode(true));
  const Shape in{1, 2, 5, 7};
  REQUIRE(pool.output_shape(in) == Shape{1, 2, 3, 3});
  const std::vector<double> expected = {4.4, 2.4, 3.4, 4.4, 3.7, 4.7, 1.3, 5.0, 0.3,
                                        2.6, 3.6, 1.6, 3.9, 4.9, 2.9, 3.9, 4.9, 4.2};
  const std::vector<Index> torch_idx = {8, 2, 5, 8, 16, 19, 29, 30, 26, 8, 11, 5, 22, 25, 19, 22, 25, 33};
  auto x = fixture_input<TestType>(in);
  Workspace<TestType> ws;
  Tensor<TestType> y(Shape{1, 2, 3, 3});
  pool.forward(x, y, ws);
  Tensor<Index> idx(Shape{1, 2, 3, 3});
  pool.argmax(x, idx);
  for (Index i = 0; i < 18; ++i) {
    CHECK(double(y[i]) == Approx(expected[static_cast<std::size_t>(i)]).margin(1e-6));
    CHECK(idx[i] == torch_idx[static_cast<std::size_t>(i)] + (i >= 9 ? 35 : 0));
  }
}

TEST_CASE("MaxPool2d argmax picks the first maximum on ties and routes the gradient there",
          "[layers][max_pool2d]") {
  // torch 1.13: x = [[2, 2], [2, 1]], F.max_pool2d(x, 2).backward(ones) gives x.grad = [[1, 0], [0, 0]].
  MaxPool2d<double> pool(2);
  Tensor<double> x(Shape{1, 1, 2, 2}, {2, 2, 2, 1}), gy(Shape{1, 1, 1, 1}, 1.0), gx(x.shape());
  Workspace<double> ws;
  pool.backward(x, gy, gx, ws);
  CHECK(gx[0] == 1.0);
  CHECK(gx[1] == 0.0);
  CHECK(gx[2] == 0.0);
  CHECK(gx[3] == 0.0);
  // Against the naive argmax on inputs with many ties (values from {-1, 0, 1}).
  unsigned seed = 40;
  for (const Config& c : configs()) {
    Tensor<double> xt(c.in);
    std::mt19937 gen(seed++);
    for (Index i = 0; i < xt.size(); ++i) xt[i] = double(int(gen() % 3) - 1);
    std::vector<Index> ref;
    naive_max_pool(xt, c, &ref);
    MaxPool2d<double> p(c.kh, c.kw, c.opt);
    Tensor<Index> idx(p.output_shape(c.in));
    p.argmax(xt, idx);
    INFO("input " << c.in << ", kernel " << c.kh << "x" << c.kw);
    CHECK(std::equal(ref.begin(), ref.end(), idx.data()));
  }
}

TEST_CASE("MaxPool2d backward passes finite differences and routes gy to the argmax", "[layers][max_pool2d]") {
  unsigned seed = 10;
  for (const Config& c : configs()) {
    MaxPool2d<double> pool(c.kh, c.kw, c.opt);
    INFO("input " << c.in << ", kernel " << c.kh << "x" << c.kw);
    auto x = distinct_values(c.in, seed);
    check_backward_fd(pool, x, seed + 1);
    // Winner-take-all against the naive argmax, overlapping windows accumulate.
    std::vector<Index> arg;
    naive_max_pool(x, c, &arg);
    auto gy = random_tensor<double>(pool.output_shape(c.in), seed + 2);
    Tensor<double> ref(c.in), gx(c.in);
    for (Index o = 0; o < gy.size(); ++o) ref[arg[static_cast<std::size_t>(o)]] += gy[o];
    Workspace<double> ws;
    pool.backward(x, gy, gx, ws);
    require_close(gx, ref, 1e-14, 1e-14, "max pool backward vs naive scatter");
    check_batch_equals_samples(pool, x);
    seed += 3;
  }
}

TEST_CASE("MaxPool2d propagates NaN and gives -inf for windows entirely in the padding",
          "[layers][max_pool2d]") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  Workspace<double> ws;
  // torch 1.13: F.max_pool2d([[[[1, nan, 3, nan]]]], (1, 4), return_indices=True) -> (nan, 3).
  MaxPool2d<double> row(1, 4);
  Tensor<double> x(Shape{1, 1, 1, 4}, {1, nan, 3, nan}), y(Shape{1, 1, 1, 1});
  row.forward(x, y, ws);
  CHECK(std::isnan(y[0]));
  Tensor<Index> idx(Shape{1, 1, 1, 1});
  row.argmax(x, idx);
  CHECK(idx[0] == 3);
  // torch 1.13: F.max_pool2d(2x2 input, 2, 2, padding=1, dilation=3) -> [[[[-inf]]]]: both taps
  // (-1 and 2) lie outside. PyTorch reports index 6 (out of range); attrib reports -1 and
  // backward drops that window's gradient.
  MaxPool2d<double> pad(2, Pool2dOptions{}.stride(2).padding(1).dilation(3));
  Tensor<double> x2(Shape{1, 1, 2, 2}, {1, 2, 3, 4}), y2(Shape{1, 1, 1, 1});
  REQUIRE(pad.output_shape(x2.shape()) == Shape{1, 1, 1, 1});
  pad.forward(x2, y2, ws);
  CHECK(y2[0] == -std::numeric_limits<double>::infinity());
  pad.argmax(x2, idx);
  CHECK(idx[0] == -1);
  Tensor<double> gy(Shape{1, 1, 1, 1}, 1.0), gx(x2.shape(), 5.0);
  pad.backward(x2, gy, gx, ws);
  CHECK(gx.vec().cwiseAbs().maxCoeff() == 0.0);
}

TEST_CASE("MaxPool2d routes windows of -inf values to their first valid cell", "[layers][max_pool2d]") {
  // torch 1.13: x = [[-inf, -inf, 1], [-inf, -inf, 2]] (1x1x2x3),
  //   F.max_pool2d(x, 2, 1, padding=1, return_indices=True) gives indices
  //   [[0, 0, 2, 2], [0, 0, 5, 5], [3, 3, 5, 5]] and the gradient of ones is [[4, 0, 2], [2, 0, 4]].
  const double inf = std::numeric_limits<double>::infinity();
  MaxPool2d<double> pool(2, Pool2dOptions{}.stride(1).padding(1));
  Tensor<double> x(Shape{1, 1, 2, 3}, {-inf, -inf, 1, -inf, -inf, 2});
  Tensor<Index> idx(pool.output_shape(x.shape()));
  REQUIRE(idx.shape() == Shape{1, 1, 3, 4});
  pool.argmax(x, idx);
  const Index expected[12] = {0, 0, 2, 2, 0, 0, 5, 5, 3, 3, 5, 5};
  for (Index i = 0; i < 12; ++i) CHECK(idx[i] == expected[i]);
  Tensor<double> gy(idx.shape(), 1.0), gx(x.shape());
  Workspace<double> ws;
  pool.backward(x, gy, gx, ws);
  const double grad[6] = {4, 0, 2, 2, 0, 4};
  for (Index i = 0; i < 6; ++i) CHECK(gx[i] == grad[i]);
}

TEST_CASE("MaxPool2d float results match double results", "[layers][max_pool2d]") {
  const Config c = configs()[4];
  auto x = distinct_values(Shape{2, 3, 11, 9}, 20);
  MaxPool2d<double> pd(c.kh, c.kw, c.opt);
  MaxPool2d<float> pf(c.kh, c.kw, c.opt);
  Workspace<float> ws;
  Tensor<float> yf(pf.output_shape(x.shape()));
  pf.forward(cast<float>(x), yf, ws);
  require_close(cast<double>(yf), run_forward(pd, x), 1e-6, 1e-6, "float vs double");
}

TEST_CASE("MaxPool2d output sizes: default stride is the kernel, PyTorch ceil rule", "[layers][max_pool2d]") {
  MaxPool2d<float> a(3, 2), b(3, 2, Pool2dOptions{}.padding(1, 1));
  CHECK(a.stride_h() == 3);
  CHECK(a.stride_w() == 2);
  CHECK(a.output_shape(Shape{1, 1, 9, 9}) == Shape{1, 1, 3, 4});
  CHECK(b.output_shape(Shape{1, 1, 9, 9}) == Shape{1, 1, 3, 5});
  CHECK(b.dilation_h() == 1);
  CHECK_FALSE(b.ceil_mode());
  // torch 1.13: F.max_pool2d(zeros(1, 1, 5, 8), k, s, 1, ceil_mode=True).shape gives (2, 3) for
  // k = 2, s = 3 and (2, 5) for k = (2, 3), s = (3, 2): last windows starting in the right
  // padding are dropped.
  CHECK(MaxPool2d<float>(2, Pool2dOptions{}.stride(3).padding(1).ceil_mode(true)).output_shape(Shape{1, 1, 5, 8}) ==
        Shape{1, 1, 2, 3});
  CHECK(MaxPool2d<float>(2, 3, Pool2dOptions{}.stride(3, 2).padding(1).ceil_mode(true))
            .output_shape(Shape{1, 1, 5, 8}) == Shape{1, 1, 2, 5});
}

TEST_CASE("MaxPool2d rejects wrong shapes and parameters with messages naming layer and shapes",
          "[layers][max_pool2d][errors]") {
  MaxPool2d<float> pool(3, 2, Pool2dOptions{}.stride(2));
  pool.set_name("pool1");
  Workspace<float> ws;
  Tensor<float> x3(Shape{2, 5, 5}), y(Shape{2, 5, 2, 2});
  CHECK_THROWS_AS(pool.forward(x3, y, ws), ShapeError);
  CHECK_THROWS_WITH(pool.forward(x3, y, ws),
                    Catch::Contains("[attrib.shape.300]") && Catch::Contains("MaxPool2d 'pool1'") &&
                        Catch::Contains("[2, 5, 5]") && Catch::Contains("[N, C, H, W]"));
  Tensor<float> small(Shape{1, 1, 2, 5}), ys(Shape{1, 1, 1, 2});
  CHECK_THROWS_AS(pool.forward(small, ys, ws), ShapeError);
  CHECK_THROWS_WITH(pool.output_shape(small.shape()),
                    Catch::Contains("[attrib.shape.301]") && Catch::Contains("MaxPool2d 'pool1'") &&
                        Catch::Contains("[1, 1, 2, 5]") && Catch::Contains("H >= 3") &&
                        Catch::Contains("W >= 2"));
  Tensor<float> x(Shape{1, 2, 5, 5}), ybad(Shape{1, 2, 3, 3});
  CHECK_THROWS_WITH(pool.forward(x, ybad, ws), Catch::Contains("MaxPool2d 'pool1'") &&
                                                   Catch::Contains("output") &&
                                                   Catch::Contains("[1, 2, 3, 3]") &&
                                                   Catch::Contains("expected [1, 2, 2, 2]"));
  Tensor<float> gy(Shape{1, 2, 2, 3}), gx(x.shape());
  CHECK_THROWS_WITH(pool.backward(x, gy, gx, ws),
                    Catch::Contains("output signal") && Catch::Contains("[1, 2, 2, 3]"));
  Tensor<float> gy2(Shape{1, 2, 2, 2}), gxbad(Shape{1, 2, 5, 4});
  CHECK_THROWS_WITH(pool.backward(x, gy2, gxbad, ws),
                    Catch::Contains("input signal") && Catch::Contains("expected [1, 2, 5, 5]"));
  Tensor<Index> idx(Shape{1, 2, 2, 1});
  CHECK_THROWS_WITH(pool.argmax(x, idx), Catch::Contains("argmax") && Catch::Contains("[1, 2, 2, 1]"));

  CHECK_THROWS_WITH(MaxPool2d<float>(0, 2), Catch::Contains("[attrib.param.300]") &&
                                                Catch::Contains("MaxPool2d") && Catch::Contains("kernel height = 0"));
  CHECK_THROWS_WITH(MaxPool2d<float>(2, 2, Pool2dOptions{}.stride(1, 0)),
                    Catch::Contains("[attrib.param.301]") && Catch::Contains("stride width = 0"));
  CHECK_THROWS_WITH(MaxPool2d<float>(3, Pool2dOptions{}.padding(2)),
                    Catch::Contains("[attrib.param.302]") && Catch::Contains("padding height = 2") &&
                        Catch::Contains("kernel / 2 = 1"));
  CHECK_THROWS_AS(MaxPool2d<float>(3, Pool2dOptions{}.padding(-1)), ParameterError);
  CHECK_THROWS_WITH(MaxPool2d<float>(3, Pool2dOptions{}.dilation(1, 0)),
                    Catch::Contains("[attrib.param.303]") && Catch::Contains("dilation width = 0"));
  CHECK_NOTHROW(MaxPool2d<float>(3, Pool2dOptions{}.padding(1)));
}
