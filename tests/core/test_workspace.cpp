#include <catch2/catch.hpp>

#include "attrib/core/workspace.hpp"

using namespace attrib;

TEST_CASE("Workspace slots grow once and are reused", "[core][workspace]") {
  Workspace<float> ws;
  float* a = ws.get(Slot::columns, 100);
  CHECK(ws.get(Slot::columns, 50) == a);
  CHECK(ws.get(Slot::columns, 100) == a);
  CHECK(ws.get(Slot::weights, 10) != a);
  Tensor<float>& t0 = ws.temp(0);
  t0.resize(Shape{4});
  Tensor<float>& t3 = ws.temp(3);
  CHECK(&ws.temp(0) == &t0);  // references stay valid when more temps are added
  CHECK(&ws.temp(3) == &t3);
  CHECK(ws.bytes() >= 110 * sizeof(float));
}
