// Whole-network checks of the builders vgg16(), resnet50() and cifar_net() against PyTorch:
// tests/data/models_{vgg16,resnet50,cifar}.safetensors, made by tools/make_model_fixtures.py
// from torch modules with torchvision's structure and parameter names (see its docstring).
// Each fixture holds every parameter by torchvision name, a batch of two inputs, the logits,
// the input gradient of logit[n, targets[n]] per item, and activation + gradient of a few
// named nodes; its metadata lists every node (name, kind, output shape) in execution order
// and, for VGG-16 / ResNet-50, torchvision's full-width state_dict and parameter count.
#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "support/support.hpp"
#include "support/torch_fixture.hpp"
#include "attrib/attrib.hpp"
#include "attrib/io/safetensors.hpp"
#include "attrib/models/builders.hpp"
#include "attrib/models/parameters.hpp"

using namespace attrib;
using namespace attrib::test;

namespace {

// The builder options the fixtures were made with (checked against their metadata).
struct ModelCase {
  const char* name;
  Index width_divisor;
};
constexpr ModelCase vgg_case{"vgg16", 32}, resnet_case{"resnet50", 16}, cifar_case{"cifar", 8};
constexpr Index num_classes = 10;
const std::vector<Index> targets{3, 7};

std::string fixture_path(const std::string& model) {
  return std::string(ATTRIB_TEST_DATA_DIR) + "/models_" + model + ".safetensors";
}

/// "2x3x4" -> Shape{2, 3, 4} (or "2,3,4" with sep ',').
Shape parse_shape(const std::string& s, char sep = 'x') {
  std::vector<Index> dims;
  for (const auto& d : split(s, sep)) dims.push_back(std::stoll(d));
  return Shape::from_range(dims.begin(), dims.end());
}

template <class T>
Network<T> build(const ModelCase& c) {
  BuilderOptions o;
  o.num_classes = num_classes;
  o.width_divisor = c.width_divisor;
  const std::string name = c.name;
  if (name == "vgg16") return vgg16<T>(o);
  if (name == "resnet50") return resnet50<T>(o);
  return cifar_net<T>(o);
}

template <class T>
SafeTensors<T> load_fixture(const ModelCase& c) {
  SafeTensors<T> st = SafeTensors<T>::load(fixture_path(c.name));
  const auto& m = st.metadata();
  CHECK(meta(m, "model") == c.name);
  CHECK(meta(m, "width_divisor") == std::to_string(c.width_divisor));
  CHECK(meta(m, "num_classes") == std::to_string(num_classes));
  CHECK(meta(m, "targets") == "3,7");
  return st;
}

/// |ours - ref| <= tol (|ref| + max |ref|) element-wise; also reports max |ours - ref| / max |ref|
/// (visible with -s). The reference is the float64 PyTorch value in both precisions.
template <class T>
void compare(ConstView<T> ours, ConstView<double> ref, double tol, const std::string& what) {
  INFO(what);
  REQUIRE(ours.shape() == ref.shape());
  const double scale = max_abs(ref);
  REQUIRE(scale > 0);
  double worst = 0;
  for (Index i = 0; i < ref.size(); ++i) worst = std::max(worst, std::abs(double(ours[i]) - ref[i]));
  const double relative_error = worst / scale;
  CHECK(relative_error <= tol);
  require_close(ours, ref, tol, tol * scale, what);
}

/// Tolerance relative to the largest reference magnitude. The float networks use exactly the
/// same (float32-representable) parameters and input as the float64 references; their bound is
/// 10x PyTorch's own float32 error on the same model (metadata torch_float32_error: ~1e-6, but
/// 1.4e-4 for the ResNet, whose eval BatchNorms amplify rounding), and at least 1e-5.
template <class T>
double tolerance(const std::map<std::string, std::string>& metadata) {
  if (std::is_same_v<T, double>) return 1e-9;
  const double torch_float32_error = std::stod(meta(metadata, "torch_float32_error"));
  CHECK(torch_float32_error < 1e-3);
  return std::max(1e-5, 10 * torch_float32_error);
}

/// Builds the network in T from the fixture and compares logits, input gradient, every node's
/// output shape and the stored activations and gradients with PyTorch's float64 results.
template <class T>
void check_against_torch(const ModelCase& c) {
  const SafeTensors<T> st = load_fixture<T>(c);
  const double tol = tolerance<T>(st.metadata());
  const SafeTensors<double> ref = SafeTensors<double>::load(fixture_path(c.name));
  Network<T> net = build<T>(c);
  check_fixture_nodes(net, st);
  load_fixture_parameters(net, st);

  const Tensor<T>& x = st.get("data/input");
  REQUIRE(x.shape() == parse_shape(meta(st.metadata(), "input_shape"), ','));
  Explainer ex(net, Gradient{});
  ExplainOptions<T> opt;
  opt.keep_layers = true;
  const Explanation<T>& e = ex.explain(x, Targets(targets), opt);

  const auto shapes = split(meta(st.metadata(), "node_shapes"), ';');
  REQUIRE(Index(shapes.size()) == net.size());
  for (Index i = 0; i < net.size(); ++i) {
    INFO("output shape of " << net.node(i).kind << " '" << net.node(i).name << "'");
    CHECK(ex.trace().output(i).shape() == parse_shape(shapes[std::size_t(i)]));
  }
  // In the order the values are computed, so that the first failure (REQUIRE) is the first
  // node that diverges: activations from input to output, then gradients from output to input.
  std::vector<Index> stored;
  for (const auto& name : ref.names())
    if (name.rfind("act/", 0) == 0) stored.push_back(net.find(name.substr(4)));
  std::sort(stored.begin(), stored.end());
  for (Index i : stored)
    compare<T>(ex.trace().output(i), ref.get("act/" + net.node(i).name), tol, "activation of '" + net.node(i).name + "'");
  compare<T>(e.output, ref.get("data/logits"), tol, std::string(c.name) + " logits");
  for (auto it = stored.rbegin(); it != stored.rend(); ++it)
    compare<T>(e.layers[std::size_t(*it)], ref.get("grad/" + net.node(*it).name), tol,
               "gradient at '" + net.node(*it).name + "'");
  compare<T>(e.attribution, ref.get("data/input_grad"), tol, std::string(c.name) + " input gradient");
  const Index intermediates = Index(stored.size());
  CHECK(intermediates >= 5);
}

}  // namespace

