// LayerNorm (last axis), Transpose and Dense on the last axis: closed forms / naive loops,
// finite-difference gradients, the detached linear map of the conservative LRP rules against an
// explicit matrix, the rule families on a channels-last block, allocation after warm-up, errors.
#include <cmath>
#include <vector>

#include "support/allocation_counter.hpp"
#include "support/layer_checks.hpp"
#include "attrib/attrib.hpp"
#include "attrib/layers/layer_norm.hpp"
#include "attrib/layers/transpose.hpp"

using namespace attrib;
using namespace attrib::test;

namespace {

template <class T>
LayerNorm<T> random_layer_norm(Index d, double eps, unsigned seed) {
  LayerNorm<T> ln(d, eps);
  ln.set_name("ln");
  auto g = random_tensor<T>(Shape{d}, seed, T(0.5), T(1.5));
  auto b = random_tensor<T>(Shape{d}, seed + 1);
  g[0] = -g[0];  // a negative scale too
  ln.weight().assign(g.cview(), "gamma");
  ln.bias().assign(b.cview(), "beta");
  return ln;
}

// sigma of one row in long double.
long double row_sigma(const long double* x, Index d, double eps, long double* mean) {
  long double m = 0, v = 0;
  for (Index i = 0; i < d; ++i) m += x[i];
  m /= d;
  for (Index i = 0; i < d; ++i) v += (x[i] - m) * (x[i] - m);
  *mean = m;
  return std::sqrt(v / d + eps);
}

}  // namespace

TEMPLATE_TEST_CASE("LayerNorm normalises the last axis as gamma (x - mean) / sqrt(var + eps) + beta",
                   "[layers][layer_norm]", float, double) {
  using T = TestType;
  const Shape shapes[] = {Shape{2, 5}, Shape{2, 3, 6}, Shape{2, 3, 4, 5}, Shape{1, 2, 2, 1}};
  unsigned seed = 3;
  for (const Shape& s : shapes) {
    const Index d = s[s.rank() - 1];
    const auto ln = random_layer_norm<T>(d, 1e-6, seed++);
    REQUIRE(ln.output_shape(s) == s);
    auto x = random_tensor<T>(s, seed++, T(-2), T(3));
    Workspace<T> ws;
    Tensor<T> y(s);
    ln.forward(x, y, ws);
    std::vector<long double> row(static_cast<std::size_t>(d));
    for (Index r = 0; r < x.size() / d; ++r) {
      for (Index i = 0; i < d; ++i) row[std::size_t(i)] = x[r * d + i];
      long double m;
      const long double sg = row_sigma(row.data(), d, 1e-6, &m);
      for (Index i = 0; i < d; ++i) {
        const long double want = ln.weight().data()[i] * (row[std::size_t(i)] - m) / sg + ln.bias().data()[i];
        INFO(s << " row " << r << " element " << i);
        CHECK(double(y[r * d + i]) == Approx(double(want)).epsilon(std::is_same_v<T, float> ? 2e-6 : 1e-13).margin(std::is_same_v<T, float> ? 1e-6 : 1e-14));
      }
    }
  }
}

TEST_CASE("LayerNorm backward equals finite differences, float follows double", "[layers][layer_norm]") {
  const Shape shapes[] = {Shape{2, 5}, Shape{2, 3, 6}, Shape{1, 3, 2, 4}};
  unsigned seed = 40;
  for (const Shape& s : shapes) {
    const Index d = s[s.rank() - 1];
    const auto ln = random_layer_norm<double>(d, 1e-5, seed++);
    const auto x = random_tensor<double>(s, seed++, -2.0, 3.0);
    INFO(s);
    check_backward_fd(ln, x, seed++, 1e-7);
    check_batch_equals_samples(ln, x);
    // float against double
    const auto lf = random_layer_norm<float>(d, 1e-5, seed - 3);
    const auto gy = random_tensor<double>(s, seed++);
    Workspace<double> wd;
    Workspace<float> wf;
    Tensor<double> gd(s);
    Tensor<float> gf(s);
    ln.backward(x, gy, gd, wd);
    lf.backward(cast<float>(x), cast<float>(gy), gf, wf);
    require_close(cast<double>(gf), gd, 1e-4, 1e-4, "float vs double backward");
  }
}

