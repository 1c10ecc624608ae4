// Every rule and composite against an independent PyTorch implementation:
// tests/data/rules_{vgg,resnet}.safetensors, made by tools/make_rule_fixtures.py (see its
// docstring for the formulas, written in the modified-gradient formulation of Zennit/Captum).
// The networks are built here by hand with Network::add under the fixture's node names; the
// architecture (names, kinds, inputs, layer hyper-parameters, output shapes) is checked against
// the fixture's metadata, every parameter is loaded by name, and for every stored entry the
// input attribution and the read-outs at a few named nodes (keep_layers) are compared.
// Also: LRP-0 == Gradient x Input at every node, and LRP-0's per-layer relevance sums on the
// bias-free variant of the VGG-like network (conservation).
#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "support/support.hpp"
#include "support/torch_fixture.hpp"
#include "attrib/attrib.hpp"
#include "attrib/io/safetensors.hpp"
#include "attrib/models/parameters.hpp"
#include "attrib/rules/guided.hpp"
#include "attrib/rules/lrp.hpp"
#include "attrib/rules/presets.hpp"
#include "attrib/rules/rectgrad.hpp"

using namespace attrib;
using namespace attrib::test;

namespace {

const std::vector<Index> targets{0, 3, 4};

std::string fixture_path(const std::string& model) {
  return std::string(ATTRIB_TEST_DATA_DIR) + "/rules_" + model + ".safetensors";
}

// ------------------------------------------------------------------------------------------
// The two networks, by hand
// ------------------------------------------------------------------------------------------

/// conv1 - bn1 - relu1 - pool1 (max 2) - conv2 - relu2 - pool2 (avg 2) - flatten - fc1 - relu3 - fc2.
template <class T>
Network<T> vgg_like() {
  Network<T> net;
  net.add(Conv2d<T>(3, 6, 3, 3, Conv2dOptions{}.padding(1)), "conv1");
  net.add(BatchNorm2d<T>(6), "bn1");
  net.add(ReLU<T>(), "relu1");
  net.add(MaxPool2d<T>(2), "pool1");
  net.add(Conv2d<T>(6, 8, 3, 3, Conv2dOptions{}.padding(1)), "conv2");
  net.add(ReLU<T>(), "relu2");
  net.add(AvgPool2d<T>(2), "pool2");
  net.add(Flatten<T>(), "flatten");
  net.add(Dense<T>(8 * 4 * 4, 16), "fc1");
  net.add(ReLU<T>(), "relu3");
  net.add(Dense<T>(16, 5), "fc2");
  return net;
}

/// Stem conv1 (stride 2) - bn1 - relu; block1 with projection shortcut (downsample.0 1x1 stride 2
/// + downsample.1 BN), block2 with identity shortcut; avgpool (1, 1) - flatten - fc.
template <class T>
Network<T> resnet_like() {
  Network<T> net;
  net.add(Conv2d<T>(3, 6, 3, 3, Conv2dOptions{}.stride(2).padding(1)), "conv1");
  net.add(BatchNorm2d<T>(6), "bn1");
  net.add(ReLU<T>(), "relu");
  Index in_channels = 6;
  for (int b = 1; b <= 2; ++b) {
    const std::string p = "block" + std::to_string(b) + ".";
    const Index stride = b == 1 ? 2 : 1;
    const Index block_in = net.size() - 1;
    net.add(Conv2d<T>(in_channels, 8, 3, 3, Conv2dOptions{}.stride(stride).padding(1).bias(false)), p + "conv1");
    net.add(BatchNorm2d<T>(8), p + "bn1");
    net.add(ReLU<T>(), p + "relu");
    net.add(Conv2d<T>(8, 8, 3, 3, Conv2dOptions{}.padding(1)), p + "conv2");
    const Index main = net.add(BatchNorm2d<T>(8), p + "bn2");
    Index shortcut = block_in;
    if (b == 1) {
      net.add(Conv2d<T>(in_channels, 8, 1, 1, Conv2dOptions{}.stride(2).bias(false)), p + "downsample.0", {block_in});
      shortcut = net.add(BatchNorm2d<T>(8), p + "downsample.1");
    }
    net.add(Add<T>(), p + "add", {main, shortcut});
    net.add(ReLU<T>(), p + "relu_1");
    in_channels = 8;
  }
  net.add(AdaptiveAvgPool2d<T>(1, 1), "avgpool");
  net.add(Flatten<T>(), "flatten");
  net.add(Dense<T>(8, 5), "fc");
  return net;
}

template <class T>
Network<T> build(const std::string& model) {
  return model == "vgg" ? vgg_like<T>() : resnet_like<T>();
}

/// The layer's hyper-parameters in the fixture's notation (node_specs).
template <class L>
std::string spec_of(const L& l) {
  using U = std::decay_t<L>;
  using T = typename U::Scalar;
  std::ostringstream s;
  if constexpr (std::is_same_v<U, Conv2d<T>>) {
    const auto& o = l.options();
    const bool square = l.kernel_h() == l.kernel_w() && o.stride_h() == o.stride_w() && o.pad_top() == o.pad_bottom() &&
                        o.pad_top() == o.pad_left() && o.pad_left() == o.pad_right() && o.dilation_h() == 1 &&
                        o.dilation_w() == 1 && o.groups() == 1;
    s << "Conv2d(in=" << l.in_channels() << ",out=" << l.out_channels() << ",k=" << l.kernel_h()
      << ",stride=" << o.stride_h() << ",pad=" << o.pad_top() << ",bias=" << int(l.has_bias()) << ")"
      << (square ? "" : " (not square)");
  } else if constexpr (std::is_same_v<U, Dense<T>>) {
    s << "Dense(in=" << l.in_features() << ",out=" << l.out_features() << ",bias=" << int(l.has_bias()) << ")";
  } else if constexpr (std::is_same_v<U, BatchNorm2d<T>>) {
    s << "BatchNorm2d(c=" << l.channels() << ")";
  } else if constexpr (std::is_same_v<U, MaxPool2d<T>> || std::is_same_v<U, AvgPool2d<T>>) {
    s << U::kind << "(k=" << l.kernel_h() << ",stride=" << l.stride_h() << ",pad=" << l.pad_h() << ")"
      << (l.kernel_h() == l.kernel_w() && l.stride_h() == l.stride_w() && l.pad_h() == l.pad_w() && !l.ceil_mode()
              ? ""
              : " (not square)");
  } else if constexpr (std::is_same_v<U, AdaptiveAvgPool2d<T>>) {
    s << "AdaptiveAvgPool2d(" << l.out_h() << "," << l.out_w() << ")";
  } else {
    s << U::kind;
  }
  return s.str();
}

template <class T>
SafeTensors<T> load_fixture(const std::string& model) {
  SafeTensors<T> st = SafeTensors<T>::load(fixture_path(model));
  CHECK(meta(st.metadata(), "model") == model);
  CHECK(meta(st.metadata(), "targets") == "0,3,4");
  return st;
}

/// Node names, kinds, inputs and layer hyper-parameters equal the fixture's, node by node.
template <class T>
void check_architecture(Network<T>& net, const SafeTensors<T>& st) {
  check_fixture_nodes(net, st);
  const auto& m = st.metadata();
  const auto specs = split(meta(m, "node_specs"), ';');
  REQUIRE(specs.size() == std::size_t(net.size()));
  const double bn_eps = std::stod(meta(m, "bn_eps"));
  for (Index i = 0; i < net.size(); ++i) {
    INFO("node " << i << " '" << net.node(i).name << "'");
    net.visit(i, [&](const auto& layer) {
      CHECK(spec_of(layer) == specs[std::size_t(i)]);
      using U = std::decay_t<decltype(layer)>;
      if constexpr (std::is_same_v<U, BatchNorm2d<T>>) CHECK(double(layer.eps()) == Approx(bn_eps).epsilon(1e-6));
    });
  }
}

// ------------------------------------------------------------------------------------------
// The entries: fixture name -> the attrib rule that must reproduce it
// ------------------------------------------------------------------------------------------

template <class T>
using Run = std::function<Explanation<T>(const Network<T>&, ConstView<T>, const ExplainOptions<T>&)>;

template <class T, class Rule>
Run<T> run(Rule rule) {
  return [rule](const Network<T>& net, ConstView<T> x, const ExplainOptions<T>& opt) {
    return explain(net, rule, x, Targets(targets), opt);
  };
}

template <class T>
std::map<std::string, Run<T>> all_rules(const SafeTensors<double>& st) {
  const double low = st.get("data/box_low")[0], high = st.get("data/box_high")[0];
  const Tensor<double>&low_c = st.get("data/box_low_channel"), &high_c = st.get("data/box_high_channel");
  const double tau = std::stod(meta(st.metadata(), "rectgrad_constant_tau"));
  std::map<std::string, Run<T>> m;
  m["Gradient"] = run<T>(Gradient{});
  m["GradientTimesInput"] = run<T>(GradientTimesInput{});
  m["GuidedBackprop"] = run<T>(GuidedBackprop{});
  m["Deconvnet"] = run<T>(Deconvnet{});
  m["GuidedBackpropLogitSeed"] = run<T>(GuidedBackpropLogitSeed{});
  m["DeconvnetLogitSeed"] = run<T>(DeconvnetLogitSeed{});
  m["RectGrad"] = run<T>(RectGrad{});
  m["RectGrad_q80"] = run<T>(RectGrad(80));
  m["RectGrad_q90_linear"] = run<T>(RectGrad(90, PercentileInterpolation::linear));
  m["RectGrad_q75_linear_x"] = run<T>(RectGrad(75, PercentileInterpolation::linear, true));
  m["RectGradLogitSeed_q80"] = run<T>(RectGradLogitSeed(80));
  m["RectGradConstant"] = run<T>(RectGradConstant(tau));
  m["LrpZ"] = run<T>(LrpZ{});
  m["LrpEpsilon"] = run<T>(LrpEpsilon{});
  m["LrpEpsilon_0.25"] = run<T>(LrpEpsilon(0.25));
  m["LrpZPlus"] = run<T>(LrpZPlus{});
  m["LrpZPlus_bias"] = run<T>(LrpZPlus(true));
  m["LrpAlpha2Beta1"] = run<T>(LrpAlphaBeta(2, 1));
  m["LrpAlpha1Beta0"] = run<T>(LrpAlphaBeta(1, 0));
  m["LrpGamma"] = run<T>(LrpGamma{});
  m["LrpFlat"] = run<T>(LrpFlat{});
  m["LrpFlat_stabilizer"] = run<T>(LrpFlat(1e-6));
  m["LrpWSquare"] = run<T>(LrpWSquare{});
  m["LrpWSquare_squared_bias"] = run<T>(LrpWSquare(true, 1e-6));
  LrpEpsilon eps_maxpool(1e-9);
  eps_maxpool.maxpool = MaxPoolRule::epsilon;
  m["LrpEpsilon_maxpool_epsilon"] = run<T>(eps_maxpool);
  m["LrpZBox"] = run<T>(LrpZBox(low, high));
  m["ExcitationBackprop"] = run<T>(ExcitationBackprop{});
  m["epsilon_plus"] = run<T>(presets::epsilon_plus());
  m["epsilon_plus_flat"] = run<T>(presets::epsilon_plus_flat());
  m["epsilon_gamma_box"] = run<T>(presets::epsilon_gamma_box(low, high));
  m["epsilon_gamma_box_channel"] = run<T>(presets::epsilon_gamma_box(low_c, high_c));
  m["epsilon_alpha2_beta1"] = run<T>(presets::epsilon_alpha2_beta1());
  m["epsilon_alpha2_beta1_flat"] = run<T>(presets::epsilon_alpha2_beta1_flat());
  m["excitation_backprop"] = run<T>(presets::excitation_backprop());
  m["epsilon_plus_conservative"] = run<T>(presets::epsilon_plus_conservative());
  m["epsilon_plus_flat_conservative"] = run<T>(presets::epsilon_plus_flat_conservative());
  m["epsilon_alpha2_beta1_conservative"] = run<T>(presets::epsilon_alpha2_beta1_conservative());
  m["epsilon_alpha2_beta1_flat_conservative"] = run<T>(presets::epsilon_alpha2_beta1_flat_conservative());
  m["excitation_backprop_caffe"] = run<T>(presets::excitation_backprop_caffe());
  m["lrp_cmp_alpha1_beta0"] = run<T>(presets::lrp_cmp_alpha1_beta0());
  m["lrp_cmp_alpha2_beta1"] = run<T>(presets::lrp_cmp_alpha2_beta1());
  m["deep_taylor"] = run<T>(presets::deep_taylor(low, high));
  m["deep_taylor_channel"] = run<T>(presets::deep_taylor(low_c, high_c));
  return m;
}

/// Tolerance relative to max |reference|. Double: 1e-9 (measured: at most 3.5e-14). Float: the
/// network uses exactly the fixture's (float32-representable) parameters and input, so the
/// difference is float rounding amplified by the rule. The generator runs the same formulas in
/// float32 PyTorch and stores that error per entry (float32_error.<entry>: 8e-8 to 1.4e-5 here,
/// the largest for rules that divide by unstabilised sums of signed terms: LrpFlat and LrpWSquare
/// through the eps = 0 residual split, ExcitationBackprop on the signed input). attrib's float
/// error measured 0.13x to 4.5x of it (worst: 3.8e-5 for ExcitationBackprop on the ResNet), so
/// the bound is 20x the stored error, at least 1e-5.
template <class T>
double tolerance(const std::map<std::string, std::string>& metadata, const std::string& entry) {
  if (std::is_same_v<T, double>) return 1e-9;
  const double torch_float32_error = std::stod(meta(metadata, "float32_error." + entry));
  CHECK(torch_float32_error < 1e-3);
  return std::max(1e-5, 20 * torch_float32_error);
}

/// Runs every entry of the fixture with attrib in T and compares the attribution and the
/// read-outs at the stored nodes.
template <class T>
void check_model(const std::string& model, std::size_t expected_entries) {
  const SafeTensors<T> st = load_fixture<T>(model);
  const SafeTensors<double> ref = SafeTensors<double>::load(fixture_path(model));
  Network<T> net = build<T>(model);
  check_architecture(net, st);
  load_fixture_parameters(net, st);
  const Tensor<T>& x = st.get("data/input");

  // The forward pass: output shapes of every node and the logits.
  Explainer<Network<T>, Gradient> fwd(net, Gradient{});
  const Explanation<T>& g = fwd.explain(x, Targets(targets));
  const auto shapes = split(meta(st.metadata(), "node_shapes"), ';');
  REQUIRE(Index(shapes.size()) == net.size());
  for (Index i = 0; i < net.size(); ++i) {
    std::ostringstream s;
    const Shape shape = fwd.trace().output(i).shape();
    for (int d = 0; d < shape.rank(); ++d) s << (d ? "x" : "") << shape[d];
    CHECK(s.str() == shapes[std::size_t(i)]);
  }
  CHECK(relative_error<T>(g.output, ref.get("data/logits"), "logits") <= tolerance<T>(st.metadata(), "Gradient"));

  const auto entries = split(meta(st.metadata(), "entries"), ',');
  const auto kept = split(meta(st.metadata(), "kept_nodes"), ',');
  CHECK(entries.size() == expected_entries);
  const auto rules = all_rules<T>(ref);
  ExplainOptions<T> opt;
  opt.keep_layers = true;
  for (const auto& entry : entries) {
    INFO(model << " entry " << entry << " (" << meta(st.metadata(), "cpp." + entry) << ")");
    const auto it = rules.find(entry);
    REQUIRE(it != rules.end());
    const Explanation<T> e = it->second(net, x, opt);
    const double tol = tolerance<T>(st.metadata(), entry);
    // Top to bottom, so that the first failing read-out localises a disagreement.
    for (const auto& node : kept) {
      const double err = relative_error<T>(e.layers[std::size_t(net.find(node))],
                                           ref.get("relevance/" + entry + "/" + node), "read-out at " + node);
      INFO("read-out at '" << node << "': max |attrib - torch| / max |torch| = " << err << ", tolerance " << tol);
      CHECK(err <= tol);
    }
    const double err = relative_error<T>(e.attribution, ref.get("attr/" + entry), "attribution");
    INFO("attribution: max |attrib - torch| / max |torch| = " << err << ", tolerance " << tol);
    CHECK(err <= tol);
  }
}

}  // namespace

