#include <algorithm>
#include <cmath>
#include <limits>

#include "support/support.hpp"
#include "attrib/attrib.hpp"
#include "attrib/models/builders.hpp"
#include "attrib/rules/guided.hpp"
#include "attrib/rules/rectgrad.hpp"

using namespace attrib;
using namespace attrib::test;

namespace {
using Interp = PercentileInterpolation;

template <class T>
T pct(std::vector<T> v, double q, Interp mode) {
  return percentile_inplace(v.data(), Index(v.size()), q, mode);
}
}  // namespace

TEMPLATE_TEST_CASE("percentile_inplace matches hand values for both interpolations", "[rules][rectgrad][percentile]",
                   float, double) {
  using T = TestType;
  // Sorted: 1 1 2 3 4 5 6 9 (n = 8, n - 1 = 7).
  const std::vector<T> v{3, 1, 4, 1, 5, 9, 2, 6};
  // linear: h = 7 q/100; v_(floor h) + frac(h) (v_(floor h + 1) - v_(floor h)).
  CHECK(pct(v, 0, Interp::linear) == Approx(1));                    // h = 0
  CHECK(pct(v, 100, Interp::linear) == Approx(9));                  // h = 7
  CHECK(pct(v, 50, Interp::linear) == Approx(3.5));                 // h = 3.5: 3 + 0.5 (4 - 3)
  CHECK(pct(v, 25, Interp::linear) == Approx(1.75));                // h = 1.75: 1 + 0.75 (2 - 1)
  CHECK(pct(v, 98, Interp::linear) == Approx(8.58).epsilon(1e-5));  // h = 6.86: 6 + 0.86 (9 - 6)
  // nearest (TensorFlow): descending index round_half_even(7 (1 - q/100)), ascending 7 - that.
  CHECK(pct(v, 0, Interp::nearest) == 1);    // desc 7 -> asc 0
  CHECK(pct(v, 100, Interp::nearest) == 9);  // desc 0 -> asc 7
  CHECK(pct(v, 98, Interp::nearest) == 9);   // 7 * 0.02 = 0.14 -> 0 -> asc 7
  CHECK(pct(v, 90, Interp::nearest) == 6);   // 7 * 0.1 = 0.7 -> 1 -> asc 6
  CHECK(pct(v, 25, Interp::nearest) == 2);   // 7 * 0.75 = 5.25 -> 5 -> asc 2
  CHECK(pct(v, 50, Interp::nearest) == 3);   // 7 * 0.5 = 3.5 -> 4 (half to even) -> asc 3 (numpy: index 4 -> 4)
  // Halves round to even on the descending index: n = 4, q = 50: 3 * 0.5 = 1.5 -> 2 -> asc 1
  // (numpy 'nearest' would take asc index round(1.5) = 2, i.e. 30).
  CHECK(pct(std::vector<T>{40, 10, 30, 20}, 50, Interp::nearest) == 20);
  CHECK(pct(std::vector<T>{40, 10, 30, 20}, 50, Interp::linear) == Approx(25));  // h = 1.5
  // n = 6, q = 50: 5 * 0.5 = 2.5 -> 2 -> asc 3.
  CHECK(pct(std::vector<T>{6, 5, 4, 3, 2, 1}, 50, Interp::nearest) == 4);
  // Ties: interpolating between equal order statistics gives exactly the tied value.
  CHECK(pct(std::vector<T>{2, 2, 2, 2}, 37, Interp::linear) == 2);
  CHECK(pct(std::vector<T>{0, 1, 0, 1, 0}, 50, Interp::linear) == 0);   // sorted 0 0 0 1 1, h = 2
  CHECK(pct(std::vector<T>{0, 1, 0, 1, 0}, 75, Interp::linear) == 1);   // h = 3
  CHECK(pct(std::vector<T>{0, 1, 0, 1, 0}, 60, Interp::linear) == Approx(0.4));  // h = 2.4
  CHECK(pct(std::vector<T>{0, 1, 0, 1, 0}, 60, Interp::nearest) == 0);  // 4 * 0.4 = 1.6 -> 2 -> asc 2
  CHECK(pct(std::vector<T>{-7}, 98, Interp::nearest) == -7);
  CHECK(pct(std::vector<T>{-7}, 98, Interp::linear) == -7);
}

