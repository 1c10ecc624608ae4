#include <vector>

#include "support/layer_checks.hpp"
#include "attrib/layers/concat.hpp"

using namespace attrib;
using namespace attrib::test;

namespace {

// Naive reference: output element (n, ..., i_axis, ...) reads the input whose range along the
// axis contains i_axis, by coordinates (rank padded to 4 on the right with 1s).
template <class T>
Tensor<T> naive_concat(const std::vector<Tensor<T>>& xs, int axis) {
  Shape out = xs[0].shape();
  for (std::size_t k = 1; k < xs.size(); ++k) out[axis] += xs[k].dim(axis);
  Tensor<T> y(out);
  Index c[4] = {0, 0, 0, 0}, dims[4] = {1, 1, 1, 1};
  for (int i = 0; i < out.rank(); ++i) dims[i] = out[i];
  for (c[0] = 0; c[0] < dims[0]; ++c[0])
    for (c[1] = 0; c[1] < dims[1]; ++c[1])
      for (c[2] = 0; c[2] < dims[2]; ++c[2])
        for (c[3] = 0; c[3] < dims[3]; ++c[3]) {
          Index local = c[axis];
          std::size_t k = 0;
          while (local >= xs[k].dim(axis)) local -= xs[k++].dim(axis);
          Index in = 0, o = 0;
          for (int i = 0; i < out.rank(); ++i) {
            in = in * xs[k].dim(i) + (i == axis ? local : c[i]);
            o = o * out[i] + c[i];
          }
          y[o] = xs[k][in];
        }
  return y;
}

}  // namespace

TEMPLATE_TEST_CASE("Concat joins n inputs along any non-batch axis like a naive loop", "[layers][concat]", float,
                   double) {
  using T = TestType;
  struct Case {
    int axis;
    std::vector<Shape> shapes;
  };
  const std::vector<Case> cases = {
      {1, {Shape{2, 3, 4, 5}, Shape{2, 1, 4, 5}, Shape{2, 2, 4, 5}}},
      {2, {Shape{2, 3, 2, 5}, Shape{2, 3, 4, 5}}},
      {-1, {Shape{2, 3, 4, 1}, Shape{2, 3, 4, 3}, Shape{2, 3, 4, 2}}},
      {1, {Shape{3, 4}, Shape{3, 1}}},
      {2, {Shape{2, 3, 4}, Shape{2, 3, 2}}},
      {1, {Shape{2, 5, 3}}},
  };
  unsigned seed = 1;
  for (const Case& c : cases) {
    Concat<T> cat(c.axis);
    std::vector<Tensor<T>> xs;
    std::vector<ConstView<T>> views;
    for (const Shape& s : c.shapes) xs.push_back(random_tensor<T>(s, seed++));
    for (const auto& x : xs) views.push_back(x.view());
    const int axis = c.axis < 0 ? c.axis + c.shapes[0].rank() : c.axis;
    Workspace<T> ws;
    Tensor<T> y(cat.output_shape(c.shapes));
    cat.forward(views, y, ws);
    require_close(y, naive_concat(xs, axis), 0, 0, "forward");  // a copy: exact
    // Backward is the split: gx_k equals the naive split of gy, read back through concat.
    Tensor<T> gy = random_tensor<T>(y.shape(), seed++);
    std::vector<Tensor<T>> gx;
    for (const Shape& s : c.shapes) gx.emplace_back(s, T(7));
    for (int k = 0; k < int(gx.size()); ++k) cat.backward(views, k, gy, gx[std::size_t(k)], ws);
    require_close(naive_concat(gx, axis), gy, 0, 0, "backward is the split");
  }
}

TEST_CASE("Concat backward matches finite differences for each input", "[layers][concat]") {
  Concat<double> cat(2);
  auto a = random_tensor<double>(Shape{2, 2, 3, 2}, 1), b = random_tensor<double>(Shape{2, 2, 1, 2}, 2);
  Workspace<double> ws;
  auto f = [&](const Tensor<double>& p, const Tensor<double>& q) {
    Tensor<double> y(cat.output_shape({p.shape(), q.shape()}));
    cat.forward({p.view(), q.view()}, y, ws);
    return y;
  };
  Tensor<double> gy = random_tensor<double>(Shape{2, 2, 4, 2}, 3), ga(a.shape()), gb(b.shape());
  cat.backward({a.view(), b.view()}, 0, gy, ga, ws);
  cat.backward({a.view(), b.view()}, 1, gy, gb, ws);
  require_close(ga, fd_gradient([&](const Tensor<double>& x) { return f(x, b); }, a, gy), 1e-6, 1e-6, "d/da");
  require_close(gb, fd_gradient([&](const Tensor<double>& x) { return f(a, x); }, b, gy), 1e-6, 1e-6, "d/db");
}

TEST_CASE("Concat batch items equal single samples", "[layers][concat]") {
  Concat<double> cat(1);
  auto a = random_tensor<double>(Shape{3, 2, 4}, 4), b = random_tensor<double>(Shape{3, 3, 4}, 5);
  Workspace<double> ws;
  Tensor<double> y(Shape{3, 5, 4}), yi(Shape{1, 5, 4});
  cat.forward({a.view(), b.view()}, y, ws);
  for (Index i = 0; i < 3; ++i) {
    cat.forward({ConstView<double>(a.view().slice(i, 1)), ConstView<double>(b.view().slice(i, 1))}, yi, ws);
    require_close(yi, Tensor<double>::copy_of(y.view().slice(i, 1)), 0, 0, "sample");
  }
}

TEST_CASE("Concat rejects bad axes, mismatched inputs and wrong buffers naming the layer", "[layers][concat][errors]") {
  CHECK_THROWS_WITH(Concat<float>(0), Catch::Contains("[attrib.param.1000]") && Catch::Contains("batch axis"));
  Concat<float> cat(1);
  cat.set_name("stage2.cat");
  Workspace<float> ws;
  CHECK_THROWS_WITH(cat.output_shape(Span<Shape>()), Catch::Contains("[attrib.shape.1000]"));
  CHECK_THROWS_WITH(cat.output_shape({Shape{2, 3, 4, 4}, Shape{2, 3, 4, 5}}),
                    Catch::Contains("[attrib.shape.1001]") && Catch::Contains("Concat 'stage2.cat'") &&
                        Catch::Contains("[2, 3, 4, 5]") && Catch::Contains("[2, 3, 4, 4]"));
  CHECK_THROWS_AS(cat.output_shape({Shape{2, 3, 4}, Shape{2, 3, 4, 1}}), ShapeError);
  CHECK_THROWS_WITH(Concat<float>(4).output_shape({Shape{2, 3, 4, 4}}), Catch::Contains("[attrib.shape.1002]"));
  CHECK_THROWS_WITH(Concat<float>(-4).output_shape({Shape{2, 3, 4, 4}}), Catch::Contains("[attrib.shape.1002]"));
  Tensor<float> a(Shape{2, 3, 4}), b(Shape{2, 2, 4}), y(Shape{2, 4, 4}), ga(Shape{2, 3, 4}), gb(Shape{2, 1, 4});
  Tensor<float> a1(Shape{2, 3, 4}), b1(Shape{2, 1, 4});
  CHECK_THROWS_WITH(cat.forward({a.view(), b.view()}, y, ws), Catch::Contains("output") && Catch::Contains("[2, 5, 4]"));
  Tensor<float> gy(Shape{2, 5, 4});
  CHECK_THROWS_WITH(cat.backward({a1.view(), b1.view()}, 1, gy, gb, ws),
                    Catch::Contains("output signal") && Catch::Contains("expected [2, 4, 4]"));
}
