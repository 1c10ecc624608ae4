// Shapley values and Harsanyi interactions: theory A.7 oracles (T1-T5, T11, T12), the A.2
// Harsanyi-Taylor example, efficiency, the n! permutation formula (n <= 8), feature groups,
// sampled Shapley within its standard error, errors.
#include <algorithm>
#include <numeric>

#include "support/support.hpp"
#include "support/hand_layers.hpp"
#include "methods/poly.hpp"
#include "attrib/attrib.hpp"
#include "attrib/methods/shapley.hpp"

using namespace attrib;
using namespace attrib::test;

namespace {
void require_values(const std::vector<double>& a, std::initializer_list<double> v, double tol) {
  REQUIRE(a.size() == v.size());
  std::size_t i = 0;
  for (double e : v) {
    INFO("element " << i << ": " << a[i] << " vs " << e);
    REQUIRE(std::abs(a[i] - e) <= tol * (1 + std::abs(e)));
    ++i;
  }
}
Network<double> random_net(Index in, unsigned seed) {
  Network<double> net;
  Dense<double> d1(in, 8), d2(8, 3);
  fill_random(d1.weight().mutable_view(), seed);
  fill_random(d1.bias().mutable_view(), seed + 1);
  fill_random(d2.weight().mutable_view(), seed + 2);
  net.add(d1, "fc1");
  net.add(ReLU<double>(), "relu");
  net.add(d2, "fc2");
  return net;
}
/// Shapley by the n! permutation formula on a table v[mask] (independent of the Moebius path).
std::vector<double> permutation_shapley(const std::vector<double>& v, int n) {
  std::vector<int> perm(static_cast<std::size_t>(n));
  std::iota(perm.begin(), perm.end(), 0);
  std::vector<double> phi(static_cast<std::size_t>(n), 0.0);
  double count = 0;
  do {
    unsigned m = 0;
    for (int p : perm) {
      phi[std::size_t(p)] += v[m | (1u << p)] - v[m];
      m |= 1u << p;
    }
    count += 1;
  } while (std::next_permutation(perm.begin(), perm.end()));
  for (auto& p : phi) p /= count;
  return phi;
}
}  // namespace

TEMPLATE_TEST_CASE("shapley_exact: theory A.7 oracles on polynomials", "[methods][shapley]", float, double) {
  using T = TestType;
  const double tol = std::is_same_v<T, float> ? 2e-6 : 1e-13;
  SECTION("T1 x1 x2 at (2,3): (3,3)") {
    auto p = t1<T>();
    require_values(shapley_exact(p, row<T>({2, 3}), 0).values[0], {3, 3}, tol);
  }
  SECTION("T2 x1 x2 + x3 at (2,3,5): (3,3,5)") {
    auto p = t2<T>();
    auto r = shapley_exact(p, row<T>({2, 3, 5}), 0);
    require_values(r.values[0], {3, 3, 5}, tol);
    REQUIRE(std::abs(r.output_diff[0] - 11) < tol * 12);
  }
  SECTION("T3 x1^2 x2 at (2,3): (6,6), not IG's (8,4)") {
    auto p = t3<T>();
    require_values(shapley_exact(p, row<T>({2, 3}), 0).values[0], {6, 6}, tol);
  }
  SECTION("T4 x1^3 at 2: 8") {
    auto p = t4<T>();
    require_values(shapley_exact(p, row<T>({2}), 0).values[0], {8}, tol);
  }
  SECTION("T5 x1 x2 x3, b = (1,1,1), x = (2,3,4): (11/2, 8, 19/2) and the Harsanyi dividends") {
    auto p = t5<T>();
    auto b = row<T>({1, 1, 1});
    ShapleyOptions<T> o;
    o.baseline = b;
    auto r = shapley_exact(p, row<T>({2, 3, 4}), 0, o);
    require_values(r.values[0], {5.5, 8, 9.5}, tol);
    // attribution tensor carries the same values
    for (Index j = 0; j < 3; ++j) REQUIRE(double(r.attribution[j]) == Approx(r.values[0][std::size_t(j)]).margin(1e-6));
    auto I = harsanyi_interactions(p, row<T>({2, 3, 4}), b, FeatureGroups{});
    // masks: bit 0 = x1, bit 1 = x2, bit 2 = x3
    require_values(I, {1, 1, 2, 2, 3, 3, 6, 6}, tol);
  }
  SECTION("T14 dummy x3: 0") {
    auto p = t14<T>();
    auto r = shapley_exact(p, row<T>({2, 3, 7}), 0);
    require_values(r.values[0], {3, 3, 0}, tol);
    REQUIRE(r.values[0][2] == 0);
  }
}

