// The misuse suite (issue #16): every public entry driven with what careless callers and hostile
// files pass — wrong ranks and shapes, empty inputs, batch 0, out-of-range targets and layers,
// rules that do not fit, NaN/Inf in inputs, references, seeds and weights, zero or absurd counts.
// Each case requires a typed error with its stable id (never a crash, a std::bad_alloc or a
// finite-looking result); the table of cases is in docs/errors.md ("Misuse suite").
#include <cstdint>
#include <vector>

#include "misuse/misuse.hpp"
#include "attrib/methods/methods.hpp"
#include "attrib/methods/pattern_fit.hpp"
#include "attrib/metrics/csc.hpp"
#include "attrib/metrics/sanity.hpp"

using namespace attrib;
using attrib::test::misuse;
using attrib::test::small_cnn;
using attrib::test::small_mlp;
using attrib::test::input;
using attrib::test::kInf;
using attrib::test::kNaN;

namespace {
/// The model with parameter `name`'s first element set to v (NaN, Inf ...).
template <class T>
Network<T> poisoned(Network<T> net, const char* layer, double v) {
  net.visit(net.find(layer), [&](auto& l) {
    using L = std::decay_t<decltype(l)>;
    if constexpr (std::is_same_v<L, Dense<T>> || std::is_same_v<L, Conv2d<T>>) l.weight().mutable_view()[0] = T(v);
  });
  return net;
}
}  // namespace

TEST_CASE("misuse: explain with empty, batch-0 and malformed inputs", "[misuse][explain]") {
  const auto net = small_cnn<double>();
  const auto x = input<double>(Shape{2, 1, 4, 4});
  misuse<ShapeError>("explain on a default (empty) view", "attrib.shape.033",
                     [&] { explain(net, Gradient{}, ConstView<double>(), 0); });
  misuse<ShapeError>("explain on a default Tensor", "attrib.shape.033",
                     [&] { explain(net, Gradient{}, Tensor<double>().cview(), 0); });
  misuse<ShapeError>("explain on a batch of 0", "attrib.shape.033",
                     [&] { explain(net, Gradient{}, Tensor<double>(Shape{0, 1, 4, 4}).cview(), 0); });
  misuse<ShapeError>("explain with the wrong sample shape", "attrib.shape.100",
                     [&] { explain(net, Gradient{}, input<double>(Shape{1, 1, 5, 5}).cview(), 0); });
  misuse<ShapeError>("explain with the wrong rank", "attrib.shape.200",
                     [&] { explain(net, Gradient{}, input<double>(Shape{16}).cview(), 0); });
  misuse<ArgumentError>("explain with a NaN in the input", "attrib.arg.032", [&] {
    auto y = input<double>(Shape{1, 1, 4, 4});
    y[5] = kNaN;
    explain(net, Gradient{}, y.cview(), 0);
  });
  misuse<ArgumentError>("explain with an Inf in the input", "attrib.arg.032", [&] {
    auto y = input<double>(Shape{1, 1, 4, 4});
    y[0] = -kInf;
    explain(net, Gradient{}, y.cview(), 0);
  });
  misuse<ArgumentError>("explain with an empty network", "attrib.arg.004",
                        [&] { explain(Network<double>(), Gradient{}, x.cview(), 0); });
  misuse<ArgumentError>("Explainer::explain_trace with an empty network", "attrib.arg.004", [&] {
    Network<double> empty;
    Explainer<Network<double>, Gradient> e(empty, Gradient{});
    e.explain_trace(0);
  });
}