TEMPLATE_TEST_CASE("vgg16() equals a PyTorch VGG-16 (width / 32): logits, input gradient, intermediate nodes",
                   "[models][builders][torch]", float, double) {
  check_against_torch<TestType>(vgg_case);
}

TEMPLATE_TEST_CASE("resnet50() equals a PyTorch ResNet-50 (width / 16, eval BatchNorm): logits, gradients, nodes",
                   "[models][builders][torch]", float, double) {
  check_against_torch<TestType>(resnet_case);
}

TEMPLATE_TEST_CASE("cifar_net() equals a PyTorch CIFAR net (width / 8): logits, input gradient, intermediate nodes",
                   "[models][builders][torch]", float, double) {
  check_against_torch<TestType>(cifar_case);
}

TEST_CASE("Loading a builder from a fixture refuses a missing or misshaped parameter by name",
          "[models][builders][torch][errors]") {
  auto net = build<double>(cifar_case);
  const auto st = SafeTensors<double>::load(fixture_path(cifar_case.name));
  CHECK_THROWS_WITH(parameter(net, "fc7.weight"),
                    Catch::Contains("[attrib.arg.040]") && Catch::Contains("'fc7.weight'"));
  CHECK_THROWS_WITH(parameter(net, "conv2.weight").assign(st.get("conv1.weight"), "conv2.weight"),
                    Catch::Contains("[attrib.shape.020]") && Catch::Contains("conv2.weight") &&
                        Catch::Contains("[4, 3, 3, 3]") && Catch::Contains("[8, 4, 3, 3]"));
}

namespace {

/// Full-width builder vs torchvision's state_dict (names and shapes, from the fixture metadata)
/// and torchvision's trainable parameter count (weights and biases; no running statistics).
template <class T>
void check_full_width(Network<T>& net, const ModelCase& c, Index expected_count) {
  const auto st = SafeTensors<double>::load(fixture_path(c.name));
  std::map<std::string, Shape> theirs;
  for (const auto& entry : split(meta(st.metadata(), "full_width_state_dict"), ';')) {
    const auto eq = entry.find('=');
    theirs.emplace(entry.substr(0, eq), parse_shape(entry.substr(eq + 1)));
  }
  std::map<std::string, Shape> ours;
  Index trainable = 0;
  for_each_parameter(net, [&](const std::string& name, const Param<T>& p) {
    ours.emplace(name, p.shape());
    const bool running = name.size() > 12 && (name.compare(name.size() - 12, 12, "running_mean") == 0 ||
                                              name.compare(name.size() - 11, 11, "running_var") == 0);
    if (!running) trainable += p.shape().size();
  });
  for (const auto& [name, shape] : theirs) {
    INFO("torchvision parameter " << name << " " << shape);
    REQUIRE(ours.count(name) == 1);
    CHECK(ours.at(name) == shape);
  }
  for (const auto& [name, shape] : ours) {
    INFO("builder parameter " << name);
    CHECK(theirs.count(name) == 1);
  }
  CHECK(std::to_string(expected_count) == meta(st.metadata(), "full_width_parameter_count"));
  CHECK(trainable == expected_count);
}

}  // namespace

