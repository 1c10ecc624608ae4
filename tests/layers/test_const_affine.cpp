#include <limits>
#include <vector>

#include "support/layer_checks.hpp"
#include "attrib/layers/const_affine.hpp"

using namespace attrib;
using namespace attrib::test;

TEMPLATE_TEST_CASE("ConstAffine's factories compute x + c, x - c, c - x, c x and x / c", "[layers][const_affine]",
                   float, double) {
  using T = TestType;
  auto x = random_tensor<T>(Shape{2, 3, 2, 2}, 1);
  const std::vector<T> per{T(0.5), T(-2), T(4)};
  struct Case {
    const char* label;
    ConstAffine<T> layer;
    double (*f)(double x, double c);
    std::vector<T> c;
  };
  const std::vector<Case> cases = {
      {"x + 3", ConstAffine<T>::plus({T(3)}), [](double v, double c) { return v + c; }, {T(3)}},
      {"x - c per channel", ConstAffine<T>::minus(per), [](double v, double c) { return v - c; }, per},
      {"1 - x", ConstAffine<T>::subtracted_from({T(1)}), [](double v, double c) { return c - v; }, {T(1)}},
      {"c x per channel", ConstAffine<T>::times(per), [](double v, double c) { return c * v; }, per},
      {"x / 6", ConstAffine<T>::divided_by({T(6)}), [](double v, double c) { return v / c; }, {T(6)}},
      {"x / c per channel", ConstAffine<T>::divided_by(per), [](double v, double c) { return v / c; }, per},
  };
  for (const Case& c : cases) {
    INFO(c.label);
    Workspace<T> ws;
    Tensor<T> y(c.layer.output_shape(x.shape()));
    c.layer.forward(x, y, ws);
    Tensor<double> ref(x.shape());
    for (Index i = 0; i < x.size(); ++i) {
      const Index ch = (i / 4) % 3;
      ref[i] = c.f(double(x[i]), double(c.c.size() == 1 ? c.c[0] : c.c[std::size_t(ch)]));
    }
    const double t = std::is_same_v<T, float> ? 1e-6 : 1e-15;
    require_close(y, ref, t, t, "forward");
  }
}

TEST_CASE("ConstAffine backward, adjoint and batch checks", "[layers][const_affine]") {
  ConstAffine<double> scalar({-1.5}, {0.25}), per({0.5, -2, 3}, {1, 0, -1}), mixed({2.0}, {1, 2, 3});
  for (const auto* layer : {&scalar, &per, &mixed}) {
    check_backward_fd(*layer, random_tensor<double>(Shape{2, 3, 3, 2}, 1), 2);
    check_backward_fd(*layer, random_tensor<double>(Shape{2, 3}, 3), 4);
    check_adjoint(*layer, transform::Identity{}, Shape{2, 3, 2}, 5);
    check_adjoint(*layer, transform::Positive{}, Shape{2, 3, 2, 2}, 6);
    check_batch_equals_samples(*layer, random_tensor<double>(Shape{3, 3, 2, 2}, 7));
  }
  check_backward_fd(scalar, random_tensor<double>(Shape{5}, 8), 9);  // scalars accept any rank
}

TEST_CASE("ConstAffine's transformed primitives apply f to the scale and follow the bias mode",
          "[layers][const_affine]") {
  ConstAffine<double> layer({0.5, -2}, {1, 3});
  Tensor<double> x(Shape{1, 2, 1}, std::vector<double>{4, 5});
  Workspace<double> ws;
  Tensor<double> y(x.shape());
  layer.forward_transformed(transform::Positive{}, BiasMode::none, x, y, ws);
  require_values(y, {2, 0}, 1e-15);
  layer.forward_transformed(transform::Negative{}, BiasMode::transformed, x, y, ws);
  require_values(y, {0, -10}, 1e-15);  // f(b) = min(b, 0) = 0 for both
  layer.forward_transformed(transform::Square{}, BiasMode::unchanged, x, y, ws);
  require_values(y, {2, 23}, 1e-15);
  Tensor<double> gx(x.shape());
  layer.backward_transformed(transform::Square{}, x, gx, ws);
  require_values(gx, {1, 20}, 1e-15);
}

TEST_CASE("ConstAffine rejects bad constants and channel counts", "[layers][const_affine][errors]") {
  using A = ConstAffine<float>;
  CHECK_THROWS_WITH(A({}, {1.f}), Catch::Contains("[attrib.param.1040]"));
  CHECK_THROWS_WITH(A({1.f, 2.f}, {1.f, 2.f, 3.f}), Catch::Contains("[attrib.param.1040]"));
  CHECK_THROWS_WITH(A({1.f}, {std::numeric_limits<float>::infinity()}),
                    Catch::Contains("[attrib.param.1041]") && Catch::Contains("shift[0]"));
  CHECK_THROWS_WITH(A::divided_by({1.f, 0.f}), Catch::Contains("[attrib.param.1042]") && Catch::Contains("divisor[1]"));
  A layer = A::plus({1.f, 2.f, 3.f});
  layer.set_name("hardswish.add");
  CHECK_THROWS_WITH(layer.output_shape(Shape{2, 4, 3, 3}), Catch::Contains("[attrib.shape.1040]") &&
                                                              Catch::Contains("ConstAffine 'hardswish.add'") &&
                                                              Catch::Contains("[2, 4, 3, 3]"));
}
