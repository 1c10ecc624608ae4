#include "support/support.hpp"
#include "attrib/attrib.hpp"
#include "attrib/models/builders.hpp"
#include "attrib/rules/guided.hpp"

using namespace attrib;
using namespace attrib::test;

namespace {
template <class T>
void set_param(Param<T>& p, std::vector<double> v) {
  Tensor<T> t(p.shape());
  REQUIRE(Index(v.size()) == t.size());
  for (Index i = 0; i < t.size(); ++i) t[i] = static_cast<T>(v[std::size_t(i)]);
  p.assign(t.cview(), "test");
}

// Dense(2 -> 3) - ReLU - Dense(3 -> 2), values chosen so that every rule gives another map.
//   W1 = [[1, -3], [2, 1], [-1, 1]], b1 = [0.5, -1, 0.5];  W2 = [[1, 2, -1], [-2, 1, 1]], b2 = [0, -5]
// At x = [1, 2]:  z = W1 x + b1 = [1 - 6 + 0.5, 2 + 2 - 1, -1 + 2 + 0.5] = [-4.5, 3, 1.5]
//                 a = [0, 3, 1.5];  y = W2 a + b2 = [6 - 1.5, 3 + 1.5 - 5] = [4.5, -0.5]
template <class T>
Network<T> tiny_net() {
  Network<T> net;
  Dense<T> d1(2, 3), d2(3, 2);
  set_param(d1.weight(), {1, -3, 2, 1, -1, 1});
  set_param(d1.bias(), {0.5, -1, 0.5});
  set_param(d2.weight(), {1, 2, -1, -2, 1, 1});
  set_param(d2.bias(), {0, -5});
  net.add(d1, "fc1");
  net.add(ReLU<T>(), "relu");
  net.add(d2, "fc2");
  return net;
}

template <class T, class Rule>
std::vector<double> attribution(const Network<T>& net, const Rule& rule, Index target) {
  Tensor<T> x(Shape{1, 2}, std::vector<T>{T(1), T(2)});
  auto e = explain(net, rule, x.cview(), target);
  return {double(e.attribution[0]), double(e.attribution[1])};
}

void check_values(const std::vector<double>& got, const std::vector<double>& want, const char* what) {
  INFO(what);
  REQUIRE(got.size() == want.size());
  for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i] == Approx(want[i]).margin(1e-6));
}

// Guided Backprop without the forward mask: a deliberately broken variant (it is Deconvnet).
struct GbpWithoutForwardMask : Gradient {
  static constexpr const char* name = "GbpWithoutForwardMask";
  using Gradient::backward;
  template <class T, class S> void backward(const ReLU<T>&, Step<T, S>& s) const {
    s.in.vec() = s.out.vec().cwiseMax(T(0));
  }
};
// Guided Backprop without the backward sign mask: a deliberately broken variant (it is Gradient).
struct GbpWithoutSignMask : Gradient {
  static constexpr const char* name = "GbpWithoutSignMask";
  using Gradient::backward;
  template <class T, class S> void backward(const ReLU<T>&, Step<T, S>& s) const {
    s.in.vec() = (s.x.vec().array() > T(0)).select(s.out.vec(), T(0));
  }
};
// Rectifies after every Dense as well: a broken "modified only at ReLU" rule.
struct GbpRectifyingDense : GuidedBackprop {
  static constexpr const char* name = "GbpRectifyingDense";
  using GuidedBackprop::backward;
  template <class T, class S> void backward(const Dense<T>& l, Step<T, S>& s) const {
    l.backward(s.x, s.out, s.in, s.ws);
    s.in.vec() = s.in.vec().cwiseMax(T(0));
  }
};
}  // namespace

