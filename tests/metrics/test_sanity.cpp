// Sanity checks (rules-spec 4): random-logit test, cascading randomisation, bootstrap bands.
#include "support/support.hpp"
#include "attrib/attrib.hpp"
#include "attrib/metrics/sanity.hpp"

using namespace attrib;

namespace {
/// Gradient everywhere except at the Dense layer named "top", whose input signal is all ones:
/// the map ignores the top layer by construction.
struct IgnoresTop : Gradient {
  static constexpr const char* name = "IgnoresTop";
  using Gradient::backward;
  template <class T, class S>
  void backward(const Dense<T>& d, Step<T, S>& s) const {
    if (d.name() == "top") s.in.vec().setOnes();
    else Gradient::backward(d, s);
  }
};

template <class T>
Network<T> small_cnn(std::uint64_t seed) {
  Random rng(seed);
  Network<T> n;
  n.add(detail::init_conv(Conv2d<T>(2, 4, 3, 3, Conv2dOptions{}.padding(1)), rng), "conv");
  n.add(ReLU<T>(), "relu0");
  n.add(Flatten<T>(), "flatten");
  n.add(detail::init_dense(Dense<T>(4 * 8 * 8, 16), rng), "hidden");
  n.add(ReLU<T>(), "relu1");
  n.add(detail::init_dense(Dense<T>(16, 5), rng), "top");
  return n;
}

template <class T>
Tensor<T> images(Index n) {
  return test::random_tensor<T>(Shape{n, 2, 8, 8}, 17, T(0), T(1));
}
}  // namespace

TEST_CASE("sanity: bootstrap median band contains the median, is seeded and shrinks with n", "[metrics][sanity]") {
  Random rng(1);
  std::vector<double> s;
  for (int i = 0; i < 41; ++i) s.push_back(rng.uniform());
  const auto b = bootstrap_median(s, 2000, 99.5, 7);
  std::vector<double> sorted = s;
  std::sort(sorted.begin(), sorted.end());
  CHECK(b.median == sorted[20]);
  CHECK(b.lo <= b.median);
  CHECK(b.median <= b.hi);
  CHECK(b.lo < b.hi);
  const auto again = bootstrap_median(s, 2000, 99.5, 7);
  CHECK(again.lo == b.lo);
  CHECK(again.hi == b.hi);
  // Each resampled median is one of the scores (n odd).
  CHECK(std::find(s.begin(), s.end(), b.lo) != s.end());
  // The median of U(0,1) has sd ~ 1/(2 sqrt(n)); a 99% band is roughly +-2.6 sd.
  CHECK(b.hi - b.lo == Approx(2 * 2.6 / (2 * std::sqrt(41.0))).epsilon(0.5));
  CHECK(median_of({3, 1, 2, 10}) == 2.5);
  CHECK_THROWS_WITH(bootstrap_median(s, 0), Catch::Contains("param.810"));
}

TEMPLATE_TEST_CASE("sanity: top-layer randomisation leaves a top-ignoring rule at SSIM 1, not Gradient",
                   "[metrics][sanity]", float, double) {
  using T = TestType;
  const auto net = small_cnn<T>(3);
  const auto x = images<T>(6);
  const std::vector<Index> labels{0, 1, 2, 3, 4, 0};
  SanityOptions o;
  o.reduce = HeatmapReduce::abs_max;
  o.resamples = 500;
  o.seed = 11;
  const std::vector<std::string> points{"top", "hidden", "conv"};
  const auto ig = cascading_randomization(net, IgnoresTop{}, x.cview(), labels, points, o);
  const auto gr = cascading_randomization(net, Gradient{}, x.cview(), labels, points, o);
  REQUIRE(ig.steps.size() == 3);
  CHECK(ig.rule == "IgnoresTop");
  CHECK(ig.steps[0].layer == "top");
  CHECK(ig.steps[0].node == 5);
  for (double s : ig.steps[0].scores) CHECK(s == Approx(1).margin(1e-5));
  CHECK(ig.steps[0].summary.median == Approx(1).margin(1e-5));
  // Once "hidden" is random too, the top-ignoring rule changes.
  CHECK(ig.steps[1].summary.median < 0.95);
  CHECK(gr.steps[0].summary.median < 0.95);
  for (const auto& st : gr.steps) {
    CHECK(st.summary.lo <= st.summary.median);
    CHECK(st.summary.median <= st.summary.hi);
  }
  // Reproducible with the seed; a different seed draws different weights.
  const auto again = cascading_randomization(net, Gradient{}, x.cview(), labels, points, o);
  CHECK(again.steps[1].scores == gr.steps[1].scores);
  o.seed = 12;
  const auto other = cascading_randomization(net, Gradient{}, x.cview(), labels, points, o);
  CHECK(other.steps[1].scores != gr.steps[1].scores);
  // The input network is untouched.
  const auto e1 = explain(net, Gradient{}, x.cview().slice(0, 1), 0);
  const auto e2 = explain(small_cnn<T>(3), Gradient{}, x.cview().slice(0, 1), 0);
  test::require_close(e1.attribution, e2.attribution, 0, 0, "original network unchanged");
}

