// The structural layers (Concat, Slice, ChannelShuffle, Mul, ConstAffine, ReduceMean, Conv1d,
// MaxPool1d, AvgPool1d) make no heap allocation once their Workspace is warmed up: every
// primitive is run once, then a second round is counted with the tally of test_allocation.cpp.
#include <vector>

#include "support/allocation_counter.hpp"
#include "support/layer_checks.hpp"
#include "attrib/layers/channel_shuffle.hpp"
#include "attrib/layers/concat.hpp"
#include "attrib/layers/const_affine.hpp"
#include "attrib/layers/conv1d.hpp"
#include "attrib/layers/mul.hpp"
#include "attrib/layers/pool1d.hpp"
#include "attrib/layers/reduce_mean.hpp"
#include "attrib/layers/slice.hpp"

using namespace attrib;
using namespace attrib::test;

namespace {

/// Runs `all` once (warm-up), then returns the allocations of a second run.
template <class F>
long after_warm_up(F&& all) {
  all();
  return allocations_in(all);
}

/// forward + backward of a unary layer with a long name (beyond any small-string buffer).
template <class L, class T = typename L::Scalar>
long unary_allocations(L layer, const Shape& in) {
  layer.set_name("features.block7.structural_layer");
  Workspace<T> ws;
  Tensor<T> x = random_tensor<T>(in, 1), y(layer.output_shape(in)), gx(in);
  Tensor<T> gy = random_tensor<T>(y.shape(), 2);
  return after_warm_up([&] {
    layer.forward(x, y, ws);
    layer.backward(x, gy, gx, ws);
  });
}

template <class L, class T = typename L::Scalar>
long linear_allocations(const L& layer, const Shape& in) {
  Workspace<T> ws;
  Tensor<T> x = random_tensor<T>(in, 3), y(layer.output_shape(in)), gx(in);
  Tensor<T> gy = random_tensor<T>(y.shape(), 4);
  return after_warm_up([&] {
    layer.forward_transformed(transform::Positive{}, BiasMode::transformed, x, y, ws);
    layer.forward_transformed(transform::Affine<double>{1, 0.25, 0}, BiasMode::unchanged, x, y, ws);
    layer.backward_transformed(transform::Square{}, gy, gx, ws);
  });
}

}  // namespace

TEMPLATE_TEST_CASE("Structural layers do not allocate with a warmed-up workspace", "[layers][allocation]", float,
                   double) {
  using T = TestType;
  REQUIRE(allocation_counting_works());
  CHECK(unary_allocations(Slice<T>(1, 1, 7, 2), Shape{2, 8, 5, 5}) == 0);
  CHECK(unary_allocations(ChannelShuffle<T>(4), Shape{2, 16, 5, 5}) == 0);
  CHECK(unary_allocations(ConstAffine<T>::minus({1, 2, 3}), Shape{2, 3, 5, 5}) == 0);
  CHECK(unary_allocations(ReduceMean<T>(false), Shape{2, 8, 7, 7}) == 0);
  CHECK(unary_allocations(MaxPool1d<T>(3, Pool1dOptions().stride(2).padding(1).ceil_mode()), Shape{2, 4, 31}) == 0);
  CHECK(unary_allocations(AvgPool1d<T>(3, Pool1dOptions().stride(2).padding(1)), Shape{2, 4, 31}) == 0);
  CHECK(linear_allocations(ConstAffine<T>::times({2}), Shape{2, 3, 5, 5}) == 0);
  CHECK(linear_allocations(ReduceMean<T>(true), Shape{2, 8, 7}) == 0);
  CHECK(linear_allocations(AvgPool1d<T>(4, Pool1dOptions().stride(3)), Shape{2, 4, 31}) == 0);
}

TEMPLATE_TEST_CASE("Conv1d primitives do not allocate with a warmed-up workspace", "[layers][allocation][conv1d]",
                   float, double) {
  using T = TestType;
  REQUIRE(allocation_counting_works());
  struct Config {
    Index cin, cout, k;
    Conv1dOptions opt;
    Shape in;
  };
  const Config configs[] = {
      {32, 32, 3, Conv1dOptions().padding(1), Shape{2, 32, 200}},
      {16, 16, 5, Conv1dOptions().groups(16).padding(2).dilation(2), Shape{1, 16, 64}},
      {8, 12, 1, Conv1dOptions().bias(false), Shape{2, 8, 40}},
  };
  for (const Config& c : configs) {
    Conv1d<T> conv(c.cin, c.cout, c.k, c.opt);
    conv.set_name("encoder.layer3.depthwise_conv");
    fill_random(conv.weight().mutable_view(), 5);
    Workspace<T> ws;
    Tensor<T> x = random_tensor<T>(c.in, 6), y(conv.output_shape(c.in)), gx(c.in);
    Tensor<T> gy = random_tensor<T>(y.shape(), 7), a = random_tensor<T>(conv.weight().shape(), 8);
    CHECK(unary_allocations(conv, c.in) == 0);
    CHECK(linear_allocations(conv, c.in) == 0);
    CHECK(after_warm_up([&] {
            conv.forward_with(a, nullptr, x, y, ws);
            conv.backward_with(a, gy, gx, ws);
          }) == 0);
  }
}

TEMPLATE_TEST_CASE("Concat and Mul do not allocate with a warmed-up workspace", "[layers][allocation]", float, double) {
  using T = TestType;
  REQUIRE(allocation_counting_works());
  Concat<T> cat(1);
  cat.set_name("stage4.concat_branches");
  Tensor<T> a = random_tensor<T>(Shape{2, 3, 6, 6}, 1), b = random_tensor<T>(Shape{2, 5, 6, 6}, 2);
  Tensor<T> y(Shape{2, 8, 6, 6}), ga(a.shape()), gb(b.shape());
  Workspace<T> ws;
  CHECK(after_warm_up([&] {
          cat.forward({a.cview(), b.cview()}, y, ws);
          cat.backward({a.cview(), b.cview()}, 0, y, ga, ws);
          cat.backward({a.cview(), b.cview()}, 1, y, gb, ws);
        }) == 0);
  Mul<T> mul;
  mul.set_name("block.squeeze_excitation.scale");
  Tensor<T> g = random_tensor<T>(Shape{2, 3, 1, 1}, 3), gg(g.shape()), z(a.shape());
  CHECK(after_warm_up([&] {
          mul.forward(a, g, z, ws);
          mul.backward(a, g, z, ga, gg, ws);
          mul.deeplift_backward(a, a, g, g, z, ga, gg, ws);
        }) == 0);
}