TEMPLATE_TEST_CASE("Guided Backprop and Deconvnet match hand-computed values on a tiny network",
                   "[rules][guided]", float, double) {
  const auto net = tiny_net<TestType>();
  // Target 0: r_a = W2 row 0 = [1, 2, -1].
  //   Gradient: r_z = 1[z>0] r_a          = [0, 2, -1]; r_x = W1^T r_z = [2*2 + (-1)(-1), 1*2 + 1*(-1)] = [5, 1]
  //   GBP:      r_z = 1[z>0] max(0, r_a)  = [0, 2, 0];  r_x = [2*2, 1*2]                              = [4, 2]
  //   Deconv:   r_z = max(0, r_a)         = [1, 2, 0];  r_x = [1*1 + 2*2, -3*1 + 1*2]                 = [5, -1]
  check_values(attribution(net, Gradient{}, 0), {5, 1}, "gradient, target 0");
  check_values(attribution(net, GuidedBackprop{}, 0), {4, 2}, "GBP, target 0");
  check_values(attribution(net, Deconvnet{}, 0), {5, -1}, "Deconvnet, target 0");
  // Target 1: r_a = [-2, 1, 1]; the only negative entry sits at the dead unit, so all three give
  //   r_z = [0, 1, 1], r_x = [2*1 + (-1)*1, 1*1 + 1*1] = [1, 2].
  check_values(attribution(net, GuidedBackprop{}, 1), {1, 2}, "GBP, target 1");
  check_values(attribution(net, Deconvnet{}, 1), {1, 2}, "Deconvnet, target 1");
  // Logit seed (iNNvestigate): target 0 has logit 4.5 -> 4.5 x [4, 2] = [18, 9].
  check_values(attribution(net, GuidedBackpropLogitSeed{}, 0), {18, 9}, "GBP logit seed, target 0");
  // Target 1 has logit -0.5: r_a = -0.5 [-2, 1, 1] = [1, -0.5, -0.5].
  //   GBP:    r_z = 1[z>0] max(0, r_a) = [0, 0, 0] -> [0, 0]
  //   Deconv: r_z = max(0, r_a) = [1, 0, 0] -> r_x = W1 row 0 = [1, -3]
  check_values(attribution(net, GuidedBackpropLogitSeed{}, 1), {0, 0}, "GBP logit seed, target 1");
  check_values(attribution(net, DeconvnetLogitSeed{}, 1), {1, -3}, "Deconvnet logit seed, target 1");
  check_values(attribution(net, DeconvnetLogitSeed{}, 0), {4.5 * 5, 4.5 * -1}, "Deconvnet logit seed, target 0");
  CHECK(std::string(GuidedBackprop::name) == "GuidedBackprop");
  CHECK(std::string(DeconvnetLogitSeed::name) == "DeconvnetLogitSeed");
  STATIC_REQUIRE(rule_seed_v<GuidedBackprop> == Seed::gradient);
  STATIC_REQUIRE(rule_seed_v<GuidedBackpropLogitSeed> == Seed::relevance);
}

namespace {
// Independent reference on an MLP (Dense, ReLU, ..., Dense) in double with explicit loops. The
// ReLU step is a function of (z, r_a) -> r_z, written as the peers define it:
//   Zennit GBP:   grad_input * (grad_output > 0), grad_input = 1[z > 0] grad_output
//   Captum GBP:   relu(grad_input)
//   Zennit/Captum Deconvnet: clamp(grad_output, min = 0) / relu(grad_output)
struct NaiveMlp {
  std::vector<Tensor<double>> w, b;  // w[l]: [out, in]

