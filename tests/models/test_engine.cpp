#include "support/support.hpp"
#include "attrib/attrib.hpp"
#include "attrib/rules/deeplift.hpp"
#include "support/sum_layer.hpp"

using namespace attrib;
using namespace attrib::test;

namespace {
template <class T>
Dense<T> dense(Index in, Index out, unsigned seed) {
  Dense<T> d(in, out);
  fill_random(d.weight().mutable_view(), seed);
  fill_random(d.bias().mutable_view(), seed + 100, -0.1, 0.1);
  return d;
}
auto small_residual_mlp() {
  return Sequential(dense<double>(6, 5, 1), ReLU<double>(),
                    Residual(Sequential(dense<double>(5, 5, 2), ReLU<double>()),
                             Sequential(dense<double>(5, 5, 3))),
                    ReLU<double>(), dense<double>(5, 4, 4));
}
/// Logit c of the model as a function of x (for finite differences).
template <class M>
Tensor<double> run(const M& m, const Tensor<double>& x) {
  Trace<double> tr;
  Workspace<double> ws;
  forward(m, x.cview(), tr, ws);
  return Tensor<double>::copy_of(tr.result());
}
}  // namespace

TEST_CASE("Gradient through a residual model equals finite differences, per batch item and target",
          "[models][engine][gradient]") {
  auto model = small_residual_mlp();
  auto x = random_tensor<double>(Shape{3, 6}, 9);
  const std::vector<Index> targets{0, 3, 1};
  auto e = explain(model, Gradient{}, x.cview(), Targets(targets));
  Tensor<double> gy(Shape{3, 4});
  for (Index n = 0; n < 3; ++n) gy.at(n, targets[std::size_t(n)]) = 1;
  auto fd = fd_gradient([&](const Tensor<double>& xx) { return run(model, xx); }, x, gy);
  require_close(e.attribution, fd, 1e-6, 1e-7, "gradient vs FD");
  require_close(e.output, run(model, x), 1e-14, 1e-14, "output");
}

TEST_CASE("Gradient x Input multiplies the gradient by the input", "[models][engine][gradient]") {
  auto model = small_residual_mlp();
  auto x = random_tensor<double>(Shape{2, 6}, 11);
  auto g = explain(model, Gradient{}, x.cview(), 2);
  auto gi = explain(model, GradientTimesInput{}, x.cview(), 2);
  for (Index i = 0; i < x.size(); ++i) CHECK(gi.attribution[i] == Approx(g.attribution[i] * x[i]));
}

TEST_CASE("Injection at an intermediate layer with the true upstream gradient gives the full gradient",
          "[models][engine][injection]") {
  auto model = small_residual_mlp();
  auto x = random_tensor<double>(Shape{2, 6}, 12);
  Explainer ex(model, Gradient{});
  ExplainOptions<double> opt;
  opt.keep_layers = true;
  const Tensor<double> full = ex.explain(x.cview(), 1, opt).attribution;
  const std::vector<Tensor<double>> layers = ex.explain(x.cview(), 1, opt).layers;
  REQUIRE(layers.size() == std::size_t(model.size()));
  for (Index i = 0; i < model.size(); ++i) {
    INFO("layer " << model.node(i).name);
    CHECK(layers[std::size_t(i)].shape() == ex.trace().output(i).shape());
  }
  // Single-consumer layers: injecting their true gradient reproduces the full input gradient.
  for (const char* name : {"4", "3", "2.add", "1", "0"}) {
    const Index l = model.find(name);
    const Tensor<double> upstream = layers[std::size_t(l)];
    require_close(ex.explain_from(name, upstream.cview()).attribution, full, 1e-12, 1e-12, name);
  }
  // The free function on a caller-owned trace does the same.
  Trace<double> tr;
  Workspace<double> ws;
  forward(model, x.cview(), tr, ws);
  const Index l = model.find("2.add");
  auto e = explain_from(model, Gradient{}, tr, l, layers[std::size_t(l)].cview());
  require_close(e.attribution, full, 1e-12, 1e-12, "explain_from on external trace");
  CHECK_THROWS_WITH(ex.explain_from("2.add", Tensor<double>(Shape{2, 4}).cview()),
                    Catch::Contains("Add '2.add'") && Catch::Contains("[2, 4]") && Catch::Contains("[2, 5]"));
}

