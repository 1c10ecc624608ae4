// Faithfulness audit in the Taylor-interaction frame of Deng et al. (docs/faithfulness.md):
// every method x the criteria of theory A.3/A.6 on four suites of models, printed as Markdown
// and written as CSV (model,method,criterion,value).
//
//   ./06_faithfulness_audit [csv path [images [grid]]]     defaults: faithfulness_audit.csv 10 4
//
//  1. polynomials (exact Taylor side): monomial probing of the methods linear in f -> U (ignored
//     mass, P1), L (leak outside the support, P2), C (over/under allocation, P3), G (gap) and
//     dW, the weighted distance of the probed weights to Shapley's equal shares [i in S]/|S|;
//  2. ReLU gates AND (T6a), AND3 (T11), OR (T12): completeness gaps and distance to Shapley;
//  3. random ReLU networks f = g(x_A) + h(x_B) with a structural dummy input: dummy leak,
//     additive-branch leak (final Dense [1, 1] and Add join, g > 0 > h), completeness gap,
//     distance to exact Shapley;
//  4. the shipped Fashion-MNIST model (fmnist_small, BatchNorm folded) with grid x grid patches
//     as players (exact Harsanyi dividends, baseline 0): completeness gap and distance of the
//     patch-summed attributions to the exact patch Shapley values.
// The network runs in double so that the numbers are the same on every compiler.
#include <attrib/attrib.hpp>
#include <attrib/io/fashion_models.hpp>
#include <attrib/methods/deep_shap.hpp>
#include <attrib/methods/expected_gradients.hpp>
#include <attrib/methods/grad_cam.hpp>
#include <attrib/methods/integrated_gradients.hpp>
#include <attrib/methods/occlusion.hpp>
#include <attrib/methods/shapley.hpp>
#include <attrib/methods/smooth_grad.hpp>
#include <attrib/metrics/faithfulness.hpp>
#include <attrib/models/canonize.hpp>
#include <attrib/report/faithfulness_report.hpp>
#include <attrib/rules/presets.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

using namespace attrib;
using T = double;

