#include "support/layer_checks.hpp"
#include "attrib/layers/relu.hpp"

using namespace attrib;
using namespace attrib::test;

TEMPLATE_TEST_CASE("ReLU forward and backward follow max(x,0) and 1[x>0]", "[layers][relu]", float, double) {
  ReLU<TestType> r;
  Tensor<TestType> x(Shape{1, 4}, std::vector<TestType>{-1, 0, 2, -0.5});
  Tensor<TestType> y(x.shape()), g(x.shape()), gy(x.shape(), TestType(3));
  Workspace<TestType> ws;
  r.forward(x, y, ws);
  CHECK(y[0] == 0);
  CHECK(y[1] == 0);
  CHECK(y[2] == Approx(2));
  r.backward(x, gy, g, ws);
  CHECK(g[0] == 0);
  CHECK(g[1] == 0);  // gradient 0 at x == 0, as PyTorch
  CHECK(g[2] == Approx(3));
}

TEST_CASE("ReLU backward matches finite differences away from the kink", "[layers][relu]") {
  ReLU<double> r;
  auto x = random_tensor<double>(Shape{2, 3, 4, 5}, 3);
  for (Index i = 0; i < x.size(); ++i)
    if (std::abs(x[i]) < 1e-3) x[i] = 0.5;
  check_backward_fd(r, x, 4);
}

TEST_CASE("ReLU rejects mismatched signal shapes", "[layers][relu][errors]") {
  ReLU<float> r;
  r.set_name("features.1");
  Tensor<float> x(Shape{1, 4}), gy(Shape{1, 5}), gx(Shape{1, 4});
  Workspace<float> ws;
  CHECK_THROWS_WITH(r.backward(x, gy, gx, ws), Catch::Contains("ReLU 'features.1'") &&
                                                   Catch::Contains("[1, 5]") &&
                                                   Catch::Contains("expected [1, 4]"));
}
