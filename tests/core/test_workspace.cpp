#include <catch2/catch.hpp>

#include "attrib/core/workspace.hpp"

using namespace attrib;

TEST_CASE("Workspace slots grow once and are reused", "[core][workspace]") {
  Workspace<float> ws;
  float* a = ws.get(Slot::columns, 100);
  CHECK(ws.get(Slot::columns, 50) == a);
  CHECK(ws.get(Slot::columns, 100) == a);
  CHECK(ws.get(Slot::weights, 10) != a);
  CHECK(ws.bytes() >= 110 * sizeof(float));
}

TEST_CASE("Workspace frames hand out distinct tensors and reuse them after closing", "[core][workspace]") {
  Workspace<float> ws;
  const float* first = nullptr;
  for (int round = 0; round < 2; ++round) {
    auto outer = ws.frame();
    Tensor<float>& a = outer.tensor(Shape{4});
    {
      auto inner = ws.frame();
      Tensor<float>& b = inner.tensor(Shape{8});
      Tensor<float>& c = inner.tensor(Shape{2, 3});
      CHECK(&a != &b);
      CHECK(&b != &c);
      CHECK(b.shape() == Shape{8});
      CHECK(c.shape() == Shape{2, 3});
      CHECK(ws.open_frames() == 2);
      if (round == 0) first = b.data();
      else CHECK(b.data() == first);  // same pooled tensor, same allocation
    }
    Tensor<float>& d = outer.tensor(Shape{8});  // takes the slot the inner frame gave back
    CHECK(&d != &a);
    Tensor<Index>& idx = outer.index_tensor(Shape{3});
    CHECK(idx.size() == 3);
  }
  CHECK(ws.open_frames() == 0);
}
