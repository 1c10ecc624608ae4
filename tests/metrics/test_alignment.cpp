// Input alignment (theory.md part B): cosine definition, per-layer read-out, and the T1'
// prediction for Guided Backprop through one random ReLU layer.
#include "support/support.hpp"
#include "attrib/attrib.hpp"
#include "attrib/metrics/alignment.hpp"

using namespace attrib;

namespace {
/// x (d) -> Dense d->m (no bias, N(0, 1) rows) -> ReLU -> Dense m->1 (no bias; ones, or N(0, 1)
/// for a random-sign upstream signal).
Network<double> one_layer(Index d, Index m, std::uint64_t seed, bool random_top) {
  Random rng(seed);
  Network<double> n;
  Dense<double> a(d, m, false), top(m, 1, false);
  rng.fill_normal(a.weight().mutable_view());
  if (random_top) rng.fill_normal(top.weight().mutable_view());
  else top.weight().mutable_view().vec().setOnes();
  n.add(a, "layer");
  n.add(ReLU<double>(), "relu");
  n.add(top, "top");
  return n;
}
struct Stats {
  double mean, se;
};
Stats stats(const std::vector<double>& v) {
  double m = 0, s = 0;
  for (double x : v) m += x;
  m /= double(v.size());
  for (double x : v) s += (x - m) * (x - m);
  return {m, std::sqrt(s / double(v.size() - 1) / double(v.size()))};
}
}  // namespace

TEST_CASE("alignment: Guided BP through one random ReLU layer follows 1/sqrt(1 + pi (d-1)/m)",
          "[metrics][alignment]") {
  // Measured (20 draws, x ~ N(0, I_d)) vs the prediction; tolerance = 3 standard errors plus
  // 0.01 for the approximation itself (theory.md B.3 reports 0.503 vs 0.492 at d = m = 256).
  for (auto [d, m] : {std::pair<Index, Index>{64, 64}, {64, 256}, {64, 1024}, {256, 256}}) {
    std::vector<double> guided, grad;
    for (int k = 0; k < 20; ++k) {
      Tensor<double> xn(Shape{1, d});
      Random rng(std::uint64_t(500 + k));
      rng.fill_normal(xn.view());
      guided.push_back(input_alignment(one_layer(d, m, std::uint64_t(k), false), GuidedBackprop{}, xn.cview(), 0)
                           .per_image[0]);
      grad.push_back(std::abs(
          input_alignment(one_layer(d, m, std::uint64_t(k), true), Gradient{}, xn.cview(), 0).per_image[0]));
    }
    const Stats g = stats(guided), r = stats(grad);
    const double pred = guided_alignment_prediction(d, m);
    INFO("d = " << d << ", m = " << m << ": GBP " << g.mean << " +- " << g.se << ", predicted " << pred
                << ", |cos(grad, x)| " << r.mean);
    CHECK(std::abs(g.mean - pred) < 3 * g.se + 0.01);
    CHECK(std::abs(g.mean - pred) < 0.05);
    CHECK(r.mean < 3 / std::sqrt(double(d)));
    CHECK(r.mean < g.mean - 0.3);
  }
  CHECK(guided_alignment_prediction(64, 1024) == Approx(0.9146).margin(1e-3));
}

TEMPLATE_TEST_CASE("alignment: cosine definition, centring, batch = per image, per-layer read-out",
                   "[metrics][alignment]", float, double) {
  using T = TestType;
  Tensor<T> a(Shape{1, 3}), b(Shape{1, 3});
  a.vec() << 1, 2, 2;
  b.vec() << 2, 0, 0;
  CHECK(cosine<T>(a.cview(), b.cview()) == Approx(1.0 / 3));
  b.set_zero();
  CHECK(std::isnan(cosine<T>(a.cview(), b.cview())));
  // Gradient x Input on a linear layer: a = w (.) x; cos(a, x) computed by hand.
  Network<T> n;
  Dense<T> d(4, 2, false);
  d.weight().mutable_view().vec() << 1, 2, 3, 4, -1, 0, 1, 0;
  n.add(d, "fc");
  const auto x = test::random_tensor<T>(Shape{3, 4}, 9);
  AlignmentOptions o;
  o.layers = true;
  const auto r = input_alignment(n, GradientTimesInput{}, x.cview(), {0, 1, 0}, o);
  REQUIRE(r.per_image.size() == 3);
  for (Index i = 0; i < 3; ++i) {
    const Index t = i == 1 ? 1 : 0;
    double dot = 0, na = 0, nx = 0;
    for (Index j = 0; j < 4; ++j) {
      const double w = double(d.weight().view()[t * 4 + j]), xv = double(x.at(i, j));
      dot += w * xv * xv;
      na += w * xv * w * xv;
      nx += xv * xv;
    }
    CHECK(r.per_image[std::size_t(i)] == Approx(dot / std::sqrt(na * nx)).epsilon(1e-5));
  }
  REQUIRE(r.layers.size() == 1);
  CHECK(r.layers[0].name == "fc");
  // At the output node the read-out is one-hot (.) logits y: cos = y_t^2 / (|y_t| |y|) = |y_t| / |y|.
  for (Index i = 0; i < 3; ++i) {
    double y[2] = {0, 0};
    for (Index o = 0; o < 2; ++o)
      for (Index j = 0; j < 4; ++j) y[o] += double(d.weight().view()[o * 4 + j]) * double(x.at(i, j));
    const double yt = y[i == 1 ? 1 : 0];
    CHECK(r.layers[0].per_image[std::size_t(i)] == Approx(std::abs(yt) / std::hypot(y[0], y[1])).epsilon(1e-5));
  }
  o.center_input = true;
  const auto c = input_alignment(n, GradientTimesInput{}, x.cview(), 0, o);
  CHECK(c.per_image[0] != Approx(r.per_image[0]).epsilon(1e-3));
  CHECK_THROWS_WITH(input_alignment(n, Gradient{}, x.cview(), {0, 1}),
                    Catch::Contains("arg.840") && Catch::Contains("[3, 4]"));
}