TEST_CASE("misuse: explain with bad targets, seeds and references", "[misuse][explain]") {
  const auto net = small_cnn<double>();
  const auto x = input<double>(Shape{2, 1, 4, 4});
  misuse<ArgumentError>("target class 3 of 3 outputs", "attrib.arg.031", [&] { explain(net, Gradient{}, x.cview(), 3); });
  misuse<ArgumentError>("negative target class", "attrib.arg.031", [&] { explain(net, Gradient{}, x.cview(), -1); });
  misuse<ArgumentError>("huge target class", "attrib.arg.031",
                        [&] { explain(net, Gradient{}, x.cview(), std::numeric_limits<Index>::max()); });
  misuse<ArgumentError>("three targets for a batch of two", "attrib.arg.030",
                        [&] { explain(net, Gradient{}, x.cview(), Targets({0, 1, 2})); });
  misuse<ArgumentError>("no targets at all", "attrib.arg.030",
                        [&] { explain(net, Gradient{}, x.cview(), Targets(std::vector<Index>{})); });
  misuse<ShapeError>("custom seed of the wrong shape", "attrib.shape.020", [&] {
    ExplainOptions<double> o;
    const Tensor<double> seed(Shape{2, 4});
    o.seed = seed.cview();
    explain(net, Gradient{}, x.cview(), 0, o);
  });
  misuse<ArgumentError>("custom seed with a NaN", "attrib.arg.032", [&] {
    ExplainOptions<double> o;
    Tensor<double> seed(Shape{2, 3});
    seed[4] = kNaN;
    o.seed = seed.cview();
    explain(net, Gradient{}, x.cview(), 0, o);
  });
  misuse<ShapeError>("reference of the wrong shape", "attrib.shape.041", [&] {
    ExplainOptions<double> o;
    const Tensor<double> ref(Shape{1, 1, 3, 3});
    o.reference = ref.cview();
    explain(net, DeepLiftRescale(), x.cview(), 0, o);
  });
  misuse<ArgumentError>("reference with an Inf (full batch)", "attrib.arg.032", [&] {
    ExplainOptions<double> o;
    Tensor<double> ref(Shape{2, 1, 4, 4});
    ref[7] = kInf;
    o.reference = ref.cview();
    explain(net, DeepLiftRescale(), x.cview(), 0, o);
  });
  misuse<ArgumentError>("reference with a NaN (one item, tiled)", "attrib.arg.032", [&] {
    ExplainOptions<double> o;
    Tensor<double> ref(Shape{1, 1, 4, 4});
    ref[0] = kNaN;
    o.reference = ref.cview();
    explain(net, DeepLiftRescale(), x.cview(), 0, o);
  });
}

TEST_CASE("misuse: explain_from with bad layers and signals", "[misuse][explain]") {
  const auto net = small_cnn<double>();
  const auto x = input<double>(Shape{1, 1, 4, 4});
  Explainer<Network<double>, Gradient> e(net, Gradient{});
  e.explain(x.cview(), 0);
  const Tensor<double> sig(Shape{1, 2, 4, 4}, 1.0);
  misuse<ArgumentError>("explain_from an unknown layer name", "attrib.arg.001",
                        [&] { e.explain_from("no_such_layer", sig.cview()); });
  misuse<ArgumentError>("explain_from layer index 4 of 4", "attrib.arg.002", [&] { e.explain_from(Index(4), sig.cview()); });
  misuse<ArgumentError>("explain_from layer index -1", "attrib.arg.002", [&] { e.explain_from(Index(-1), sig.cview()); });
  misuse<ShapeError>("explain_from with a signal of the wrong shape", "attrib.shape.020",
                     [&] { e.explain_from("conv", Tensor<double>(Shape{1, 3, 4, 4}).cview()); });
  misuse<ArgumentError>("explain_from with a NaN signal", "attrib.arg.032", [&] {
    Tensor<double> s(Shape{1, 2, 4, 4}, 1.0);
    s[3] = kNaN;
    e.explain_from("conv", s.cview());
  });
  misuse<ShapeError>("explain_from (free function) on an unfilled trace", "attrib.shape.031",
                     [&] { explain_from(net, Gradient{}, Trace<double>(), "conv", sig.cview()); });
  misuse<ShapeError>("explain_from on a trace of another model", "attrib.shape.030", [&] {
    Trace<double> t;
    Workspace<double> ws;
    const auto mlp = small_mlp<double>();
    const auto xm = input<double>(Shape{1, 4});
    forward(mlp, xm.cview(), t, ws);
    explain_from(net, Gradient{}, t, "conv", sig.cview());
  });
  misuse<ShapeError>("explain_trace on a trace bound to a batch of 0", "attrib.shape.034", [&] {
    Explainer<Network<double>, Gradient> e0(net, Gradient{});
    const Tensor<double> empty(Shape{0, 1, 4, 4});
    Trace<double>& t = e0.trace();
    t.reset(net.size());
    t.set_input(empty.cview());
    e0.explain_trace(0);
  });
  misuse<ArgumentError>("Trace::output of a node past the end", "attrib.arg.010", [&] {
    Trace<double> t;
    t.output(3);
  });
}