TEST_CASE("A signal injected at one branch of a residual block only reaches that branch's ancestors",
          "[models][engine][injection]") {
  auto model = small_residual_mlp();  // nodes: 0 1 | 2 3 (main) | 4 (shortcut) | 5 add | 6 7
  auto x = random_tensor<double>(Shape{1, 6}, 13);
  Explainer ex(model, Gradient{});
  ex.explain(x.cview(), 0);
  ExplainOptions<double> opt;
  opt.keep_layers = true;
  auto signal = random_tensor<double>(Shape{1, 5}, 14);
  const auto& e = ex.explain_from("2.shortcut.0", signal.cview(), opt);
  CHECK(e.layers[3].vec().norm() == 0.0);  // main path not reached
  CHECK(e.layers[5].vec().norm() == 0.0);  // above the start
  CHECK(e.layers[1].vec().norm() > 0.0);
  // Oracle: shortcut Dense gradient then ReLU then Dense 0 backward, by hand.
  const auto& d4 = model.get<2>().shortcut().get<0>();
  const auto& d0 = model.get<0>();
  RowMat<double> g1 = signal.view().mat(1, 5) * d4.weight().view().mat(5, 5);
  const auto a0 = ex.trace().output(0);
  for (Index j = 0; j < 5; ++j) if (a0[j] <= 0) g1(0, j) = 0;
  RowMat<double> g0 = g1 * d0.weight().view().mat(5, 6);
  for (Index j = 0; j < 6; ++j) CHECK(e.attribution[j] == Approx(g0(0, j)).margin(1e-12));
}

TEST_CASE("Targets and seeds are validated", "[models][engine][errors]") {
  auto model = small_residual_mlp();
  auto x = random_tensor<double>(Shape{2, 6}, 15);
  CHECK_THROWS_WITH(explain(model, Gradient{}, x.cview(), 4),
                    Catch::Contains("[attrib.arg.031]") && Catch::Contains("target class 4") &&
                        Catch::Contains("4 outputs"));
  CHECK_THROWS_AS(explain(model, Gradient{}, x.cview(), -1), ArgumentError);
  CHECK_THROWS_WITH(explain(model, Gradient{}, x.cview(), Targets({0, 1, 2})),
                    Catch::Contains("3 targets for a batch of 2"));
  Tensor<double> seed(Shape{2, 4}, 0.5);
  ExplainOptions<double> opt;
  opt.seed = seed.cview();
  auto e = explain(model, Gradient{}, x.cview(), 0, opt);
  auto e0 = explain(model, Gradient{}, x.cview(), 0);
  auto e1 = explain(model, Gradient{}, x.cview(), 1);
  auto e2 = explain(model, Gradient{}, x.cview(), 2);
  auto e3 = explain(model, Gradient{}, x.cview(), 3);
  for (Index i = 0; i < x.size(); ++i)
    CHECK(e.attribution[i] ==
          Approx(0.5 * (e0.attribution[i] + e1.attribution[i] + e2.attribution[i] + e3.attribution[i])));
  Tensor<double> bad(Shape{2, 3});
  opt.seed = bad.cview();
  CHECK_THROWS_WITH(explain(model, Gradient{}, x.cview(), 0, opt), Catch::Contains("custom seed"));
  Tensor<double> xbad(Shape{2, 7});
  CHECK_THROWS_WITH(explain(model, Gradient{}, xbad.cview(), 0), Catch::Contains("Dense '0'") &&
                                                                      Catch::Contains("[2, 7]"));
}

namespace {
// A rule whose backward signal is a pair of tensors: (gradient, 2 x gradient). It proves that
// the engine only needs resize / set_zero / add from a signal, and init_signal / readout from
// the rule. Its read-out a + b/2 must equal 2 x gradient.
template <class T>
struct PairSignal {
  Tensor<T> a, b;
  void resize(const Shape& s) { a.resize(s); b.resize(s); }
  void set_zero() { a.set_zero(); b.set_zero(); }
  void add(const PairSignal& o) { a.add(o.a); b.add(o.b); }
};
struct PairRule {
  static constexpr const char* name = "PairRule";
  template <class T> using signal = PairSignal<T>;
  template <class T> void init_signal(ConstView<T> seed, PairSignal<T>& s) const {
    s.resize(seed.shape());
    s.a.vec() = seed.vec();
    s.b.vec() = 2 * seed.vec();
  }
  template <class T> void readout(const PairSignal<T>& s, ConstView<T>, ConstView<T>, Tensor<T>& out) const {
    out.resize(s.a.shape());
    out.vec() = s.a.vec() + 0.5 * s.b.vec();
  }
  template <class L, class T, class = std::enable_if_t<L::arity == 1>>
  void backward(const L& layer, Step<T, PairSignal<T>>& s) const {
    layer.backward(s.x, s.out.a, s.in.a, s.ws);
    layer.backward(s.x, s.out.b, s.in.b, s.ws);
  }
  template <class T> void backward(const Add<T>& layer, Step<T, PairSignal<T>>& s) const {
    layer.backward(s.out.a, s.in_at(0).a, s.in_at(1).a, s.ws);
    layer.backward(s.out.b, s.in_at(0).b, s.in_at(1).b, s.ws);
  }
};
}  // namespace

