// Replaying another library's random draws: Captum 0.7.0's IntegratedGradients (its quadrature),
// NoiseTunnel smoothgrad (its noise), GradientShap (its baselines and alphas) and
// ShapleyValueSampling (its permutations), recorded on a float64 MLP by
// tools/make_replay_fixtures.py (tests/data/replay.safetensors), fed to attrib's user-given-draw
// options: the attributions must be Captum's to rounding error.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "support/support.hpp"
#include "attrib/attrib.hpp"
#include "attrib/io/safetensors.hpp"
#include "attrib/methods/expected_gradients.hpp"
#include "attrib/methods/integrated_gradients.hpp"
#include "attrib/methods/shapley.hpp"
#include "attrib/methods/smooth_grad.hpp"
#include "attrib/models/parameters.hpp"

using namespace attrib;
using namespace attrib::test;

namespace {

template <class T>
struct Replay {
  const std::string path = std::string(ATTRIB_TEST_DATA_DIR) + "/replay.safetensors";
  SafeTensors<T> st = SafeTensors<T>::load(path);
  SafeTensors<double> st64 = SafeTensors<double>::load(path);  // draws, nodes and weights in full precision
  Network<T> net;
  Tensor<T> x = st.get("x");
  const std::vector<Index> targets{1, 3};
  /// float: the fixture's float64 values rounded once, then float arithmetic.
  const double rtol = std::is_same<T, float>::value ? 2e-4 : 1e-11, atol = rtol * 1e-2;

  Replay() {
    net.add(Dense<T>(6, 10), "fc1");
    net.add(Tanh<T>(), "act1");
    net.add(Dense<T>(10, 4), "fc2");
    for (const char* p : {"fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"}) parameter(net, p).assign(st.get(p), p);
  }
  std::vector<double> doubles(const char* key) const {
    const Tensor<double> t = st64.get(key);
    return std::vector<double>(t.data(), t.data() + t.size());
  }
  std::vector<Index> indices(const char* key) const {
    std::vector<Index> v;
    for (double d : doubles(key)) v.push_back(static_cast<Index>(std::lround(d)));
    return v;
  }
};

}  // namespace

TEMPLATE_TEST_CASE("replay: integrated_gradients with Captum's Gauss-Legendre nodes and weights equals Captum",
                   "[methods][replay][ig]", float, double) {
  Replay<TestType> r;
  IntegratedGradientsOptions<TestType> o;
  const Tensor<TestType> b = r.st.get("baseline");
  o.baseline = b;
  o.nodes = r.doubles("ig/nodes");
  o.weights = r.doubles("ig/weights");
  const auto res = integrated_gradients(r.net, r.x.cview(), r.targets, o);
  require_close(res.attribution, r.st.get("ig/attr"), r.rtol, r.atol, "IG vs Captum");
  // Captum's delta is sum attribution - (f(x) - f(b)), as ours.
  const Tensor<TestType> delta = r.st.get("ig/delta");
  for (Index i = 0; i < 2; ++i) REQUIRE(std::abs(res.delta[std::size_t(i)] - double(delta[i])) < 100 * r.atol + 1e-12);
  // attrib's own 20-node Gauss-Legendre rule (Newton on the Legendre recurrence) is numpy's
  // leggauss mapped to [0, 1] (Captum's), so the default run with steps = 20 agrees too.
  std::vector<double> alpha, w;
  quadrature_nodes(Quadrature::gauss_legendre, 20, alpha, w);
  for (std::size_t k = 0; k < 20; ++k) {
    REQUIRE(std::abs(alpha[k] - o.nodes[k]) < 1e-15);
    REQUIRE(std::abs(w[k] - o.weights[k]) < 1e-15);
  }
  IntegratedGradientsOptions<TestType> own;
  own.baseline = b;
  own.steps = 20;
  require_close(integrated_gradients(r.net, r.x.cview(), r.targets, own).attribution, res.attribution, r.rtol, r.atol,
                "own Gauss-Legendre vs given");
  // Different nodes give a different (wrong-for-this-replay) answer: the options are used.
  o.nodes.assign(20, 0.5);
  const auto off = integrated_gradients(r.net, r.x.cview(), r.targets, o);
  REQUIRE(std::abs(double(off.attribution[0]) - double(res.attribution[0])) > 1e-6);
}

TEMPLATE_TEST_CASE("replay: smooth_grad with Captum's NoiseTunnel noise equals Captum", "[methods][replay][smoothgrad]",
                   float, double) {
  Replay<TestType> r;
  const Tensor<TestType> noise = r.st.get("sg/noise");  // [2 * 5, 6], rows (item, sample)
  SmoothGradOptions<TestType> o;
  o.samples = 5;
  o.noise = noise;
  const auto res = smooth_grad(r.net, r.x.cview(), r.targets, o);
  require_close(res.attribution, r.st.get("sg/attr"), r.rtol, r.atol, "SmoothGrad vs Captum");
  for (double s : res.sigma) REQUIRE((s > 0.15 && s < 0.6));  // RMS of N(0, 0.3^2) draws, 30 each
  // [samples, ...]: the first item's five draws around both items = two separate one-item runs.
  o.noise = noise.view().slice(0, 5);
  const auto shared = smooth_grad(r.net, r.x.cview(), r.targets, o);
  SmoothGradOptions<TestType> one = o;
  const auto second = smooth_grad(r.net, r.x.view().slice(1, 1), 3, one);
  for (Index j = 0; j < 6; ++j) {
    REQUIRE(std::abs(double(shared.attribution.at(0, j)) - double(res.attribution.at(0, j))) <= r.atol + r.rtol * std::abs(double(res.attribution.at(0, j))));
    REQUIRE(std::abs(double(shared.attribution.at(1, j)) - double(second.attribution[j])) <= r.atol + r.rtol * std::abs(double(second.attribution[j])));
  }
}