TEST_CASE("misuse: non-finite weights and overflowing inputs raise instead of returning a map",
          "[misuse][explain][nonfinite]") {
  const auto x = input<double>(Shape{1, 1, 4, 4});
  const auto bad = poisoned(small_cnn<double>(), "fc", kNaN);
  misuse<ArgumentError>("Gradient on a model with a NaN weight", "attrib.arg.033", [&] { explain(bad, Gradient{}, x.cview(), 0); });
  misuse<ArgumentError>("RectGrad on a model with a NaN weight", "attrib.arg.033", [&] { explain(bad, RectGrad{}, x.cview(), 0); });
  misuse<ArgumentError>("LRP-epsilon on a model with a NaN weight", "attrib.arg.033",
                        [&] { explain(bad, LrpEpsilon{1e-6}, x.cview(), 0); });
  misuse<ArgumentError>("DeepLIFT on a model with a NaN weight", "attrib.arg.033",
                        [&] { explain(bad, DeepLiftRescale(), x.cview(), 0); });
  misuse<ArgumentError>("Guided backprop on a model with an Inf weight", "attrib.arg.033",
                        [&] { explain(poisoned(small_cnn<double>(), "conv", kInf), GuidedBackprop{}, x.cview(), 0); });
  misuse<ArgumentError>("a float input of 3e38 overflows the logits", "attrib.arg.033", [&] {
    auto netf = small_mlp<float>();
    netf.layer<Dense<float>>("fc1").weight().mutable_view().vec().setOnes();  // 4 x 3e38 > FLT_MAX
    const Tensor<float> big(Shape{1, 4}, 3e38f);
    explain(netf, Gradient{}, big.cview(), 0);
  });
  misuse<ArgumentError>("finite logits, overflowing gradient (weights 1e200 in both layers)", "attrib.arg.034", [&] {
    // h0 = 1e200 * 1e-300 + 1 = 1, y0 = 1e200 * h0: finite; dy0/dx0 = 1e200 * 1e200 = Inf.
    auto net = small_mlp<double>();
    net.layer<Dense<double>>("fc1").weight().mutable_view()[0] = 1e200;
    net.layer<Dense<double>>("fc1").bias().mutable_view()[0] = 1.0;
    net.layer<Dense<double>>("fc2").weight().mutable_view()[0] = 1e200;
    Tensor<double> xi(Shape{1, 4}, 0.0);
    xi[0] = 1e-300;
    explain(net, Gradient{}, xi.cview(), 0);
  });
  // The documented opt-in: the result comes back flagged.
  ExplainOptions<double> o;
  o.allow_non_finite = true;
  const auto e = explain(bad, RectGrad{}, x.cview(), 0, o);
  CHECK_FALSE(e.finite);
  const auto ok = explain(small_cnn<double>(), RectGrad{}, x.cview(), 0);
  CHECK(ok.finite);
}

TEST_CASE("misuse: rules that do not fit the model", "[misuse][rules]") {
  const auto net = small_cnn<double>();
  const auto x = input<double>(Shape{1, 1, 4, 4});
  misuse<ShapeError>("LrpZBox bounds of another shape than the input", "attrib.shape.050", [&] {
    explain(net, LrpZBox(Tensor<double>(Shape{1, 1, 3, 3}, -1.0), Tensor<double>(Shape{1, 1, 3, 3}, 1.0)), x.cview(), 0);
  });
  misuse<ParameterError>("LrpZBox low > high", "attrib.param.055", [&] { (void)LrpZBox(1.0, -1.0); });
  misuse<ParameterError>("LrpEpsilon with a NaN epsilon", "attrib.param.051", [&] { (void)LrpEpsilon(kNaN); });
  misuse<ParameterError>("LrpEpsilon with a negative epsilon", "attrib.param.051", [&] { (void)LrpEpsilon(-1.0); });
  misuse<ParameterError>("LrpAlphaBeta with alpha - beta != 1", "attrib.param.052", [&] { (void)LrpAlphaBeta(2.0, 0.0); });
  misuse<ParameterError>("LrpGamma with a negative gamma", "attrib.param.053", [&] { (void)LrpGamma(-0.5); });
  misuse<RuleError>("PatternNet without patterns", "attrib.rule.601", [&] { explain(net, PatternNet<double>(), x.cview(), 0); });
  misuse<RuleError>("PatternNet with patterns of another model", "attrib.rule.600", [&] {
    auto p = std::make_shared<Patterns<double>>();
    explain(net, PatternNet<double>(p), x.cview(), 0);
  });
  misuse<ParameterError>("Composite mapped to a rule index it does not have", "attrib.param.020",
                         [&] { Composite(Gradient{}).map(Select::kind({"Dense"}), 1); });
}

