#include "support/support.hpp"
#include "attrib/attrib.hpp"

using namespace attrib;
using namespace attrib::test;

namespace {
template <class T>
Dense<T> dense(Index in, Index out, unsigned seed) {
  Dense<T> d(in, out);
  fill_random(d.weight().mutable_view(), seed);
  fill_random(d.bias().mutable_view(), seed + 100, -0.1, 0.1);
  return d;
}
}  // namespace

TEST_CASE("Sequential names and indexes nodes, also inside residual blocks", "[models][sequential]") {
  auto named = dense<double>(4, 4, 3);
  named.set_name("proj");
  Sequential model(dense<double>(5, 4, 1), ReLU<double>(),
                   Residual(Sequential(dense<double>(4, 4, 2), ReLU<double>()), Sequential(named)),
                   ReLU<double>(), dense<double>(4, 3, 4));
  REQUIRE(model.size() == 8);
  CHECK(model.node(0).name == "0");
  CHECK(model.node(2).name == "2.main.0");
  CHECK(model.node(3).name == "2.main.1");
  CHECK(model.node(4).name == "proj");
  CHECK(model.node(5).name == "2.add");
  CHECK(std::string(model.node(5).kind) == "Add");
  CHECK(model.node(5).arity == 2);
  CHECK(model.node(5).inputs[0] == 3);
  CHECK(model.node(5).inputs[1] == 4);
  CHECK(model.node(4).inputs[0] == 1);  // shortcut starts at the block input
  CHECK(model.find("2.main.1") == 3);
  CHECK_THROWS_WITH(model.find("nope"), Catch::Contains("[attrib.arg.001]") && Catch::Contains("nope") &&
                                            Catch::Contains("2.main.0"));
  CHECK_THROWS_AS(model.node(8), ArgumentError);
}

TEST_CASE("Sequential with identity shortcut: forward equals the hand-written composition", "[models][sequential]") {
  auto d0 = dense<double>(6, 4, 1), d1 = dense<double>(4, 4, 2), d2 = dense<double>(4, 3, 3);
  Sequential model(d0, ReLU<double>(), Residual(Sequential(d1, ReLU<double>())), d2);
  auto x = random_tensor<double>(Shape{2, 6}, 5);
  Trace<double> tr;
  Workspace<double> ws;
  forward(model, x.cview(), tr, ws);
  // Oracle: Eigen expressions written directly from the definitions.
  auto relu = [](const RowMat<double>& m) { return RowMat<double>(m.cwiseMax(0.0)); };
  auto lin = [](const Dense<double>& d, const RowMat<double>& m) {
    RowMat<double> y = m * d.weight().view().mat(d.out_features(), d.in_features()).transpose();
    y.rowwise() += d.bias().view().vec().transpose();
    return y;
  };
  RowMat<double> a = relu(lin(d0, x.view().mat(2, 6)));
  RowMat<double> h = relu(lin(d1, a)) + a;
  RowMat<double> y = lin(d2, h);
  Tensor<double> expected(Shape{2, 3});
  expected.view().mat(2, 3) = y;
  require_close(Tensor<double>::copy_of(tr.result()), expected, 1e-12, 1e-12, "residual forward");
}