TEST_CASE("percentile_inplace agrees with a full sort on random data", "[rules][rectgrad][percentile]") {
  for (Index n : {1, 2, 3, 10, 101, 1000}) {
    auto t = random_tensor<double>(Shape{n}, unsigned(n));
    std::vector<double> sorted(t.data(), t.data() + n);
    std::sort(sorted.begin(), sorted.end());
    for (double q : {0.0, 1.0, 12.5, 50.0, 98.0, 99.9, 100.0}) {
      INFO("n " << n << " q " << q);
      std::vector<double> v(t.data(), t.data() + n);
      const double h = double(n - 1) * q / 100.0;
      const Index lo = Index(std::floor(h));
      const double want = lo + 1 < n ? sorted[std::size_t(lo)] + (h - double(lo)) * (sorted[std::size_t(lo) + 1] - sorted[std::size_t(lo)])
                                     : sorted[std::size_t(lo)];
      CHECK(percentile_inplace(v.data(), n, q, Interp::linear) == Approx(want).epsilon(1e-12));
      // nearest: one of the order statistics, the one TensorFlow's index formula selects.
      const double desc = std::nearbyint(double(n - 1) * (1.0 - q / 100.0));
      std::vector<double> w(t.data(), t.data() + n);
      CHECK(percentile_inplace(w.data(), n, q, Interp::nearest) == sorted[std::size_t(n - 1 - Index(desc))]);
    }
  }
}

TEST_CASE("percentile_inplace validates q and n", "[rules][rectgrad][percentile][errors]") {
  std::vector<double> v{1, 2};
  CHECK_THROWS_WITH(percentile_inplace(v.data(), 2, 100.5, Interp::linear),
                    Catch::Contains("[attrib.param.500]") && Catch::Contains("100.5") && Catch::Contains("[0, 100]"));
  CHECK_THROWS_AS(percentile_inplace(v.data(), 2, -1, Interp::nearest), ParameterError);
  CHECK_THROWS_AS(percentile_inplace(v.data(), 2, std::nan(""), Interp::nearest), ParameterError);
  CHECK_THROWS_WITH(percentile_inplace(v.data(), 0, 50, Interp::linear), Catch::Contains("[attrib.arg.500]"));
}

namespace {
template <class T>
void set_param(Param<T>& p, std::vector<double> v) {
  Tensor<T> t(p.shape());
  REQUIRE(Index(v.size()) == t.size());
  for (Index i = 0; i < t.size(); ++i) t[i] = static_cast<T>(v[std::size_t(i)]);
  p.assign(t.cview(), "test");
}

// Dense(2 -> 4) - ReLU - Dense(4 -> 1):
//   W1 = [[1, -3], [2, 1], [-1, 1], [1, 1]], b1 = [0.5, -1, 0.5, 0];  W2 = [[1, 2, -1, 0.5]], b2 = [b2]
// At x = [1, 2]: z = [-4.5, 3, 1.5, 3], a = [0, 3, 1.5, 3], y = 6 - 1.5 + 1.5 + b2 = 6 + b2.
// Gradient seed: r_a = W2 = [1, 2, -1, 0.5]; scores s = a r_a = [0, 6, -1.5, 1.5], sorted -1.5 0 1.5 6.
template <class T>
Network<T> tiny_net(double b2 = 0) {
  Network<T> net;
  Dense<T> d1(2, 4), d2(4, 1);
  set_param(d1.weight(), {1, -3, 2, 1, -1, 1, 1, 1});
  set_param(d1.bias(), {0.5, -1, 0.5, 0});
  set_param(d2.weight(), {1, 2, -1, 0.5});
  set_param(d2.bias(), {b2});
  net.add(d1, "fc1");
  net.add(ReLU<T>(), "relu");
  net.add(d2, "fc2");
  return net;
}

template <class T, class Rule>
std::vector<double> attribution(const Network<T>& net, const Rule& rule) {
  Tensor<T> x(Shape{1, 2}, std::vector<T>{T(1), T(2)});
  auto e = explain(net, rule, x.cview(), 0);
  return {double(e.attribution[0]), double(e.attribution[1])};
}

void check_values(const std::vector<double>& got, const std::vector<double>& want, const char* what) {
  INFO(what << ": got " << got[0] << ", " << got[1]);
  REQUIRE(got.size() == want.size());
  for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i] == Approx(want[i]).margin(1e-5));
}

