#include <catch2/catch.hpp>

#include "attrib/core/shape.hpp"
#include <vector>

using attrib::Shape;
using attrib::Index;
using attrib::ShapeError;

TEST_CASE("Shape reports rank, size, batch and prints readably", "[core][shape]") {
  const Shape s{2, 3, 5, 7};
  CHECK(s.rank() == 4);
  CHECK(s.size() == 210);
  CHECK(s.batch() == 2);
  CHECK(s.sample_size() == 105);
  CHECK(s.str() == "[2, 3, 5, 7]");
  CHECK(s.with_batch(9) == Shape{9, 3, 5, 7});
  CHECK(Shape{4} != Shape{4, 1});
}

TEST_CASE("Shape rejects rank 0, rank 5 and negative dimensions with typed errors", "[core][shape]") {
  CHECK_THROWS_AS((Shape{1, 2, 3, 4, 5}), attrib::ShapeError);
  CHECK_THROWS_WITH((Shape{1, 2, 3, 4, 5}), Catch::Contains("[attrib.shape.001]"));
  CHECK_THROWS_WITH((Shape{3, -1}), Catch::Contains("[attrib.shape.002]") && Catch::Contains("-1"));
  const std::vector<int> none;
  CHECK_THROWS_AS(Shape::from_range(none.begin(), none.end()), attrib::ShapeError);
}

// Issue #16 item 6: every product of dimensions is overflow-checked (before: UBSan, wrapped sizes).
TEST_CASE("Shape: products of dimensions that overflow are a ShapeError", "[shape][errors]") {
  const Index big = Index(1) << 40;
  CHECK_THROWS_WITH(Shape({big, big}), Catch::Contains("[attrib.shape.003]") && Catch::Contains("[1099511627776, 1099511627776]"));
  CHECK_THROWS_AS(Shape({big, big, 0}), ShapeError);  // size() would be 0, strides would not
  const std::vector<Index> d{big, big, 0};
  CHECK_THROWS_AS(Shape::from_range(d.begin(), d.end()), ShapeError);
  CHECK_THROWS_AS(Shape({2, big}).with_batch(big), ShapeError);
  Shape s{2, 2};
  s[1] = big;
  s[0] = big;  // mutable access bypasses the constructor: size() still refuses
  CHECK_THROWS_AS(s.size(), ShapeError);
  // Largest products that fit are fine.
  CHECK(Shape({Index(1) << 31, Index(1) << 31}).size() == Index(1) << 62);
  CHECK(Shape({big, 0}).size() == 0);
}