TEST_CASE("sanity: random-logit test: a top-ignoring rule scores 1, Gradient lower, classes != label",
          "[metrics][sanity]") {
  const auto net = small_cnn<double>(5);
  const auto x = images<double>(8);
  const std::vector<Index> labels{0, 1, 2, 3, 4, 4, 3, 2};
  SanityOptions o;
  o.resamples = 300;
  const auto ig = random_logit_test(net, IgnoresTop{}, x.cview(), labels, o);
  const auto gr = random_logit_test(net, Gradient{}, x.cview(), labels, o);
  REQUIRE(ig.random_classes.size() == 8);
  for (std::size_t i = 0; i < 8; ++i) {
    CHECK(ig.random_classes[i] != labels[i]);
    CHECK(ig.random_classes[i] >= 0);
    CHECK(ig.random_classes[i] < 5);
    CHECK(ig.scores[i] == Approx(1).margin(1e-12));
  }
  CHECK(gr.random_classes == ig.random_classes);  // same seed, same classes
  CHECK(gr.summary.median < 0.95);
  CHECK(gr.summary.lo <= gr.summary.median);
  CHECK(gr.summary.median <= gr.summary.hi);
  // z+ on a 1-unit positive bottleneck ignores everything above it (up to sign and scale).
  Network<double> b;
  Dense<double> d(2 * 8 * 8, 1);
  for (Index i = 0; i < d.weight().shape().size(); ++i) d.weight().mutable_view()[i] = 0.1 + 0.01 * double(i % 7);
  b.add(Flatten<double>(), "flatten");
  b.add(d, "bottleneck");
  b.add(ReLU<double>(), "relu");
  Dense<double> top(1, 4);
  top.weight().mutable_view().vec() << 1, 2, 0.5, 3;
  b.add(top, "top");
  const auto zp = random_logit_test(b, LrpZPlus{}, x.cview(), {0, 1, 2, 3, 0, 1, 2, 3}, o);
  for (double s : zp.scores) CHECK(s == Approx(1).margin(1e-12));
}

TEST_CASE("sanity: randomize_layers uses the builders' init, errors name the problem", "[metrics][sanity]") {
  auto net = small_cnn<double>(3);
  const auto before = net;
  Random rng(4);
  randomize_layers(net, {"hidden", "relu1"}, rng);
  // Typed access (a nested generic visit is not portable: clang checks the inner lambda's
  // non-dependent l.weight() even in a discarded branch).
  const auto& hidden = net.layer<Dense<double>>(3);
  const auto& hidden_before = before.layer<Dense<double>>(3);
  const double diff_hidden = (hidden.weight().view().vec() - hidden_before.weight().view().vec()).cwiseAbs().maxCoeff();
  CHECK(hidden.weight().view().vec().cwiseAbs().maxCoeff() <= 1 / std::sqrt(256.0));
  const double diff_conv = (net.layer<Conv2d<double>>(0).weight().view().vec() -
                            before.layer<Conv2d<double>>(0).weight().view().vec()).cwiseAbs().maxCoeff();
  CHECK(diff_hidden > 0);
  CHECK(diff_conv == 0);
  const auto x = images<double>(2);
  CHECK_THROWS_WITH(cascading_randomization(net, Gradient{}, x.cview(), {0, 1}, {"hidden", "top"}),
                    Catch::Contains("arg.811") && Catch::Contains("'top'"));
  CHECK_THROWS_WITH(random_logit_test(net, Gradient{}, x.cview(), {0}),
                    Catch::Contains("arg.810") && Catch::Contains("[2, 2, 8, 8]"));
  CHECK_THROWS_WITH(cascading_randomization(net, Gradient{}, x.cview(), {0, 1}, {"nope"}),
                    Catch::Contains("nope"));
}

