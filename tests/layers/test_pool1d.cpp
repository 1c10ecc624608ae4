#include <cmath>
#include <limits>
#include <vector>

#include "support/layer_checks.hpp"
#include "attrib/layers/pool1d.hpp"

using namespace attrib;
using namespace attrib::test;

namespace {

// Naive pooling of every [n, c] row over windows start = o s - p, taps start + k d.
// Window count by PyTorch's formula (ceil mode: the last window must start inside the input
// or the left padding).
Index out_len(Index L, Index k, Index s, Index p, Index d, bool ceil) {
  const Index span = d * (k - 1) + 1, num = L + 2 * p - span;
  Index o = (ceil ? (num + s - 1) / s : num / s) + 1;
  if (ceil && (o - 1) * s >= L + p) --o;
  return o;
}

template <class T>
Tensor<double> naive_max(const Tensor<T>& x, Index k, Index s, Index p, Index d, bool ceil) {
  const Index L = x.dim(2), lo = out_len(L, k, s, p, d, ceil);
  Tensor<double> y(Shape{x.dim(0), x.dim(1), lo});
  for (Index r = 0; r < x.dim(0) * x.dim(1); ++r)
    for (Index o = 0; o < lo; ++o) {
      double best = -std::numeric_limits<double>::infinity();
      for (Index t = 0; t < k; ++t) {
        const Index i = o * s - p + t * d;
        if (i >= 0 && i < L) best = std::max(best, double(x[r * L + i]));
      }
      y[r * lo + o] = best;
    }
  return y;
}

template <class T>
Tensor<double> naive_avg(const Tensor<T>& x, Index k, Index s, Index p, bool ceil, bool include_pad) {
  const Index L = x.dim(2), lo = out_len(L, k, s, p, 1, ceil);
  Tensor<double> y(Shape{x.dim(0), x.dim(1), lo});
  for (Index r = 0; r < x.dim(0) * x.dim(1); ++r)
    for (Index o = 0; o < lo; ++o) {
      const Index start = o * s - p, end = std::min(start + k, L + p);  // never beyond the padded border
      double sum = 0;
      Index inside = 0;
      for (Index i = std::max<Index>(start, 0); i < std::min(end, L); ++i, ++inside) sum += double(x[r * L + i]);
      y[r * lo + o] = sum / double(include_pad ? end - start : inside);
    }
  return y;
}

template <class L, class T>
Tensor<T> forward_of(const L& layer, const Tensor<T>& x) {
  Workspace<T> ws;
  Tensor<T> y(layer.output_shape(x.shape()));
  layer.forward(x, y, ws);
  return y;
}

struct Case {
  Index k, s, p, d;
  bool ceil, include_pad;
  Index L;
};
const std::vector<Case> cases = {
    {3, 2, 0, 1, false, true, 11}, {3, 2, 1, 2, true, true, 12}, {2, 2, 0, 1, true, true, 9},
    {3, 2, 1, 1, false, false, 10}, {4, 3, 1, 1, true, false, 11}, {4, 3, 2, 1, true, true, 11},
};

Pool1dOptions options(const Case& c) {
  return Pool1dOptions().stride(c.s).padding(c.p).dilation(c.d).ceil_mode(c.ceil).count_include_pad(c.include_pad);
}

}  // namespace

TEMPLATE_TEST_CASE("MaxPool1d and AvgPool1d match naive loops", "[layers][pool1d]", float, double) {
  using T = TestType;
  const double t = std::is_same_v<T, float> ? 1e-6 : 1e-14;
  unsigned seed = 1;
  for (const Case& c : cases) {
    INFO("k " << c.k << " s " << c.s << " p " << c.p << " d " << c.d << " ceil " << c.ceil << " incl " << c.include_pad
              << " L " << c.L);
    auto x = random_tensor<T>(Shape{2, 3, c.L}, seed++);
    MaxPool1d<T> mp(c.k, options(c));
    require_close(forward_of(mp, x), naive_max(x, c.k, c.s, c.p, c.d, c.ceil), t, t, "max");
    if (c.d != 1) continue;
    Pool1dOptions o = options(c);
    o.dilation(1);
    AvgPool1d<T> ap(c.k, o);
    CHECK(ap.count_include_pad() == c.include_pad);
    require_close(forward_of(ap, x), naive_avg(x, c.k, c.s, c.p, c.ceil, c.include_pad), t, t, "avg");
  }
}

TEST_CASE("MaxPool1d and AvgPool1d backward match finite differences", "[layers][pool1d]") {
  unsigned seed = 20;
  for (const Case& c : cases) {
    auto x = random_tensor<double>(Shape{2, 2, c.L}, seed++);
    check_backward_fd(MaxPool1d<double>(c.k, options(c)), x, seed++);
    if (c.d != 1) continue;
    const AvgPool1d<double> ap(c.k, options(c));
    check_backward_fd(ap, x, seed++);
    check_adjoint(ap, transform::Ones{}, x.shape(), seed++);
    check_batch_equals_samples(ap, x);
  }
}

TEST_CASE("MaxPool1d argmax routes to the window maximum", "[layers][pool1d]") {
  MaxPool1d<double> mp(3, Pool1dOptions().stride(2).padding(1));
  Tensor<double> x(Shape{1, 1, 5}, std::vector<double>{1, 5, 2, 0, 7});
  Tensor<Index> idx(mp.output_shape(x.shape()));
  mp.argmax(x, idx);
  REQUIRE(idx.size() == 3);
  CHECK(idx[0] == 1);  // window [-1, 0, 1]
  CHECK(idx[1] == 1);  // window [1, 2, 3]
  CHECK(idx[2] == 4);  // window [3, 4, 5]
}

TEST_CASE("Pool1d layers validate under their own names", "[layers][pool1d][errors]") {
  CHECK_THROWS_WITH(MaxPool1d<float>(0), Catch::Contains("[attrib.param.300]") && Catch::Contains("MaxPool1d") &&
                                             Catch::Contains("length"));
  CHECK_THROWS_WITH(MaxPool1d<float>(3, Pool1dOptions().padding(2)), Catch::Contains("[attrib.param.302]"));
  CHECK_THROWS_WITH(AvgPool1d<float>(3, Pool1dOptions().dilation(2)),
                    Catch::Contains("[attrib.param.1070]") && Catch::Contains("AvgPool1d"));
  MaxPool1d<float> mp(4, Pool1dOptions().dilation(2));
  mp.set_name("pool.1");
  CHECK_THROWS_WITH(mp.output_shape(Shape{2, 3, 4, 4}),
                    Catch::Contains("[attrib.shape.1070]") && Catch::Contains("MaxPool1d 'pool.1'"));
  CHECK_THROWS_WITH(mp.output_shape(Shape{2, 3, 6}), Catch::Contains("[attrib.shape.1071]") &&
                                                        Catch::Contains("MaxPool1d 'pool.1'") &&
                                                        Catch::Contains("L >= 7"));
  Workspace<float> ws;
  Tensor<float> x(Shape{2, 3, 8}), y(Shape{2, 3, 3});
  CHECK_THROWS_WITH(mp.forward(x, y, ws), Catch::Contains("output") && Catch::Contains("expected [2, 3, 1]"));
}
