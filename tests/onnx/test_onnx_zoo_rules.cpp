// Every rule family on the shipped models/fmnist_mobile.onnx (hard-swish, SE gates with
// HardSigmoid, depthwise convolutions, residual sums; BatchNorm kept in the file), in double and
// float. Oracles (tests/onnx/data/zoo/fmnist_mobile.safetensors, rules/<key>, made by
// tools/make_zoo_fixtures.py, docs/zoo.md): Zennit 0.5.1's composites and single rules, a float64
// torch DeepLIFT with the product rule, float64 torch Guided BP / Deconvnet / RectGrad; where no
// reference exists, properties that fail when the rule is wrong (summation-to-delta, completeness,
// a naive occlusion loop, the gradient where the method must reduce to it).
#include <cmath>
#include <string>
#include <memory>
#include <type_traits>

#include "attrib/methods/methods.hpp"
#include "attrib/methods/pattern_fit.hpp"
#include "onnx/onnx_test_support.hpp"
#include "onnx/zoo_support.hpp"

using namespace attrib;
using namespace attrib::test::zoo;

namespace {

/// The shipped model imported at 28 x 28 in T, the first fixture image and its class.
template <class T>
struct Mobile {
  SafeTensors<double> st = SafeTensors<double>::load(zoo + "fmnist_mobile.safetensors");
  OnnxModel<T> model = import_fmnist_mobile<T>();
  Network<T> canonical = canonize(model.network);  // BatchNorm merged: what the LRP rules run on
  Tensor<T> images = converted<T, double>(st.get("images").cview());
  Tensor<T> x = converted<T, double>(st.get("images").cview().slice(0, 1));
  Index target = static_cast<Index>(st.get("labels")[0]);

  const Tensor<double>& ref(const std::string& key) const { return st.get("rules/" + key); }
  /// f_target(x) - f_target(0) from two forward passes.
  double delta() const {
    Tensor<T> zero(x.shape());
    zero.set_zero();
    return double(test::run_forward(model.network, x.cview())[target]) -
           double(test::run_forward(model.network, zero.cview())[target]);
  }
};

template <class T>
constexpr double bound(double in_double, double in_float) {
  return std::is_same_v<T, double> ? in_double : in_float;
}

/// f(key, rule, on_canonical, double bound, float bound) for every rule with a rules/<key>
/// reference. LRP runs on canonize(network) (as the references run on Zennit's merged BatchNorm).
template <class F>
void for_each_referenced_rule(F&& f) {
  // Measured in double <= 3e-15 (presets), float <= 2e-6: bounds as in the zoo test.
  for_each_preset([&](const char* key, const auto& preset) { f(key, preset, true, 1e-10, 1e-5); }, 0.0, 1.0);
  // One rule everywhere. Measured: z 8e-16 (float 4e-7); epsilon, w2, flat 1e-12, 2e-13, 3e-13 in
  // double and 2.6e-4, 2.4e-4, 3.2e-4 in float: a residual sum whose two inputs nearly cancel
  // amplifies rounding (R_k = x_k R / sum x), by ~1e3 on these relevance flows in both precisions.
  f("lrp.z", LrpZ{}, true, 1e-10, 1e-5);
  f("lrp.epsilon", LrpEpsilon{}, true, 1e-10, 2e-3);
  f("lrp.w2", LrpWSquare{}, true, 1e-10, 2e-3);
  f("lrp.flat", LrpFlat{}, true, 1e-10, 2e-3);
  // Measured: DeepLIFT 6e-15 (float 2.3e-5), Guided BP / Deconvnet / RectGrad <= 3e-15 (float 1e-6).
  f("deeplift.rescale", DeepLiftRescale(), false, 1e-10, 1e-4);
  f("guided_backprop", GuidedBackprop{}, false, 1e-10, 1e-5);
  f("deconvnet", Deconvnet{}, false, 1e-10, 1e-5);
  f("rectgrad", RectGrad{}, false, 1e-10, 1e-5);
}

}  // namespace

