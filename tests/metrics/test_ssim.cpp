// Flipped SSIM (rules-spec 4.2) against tools/make_ssim_fixtures.py (numpy, from the formulas),
// plus identities that need no fixture.
#include "support/support.hpp"
#include "attrib/io/safetensors.hpp"
#include "attrib/metrics/ssim.hpp"

using namespace attrib;

namespace {
const SafeTensors<double>& fixture() {
  static const auto f = SafeTensors<double>::load(std::string(ATTRIB_TEST_DATA_DIR) + "/ssim.safetensors");
  return f;
}
Map2d map(const std::string& name) { return to_map2d<double>(fixture().get(name).cview()); }
double scalar(const std::string& name) { return fixture().get(name)[0]; }
double max_abs_diff(const Map2d& a, const Map2d& b) {
  REQUIRE(a.rows() == b.rows());
  REQUIRE(a.cols() == b.cols());
  return (a - b).cwiseAbs().maxCoeff();
}
}  // namespace

TEST_CASE("ssim: reflect uniform filter, normalisation, SSIM and flipped SSIM match the numpy reference",
          "[metrics][ssim]") {
  for (int k = 0; k < 5; ++k) {
    const std::string s = std::to_string(k);
    INFO("case " << k);
    const Map2d x = map("x" + s), y = map("y" + s);
    CHECK(max_abs_diff(detail::uniform_filter_reflect(x, 5), map("filter" + s)) < 1e-13);
    CHECK(max_abs_diff(normalize_sanity(x), map("n_x" + s)) < 1e-14);
    CHECK(ssim(normalize_sanity(x), normalize_sanity(y)) == Approx(scalar("ssim" + s)).margin(1e-12));
    CHECK(ssim_flipped(x, y) == Approx(scalar("flipped" + s)).margin(1e-12));
  }
  // 3 x 7: the 5-wide window reflects across the whole short axis.
  CHECK(max_abs_diff(detail::uniform_filter_reflect(map("small"), 5), map("filter_small")) < 1e-13);
  // The fixture exercises both branches of the flip.
  CHECK(scalar("flipped1") > scalar("ssim1") + 1);
  CHECK(scalar("flipped3") == Approx(scalar("ssim3")).margin(1e-15));
}

TEST_CASE("ssim: identical maps give 1, scaled or negated maps give flipped SSIM 1", "[metrics][ssim]") {
  const auto t = test::random_tensor<double>(Shape{9, 11}, 4);
  const Map2d x = to_map2d<double>(t.cview());
  CHECK(ssim(x, x) == Approx(1).margin(1e-14));
  CHECK(ssim_flipped(x, x) == Approx(1).margin(1e-14));
  CHECK(ssim_flipped(x, Map2d(-2.5 * x)) == Approx(1).margin(1e-14));
  CHECK(ssim_flipped(x, Map2d(7 * x)) == Approx(1).margin(1e-14));
  // Without the flip a negated map is anti-correlated after the inverted normalisation.
  CHECK(ssim(normalize_sanity(x), normalize_sanity(Map2d(-x))) < 0);
}

TEST_CASE("ssim: constant maps normalise to zeros (documented) instead of NaN", "[metrics][ssim]") {
  const Map2d c = Map2d::Constant(8, 8, 3.0);
  const Map2d n = normalize_sanity(c);
  CHECK(n.cwiseAbs().maxCoeff() == 0.0);
  CHECK(ssim_flipped(c, c) == Approx(1).margin(1e-15));
  CHECK(ssim_flipped(c, Map2d::Zero(8, 8)) == Approx(1).margin(1e-15));
  const Map2d x = to_map2d<double>(test::random_tensor<double>(Shape{8, 8}, 5).cview());
  const double s = ssim_flipped(c, x);
  CHECK(std::isfinite(s));
  CHECK(s < 0.9);
}

TEST_CASE("ssim: percentile is numpy's linear interpolation, normalisation is inverted and clipped",
          "[metrics][ssim]") {
  CHECK(percentile_linear({4, 1, 3, 2}, 50) == Approx(2.5));
  CHECK(percentile_linear({0, 10}, 99.5) == Approx(9.95));
  CHECK(percentile_linear({1, 2, 3}, 100) == 3.0);
  Map2d x(1, 5);
  x << 0, 1, 2, 3, 4;
  const Map2d n = normalize_sanity(x, 100);
  CHECK(n(0, 0) == Approx(1));  // lowest value -> 1
  CHECK(n(0, 4) == Approx(0));  // highest -> 0
  CHECK(n(0, 1) == Approx(0.75));
  const Map2d m = normalize_sanity(x, 75);  // hi = 3, lo = 1: clipped outside
  CHECK(m(0, 0) == 1.0);
  CHECK(m(0, 4) == 0.0);
  CHECK(m(0, 2) == Approx(0.5));
}

TEMPLATE_TEST_CASE("ssim: heatmap post-processing 'sum' and 'abs.max' over channels", "[metrics][ssim]", float,
                   double) {
  using T = TestType;
  const auto h = test::random_tensor<T>(Shape{2, 3, 4, 5}, 6);
  const auto s = postprocess_heatmaps<T>(h.cview(), HeatmapReduce::sum);
  const auto a = postprocess_heatmaps<T>(h.cview(), HeatmapReduce::abs_max);
  REQUIRE(s.size() == 2);
  REQUIRE(a.size() == 2);
  for (Index b = 0; b < 2; ++b)
    for (Index i = 0; i < 4; ++i)
      for (Index j = 0; j < 5; ++j) {
        double sum = 0, mx = 0;
        for (Index c = 0; c < 3; ++c) {
          const double v = double(h.at(b, c, i, j));
          sum += v;
          mx = std::max(mx, std::abs(v));
        }
        CHECK(s[std::size_t(b)](i, j) == Approx(sum).margin(1e-6));
        CHECK(a[std::size_t(b)](i, j) == Approx(mx).margin(1e-7));
      }
  CHECK(std::string(to_string(HeatmapReduce::abs_max)) == "abs.max");
}

TEST_CASE("ssim: errors name the shapes", "[metrics][ssim]") {
  const Map2d a = Map2d::Zero(6, 6), b = Map2d::Zero(6, 7), tiny = Map2d::Zero(4, 9);
  CHECK_THROWS_WITH(ssim(a, b), Catch::Contains("shape.801") && Catch::Contains("[6, 7]"));
  CHECK_THROWS_WITH(ssim(tiny, tiny), Catch::Contains("shape.802") && Catch::Contains("[4, 9]"));
  SsimOptions o;
  o.window = 4;
  CHECK_THROWS_AS(ssim(a, a, o), ParameterError);
  CHECK_THROWS_WITH(normalize_sanity(a, 20), Catch::Contains("param.801"));
  const Tensor<double> t(Shape{2, 1, 3, 3});
  CHECK_THROWS_WITH(to_map2d<double>(t.cview()), Catch::Contains("shape.803") && Catch::Contains("[2, 1, 3, 3]"));
  const Tensor<double> flat(Shape{3, 3});
  CHECK_THROWS_WITH(postprocess_heatmaps<double>(flat.cview(), HeatmapReduce::sum),
                    Catch::Contains("shape.804") && Catch::Contains("[3, 3]"));
}
