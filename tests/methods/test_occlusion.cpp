// Occlusion-1 and patch occlusion: theory A.7 oracles (T1, T2 patch example, T5, T14), a naive
// reference on an image-shaped network, baseline tensors, batching, errors.
#include "support/support.hpp"
#include "methods/poly.hpp"
#include "attrib/attrib.hpp"
#include "attrib/methods/occlusion.hpp"

using namespace attrib;
using namespace attrib::test;

TEMPLATE_TEST_CASE("occlusion: theory A.7 oracles", "[methods][occlusion]", float, double) {
  using T = TestType;
  const double tol = std::is_same_v<T, float> ? 1e-6 : 1e-14;
  SECTION("T1 Occlusion-1 of x1 x2 at (2,3): (6,6)") {
    auto p = t1<T>();
    auto r = occlusion(p, row<T>({2, 3}), 0);
    require_values(r.attribution, {6, 6}, tol);
    REQUIRE(r.windows == 2);
    REQUIRE(std::abs(r.output[0] - 6) < tol);
  }
  SECTION("T2 x1 x2 + x3 at (2,3,5): O1 = (6,6,5); windows {1,2},{2,3}: (6, 17/2, 11)") {
    auto p = t2<T>();
    auto x = row<T>({2, 3, 5});
    require_values(occlusion(p, x, 0).attribution, {6, 6, 5}, tol);
    OcclusionOptions<T> o;
    o.window = Shape{2};
    o.stride = Shape{1};
    auto r = occlusion(p, x, 0, o);
    require_values(r.attribution, {6, 8.5, 11}, tol);
    require_values(r.coverage, {1, 2, 1}, 0);
    REQUIRE(r.windows == 2);
  }
  SECTION("T5 x1 x2 x3 with baseline (1,1,1) at (2,3,4): (12, 16, 18)") {
    auto p = t5<T>();
    auto b = row<T>({1, 1, 1});
    OcclusionOptions<T> o;
    o.baseline = b;
    require_values(occlusion(p, row<T>({2, 3, 4}), 0, o).attribution, {12, 16, 18}, tol);
    // The same through the fill value.
    OcclusionOptions<T> of;
    of.fill = T(1);
    require_values(occlusion(p, row<T>({2, 3, 4}), 0, of).attribution, {12, 16, 18}, tol);
  }
  SECTION("T14 dummy x3: Occlusion-1 gives 0, a patch containing x3 leaks") {
    auto p = t14<T>();
    auto x = row<T>({2, 3, 7});
    auto r = occlusion(p, x, 0);
    require_values(r.attribution, {6, 6, 0}, tol);
    REQUIRE(r.attribution[2] == T(0));
    OcclusionOptions<T> o;
    o.window = Shape{2};
    auto pr = occlusion(p, x, 0, o);
    require_values(pr.attribution, {6, 6, 6}, tol);  // windows {1,2}: 6, {2,3}: 6
  }
}

TEST_CASE("occlusion: patch windows on an image network equal a naive reference", "[methods][occlusion]") {
  Network<double> net;
  net.add(Flatten<double>(), "flatten");
  Dense<double> d1(2 * 5 * 6, 4), d2(4, 3);
  fill_random(d1.weight().mutable_view(), 1);
  fill_random(d1.bias().mutable_view(), 2);
  fill_random(d2.weight().mutable_view(), 3);
  fill_random(d2.bias().mutable_view(), 4);
  net.add(d1, "fc1");
  net.add(ReLU<double>(), "relu");
  net.add(d2, "fc2");
  auto x = random_tensor<double>(Shape{2, 2, 5, 6}, 5);
  auto base = random_tensor<double>(Shape{1, 2, 5, 6}, 6);
  const Index targets[2] = {1, 2};
  for (bool use_base : {false, true}) {
    OcclusionOptions<double> o;
    o.window = Shape{2, 2, 3};
    o.stride = Shape{1, 2, 2};  // H: starts 0, 2 (row 4 uncovered); W: starts 0, 2
    o.fill = 0.25;
    if (use_base) o.baseline = base;
    o.batch_size = 3;
    Index last = 0;
    o.progress = [&](Index done, Index total) { last = done; REQUIRE(total == 2 * (4 + 1)); };
    auto r = occlusion(net, x.cview(), Targets{1, 2}, o);
    REQUIRE(last == 10);
    REQUIRE(r.windows == 4);
    // Naive reference: explicit loops, one forward per window.
    auto f = model_function(net);
    for (Index i = 0; i < 2; ++i) {
      Tensor<double> xi = Tensor<double>::copy_of(x.view().slice(i, 1));
      const double fx = f(xi.cview()).at(0, targets[i]);
      Tensor<double> sum(Shape{1, 2, 5, 6}), cnt(Shape{1, 2, 5, 6});
      sum.set_zero();
      cnt.set_zero();
      for (Index h0 = 0; h0 + 2 <= 5; h0 += 2)
        for (Index w0 = 0; w0 + 3 <= 6; w0 += 2) {
          Tensor<double> xm = xi;
          for (Index c = 0; c < 2; ++c)
            for (Index h = h0; h < h0 + 2; ++h)
              for (Index w = w0; w < w0 + 3; ++w) xm.at(0, c, h, w) = use_base ? base.at(0, c, h, w) : 0.25;
          const double s = fx - f(xm.cview()).at(0, targets[i]);
          for (Index c = 0; c < 2; ++c)
            for (Index h = h0; h < h0 + 2; ++h)
              for (Index w = w0; w < w0 + 3; ++w) { sum.at(0, c, h, w) += s; cnt.at(0, c, h, w) += 1; }
        }
      for (Index k = 0; k < sum.size(); ++k) {
        const double e = cnt[k] > 0 ? sum[k] / cnt[k] : 0.0;
        REQUIRE(std::abs(r.attribution[i * 60 + k] - e) < 1e-13);
        REQUIRE(r.coverage[i * 60 + k] == cnt[k]);
      }
      // Row 4 is not covered by any window: score 0, coverage 0.
      REQUIRE(r.coverage.at(i, 0, 4, 0) == 0);
    }
  }
}

TEST_CASE("occlusion: errors", "[methods][occlusion]") {
  auto p = t2<double>();
  auto x = row<double>({2, 3, 5});
  OcclusionOptions<double> o;
  o.window = Shape{4};
  REQUIRE_THROWS_WITH(occlusion(p, x, 0, o), Catch::Contains("attrib.param.720") && Catch::Contains("[4]") && Catch::Contains("[3]"));
  o.window = Shape{1, 1};
  REQUIRE_THROWS_WITH(occlusion(p, x, 0, o), Catch::Contains("attrib.shape.711"));
  o.window = Shape{2};
  o.stride = Shape{0};
  REQUIRE_THROWS_WITH(occlusion(p, x, 0, o), Catch::Contains("attrib.param.721"));
  o.stride = Shape{1};
  REQUIRE_THROWS_WITH(occlusion(p, x, 1, o), Catch::Contains("attrib.arg.703") && Catch::Contains("1 outputs"));
  auto bad = row<double>({1, 1});
  o.baseline = bad;
  REQUIRE_THROWS_WITH(occlusion(p, x, 0, o), Catch::Contains("attrib.shape.701"));
}