TEST_CASE("sanity: randomized_copy does not repeat a builder's seed, a rule factory sees every randomised network",
          "[metrics][sanity]") {
  // small_cnn(s) draws from Random(s) in layer order, as the builders do; randomized_copy(net, s)
  // must not reproduce those weights (it would make cascading randomisation a no-op).
  const auto net = small_cnn<double>(11);
  const auto copy = randomized_copy(net, 11);
  const auto top_weights = [](const Network<double>& n) {
    Eigen::VectorXd w;
    n.visit(n.find("top"), [&](const auto& l) {
      if constexpr (std::is_same_v<std::decay_t<decltype(l)>, Dense<double>>) w = l.weight().view().vec();
    });
    return w;
  };
  CHECK((top_weights(copy) - top_weights(net)).cwiseAbs().maxCoeff() > 1e-3);

  const auto x = images<double>(3);
  const std::vector<Index> labels{0, 1, 2};
  const std::vector<std::string> points{"top", "hidden"};
  SanityOptions o;
  o.resamples = 100;
  std::vector<double> top_change;
  const Eigen::VectorXd original_top = top_weights(net);
  const auto factory = [&](const Network<double>& n) {
    top_change.push_back((top_weights(n) - original_top).cwiseAbs().maxCoeff());
    return Gradient{};
  };
  const auto with_factory = cascading_randomization(net, factory, x.cview(), labels, points, o);
  const auto plain = cascading_randomization(net, Gradient{}, x.cview(), labels, points, o);
  REQUIRE(top_change.size() == 3);  // the original network, then one per point
  CHECK(top_change[0] == Approx(0).margin(1e-15));
  CHECK(top_change[1] > 1e-3);
  CHECK(top_change[2] > 1e-3);
  CHECK(with_factory.rule == "Gradient");
  for (std::size_t k = 0; k < points.size(); ++k)
    for (std::size_t i = 0; i < labels.size(); ++i)
      CHECK(with_factory.steps[k].scores[i] == Approx(plain.steps[k].scores[i]).margin(1e-12));
}

TEST_CASE("sanity: the callable forms equal an independent loop and the rule forms", "[metrics][sanity]") {
  const auto net = small_cnn<double>(7);
  const auto x = images<double>(4);
  const std::vector<Index> labels{0, 1, 2, 0};
  SanityOptions o;
  o.resamples = 200;
  o.reduce = HeatmapReduce::abs_max;
  // A method the rule code knows nothing of: the gradient at 2x, as a callable.
  const auto doubled = [](const Network<double>& n) {
    return [&n](ConstView<double> xi, Index c) {
      Tensor<double> a = explain(n, Gradient{}, xi, c).attribution;
      a.vec() *= 2.0;
      return a;
    };
  };
  const auto rl = random_logit_test_of<double>("2 Gradient", 5, doubled(net), x.cview(), labels, o);
  const auto rl_rule = random_logit_test(net, Gradient{}, x.cview(), labels, o);
  CHECK(rl.rule == "2 Gradient");
  CHECK(rl.random_classes == rl_rule.random_classes);  // same seeded draws
  // independent loop: the flipped SSIM of the post-processed maps, scale-invariant
  Random rng(o.seed);
  for (std::size_t i = 0; i < labels.size(); ++i) {
    Index c = Index(rng.below(4));  // 5 classes
    if (c >= labels[i]) ++c;
    CHECK(rl.random_classes[i] == c);
    const auto xi = x.cview().slice(Index(i), 1);
    const Map2d a = postprocess_heatmaps<double>(explain(net, Gradient{}, xi, labels[i]).attribution.cview(), o.reduce)[0];
    const Map2d b = postprocess_heatmaps<double>(explain(net, Gradient{}, xi, c).attribution.cview(), o.reduce)[0];
    CHECK(rl.scores[i] == Approx(ssim_flipped(a, b, o.percentile)).margin(1e-12));
    CHECK(rl.scores[i] == Approx(rl_rule.scores[i]).margin(1e-12));
  }
  CHECK(rl.summary.median == Approx(rl_rule.summary.median).margin(1e-12));
  const std::vector<std::string> points{"top", "hidden"};
  const auto cr = cascading_randomization_of<double>("2 Gradient", net, doubled, x.cview(), labels, points, o);
  const auto cr_rule = cascading_randomization(net, Gradient{}, x.cview(), labels, points, o);
  REQUIRE(cr.steps.size() == 2);
  for (std::size_t k = 0; k < 2; ++k)
    for (std::size_t i = 0; i < labels.size(); ++i)
      CHECK(cr.steps[k].scores[i] == Approx(cr_rule.steps[k].scores[i]).margin(1e-12));
  CHECK_THROWS_WITH(random_logit_test_of<double>("x", 1, doubled(net), x.cview(), labels, o), Catch::Contains("shape.812"));
}