TEST_CASE("harsanyi_interactions: the A.2 Harsanyi-Taylor example", "[methods][shapley]") {
  // f = x1^2 x2 + x2 x3, b = (1,0,1), x = (2,3,2): I({2}) = 6, I({1,2}) = 9, I({2,3}) = 3, others 0.
  Poly<double> p{3, [](const double* x) { return x[0] * x[0] * x[1] + x[1] * x[2]; }, {}};
  auto b = row<double>({1, 0, 1});
  auto I = harsanyi_interactions(p, row<double>({2, 3, 2}), b, FeatureGroups{});
  require_values(I, {0, 0, 6, 9, 0, 0, 3, 0}, 1e-14);
  // Round trip: the zeta transform (sum over subsets) gives back v(S) = f(x_S, b_rest).
  for (unsigned m = 0; m < 8; ++m) {
    double s = 0;
    for (unsigned t = 0; t < 8; ++t)
      if ((t & m) == t) s += I[t];
    const double xs[3] = {m & 1 ? 2.0 : 1.0, m & 2 ? 3.0 : 0.0, m & 4 ? 2.0 : 1.0};
    REQUIRE(std::abs(s - p.value(xs)) < 1e-13);
  }
  REQUIRE(p.calls == 1);  // 2^3 rows in one batch
  REQUIRE(p.rows == 8);
}

TEST_CASE("shapley_exact: ReLU networks T6a, T11 (AND3), T12 (OR)", "[methods][shapley]") {
  SECTION("T6a relu(x1 + x2 - 1) at (1,1): (1/2, 1/2)") {
    Network<double> net;
    net.add(make_dense<double>({1, 1}, 2, 1, {-1}), "fc");
    net.add(ReLU<double>(), "relu");
    auto x = row<double>({1, 1});
    require_values(shapley_exact(net, x, 0).values[0], {0.5, 0.5}, 1e-14);
    require_values(harsanyi_interactions(net, x, {}, FeatureGroups{}), {0, 0, 0, 1}, 1e-14);
  }
  SECTION("T11 relu(x1 + x2 + x3 - 2) at (1,1,1): (1/3,1/3,1/3); H = {123: 1}") {
    Network<double> net;
    net.add(make_dense<double>({1, 1, 1}, 3, 1, {-2}), "fc");
    net.add(ReLU<double>(), "relu");
    auto x = row<double>({1, 1, 1});
    require_values(shapley_exact(net, x, 0).values[0], {1.0 / 3, 1.0 / 3, 1.0 / 3}, 1e-14);
    require_values(harsanyi_interactions(net, x, {}, FeatureGroups{}), {0, 0, 0, 0, 0, 0, 0, 1}, 1e-14);
  }
  SECTION("T12 1 - relu(1 - x1 - x2) at (1,1): (1/2, 1/2); H = {1: 1, 2: 1, 12: -1}") {
    Network<double> net;
    net.add(make_dense<double>({-1, -1}, 2, 1, {1}), "fc1");
    net.add(ReLU<double>(), "relu");
    net.add(make_dense<double>({-1}, 1, 1, {1}), "fc2");
    auto x = row<double>({1, 1});
    auto r = shapley_exact(net, x, 0);
    require_values(r.values[0], {0.5, 0.5}, 1e-14);
    REQUIRE(std::abs(r.output_diff[0] - 1) < 1e-14);
    require_values(harsanyi_interactions(net, x, {}, FeatureGroups{}), {0, 1, 1, -1}, 1e-14);
  }
}

