#include <catch2/catch.hpp>

#include "attrib/core/shape.hpp"

using attrib::Shape;

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