TEST_CASE("LayerNorm's detached map is diag(gamma) (I - 1 1^T / D) / sigma(x) under every transform",
          "[layers][layer_norm][lrp]") {
  const Index d = 5;
  const Shape s{2, 3, d};
  const auto ln = random_layer_norm<double>(d, 1e-6, 7);
  const auto x = random_tensor<double>(s, 8, -2.0, 3.0);
  Workspace<double> ws;
  auto f = ws.frame();
  const auto map = ln.detached(x, f);
  const auto u = random_tensor<double>(s, 9), gy = random_tensor<double>(s, 10);
  auto check = [&](const auto& tf, const char* what) {
    INFO(what);
    Tensor<double> y(s), gx(s);
    map.forward_transformed(tf, BiasMode::transformed, u, y, ws);
    map.backward_transformed(tf, gy, gx, ws);
    for (Index r = 0; r < s.size() / d; ++r) {
      std::vector<long double> row(d);
      for (Index i = 0; i < d; ++i) row[std::size_t(i)] = x[r * d + i];
      long double m;
      const long double sg = row_sigma(row.data(), d, 1e-6, &m);
      for (Index j = 0; j < d; ++j) {
        long double want = tf(double(ln.bias().data()[j])), back = 0;
        for (Index i = 0; i < d; ++i) {
          const double wji = double(ln.weight().data()[j] * ((i == j ? 1.0L : 0.0L) - 1.0L / d) / sg);
          const double wij = double(ln.weight().data()[i] * ((i == j ? 1.0L : 0.0L) - 1.0L / d) / sg);
          want += tf(wji) * u[r * d + i];
          back += tf(wij) * gy[r * d + i];  // (f(W)^T gy)_j
        }
        CHECK(y[r * d + j] == Approx(double(want)).epsilon(1e-12).margin(1e-13));
        CHECK(gx[r * d + j] == Approx(double(back)).epsilon(1e-12).margin(1e-13));
      }
    }
  };
  check(transform::Identity{}, "identity");
  check(transform::Positive{}, "W+");
  check(transform::Negative{}, "W-");
  check(transform::Square{}, "W^2");
  check(transform::Ones{}, "ones");
  // Identity with bias at u = x is the forward itself.
  Tensor<double> y(s), y0(s);
  map.forward_transformed(transform::Identity{}, BiasMode::unchanged, x, y, ws);
  ln.forward(x, y0, ws);
  require_close(y, y0, 1e-13, 1e-13, "detached map at x = forward");
}

TEST_CASE("Transpose moves values by perm and its backward by the inverse", "[layers][transpose]") {
  struct Case {
    std::vector<int> perm;
    Shape in, out;
  };
  const Case cases[] = {{{0, 2, 3, 1}, Shape{2, 3, 4, 5}, Shape{2, 4, 5, 3}},
                        {{0, 3, 1, 2}, Shape{2, 3, 4, 5}, Shape{2, 5, 3, 4}},
                        {{0, 3, 2, 1}, Shape{1, 2, 3, 4}, Shape{1, 4, 3, 2}},
                        {{0, 2, 1}, Shape{2, 3, 4}, Shape{2, 4, 3}},
                        {{0, 1}, Shape{3, 4}, Shape{3, 4}}};
  unsigned seed = 60;
  for (const Case& c : cases) {
    Transpose<double> t(c.perm);
    INFO(c.in);
    REQUIRE(t.output_shape(c.in) == c.out);
    const auto x = random_tensor<double>(c.in, seed++);
    const auto y = run_forward(t, x);
    // naive: y at output coordinates o equals x at input coordinates i with i[perm[k]] = o[k]
    const int r = c.in.rank();
    for (Index flat = 0; flat < y.size(); ++flat) {
      Index o[4], in_idx[4], rest = flat;
      for (int k = r - 1; k >= 0; --k) {
        o[k] = rest % c.out[k];
        rest /= c.out[k];
      }
      for (int k = 0; k < r; ++k) in_idx[c.perm[std::size_t(k)]] = o[k];
      Index src = 0;
      for (int k = 0; k < r; ++k) src = src * c.in[k] + in_idx[k];
      CHECK(y[flat] == x[src]);
    }
    check_backward_fd(t, x, seed++, 1e-9);
  }
  CHECK_THROWS_WITH(Transpose<float>({1, 0, 2}), Catch::Contains("[attrib.param.1090]") && Catch::Contains("[1, 0, 2]"));
  CHECK_THROWS_WITH(Transpose<float>({0, 1, 1}), Catch::Contains("[attrib.param.1090]"));
  CHECK_THROWS_WITH(Transpose<float>({0, 2, 3, 1}).output_shape(Shape{2, 3, 4}),
                    Catch::Contains("[attrib.shape.1090]") && Catch::Contains("[2, 3, 4]") && Catch::Contains("expected 4"));
}

