// Region perturbation (metrics/pixel_flipping.hpp): deletion / insertion curves and their AUCs on
// linear models, where removing a region subtracts exactly its weighted sum (closed forms by
// hand); region grids with ragged edges, channel sums, baselines, point thinning, a Network equal
// to the function it computes, the random order as a reference, errors.
#include <cmath>

#include "support/support.hpp"
#include "attrib/attrib.hpp"
#include "attrib/metrics/pixel_flipping.hpp"

using namespace attrib;

namespace {
/// f(x) = [w . x, -w . x] over the flattened item: a linear two-class model.
template <class T>
struct LinearModel {
  std::vector<double> w;
  Tensor<T> operator()(ConstView<T> batch) const {
    const Index n = batch.shape().batch(), d = batch.shape().sample_size();
    Tensor<T> y(Shape{n, 2});
    for (Index i = 0; i < n; ++i) {
      double s = 0;
      for (Index j = 0; j < d; ++j) s += w[std::size_t(j)] * double(batch[i * d + j]);
      y.at(i, 0) = T(s);
      y.at(i, 1) = T(-s);
    }
    return y;
  }
};
template <class T>
Tensor<T> filled(Shape s, std::vector<double> v) {
  Tensor<T> t(s);
  for (Index i = 0; i < t.size(); ++i) t[i] = T(v[std::size_t(i)]);
  return t;
}
void require_curve(const std::vector<double>& a, std::initializer_list<double> e, double tol) {
  REQUIRE(a.size() == e.size());
  std::size_t i = 0;
  for (double v : e) {
    INFO("point " << i << ": " << a[i] << " vs " << v);
    CHECK(std::abs(a[i++] - v) <= tol);
  }
}
}  // namespace

TEMPLATE_TEST_CASE("pixel flipping: a linear model on four pixels gives the closed-form curves", "[pixel_flipping]",
                   float, double) {
  using T = TestType;
  const double tol = std::is_same_v<T, float> ? 1e-5 : 1e-12;
  const LinearModel<T> f{{2, 4, 1, 3}};
  const Tensor<T> x = filled<T>(Shape{1, 1, 2, 2}, {1, 1, 1, 1});
  const Tensor<T> a = filled<T>(Shape{1, 1, 2, 2}, {2, 4, 1, 3});  // w (.) x: order pixels 1, 3, 0, 2
  const PerturbationCurves r = pixel_flipping(f, x.cview(), a.cview(), 0);
  CHECK(r.regions == 4);
  require_curve(r.fraction, {0, 0.25, 0.5, 0.75, 1}, 1e-15);
  require_curve(r.deletion, {10, 6, 3, 1, 0}, tol);
  require_curve(r.insertion, {0, 4, 7, 9, 10}, tol);
  CHECK(std::abs(r.deletion_auc - 3.75) <= tol);   // 0.25 (8 + 4.5 + 2 + 0.5)
  CHECK(std::abs(r.insertion_auc - 6.25) <= tol);  // 0.25 (2 + 5.5 + 8 + 9.5)
  CHECK(std::abs(r.aopc - 6.0) <= tol);            // mean(0, 4, 7, 9, 10)
  // MoRF is the best order for positive contributions: every other order stays above / below.
  REQUIRE(r.random_deletion.size() == 5);
  for (std::size_t k = 0; k < 5; ++k) {
    CHECK(r.random_deletion[k] >= r.deletion[k] - tol);
    CHECK(r.random_insertion[k] <= r.insertion[k] + tol);
    CHECK(std::abs(r.random_deletion[k] + r.random_insertion[k] - 10) <= tol);  // complementary for a linear f
  }
  CHECK(r.random_deletion_auc >= r.deletion_auc);
  CHECK(r.random_insertion_auc <= r.insertion_auc);
  // The opposite class falls the other way round.
  const PerturbationCurves neg = pixel_flipping(f, x.cview(), a.cview(), 1);
  require_curve(neg.deletion, {-10, -6, -3, -1, 0}, tol);
}