// RectGrad without the explicit forward mask: a deliberately broken variant.
struct RectGradWithoutForwardMask : Gradient {
  static constexpr const char* name = "RectGradWithoutForwardMask";
  double q = 98;
  using Gradient::backward;
  template <class T, class S> void backward(const ReLU<T>&, Step<T, S>& s) const {
    const Index n = s.y.shape().batch(), d = s.y.shape().sample_size();
    for (Index b = 0; b < n; ++b) {
      std::vector<T> sc(static_cast<std::size_t>(d));
      for (Index i = 0; i < d; ++i) sc[std::size_t(i)] = s.y[b * d + i] * s.out[b * d + i];
      const T tau = percentile_inplace(sc.data(), d, q, PercentileInterpolation::linear);
      for (Index i = 0; i < d; ++i) {
        const Index k = b * d + i;
        s.in[k] = s.y[k] * s.out[k] > tau ? s.out[k] : T(0);
      }
    }
  }
};
}  // namespace

TEMPLATE_TEST_CASE("RectGrad matches hand-computed values on a tiny network", "[rules][rectgrad]", float, double) {
  using T = TestType;
  const auto net = tiny_net<T>();
  // r_x = W1^T r_z with W1^T = [[1, 2, -1, 1], [-3, 1, 1, 1]].
  // Gradient: r_z = 1[z>0] r_a = [0, 2, -1, 0.5] -> r_x = [4 + 1 + 0.5, 2 - 1 + 0.5] = [5.5, 1.5].
  check_values(attribution(net, Gradient{}), {5.5, 1.5}, "gradient");
  // GBP: r_z = [0, 2, 0, 0.5] -> [4.5, 2.5].
  check_values(attribution(net, GuidedBackprop{}), {4.5, 2.5}, "GBP");
  // q = 60, linear: h = 3 * 0.6 = 1.8, tau = 0 + 0.8 (1.5 - 0) = 1.2: keep s > 1.2 = units 1, 3
  //   -> r_z = [0, 2, 0, 0.5] -> [4.5, 2.5].
  check_values(attribution(net, RectGrad(60, Interp::linear)), {4.5, 2.5}, "q = 60 linear");
  // q = 60, nearest: desc index round(3 * 0.4 = 1.2) = 1 -> asc 2 -> tau = 1.5: keep unit 1 only
  //   -> r_z = [0, 2, 0, 0] -> [4, 2].
  check_values(attribution(net, RectGrad(60, Interp::nearest)), {4, 2}, "q = 60 nearest");
  // q = 98 (default, nearest): desc round(3 * 0.02) = 0 -> tau = 6: nothing is > 6 -> [0, 0].
  check_values(attribution(net, RectGrad{}), {0, 0}, "q = 98 default");
  // q = 98 linear: h = 2.94, tau = 1.5 + 0.94 * 4.5 = 5.73 -> unit 1 -> [4, 2].
  check_values(attribution(net, RectGrad(98, Interp::linear)), {4, 2}, "q = 98 linear");
  // q = 100: tau = max s = 6, strict ">" cuts everything.
  check_values(attribution(net, RectGrad(100, Interp::linear)), {0, 0}, "q = 100");
  // q = 0: tau = min s = -1.5 < 0. s > tau for units 0 (s = 0, but z0 < 0), 1, 3; the forward mask
  // removes unit 0 -> r_z = [0, 2, 0, 0.5] -> [4.5, 2.5]. Only the minimum-score unit 2 is cut.
  check_values(attribution(net, RectGrad(0, Interp::linear)), {4.5, 2.5}, "q = 0");
  // Without the forward mask unit 0 would pass: r_z = [1, 2, 0, 0.5] -> [1 + 4 + 0.5, -3 + 2 + 0.5].
  RectGradWithoutForwardMask broken;
  broken.q = 0;
  check_values(attribution(net, broken), {5.5, -0.5}, "broken: no forward mask");
  // Constant thresholds: tau = 0 -> units 1, 3 = GBP; tau = 1.5 -> unit 1; tau = -2 -> every live unit = gradient.
  check_values(attribution(net, RectGradConstant{}), {4.5, 2.5}, "constant 0");
  check_values(attribution(net, RectGradConstant(1.5)), {4, 2}, "constant 1.5");
  check_values(attribution(net, RectGradConstant(-2)), {5.5, 1.5}, "constant -2");
  // Read-out x (.) r (official RectGrad code): x = [1, 2].
  check_values(attribution(net, RectGrad(60, Interp::linear, true)), {4.5, 5}, "times input");
  check_values(attribution(net, RectGradConstant(0, true)), {4.5, 5}, "constant, times input");
}