TEST_CASE("Dense on the last axis of rank-3 and rank-4 activations equals Dense on the rows", "[layers][dense]") {
  Dense<double> fc(4, 3);
  fc.weight().assign(random_tensor<double>(Shape{3, 4}, 70).cview(), "w");
  fc.bias().assign(random_tensor<double>(Shape{3}, 71).cview(), "b");
  for (const Shape& s : {Shape{2, 5, 4}, Shape{2, 3, 2, 4}, Shape{5, 4}}) {
    INFO(s);
    const auto x = random_tensor<double>(s, 72);
    const auto y = run_forward(fc, x);
    Shape want = s;
    want[s.rank() - 1] = 3;
    REQUIRE(y.shape() == want);
    const Index rows = x.size() / 4;
    for (Index r = 0; r < rows; ++r)
      for (Index j = 0; j < 3; ++j) {
        double z = fc.bias().data()[j];
        for (Index i = 0; i < 4; ++i) z += fc.weight().data()[j * 4 + i] * x[r * 4 + i];
        CHECK(y[r * 3 + j] == Approx(z).epsilon(1e-14));
      }
    check_backward_fd(fc, x, 73, 1e-8);
    check_adjoint(fc, transform::Positive{}, s, 74);
  }
  CHECK_THROWS_WITH(fc.output_shape(Shape{2, 4, 5}), Catch::Contains("[attrib.shape.100]") && Catch::Contains("[2, 4, 5]"));
}

namespace {
// x [1, 4, 3, 3] -> Transpose(NHWC) -> LayerNorm -> Dense 4->8 -> GELU -> Dense 8->4 -> Transpose(NCHW)
// -> Add(residual x) -> GlobalAvgPool -> Flatten -> Dense 4->3: a ConvNeXt block with its head.
template <class T>
Network<T> channels_last_block() {
  Network<T> net;
  auto d1 = Dense<T>(4, 8), d2 = Dense<T>(8, 4), head = Dense<T>(4, 3);
  d1.weight().assign(random_tensor<T>(Shape{8, 4}, 80).cview(), "w");
  d1.bias().assign(random_tensor<T>(Shape{8}, 81).cview(), "b");
  d2.weight().assign(random_tensor<T>(Shape{4, 8}, 82).cview(), "w");
  d2.bias().assign(random_tensor<T>(Shape{4}, 83).cview(), "b");
  head.weight().assign(random_tensor<T>(Shape{3, 4}, 84).cview(), "w");
  net.add(Transpose<T>({0, 2, 3, 1}), "permute", {-1});
  net.add(random_layer_norm<T>(4, 1e-6, 85), "norm");
  net.add(std::move(d1), "pw1");
  net.add(GELU<T>(), "gelu");
  net.add(std::move(d2), "pw2");
  const Index back = net.add(Transpose<T>({0, 3, 1, 2}), "permute_back");
  net.add(Add<T>(), "add", {back, Index(-1)});
  net.add(GlobalAvgPool2d<T>(), "pool");
  net.add(Flatten<T>(), "flatten");
  net.add(std::move(head), "fc");
  return net;
}
}  // namespace

