// Crafted graphs for channels-last blocks (onnx_layer_norm.hpp, Transpose of activations, MatMul
// on the last axis): LayerNorm's opset-13 decomposition and the LayerNormalization op against a
// naive loop, folding of gamma / beta / the MatMul bias, and the errors of broken patterns.
#include <cmath>
#include <string>
#include <vector>

#include "attrib/attrib.hpp"
#include "io/io_test_support.hpp"
#include "onnx/onnx_test_support.hpp"
#include "support/support.hpp"

using namespace attrib;
using attrib::test::OnnxBuilder;
using attrib::test::require_io_error;
using attrib::test::set_float;
using attrib::test::set_int;
using attrib::test::set_ints;

namespace {

const std::vector<float> kGamma{0.5f, -1.25f, 2.0f}, kBeta{0.25f, 0.0f, -0.5f};
const std::vector<float> kW{1, -2, 0.5f, 0.25f, 3, -1};  // MatMul right operand [3, 2]
const std::vector<float> kB{0.125f, -0.75f};

/// x [1, 3, 2, 2] -> Transpose(0, 2, 3, 1) -> LayerNorm over C (decomposed, or the op) -> MatMul
/// [3, 2] + bias -> Transpose(0, 3, 1, 2) -> y [1, 2, 2, 2].
OnnxBuilder channels_last(bool op, float eps = 1e-6f) {
  OnnxBuilder b(op ? 17 : 13);
  b.input("x", {1, 3, 2, 2}).output("y");
  b.init("gamma", {3}, kGamma).init("beta", {3}, kBeta).init("W", {3, 2}, kW).init("B", {2}, kB);
  b.init("two", {}, {2.0f}).init("eps", {}, {eps});
  set_ints(b.node("Transpose", {"x"}, {"t"}, "to_nhwc"), "perm", {0, 2, 3, 1});
  if (op) {
    auto& ln = b.node("LayerNormalization", {"t", "gamma", "beta"}, {"n"}, "ln");
    set_int(ln, "axis", -1);
    set_float(ln, "epsilon", eps);
  } else {
    set_ints(b.node("ReduceMean", {"t"}, {"m"}, "mean"), "axes", {-1});
    b.node("Sub", {"t", "m"}, {"d"}, "sub");
    b.node("Pow", {"d", "two"}, {"p"}, "pow");
    set_ints(b.node("ReduceMean", {"p"}, {"v"}, "var"), "axes", {-1});
    b.node("Add", {"v", "eps"}, {"a"}, "add_eps");
    b.node("Sqrt", {"a"}, {"s"}, "sqrt");
    b.node("Div", {"d", "s"}, {"q"}, "div");
    b.node("Mul", {"q", "gamma"}, {"g"}, "scale");
    b.node("Add", {"g", "beta"}, {"n"}, "shift");
  }
  b.node("MatMul", {"n", "W"}, {"mm"}, "fc");
  b.node("Add", {"B", "mm"}, {"fcb"}, "fc_bias");
  set_ints(b.node("Transpose", {"fcb"}, {"y"}, "to_nchw"), "perm", {0, 3, 1, 2});
  return b;
}

/// The same computation as a naive loop (double, eps as given).
Tensor<double> reference(const Tensor<double>& x, double eps) {
  Tensor<double> y(Shape{1, 2, 2, 2});
  for (Index h = 0; h < 2; ++h)
    for (Index w = 0; w < 2; ++w) {
      double v[3], mean = 0, var = 0;
      for (Index c = 0; c < 3; ++c) mean += (v[c] = x[(c * 2 + h) * 2 + w]) / 3;
      for (Index c = 0; c < 3; ++c) var += (v[c] - mean) * (v[c] - mean) / 3;
      double n[3];
      for (Index c = 0; c < 3; ++c) n[c] = kGamma[std::size_t(c)] * (v[c] - mean) / std::sqrt(var + eps) + kBeta[std::size_t(c)];
      for (Index o = 0; o < 2; ++o) {
        double z = kB[std::size_t(o)];
        for (Index c = 0; c < 3; ++c) z += n[c] * kW[std::size_t(c * 2 + o)];
        y[(o * 2 + h) * 2 + w] = z;
      }
    }
  return y;
}

}  // namespace

TEST_CASE("ONNX: LayerNorm from its decomposition and from LayerNormalization, in channels-last blocks",
          "[onnx][ops][layer_norm]") {
  const auto x = test::random_tensor<double>(Shape{1, 3, 2, 2}, 5, -2.0, 2.0);
  for (bool op : {false, true}) {
    INFO((op ? "LayerNormalization" : "decomposed"));
    OnnxBuilder b = channels_last(op);
    const auto m = import_onnx_model<double>(b.model(), {}, "ln.onnx");
    std::vector<std::string> kinds;
    for (Index i = 0; i < m.network.size(); ++i) kinds.push_back(m.network.node(i).kind);
    CHECK(kinds == std::vector<std::string>{"Transpose", "LayerNorm", "Dense", "Transpose"});
    const auto& ln = m.network.layer<LayerNorm<double>>(1);
    CHECK(ln.eps() == 1e-6);  // the float32 constant read as the value it was written from
    const auto y = test::run_forward(m.network, x.cview());
    test::require_close(y, reference(x, 1e-6), 1e-13, 1e-13, "imported vs naive");
    if (!op) {
      REQUIRE(m.report.patterns.size() == 1);
      CHECK(m.report.patterns[0].what.find("LayerNorm from ReduceMean/Sub/Pow/ReduceMean/Add/Sqrt/Div") == 0);
      CHECK(m.report.patterns[0].nodes.size() == 7);
    }
  }
}