TEMPLATE_TEST_CASE("shipped fmnist_mobile.onnx: every rule family with a float64 reference equals it",
                   "[onnx][zoo][rules]", double, float) {
  using T = TestType;
  const Mobile<T> mob;
  int compared = 0;
  for_each_referenced_rule([&](const char* key, const auto& rule, bool on_canonical, double dtol, double ftol) {
    const auto e = explain(on_canonical ? mob.canonical : mob.model.network, rule, mob.x.cview(), mob.target);
    const double err = rel_max(in_double(e.attribution).cview(), mob.ref(key).cview());
    UNSCOPED_INFO("fmnist_mobile " << (std::is_same_v<T, double> ? "double " : "float ") << key << ": " << err);
    CHECK(err <= bound<T>(dtol, ftol));
    ++compared;
  });
  CHECK(compared == 14);
}

TEMPLATE_TEST_CASE("shipped fmnist_mobile.onnx: every other rule family and the methods keep their defining properties",
                   "[onnx][zoo][rules]", double, float) {
  using T = TestType;
  const Mobile<T> mob;
  const Network<T>& net = mob.model.network;
  const auto x = mob.x.cview();
  const Tensor<double> grad = converted<double, double>(mob.st.get("input_grad").cview().slice(0, 1));
  // torch's float 1/6 in hardsigmoid_backward: the gradient reference is good to 3e-8 (docs/zoo.md)
  const double gtol = bound<T>(1e-8, 1e-3);

  SECTION("Gradient and Gradient x Input equal torch's gradient (times the input)") {
    CHECK(rel_max(in_double(explain(net, Gradient{}, x, mob.target).attribution).cview(), grad.cview()) <= gtol);
    Tensor<double> gxi(grad.shape());
    for (Index i = 0; i < gxi.size(); ++i) gxi[i] = grad[i] * double(mob.x[i]);
    CHECK(rel_max(in_double(explain(net, GradientTimesInput{}, x, mob.target).attribution).cview(), gxi.cview()) <= gtol);
  }
  SECTION("DeepLIFT Rescale and RevealCancel sum to f(x) - f(0)") {
    const double delta = mob.delta();
    const auto rescale = explain(net, DeepLiftRescale(), x, mob.target);
    const auto reveal = explain(net, DeepLiftRevealCancel(), x, mob.target);
    for (const auto* e : {&rescale, &reveal}) {
      const double sum = double(e->attribution.vec().template cast<double>().sum());
      UNSCOPED_INFO("DeepLIFT sum " << sum << ", delta " << delta);
      CHECK(std::abs(sum - delta) <= bound<T>(1e-10, 1e-4) * std::max(1.0, std::abs(delta)));
    }
    // Not vacuous: RevealCancel is another attribution than Rescale here.
    CHECK(rel_max(in_double(reveal.attribution).cview(), in_double(rescale.attribution).cview()) > 1e-2);
  }
  SECTION("RectGradConstant(0) is Guided BP (the torch reference)") {
    const auto e = explain(net, RectGradConstant(0), x, mob.target);
    CHECK(rel_max(in_double(e.attribution).cview(), mob.ref("guided_backprop").cview()) <= bound<T>(1e-10, 1e-4));
  }
  SECTION("Deep Taylor (z+ without bias, z^B on the pixels in [0, 1]) is non-negative and loses relevance only at "
          "linear layers and pools") {
    // z+ drops the relevance of a unit without positive contributions (0.51 of 6.77 at the global
    // pool: channels whose hard-swish outputs are all <= 0); elsewhere only the 1e-6 stabilisers of
    // the residual sums absorb (5e-6).
    ExplainOptions<T> opt;
    opt.conservation = true;
    const auto e = explain(mob.canonical, presets::deep_taylor(0.0, 1.0), x, mob.target, opt);
    const double logit = double(e.output[mob.target]);
    REQUIRE(logit > 0);  // the seed: every z+ / z^B message is then >= 0
    CHECK(e.attribution.vec().allFinite());
    CHECK(double(e.attribution.vec().minCoeff()) >= -bound<T>(1e-12, 1e-6) * logit);
    CHECK(double(e.attribution.vec().maxCoeff()) > 1e-3 * logit);
    double absorbed = 0;
    for (const auto& row : e.conservation) {
      const Role role = mob.canonical.node(row.index).role;
      INFO(row.name << " (" << row.kind << "): " << row.out_sum << " in, " << row.in_sum << " out");
      if (role != Role::weighted_linear && role != Role::pooling) CHECK(std::abs(row.absorbed()) <= 1e-5 * logit);
      absorbed += row.absorbed();
    }
    CHECK(std::abs(double(e.attribution.vec().template cast<double>().sum()) + absorbed - logit) <=
          bound<T>(1e-10, 1e-5) * logit);
  }
  SECTION("PatternNet and PatternAttribution refuse the SE gate products with a RuleError") {
    PatternFitter<T> fit(net, PatternKind::relu);
    fit.add_batch(mob.images.cview());
    const auto p = std::make_shared<const Patterns<T>>(fit.finish());
    CHECK_THROWS_AS(explain(net, PatternNet<T>(p), x, mob.target), RuleError);
    CHECK_THROWS_WITH(explain(net, PatternNet<T>(p), x, mob.target),
                      Catch::Contains("[attrib.rule.603]") && Catch::Contains("Mul"));
    CHECK_THROWS_WITH(explain(net, PatternAttribution<T>(net, p), x, mob.target),
                      Catch::Contains("[attrib.rule.603]") && Catch::Contains("Mul"));
  }
  SECTION("Integrated Gradients is complete, SmoothGrad without noise is the gradient") {
    IntegratedGradientsOptions<T> ig;
    // The path from 0 to the image is rough (sum minus delta, relative: Gauss-Legendre 0.03 at 64
    // nodes, 3e-3 at 256; midpoint 8e-5 at 1024): completeness holds in the limit.
    ig.rule = Quadrature::midpoint;
    ig.steps = 1024;
    const auto r = integrated_gradients(net, x, mob.target, ig);
    const double delta = mob.delta();
    const double sum = double(r.attribution.vec().template cast<double>().sum());
    UNSCOPED_INFO("IG sum " << sum << ", f(x) - f(0) " << delta);
    CHECK(std::abs(sum - delta) <= 5e-4 * std::abs(delta));
    SmoothGradOptions<T> sg;
    sg.samples = 2;
    sg.sigma = 0;
    CHECK(rel_max(in_double(smooth_grad(net, x, mob.target, sg).attribution).cview(), grad.cview()) <= gtol);
    sg.sigma = 0.1;
    sg.samples = 8;
    const auto noisy = smooth_grad(net, x, mob.target, sg).attribution;
    CHECK(noisy.vec().allFinite());
    CHECK(rel_max(in_double(noisy).cview(), grad.cview()) > 1e-2);
  }
  SECTION("Occlusion equals a naive loop of forward passes") {
    OcclusionOptions<T> oc;
    oc.window = Shape{1, 7, 7};
    oc.stride = Shape{1, 7, 7};
    const auto r = occlusion(net, x, mob.target, oc);
    const double fx = double(test::run_forward(net, x)[mob.target]);
    Tensor<double> naive(mob.x.shape());
    for (Index wy = 0; wy < 28; wy += 7)
      for (Index wx = 0; wx < 28; wx += 7) {
        Tensor<T> occluded = mob.x;
        for (Index i = wy; i < wy + 7; ++i)
          for (Index j = wx; j < wx + 7; ++j) occluded[i * 28 + j] = T(0);
        const double score = fx - double(test::run_forward(net, occluded.cview())[mob.target]);
        for (Index i = wy; i < wy + 7; ++i)
          for (Index j = wx; j < wx + 7; ++j) naive[i * 28 + j] = score;
      }
    CHECK(rel_max(in_double(r.attribution).cview(), naive.cview()) <= bound<T>(1e-12, 1e-5));
  }
}