TEMPLATE_TEST_CASE("Every rule and composite equals the PyTorch reference on a VGG-like net", "[rules][torch]",
                   float, double) {
  check_model<TestType>("vgg", 41);
}

TEMPLATE_TEST_CASE("Every rule and composite equals the PyTorch reference on a ResNet-like net", "[rules][torch]",
                   float, double) {
  check_model<TestType>("resnet", 36);
}

TEMPLATE_TEST_CASE("Every fixture entry has a rule here and the fixtures cover every rule", "[rules][torch]", double) {
  std::set<std::string> covered;
  for (const std::string model : {"vgg", "resnet"}) {
    const auto st = SafeTensors<double>::load(fixture_path(model));
    for (const auto& e : split(meta(st.metadata(), "entries"), ',')) covered.insert(e);
  }
  const auto rules = all_rules<TestType>(SafeTensors<double>::load(fixture_path("vgg")));
  for (const auto& kv : rules) {
    INFO("rule entry " << kv.first << " is in no fixture");
    CHECK(covered.count(kv.first) == 1);
  }
  for (const auto& e : covered) {
    INFO("fixture entry " << e << " has no rule");
    CHECK(rules.count(e) == 1);
  }
}

// LRP-0 (seed: the logit value) equals Gradient x Input (seed 1) at every node: by induction the
// relevance at a node is activation (.) gradient (R_j / z_j = df/dz_j), with biases, BatchNorm,
// max pooling and residual sums alike (0/0 := 0 drops nothing, as R_j = 0 where z_j = 0).
TEMPLATE_TEST_CASE("LRP-0 equals Gradient x Input on both nets", "[rules][torch][lrp0]", float, double) {
  const double tol = std::is_same_v<TestType, double> ? 1e-12 : 1e-5;
  for (const std::string model : {"vgg", "resnet"}) {
    INFO(model);
    const SafeTensors<TestType> st = load_fixture<TestType>(model);
    Network<TestType> net = build<TestType>(model);
    load_fixture_parameters(net, st);
    ExplainOptions<TestType> opt;
    opt.keep_layers = true;
    const auto lrp = explain(net, LrpZ{}, st.get("data/input"), Targets(targets), opt);
    const auto gxi = explain(net, GradientTimesInput{}, st.get("data/input"), Targets(targets), opt);
    const Tensor<double> ref = cast<double>(gxi.attribution);
    CHECK(relative_error<TestType>(lrp.attribution, ref.cview(), "input") <= tol);
    for (Index i = 0; i < net.size(); ++i) {
      const Tensor<double> r = cast<double>(gxi.layers[std::size_t(i)]);
      CHECK(relative_error<TestType>(lrp.layers[std::size_t(i)], r.cview(), net.node(i).name) <= tol);
    }
  }
}