TEST_CASE("misuse: integrated gradients and SmoothGrad", "[misuse][methods]") {
  const auto net = small_mlp<double>();
  const auto x = input<double>(Shape{2, 4});
  IntegratedGradientsOptions<double> ig;
  misuse<ShapeError>("IG on an empty batch", "attrib.shape.700",
                     [&] { integrated_gradients(net, Tensor<double>(Shape{0, 4}).cview(), 0, ig); });
  misuse<ArgumentError>("IG on a NaN input", "attrib.arg.700", [&] {
    auto y = x;
    y[1] = kNaN;
    integrated_gradients(net, y.cview(), 0, ig);
  });
  misuse<ArgumentError>("IG target out of range", "attrib.arg.703", [&] { integrated_gradients(net, x.cview(), 2, ig); });
  misuse<ArgumentError>("IG with 3 targets for 2 items", "attrib.arg.701",
                        [&] { integrated_gradients(net, x.cview(), Targets({0, 1, 0}), ig); });
  misuse<ParameterError>("IG with steps = 0", "attrib.param.702", [&] {
    auto o = ig;
    o.steps = 0;
    integrated_gradients(net, x.cview(), 0, o);
  });
  misuse<ParameterError>("IG with steps = 2^40", "attrib.param.702", [&] {
    auto o = ig;
    o.steps = Index(1) << 40;
    integrated_gradients(net, x.cview(), 0, o);
  });
  misuse<ParameterError>("IG with batch_size = 0", "attrib.param.700", [&] {
    auto o = ig;
    o.batch_size = 0;
    integrated_gradients(net, x.cview(), 0, o);
  });
  misuse<ShapeError>("IG with a baseline of the wrong shape", "attrib.shape.701", [&] {
    auto o = ig;
    const Tensor<double> b(Shape{1, 5});
    o.baseline = b.cview();
    integrated_gradients(net, x.cview(), 0, o);
  });
  misuse<ArgumentError>("IG with a NaN baseline", "attrib.arg.702", [&] {
    auto o = ig;
    Tensor<double> b(Shape{1, 4});
    b[2] = kNaN;
    o.baseline = b.cview();
    integrated_gradients(net, x.cview(), 0, o);
  });
  misuse<ArgumentError>("IG on a model with a NaN weight", "attrib.arg.704",
                        [&] { integrated_gradients(poisoned(net, "fc2", kNaN), x.cview(), 0, ig); });

  SmoothGradOptions<double> sg;
  sg.samples = 4;
  misuse<ShapeError>("SmoothGrad on a default view", "attrib.shape.700", [&] { smooth_grad(net, ConstView<double>(), 0, sg); });
  misuse<ParameterError>("SmoothGrad with samples = 0", "attrib.param.710", [&] {
    auto o = sg;
    o.samples = 0;
    smooth_grad(net, x.cview(), 0, o);
  });
  misuse<ParameterError>("SmoothGrad with samples = 2^40", "attrib.param.710", [&] {
    auto o = sg;
    o.samples = Index(1) << 40;
    smooth_grad(net, x.cview(), 0, o);
  });
  misuse<ParameterError>("SmoothGrad with a NaN noise level", "attrib.param.711", [&] {
    auto o = sg;
    o.noise_level = kNaN;
    smooth_grad(net, x.cview(), 0, o);
  });
  misuse<ParameterError>("SmoothGrad with an Inf sigma", "attrib.param.712", [&] {
    auto o = sg;
    o.sigma = kInf;
    smooth_grad(net, x.cview(), 0, o);
  });
  misuse<ArgumentError>("SmoothGrad with a negative target", "attrib.arg.031", [&] { smooth_grad(net, x.cview(), -3, sg); });
}

