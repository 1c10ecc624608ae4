#include <map>

#include "support/support.hpp"
#include "attrib/attrib.hpp"
#include "attrib/models/builders.hpp"
#include "attrib/models/canonize.hpp"
#include "attrib/models/parameters.hpp"

using namespace attrib;
using namespace attrib::test;

namespace {
/// Random running statistics and affine parameters for every BatchNorm2d (gamma may be negative).
template <class T>
void randomise_batch_norms(Network<T>& net, std::uint64_t seed) {
  Random rng(seed);
  for (Index i = 0; i < net.size(); ++i) {
    if (std::string(net.node(i).kind) != "BatchNorm2d") continue;
    const std::string& n = net.node(i).name;
    rng.fill_uniform(parameter(net, n + ".weight").mutable_view(), -1.5, 1.5);
    rng.fill_uniform(parameter(net, n + ".bias").mutable_view(), -0.5, 0.5);
    rng.fill_uniform(parameter(net, n + ".running_mean").mutable_view(), -0.5, 0.5);
    rng.fill_uniform(parameter(net, n + ".running_var").mutable_view(), 0.3, 2.0);
  }
}

Index count_kind(const Network<double>& net, const char* kind) {
  Index c = 0;
  for (const auto& n : net.nodes()) c += std::string(n.kind) == kind;
  return c;
}

struct Result {
  Tensor<double> output, gradient;
};
Result run(const Network<double>& net, const Tensor<double>& x, Index target) {
  auto e = explain(net, Gradient{}, x.cview(), target);
  return {e.output, e.attribution};
}

/// Relative comparison against the largest magnitude of the reference (outputs of deep random
/// networks have entries near zero, so an element-wise relative test would be meaningless).
void require_rel_close(const Tensor<double>& a, const Tensor<double>& b, double rel, const std::string& what) {
  double scale = 0;
  for (Index i = 0; i < b.size(); ++i) scale = std::max(scale, std::abs(b[i]));
  REQUIRE(scale > 0);
  require_close(a, b, rel, rel * scale, what);
}

double max_abs_diff(const Tensor<double>& a, const Tensor<double>& b) {
  double m = 0;
  for (Index i = 0; i < a.size(); ++i) m = std::max(m, std::abs(a[i] - b[i]));
  return m;
}

/// Checks that `c` is `src` without the folded BN nodes: same names in the same order, and every
/// input names the same producer as in `src` after replacing a folded BN by its target layer.
void check_structure(const Network<double>& src, const Network<double>& c, const std::vector<FoldedBatchNorm>& folded) {
  std::map<std::string, std::string> into;
  for (const auto& f : folded) into[f.batch_norm] = f.into;
  const auto resolve = [&](std::string name) {
    while (into.count(name)) name = into[name];
    return name;
  };
  std::vector<std::string> kept;
  for (const auto& n : src.nodes())
    if (!into.count(n.name)) kept.push_back(n.name);
  REQUIRE(Index(kept.size()) == c.size());
  for (Index i = 0; i < c.size(); ++i) {
    const NodeInfo& n = c.node(i);
    INFO("node " << i << " " << n.name);
    CHECK(n.index == i);
    CHECK(n.name == kept[std::size_t(i)]);
    const NodeInfo& old = src.node(src.find(n.name));
    CHECK(std::string(n.kind) == old.kind);
    REQUIRE(n.arity == old.arity);
    for (int k = 0; k < n.arity; ++k) {
      const Index p = n.inputs[std::size_t(k)], q = old.inputs[std::size_t(k)];
      CHECK(p < i);
      if (q < 0) CHECK(p == q);
      else CHECK(c.node(p).name == resolve(src.node(q).name));
    }
  }
}
}  // namespace

TEST_CASE("canonize folds every BatchNorm of ResNet-50 exactly: outputs and gradients unchanged",
          "[models][canonize]") {
  BuilderOptions o;
  o.width_divisor = 16;
  o.num_classes = 10;
  auto net = resnet50<double>(o);
  randomise_batch_norms(net, 7);
  std::vector<FoldedBatchNorm> folded;
  const auto c = canonize(net, &folded);
  CHECK(count_kind(net, "BatchNorm2d") == 53);
  CHECK(count_kind(c, "BatchNorm2d") == 0);
  CHECK(folded.size() == 53);
  CHECK(c.size() == net.size() - 53);
  check_structure(net, c, folded);
  CHECK(folded.front().batch_norm == "bn1");
  CHECK(folded.front().into == "conv1");
  // The projection shortcut's BN folds into its own conv; the Add now reads both convs.
  const NodeInfo& add = c.node(c.find("layer1.0.add"));
  CHECK(c.node(add.inputs[0]).name == "layer1.0.conv3");
  CHECK(c.node(add.inputs[1]).name == "layer1.0.downsample.0");
  CHECK(c.node(c.node(c.find("layer1.0.relu")).inputs[0]).name == "layer1.0.conv1");
  CHECK(c.layer<Conv2d<double>>("conv1").has_bias());
  CHECK_FALSE(net.layer<Conv2d<double>>("conv1").has_bias());  // source untouched

  const auto x = random_tensor<double>(Shape{2, 3, 64, 64}, 8);
  for (Index target : {0, 7}) {
    const Result a = run(net, x, target), b = run(c, x, target);
    require_rel_close(b.output, a.output, 1e-12, "output");
    require_rel_close(b.gradient, a.gradient, 1e-12, "input gradient");
  }
}