// Bias-free VGG-like net (every Conv2d/Dense bias, BatchNorm beta and running mean zeroed): LRP-0
// conserves the logit at every node, and its values and per-node sums equal PyTorch's.
TEMPLATE_TEST_CASE("LRP-0 conserves relevance layer by layer on the bias-free VGG-like net", "[rules][torch][lrp0]",
                   float, double) {
  using T = TestType;
  const double tol = std::is_same_v<T, double> ? 1e-9 : 1e-5;
  const SafeTensors<T> st = load_fixture<T>("vgg");
  const SafeTensors<double> ref = SafeTensors<double>::load(fixture_path("vgg"));
  Network<T> net = build<T>("vgg");
  load_fixture_parameters(net, st);
  for (const auto& name : parameter_names(net)) {
    const bool bias = name.size() > 5 && name.compare(name.size() - 5, 5, ".bias") == 0;
    const bool mean = name.find("running_mean") != std::string::npos;
    if (bias || mean) {
      Tensor<T> zero(parameter(net, name).shape());
      zero.set_zero();
      parameter(net, name).assign(zero.cview(), name);
    }
  }
  ExplainOptions<T> opt;
  opt.keep_layers = true;
  opt.conservation = true;
  const Tensor<T>& x = st.get("data/input");
  const auto lrp = explain(net, LrpZ{}, x, Targets(targets), opt);
  const auto gxi = explain(net, GradientTimesInput{}, x, Targets(targets), opt);
  CHECK(relative_error<T>(lrp.output, ref.get("nobias/logits"), "bias-free logits") <= tol);
  CHECK(relative_error<T>(lrp.attribution, ref.get("nobias/attr/LrpZ"), "LRP-0") <= tol);
  CHECK(relative_error<T>(gxi.attribution, ref.get("nobias/attr/GradientTimesInput"), "Gradient x Input") <= tol);

  // Per-node, per-item sums: equal to PyTorch's and to the item's target logit.
  const Tensor<double>& sums = ref.get("nobias/lrp0_sums");
  const Tensor<double>& logits = ref.get("nobias/logits");
  const Index batch = 3;
  REQUIRE(sums.shape() == Shape{net.size() + 1, batch});
  for (Index i = 0; i <= net.size(); ++i) {
    const Tensor<T>& r = i < net.size() ? lrp.layers[std::size_t(i)] : lrp.attribution;
    const Index per = r.size() / batch;
    for (Index n = 0; n < batch; ++n) {
      double s = 0;
      for (Index k = 0; k < per; ++k) s += double(r[n * per + k]);
      const double logit = logits.at(n, targets[std::size_t(n)]);
      INFO((i < net.size() ? net.node(i).name : std::string("input")) << ", item " << n);
      CHECK(s == Approx(sums.at(i, n)).margin(tol * std::abs(logit)));
      CHECK(s == Approx(logit).margin(tol * std::abs(logit)));
    }
  }
  // attrib's own conservation report: nothing absorbed anywhere.
  REQUIRE(Index(lrp.conservation.size()) == net.size());
  double total = 0;
  for (Index n = 0; n < batch; ++n) total += logits.at(n, targets[std::size_t(n)]);
  for (const auto& row : lrp.conservation) {
    INFO(row.name);
    CHECK(row.out_sum == Approx(total).margin(tol));
    CHECK(row.absorbed() == Approx(0).margin(tol));
  }
}