TEST_CASE("misuse: occlusion and Shapley values", "[misuse][methods]") {
  const auto net = small_cnn<double>();
  const auto x = input<double>(Shape{1, 1, 4, 4});
  OcclusionOptions<double> oc;
  misuse<ShapeError>("occlusion on a batch of 0", "attrib.shape.700",
                     [&] { occlusion(net, Tensor<double>(Shape{0, 1, 4, 4}), 0, oc); });
  misuse<ParameterError>("occlusion with a NaN fill", "attrib.param.722", [&] {
    auto o = oc;
    o.fill = kNaN;
    occlusion(net, x, 0, o);
  });
  misuse<ParameterError>("occlusion window larger than the sample", "attrib.param.720", [&] {
    auto o = oc;
    o.window = Shape{1, 5, 5};
    occlusion(net, x, 0, o);
  });
  misuse<ParameterError>("occlusion window of 0", "attrib.param.720", [&] {
    auto o = oc;
    o.window = Shape{1, 0, 2};
    occlusion(net, x, 0, o);
  });
  misuse<ParameterError>("occlusion stride of 0", "attrib.param.721", [&] {
    auto o = oc;
    o.stride = Shape{1, 0, 1};
    occlusion(net, x, 0, o);
  });
  misuse<ShapeError>("occlusion window of the wrong rank", "attrib.shape.711", [&] {
    auto o = oc;
    o.window = Shape{2, 2};
    occlusion(net, x, 0, o);
  });
  misuse<ArgumentError>("occlusion target out of range", "attrib.arg.703", [&] { occlusion(net, x, 7, oc); });
  misuse<ArgumentError>("occlusion on a model with a NaN weight", "attrib.arg.704",
                        [&] { occlusion(poisoned(net, "fc", kNaN), x, 0, oc); });

  const auto mlp = small_mlp<double>();
  const auto xm = input<double>(Shape{1, 4});
  ShapleyOptions<double> sh;
  misuse<ArgumentError>("exact Shapley with a target out of range", "attrib.arg.703",
                        [&] { shapley_exact(mlp, input<double>(Shape{2, 4}), Targets({0, 2}), sh); });
  misuse<ArgumentError>("exact Shapley with 3 targets for 2 items", "attrib.arg.701",
                        [&] { shapley_exact(mlp, input<double>(Shape{2, 4}), Targets({0, 1, 1}), sh); });
  misuse<ShapeError>("exact Shapley on an empty view", "attrib.shape.700",
                     [&] { shapley_exact(mlp, ConstView<double>(), 0, sh); });
  misuse<ParameterError>("exact Shapley with 20 players", "attrib.param.734", [&] {
    Network<double> wide;
    wide.add(Dense<double>(20, 2), "fc");
    shapley_exact(wide, input<double>(Shape{1, 20}), 0, sh);
  });
  misuse<ShapeError>("Shapley groups that do not cover the sample", "attrib.shape.731", [&] {
    auto o = sh;
    o.groups = FeatureGroups(std::vector<Index>{0, 1, 1});
    shapley_exact(mlp, xm, 0, o);
  });
  misuse<ParameterError>("Shapley groups with no player", "attrib.param.733", [&] {
    auto o = sh;
    o.groups = FeatureGroups(std::vector<Index>{-1, -1, -1, -1});
    shapley_exact(mlp, xm, 0, o);
  });
  misuse<ParameterError>("Shapley group id below -1", "attrib.param.730",
                         [&] { (void)FeatureGroups(std::vector<Index>{0, -2, 1, 1}); });
  misuse<ArgumentError>("exact Shapley with a NaN baseline", "attrib.arg.702", [&] {
    auto o = sh;
    Tensor<double> b(Shape{1, 4});
    b[0] = kNaN;
    o.baseline = b.cview();
    shapley_exact(mlp, xm, 0, o);
  });
  misuse<ArgumentError>("exact Shapley on a model with an Inf weight", "attrib.arg.704",
                        [&] { shapley_exact(poisoned(mlp, "fc1", kInf), xm, 0, sh); });
  SampledShapleyOptions<double> ss;
  misuse<ParameterError>("sampled Shapley with pairs = 1", "attrib.param.735", [&] {
    auto o = ss;
    o.pairs = 1;
    shapley_sampled(mlp, xm, 0, o);
  });
  misuse<ParameterError>("sampled Shapley with pairs = 2^40", "attrib.param.735", [&] {
    auto o = ss;
    o.pairs = Index(1) << 40;
    shapley_sampled(mlp, xm, 0, o);
  });
  misuse<ShapeError>("sampled Shapley on a rank-1 input", "attrib.shape.734",
                     [&] { shapley_sampled(mlp, input<double>(Shape{4}), 0, ss); });
  misuse<ArgumentError>("sampled Shapley with a target out of range", "attrib.arg.703",
                        [&] { shapley_sampled(mlp, xm, 2, ss); });
  misuse<ParameterError>("patch_groups with a 0 x 2 patch", "attrib.param.732", [&] { patch_groups(Shape{1, 4, 4}, 0, 2); });
  misuse<ShapeError>("patch_groups on a rank-1 sample", "attrib.shape.730", [&] { patch_groups(Shape{16}, 2, 2); });
}

