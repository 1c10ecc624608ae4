#include "support/layer_checks.hpp"
#include "attrib/layers/flatten.hpp"

using namespace attrib;
using namespace attrib::test;

TEMPLATE_TEST_CASE("Flatten keeps row-major order and reshapes the gradient back", "[layers][flatten]", float,
                   double) {
  Flatten<TestType> fl;
  CHECK(fl.output_shape(Shape{2, 3, 4, 5}) == Shape{2, 60});
  CHECK(fl.output_shape(Shape{2, 3, 4}) == Shape{2, 12});
  CHECK(fl.output_shape(Shape{2, 7}) == Shape{2, 7});
  auto x = random_tensor<TestType>(Shape{2, 3, 2, 2}, 1);
  Workspace<TestType> ws;
  Tensor<TestType> y(Shape{2, 12});
  fl.forward(x, y, ws);
  for (Index n = 0; n < 2; ++n)
    for (Index c = 0; c < 3; ++c)
      for (Index h = 0; h < 2; ++h)
        for (Index w = 0; w < 2; ++w) CHECK(y.at(n, (c * 2 + h) * 2 + w) == x.at(n, c, h, w));
  auto gy = random_tensor<TestType>(y.shape(), 2);
  Tensor<TestType> gx(x.shape());
  fl.backward(x, gy, gx, ws);
  for (Index n = 0; n < 2; ++n)
    for (Index c = 0; c < 3; ++c)
      for (Index h = 0; h < 2; ++h)
        for (Index w = 0; w < 2; ++w) CHECK(gx.at(n, c, h, w) == gy.at(n, (c * 2 + h) * 2 + w));
}

TEST_CASE("Flatten backward matches finite differences and batch items equal single samples",
          "[layers][flatten]") {
  Flatten<double> fl;
  check_backward_fd(fl, random_tensor<double>(Shape{2, 2, 3, 2}, 3), 4);
  check_batch_equals_samples(fl, random_tensor<double>(Shape{3, 2, 2, 2}, 5));
}

TEST_CASE("Flatten rejects rank 1 and mismatched buffers", "[layers][flatten][errors]") {
  Flatten<float> fl;
  fl.set_name("flat");
  CHECK_THROWS_WITH(fl.output_shape(Shape{5}), Catch::Contains("[attrib.shape.420]") &&
                                                   Catch::Contains("Flatten 'flat'") && Catch::Contains("[5]"));
  Workspace<float> ws;
  Tensor<float> x(Shape{2, 3, 4, 4}), y(Shape{2, 47}), gx(Shape{2, 3, 4, 3});
  CHECK_THROWS_WITH(fl.forward(x, y, ws), Catch::Contains("output") && Catch::Contains("[2, 47]") &&
                                              Catch::Contains("expected [2, 48]"));
  Tensor<float> gy(Shape{2, 48});
  CHECK_THROWS_WITH(fl.backward(x, gy, gx, ws), Catch::Contains("input signal") &&
                                                    Catch::Contains("expected [2, 3, 4, 4]"));
  CHECK_THROWS_WITH(fl.backward(x, y, gx, ws), Catch::Contains("output signal") && Catch::Contains("[2, 47]"));
}