TEST_CASE("shapley_exact: efficiency and the n! permutation formula on a random ReLU network", "[methods][shapley]") {
  const Index n = 8;
  auto net = random_net(n, 11);
  auto x = random_tensor<double>(Shape{2, n}, 12, -2.0, 2.0);
  auto b = random_tensor<double>(Shape{1, n}, 13);
  ShapleyOptions<double> o;
  o.baseline = b;
  o.batch_size = 50;
  Index last = 0;
  o.progress = [&](Index done, Index total) { last = done; REQUIRE(total == 2 * 256); };
  auto r = shapley_exact(net, x.cview(), Targets{1, 2}, o);
  REQUIRE(last == 512);
  auto f = model_function(net);
  for (Index i = 0; i < 2; ++i) {
    // Independent table of v(S) by one forward per coalition.
    std::vector<double> v(256);
    for (unsigned m = 0; m < 256; ++m) {
      Tensor<double> xm(Shape{1, n});
      for (Index j = 0; j < n; ++j) xm[j] = (m >> j) & 1 ? x.at(i, j) : b[j];
      v[m] = f(xm.cview()).at(0, i == 0 ? 1 : 2);
    }
    const auto ref = permutation_shapley(v, int(n));
    for (Index j = 0; j < n; ++j) {
      REQUIRE(std::abs(r.values[std::size_t(i)][std::size_t(j)] - ref[std::size_t(j)]) < 1e-12);  // 8! = 40320 summed marginals
      REQUIRE(r.attribution.at(i, j) == r.values[std::size_t(i)][std::size_t(j)]);
    }
    const double sum = std::accumulate(r.values[std::size_t(i)].begin(), r.values[std::size_t(i)].end(), 0.0);
    REQUIRE(std::abs(sum - (v[255] - v[0])) < 1e-13);
    REQUIRE(std::abs(r.output_diff[std::size_t(i)] - (v[255] - v[0])) < 1e-15);
  }
}

TEST_CASE("shapley_exact: 16 players and efficiency (the largest exact case)", "[methods][shapley]") {
  auto net = random_net(16, 21);
  auto x = random_tensor<double>(Shape{1, 16}, 22, -2.0, 2.0);
  ShapleyOptions<double> o;
  o.batch_size = 4096;
  auto r = shapley_exact(net, x.cview(), 0, o);
  const double sum = std::accumulate(r.values[0].begin(), r.values[0].end(), 0.0);
  REQUIRE(std::abs(sum - r.output_diff[0]) < 1e-11);
  REQUIRE(std::abs(r.output_diff[0]) > 1e-3);
}

TEST_CASE("shapley_exact: feature groups (patches) = Shapley of the group game", "[methods][shapley]") {
  // Image [1, 2, 4, 4], 2 x 2 patches across both channels: 4 players.
  Network<double> net;
  net.add(Flatten<double>(), "flatten");
  Dense<double> d1(32, 6), d2(6, 2);
  fill_random(d1.weight().mutable_view(), 31);
  fill_random(d1.bias().mutable_view(), 32);
  fill_random(d2.weight().mutable_view(), 33);
  net.add(d1, "fc1");
  net.add(ReLU<double>(), "relu");
  net.add(d2, "fc2");
  auto x = random_tensor<double>(Shape{1, 2, 4, 4}, 34);
  ShapleyOptions<double> o;
  o.groups = patch_groups(Shape{2, 4, 4}, 2, 2);
  REQUIRE(o.groups.count == 4);
  o.baseline = {};
  auto r = shapley_exact(net, x.cview(), 1, o);
  auto f = model_function(net);
  std::vector<double> v(16);
  for (unsigned m = 0; m < 16; ++m) {
    Tensor<double> xm = x;
    for (Index c = 0; c < 2; ++c)
      for (Index h = 0; h < 4; ++h)
        for (Index w = 0; w < 4; ++w) {
          const unsigned patch = unsigned((h / 2) * 2 + w / 2);
          if (!((m >> patch) & 1)) xm.at(0, c, h, w) = 0;
        }
    v[m] = f(xm.cview()).at(0, 1);
  }
  const auto ref = permutation_shapley(v, 4);
  for (std::size_t g = 0; g < 4; ++g) REQUIRE(std::abs(r.values[0][g] - ref[g]) < 1e-13);
  REQUIRE(r.attribution.at(0, 1, 3, 2) == r.values[0][3]);  // element in patch (1, 1)
  REQUIRE(r.attribution.at(0, 0, 0, 1) == r.values[0][0]);
  // -1 = never masked: that element keeps x and scores 0.
  std::vector<Index> mask = o.groups.group;
  mask[0] = -1;
  o.groups = FeatureGroups(mask);
  auto r2 = shapley_exact(net, x.cview(), 1, o);
  REQUIRE(r2.attribution[0] == 0);
}