TEST_CASE("misuse: expected gradients, Grad-CAM and DeepSHAP", "[misuse][methods]") {
  const auto net = small_cnn<double>();
  const auto x = input<double>(Shape{1, 1, 4, 4});
  const auto data = input<double>(Shape{3, 1, 4, 4}, 9);
  ExpectedGradientsOptions<double> eg;
  eg.baselines = data.cview();
  eg.samples = 4;
  misuse<ParameterError>("expected gradients with samples = 1", "attrib.param.740", [&] {
    auto o = eg;
    o.samples = 1;
    expected_gradients(net, x.cview(), 0, o);
  });
  misuse<ParameterError>("expected gradients with samples = 2^40", "attrib.param.740", [&] {
    auto o = eg;
    o.samples = Index(1) << 40;
    expected_gradients(net, x.cview(), 0, o);
  });
  misuse<ShapeError>("expected gradients without baselines", "attrib.shape.740", [&] {
    auto o = eg;
    o.baselines = ConstView<double>();
    expected_gradients(net, x.cview(), 0, o);
  });
  misuse<ShapeError>("expected gradients with baselines of another sample shape", "attrib.shape.740", [&] {
    auto o = eg;
    const Tensor<double> b(Shape{3, 1, 3, 3});
    o.baselines = b.cview();
    expected_gradients(net, x.cview(), 0, o);
  });
  misuse<ArgumentError>("expected gradients with a NaN baseline", "attrib.arg.740", [&] {
    auto o = eg;
    Tensor<double> b = data;
    b[20] = kNaN;
    o.baselines = b.cview();
    expected_gradients(net, x.cview(), 0, o);
  });
  misuse<ArgumentError>("expected gradients with a target out of range", "attrib.arg.703",
                        [&] { expected_gradients(net, x.cview(), 3, eg); });

  misuse<ArgumentError>("Grad-CAM at layer index 9", "attrib.arg.745", [&] { grad_cam(net, x.cview(), 0, Index(9)); });
  misuse<ArgumentError>("Grad-CAM at an unknown layer name", "attrib.arg.001", [&] { grad_cam(net, x.cview(), 0, "conv9"); });
  misuse<ShapeError>("Grad-CAM at a Dense layer (no feature map)", "attrib.shape.745", [&] { grad_cam(net, x.cview(), 0, "fc"); });
  misuse<ShapeError>("Grad-CAM on a batch of 0", "attrib.shape.700",
                     [&] { grad_cam(net, Tensor<double>(Shape{0, 1, 4, 4}).cview(), 0, "conv"); });
  misuse<ArgumentError>("Grad-CAM with a target out of range", "attrib.arg.031", [&] { grad_cam(net, x.cview(), 5, "conv"); });
  misuse<ArgumentError>("Grad-CAM on a model with a NaN weight", "attrib.arg.033",
                        [&] { grad_cam(poisoned(net, "conv", kNaN), x.cview(), 0, "conv"); });

  DeepShapOptions<double> ds;
  ds.background = data.cview();
  misuse<ShapeError>("DeepSHAP with an empty background", "attrib.shape.761", [&] {
    auto o = ds;
    o.background = ConstView<double>();
    deep_shap(net, x.cview(), 0, o);
  });
  misuse<ShapeError>("DeepSHAP with a background of another shape", "attrib.shape.760", [&] {
    auto o = ds;
    const Tensor<double> b(Shape{2, 1, 4, 3});
    o.background = b.cview();
    deep_shap(net, x.cview(), 0, o);
  });
  misuse<ArgumentError>("DeepSHAP with an Inf in the background", "attrib.arg.760", [&] {
    auto o = ds;
    Tensor<double> b = data;
    b[0] = kInf;
    o.background = b.cview();
    deep_shap(net, x.cview(), 0, o);
  });
  misuse<ParameterError>("DeepSHAP with max_background = -1", "attrib.param.760", [&] {
    auto o = ds;
    o.max_background = -1;
    deep_shap(net, x.cview(), 0, o);
  });
  misuse<ShapeError>("DeepSHAP on a batch of 0", "attrib.shape.700",
                     [&] { deep_shap(net, Tensor<double>(Shape{0, 1, 4, 4}).cview(), 0, ds); });
  misuse<ArgumentError>("DeepSHAP with a target out of range", "attrib.arg.703", [&] { deep_shap(net, x.cview(), 3, ds); });
}