TEST_CASE("Rule families on a channels-last LayerNorm block", "[layers][layer_norm][rules]") {
  const auto net = channels_last_block<double>();
  const auto x = random_tensor<double>(Shape{1, 4, 3, 3}, 90, -2.0, 2.0);
  const Index target = 1;
  // Gradient: central finite differences of the logit.
  const auto g = explain(net, Gradient{}, x.cview(), target);
  auto logit = [&](const Tensor<double>& xx) {
    Tensor<double> out = explain(net, Gradient{}, xx.cview(), target).output;
    Tensor<double> one(Shape{1});
    one[0] = out[target];
    return one;
  };
  Tensor<double> seed(Shape{1}, 1.0);
  require_close(g.attribution, fd_gradient(logit, x, seed), 1e-7, 1e-7, "gradient vs FD");
  // Guided Backprop / Deconvnet pass the gradient through LayerNorm, Transpose and GELU (no
  // rectifier in this block): equal to the gradient.
  require_close(explain(net, GuidedBackprop{}, x.cview(), target).attribution, g.attribution, 1e-14, 1e-14, "guided");
  require_close(explain(net, Deconvnet{}, x.cview(), target).attribution, g.attribution, 1e-14, 1e-14, "deconvnet");

  // LRP-epsilon with a tiny epsilon approaches LRP-0 (both with biases); the exact semantics
  // are checked against an explicit matrix in the next test case.
  const auto re = explain(net, LrpEpsilon(1e-9), x.cview(), target);
  const auto rz = explain(net, LrpZ{}, x.cview(), target);
  require_close(re.attribution, rz.attribution, 1e-6, 1e-6, "epsilon(1e-9) vs LRP-0");
  CHECK(std::isfinite(rz.attribution.vec().sum()));
  // Every LRP rule runs through the detached map.
  CHECK_NOTHROW(explain(net, LrpZPlus{}, x.cview(), target));
  CHECK_NOTHROW(explain(net, LrpAlphaBeta(2, 1), x.cview(), target));
  CHECK_NOTHROW(explain(net, LrpGamma{}, x.cview(), target));
  CHECK_NOTHROW(explain(net, LrpFlat{}, x.cview(), target));
  CHECK_NOTHROW(explain(net, LrpWSquare{}, x.cview(), target));
  // DeepLIFT: the gradient at x through LayerNorm; runs, and with the reference = x the
  // attribution is 0.
  CHECK_NOTHROW(explain(net, DeepLift{}, x.cview(), target));
  // PatternNet has no pattern backward through LayerNorm.
  Network<double> only_norm;
  only_norm.add(random_layer_norm<double>(5, 1e-6, 95), "ln");
  const auto x5 = random_tensor<double>(Shape{1, 5}, 96);
  CHECK_THROWS_WITH(explain(only_norm, PatternNet<double>{}, x5.cview(), 0),
                    Catch::Contains("[attrib.rule.604]") && Catch::Contains("LayerNorm 'ln'"));
}