TEST_CASE("shapley_sampled: antithetic pairs converge to exact within the reported standard error", "[methods][shapley]") {
  const Index n = 10;
  auto net = random_net(n, 41);
  auto x = random_tensor<double>(Shape{1, n}, 42, -2.0, 2.0);
  auto exact = shapley_exact(net, x.cview(), 0);
  SampledShapleyOptions<double> o;
  o.pairs = 200;
  int in2 = 0, total = 0;
  for (std::uint64_t seed = 1; seed <= 10; ++seed) {
    o.seed = seed;
    auto s = shapley_sampled(net, x.cview(), 0, o);
    const double sum = std::accumulate(s.values[0].begin(), s.values[0].end(), 0.0);
    REQUIRE(std::abs(sum - exact.output_diff[0]) < 1e-12);  // every pair is efficient
    for (Index j = 0; j < n; ++j) {
      const double e = exact.values[0][std::size_t(j)], m = s.values[0][std::size_t(j)], se = s.standard_error[0][std::size_t(j)];
      INFO("seed " << seed << " player " << j << ": " << m << " +- " << se << " vs exact " << e);
      REQUIRE(std::abs(m - e) <= 4 * se + 1e-12);
      in2 += std::abs(m - e) <= 2 * se + 1e-12;
      ++total;
    }
  }
  INFO("share within 2 standard errors " << double(in2) / total);
  REQUIRE(double(in2) / total > 0.85);
  // More pairs, smaller error: the standard error scales like 1/sqrt(pairs).
  o.seed = 3;
  o.pairs = 50;
  auto a = shapley_sampled(net, x.cview(), 0, o);
  o.pairs = 800;
  auto b = shapley_sampled(net, x.cview(), 0, o);
  double ra = 0;
  int cnt = 0;
  for (Index j = 0; j < n; ++j)
    if (a.standard_error[0][std::size_t(j)] > 1e-9) {
      ra += a.standard_error[0][std::size_t(j)] / b.standard_error[0][std::size_t(j)];
      ++cnt;
    }
  REQUIRE(cnt > 0);
  REQUIRE(ra / cnt == Approx(4.0).epsilon(0.3));
}

TEST_CASE("shapley_sampled: exact on additive models (every permutation gives the same marginals)", "[methods][shapley]") {
  Network<double> net;
  net.add(make_dense<double>({2, -3, 0.5, 1}, 4, 1, {7}), "fc");
  auto x = row<double>({1, 2, -1, 4});
  SampledShapleyOptions<double> o;
  o.pairs = 3;
  o.batch_size = 5;
  auto s = shapley_sampled(net, x, 0, o);
  require_values(s.values[0], {2, -6, -0.5, 4}, 1e-14);
  for (double se : s.standard_error[0]) REQUIRE(se < 1e-14);
}

TEST_CASE("shapley: errors", "[methods][shapley]") {
  auto p = t1<double>();
  auto x = row<double>({2, 3});
  auto big = random_net(17, 1);
  Tensor<double> x17(Shape{1, 17});
  x17.set_zero();
  REQUIRE_THROWS_WITH(shapley_exact(big, x17.cview(), 0),
                      Catch::Contains("attrib.param.734") && Catch::Contains("17 players") && Catch::Contains("n <= 16"));
  REQUIRE_THROWS_WITH(harsanyi_interactions(p, random_tensor<double>(Shape{2, 2}, 1), {}, FeatureGroups{}),
                      Catch::Contains("attrib.shape.732"));
  ShapleyOptions<double> o;
  o.groups = FeatureGroups({0, 0, 1});
  REQUIRE_THROWS_WITH(shapley_exact(p, x, 0, o), Catch::Contains("attrib.shape.731") && Catch::Contains("3 elements"));
  REQUIRE_THROWS_WITH(FeatureGroups({0, 2}), Catch::Contains("attrib.param.731") && Catch::Contains("group 1"));
  SampledShapleyOptions<double> so;
  so.pairs = 1;
  REQUIRE_THROWS_WITH(shapley_sampled(p, x, 0, so), Catch::Contains("attrib.param.735"));
  REQUIRE_THROWS_WITH(patch_groups(Shape{4}, 2, 2), Catch::Contains("attrib.shape.730"));
}