TEMPLATE_TEST_CASE("replay: expected_gradients with Captum's GradientShap draws equals Captum",
                   "[methods][replay][eg]", float, double) {
  Replay<TestType> r;
  const Tensor<TestType> background = r.st.get("background");
  ExpectedGradientsOptions<TestType> o;
  o.baselines = background;
  o.samples = 7;
  o.draw_index = r.indices("gs/index");
  o.draw_alpha = r.doubles("gs/alpha");
  const auto res = expected_gradients(r.net, r.x.cview(), r.targets, o);
  require_close(res.attribution, r.st.get("gs/attr"), r.rtol, r.atol, "Expected Gradients vs Captum GradientShap");
}

TEMPLATE_TEST_CASE("replay: shapley_sampled with Captum's permutations equals ShapleyValueSampling",
                   "[methods][replay][shapley]", float, double) {
  Replay<TestType> r;
  SampledShapleyOptions<TestType> o;
  const Tensor<TestType> b = r.st.get("baseline");
  o.baseline = b;
  o.groups = FeatureGroups(r.indices("sv/mask"));
  const std::vector<Index> flat = r.indices("sv/perm");  // [6, 4]
  for (std::size_t q = 0; q < 6; ++q) o.permutations.emplace_back(flat.begin() + 4 * q, flat.begin() + 4 * q + 4);
  const auto res = shapley_sampled(r.net, r.x.cview(), r.targets, o);
  // Captum accumulates ShapleyValueSampling in a float32 tensor (its quirk): float32 rounding.
  require_close(res.attribution, r.st.get("sv/attr"), std::max(r.rtol, 1e-6), 1e-7, "Shapley sampling vs Captum");
  // Every permutation of 4 players, each once = the exact Shapley values.
  o.permutations.clear();
  std::vector<Index> perm{0, 1, 2, 3};
  do o.permutations.push_back(perm);
  while (std::next_permutation(perm.begin(), perm.end()));
  ShapleyOptions<TestType> exact_opt;
  exact_opt.baseline = b;
  exact_opt.groups = o.groups;
  const auto all = shapley_sampled(r.net, r.x.cview(), r.targets, o);
  const auto exact = shapley_exact(r.net, r.x.cview(), r.targets, exact_opt);
  require_close(all.attribution, exact.attribution, r.rtol, r.atol, "all 24 permutations vs shapley_exact");
}

TEST_CASE("replay: user-given draws are validated (error ids)", "[methods][replay][errors]") {
  Replay<double> r;
  auto id_of = [](auto&& call) -> std::string {
    try {
      call();
    } catch (const Error& e) {
      return e.id();
    }
    return "no error";
  };
  const ConstView<double> x = r.x.cview();
  IntegratedGradientsOptions<double> ig;
  ig.nodes = {0.2, 0.8};
  ig.weights = {1.0};
  CHECK(id_of([&] { integrated_gradients(r.net, x, r.targets, ig); }) == "attrib.param.704");
  ig.weights = {0.5, 0.5};
  ig.nodes = {0.2, 1.5};
  CHECK(id_of([&] { integrated_gradients(r.net, x, r.targets, ig); }) == "attrib.arg.705");
  ig.nodes = {0.2, 0.8};
  ig.weights = {0.5, std::numeric_limits<double>::quiet_NaN()};
  CHECK(id_of([&] { integrated_gradients(r.net, x, r.targets, ig); }) == "attrib.arg.705");

  SmoothGradOptions<double> sg;
  sg.samples = 5;
  Tensor<double> noise(Shape{3, 6});
  sg.noise = noise;  // neither 2 * 5 nor 5 rows
  CHECK(id_of([&] { smooth_grad(r.net, x, r.targets, sg); }) == "attrib.shape.712");
  Tensor<double> nan_noise(Shape{5, 6});
  nan_noise[7] = std::numeric_limits<double>::infinity();
  sg.noise = nan_noise;
  CHECK(id_of([&] { smooth_grad(r.net, x, r.targets, sg); }) == "attrib.arg.712");

  const Tensor<double> background = r.st.get("background");
  ExpectedGradientsOptions<double> eg;
  eg.baselines = background;
  eg.samples = 7;
  eg.draw_index = r.indices("gs/index");
  eg.draw_alpha = r.doubles("gs/alpha");
  eg.draw_alpha.pop_back();
  CHECK(id_of([&] { expected_gradients(r.net, x, r.targets, eg); }) == "attrib.param.741");
  eg.draw_alpha = r.doubles("gs/alpha");
  eg.draw_index[3] = 5;  // 5 baselines: 0 to 4
  CHECK(id_of([&] { expected_gradients(r.net, x, r.targets, eg); }) == "attrib.arg.741");

  SampledShapleyOptions<double> sv;
  sv.groups = FeatureGroups(r.indices("sv/mask"));
  sv.permutations = {{0, 1, 2, 3}, {0, 1, 1, 3}};
  CHECK(id_of([&] { shapley_sampled(r.net, x, r.targets, sv); }) == "attrib.param.737");
  sv.permutations = {{0, 1, 2}};
  CHECK(id_of([&] { shapley_sampled(r.net, x, r.targets, sv); }) == "attrib.param.737");
  sv.permutations.assign(std::size_t(max_method_count) + 1, {0, 1, 2, 3});
  CHECK(id_of([&] { shapley_sampled(r.net, x, r.targets, sv); }) == "attrib.param.736");
}
