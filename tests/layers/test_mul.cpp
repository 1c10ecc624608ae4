#include <vector>

#include "support/layer_checks.hpp"
#include "attrib/layers/mul.hpp"

using namespace attrib;
using namespace attrib::test;

namespace {

struct Pair {
  Shape a, b, out;
};
// Equal shapes, the squeeze-and-excitation gate on either side, and general broadcasting
// across ranks (numpy's rule, worked out by hand in `out`).
const std::vector<Pair> pairs = {
    {Shape{2, 3, 4, 5}, Shape{2, 3, 4, 5}, Shape{2, 3, 4, 5}},
    {Shape{2, 4, 3, 5}, Shape{2, 4, 1, 1}, Shape{2, 4, 3, 5}},
    {Shape{2, 4, 1, 1}, Shape{2, 4, 3, 5}, Shape{2, 4, 3, 5}},
    {Shape{2, 1, 4, 1}, Shape{3, 1, 5}, Shape{2, 3, 4, 5}},
    {Shape{3, 4}, Shape{4}, Shape{3, 4}},
    {Shape{2, 3, 1}, Shape{2, 1, 4}, Shape{2, 3, 4}},
};

// Naive: coordinates of the output, each operand reading index min(c, extent - 1) per axis.
template <class T>
Index operand_index(const Shape& s, const Shape& out, const Index* c) {
  Index idx = 0;
  for (int i = 0; i < s.rank(); ++i) {
    const int oi = i + out.rank() - s.rank();
    idx = idx * s[i] + (s[i] == 1 ? 0 : c[oi]);
  }
  return idx;
}
template <class F>
void for_each_coordinate(const Shape& out, const F& f) {
  Index c[4] = {0, 0, 0, 0}, d[4] = {1, 1, 1, 1};
  for (int i = 0; i < out.rank(); ++i) d[i] = out[i];
  Index o = 0;
  for (c[0] = 0; c[0] < d[0]; ++c[0])
    for (c[1] = 0; c[1] < d[1]; ++c[1])
      for (c[2] = 0; c[2] < d[2]; ++c[2])
        for (c[3] = 0; c[3] < d[3]; ++c[3]) f(o++, c);
}

}  // namespace

TEMPLATE_TEST_CASE("Mul broadcasts like numpy and its backward sums over broadcast axes", "[layers][mul]", float,
                   double) {
  using T = TestType;
  Mul<T> mul;
  unsigned seed = 1;
  for (const Pair& p : pairs) {
    INFO(p.a << " * " << p.b);
    REQUIRE(mul.output_shape(p.a, p.b) == p.out);
    auto a = random_tensor<T>(p.a, seed++), b = random_tensor<T>(p.b, seed++), gy = random_tensor<T>(p.out, seed++);
    Workspace<T> ws;
    Tensor<T> y(p.out), ga(p.a, T(5)), gb(p.b, T(5));
    mul.forward(a, b, y, ws);
    mul.backward(a, b, gy, ga, gb, ws);
    Tensor<double> ya(p.out), gaa(p.a), gba(p.b);
    for_each_coordinate(p.out, [&](Index o, const Index* c) {
      const Index ia = operand_index<T>(p.a, p.out, c), ib = operand_index<T>(p.b, p.out, c);
      ya[o] = double(a[ia]) * double(b[ib]);
      gaa[ia] += double(gy[o]) * double(b[ib]);
      gba[ib] += double(gy[o]) * double(a[ia]);
    });
    const double t = std::is_same_v<T, float> ? 1e-5 : 1e-13;
    require_close(y, ya, t, t, "forward");
    require_close(ga, gaa, t, t, "first input gradient");
    require_close(gb, gba, t, t, "second input gradient");
  }
}

TEST_CASE("Mul backward matches finite differences in each operand", "[layers][mul]") {
  Mul<double> mul;
  for (const Pair& p : {pairs[1], pairs[3]}) {
    auto a = random_tensor<double>(p.a, 11), b = random_tensor<double>(p.b, 12), gy = random_tensor<double>(p.out, 13);
    Workspace<double> ws;
    Tensor<double> ga(p.a), gb(p.b);
    mul.backward(a, b, gy, ga, gb, ws);
    auto f = [&](const Tensor<double>& x, const Tensor<double>& z) {
      Tensor<double> y(p.out);
      mul.forward(x, z, y, ws);
      return y;
    };
    require_close(ga, fd_gradient([&](const Tensor<double>& x) { return f(x, b); }, a, gy), 1e-6, 1e-6, "d/da");
    require_close(gb, fd_gradient([&](const Tensor<double>& x) { return f(a, x); }, b, gy), 1e-6, 1e-6, "d/db");
  }
}

TEST_CASE("Mul batch items equal single samples for a gate", "[layers][mul]") {
  Mul<double> mul;
  auto a = random_tensor<double>(Shape{3, 2, 4, 4}, 14), b = random_tensor<double>(Shape{3, 2, 1, 1}, 15);
  Workspace<double> ws;
  Tensor<double> y(a.shape()), yi(Shape{1, 2, 4, 4});
  mul.forward(a, b, y, ws);
  for (Index i = 0; i < 3; ++i) {
    mul.forward(a.view().slice(i, 1), b.view().slice(i, 1), yi, ws);
    require_close(yi, Tensor<double>::copy_of(y.view().slice(i, 1)), 0, 0, "sample");
  }
}