namespace {
// VGG-like: conv-BN-ReLU, conv(no bias)-BN-BN-ReLU, pool, conv-ReLU-BN (BN after ReLU: stays),
// a conv whose output also feeds an Add (BN after it: stays), BN after the Add (stays),
// flatten, dense-BN(1-d)-ReLU, dense.
Network<double> vgg_like() {
  Network<double> net;
  const auto conv = [](Index cin, Index cout, bool bias, unsigned seed) {
    Conv2d<double> c(cin, cout, 3, 3, Conv2dOptions{}.padding(1).bias(bias));
    fill_random(c.weight().mutable_view(), seed, -0.4, 0.4);
    if (bias) fill_random(c.bias().mutable_view(), seed + 1, -0.2, 0.2);
    return c;
  };
  net.add(conv(3, 6, true, 1), "features.0");
  net.add(BatchNorm2d<double>(6), "features.1");
  net.add(ReLU<double>(), "features.2");
  net.add(conv(6, 8, false, 3), "features.3");
  net.add(BatchNorm2d<double>(8), "features.4");
  net.add(BatchNorm2d<double>(8, 1e-3), "features.5");
  net.add(ReLU<double>(), "features.6");
  net.add(MaxPool2d<double>(2, 2), "features.7");
  net.add(conv(8, 8, true, 5), "features.8");
  net.add(ReLU<double>(), "features.9");
  net.add(BatchNorm2d<double>(8), "features.10");  // after ReLU: not foldable
  const Index shared = net.add(conv(8, 8, true, 7), "features.11");
  net.add(BatchNorm2d<double>(8), "features.12");  // its producer has two consumers: stays
  net.add(Add<double>(), "features.13", {net.size() - 1, shared});
  net.add(BatchNorm2d<double>(8), "features.14");  // after Add: stays
  net.add(AdaptiveAvgPool2d<double>(2, 2), "avgpool");
  net.add(Flatten<double>(), "flatten");
  Dense<double> d1(8 * 4, 10), d2(10, 4, false);
  fill_random(d1.weight().mutable_view(), 9, -0.5, 0.5);
  fill_random(d1.bias().mutable_view(), 10, -0.2, 0.2);
  fill_random(d2.weight().mutable_view(), 11);
  net.add(d1, "classifier.0");
  net.add(BatchNorm2d<double>(10), "classifier.1");
  net.add(ReLU<double>(), "classifier.2");
  net.add(d2, "classifier.3");
  net.add(BatchNorm2d<double>(4), "classifier.4");  // last node: folds into a bias-free Dense
  return net;
}
}  // namespace

namespace {
// VGG-BN style (torchvision vgg*_bn pattern, small): every BatchNorm follows a Conv2d or Dense.
Network<double> vgg_bn() {
  Network<double> net;
  Random rng(21);
  Index in = 3, idx = 0;
  for (int c : {8, 8, 0, 16, 16, 0}) {
    if (c == 0) {
      net.add(MaxPool2d<double>(2, 2), "features." + std::to_string(idx++));
      continue;
    }
    Conv2d<double> conv(in, c, 3, 3, Conv2dOptions{}.padding(1));
    rng.fill_normal(conv.weight().mutable_view(), 0.0, std::sqrt(2.0 / (9.0 * double(c))));
    rng.fill_uniform(conv.bias().mutable_view(), -0.1, 0.1);
    net.add(conv, "features." + std::to_string(idx++));
    net.add(BatchNorm2d<double>(c), "features." + std::to_string(idx++));
    net.add(ReLU<double>(), "features." + std::to_string(idx++));
    in = c;
  }
  net.add(AdaptiveAvgPool2d<double>(2, 2), "avgpool");
  net.add(Flatten<double>(), "flatten");
  Dense<double> d1(in * 4, 12), d2(12, 5);
  rng.fill_uniform(d1.weight().mutable_view(), -0.3, 0.3);
  rng.fill_uniform(d2.weight().mutable_view(), -0.3, 0.3);
  net.add(d1, "classifier.0");
  net.add(BatchNorm2d<double>(12), "classifier.1");
  net.add(ReLU<double>(), "classifier.2");
  net.add(d2, "classifier.3");
  return net;
}
}  // namespace