TEST_CASE("misuse: CSC and sanity checks", "[misuse][metrics]") {
  const auto net = small_cnn<double>();
  const auto imgs = input<double>(Shape{2, 1, 4, 4});
  CscOptions c;
  misuse<ShapeError>("CSC on 0 images", "attrib.shape.080",
                     [&] { cosine_similarity_convergence(net, Gradient{}, Tensor<double>(Shape{0, 1, 4, 4}).cview(), Index(3), c); });
  misuse<ArgumentError>("CSC on images with a NaN row", "attrib.arg.080", [&] {
    auto y = imgs;
    y[17] = kNaN;
    cosine_similarity_convergence(net, Gradient{}, y.cview(), Index(3), c);
  });
  misuse<ParameterError>("CSC with samples = 1", "attrib.param.080", [&] {
    auto o = c;
    o.samples = 1;
    cosine_similarity_convergence(net, Gradient{}, imgs.cview(), Index(3), o);
  });
  misuse<ParameterError>("CSC with samples = INT_MAX", "attrib.param.080", [&] {
    auto o = c;
    o.samples = std::numeric_limits<int>::max();
    cosine_similarity_convergence(net, Gradient{}, imgs.cview(), Index(3), o);
  });
  misuse<ParameterError>("CSC with max_values = -1", "attrib.param.081", [&] {
    auto o = c;
    o.max_values = -1;
    cosine_similarity_convergence(net, Gradient{}, imgs.cview(), Index(3), o);
  });
  misuse<ParameterError>("CSC with max_values = 0", "attrib.param.081", [&] {
    auto o = c;
    o.max_values = 0;
    cosine_similarity_convergence(net, Gradient{}, imgs.cview(), Index(3), o);
  });
  misuse<ArgumentError>("CSC at layer 4 of 4", "attrib.arg.002",
                        [&] { cosine_similarity_convergence(net, Gradient{}, imgs.cview(), Index(4), c); });
  misuse<ArgumentError>("CSC at an unknown layer", "attrib.arg.001",
                        [&] { cosine_similarity_convergence(net, Gradient{}, imgs.cview(), "fc9", c); });
  misuse<ShapeError>("CSC on images of the wrong shape", "attrib.shape.100",
                     [&] { cosine_similarity_convergence(net, Gradient{}, input<double>(Shape{2, 1, 5, 5}).cview(), Index(3), c); });
  misuse<ArgumentError>("CSC on a model with a NaN weight", "attrib.arg.033",
                        [&] { cosine_similarity_convergence(poisoned(net, "conv", kNaN), Gradient{}, imgs.cview(), Index(3), c); });

  SanityOptions s;
  s.resamples = 10;
  misuse<ArgumentError>("random-logit test with 1 label for 2 images", "attrib.arg.810",
                        [&] { random_logit_test(net, Gradient{}, imgs.cview(), {0}, s); });
  misuse<ShapeError>("random-logit test on 0 images", "attrib.shape.810",
                     [&] { random_logit_test(net, Gradient{}, Tensor<double>(Shape{0, 1, 4, 4}).cview(), {}, s); });
  misuse<ShapeError>("random-logit test on a rank-1 batch", "attrib.shape.810",
                     [&] { random_logit_test(net, Gradient{}, input<double>(Shape{16}).cview(), {0}, s); });
  misuse<ArgumentError>("random-logit test with a label out of range", "attrib.arg.031",
                        [&] { random_logit_test(net, Gradient{}, imgs.cview(), {3, 0}, s); });
  misuse<ParameterError>("bootstrap with resamples = 0", "attrib.param.810", [&] { bootstrap_median({1.0, 2.0}, 0); });
  misuse<ParameterError>("bootstrap with resamples = INT_MAX", "attrib.param.810",
                         [&] { bootstrap_median({1.0, 2.0}, std::numeric_limits<int>::max()); });
  misuse<ParameterError>("bootstrap with confidence = 101", "attrib.param.811", [&] { bootstrap_median({1.0, 2.0}, 10, 101.0); });
  misuse<ArgumentError>("cascading randomization at an unknown layer", "attrib.arg.001",
                        [&] { cascading_randomization(net, Gradient{}, imgs.cview(), {0, 1}, {"nope"}, s); });
  misuse<ArgumentError>("cascading randomization with 3 labels for 2 images", "attrib.arg.810",
                        [&] { cascading_randomization(net, Gradient{}, imgs.cview(), {0, 1, 2}, {"fc"}, s); });
}