TEST_CASE("Rules may carry a two-tensor backward signal", "[models][engine][signal]") {
  auto model = small_residual_mlp();
  auto x = random_tensor<double>(Shape{2, 6}, 16);
  auto g = explain(model, Gradient{}, x.cview(), 1);
  auto p = explain(model, PairRule{}, x.cview(), 1);
  for (Index i = 0; i < x.size(); ++i) CHECK(p.attribution[i] == Approx(2 * g.attribution[i]));
}

namespace {
// Negates the gradient at Dense layers only: used to see which nodes a composite maps.
struct NegDense : Gradient {
  static constexpr const char* name = "NegDense";
  using Gradient::backward;
  template <class T, class S> void backward(const Dense<T>& l, Step<T, S>& s) const {
    l.backward(s.x, s.out, s.in, s.ws);
    s.in.vec() *= -1;
  }
};
struct OnlyDense {
  static constexpr const char* name = "OnlyDense";
  template <class T, class S> void backward(const Dense<T>& l, Step<T, S>& s) const {
    l.backward(s.x, s.out, s.in, s.ws);
  }
};
}  // namespace

TEST_CASE("Composites map rules by kind, name, position and first/last", "[models][engine][composite]") {
  auto model = small_residual_mlp();
  auto x = random_tensor<double>(Shape{1, 6}, 17);
  auto g = explain(model, Gradient{}, x.cview(), 0);
  // NegDense on exactly one Dense on every path from output to input flips the sign once.
  auto first = Composite(Gradient{}, NegDense{}).map(Select::first_of({"Dense", "Conv2d"}), 1);
  auto last = Composite(Gradient{}, NegDense{}).map(Select::last_of({"Dense"}), 1);
  auto byname = Composite(Gradient{}, NegDense{}).map(Select::name_is("4"), 1);
  auto byrange = Composite(Gradient{}, NegDense{}).map(Select::range(-1, -1), 1);
  for (const auto& c : {first, last, byname, byrange}) {
    auto e = explain(model, c, x.cview(), 0);
    for (Index i = 0; i < x.size(); ++i) CHECK(e.attribution[i] == Approx(-g.attribution[i]));
  }
  auto resolved = byname.resolved_for(model);
  CHECK(resolved.rule_of(7) == 1);
  CHECK(resolved.rule_of(0) == 0);
  CHECK(resolved.display_name() == "Composite<Gradient, NegDense>");
  CHECK_THROWS_AS(Composite(Gradient{}).map(Select::kind({"Dense"}), 1), ParameterError);
}

TEST_CASE("Runtime networks raise a typed error naming rule and layer when a pair has no behaviour",
          "[models][engine][runtime][errors]") {
  Network<double> net;
  net.add(dense<double>(3, 4, 1), "fc1");
  net.add(ReLU<double>(), "relu1");
  net.add(dense<double>(4, 2, 2), "fc2");
  auto x = random_tensor<double>(Shape{1, 3}, 18);
  CHECK_THROWS_AS(explain(net, OnlyDense{}, x.cview(), 0), RuleError);
  CHECK_THROWS_WITH(explain(net, OnlyDense{}, x.cview(), 0),
                    Catch::Contains("[attrib.rule.001]") && Catch::Contains("OnlyDense") &&
                        Catch::Contains("ReLU 'relu1'"));
  // Without a ReLU the same rule works: the error appears only if such a layer is present.
  Network<double> lin;
  lin.add(dense<double>(3, 2, 3), "fc");
  auto e = explain(lin, OnlyDense{}, x.cview(), 1);
  for (Index i = 0; i < 3; ++i) CHECK(e.attribution[i] == Approx(lin.layer<Dense<double>>("fc").weight().view().at(1, i)));
}