TEST_CASE("canonize removes every BatchNorm of a VGG-BN net without changing outputs or gradients",
          "[models][canonize]") {
  auto net = vgg_bn();
  randomise_batch_norms(net, 22);
  std::vector<FoldedBatchNorm> folded;
  const auto c = canonize(net, &folded);
  CHECK(count_kind(net, "BatchNorm2d") == 5);
  CHECK(count_kind(c, "BatchNorm2d") == 0);
  CHECK(c.size() == net.size() - 5);
  check_structure(net, c, folded);
  // Renumbering: "features.2" (ReLU) was node 2 and is now node 1, reading the conv "features.0".
  CHECK(c.find("features.2") == 1);
  CHECK(c.node(1).inputs[0] == 0);
  CHECK(c.find("classifier.3") == c.size() - 1);
  CHECK(c.node(c.find("classifier.2")).inputs[0] == c.find("classifier.0"));
  const auto x = random_tensor<double>(Shape{2, 3, 16, 16}, 23);
  for (Index target : {0, 4}) {
    const Result a = run(net, x, target), b = run(c, x, target);
    require_rel_close(b.output, a.output, 1e-12, "output");
    require_rel_close(b.gradient, a.gradient, 1e-12, "input gradient");
  }
}

TEST_CASE("canonize on a VGG-like net folds what follows Conv/Dense and keeps the rest",
          "[models][canonize]") {
  auto net = vgg_like();
  randomise_batch_norms(net, 12);
  std::vector<FoldedBatchNorm> folded;
  const auto c = canonize(net, &folded);
  const std::vector<std::pair<std::string, std::string>> want{{"features.1", "features.0"},
                                                              {"features.4", "features.3"},
                                                              {"features.5", "features.3"},
                                                              {"classifier.1", "classifier.0"},
                                                              {"classifier.4", "classifier.3"}};
  REQUIRE(folded.size() == want.size());
  for (std::size_t k = 0; k < want.size(); ++k) {
    CHECK(folded[k].batch_norm == want[k].first);
    CHECK(folded[k].into == want[k].second);
  }
  check_structure(net, c, folded);
  for (const char* kept : {"features.10", "features.12", "features.14"}) {
    INFO(kept);
    CHECK(std::string(c.node(c.find(kept)).kind) == "BatchNorm2d");
  }
  CHECK(count_kind(c, "BatchNorm2d") == 3);
  CHECK(c.layer<Dense<double>>("classifier.3").has_bias());
  CHECK(c.node(c.size() - 1).name == "classifier.3");

  const auto x = random_tensor<double>(Shape{3, 3, 8, 8}, 13);
  for (Index target : {0, 3}) {
    const Result a = run(net, x, target), b = run(c, x, target);
    require_rel_close(b.output, a.output, 1e-12, "output");
    require_rel_close(b.gradient, a.gradient, 1e-12, "input gradient");
  }

  // The comparison is sensitive: a fold that forgets the running mean (b' = s b + beta) is caught.
  auto broken = c;
  auto& conv = broken.layer<Conv2d<double>>("features.0");
  const auto& bn = net.layer<BatchNorm2d<double>>("features.1");
  Tensor<double> s(Shape{6}), t(Shape{6});
  bn.effective_affine(s.view(), t.view());
  auto b = conv.bias().mutable_view();
  for (Index k = 0; k < 6; ++k) b[k] += s[k] * bn.running_mean().view()[k];  // t + s mu = beta
  CHECK(max_abs_diff(run(broken, x, 0).output, run(net, x, 0).output) > 1e-3);
}

