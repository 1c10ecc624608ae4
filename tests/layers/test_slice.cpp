#include <vector>

#include "support/layer_checks.hpp"
#include "attrib/layers/slice.hpp"

using namespace attrib;
using namespace attrib::test;

namespace {

// Naive: y[..., i, ...] = x[..., first + i step, ...] over padded 4-d coordinates.
template <class T>
Tensor<T> naive_slice(const Tensor<T>& x, int axis, Index first, Index len, Index step) {
  Shape out = x.shape();
  out[axis] = len;
  Tensor<T> y(out);
  Index c[4], d[4] = {1, 1, 1, 1};
  for (int i = 0; i < out.rank(); ++i) d[i] = out[i];
  Index o = 0;
  for (c[0] = 0; c[0] < d[0]; ++c[0])
    for (c[1] = 0; c[1] < d[1]; ++c[1])
      for (c[2] = 0; c[2] < d[2]; ++c[2])
        for (c[3] = 0; c[3] < d[3]; ++c[3], ++o) {
          Index in = 0;
          for (int i = 0; i < out.rank(); ++i) in = in * x.dim(i) + (i == axis ? first + c[i] * step : c[i]);
          y[o] = x[in];
        }
  return y;
}

}  // namespace

TEMPLATE_TEST_CASE("Slice follows Python's start/end rules like a naive loop", "[layers][slice]", float, double) {
  using T = TestType;
  struct Case {
    int axis;
    Index start, end, step;
    Shape in;
    int resolved;
    Index first, len;  // by hand, from Python's x[start:end:step]
  };
  const Case cases[] = {
      {1, 2, 5, 1, Shape{2, 7, 3, 4}, 1, 2, 3},
      {3, 1, 8, 3, Shape{2, 3, 4, 9}, 3, 1, 3},
      {-2, -3, -1, 1, Shape{2, 3, 5, 4}, 2, 2, 2},
      {1, 4, Slice<T>::to_end, 1, Shape{2, 6, 3}, 1, 4, 2},
      {1, -100, 1000, 2, Shape{2, 5}, 1, 0, 3},
      {2, 0, 1, 1, Shape{1, 2, 3, 3}, 2, 0, 1},
  };
  unsigned seed = 1;
  for (const Case& c : cases) {
    Slice<T> s(c.axis, c.start, c.end, c.step);
    INFO("axis " << c.axis << " [" << c.start << ":" << c.end << ":" << c.step << "] of " << c.in);
    CHECK(s.range(c.in) == std::make_pair(c.first, c.len));
    auto x = random_tensor<T>(c.in, seed++);
    Workspace<T> ws;
    Tensor<T> y(s.output_shape(c.in));
    s.forward(x, y, ws);
    require_close(y, naive_slice(x, c.resolved, c.first, c.len, c.step), 0, 0, "forward");
    // backward: gx is gy at the sliced positions and 0 elsewhere.
    auto gy = random_tensor<T>(y.shape(), seed++);
    Tensor<T> gx(c.in, T(9));
    s.backward(x, gy, gx, ws);
    require_close(naive_slice(gx, c.resolved, c.first, c.len, c.step), gy, 0, 0, "backward at the slice");
    double total = 0, sliced = 0;
    for (Index i = 0; i < gx.size(); ++i) total += std::abs(double(gx[i]));
    for (Index i = 0; i < gy.size(); ++i) sliced += std::abs(double(gy[i]));
    CHECK(total == Approx(sliced));  // zeros elsewhere
  }
}

TEST_CASE("Slice backward matches finite differences and batch items equal samples", "[layers][slice]") {
  Slice<double> s(2, 1, 6, 2);
  auto x = random_tensor<double>(Shape{2, 3, 7, 2}, 3);
  check_backward_fd(s, x, 4);
  check_batch_equals_samples(s, x);
}

TEST_CASE("split_slices builds consecutive parts that tile the axis", "[layers][slice]") {
  const auto parts = split_slices<double>(1, {2, 3, 1});
  REQUIRE(parts.size() == 3);
  auto x = random_tensor<double>(Shape{2, 6, 2}, 5);
  Workspace<double> ws;
  Tensor<double> sum_gx(x.shape()), gx(x.shape());
  Index at = 0;
  for (const auto& p : parts) {
    const auto r = p.range(x.shape());
    CHECK(r.first == at);
    at += r.second;
    Tensor<double> ones(p.output_shape(x.shape()), 1.0);
    p.backward(x, ones, gx, ws);
    sum_gx.add(gx);
  }
  CHECK(at == 6);
  for (Index i = 0; i < x.size(); ++i) CHECK(sum_gx[i] == 1.0);  // every position exactly once
  CHECK_THROWS_WITH(split_slices<double>(1, {}), Catch::Contains("[attrib.param.1012]"));
  CHECK_THROWS_WITH(split_slices<double>(1, {2, 0}), Catch::Contains("[attrib.param.1012]"));
}

TEST_CASE("Slice rejects the batch axis, bad steps and empty slices naming the layer", "[layers][slice][errors]") {
  CHECK_THROWS_WITH(Slice<float>(0, 0, 1), Catch::Contains("[attrib.param.1010]"));
  CHECK_THROWS_WITH(Slice<float>(1, 0, 1, 0), Catch::Contains("[attrib.param.1011]"));
  CHECK_THROWS_WITH(Slice<float>(1, 0, 1, -1), Catch::Contains("[attrib.param.1011]"));
  Slice<float> s(1, 5, 8);
  s.set_name("split.2");
  CHECK_THROWS_WITH(s.output_shape(Shape{2, 4, 3}), Catch::Contains("[attrib.shape.1010]") &&
                                                       Catch::Contains("Slice 'split.2'") && Catch::Contains("[2, 4, 3]"));
  CHECK_THROWS_WITH(Slice<float>(3, 0, 1).output_shape(Shape{2, 4, 3}), Catch::Contains("[attrib.shape.1002]"));
  Workspace<float> ws;
  Tensor<float> x(Shape{2, 8, 3}), y(Shape{2, 2, 3});
  CHECK_THROWS_WITH(s.forward(x, y, ws), Catch::Contains("output") && Catch::Contains("expected [2, 3, 3]"));
}
