#include <catch2/catch.hpp>
#include <vector>

#include "attrib/core/param.hpp"
#include "attrib/core/tensor.hpp"

using namespace attrib;

TEMPLATE_TEST_CASE("wrap() views caller memory without copying", "[core][tensor]", float, double) {
  std::vector<TestType> buf(2 * 3 * 4 * 5);
  for (std::size_t i = 0; i < buf.size(); ++i) buf[i] = TestType(i);
  TensorView<TestType> v = wrap(buf.data(), Shape{2, 3, 4, 5});
  CHECK(v.data() == buf.data());
  ConstView<TestType> c = v;  // mutable -> const view keeps the pointer
  CHECK(c.data() == buf.data());
  CHECK(v.vec().data() == buf.data());
  CHECK(v.batch_mat().data() == buf.data());
  CHECK(v.at(1, 2, 3, 4) == Approx(buf[((1 * 3 + 2) * 4 + 3) * 5 + 4]));
  v.at(0, 1, 2, 3) = TestType(-7);
  CHECK(buf[(1 * 4 + 2) * 5 + 3] == Approx(-7));
  CHECK(v.slice(1, 1).data() == buf.data() + 60);
  CHECK(v.slice(1, 1).shape() == Shape{1, 3, 4, 5});
  CHECK(v.reshaped(Shape{2, 60}).data() == buf.data());
  CHECK_THROWS_WITH(v.reshaped(Shape{2, 61}), Catch::Contains("[attrib.shape.010]") &&
                                                  Catch::Contains("[2, 3, 4, 5]") &&
                                                  Catch::Contains("[2, 61]"));
}

TEMPLATE_TEST_CASE("Tensor owns, copies deeply and reuses its allocation", "[core][tensor]", float, double) {
  Tensor<TestType> t(Shape{2, 3}, TestType(1.5));
  CHECK(t.vec().sum() == Approx(9.0));
  Tensor<TestType> u = t;
  CHECK(u.data() != t.data());
  const TestType* before = t.data();
  t.resize(Shape{3, 2});
  CHECK(t.data() == before);
  t.resize(Shape{1, 1});
  CHECK(t.data() == before);
  t.resize(Shape{2, 3});
  CHECK(t.data() == before);
  CHECK_THROWS_AS(Tensor<TestType>(Shape{2, 2}, std::vector<TestType>(3)), ShapeError);
  Tensor<TestType> a(Shape{2, 3}, 1), b(Shape{3, 2}, 1);
  CHECK_THROWS_WITH(a.add(b), Catch::Contains("[3, 2]") && Catch::Contains("[2, 3]"));
}

TEMPLATE_TEST_CASE("Param borrows caller buffers without copying and owns copies", "[core][param]",
                   float, double) {
  std::vector<TestType> w(6, TestType(2));
  Param<TestType> p(Shape{2, 3});
  p.bind(wrap(static_cast<const TestType*>(w.data()), Shape{2, 3}), "test");
  CHECK(p.data() == w.data());
  CHECK_FALSE(p.is_owned());
  Param<TestType> q = p;  // a copied layer still views the caller's buffer
  CHECK(q.data() == w.data());
  q.mutable_view()[0] = 5;  // copy-on-write
  CHECK(q.is_owned());
  CHECK(w[0] == Approx(2));
  Param<TestType> r = q;
  CHECK(r.data() != q.data());
  CHECK(r.data()[0] == Approx(5));
  CHECK_THROWS_WITH(p.bind(wrap(static_cast<const TestType*>(w.data()), Shape{3, 2}), "Dense 'fc'"),
                    Catch::Contains("Dense 'fc'") && Catch::Contains("[3, 2]") &&
                        Catch::Contains("expected [2, 3]"));
}