TEMPLATE_TEST_CASE("Logit-seeded RectGrad thresholds the negated signal for a negative logit",
                   "[rules][rectgrad][seed]", float, double) {
  const auto net = tiny_net<TestType>(-10);  // y = 6 - 10 = -4
  // Seed -4: r_a = [-4, -8, 4, -2], s = a r_a = [0, -24, 6, -6], sorted -24 -6 0 6.
  // q = 60 nearest: asc index 2 -> tau = 0 -> unit 2 only -> r_z = [0, 0, 4, 0] -> r_x = [-4, 4].
  check_values(attribution(net, RectGradLogitSeed(60)), {-4, 4}, "logit seed, nearest");
  // q = 60 linear: tau = -6 + 0.8 * 6 = -1.2 -> units 0 (dead) and 2 -> [-4, 4].
  check_values(attribution(net, RectGradLogitSeed(60, Interp::linear)), {-4, 4}, "logit seed, linear");
  // Not -4 x RectGrad (= -4 x [4, 2] with nearest): the sign flips which units survive.
  check_values(attribution(net, RectGrad(60)), {4, 2}, "gradient seed");
  // Constant threshold 0 with the logit seed = GBP with the logit seed: r_z = 1[z>0] max(0, r_a) = [0, 0, 4, 0].
  check_values(attribution(net, RectGradConstantLogitSeed{}), {-4, 4}, "constant, logit seed");
  check_values(attribution(net, GuidedBackpropLogitSeed{}), {-4, 4}, "GBP, logit seed");
}