TEST_CASE("misuse: pattern fitting", "[misuse][pattern]") {
  const auto net = small_cnn<double>();
  misuse<ArgumentError>("PatternFitter on a network without Dense or Conv2d", "attrib.arg.604", [&] {
    Network<double> r;
    r.add(ReLU<double>(), "r");
    (void)PatternFitter<double>(r, PatternKind::relu);
  });
  misuse<ArgumentError>("PatternFitter::finish before any batch", "attrib.arg.603",
                        [&] { PatternFitter<double>(net, PatternKind::relu).finish(); });
  misuse<ArgumentError>("PatternFitter::add_batch with a NaN", "attrib.arg.601", [&] {
    PatternFitter<double> f(net, PatternKind::linear);
    auto y = input<double>(Shape{2, 1, 4, 4});
    y[3] = kNaN;
    f.add_batch(y.cview());
  });
  misuse<ShapeError>("PatternFitter::add_batch with the wrong shape", "attrib.shape.100", [&] {
    PatternFitter<double> f(net, PatternKind::linear);
    f.add_batch(input<double>(Shape{2, 1, 3, 4}).cview());
  });
  misuse<ArgumentError>("PatternFitter::add_batch on a model with an Inf weight", "attrib.arg.602", [&] {
    const auto bad = poisoned(net, "fc", kInf);
    PatternFitter<double> f(bad, PatternKind::linear);
    f.add_batch(input<double>(Shape{2, 1, 4, 4}).cview());
  });
}

TEST_CASE("misuse: shapes, tensors and networks", "[misuse][core]") {
  misuse<ShapeError>("Shape of rank 5", "attrib.shape.001", [&] { (void)Shape{1, 2, 3, 4, 5}; });
  misuse<ShapeError>("Shape with a negative dimension", "attrib.shape.002", [&] { (void)Shape{2, -1}; });
  misuse<ShapeError>("Shape whose product overflows", "attrib.shape.003", [&] { (void)Shape{Index(1) << 40, Index(1) << 40}; });
  misuse<ShapeError>("Shape (2^40, 2^40, 0): overflow hidden by a zero", "attrib.shape.003",
                     [&] { (void)Shape{Index(1) << 40, Index(1) << 40, 0}; });
  misuse<ShapeError>("with_batch that overflows", "attrib.shape.003",
                     [&] { Shape{2, Index(1) << 40}.with_batch(Index(1) << 40); });
  misuse<ShapeError>("Tensor with too few values", "attrib.shape.011", [&] { (void)Tensor<double>(Shape{2, 2}, std::vector<double>(3)); });
  misuse<ShapeError>("reshape to another element count", "attrib.shape.010",
                     [&] { Tensor<double>(Shape{2, 3}).cview().reshaped(Shape{7}); });
  misuse<ShapeError>("Tensor::add of another shape", "attrib.shape.012",
                     [&] { Tensor<double>(Shape{2}).add(Tensor<double>(Shape{3}).cview()); });
  misuse<ParameterError>("Network::add with a duplicate name", "attrib.param.010", [&] {
    Network<double> n;
    n.add(ReLU<double>(), "a");
    n.add(ReLU<double>(), "a");
  });
  misuse<ParameterError>("Network::add with a later node as input", "attrib.param.012", [&] {
    Network<double> n;
    n.add(ReLU<double>(), "a", {3});
  });
  misuse<ArgumentError>("Network::layer of the wrong type", "attrib.arg.003",
                        [&] { small_mlp<double>().layer<Conv2d<double>>("fc1"); });
  misuse<ArgumentError>("Network::node on an empty network", "attrib.arg.004", [&] { Network<double>().node(0); });
  misuse<ArgumentError>("Network::find of an unknown name", "attrib.arg.001", [&] { small_mlp<double>().find("x"); });
  misuse<ParameterError>("Dense with 0 inputs", "attrib.param.100", [&] { (void)Dense<double>(0, 3); });
  misuse<ParameterError>("Conv2d with a 0 kernel", "attrib.param.201", [&] { (void)Conv2d<double>(1, 2, 0, 3); });
}