TEMPLATE_TEST_CASE("Mul's DeepLIFT split is the midpoint gradient and sums to delta exactly", "[layers][mul][deeplift]",
                   float, double) {
  using T = TestType;
  Mul<T> mul;
  unsigned seed = 30;
  for (const Pair& p : pairs) {
    INFO(p.a << " * " << p.b);
    auto a = random_tensor<T>(p.a, seed++), a0 = random_tensor<T>(p.a, seed++);
    auto b = random_tensor<T>(p.b, seed++), b0 = random_tensor<T>(p.b, seed++);
    auto my = random_tensor<T>(p.out, seed++);
    Workspace<T> ws;
    Tensor<T> ma(p.a), mb(p.b);
    mul.deeplift_backward(a, a0, b, b0, my, ma, mb, ws);
    // Closed form per output element: C_a = (b0 + Δb/2) Δa, C_b = (a0 + Δa/2) Δb, C_a + C_b = Δ(ab).
    double contributions = 0, delta = 0, scale = 0;
    Tensor<double> ma_ref(p.a), mb_ref(p.b);
    for_each_coordinate(p.out, [&](Index o, const Index* c) {
      const Index ia = operand_index<T>(p.a, p.out, c), ib = operand_index<T>(p.b, p.out, c);
      const double da = double(a[ia]) - double(a0[ia]), db = double(b[ib]) - double(b0[ib]);
      ma_ref[ia] += double(my[o]) * (double(b0[ib]) + db / 2);
      mb_ref[ib] += double(my[o]) * (double(a0[ia]) + da / 2);
      delta += double(my[o]) * (double(a[ia]) * double(b[ib]) - double(a0[ia]) * double(b0[ib]));
      scale += std::abs(double(my[o]) * double(a[ia]) * double(b[ib]));
    });
    const double t = std::is_same_v<T, float> ? 1e-5 : 1e-12;
    require_close(ma, ma_ref, t, t, "multiplier of the first operand");
    require_close(mb, mb_ref, t, t, "multiplier of the second operand");
    for (Index i = 0; i < a.size(); ++i) contributions += double(ma[i]) * (double(a[i]) - double(a0[i]));
    for (Index i = 0; i < b.size(); ++i) contributions += double(mb[i]) * (double(b[i]) - double(b0[i]));
    INFO("sum of contributions " << contributions << ", sum of m_y delta y " << delta);
    CHECK(std::abs(contributions - delta) <= t * scale);
  }
}

TEST_CASE("Mul's DeepLIFT multipliers are the gradient when the reference is the input", "[layers][mul][deeplift]") {
  Mul<double> mul;
  auto a = random_tensor<double>(Shape{2, 3, 2, 2}, 40), b = random_tensor<double>(Shape{2, 3, 1, 1}, 41);
  auto my = random_tensor<double>(a.shape(), 42);
  Workspace<double> ws;
  Tensor<double> ma(a.shape()), mb(b.shape()), ga(a.shape()), gb(b.shape());
  mul.deeplift_backward(a, a, b, b, my, ma, mb, ws);
  mul.backward(a, b, my, ga, gb, ws);
  require_close(ma, ga, 1e-15, 1e-15, "ma");
  require_close(mb, gb, 1e-15, 1e-15, "mb");
}

TEST_CASE("Mul reports which operand is broadcast and carries the gate", "[layers][mul]") {
  CHECK(Mul<float>::broadcast_operand(Shape{2, 4, 3, 3}, Shape{2, 4, 1, 1}) == 1);
  CHECK(Mul<float>::broadcast_operand(Shape{2, 4, 1, 1}, Shape{2, 4, 3, 3}) == 0);
  CHECK(Mul<float>::broadcast_operand(Shape{2, 4}, Shape{2, 4}) == -1);
  CHECK(Mul<float>::broadcast_operand(Shape{2, 1, 4}, Shape{2, 3, 1}) == -1);  // both stretched
  CHECK(Mul<float>::broadcast_operand(Shape{2, 3}, Shape{2, 4}) == -1);        // not broadcastable
  Mul<float> mul;
  CHECK(mul.gate() == -1);
  mul.set_gate(1);
  CHECK(mul.gate() == 1);
  CHECK_THROWS_WITH(mul.set_gate(2), Catch::Contains("[attrib.param.1030]"));
}

TEST_CASE("Mul rejects shapes that do not broadcast naming both", "[layers][mul][errors]") {
  Mul<float> mul;
  mul.set_name("se.scale");
  CHECK_THROWS_WITH(mul.output_shape(Shape{2, 4, 3, 3}, Shape{2, 3, 1, 1}),
                    Catch::Contains("[attrib.shape.1030]") && Catch::Contains("Mul 'se.scale'") &&
                        Catch::Contains("[2, 4, 3, 3]") && Catch::Contains("[2, 3, 1, 1]"));
  Workspace<float> ws;
  Tensor<float> a(Shape{2, 4, 3, 3}), b(Shape{2, 4, 1, 1}), y(a.shape()), ga(a.shape()), gb(Shape{2, 4, 1, 2});
  CHECK_THROWS_WITH(mul.backward(a, b, y, ga, gb, ws), Catch::Contains("second input signal") &&
                                                           Catch::Contains("expected [2, 4, 1, 1]"));
  CHECK_THROWS_WITH(mul.deeplift_backward(a, a, b, ga, y, ga, ga, ws), Catch::Contains("second input signal"));
  Tensor<float> gb_ok(b.shape());
  CHECK_THROWS_WITH(mul.deeplift_backward(a, a, b, ga, y, ga, gb_ok, ws), Catch::Contains("second reference"));
}