  explicit NaiveMlp(const std::vector<Index>& sizes, unsigned seed) {
    for (std::size_t l = 0; l + 1 < sizes.size(); ++l) {
      w.push_back(random_tensor<double>(Shape{sizes[l + 1], sizes[l]}, seed + unsigned(l)));
      b.push_back(random_tensor<double>(Shape{sizes[l + 1]}, seed + 50 + unsigned(l), -0.2, 0.2));
    }
  }
  Network<double> network() const {
    Network<double> net;
    for (std::size_t l = 0; l < w.size(); ++l) {
      Dense<double> d(w[l].dim(1), w[l].dim(0));
      d.weight().assign(w[l].cview(), "w");
      d.bias().assign(b[l].cview(), "b");
      net.add(d, "fc" + std::to_string(l));
      if (l + 1 < w.size()) net.add(ReLU<double>(), "relu" + std::to_string(l));
    }
    return net;
  }
  template <class ReluRule>
  std::vector<double> backward(const std::vector<double>& x, Index target, const ReluRule& relu_rule) const {
    std::vector<std::vector<double>> z;  // pre-activations of the hidden layers
    std::vector<double> a = x;
    for (std::size_t l = 0; l < w.size(); ++l) {
      std::vector<double> out(std::size_t(w[l].dim(0)));
      for (Index j = 0; j < w[l].dim(0); ++j) {
        double s = b[l][j];
        for (Index i = 0; i < w[l].dim(1); ++i) s += w[l].at(j, i) * a[std::size_t(i)];
        out[std::size_t(j)] = s;
      }
      if (l + 1 < w.size()) {
        z.push_back(out);
        for (double& v : out) v = std::max(v, 0.0);
      }
      a = out;
    }
    std::vector<double> r(a.size(), 0.0);
    r[std::size_t(target)] = 1.0;
    for (std::size_t l = w.size(); l-- > 0;) {
      std::vector<double> rin(std::size_t(w[l].dim(1)), 0.0);
      for (Index j = 0; j < w[l].dim(0); ++j)
        for (Index i = 0; i < w[l].dim(1); ++i) rin[std::size_t(i)] += w[l].at(j, i) * r[std::size_t(j)];
      if (l > 0)
        for (std::size_t i = 0; i < rin.size(); ++i) rin[i] = relu_rule(z[l - 1][i], rin[i]);
      r = rin;
    }
    return r;
  }
};

double zennit_gbp(double z, double r) {
  const double grad_input = z > 0 ? r : 0.0;
  return grad_input * (r > 0 ? 1.0 : 0.0);
}
double captum_gbp(double z, double r) { return std::max(z > 0 ? r : 0.0, 0.0); }
double deconv(double, double r) { return std::max(r, 0.0); }
double plain_gradient(double z, double r) { return z > 0 ? r : 0.0; }

template <class Rule>
Tensor<double> lib(const Network<double>& net, const Rule& rule, const Tensor<double>& x, std::vector<Index> t) {
  return explain(net, rule, x.cview(), Targets(std::move(t))).attribution;
}

template <class F>
Tensor<double> naive(const NaiveMlp& m, const Tensor<double>& x, const std::vector<Index>& t, F f) {
  Tensor<double> out(x.shape());
  const Index d = x.dim(1);
  for (Index n = 0; n < x.dim(0); ++n) {
    std::vector<double> xn(x.data() + n * d, x.data() + (n + 1) * d);
    auto r = m.backward(xn, t[std::size_t(n)], f);
    for (Index i = 0; i < d; ++i) out.at(n, i) = r[std::size_t(i)];
  }
  return out;
}

double max_abs_diff(const Tensor<double>& a, const Tensor<double>& b) {
  REQUIRE(a.shape() == b.shape());
  double m = 0;
  for (Index i = 0; i < a.size(); ++i) m = std::max(m, std::abs(a[i] - b[i]));
  return m;
}
}  // namespace

TEST_CASE("Guided Backprop and Deconvnet equal Zennit's and Captum's definitions on an MLP",
          "[rules][guided][reference]") {
  const NaiveMlp m({7, 9, 8, 6, 5}, 21);
  const auto net = m.network();
  const auto x = random_tensor<double>(Shape{4, 7}, 22);
  const std::vector<Index> t{0, 3, 4, 1};
  const auto gbp = lib(net, GuidedBackprop{}, x, t);
  const auto dec = lib(net, Deconvnet{}, x, t);
  require_close(gbp, naive(m, x, t, zennit_gbp), 1e-12, 1e-14, "GBP vs Zennit definition");
  require_close(gbp, naive(m, x, t, captum_gbp), 1e-12, 1e-14, "GBP vs Captum definition");
  require_close(dec, naive(m, x, t, deconv), 1e-12, 1e-14, "Deconvnet vs Zennit/Captum definition");
  require_close(lib(net, Gradient{}, x, t), naive(m, x, t, plain_gradient), 1e-12, 1e-14, "gradient (control)");

  // The comparison is sensitive to either mask: broken variants differ from the reference.
  const auto ref = naive(m, x, t, zennit_gbp);
  CHECK(max_abs_diff(lib(net, GbpWithoutForwardMask{}, x, t), ref) > 1e-3);
  CHECK(max_abs_diff(lib(net, GbpWithoutSignMask{}, x, t), ref) > 1e-3);
  CHECK(max_abs_diff(dec, gbp) > 1e-3);
}