TEST_CASE("pixel flipping: square regions, ragged edges, channel sums, baseline and thinning", "[pixel_flipping]") {
  Index regions = 0;
  const auto map = region_map(5, 5, 3, regions);  // regions 3x3, 3x2, 2x3, 2x2
  CHECK(regions == 4);
  std::vector<int> count(4, 0);
  for (Index m : map) ++count[std::size_t(m)];
  CHECK(count == std::vector<int>{9, 6, 6, 4});

  // [1, 2, 4, 4] with regions of 2: region scores summed over both channels.
  std::vector<double> w(32, 1.0), av(32, 0.0);
  const auto at = [](Index ch, Index y, Index x) { return std::size_t(ch * 16 + y * 4 + x); };
  av[at(0, 0, 0)] = 5;   // region 0: 5 in channel 0
  av[at(1, 3, 3)] = 3;   // region 3: 3 + 3 over both channels -> most relevant
  av[at(0, 2, 2)] = 3;
  av[at(1, 0, 3)] = -1;  // region 1: negative -> last
  const LinearModel<double> f{w};
  const Tensor<double> x = filled<double>(Shape{1, 2, 4, 4}, std::vector<double>(32, 1.0));
  const Tensor<double> a = filled<double>(Shape{1, 2, 4, 4}, av);
  const Tensor<double> b = filled<double>(Shape{1, 2, 4, 4}, std::vector<double>(32, 0.5));
  PixelFlippingOptions o;
  o.region = 2;
  o.batch_size = 3;  // several chunks
  const auto r = pixel_flipping(f, x.cview(), a.cview(), 0, b.cview(), o);
  // each region holds 8 values; removing one to the baseline 0.5 lowers f by 4
  require_curve(r.deletion, {32, 28, 24, 20, 16}, 1e-12);
  require_curve(r.insertion, {16, 20, 24, 28, 32}, 1e-12);

  // A weighted model tells the order: region 3 first, then 0, 2, 1.
  std::vector<double> wr(32);
  for (Index ch = 0; ch < 2; ++ch)
    for (Index y = 0; y < 4; ++y)
      for (Index xx = 0; xx < 4; ++xx) wr[at(ch, y, xx)] = double(1 + (y / 2) * 2 + xx / 2);  // region id + 1
  const auto r2 = pixel_flipping(LinearModel<double>{wr}, x.cview(), a.cview(), 0, {}, o);
  // f(x) = 8 (1 + 2 + 3 + 4) = 80; removal order: region 3 (32), 0 (8), 2 (24), 1 (16)
  require_curve(r2.deletion, {80, 48, 40, 16, 0}, 1e-12);

  // Thinning: 16 regions of 1 pixel, at most 4 steps -> k = 0, 4, 8, 12, 16.
  const Tensor<double> x1 = filled<double>(Shape{1, 1, 4, 4}, std::vector<double>(16, 1.0));
  std::vector<double> a1(16);
  for (std::size_t i = 0; i < 16; ++i) a1[i] = double(i);
  PixelFlippingOptions o4;
  o4.max_points = 4;
  const auto r3 = pixel_flipping(LinearModel<double>{std::vector<double>(16, 1.0)}, x1.cview(),
                                 filled<double>(Shape{1, 1, 4, 4}, a1).cview(), 0, {}, o4);
  require_curve(r3.fraction, {0, 0.25, 0.5, 0.75, 1}, 1e-15);
  require_curve(r3.deletion, {16, 12, 8, 4, 0}, 1e-12);
}

TEST_CASE("pixel flipping: a Network gives the curves of the function it computes", "[pixel_flipping]") {
  Network<float> net;
  net.add(Flatten<float>(), "flatten");
  Dense<float> d(4, 2, false);
  const float wv[] = {2, 4, 1, 3, -2, -4, -1, -3};  // [out, in]
  for (Index k = 0; k < 8; ++k) d.weight().mutable_view()[k] = wv[k];
  net.add(d, "fc");
  const Tensor<float> x = filled<float>(Shape{1, 1, 2, 2}, {1, 1, 1, 1});
  const auto e = explain(net, GradientTimesInput{}, x.cview(), 0);
  const auto r = pixel_flipping(net, x.cview(), e.attribution.cview(), 0);
  require_curve(r.deletion, {10, 6, 3, 1, 0}, 1e-5);
  require_curve(r.insertion, {0, 4, 7, 9, 10}, 1e-5);
}

TEST_CASE("pixel flipping errors", "[pixel_flipping][errors]") {
  const LinearModel<double> f{{1, 1, 1, 1}};
  const Tensor<double> x = filled<double>(Shape{1, 1, 2, 2}, {1, 1, 1, 1});
  PixelFlippingOptions o;
  o.region = 0;
  CHECK_THROWS_WITH(pixel_flipping(f, x.cview(), x.cview(), 0, {}, o), Catch::Contains("param.870"));
  o.region = 3;
  CHECK_THROWS_WITH(pixel_flipping(f, x.cview(), x.cview(), 0, {}, o), Catch::Contains("param.872"));
  o = {};
  o.max_points = 0;
  CHECK_THROWS_WITH(pixel_flipping(f, x.cview(), x.cview(), 0, {}, o), Catch::Contains("param.871"));
  const Tensor<double> two(Shape{2, 1, 2, 2});
  CHECK_THROWS_WITH(pixel_flipping(f, two.cview(), two.cview(), 0), Catch::Contains("shape.870"));
  const Tensor<double> other(Shape{1, 1, 4, 1});
  CHECK_THROWS_WITH(pixel_flipping(f, x.cview(), other.cview(), 0), Catch::Contains("shape.871"));
  CHECK_THROWS_WITH(pixel_flipping(f, x.cview(), x.cview(), 7), Catch::Contains("arg.703"));
}