namespace {

// ------------------------------------------------------------------------------------------
// 1. Methods as probing callables method(f, grad, x, b) on polynomials.
using PolyMethod = std::function<Tensor<T>(Polynomial&, PolynomialGradient&, ConstView<T>, ConstView<T>)>;

Tensor<T> times_delta(Tensor<T> a, ConstView<T> x, ConstView<T> b) {
  for (Index i = 0; i < a.size(); ++i) a[i] *= x[i] - b[i];
  return a;
}
Tensor<T> spread(const std::vector<double>& v) {
  Tensor<T> t(Shape{1, Index(v.size())});
  for (std::size_t i = 0; i < v.size(); ++i) t[Index(i)] = v[i];
  return t;
}

std::vector<std::pair<std::string, PolyMethod>> polynomial_methods() {
  std::vector<std::pair<std::string, PolyMethod>> m;
  m.emplace_back("Gradient x Input", [](Polynomial&, PolynomialGradient& g, ConstView<T> x, ConstView<T> b) {
    return times_delta(g(x, Targets(0)), x, b);
  });
  m.emplace_back("SmoothGrad x Input", [](Polynomial&, PolynomialGradient& g, ConstView<T> x, ConstView<T> b) {
    SmoothGradOptions<T> o;
    o.sigma = 0.5;
    o.samples = 256;
    return times_delta(smooth_grad(g, x, 0, o).attribution, x, b);
  });
  m.emplace_back("Integrated Gradients", [](Polynomial& f, PolynomialGradient& g, ConstView<T> x, ConstView<T> b) {
    IntegratedGradientsOptions<T> o;
    o.baseline = b;
    o.steps = 16;
    return integrated_gradients(f, g, x, 0, o).attribution;
  });
  m.emplace_back("Expected Gradients", [](Polynomial& f, PolynomialGradient& g, ConstView<T> x, ConstView<T> b) {
    ExpectedGradientsOptions<T> o;  // the one baseline b: Monte Carlo over alpha only
    o.baselines = b;
    o.samples = 256;
    return expected_gradients(f, g, x, 0, o).attribution;
  });
  m.emplace_back("Shapley (exact)", [](Polynomial& f, PolynomialGradient&, ConstView<T> x, ConstView<T> b) {
    ShapleyOptions<T> o;
    o.baseline = b;
    return shapley_exact(f, x, 0, o).attribution;
  });
  m.emplace_back("Shapley (sampled, 32 pairs)", [](Polynomial& f, PolynomialGradient&, ConstView<T> x, ConstView<T> b) {
    SampledShapleyOptions<T> o;
    o.baseline = b;
    o.pairs = 32;
    return shapley_sampled(f, x, 0, o).attribution;
  });
  m.emplace_back("Occlusion-1", [](Polynomial& f, PolynomialGradient&, ConstView<T> x, ConstView<T> b) {
    OcclusionOptions<T> o;
    o.baseline = b;
    return occlusion(f, x, 0, o).attribution;
  });
  m.emplace_back("Occlusion-patch (2, stride 1)", [](Polynomial& f, PolynomialGradient&, ConstView<T> x, ConstView<T> b) {
    OcclusionOptions<T> o;
    o.baseline = b;
    o.window = Shape{2};
    return occlusion(f, x, 0, o).attribution;
  });
  return m;
}

void polynomial_suite(FaithfulnessReport& rep) {
  struct Case {
    std::string name, description;
    Polynomial p;
    std::vector<double> x;
    std::vector<Index> dummies;
  };
  const std::vector<Case> cases = {
      {"poly A.2: x1^2 x2 + x2 x3", "b = (1, 0, 1), x = (2, 3, 2); expansion 2 D2 + 2 D1 D2 + D1^2 D2 + D2 D3.",
       Polynomial({1, 0, 1}, {{2, {0, 1, 0}}, {2, {1, 1, 0}}, {1, {2, 1, 0}}, {1, {0, 1, 1}}}), {2, 3, 2}, {}},
      {"poly mixed: 3 x1 + 2 x1 x2 - x2^2 x3 + x1 x2 x3 (+ dummy x4)",
       "b = 0, x = (2, -1, 3, 5); effects 6, -4, -3, -6 (M = 19); x4 is never read.",
       Polynomial({0, 0, 0, 0}, {{3, {1, 0, 0, 0}}, {2, {1, 1, 0, 0}}, {-1, {0, 2, 1, 0}}, {1, {1, 1, 1, 0}}}),
       {2, -1, 3, 5}, {3}},
      {"poly T3/T4: x1^2 x2 + x3^3", "b = 0, x = (2, 3, 2) (theory A.7 T3 and T4 side by side).",
       Polynomial({0, 0, 0}, {{1, {2, 1, 0}}, {1, {0, 0, 3}}}), {2, 3, 2}, {}},
      {"poly T5: x1 x2 x3 at b = 1", "b = (1, 1, 1), x = (2, 3, 4): all 7 non-empty dividends.",
       Polynomial({1, 1, 1}, {{1, {0, 0, 0}}, {1, {1, 0, 0}}, {1, {0, 1, 0}}, {1, {0, 0, 1}}, {1, {1, 1, 0}},
                              {1, {1, 0, 1}}, {1, {0, 1, 1}}, {1, {1, 1, 1}}}),
       {2, 3, 4}, {}},
  };
  for (const auto& c : cases) {
    rep.section(c.name, c.description);
    for (auto& [name, method] : polynomial_methods()) {
      const TaylorAllocation a = taylor_allocation(method, c.p, c.x);
      rep.set(c.name, name, "U (P1)", a.ignored);
      rep.set(c.name, name, "L (P2)", a.leak);
      rep.set(c.name, name, "C (P3)", a.over_under);
      rep.set(c.name, name, "G/M", a.gap_relative());
      // Not a principle of the paper: how far the split differs from Shapley's equal shares.
      double dw = 0;
      for (std::size_t k = 0; k < a.terms.size(); ++k) {
        int support = 0;
        for (int d : a.terms[k].degree) support += d > 0;
        for (std::size_t i = 0; i < a.weights[k].size(); ++i)
          dw += std::abs(a.effects[k]) *
                std::abs(a.weights[k][i] - (a.terms[k].degree[i] > 0 ? 1.0 / support : 0.0)) / a.mass;
      }
      rep.set(c.name, name, "dW (vs Shapley)", dw);
      if (!c.dummies.empty()) rep.set(c.name, name, "L_dummy", dummy_leak(spread(a.attribution).cview(), c.dummies));
    }
  }
}

// ------------------------------------------------------------------------------------------
// 2-4. Methods on networks: attribution of one item x ([1, ...]) for `target`, baseline 0.
struct Context {
  FeatureGroups groups;        ///< players for the Shapley methods (empty: elements)
  std::vector<double> phi;     ///< exact Shapley values of the players (if computed)
  Shape window, stride;        ///< occlusion-patch window
  Index cam_layer = -1;        ///< Grad-CAM layer (-1: none)
  Tensor<T> background;        ///< EG / DeepSHAP baseline distribution
  double dtd_low = -3, dtd_high = 3;
};
struct Attribution {
  Tensor<T> a;
  double output_diff = std::nan("");      ///< f(x) - E f(b) for distribution baselines
  bool applicable = true;
};
using NetMethod = std::function<Attribution(const Network<T>&, const Tensor<T>&, Index, const Context&)>;

template <class Rule>
NetMethod rule_method(Rule r) {
  return [r](const Network<T>& n, const Tensor<T>& x, Index t, const Context&) {
    return Attribution{explain(n, r, x.cview(), t).attribution};
  };
}
Tensor<T> per_element(const std::vector<double>& values, const FeatureGroups& g, const Shape& shape) {
  Tensor<T> a(shape);
  if (g.empty()) {
    for (Index j = 0; j < a.size(); ++j) a[j] = values[std::size_t(j)];
    return a;
  }
  std::vector<double> size(values.size(), 0.0);
  for (Index k : g.group)
    if (k >= 0) size[std::size_t(k)] += 1;
  for (Index j = 0; j < a.size(); ++j) {
    const Index k = g.group[std::size_t(j)];
    a[j] = k < 0 ? 0.0 : values[std::size_t(k)] / size[std::size_t(k)];  // spread the player's value
  }
  return a;
}

std::vector<std::pair<std::string, NetMethod>> network_methods() {
  std::vector<std::pair<std::string, NetMethod>> m;
  m.emplace_back("Gradient x Input", rule_method(GradientTimesInput{}));
  m.emplace_back("SmoothGrad x Input", [](const Network<T>& n, const Tensor<T>& x, Index t, const Context&) {
    SmoothGradOptions<T> o;
    o.samples = 32;
    Tensor<T> a = smooth_grad(n, x.cview(), t, o).attribution;
    for (Index i = 0; i < a.size(); ++i) a[i] *= x[i];
    return Attribution{a};
  });
  m.emplace_back("Integrated Gradients", [](const Network<T>& n, const Tensor<T>& x, Index t, const Context&) {
    IntegratedGradientsOptions<T> o;
    o.steps = 64;
    return Attribution{integrated_gradients(n, x.cview(), t, o).attribution};
  });
  m.emplace_back("Expected Gradients", [](const Network<T>& n, const Tensor<T>& x, Index t, const Context& c) {
    ExpectedGradientsOptions<T> o;
    o.baselines = c.background.cview();
    o.samples = 64;
    auto r = expected_gradients(n, x.cview(), t, o);
    return Attribution{r.attribution, r.output_diff[0]};
  });
  m.emplace_back("Shapley (exact)", [](const Network<T>& n, const Tensor<T>& x, Index t, const Context& c) {
    if (!c.phi.empty()) return Attribution{per_element(c.phi, c.groups, x.shape())};  // same Harsanyi transform
    ShapleyOptions<T> o;
    o.groups = c.groups;
    return Attribution{per_element(shapley_exact(n, x.cview(), t, o).values[0], c.groups, x.shape())};
  });
  m.emplace_back("Shapley (sampled, 16 pairs)", [](const Network<T>& n, const Tensor<T>& x, Index t, const Context& c) {
    SampledShapleyOptions<T> o;
    o.groups = c.groups;
    o.pairs = 16;
    return Attribution{per_element(shapley_sampled(n, x.cview(), t, o).values[0], c.groups, x.shape())};
  });
  m.emplace_back("Occlusion-1", [](const Network<T>& n, const Tensor<T>& x, Index t, const Context&) {
    return Attribution{occlusion(n, x.cview(), t).attribution};
  });
  m.emplace_back("Occlusion-patch", [](const Network<T>& n, const Tensor<T>& x, Index t, const Context& c) {
    OcclusionOptions<T> o;
    o.window = c.window;
    o.stride = c.stride;
    return Attribution{occlusion(n, x.cview(), t, o).attribution};
  });
  m.emplace_back("Grad-CAM (no ReLU)", [](const Network<T>& n, const Tensor<T>& x, Index t, const Context& c) {
    if (c.cam_layer < 0) return Attribution{Tensor<T>(), std::nan(""), false};
    GradCamOptions o;
    o.relu = false;  // keep negative evidence (the ReLU would drop it: P1)
    const auto r = grad_cam(n, x.cview(), t, c.cam_layer, o);
    Tensor<T> a(x.shape());
    a.vec() = r.map.vec();  // the map has the input's spatial size at the chosen layer
    return Attribution{a};
  });
  m.emplace_back("LRP-0", rule_method(LrpZ()));
  m.emplace_back("LRP-eps (0.1)", rule_method(LrpEpsilon(0.1)));
  m.emplace_back("LRP-a1b0", rule_method(LrpAlphaBeta(1, 0)));
  m.emplace_back("LRP-a2b1", rule_method(LrpAlphaBeta(2, 1)));
  m.emplace_back("LRP-z+", rule_method(LrpZPlus()));
  m.emplace_back("DTD (z+, z^B first)", [](const Network<T>& n, const Tensor<T>& x, Index t, const Context& c) {
    return Attribution{explain(n, presets::deep_taylor(c.dtd_low, c.dtd_high), x.cview(), t).attribution};
  });
  m.emplace_back("Excitation BP", rule_method(presets::excitation_backprop_caffe()));
  m.emplace_back("Guided BP", rule_method(GuidedBackprop{}));
  m.emplace_back("DeepLIFT Rescale", rule_method(DeepLiftRescale()));
  m.emplace_back("DeepLIFT RevealCancel", rule_method(DeepLiftRevealCancel()));
  // The reference code's max-pool rule (gradient of the actual input) breaks summation-to-delta;
  // the cross-max rule keeps it (only fmnist_small has max-pools).
  const DeepLift cross_max(DeepLiftNonlinear::rescale, DeepLiftLinear::standard, DeepLiftMaxPool::cross_max);
  m.emplace_back("DeepLIFT Rescale, cross-max pool", rule_method(cross_max));
  for (bool exact_pool : {false, true})
    m.emplace_back(exact_pool ? "DeepSHAP, cross-max pool" : "DeepSHAP",
                   [exact_pool, cross_max](const Network<T>& n, const Tensor<T>& x, Index t, const Context& c) {
                     DeepShapOptions<T> o;
                     o.background = c.background.cview();
                     if (exact_pool) o.rule = cross_max;
                     auto r = deep_shap(n, x.cview(), t, o);
                     return Attribution{r.attribution, r.output_diff[0]};
                   });
  return m;
}

/// Relative completeness gap against f(x) - f(0), or against the method's own f(x) - E f(b).
double gap_of(const Network<T>& net, const Attribution& r, const Tensor<T>& x, Index t) {
  CompletenessGap g = completeness_gap(net, r.a.cview(), x.cview(), ConstView<T>{}, t);
  if (!std::isnan(r.output_diff)) g.output_diff = r.output_diff;
  return g.relative();
}

Network<T> gate(std::vector<double> w, double c, double out_w = 1, double out_b = 0) {
  Network<T> net;
  const Index n = Index(w.size());
  Dense<T> d(n, 1), o(1, 1);
  for (Index i = 0; i < n; ++i) d.weight().mutable_view()[i] = w[std::size_t(i)];
  d.bias().mutable_view()[0] = c;
  o.weight().mutable_view()[0] = out_w;
  o.bias().mutable_view()[0] = out_b;
  net.add(d, "fc");
  net.add(ReLU<T>(), "relu");
  net.add(o, "out");
  return net;
}

void gate_suite(FaithfulnessReport& rep) {
  const std::string model = "ReLU gates (theory A.7 T6a, T11, T12)";
  rep.section(model,
              "AND relu(x1 + x2 - 1), AND3 relu(x1 + x2 + x3 - 2), OR 1 - relu(1 - x1 - x2) at x = 1, baseline 0; "
              "G = |sum a - (f(x) - f(0))| / |f(x) - f(0)|, dSh = sum |a - Shapley| / sum |Shapley|. "
              "EG and DeepSHAP use the background {0, 1/2, 1} per input (G against their own f(x) - E f(b)).");
  struct G {
    std::string key;
    Network<T> net;
    Index n;
  };
  const std::vector<G> gates = {
      {"AND", gate({1, 1}, -1), 2}, {"AND3", gate({1, 1, 1}, -2), 3}, {"OR", gate({-1, -1}, 1, -1, 1), 2}};
  for (const auto& g : gates) {
    const Index n = g.n;
    Tensor<T> x(Shape{1, n});
    x.vec().setOnes();
    Context c;
    c.background.resize(Shape{3, n});
    for (Index k = 0; k < 3; ++k)
      for (Index i = 0; i < n; ++i) c.background.at(k, i) = 0.5 * double(k);
    c.window = Shape{2};
    c.stride = Shape{1};
    c.dtd_low = 0;
    c.dtd_high = 1;
    const auto phi = shapley_exact(g.net, x.cview(), 0).values[0];
    for (auto& [name, method] : network_methods()) {
      const Attribution r = method(g.net, x, 0, c);
      if (!r.applicable) continue;
      rep.set(model, name, "G " + g.key, gap_of(g.net, r, x, 0));
      std::vector<double> a(r.a.data(), r.a.data() + r.a.size());
      rep.set(model, name, "dSh " + g.key, std::isnan(r.output_diff) ? relative_l1(a, phi) : std::nan(""));
    }
  }
}

void random_suite(FaithfulnessReport& rep, int seeds) {
  const std::string model = "random ReLU nets: f = g(x1..x3) + h(x5, x6), dummy x4";
  rep.section(model,
              "Two ReLU branches (4 units each) with g > 0 > h, over " + std::to_string(seeds) +
                  " seeds, x ~ U(-1, 2)^6, baseline 0. L_dummy = max share of |a| on x4; L_add = max "
                  "sum |a(f) - (a(g) on A, a(h) on B)| / sum |a(g), a(h)| with the branch outputs summed by a "
                  "final Dense [1, 1] or by an Add node; G = mean relative completeness gap; dSh = mean "
                  "distance to exact Shapley.");
  const std::vector<int> part = {0, 0, 0, -1, 1, 1};
  auto methods = network_methods();
  std::vector<double> l_dummy(methods.size(), 0), l_dense(methods.size(), 0), l_add(methods.size(), 0),
      gap(methods.size(), 0), dsh(methods.size(), 0);
  std::vector<char> applicable(methods.size(), 1), has_dsh(methods.size(), 1);
  for (int s = 1; s <= seeds; ++s) {
    Random rng(std::uint64_t(1000 + s));
    Tensor<T> x(Shape{1, 6});
    for (Index i = 0; i < 6; ++i) x[i] = rng.uniform(-1, 2);
    Context c;
    c.background.resize(Shape{8, 6});
    for (Index k = 0; k < c.background.size(); ++k) c.background[k] = rng.uniform(-1, 2);
    c.window = Shape{2};
    c.stride = Shape{1};
    for (BranchJoin join : {BranchJoin::dense, BranchJoin::add}) {
      AdditiveModelOptions o;
      o.seed = std::uint64_t(s);
      o.join = join;
      const AdditiveModels<T> m = additive_relu_models<T>(part, o);
      const auto phi = shapley_exact(m.f, x.cview(), 0).values[0];
      for (std::size_t k = 0; k < methods.size(); ++k) {
        const Attribution rf = methods[k].second(m.f, x, 0, c);
        if (!rf.applicable) {
          applicable[k] = 0;
          continue;
        }
        const Attribution rg = methods[k].second(m.g, x, 0, c), rh = methods[k].second(m.h, x, 0, c);
        const double leak = additive_leak(rf.a.cview(), rg.a.cview(), rh.a.cview(), part);
        (join == BranchJoin::dense ? l_dense : l_add)[k] = std::max((join == BranchJoin::dense ? l_dense : l_add)[k], leak);
        if (join == BranchJoin::dense) {
          l_dummy[k] = std::max(l_dummy[k], dummy_leak(rf.a.cview(), {3}));
          gap[k] += gap_of(m.f, rf, x, 0) / seeds;
          std::vector<double> a(rf.a.data(), rf.a.data() + rf.a.size());
          if (!std::isnan(rf.output_diff)) has_dsh[k] = 0;
          dsh[k] += relative_l1(a, phi) / seeds;
        }
      }
    }
  }
  for (std::size_t k = 0; k < methods.size(); ++k) {
    if (!applicable[k]) continue;
    const std::string& name = methods[k].first;
    rep.set(model, name, "L_dummy", l_dummy[k]);
    rep.set(model, name, "L_add (Dense)", l_dense[k]);
    rep.set(model, name, "L_add (Add)", l_add[k]);
    rep.set(model, name, "G", gap[k]);
    rep.set(model, name, "dSh", has_dsh[k] ? dsh[k] : std::nan(""));
  }
}

void fashion_suite(FaithfulnessReport& rep, int images, Index grid) {
  const std::string dir = ATTRIB_MODELS_DIR;
  const Network<T> net = canonize(load_fmnist_small<T>(dir + "/fmnist_small.safetensors"));
  const auto samples = load_fmnist_samples<T>(dir + "/fmnist_samples.safetensors");
  const Index ph = (28 + grid - 1) / grid;
  const std::string model = "fmnist_small: " + std::to_string(grid) + "x" + std::to_string(grid) + " patches";
  rep.section(model, "The shipped model (BatchNorm folded), first " + std::to_string(images) +
                         " bundled test images, true class, baseline 0 (black), players = " + std::to_string(grid * grid) +
                         " patches of " + std::to_string(ph) + "x" + std::to_string(ph) +
                         " pixels. Exact Harsanyi dividends / Shapley values of the patch game (2^" +
                         std::to_string(grid * grid) + " forward passes per image). G = mean relative completeness "
                         "gap, dSh = mean distance of the patch-summed attribution to the exact patch Shapley values. "
                         "EG and DeepSHAP use the 10 bundled images as background (G against their own f(x) - E f(b)).");
  const std::string orders = "fmnist_small: Harsanyi mass by order";
  rep.section(orders, "Share of sum_S |I(S)| carried by interactions of order |S| (mean over the images): how far the "
                      "patch game is from additive.");
  Context c;
  c.groups = patch_groups(Shape{1, 28, 28}, ph, ph);
  c.window = Shape{1, 7, 7};
  c.stride = Shape{1, 3, 3};
  c.cam_layer = net.find("relu1");
  c.background = Tensor<T>::copy_of(samples.images.cview());
  c.dtd_low = 0;
  c.dtd_high = 1;
  auto methods = network_methods();
  const Index np = c.groups.count;
  std::vector<double> gap(methods.size(), 0), dsh(methods.size(), 0), mass(std::size_t(np + 1), 0);
  std::vector<char> applicable(methods.size(), 1), has_dsh(methods.size(), 1);
  for (int i = 0; i < images; ++i) {
    const Tensor<T> x = Tensor<T>::copy_of(samples.image(i));
    const Index t = samples.labels[std::size_t(i)];
    BatchOptions bo;
    bo.batch_size = 256;
    const auto I = harsanyi_interactions(net, x, ConstView<T>{}, c.groups, t, bo);
    c.phi = shapley_from_harsanyi(I, np);
    double total = 0;
    for (std::size_t m = 1; m < I.size(); ++m) total += std::abs(I[m]);
    for (std::size_t m = 1; m < I.size(); ++m)
      mass[std::size_t(detail::popcount(m))] += std::abs(I[m]) / total / images;
    for (std::size_t k = 0; k < methods.size(); ++k) {
      const Attribution r = methods[k].second(net, x, t, c);
      if (!r.applicable) {
        applicable[k] = 0;
        continue;
      }
      gap[k] += gap_of(net, r, x, t) / images;
      if (!std::isnan(r.output_diff)) has_dsh[k] = 0;
      dsh[k] += relative_l1(group_sums(r.a.cview(), c.groups), c.phi) / images;
    }
  }
  for (std::size_t k = 0; k < methods.size(); ++k) {
    if (!applicable[k]) continue;
    rep.set(model, methods[k].first, "G", gap[k]);
    rep.set(model, methods[k].first, "dSh", has_dsh[k] ? dsh[k] : std::nan(""));
  }
  for (Index o = 1; o <= np; ++o)
    if (mass[std::size_t(o)] >= 5e-4) rep.set(orders, "|S| = " + std::to_string(o), "share", mass[std::size_t(o)]);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string csv = argc > 1 ? argv[1] : "faithfulness_audit.csv";
  const int images = argc > 2 ? std::atoi(argv[2]) : 10;
  const int grid = argc > 3 ? std::atoi(argv[3]) : 4;
  if (images < 0 || images > 10 || grid < 1 || grid > 4) {
    std::fprintf(stderr, "usage: 06_faithfulness_audit [csv path [images 0..10 [grid 1..4]]]\n");
    return 2;
  }
  try {
    FaithfulnessReport rep;
    polynomial_suite(rep);
    gate_suite(rep);
    random_suite(rep, 10);
    if (images > 0) fashion_suite(rep, images, grid);
    std::cout << rep.to_markdown();
    std::ofstream(csv) << rep.to_csv();
    std::cout << "wrote " << csv << "\n";
  } catch (const std::exception& e) {
    std::fprintf(stderr, "06_faithfulness_audit: error: %s\n", e.what());
    return 2;
  }
  return 0;
}