TEST_CASE("Without ReLU layers Guided Backprop and Deconvnet are the gradient", "[rules][guided]") {
  // Conv - BN - MaxPool - AvgPool - Flatten - Dense - Dense: no ReLU anywhere.
  Network<double> net;
  Conv2d<double> conv(2, 3, 3, 3, Conv2dOptions{}.padding(1));
  fill_random(conv.weight().mutable_view(), 31);
  fill_random(conv.bias().mutable_view(), 32);
  BatchNorm2d<double> bn(3);
  fill_random(bn.weight().mutable_view(), 33, 0.5, 1.5);
  fill_random(bn.running_mean().mutable_view(), 34);
  Dense<double> d1(3 * 2 * 2, 5), d2(5, 4);
  fill_random(d1.weight().mutable_view(), 35);
  fill_random(d2.weight().mutable_view(), 36);
  net.add(conv, "conv");
  net.add(bn, "bn");
  net.add(MaxPool2d<double>(2, 2), "pool");
  net.add(AvgPool2d<double>(2, 2), "avg");
  net.add(Flatten<double>(), "flatten");
  net.add(d1, "fc1");
  net.add(d2, "fc2");
  const auto x = random_tensor<double>(Shape{2, 2, 8, 8}, 37);
  const std::vector<Index> t{1, 3};
  const auto g = lib(net, Gradient{}, x, t);
  require_close(lib(net, GuidedBackprop{}, x, t), g, 1e-14, 1e-15, "GBP without ReLU");
  require_close(lib(net, Deconvnet{}, x, t), g, 1e-14, 1e-15, "Deconvnet without ReLU");
  // A rule that also modifies a non-ReLU layer is caught by the same comparison.
  CHECK(max_abs_diff(lib(net, GbpRectifyingDense{}, x, t), g) > 1e-3);
}

TEST_CASE("Guided Backprop acts only at ReLUs of a CNN: node-by-node check on cifar_net",
          "[rules][guided]") {
  BuilderOptions o;
  o.width_divisor = 8;
  const auto net = cifar_net<double>(o);
  const auto x = random_tensor<double>(Shape{2, 3, 32, 32}, 41);
  Explainer<Network<double>, GuidedBackprop> ex(net, GuidedBackprop{});
  ExplainOptions<double> opt;
  opt.keep_layers = true;
  const auto& e = ex.explain(x.cview(), Targets({2, 7}), opt);
  Workspace<double> ws;
  Index relus = 0;
  for (Index i = 0; i < net.size(); ++i) {
    INFO("node " << net.node(i).name);
    const ConstView<double> in = ex.trace().output(i - 1), y = ex.trace().output(i);
    const Tensor<double>& r_out = e.layers[std::size_t(i)];
    const Tensor<double>& r_in = i == 0 ? e.attribution : e.layers[std::size_t(i - 1)];
    Tensor<double> want(in.shape());
    net.visit(i, [&](const auto& layer) {
      using L = std::decay_t<decltype(layer)>;
      if constexpr (std::is_same_v<L, ReLU<double>>) {
        ++relus;
        for (Index k = 0; k < in.size(); ++k) want[k] = in[k] > 0 && r_out[k] > 0 ? r_out[k] : 0.0;
        REQUIRE(y.size() == in.size());
      } else if constexpr (L::arity == 1) {
        layer.backward(in, r_out.cview(), want.view(), ws);
      }
    });
    require_close(r_in, want, 1e-13, 1e-15, net.node(i).name);
  }
  CHECK(relus == 5);
}