TEST_CASE("Full-width vgg16() has torchvision's parameter names, shapes and count (138,357,544)",
          "[models][builders][torch][slow]") {
  auto net = vgg16<float>();  // ~550 MB of parameters
  check_full_width(net, vgg_case, 138'357'544);
}

TEST_CASE("Full-width resnet50() has torchvision's parameter names, shapes and count (25,557,032)",
          "[models][builders][torch]") {
  auto net = resnet50<float>();
  check_full_width(net, resnet_case, 25'557'032);
}

TEST_CASE("An engine's own buffers bound into a trace of the CIFAR net give explain()'s result",
          "[models][builders][engine]") {
  auto net = build<float>(cifar_case);
  const auto st = load_fixture<float>(cifar_case);
  load_fixture_parameters(net, st);
  const Tensor<float>& x_file = st.get("data/input");
  ExplainOptions<float> opt;
  opt.keep_layers = true;
  const Explanation<float> expected = explain(net, Gradient{}, x_file.cview(), Targets(targets), opt);

  // The "engine": it computed the forward pass and owns one buffer per node (here: copies of
  // our own forward, made from a trace that is gone before the explainer sees them).
  const Tensor<float> x = x_file;
  std::vector<Tensor<float>> engine;
  {
    Trace<float> tr;
    Workspace<float> ws;
    forward(net, x.cview(), tr, ws);
    for (Index i = 0; i < net.size(); ++i) engine.push_back(Tensor<float>::copy_of(tr.output(i)));
  }

  Explainer ex(net, Gradient{});
  // Leave the explainer's own storage holding another input's forward pass: explain_trace must
  // read the bound buffers, not these.
  const auto other = random_tensor<float>(x.shape(), 31);
  const Tensor<float> other_attribution = ex.explain(other.cview(), Targets(targets)).attribution;
  ex.trace().reset(net.size());
  ex.trace().set_input(x.cview());
  for (Index i = 0; i < net.size(); ++i) ex.trace().bind(i, engine[std::size_t(i)].cview());
  for (Index i = 0; i < net.size(); ++i) CHECK(ex.trace().output(i).data() == engine[std::size_t(i)].data());

  const Explanation<float>& e = ex.explain_trace(Targets(targets), opt);
  require_close(e.output, expected.output, 1e-6, 1e-7, "logits");
  require_close(e.attribution, expected.attribution, 1e-6, 1e-9, "input gradient");
  REQUIRE(e.layers.size() == expected.layers.size());
  for (Index i = 0; i < net.size(); ++i)
    require_close(e.layers[std::size_t(i)], expected.layers[std::size_t(i)], 1e-6, 1e-9, net.node(i).name);
  double moved = 0;
  for (Index i = 0; i < x.size(); ++i) moved = std::max(moved, double(std::abs(e.attribution[i] - other_attribution[i])));
  CHECK(moved > 1e-3);  // the other input's explanation really is different
  const SafeTensors<double> ref = SafeTensors<double>::load(fixture_path(cifar_case.name));
  compare<float>(e.attribution, ref.get("data/input_grad"), tolerance<float>(st.metadata()), "bound trace vs PyTorch");

  SECTION("a wrong-shaped buffer is a ShapeError naming the node and both shapes") {
    const Index conv3 = net.find("conv3");
    REQUIRE(engine[std::size_t(conv3)].shape() == Shape({2, 16, 16, 16}));
    Tensor<float> nhwc(Shape{2, 16, 16, 8});
    ex.trace().bind(conv3, nhwc.cview());
    CHECK_THROWS_AS(ex.explain_trace(Targets(targets)), ShapeError);
    CHECK_THROWS_WITH(ex.explain_trace(Targets(targets)),
                      Catch::Contains("[attrib.shape.032]") && Catch::Contains("Conv2d 'conv3'") &&
                          Catch::Contains("[2, 16, 16, 8]") && Catch::Contains("[2, 16, 16, 16]"));
    ex.trace().bind(conv3, engine[std::size_t(conv3)].cview());
    require_close(ex.explain_trace(Targets(targets)).attribution, expected.attribution, 1e-6, 1e-9,
                  "after rebinding the right buffer");
  }
  SECTION("an unbound node is a ShapeError naming it") {
    ex.trace().reset(net.size());
    ex.trace().set_input(x.cview());
    for (Index i = 0; i < net.size(); ++i)
      if (net.node(i).name != "fc5") ex.trace().bind(i, engine[std::size_t(i)].cview());
    CHECK_THROWS_WITH(ex.explain_trace(Targets(targets)),
                      Catch::Contains("[attrib.shape.031]") && Catch::Contains("Dense 'fc5'") &&
                          Catch::Contains("not set"));
  }
}
