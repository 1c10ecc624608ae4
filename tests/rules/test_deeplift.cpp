// DeepLIFT: closed forms (theory A.6b), summation-to-delta, the ablation, edge cases.
#include "support/support.hpp"
#include "support/hand_layers.hpp"
#include "attrib/attrib.hpp"
#include "attrib/models/builders.hpp"
#include "attrib/rules/deeplift.hpp"

using namespace attrib;
using namespace attrib::test;

namespace {
/// f = x2 + relu(x1 - x2) = max(x1, x2) for x2 > 0, as a ReLU network.
template <class T>
Network<T> max_gadget() {
  Network<T> n;
  n.add(make_dense<T>({1, -1, 0, 1}, 2, 2), "h");  // h = (x1 - x2, x2)
  n.add(ReLU<T>(), "relu");
  n.add(make_dense<T>({1, 1}, 2, 1), "y");
  return n;
}

/// Random ReLU network (Dense / Conv / BN / AvgPool / residual Add, optional max-pool).
Network<double> random_net(bool with_maxpool, unsigned seed) {
  Random rng(seed);
  Network<double> n;
  auto conv = [&](Index ci, Index co) {
    Conv2d<double> c(ci, co, 3, 3, Conv2dOptions{}.padding(1));
    rng.fill_normal(c.weight().mutable_view(), 0, 0.4);
    rng.fill_uniform(c.bias().mutable_view(), -0.3, 0.3);
    return c;
  };
  n.add(conv(2, 4), "conv1");
  BatchNorm2d<double> bn(4);
  rng.fill_uniform(bn.weight().mutable_view(), -1.0, 1.5);  // some negative scales
  rng.fill_uniform(bn.bias().mutable_view(), -0.2, 0.2);
  rng.fill_uniform(bn.running_mean().mutable_view(), -0.2, 0.2);
  rng.fill_uniform(bn.running_var().mutable_view(), 0.5, 1.5);
  n.add(bn, "bn1");
  const Index a = n.add(ReLU<double>(), "relu1");
  n.add(conv(4, 4), "conv2");
  n.add(ReLU<double>(), "relu2");
  n.add(Add<double>(), "add", {n.size() - 1, a});
  n.add(ReLU<double>(), "relu_add");  // RevealCancel after an Add: the Add splits as Dense [1, 1]
  if (with_maxpool) n.add(MaxPool2d<double>(2, 2), "pool");
  else n.add(AvgPool2d<double>(2, 2), "pool");
  n.add(Flatten<double>(), "flatten");
  Dense<double> d1(4 * 4 * 4, 12), d2(12, 3);
  rng.fill_normal(d1.weight().mutable_view(), 0, 0.3);
  rng.fill_uniform(d1.bias().mutable_view(), -0.3, 0.3);
  rng.fill_normal(d2.weight().mutable_view(), 0, 0.5);
  rng.fill_uniform(d2.bias().mutable_view(), -0.3, 0.3);
  n.add(d1, "fc1");
  n.add(ReLU<double>(), "relu3");
  n.add(d2, "fc2");
  return n;
}
double delta_gap(const Network<double>& net, const DeepLift& rule, const Tensor<double>& x, const Tensor<double>& x0,
                 Index target) {
  ExplainOptions<double> opt;
  opt.reference = x0.cview();
  auto e = explain(net, rule, x.cview(), target, opt);
  auto r = explain(net, Gradient{}, x0.cview(), target);
  double gap = 0;
  for (Index b = 0; b < x.dim(0); ++b) {
    const double delta = e.output.at(b, target) - r.output.at(b, target);
    const double sum = Tensor<double>::copy_of(e.attribution.view().slice(b, 1)).vec().sum();
    gap = std::max(gap, std::abs(sum - delta) / std::max(1e-12, std::abs(delta)));
  }
  return gap;
}
}  // namespace

TEMPLATE_TEST_CASE("DeepLIFT on the ReLU max gadget: Rescale (x1, 0), RevealCancel (x1 - x2/2, x2/2)",
                   "[rules][deeplift][golden]", float, double) {
  const auto net = max_gadget<TestType>();
  Tensor<TestType> x(Shape{1, 2}, std::vector<TestType>{3, 1});  // x1 > x2 > 0, reference 0
  auto r = explain(net, DeepLiftRescale(), x.cview(), 0).attribution;
  CHECK(r[0] == Approx(3));
  CHECK(r[1] == Approx(0).margin(1e-6));
  auto c = explain(net, DeepLiftRevealCancel(), x.cview(), 0).attribution;
  CHECK(c[0] == Approx(3 - 0.5));
  CHECK(c[1] == Approx(0.5));
}

TEST_CASE("DeepLIFT on one ReLU neuron equals Integrated Gradients: (x1, x2)(s - 1)/s", "[rules][deeplift][golden]") {
  Network<double> net;
  net.add(make_dense<double>({1, 1}, 2, 1, {-1}), "z");
  net.add(ReLU<double>(), "relu");
  Tensor<double> x(Shape{1, 2}, std::vector<double>{0.8, 1.5});
  const double s = 2.3;
  for (const auto& rule : {DeepLiftRescale(), DeepLiftRevealCancel(), DeepLiftAblation()}) {
    auto e = explain(net, rule, x.cview(), 0).attribution;
    CHECK(e[0] == Approx(0.8 * (s - 1) / s));
    CHECK(e[1] == Approx(1.5 * (s - 1) / s));
  }
}

