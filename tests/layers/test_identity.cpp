#include "support/layer_checks.hpp"
#include "attrib/layers/identity.hpp"

using namespace attrib;
using namespace attrib::test;

namespace {
template <class L>
void check_pass_through(const L& layer) {
  using T = typename L::Scalar;
  auto x = random_tensor<T>(Shape{2, 3, 4}, 1);
  Workspace<T> ws;
  REQUIRE(layer.output_shape(x.shape()) == x.shape());
  Tensor<T> y(x.shape()), gx(x.shape());
  layer.forward(x, y, ws);
  for (Index i = 0; i < x.size(); ++i) CHECK(y[i] == x[i]);
  auto gy = random_tensor<T>(x.shape(), 2);
  layer.backward(x, gy, gx, ws);
  for (Index i = 0; i < x.size(); ++i) CHECK(gx[i] == gy[i]);
}
}  // namespace

TEMPLATE_TEST_CASE("Identity and eval-mode Dropout pass values and gradients through", "[layers][identity]",
                   float, double) {
  check_pass_through(Identity<TestType>{});
  check_pass_through(Dropout<TestType>{});
  check_pass_through(Dropout<TestType>{0.9});
  CHECK(Dropout<TestType>{}.p() == 0.5);
  CHECK(Dropout<TestType>{0.0}.p() == 0.0);
}

TEST_CASE("Identity and Dropout backward match finite differences", "[layers][identity]") {
  check_backward_fd(Identity<double>{}, random_tensor<double>(Shape{2, 3, 2, 2}, 3), 4);
  check_backward_fd(Dropout<double>{0.2}, random_tensor<double>(Shape{3, 5}, 5), 6);
  check_batch_equals_samples(Dropout<double>{0.2}, random_tensor<double>(Shape{3, 5}, 7));
}

TEST_CASE("Dropout rejects p outside 0 <= p < 1 and both layers name themselves in shape errors",
          "[layers][identity][errors]") {
  CHECK_THROWS_WITH(Dropout<float>(1.0), Catch::Contains("[attrib.param.420]") && Catch::Contains("p = 1"));
  CHECK_THROWS_AS(Dropout<float>(-0.1), ParameterError);
  CHECK_THROWS_AS(Dropout<double>(std::nan("")), ParameterError);

  Dropout<float> d(0.1);
  d.set_name("classifier.2");
  Identity<float> id;
  id.set_name("skip");
  Workspace<float> ws;
  Tensor<float> x(Shape{2, 4}), y(Shape{2, 5});
  CHECK_THROWS_WITH(d.forward(x, y, ws), Catch::Contains("Dropout 'classifier.2'") &&
                                             Catch::Contains("[2, 5]") &&
                                             Catch::Contains("expected [2, 4]"));
  CHECK_THROWS_WITH(id.forward(x, y, ws), Catch::Contains("Identity 'skip'"));
  CHECK_THROWS_WITH(id.backward(x, y, x, ws), Catch::Contains("output signal") && Catch::Contains("[2, 5]"));
}