namespace {
double max_abs_diff(const Tensor<double>& a, const Tensor<double>& b) {
  REQUIRE(a.shape() == b.shape());
  double m = 0;
  for (Index i = 0; i < a.size(); ++i) m = std::max(m, std::abs(a[i] - b[i]));
  return m;
}
template <class Rule, class Net>
Tensor<double> lib(const Net& net, const Rule& rule, const Tensor<double>& x, std::vector<Index> t) {
  return explain(net, rule, x.cview(), Targets(std::move(t))).attribution;
}

// A ReLU network with max-pooling, batch norm and a residual block: where the tau = 0 identity
// RectGradConstant == GBP must hold exactly (it is a statement about each ReLU step only).
Network<double> mixed_net() {
  Network<double> net;
  Conv2d<double> c1(2, 4, 3, 3, Conv2dOptions{}.padding(1)), c2(4, 4, 3, 3, Conv2dOptions{}.padding(1));
  fill_random(c1.weight().mutable_view(), 81);
  fill_random(c1.bias().mutable_view(), 82, -0.2, 0.2);
  fill_random(c2.weight().mutable_view(), 83, -0.5, 0.5);
  BatchNorm2d<double> bn(4);
  fill_random(bn.weight().mutable_view(), 84, 0.5, 1.5);
  fill_random(bn.running_mean().mutable_view(), 85, -0.3, 0.3);
  Dense<double> fc(4 * 3 * 3, 5);
  fill_random(fc.weight().mutable_view(), 86);
  net.add(c1, "conv1");
  const Index r1 = net.add(ReLU<double>(), "relu1");
  net.add(c2, "conv2");
  const Index b = net.add(bn, "bn");
  net.add(Add<double>(), "add", {b, r1});
  net.add(ReLU<double>(), "relu2");
  net.add(MaxPool2d<double>(2, 2), "pool");
  net.add(Flatten<double>(), "flatten");
  net.add(fc, "fc");
  return net;
}

/// RectGrad at one ReLU in double with a full sort per sample (independent of percentile_inplace).
Tensor<double> naive_rectgrad_relu(ConstView<double> z, ConstView<double> a, const Tensor<double>& r, double q,
                                   Interp mode) {
  Tensor<double> out(z.shape());
  const Index n = z.shape().batch(), d = z.shape().sample_size();
  for (Index b = 0; b < n; ++b) {
    std::vector<double> s(static_cast<std::size_t>(d));
    for (Index i = 0; i < d; ++i) s[std::size_t(i)] = a[b * d + i] * r[b * d + i];
    std::sort(s.begin(), s.end());
    double tau;
    if (mode == Interp::linear) {
      const double h = double(d - 1) * q / 100;
      const std::size_t lo = std::size_t(h);
      tau = lo + 1 < s.size() ? s[lo] + (h - double(lo)) * (s[lo + 1] - s[lo]) : s[lo];
    } else {
      tau = s[std::size_t(d - 1) - std::size_t(std::nearbyint(double(d - 1) * (1 - q / 100)))];
    }
    for (Index i = 0; i < d; ++i) {
      const Index k = b * d + i;
      out[k] = z[k] > 0 && a[k] * r[k] > tau ? r[k] : 0.0;
    }
  }
  return out;
}

/// Runs the rule with keep_layers and checks every node's input signal against the expected local
/// step: `relu_step` at ReLU nodes, the layer's own gradient elsewhere (chain networks only).
template <class Rule, class ReluStep>
void check_node_by_node(const Network<double>& net, const Rule& rule, const Tensor<double>& x,
                        const std::vector<Index>& t, const ReluStep& relu_step) {
  Explainer<Network<double>, Rule> ex(net, rule);
  ExplainOptions<double> opt;
  opt.keep_layers = true;
  const auto& e = ex.explain(x.cview(), Targets(t), opt);
  Workspace<double> ws;
  Index relus = 0;
  for (Index i = 0; i < net.size(); ++i) {
    INFO("node " << net.node(i).name);
    REQUIRE(net.node(i).inputs[0] == i - 1);
    const ConstView<double> in = ex.trace().output(i - 1), y = ex.trace().output(i);
    const Tensor<double>& r_out = e.layers[std::size_t(i)];
    const Tensor<double>& r_in = i == 0 ? e.attribution : e.layers[std::size_t(i - 1)];
    Tensor<double> want(in.shape());
    net.visit(i, [&](const auto& layer) {
      using L = std::decay_t<decltype(layer)>;
      if constexpr (std::is_same_v<L, ReLU<double>>) {
        ++relus;
        want = relu_step(in, y, r_out);
      } else if constexpr (L::arity == 1) {
        layer.backward(in, r_out.cview(), want.view(), ws);
      }
    });
    require_close(r_in, want, 1e-13, 1e-15, net.node(i).name);
  }
  CHECK(relus > 0);
}
}  // namespace

TEST_CASE("RectGrad with constant threshold 0 equals Guided Backprop on a ReLU network",
          "[rules][rectgrad][invariant]") {
  // tau = 0: 1[a r > 0] = 1[a > 0] 1[r > 0] because a >= 0, and 1[a > 0] = 1[z > 0].
  const auto net = mixed_net();
  const auto x = random_tensor<double>(Shape{3, 2, 6, 6}, 87);
  const std::vector<Index> t{0, 4, 2};
  const auto gbp = lib(net, GuidedBackprop{}, x, t);
  REQUIRE(gbp.vec().norm() > 0);
  require_close(lib(net, RectGradConstant{}, x, t), gbp, 1e-14, 1e-16, "RectGradConstant(0) vs GBP");
  // The same comparison catches a nonzero threshold and a rule without the backward sign mask.
  CHECK(max_abs_diff(lib(net, RectGradConstant(0.01), x, t), gbp) > 1e-6);
  CHECK(max_abs_diff(lib(net, RectGradConstant(-0.01), x, t), gbp) > 1e-6);
  CHECK(max_abs_diff(lib(net, Gradient{}, x, t), gbp) > 1e-6);
}