TEST_CASE("canonize on a float network matches the double fold", "[models][canonize]") {
  auto net = vgg_like();
  randomise_batch_norms(net, 14);
  // Same architecture in float, node by node; parameters copied by name.
  Network<float> f;
  for (Index i = 0; i < net.size(); ++i) {
    const NodeInfo& n = net.node(i);
    net.visit(i, [&](const auto& layer) {
      using L = std::decay_t<decltype(layer)>;
      if constexpr (std::is_same_v<L, Conv2d<double>>)
        f.add(Conv2d<float>(layer.in_channels(), layer.out_channels(), 3, 3, layer.options()), n.name,
              {n.inputs[0]});
      else if constexpr (std::is_same_v<L, Dense<double>>)
        f.add(Dense<float>(layer.in_features(), layer.out_features(), layer.has_bias()), n.name, {n.inputs[0]});
      else if constexpr (std::is_same_v<L, BatchNorm2d<double>>)
        f.add(BatchNorm2d<float>(layer.channels(), float(layer.eps())), n.name, {n.inputs[0]});
      else if constexpr (std::is_same_v<L, ReLU<double>>) f.add(ReLU<float>(), n.name, {n.inputs[0]});
      else if constexpr (std::is_same_v<L, MaxPool2d<double>>) f.add(MaxPool2d<float>(2, 2), n.name, {n.inputs[0]});
      else if constexpr (std::is_same_v<L, AdaptiveAvgPool2d<double>>)
        f.add(AdaptiveAvgPool2d<float>(2, 2), n.name, {n.inputs[0]});
      else if constexpr (std::is_same_v<L, Flatten<double>>) f.add(Flatten<float>(), n.name, {n.inputs[0]});
      else if constexpr (std::is_same_v<L, Add<double>>) f.add(Add<float>(), n.name, {n.inputs[0], n.inputs[1]});
      else FAIL("unexpected layer " << n.kind);
    });
  }
  for_each_parameter(net, [&](const std::string& name, Param<double>& p) {
    parameter(f, name).assign(cast<float>(Tensor<double>::copy_of(p.view())).cview(), name);
  });
  const auto cf = canonize(f);
  CHECK(cf.size() == canonize(net).size());
  const auto x = random_tensor<double>(Shape{2, 3, 8, 8}, 15);
  const auto xf = cast<float>(x);
  const auto ef = explain(cf, Gradient{}, xf.cview(), 1);
  const auto ed = explain(net, Gradient{}, x.cview(), 1);
  require_rel_close(cast<double>(ef.output), ed.output, 1e-4, "float output");
  require_rel_close(cast<double>(ef.attribution), ed.attribution, 1e-4, "float gradient");
}

TEST_CASE("canonize leaves the source network and its bound buffers untouched", "[models][canonize]") {
  auto net = vgg_like();
  randomise_batch_norms(net, 16);
  // Bind the first conv's weight and the kept BN's mean to external buffers (engine weights).
  Tensor<double> w0 = Tensor<double>::copy_of(parameter(net, "features.0.weight").view());
  Tensor<double> mean10 = Tensor<double>::copy_of(parameter(net, "features.10.running_mean").view());
  parameter(net, "features.0.weight").bind(w0.cview(), "w0");
  parameter(net, "features.10.running_mean").bind(mean10.cview(), "mean10");
  const Tensor<double> w0_copy = w0, mean10_copy = mean10;
  std::map<std::string, Tensor<double>> before;
  for_each_parameter(net, [&](const std::string& n, Param<double>& p) { before[n] = Tensor<double>::copy_of(p.view()); });
  const auto x = random_tensor<double>(Shape{1, 3, 8, 8}, 17);
  const Tensor<double> y = run(net, x, 0).output;

  auto c = canonize(net);
  require_close(w0, w0_copy, 0, 1e-300, "bound buffer unchanged");
  CHECK(parameter(net, "features.0.weight").data() == w0.data());  // still bound, not copied
  for_each_parameter(net, [&](const std::string& n, Param<double>& p) {
    require_close(Tensor<double>::copy_of(p.view()), before[n], 0, 1e-300, n);
  });
  // Folded parameters are owned by the new model; unfolded bound ones stay bound (no copy).
  const Param<double>& fw = parameter(c, "features.0.weight");
  CHECK(fw.is_owned());
  CHECK(fw.data() != w0.data());
  CHECK(parameter(c, "features.10.running_mean").data() == mean10.data());
  // The canonized model computes the same function and changing it does not affect the source.
  require_rel_close(run(c, x, 0).output, y, 1e-12, "canonized output");
  parameter(c, "features.3.weight").mutable_view().vec().setZero();
  require_close(run(net, x, 0).output, y, 0, 1e-300, "source after editing the copy");
}

TEST_CASE("canonize reports a BatchNorm whose channels do not match its producer", "[models][canonize][errors]") {
  Network<double> net;
  net.add(Conv2d<double>(3, 4, 1, 1), "conv");
  net.add(BatchNorm2d<double>(5), "bn");
  CHECK_THROWS_AS(canonize(net), ShapeError);
  CHECK_THROWS_WITH(canonize(net), Catch::Contains("[attrib.shape.510]") && Catch::Contains("BatchNorm2d 'bn'") &&
                                       Catch::Contains("5 channels") && Catch::Contains("Conv2d 'conv'") &&
                                       Catch::Contains("4 output channels"));
  // A BN that never can be folded is not inspected: a model without Conv/Dense -> BN is copied as is.
  Network<double> plain;
  plain.add(ReLU<double>(), "relu");
  plain.add(BatchNorm2d<double>(5), "bn");
  const auto c = canonize(plain);
  CHECK(c.size() == 2);
  CHECK(c.node(1).name == "bn");
  CHECK(c.node(1).inputs[0] == 0);
}