TEST_CASE("Logit-seeded variants scale by a positive logit and differ for a negative one",
          "[rules][guided][seed]") {
  NaiveMlp m({6, 8, 7, 5}, 51);
  m.b.back()[0] -= 10;  // makes logit 0 negative and logit 1 positive (|W a| is small here)
  m.b.back()[1] += 10;
  const auto net = m.network();
  const auto x = random_tensor<double>(Shape{1, 6}, 52);
  const auto logits = explain(net, Gradient{}, x.cview(), 0).output;
  Index lo = 0, hi = 0;
  for (Index c = 1; c < 5; ++c) {
    if (logits[c] < logits[lo]) lo = c;
    if (logits[c] > logits[hi]) hi = c;
  }
  REQUIRE(logits[lo] < 0);
  REQUIRE(logits[hi] > 0);
  auto scaled = [](Tensor<double> t, double s) {
    t.vec() *= s;
    return t;
  };
  require_close(lib(net, GuidedBackpropLogitSeed{}, x, {hi}), scaled(lib(net, GuidedBackprop{}, x, {hi}), logits[hi]),
                1e-12, 1e-14, "positive logit");
  // Negative logit: equals GBP with the custom seed f_c(x) e_c, not f_c(x) x GBP.
  Tensor<double> seed(Shape{1, 5});
  seed.at(0, lo) = logits[lo];
  ExplainOptions<double> opt;
  opt.seed = seed.cview();
  const auto logit_seeded = lib(net, GuidedBackpropLogitSeed{}, x, {lo});
  require_close(logit_seeded, explain(net, GuidedBackprop{}, x.cview(), lo, opt).attribution, 1e-12, 1e-14,
                "negative logit = custom seed");
  CHECK(max_abs_diff(logit_seeded, scaled(lib(net, GuidedBackprop{}, x, {lo}), logits[lo])) > 1e-3);
}

TEST_CASE("Guided Backprop of a batch equals the per-sample results", "[rules][guided][batch]") {
  const NaiveMlp m({5, 6, 6, 3}, 61);
  const auto net = m.network();
  const auto x = random_tensor<double>(Shape{3, 5}, 62);
  const std::vector<Index> t{2, 0, 1};
  const auto all = lib(net, GuidedBackprop{}, x, t);
  for (Index n = 0; n < 3; ++n) {
    const Tensor<double> xn = Tensor<double>::copy_of(x.cview().slice(n, 1));
    const auto one = lib(net, GuidedBackprop{}, xn, {t[std::size_t(n)]});
    require_close(one, Tensor<double>::copy_of(all.cview().slice(n, 1)), 1e-14, 1e-15, "sample");
  }
}

TEST_CASE("Guided Backprop float results match double results", "[rules][guided]") {
  BuilderOptions o;
  o.width_divisor = 8;
  const auto nd = cifar_net<double>(o);
  const auto nf = cifar_net<float>(o);
  const auto x = random_tensor<double>(Shape{1, 3, 32, 32}, 71);
  const auto xf = cast<float>(x);
  const auto ed = explain(nd, GuidedBackprop{}, x.cview(), 4).attribution;
  const auto ef = explain(nf, GuidedBackprop{}, xf.cview(), 4).attribution;
  double scale = 0;
  for (Index i = 0; i < ed.size(); ++i) scale = std::max(scale, std::abs(ed[i]));
  require_close(cast<double>(ef), ed, 1e-3, 1e-4 * scale, "float vs double");
}

TEST_CASE("Guided Backprop reports a signal of the wrong shape naming the ReLU", "[rules][guided][errors]") {
  ReLU<double> relu;
  relu.set_name("act");
  NodeInfo info;
  info.name = "act";
  info.kind = "ReLU";
  Tensor<double> x(Shape{2, 3}), y(Shape{2, 3}), out(Shape{2, 4}), in(Shape{2, 3});
  Workspace<double> ws;
  info.inputs = {-1};
  Step<double, Tensor<double>> s{info, x.cview(), y.cview(), out, in, ws};
  CHECK_THROWS_AS(GuidedBackprop{}.backward(relu, s), ShapeError);
  CHECK_THROWS_WITH(GuidedBackprop{}.backward(relu, s),
                    Catch::Contains("[attrib.shape.500]") && Catch::Contains("GuidedBackprop") &&
                        Catch::Contains("ReLU 'act'") && Catch::Contains("[2, 4]") && Catch::Contains("[2, 3]"));
  CHECK_THROWS_WITH(Deconvnet{}.backward(relu, s), Catch::Contains("Deconvnet"));
}
