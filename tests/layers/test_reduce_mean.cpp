#include "support/layer_checks.hpp"
#include "attrib/layers/reduce_mean.hpp"

using namespace attrib;
using namespace attrib::test;

TEMPLATE_TEST_CASE("ReduceMean averages the spatial axes with and without keepdims", "[layers][reduce_mean]", float,
                   double) {
  using T = TestType;
  struct Case {
    bool keep;
    Shape in, out;
  };
  const Case cases[] = {{true, Shape{2, 3, 4, 5}, Shape{2, 3, 1, 1}},
                        {false, Shape{2, 3, 4, 5}, Shape{2, 3}},
                        {true, Shape{2, 3, 7}, Shape{2, 3, 1}},
                        {false, Shape{2, 3, 7}, Shape{2, 3}},
                        {true, Shape{1, 2, 1, 1}, Shape{1, 2, 1, 1}}};
  unsigned seed = 1;
  for (const Case& c : cases) {
    ReduceMean<T> mean(c.keep);
    INFO(c.in << (c.keep ? " keepdims" : ""));
    REQUIRE(mean.output_shape(c.in) == c.out);
    auto x = random_tensor<T>(c.in, seed++);
    Workspace<T> ws;
    Tensor<T> y(c.out);
    mean.forward(x, y, ws);
    const Index planes = c.in[0] * c.in[1], n = x.size() / planes;
    for (Index p = 0; p < planes; ++p) {
      double s = 0;
      for (Index i = 0; i < n; ++i) s += double(x[p * n + i]);
      CHECK(double(y[p]) == Approx(s / double(n)).epsilon(1e-14).margin(std::is_same_v<T, float> ? 1e-6 : 1e-15));
    }
    auto gy = random_tensor<T>(c.out, seed++);
    Tensor<T> gx(c.in);
    mean.backward(x, gy, gx, ws);
    for (Index i = 0; i < x.size(); ++i)
      CHECK(double(gx[i]) == Approx(double(gy[i / n]) / double(n)).epsilon(1e-14).margin(std::is_same_v<T, float> ? 1e-6 : 1e-15));
  }
}

TEST_CASE("ReduceMean backward, adjoint and batch checks", "[layers][reduce_mean]") {
  ReduceMean<double> keep(true), flat(false);
  check_backward_fd(flat, random_tensor<double>(Shape{2, 3, 3, 2}, 1), 2);
  check_backward_fd(keep, random_tensor<double>(Shape{2, 3, 5}, 3), 4);
  check_adjoint(flat, transform::Identity{}, Shape{2, 3, 4, 2}, 5);
  check_adjoint(keep, transform::Square{}, Shape{2, 3, 4}, 6);
  check_batch_equals_samples(flat, random_tensor<double>(Shape{3, 2, 2, 3}, 7));
}

TEST_CASE("ReduceMean equals GlobalAvgPool2d with keepdims", "[layers][reduce_mean]") {
  ReduceMean<double> mean;
  GlobalAvgPool2d<double> gap;
  auto x = random_tensor<double>(Shape{2, 3, 4, 5}, 8);
  require_close(run_forward(mean, x), run_forward(gap, x), 0, 0, "same computation");
}

TEST_CASE("ReduceMean rejects other ranks and empty extents naming itself", "[layers][reduce_mean][errors]") {
  ReduceMean<float> mean(false);
  mean.set_name("head.mean");
  CHECK_THROWS_WITH(mean.output_shape(Shape{2, 3}), Catch::Contains("[attrib.shape.1050]") &&
                                                       Catch::Contains("ReduceMean 'head.mean'") &&
                                                       Catch::Contains("[2, 3]"));
  CHECK_THROWS_WITH(mean.output_shape(Shape{2, 3, 0, 2}), Catch::Contains("[attrib.shape.310]") &&
                                                             Catch::Contains("ReduceMean 'head.mean'"));
  Workspace<float> ws;
  Tensor<float> x(Shape{2, 3, 4, 4}), y(Shape{2, 3, 1, 1});
  CHECK_THROWS_WITH(mean.forward(x, y, ws), Catch::Contains("output") && Catch::Contains("expected [2, 3]"));
}
