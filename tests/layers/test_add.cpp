#include "support/layer_checks.hpp"
#include "attrib/layers/add.hpp"

using namespace attrib;
using namespace attrib::test;

TEMPLATE_TEST_CASE("Add sums element-wise and passes the gradient to both inputs", "[layers][add]", float,
                   double) {
  Add<TestType> add;
  auto a = random_tensor<TestType>(Shape{2, 3, 4, 5}, 1), b = random_tensor<TestType>(a.shape(), 2);
  Workspace<TestType> ws;
  Tensor<TestType> y(add.output_shape(a.shape(), b.shape()));
  REQUIRE(y.shape() == a.shape());
  add.forward(a, b, y, ws);
  for (Index i = 0; i < y.size(); ++i) CHECK(y[i] == Approx(double(a[i]) + double(b[i])));

  auto gy = random_tensor<TestType>(a.shape(), 3);
  Tensor<TestType> ga(a.shape(), TestType(7)), gb(a.shape(), TestType(7));
  add.backward(gy, ga, gb, ws);
  for (Index i = 0; i < gy.size(); ++i) {
    CHECK(ga[i] == gy[i]);
    CHECK(gb[i] == gy[i]);
  }
}

TEST_CASE("Add backward matches finite differences in each operand", "[layers][add]") {
  Add<double> add;
  auto a = random_tensor<double>(Shape{2, 3, 2}, 4), b = random_tensor<double>(a.shape(), 5);
  auto gy = random_tensor<double>(a.shape(), 6);
  Workspace<double> ws;
  Tensor<double> ga(a.shape()), gb(a.shape());
  add.backward(gy, ga, gb, ws);
  auto sum = [&](const Tensor<double>& p, const Tensor<double>& q) {
    Tensor<double> y(p.shape());
    add.forward(p, q, y, ws);
    return y;
  };
  require_close(ga, fd_gradient([&](const Tensor<double>& x) { return sum(x, b); }, a, gy), 1e-6, 1e-6, "d/da");
  require_close(gb, fd_gradient([&](const Tensor<double>& x) { return sum(a, x); }, b, gy), 1e-6, 1e-6, "d/db");
}

TEST_CASE("Add batch items equal single samples", "[layers][add]") {
  Add<double> add;
  auto a = random_tensor<double>(Shape{3, 4}, 7), b = random_tensor<double>(a.shape(), 8);
  Workspace<double> ws;
  Tensor<double> y(a.shape()), yi(Shape{1, 4});
  add.forward(a, b, y, ws);
  for (Index i = 0; i < 3; ++i) {
    add.forward(a.view().slice(i, 1), b.view().slice(i, 1), yi, ws);
    require_close(yi, Tensor<double>::copy_of(y.view().slice(i, 1)), 1e-12, 1e-12, "sample");
  }
}

TEST_CASE("Add rejects operands of different shapes naming both", "[layers][add][errors]") {
  Add<float> add;
  add.set_name("layer1.0.add");
  Workspace<float> ws;
  Tensor<float> a(Shape{2, 8, 4, 4}), b(Shape{2, 8, 2, 2}), y(Shape{2, 8, 4, 4});
  CHECK_THROWS_AS(add.output_shape(a.shape(), b.shape()), ShapeError);
  CHECK_THROWS_WITH(add.forward(a, b, y, ws), Catch::Contains("[attrib.shape.410]") &&
                                                  Catch::Contains("Add 'layer1.0.add'") &&
                                                  Catch::Contains("[2, 8, 4, 4]") &&
                                                  Catch::Contains("[2, 8, 2, 2]"));
  Tensor<float> ybad(Shape{2, 8, 4, 3});
  CHECK_THROWS_WITH(add.forward(a, a, ybad, ws), Catch::Contains("output") &&
                                                     Catch::Contains("expected [2, 8, 4, 4]"));
  CHECK_THROWS_WITH(add.backward(a, a, b, ws), Catch::Contains("second input signal") &&
                                                   Catch::Contains("[2, 8, 2, 2]"));
}