TEST_CASE("A reused Explainer does not allocate on same-shaped inputs (LRP, gradient, composites)",
          "[models][engine][allocation]") {
  // Counted with a replaced global operator new in test_layers (test_allocation.cpp); here the
  // cheaper proxy: the addresses of every buffer stay the same across calls.
  auto model = small_residual_mlp();
  auto x = random_tensor<double>(Shape{2, 6}, 31), x2 = random_tensor<double>(Shape{2, 6}, 32);
  Explainer ex(model, Gradient{});
  ExplainOptions<double> opt;
  opt.keep_layers = true;
  ex.explain(x.cview(), 1, opt);
  const double* a0 = ex.explain(x.cview(), 1, opt).attribution.data();
  const double* l0 = ex.explain(x.cview(), 1, opt).layers[3].data();
  const std::size_t ws0 = ex.workspace().bytes();
  const auto& e = ex.explain(x2.cview(), 2, opt);
  CHECK(e.attribution.data() == a0);
  CHECK(e.layers[3].data() == l0);
  CHECK(ex.workspace().bytes() == ws0);
}

TEMPLATE_TEST_CASE("A variadic layer (SumN of three branches) runs forward and backward through the engine",
                   "[models][engine][variadic]", float, double) {
  // y_c = sum_k (W_k x + b_k)_c. Closed forms: the gradient is sum_k W_k[c, :]; bias-free LRP-0
  // gives sum_k x_i W_k[c, i] y_kc / z_kc (z_kc the branch output without bias: SumN splits R by
  // the branch outputs, the Dense layers by their bias-free contributions); LRP-0 with the bias
  // and DeepLIFT (zero reference, a linear net) give x (.) sum_k W_k[c, :].
  using T = TestType;
  const double tol = std::is_same_v<T, double> ? 1e-12 : 2e-5;
  std::vector<Dense<T>> d;
  for (unsigned k = 0; k < 3; ++k) d.push_back(dense<T>(4, 3, 10 + k));
  const ThreeBranchSum<T> net(d[0], d[1], d[2]);
  CHECK(net.node(3).arity == 3);
  CHECK(net.node(3).role == Role::sum);
  const auto x = random_tensor<T>(Shape{2, 4}, 5);
  const Index c = 1;
  const auto g = explain(net, Gradient{}, x.cview(), c);
  LrpZ bias_free;
  bias_free.bias = false;
  const auto r = explain(net, bias_free, x.cview(), c);
  const auto r0 = explain(net, LrpZ{}, x.cview(), c);
  const auto dl = explain(net, DeepLiftRescale(), x.cview(), c);
  for (Index n = 0; n < 2; ++n) {
    double y = 0;
    for (int k = 0; k < 3; ++k) {
      y += double(d[std::size_t(k)].bias().view()[c]);
      for (Index q = 0; q < 4; ++q) y += double(x.at(n, q)) * double(d[std::size_t(k)].weight().view().at(c, q));
    }
    CHECK(double(g.output.at(n, c)) == Approx(y).epsilon(tol));
    for (Index i = 0; i < 4; ++i) {
      double w = 0, lrp = 0;
      for (int k = 0; k < 3; ++k) {
        const auto W = d[std::size_t(k)].weight().view();
        double z = 0;
        for (Index q = 0; q < 4; ++q) z += double(x.at(n, q)) * double(W.at(c, q));
        const double yk = z + double(d[std::size_t(k)].bias().view()[c]);
        w += double(W.at(c, i));
        lrp += double(x.at(n, i)) * double(W.at(c, i)) * yk / z;
      }
      const double xi = double(x.at(n, i));
      CHECK(double(g.attribution.at(n, i)) == Approx(w).epsilon(tol).margin(tol));
      CHECK(double(r.attribution.at(n, i)) == Approx(lrp).epsilon(tol).margin(tol));
      CHECK(double(r0.attribution.at(n, i)) == Approx(xi * w).epsilon(tol).margin(tol));
      CHECK(double(dl.attribution.at(n, i)) == Approx(xi * w).epsilon(tol).margin(tol));
    }
  }
  // The input feeds three nodes: its signal is the sum of three contributions, not the last one.
  CHECK(std::abs(double(g.attribution.at(0, 0)) - double(d[2].weight().view().at(c, 0))) > 1e-3);
}
