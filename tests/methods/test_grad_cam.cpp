// Grad-CAM: theory A.7 T16 linear-head oracles, the GAP + linear head exact case (CAM), the
// final ReLU, layer addressing, errors.
#include "support/support.hpp"
#include "attrib/attrib.hpp"
#include "attrib/methods/grad_cam.hpp"

using namespace attrib;
using namespace attrib::test;

namespace {
/// Feature map A = the input [N, C, 1, P] through an Identity named "features", then a linear
/// head y = sum_{k,p} W_{k,p} A_{k,p} (no bias).
Network<double> linear_head(std::initializer_list<double> w, Index c, Index p) {
  Network<double> net;
  net.add(Identity<double>(), "features");
  net.add(Flatten<double>(), "flatten");
  Dense<double> d(c * p, 1, false);
  std::copy(w.begin(), w.end(), d.weight().mutable_view().data());
  net.add(d, "head");
  return net;
}
Tensor<double> fmap(std::initializer_list<double> a, Index c, Index p) { return Tensor<double>(Shape{1, c, 1, p}, a); }
void require_values(const Tensor<double>& t, std::initializer_list<double> v) {
  REQUIRE(t.size() == Index(v.size()));
  Index i = 0;
  for (double e : v) {
    INFO("element " << i << ": " << t[i] << " vs " << e);
    REQUIRE(std::abs(t[i] - e) < 1e-14);
    ++i;
  }
}
}  // namespace

TEST_CASE("grad_cam: T16 linear-head oracles (no final ReLU)", "[methods][gradcam]") {
  GradCamOptions o;
  o.relu = false;
  SECTION("W = [[2, 0]], A = [[1, 1]]: units (1, 1) vs exact (2, 0)") {
    auto net = linear_head({2, 0}, 1, 2);
    auto a = fmap({1, 1}, 1, 2);
    auto r = grad_cam(net, a.cview(), 0, "features", o);
    require_values(r.units, {1, 1});
    require_values(r.map, {1, 1});
    require_values(r.weights, {1});
    REQUIRE(r.map.shape() == Shape({1, 1, 2}));
    REQUIRE(std::abs(r.output[0] - 2) < 1e-14);
  }
  SECTION("W = [[2, 0]], A = [[1, 3]]: (1, 3), total 4 != y = 2") {
    auto net = linear_head({2, 0}, 1, 2);
    auto a = fmap({1, 3}, 1, 2);
    auto r = grad_cam(net, a.cview(), 0, "features", o);
    require_values(r.map, {1, 3});
    REQUIRE(std::abs(r.output[0] - 2) < 1e-14);
  }
  SECTION("W = [[1,1],[3,-1]], A = [[1,2],[2,1]]: units [[1,2],[2,1]] (total 6), y = 8") {
    auto net = linear_head({1, 1, 3, -1}, 2, 2);
    auto a = fmap({1, 2, 2, 1}, 2, 2);
    auto r = grad_cam(net, a.cview(), 0, Index(0), o);
    require_values(r.units, {1, 2, 2, 1});
    require_values(r.weights, {1, 1});
    require_values(r.map, {3, 3});
    REQUIRE(std::abs(r.output[0] - 8) < 1e-14);
  }
}

TEST_CASE("grad_cam: the final ReLU drops negative evidence", "[methods][gradcam]") {
  auto net = linear_head({-2, 0, 1, 1}, 2, 2);  // alpha = (-1, 1)
  auto a = fmap({1, 3, 1, 1}, 2, 2);            // map = (-1 + 1, -3 + 1) = (0, -2)
  GradCamOptions o;
  o.relu = false;
  require_values(grad_cam(net, a.cview(), 0, "features", o).map, {0, -2});
  require_values(grad_cam(net, a.cview(), 0, "features").map, {0, 0});
}

TEST_CASE("grad_cam: GAP + linear head = CAM, an exact decomposition of y - bias", "[methods][gradcam]") {
  // conv features -> ReLU (the addressed layer) -> global average pool -> dense.
  Network<double> net;
  Conv2d<double> conv(2, 3, 3, 3, Conv2dOptions().padding(1));
  fill_random(conv.weight().mutable_view(), 1);
  fill_random(conv.bias().mutable_view(), 2);
  net.add(conv, "conv");
  net.add(ReLU<double>(), "relu");
  net.add(GlobalAvgPool2d<double>(), "gap");
  net.add(Flatten<double>(), "flatten");
  Dense<double> d(3, 4);
  fill_random(d.weight().mutable_view(), 3);
  fill_random(d.bias().mutable_view(), 4);
  net.add(d, "fc");
  auto x = random_tensor<double>(Shape{2, 2, 5, 5}, 5);
  GradCamOptions o;
  o.relu = false;
  auto r = grad_cam(net, x.cview(), Targets{1, 3}, "relu", o);
  REQUIRE(r.map.shape() == Shape({2, 5, 5}));
  REQUIRE(r.units.shape() == Shape({2, 3, 5, 5}));
  for (Index i = 0; i < 2; ++i) {
    const Index c = i == 0 ? 1 : 3;
    double s = 0;
    for (Index p = 0; p < 25; ++p) s += r.map[i * 25 + p];
    const double bias = d.bias().view()[c];
    REQUIRE(std::abs(s - (r.output.at(i, c) - bias)) < 1e-12);
    // the gradient at every position of channel k is w_{c,k} / 25, so is its mean alpha_k
    for (Index k = 0; k < 3; ++k) REQUIRE(std::abs(r.weights.at(i, k) - d.weight().view().at(c, k) / 25) < 1e-14);
  }
}

TEST_CASE("grad_cam: errors", "[methods][gradcam]") {
  auto net = linear_head({2, 0}, 1, 2);
  auto a = fmap({1, 1}, 1, 2);
  REQUIRE_THROWS_WITH(grad_cam(net, a.cview(), 0, Index(7)), Catch::Contains("attrib.arg.745") && Catch::Contains("3 nodes"));
  REQUIRE_THROWS_WITH(grad_cam(net, a.cview(), 0, "head"),
                      Catch::Contains("attrib.shape.745") && Catch::Contains("Dense 'head'") && Catch::Contains("[1, 1]"));
  REQUIRE_THROWS(grad_cam(net, a.cview(), 0, "nope"));
}