TEST_CASE("LRP-epsilon through LayerNorm equals LRP-epsilon through the explicit detached matrix",
          "[layers][layer_norm][lrp]") {
  // [1, 6] -> Dense -> LayerNorm -> Dense; and the same with LayerNorm replaced by the Dense
  // layer W = diag(gamma) (I - 1 1^T / D) / sigma(x), bias beta, built at this input.
  const Index d = 6;
  Network<double> net;
  Dense<double> a(6, d), c(d, 3);
  a.weight().assign(random_tensor<double>(Shape{d, 6}, 100).cview(), "w");
  a.bias().assign(random_tensor<double>(Shape{d}, 101).cview(), "b");
  c.weight().assign(random_tensor<double>(Shape{3, d}, 102).cview(), "w");
  c.bias().assign(random_tensor<double>(Shape{3}, 103).cview(), "b");
  const auto ln = random_layer_norm<double>(d, 1e-6, 104);
  net.add(a, "a", {-1});
  net.add(ln, "ln");
  net.add(c, "c");
  const auto x = random_tensor<double>(Shape{1, 6}, 105);
  // sigma at the LayerNorm's input
  Workspace<double> ws;
  Tensor<double> h(Shape{1, d}), sigma(Shape{1});
  a.forward(x, h, ws);
  ln.scales(h, sigma.view());
  Dense<double> w(d, d);
  Tensor<double> wv(Shape{d, d});
  for (Index j = 0; j < d; ++j)
    for (Index i = 0; i < d; ++i) wv[j * d + i] = ln.weight().data()[j] * ((i == j ? 1.0 : 0.0) - 1.0 / d) / sigma[0];
  w.weight().assign(wv.cview(), "w");
  w.bias().assign(ln.bias().view(), "b");
  Network<double> ref;
  ref.add(a, "a", {-1});
  ref.add(w, "ln_as_dense");
  ref.add(c, "c");
  for (Index target : {Index(0), Index(2)}) {
    INFO("target " << target);
    require_close(explain(net, LrpEpsilon{}, x.cview(), target).attribution,
                  explain(ref, LrpEpsilon{}, x.cview(), target).attribution, 1e-12, 1e-12, "epsilon");
    require_close(explain(net, LrpZPlus{}, x.cview(), target).attribution,
                  explain(ref, LrpZPlus{}, x.cview(), target).attribution, 1e-12, 1e-12, "z+");
    require_close(explain(net, LrpGamma{}, x.cview(), target).attribution,
                  explain(ref, LrpGamma{}, x.cview(), target).attribution, 1e-12, 1e-12, "gamma");
  }
}

TEST_CASE("LayerNorm, Transpose and last-axis Dense make no allocation in a reused Explainer",
          "[layers][layer_norm][allocation]") {
  REQUIRE(allocation_counting_works());
  const auto net = channels_last_block<float>();
  const auto x = random_tensor<float>(Shape{2, 4, 3, 3}, 110);
  auto check = [&](auto rule, const char* what) {
    Explainer ex(net, rule);
    ex.explain(x.cview(), Targets({1, 2}));
    ex.explain(x.cview(), Targets({0, 2}));
    const Targets t({2, 1});
    INFO(what);
    CHECK(allocations_in([&] { ex.explain(x.cview(), t); }) == 0);
  };
  check(Gradient{}, "Gradient");
  check(GuidedBackprop{}, "GuidedBackprop");
  check(LrpEpsilon{}, "LrpEpsilon");
  check(LrpZPlus{}, "LrpZPlus");
  check(LrpGamma{}, "LrpGamma");
  check(LrpAlphaBeta(2, 1), "LrpAlphaBeta");
  check(DeepLift{}, "DeepLift");
}

TEST_CASE("LayerNorm rejects bad shapes and parameters with ids naming the layer", "[layers][layer_norm][errors]") {
  const auto ln = random_layer_norm<float>(4, 1e-5, 120);
  CHECK_THROWS_WITH(ln.output_shape(Shape{2, 5}),
                    Catch::Contains("[attrib.shape.1080]") && Catch::Contains("LayerNorm 'ln'") &&
                        Catch::Contains("[2, 5]") && Catch::Contains("[N, ..., 4]"));
  CHECK_THROWS_WITH(ln.output_shape(Shape{8}), Catch::Contains("[attrib.shape.1080]"));
  CHECK_THROWS_WITH(LayerNorm<float>(0), Catch::Contains("[attrib.param.1080]"));
  CHECK_THROWS_WITH(LayerNorm<float>(3, -1.0), Catch::Contains("[attrib.param.1080]"));
  Tensor<float> x(Shape{2, 4}), s(Shape{3});
  CHECK_THROWS_WITH(ln.scales(x, s.view()), Catch::Contains("[attrib.shape.1081]"));
}