namespace {
// Chain CNN (conv, ReLU, max-pool, dropout, dense): thresholds over C x H x W and over units.
Network<double> chain_cnn() {
  BuilderOptions o;
  o.width_divisor = 8;
  return cifar_net<double>(o);
}
auto naive_step(double q, Interp mode) {
  return [q, mode](ConstView<double> z, ConstView<double> a, const Tensor<double>& r) {
    return naive_rectgrad_relu(z, a, r, q, mode);
  };
}

// Like RectGrad, but one threshold for the whole batch: a deliberately broken variant.
struct RectGradBatchThreshold : Gradient {
  static constexpr const char* name = "RectGradBatchThreshold";
  using Gradient::backward;
  template <class T, class S> void backward(const ReLU<T>&, Step<T, S>& s) const {
    std::vector<T> sc(static_cast<std::size_t>(s.y.size()));
    for (Index k = 0; k < s.y.size(); ++k) sc[std::size_t(k)] = s.y[k] * s.out[k];
    const T tau = percentile_inplace(sc.data(), s.y.size(), 98, PercentileInterpolation::nearest);
    for (Index k = 0; k < s.y.size(); ++k) s.in[k] = s.x[k] > 0 && s.y[k] * s.out[k] > tau ? s.out[k] : T(0);
  }
};
}  // namespace

TEST_CASE("RectGrad thresholds per sample over all non-batch axes (node-by-node oracle)",
          "[rules][rectgrad][reference][batch]") {
  const auto net = chain_cnn();
  const auto x = random_tensor<double>(Shape{3, 3, 32, 32}, 91);
  const std::vector<Index> t{2, 7, 2};
  for (double q : {98.0, 60.0, 0.0})
    for (Interp mode : {Interp::nearest, Interp::linear}) {
      INFO("q " << q << " mode " << int(mode));
      check_node_by_node(net, RectGrad(q, mode), x, t, naive_step(q, mode));
    }
  // Batch = per sample.
  const auto all = lib(net, RectGrad{}, x, t);
  REQUIRE(all.vec().norm() > 0);
  for (Index n = 0; n < 3; ++n) {
    const Tensor<double> xn = Tensor<double>::copy_of(x.cview().slice(n, 1));
    require_close(lib(net, RectGrad{}, xn, {t[std::size_t(n)]}), Tensor<double>::copy_of(all.cview().slice(n, 1)),
                  1e-14, 1e-16, "sample " + std::to_string(n));
  }
  // One threshold for the whole batch gives other maps: the per-sample comparison would catch it.
  CHECK(max_abs_diff(lib(net, RectGradBatchThreshold{}, x, t), all) > 1e-6);
}

namespace {
// RectGrad at q = 100 with ">=" instead of ">": a deliberately broken variant.
struct NonStrict : Gradient {
  static constexpr const char* name = "NonStrict";
  using Gradient::backward;
  template <class T, class S> void backward(const ReLU<T>&, Step<T, S>& s) const {
    const Index d = s.y.shape().sample_size();
    std::vector<T> sc(static_cast<std::size_t>(d));
    for (Index b = 0; b < s.y.shape().batch(); ++b) {
      for (Index i = 0; i < d; ++i) sc[std::size_t(i)] = s.y[b * d + i] * s.out[b * d + i];
      const T tau = percentile_inplace(sc.data(), d, 100, PercentileInterpolation::linear);
      for (Index i = 0; i < d; ++i) {
        const Index k = b * d + i;
        s.in[k] = s.x[k] > 0 && s.y[k] * s.out[k] >= tau ? s.out[k] : T(0);
      }
    }
  }
};
}  // namespace