TEST_CASE("ONNX: broken LayerNorm decompositions and unfoldable last-axis constants are errors naming the node",
          "[onnx][errors][layer_norm]") {
  {  // Pow(d, 3)
    OnnxBuilder b;
    b.input("x", {1, 2, 2, 3}).output("y");
    b.init("three", {}, {3.0f});
    set_ints(b.node("ReduceMean", {"x"}, {"m"}, "mean"), "axes", {-1});
    b.node("Sub", {"x", "m"}, {"d"}, "sub");
    b.node("Pow", {"d", "three"}, {"y"}, "pow");
    require_io_error([&] { import_onnx_model<float>(b.model(), {}, "bad.onnx"); }, "io.214",
                     {"node 'pow' (Pow)", "expected Pow(x - mean, 2)", "'mean', 'sub'"});
  }
  {  // Sub(x, mean) of another x
    OnnxBuilder b;
    b.input("x", {1, 2, 2, 3}).output("y");
    b.node("Relu", {"x"}, {"r"}, "relu");
    set_ints(b.node("ReduceMean", {"x"}, {"m"}, "mean"), "axes", {3});
    b.node("Sub", {"r", "m"}, {"y"}, "sub");
    require_io_error([&] { import_onnx_model<float>(b.model(), {}, "bad.onnx"); }, "io.214",
                     {"node 'sub' (Sub)", "x - ReduceMean(x) with the same x"});
  }
  {  // Pow and Sqrt outside the pattern
    OnnxBuilder b;
    b.input("x", {1, 2, 2, 3}).output("y");
    b.init("two", {}, {2.0f});
    b.node("Pow", {"x", "two"}, {"y"}, "square");
    require_io_error([&] { import_onnx_model<float>(b.model(), {}, "bad.onnx"); }, "io.210",
                     {"node 'square' (Pow)", "only inside LayerNorm's decomposition"});
    OnnxBuilder s;
    s.input("x", {1, 2, 2, 3}).output("y");
    s.node("Sqrt", {"x"}, {"y"}, "root");
    require_io_error([&] { import_onnx_model<float>(s.model(), {}, "bad.onnx"); }, "io.210", {"node 'root' (Sqrt)"});
  }
  {  // a last-axis scale on an activation no LayerNorm produced
    OnnxBuilder b;
    b.input("x", {1, 2, 2, 3}).output("y");
    b.init("g", {3}, {1, 2, 3});
    b.node("Relu", {"x"}, {"r"}, "relu");
    b.node("Mul", {"r", "g"}, {"y"}, "scale");
    require_io_error([&] { import_onnx_model<float>(b.model(), {}, "bad.onnx"); }, "io.216",
                     {"node 'scale' (Mul)", "varies along the last axis of the activation [1, 2, 2, 3]"});
  }
  {  // LayerNormalization over another axis
    OnnxBuilder b(17);
    b.input("x", {1, 3, 2, 2}).output("y");
    b.init("gamma", {2}, {1, 1});
    set_int(b.node("LayerNormalization", {"x", "gamma"}, {"y"}, "ln"), "axis", 2);
    require_io_error([&] { import_onnx_model<float>(b.model(), {}, "bad.onnx"); }, "io.214",
                     {"node 'ln' (LayerNormalization)", "last axis only"});
  }
}

TEST_CASE("ONNX: token sequences - Transpose [0, 2, 1], LayerNormalization and MatMul + bias on [N, T, D]",
          "[onnx][ops][layer_norm]") {
  // x [1, 3, 4] ([N, D, T]) -> Transpose -> [1, 4, 3] tokens -> LayerNorm(D = 3) -> Dense 3 -> 2.
  OnnxBuilder b(17);
  b.input("x", {1, 3, 4}).output("y");
  b.init("gamma", {3}, kGamma).init("beta", {3}, kBeta).init("W", {3, 2}, kW).init("B", {2}, kB);
  set_ints(b.node("Transpose", {"x"}, {"t"}, "tokens"), "perm", {0, 2, 1});
  set_float(b.node("LayerNormalization", {"t", "gamma", "beta"}, {"n"}, "ln"), "epsilon", 1e-5f);
  b.node("MatMul", {"n", "W"}, {"mm"}, "fc");
  b.node("Add", {"mm", "B"}, {"y"}, "fc_bias");
  const auto m = import_onnx_model<double>(b.model(), {}, "tokens.onnx");
  REQUIRE(m.network.size() == 3);
  const auto x = test::random_tensor<double>(Shape{1, 3, 4}, 9, -2.0, 2.0);
  const auto y = test::run_forward(m.network, x.cview());
  REQUIRE(y.shape() == (Shape{1, 4, 2}));
  for (Index t = 0; t < 4; ++t) {
    double v[3], mean = 0, var = 0;
    for (Index c = 0; c < 3; ++c) mean += (v[c] = x[c * 4 + t]) / 3;
    for (Index c = 0; c < 3; ++c) var += (v[c] - mean) * (v[c] - mean) / 3;
    for (Index o = 0; o < 2; ++o) {
      double z = kB[std::size_t(o)];
      for (Index c = 0; c < 3; ++c)
        z += (kGamma[std::size_t(c)] * (v[c] - mean) / std::sqrt(var + 1e-5) + kBeta[std::size_t(c)]) * kW[std::size_t(c * 2 + o)];
      CHECK(y[t * 2 + o] == Approx(z).epsilon(1e-13).margin(1e-14));
    }
  }
}
