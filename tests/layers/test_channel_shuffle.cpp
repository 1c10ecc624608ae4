#include "support/layer_checks.hpp"
#include "attrib/layers/channel_shuffle.hpp"

using namespace attrib;
using namespace attrib::test;

TEMPLATE_TEST_CASE("ChannelShuffle is the Reshape-Transpose-Reshape permutation", "[layers][channel_shuffle]", float,
                   double) {
  using T = TestType;
  for (Index g : {1, 2, 3, 6}) {
    ChannelShuffle<T> shuffle(g);
    auto x = random_tensor<T>(Shape{2, 6, 2, 3}, unsigned(g));
    Workspace<T> ws;
    Tensor<T> y(shuffle.output_shape(x.shape()));
    shuffle.forward(x, y, ws);
    // Naive: view x as [N, g, C/g, HW], transpose the middle axes: y[n, j, i, p] = x[n, i, j, p].
    const Index per = 6 / g;
    for (Index n = 0; n < 2; ++n)
      for (Index i = 0; i < g; ++i)
        for (Index j = 0; j < per; ++j)
          for (Index p = 0; p < 6; ++p) CHECK(y[((n * 6) + j * g + i) * 6 + p] == x[((n * 6) + i * per + j) * 6 + p]);
    Tensor<T> gx(x.shape());
    shuffle.backward(x, y, gx, ws);  // the inverse permutation restores x
    require_close(gx, x, 0, 0, "backward inverts forward");
  }
  ChannelShuffle<T> s2(2);
  CHECK(s2.source_channel(1, 6) == 3);  // the torch fixture's example: [0, 3, 1, 4, 2, 5]
  CHECK(s2.source_channel(4, 6) == 2);
}

TEST_CASE("ChannelShuffle backward matches finite differences on rank 2 and 3", "[layers][channel_shuffle]") {
  ChannelShuffle<double> s(3);
  check_backward_fd(s, random_tensor<double>(Shape{2, 6}, 1), 2);
  check_backward_fd(s, random_tensor<double>(Shape{2, 9, 2}, 3), 4);
  check_batch_equals_samples(s, random_tensor<double>(Shape{3, 6, 2, 2}, 5));
}

TEST_CASE("ChannelShuffle rejects bad groups and channel counts", "[layers][channel_shuffle][errors]") {
  CHECK_THROWS_WITH(ChannelShuffle<float>(0), Catch::Contains("[attrib.param.1020]"));
  ChannelShuffle<float> s(4);
  s.set_name("stage3.shuffle");
  CHECK_THROWS_WITH(s.output_shape(Shape{2, 6, 3, 3}), Catch::Contains("[attrib.shape.1020]") &&
                                                          Catch::Contains("ChannelShuffle 'stage3.shuffle'") &&
                                                          Catch::Contains("[2, 6, 3, 3]"));
  CHECK_THROWS_AS(s.output_shape(Shape{8}), ShapeError);
}