TEST_CASE("RectGrad at q = 100 is zero, q = 0 cuts only the minimum-score units", "[rules][rectgrad][invariant]") {
  const auto net = mixed_net();
  const auto x = random_tensor<double>(Shape{2, 2, 6, 6}, 88);
  const std::vector<Index> t{1, 3};
  for (Interp mode : {Interp::linear, Interp::nearest})
    CHECK(lib(net, RectGrad(100, mode), x, t).vec().norm() == 0.0);
  // A broken variant with ">=" instead of ">" keeps the maximum at q = 100.
  CHECK(lib(net, NonStrict{}, x, t).vec().norm() > 0.0);
  // q = 0: tau = the minimum score of the layer; every live unit above it passes.
  const auto cnn = chain_cnn();
  const auto xc = random_tensor<double>(Shape{2, 3, 32, 32}, 89);
  check_node_by_node(cnn, RectGrad(0, Interp::linear), xc, t, [](ConstView<double> z, ConstView<double> a,
                                                                  const Tensor<double>& r) {
    Tensor<double> out(z.shape());
    const Index d = z.shape().sample_size();
    for (Index b = 0; b < z.shape().batch(); ++b) {
      double mn = std::numeric_limits<double>::infinity();
      for (Index i = 0; i < d; ++i) mn = std::min(mn, a[b * d + i] * r[b * d + i]);
      for (Index i = 0; i < d; ++i) {
        const Index k = b * d + i;
        out[k] = z[k] > 0 && a[k] * r[k] > mn ? r[k] : 0.0;
      }
    }
    return out;
  });
}

TEST_CASE("RectGrad's times-input read-out multiplies by the input and every layer's activation",
          "[rules][rectgrad]") {
  const auto net = chain_cnn();
  const auto x = random_tensor<double>(Shape{2, 3, 32, 32}, 93);
  ExplainOptions<double> opt;
  opt.keep_layers = true;
  const auto plain = explain(net, RectGrad(90), x.cview(), 1, opt);
  const auto times = explain(net, RectGrad(90, Interp::nearest, true), x.cview(), 1, opt);
  Tensor<double> want(x.shape());
  want.vec() = plain.attribution.vec().cwiseProduct(x.vec());
  require_close(times.attribution, want, 1e-15, 1e-18, "x (.) r");
  CHECK(max_abs_diff(times.attribution, plain.attribution) > 1e-6);
  Trace<double> tr;
  Workspace<double> ws;
  forward(net, x.cview(), tr, ws);
  const Index l = net.find("relu3");
  Tensor<double> wl(tr.output(l).shape());
  wl.vec() = plain.layers[std::size_t(l)].vec().cwiseProduct(tr.output(l).vec());
  require_close(times.layers[std::size_t(l)], wl, 1e-15, 1e-18, "activation (.) r at relu3");
}

TEST_CASE("RectGrad reuses its workspace scratch: no allocation after warm-up", "[rules][rectgrad][allocation]") {
  const auto net = chain_cnn();
  const auto x = random_tensor<double>(Shape{2, 3, 32, 32}, 94);
  Explainer<Network<double>, RectGrad> ex(net, RectGrad{});
  const Tensor<double> first = ex.explain(x.cview(), 3).attribution;
  // The scores of one sample of the largest ReLU (relu2: 8 channels x 32 x 32) live in the workspace.
  const std::size_t bytes = ex.workspace().bytes();
  CHECK(bytes >= 8 * 32 * 32 * sizeof(double));
  for (int k = 0; k < 3; ++k) {
    const auto& e = ex.explain(x.cview(), 3);
    require_close(e.attribution, first, 1e-15, 1e-300, "repeat");
  }
  CHECK(ex.workspace().bytes() == bytes);
  CHECK(ex.workspace().open_frames() == 0);
}

TEST_CASE("RectGrad validates its parameters", "[rules][rectgrad][errors]") {
  CHECK_THROWS_WITH(RectGrad(101), Catch::Contains("[attrib.param.500]") && Catch::Contains("RectGrad") &&
                                       Catch::Contains("101") && Catch::Contains("[0, 100]"));
  CHECK_THROWS_AS(RectGradLogitSeed(-0.5), ParameterError);
  CHECK_THROWS_WITH(RectGradConstant(std::nan("")), Catch::Contains("[attrib.param.501]") &&
                                                         Catch::Contains("RectGradConstant"));
  // Fields are public: a value set after construction is checked at use.
  const auto net = tiny_net<double>();
  const Tensor<double> x(Shape{1, 2}, std::vector<double>{1, 2});
  RectGrad r;
  r.percentile = 250;
  CHECK_THROWS_WITH(explain(net, r, x.cview(), 0), Catch::Contains("[attrib.param.500]") && Catch::Contains("250"));
  RectGradConstant c;
  c.threshold = std::numeric_limits<double>::infinity();
  CHECK_THROWS_AS(explain(net, c, x.cview(), 0), ParameterError);
}
