#include "support/layer_checks.hpp"
#include "attrib/layers/dense.hpp"

using namespace attrib;
using namespace attrib::test;

namespace {
template <class T>
Dense<T> make_dense(Index in, Index out, bool bias, unsigned seed) {
  Dense<T> d(in, out, bias);
  d.set_name("fc");
  fill_random(d.weight().mutable_view(), seed);
  if (bias) fill_random(d.bias().mutable_view(), seed + 7);
  return d;
}
// Naive reference: y[n][j] = sum_i x[n][i] f(w[j][i]) + b[j].
template <class T, class F>
Tensor<T> naive_dense(const Dense<T>& d, const Tensor<T>& x, const F& f, bool bias) {
  Tensor<T> y(Shape{x.dim(0), d.out_features()});
  for (Index n = 0; n < x.dim(0); ++n)
    for (Index j = 0; j < d.out_features(); ++j) {
      double s = bias && d.has_bias() ? double(f(d.bias().view()[j])) : 0.0;
      for (Index i = 0; i < d.in_features(); ++i)
        s += double(x.at(n, i)) * double(f(d.weight().view().at(j, i)));
      y.at(n, j) = T(s);
    }
  return y;
}
}  // namespace

TEMPLATE_TEST_CASE("Dense forward matches a naive loop", "[layers][dense]", float, double) {
  for (bool bias : {true, false}) {
    auto d = make_dense<TestType>(7, 5, bias, 1);
    auto x = random_tensor<TestType>(Shape{3, 7}, 2);
    Workspace<TestType> ws;
    Tensor<TestType> y(Shape{3, 5});
    d.forward(x, y, ws);
    require_close(y, naive_dense(d, x, transform::Identity{}, true), 1e-5, 1e-6, "dense forward");
  }
}

TEMPLATE_TEST_CASE("Dense transformed forward matches naive loops for W+, W-, W^2, ones", "[layers][dense]",
                   float, double) {
  auto d = make_dense<TestType>(6, 4, true, 3);
  auto x = random_tensor<TestType>(Shape{2, 6}, 4);
  Workspace<TestType> ws;
  Tensor<TestType> y(Shape{2, 4});
  auto check = [&](auto f) {
    d.forward_transformed(f, BiasMode::transformed, x, y, ws);
    require_close(y, naive_dense(d, x, f, true), 1e-5, 1e-6, "transformed with bias");
    d.forward_transformed(f, BiasMode::none, x, y, ws);
    require_close(y, naive_dense(d, x, f, false), 1e-5, 1e-6, "transformed without bias");
  };
  check(transform::Positive{});
  check(transform::Negative{});
  check(transform::Square{});
  check(transform::Ones{});
  check(transform::Affine<double>{1, 0.25, 0});
  // unchanged bias: f(W) x + b
  d.forward_transformed(transform::Positive{}, BiasMode::unchanged, x, y, ws);
  Tensor<TestType> ref = naive_dense(d, x, transform::Positive{}, false);
  for (Index n = 0; n < 2; ++n)
    for (Index j = 0; j < 4; ++j) ref.at(n, j) += d.bias().view()[j];
  require_close(y, ref, 1e-5, 1e-6, "unchanged bias");
}

TEST_CASE("Dense backward and transformed primitives pass FD and adjoint checks", "[layers][dense]") {
  auto d = make_dense<double>(9, 4, true, 5);
  check_backward_fd(d, random_tensor<double>(Shape{3, 9}, 6), 7);
  check_adjoint(d, transform::Identity{}, Shape{3, 9}, 8);
  check_adjoint(d, transform::Positive{}, Shape{3, 9}, 9);
  check_adjoint(d, transform::Square{}, Shape{2, 9}, 10);
  check_batch_equals_samples(d, random_tensor<double>(Shape{4, 9}, 11));
}

TEST_CASE("Dense float results match double results", "[layers][dense]") {
  auto dd = make_dense<double>(33, 10, true, 12);
  Dense<float> df(33, 10, true);
  df.weight().assign(cast<float>(Tensor<double>::copy_of(dd.weight().view())), "fc");
  df.bias().assign(cast<float>(Tensor<double>::copy_of(dd.bias().view())), "fc");
  auto x = random_tensor<double>(Shape{2, 33}, 13);
  Workspace<float> wsf;
  Tensor<float> yf(Shape{2, 10});
  df.forward(cast<float>(x), yf, wsf);
  require_close(cast<double>(yf), run_forward(dd, x), 1e-5, 1e-5, "float vs double");
}

TEST_CASE("Dense rejects wrong shapes and parameters with messages naming layer and shapes",
          "[layers][dense][errors]") {
  auto d = make_dense<float>(6, 4, true, 1);
  Workspace<float> ws;
  Tensor<float> x(Shape{2, 5}), y(Shape{2, 4});
  CHECK_THROWS_AS(d.forward(x, y, ws), ShapeError);
  CHECK_THROWS_WITH(d.forward(x, y, ws), Catch::Contains("[attrib.shape.100]") &&
                                             Catch::Contains("Dense 'fc'") &&
                                             Catch::Contains("[2, 5]") && Catch::Contains("[N, 6]"));
  Tensor<float> x2(Shape{2, 6}), ybad(Shape{2, 3});
  CHECK_THROWS_WITH(d.forward(x2, ybad, ws), Catch::Contains("output") && Catch::Contains("[2, 3]") &&
                                                  Catch::Contains("expected [2, 4]"));
  CHECK_THROWS_AS(Dense<float>(0, 3), ParameterError);
}

TEST_CASE("Dense binds engine weight buffers without copying", "[layers][dense]") {
  std::vector<double> w(12, 0.5), b(3, 1.0);
  Dense<double> d(4, 3);
  d.weight().bind(wrap(static_cast<const double*>(w.data()), Shape{3, 4}), "fc");
  d.bias().bind(wrap(static_cast<const double*>(b.data()), Shape{3}), "fc");
  CHECK(d.weight().data() == w.data());
  CHECK(d.bias().data() == b.data());
  Tensor<double> x(Shape{1, 4}, 1.0), y(Shape{1, 3});
  Workspace<double> ws;
  d.forward(x, y, ws);
  CHECK(y[0] == Approx(3.0));
}