TEST_CASE("DeepLIFT contributions sum to f(x) - f(x0) without max pooling (1e-10)", "[rules][deeplift][delta]") {
  const auto net = random_net(false, 3);
  auto x = random_tensor<double>(Shape{3, 2, 8, 8}, 4, -1.0, 1.0);
  auto x0 = random_tensor<double>(Shape{3, 2, 8, 8}, 5, -0.3, 0.3);
  for (const auto& rule : {DeepLiftRescale(), DeepLiftRevealCancel(), DeepLiftGenomicsDefault()}) {
    INFO(rule.display_name());
    CHECK(delta_gap(net, rule, x, x0, 1) < 1e-10);
    CHECK(delta_gap(net, rule, x, x0, 2) < 1e-10);
  }
  // The ablation drops the w- terms of every Dense/Conv2d step, so by construction its
  // contributions do not sum to the difference (documented; the gap is large).
  const double ablation_gap = delta_gap(net, DeepLiftAblation(), x, x0, 1);
  WARN("DeepLIFT ablation summation-to-delta gap (not expected to hold): " << ablation_gap);
  CHECK(ablation_gap > 1e-3);
  // A single reference for the whole batch is broadcast.
  Tensor<double> one = Tensor<double>::copy_of(x0.view().slice(0, 1)), tiled(x.shape());
  for (Index b = 0; b < 3; ++b) tiled.view().slice(b, 1).vec() = one.vec();
  ExplainOptions<double> o1, o2;
  o1.reference = one.cview();
  o2.reference = tiled.cview();
  require_close(explain(net, DeepLiftRevealCancel(), x.cview(), 0, o1).attribution,
                explain(net, DeepLiftRevealCancel(), x.cview(), 0, o2).attribution, 1e-14, 1e-14, "broadcast reference");
}

TEST_CASE("With max pooling: cross-max keeps summation-to-delta, the gradient rule misses it (measured)",
          "[rules][deeplift][delta]") {
  const auto net = random_net(true, 6);
  auto x = random_tensor<double>(Shape{3, 2, 8, 8}, 7, -1.0, 1.0);
  auto x0 = random_tensor<double>(Shape{3, 2, 8, 8}, 8, -0.3, 0.3);
  for (auto nl : {DeepLiftNonlinear::rescale, DeepLiftNonlinear::reveal_cancel}) {
    DeepLift cross(nl, DeepLiftLinear::standard, DeepLiftMaxPool::cross_max);
    INFO(cross.display_name());
    CHECK(delta_gap(net, cross, x, x0, 1) < 1e-10);
  }
  const double gap = delta_gap(net, DeepLiftRescale(), x, x0, 1);
  WARN("DeepLIFT Rescale with the reference code's gradient max-pool rule: summation-to-delta gap " << gap);
  CHECK(gap > 1e-6);  // the documented gap exists on this net (docs/rules.md)
}

TEST_CASE("DeepLIFT edge cases: x equal to the reference, units never active, bad references", "[rules][deeplift][edge]") {
  const auto net = random_net(false, 9);
  auto x = random_tensor<double>(Shape{2, 2, 8, 8}, 10);
  ExplainOptions<double> opt;
  opt.reference = x.cview();
  for (const auto& rule : {DeepLiftRescale(), DeepLiftRevealCancel()}) {
    auto e = explain(net, rule, x.cview(), 0, opt);
    CHECK(e.attribution.vec().allFinite());
    CHECK(e.attribution.vec().cwiseAbs().maxCoeff() == 0.0);
  }
  // A network whose hidden unit is dead for both x and x0 gives zero contributions, finite.
  Network<double> dead;
  dead.add(make_dense<double>({1, 1}, 2, 1, {-10}), "z");
  dead.add(ReLU<double>(), "relu");
  Tensor<double> xin(Shape{1, 2}, std::vector<double>{1, 2});
  auto e = explain(dead, DeepLiftRevealCancel(), xin.cview(), 0);
  CHECK(e.attribution.vec().allFinite());
  CHECK(e.attribution.vec().cwiseAbs().maxCoeff() == 0.0);
  Tensor<double> bad(Shape{2, 2, 8, 7});
  opt.reference = bad.cview();
  CHECK_THROWS_WITH(explain(net, DeepLiftRescale(), x.cview(), 0, opt),
                    Catch::Contains("[attrib.shape.041]") && Catch::Contains("[2, 2, 8, 7]"));
  Tensor<double> nan = x;
  nan[3] = std::nan("");
  opt.reference = nan.cview();
  CHECK_THROWS_WITH(explain(net, DeepLiftRescale(), x.cview(), 0, opt), Catch::Contains("reference input"));
}

TEST_CASE("The ablation differs from Rescale exactly by the dropped cross terms", "[rules][deeplift]") {
  // One Dense layer w = [2, -1] on x = (1, 1), reference 0, identity head: Rescale gives
  // (2, -1); the ablation keeps only w+ (for dx > 0: m = w+ m+): (2, 0).
  Network<double> n;
  n.add(make_dense<double>({2, -1}, 2, 1), "y");
  Tensor<double> x(Shape{1, 2}, 1.0);
  auto r = explain(n, DeepLiftRescale(), x.cview(), 0).attribution;
  auto a = explain(n, DeepLiftAblation(), x.cview(), 0).attribution;
  CHECK(r[0] == Approx(2));
  CHECK(r[1] == Approx(-1));
  CHECK(a[0] == Approx(2));
  CHECK(a[1] == Approx(0).margin(1e-15));
  CHECK(DeepLiftAblation().display_name() == "DeepLiftAblation");
}
