// Crafted graphs for the converters of element-wise ops, products, structure ops and 1-D layers
// (onnx_activations.hpp, onnx_structure.hpp): each imported network against a naive loop of
// the ONNX operator's definition, and the report's recognised patterns.
#include <cmath>
#include <string>
#include <vector>

#include "attrib/attrib.hpp"
#include "onnx/onnx_test_support.hpp"
#include "support/support.hpp"

using namespace attrib;
using attrib::test::OnnxBuilder;
using attrib::test::set_float;
using attrib::test::set_int;
using attrib::test::set_ints;
using attrib::test::set_string;

namespace {

/// A model with input x [1, 4, 3, 3] (or `dims`) and output y.
OnnxBuilder model(std::vector<std::int64_t> dims = {1, 4, 3, 3}) {
  OnnxBuilder b;
  b.input("x", dims).output("y");
  return b;
}

Tensor<double> input(const Shape& s, std::uint64_t seed = 3) { return test::random_tensor<double>(s, seed, -4.0, 4.0); }

/// Runs the imported network on x and checks y[i] = f(i, x) for every element.
template <class F>
void check_elementwise(OnnxBuilder& b, const Shape& s, const F& f, const std::string& kind) {
  const auto m = import_onnx_model<double>(b.model(), {}, "ops.onnx");
  CHECK(m.network.node(m.network.size() - 1).kind == kind);
  const auto x = input(s);
  const auto y = test::run_forward(m.network, x.cview());
  REQUIRE(y.size() == x.size());
  for (Index i = 0; i < x.size(); ++i) CHECK(y[i] == Approx(f(i, x[i])).margin(1e-14).epsilon(1e-13));
}

double sig(double v) { return 1 / (1 + std::exp(-v)); }

}  // namespace

TEST_CASE("ONNX ops: element-wise activations against their ONNX definitions", "[onnx][ops]") {
  const Shape s{1, 4, 3, 3};
  auto one = [&](const char* op, auto f, const char* kind, auto&& attrs) {
    INFO(op);
    OnnxBuilder b = model();
    attrs(b.node(op, {"x"}, {"y"}, "act"));
    check_elementwise(b, s, f, kind);
  };
  auto none = [](::onnx::NodeProto&) {};
  one("Sigmoid", [](Index, double v) { return sig(v); }, "Sigmoid", none);
  one("Tanh", [](Index, double v) { return std::tanh(v); }, "Tanh", none);
  one("Softplus", [](Index, double v) { return std::log(1 + std::exp(v)); }, "Softplus", none);
  one("Elu", [](Index, double v) { return v > 0 ? v : 0.5 * (std::exp(v) - 1); }, "ELU",
      [](::onnx::NodeProto& n) { set_float(n, "alpha", 0.5f); });
  one("LeakyRelu", [](Index, double v) { return v > 0 ? v : 0.01 * v; }, "LeakyReLU", none);
  // PyTorch's Hardsigmoid (alpha = 1/6 written as float32) is imported with alpha exactly 1/6.
  one("HardSigmoid", [](Index, double v) { return std::min(1.0, std::max(0.0, v / 6 + 0.5)); }, "HardSigmoid",
      [](::onnx::NodeProto& n) { set_float(n, "alpha", 1.0f / 6.0f); });
  one("HardSigmoid", [](Index, double v) { return std::min(1.0, std::max(0.0, 0.2 * v + 0.5)); }, "HardSigmoid", none);
  one("HardSwish", [](Index, double v) { return v * std::min(1.0, std::max(0.0, v / 6 + 0.5)); }, "HardSwish", none);
  one("Gelu", [](Index, double v) { return 0.5 * v * (1 + std::erf(v / std::sqrt(2.0))); }, "GELU", none);
  one("Gelu", [](Index, double v) { return 0.5 * v * (1 + std::tanh(std::sqrt(2 / M_PI) * (v + 0.044715 * v * v * v))); },
      "GELU", [](::onnx::NodeProto& n) { set_string(n, "approximate", "tanh"); });

  SECTION("Clip: bounds from inputs; Clip(0, 6) is ReLU6 and recognised") {
    OnnxBuilder b = model();
    b.init("lo", {}, {-1.f}).init("hi", {}, {2.5f});
    b.node("Clip", {"x", "lo", "hi"}, {"y"}, "clip");
    check_elementwise(b, s, [](Index, double v) { return std::min(2.5, std::max(-1.0, v)); }, "Clip");
    OnnxBuilder r = model();
    r.init("lo", {}, {0.f}).init("hi", {}, {6.f});
    r.node("Clip", {"x", "lo", "hi"}, {"y"}, "relu6");
    check_elementwise(r, s, [](Index, double v) { return std::min(6.0, std::max(0.0, v)); }, "ReLU6");
    const auto m = import_onnx_model<double>(r.model(), {}, "r.onnx");
    REQUIRE(m.report.patterns.size() == 1);
    CHECK(m.report.patterns[0].what == "ReLU6 from Clip(0, 6)");
    OnnxBuilder o = model();  // only a lower bound (max input absent)
    o.init("lo", {}, {0.5f});
    o.node("Clip", {"x", "lo"}, {"y"}, "clip");
    check_elementwise(o, s, [](Index, double v) { return std::max(0.5, v); }, "Clip");
  }
  SECTION("PRelu: one slope per channel") {
    OnnxBuilder b = model();
    b.init("a", {4, 1, 1}, {0.125f, -0.5f, 2.f, 0.f});  // exact in float32
    b.node("PRelu", {"x", "a"}, {"y"}, "prelu");
    const double a[] = {0.125, -0.5, 2.0, 0.0};
    check_elementwise(b, s, [&](Index i, double v) { return v > 0 ? v : a[(i / 9) % 4] * v; }, "PReLU");
  }
}

TEST_CASE("ONNX ops: an activation with a constant becomes ConstAffine (or a bias)", "[onnx][ops]") {
  const Shape s{1, 4, 3, 3};
  const double c[] = {1.5, -2.0, 0.25, 3.0};
  auto with = [&](const char* op, bool constant_first, auto f) {
    INFO(op << (constant_first ? " (constant first)" : ""));
    OnnxBuilder b = model();
    b.init("c", {4, 1, 1}, {1.5f, -2.f, 0.25f, 3.f});
    b.node("Relu", {"x"}, {"r"}, "relu");
    b.node(op, constant_first ? std::vector<std::string>{"c", "r"} : std::vector<std::string>{"r", "c"}, {"y"}, "op");
    check_elementwise(b, s, [&](Index i, double v) { return f(std::max(v, 0.0), c[(i / 9) % 4]); }, "ConstAffine");
  };
  with("Add", false, [](double v, double k) { return v + k; });
  with("Add", true, [](double v, double k) { return v + k; });
  with("Sub", false, [](double v, double k) { return v - k; });
  with("Sub", true, [](double v, double k) { return k - v; });
  with("Mul", true, [](double v, double k) { return v * k; });
  with("Div", false, [](double v, double k) { return v / k; });
  SECTION("an Add after a Conv still folds into its bias") {
    OnnxBuilder b = model();
    b.init("W", {4, 4, 1, 1}, std::vector<float>(16, 0.25f)).init("c", {1, 4, 1, 1}, {1.f, 2.f, 3.f, 4.f});
    b.node("Conv", {"x", "W"}, {"h"}, "conv");
    b.node("Add", {"h", "c"}, {"y"}, "bias");
    const auto m = import_onnx_model<double>(b.model(), {}, "b.onnx");
    CHECK(m.network.size() == 1);
    CHECK(m.network.layer<Conv2d<double>>(0).bias().view()[3] == 4.0);
  }
}

TEST_CASE("ONNX ops: products of activations, SiLU / HardSwish recognition, gates", "[onnx][ops]") {
  const Shape s{1, 4, 3, 3};
  SECTION("x * Sigmoid(x) is SiLU") {
    OnnxBuilder b = model();
    b.node("Sigmoid", {"x"}, {"s"}, "sig");
    b.node("Mul", {"x", "s"}, {"y"}, "mul");
    check_elementwise(b, s, [](Index, double v) { return v * sig(v); }, "SiLU");
    const auto m = import_onnx_model<double>(b.model(), {}, "silu.onnx");
    CHECK(m.network.size() == 1);
    CHECK(m.report.patterns.at(0).what == "SiLU from Sigmoid/Mul (x * sigmoid(x))");
  }
  SECTION("HardSigmoid(x) * x with PyTorch's constants is HardSwish") {
    OnnxBuilder b = model();
    set_float(b.node("HardSigmoid", {"x"}, {"s"}, "hs"), "alpha", 1.0f / 6.0f);
    b.node("Mul", {"s", "x"}, {"y"}, "mul");
    check_elementwise(b, s, [](Index, double v) { return v * std::min(1.0, std::max(0.0, v / 6 + 0.5)); }, "HardSwish");
  }
  SECTION("a squeeze-excitation gate: the broadcast operand is the gate") {
    OnnxBuilder b = model();
    b.node("GlobalAveragePool", {"x"}, {"p"}, "pool");
    b.node("Sigmoid", {"p"}, {"g"}, "gate");
    b.node("Mul", {"x", "g"}, {"y"}, "se");
    const auto m = import_onnx_model<double>(b.model(), {}, "se.onnx");
    const auto& mul = m.network.layer<Mul<double>>("se");
    CHECK(mul.gate() == 1);
    CHECK(m.report.patterns.at(0).what == "Mul gate = the broadcast operand");
    const auto x = input(s);
    const auto y = test::run_forward(m.network, x.cview());
    for (Index c = 0; c < 4; ++c) {
      double mean = 0;
      for (Index k = 0; k < 9; ++k) mean += x[c * 9 + k] / 9;
      for (Index k = 0; k < 9; ++k) CHECK(y[c * 9 + k] == Approx(x[c * 9 + k] * sig(mean)).epsilon(1e-13));
    }
  }
  SECTION("equal shapes: the Sigmoid output is the gate") {
    OnnxBuilder b = model();
    b.node("Relu", {"x"}, {"r"}, "relu");
    b.node("Tanh", {"x"}, {"t"}, "tanh");
    b.node("Sigmoid", {"t"}, {"g"}, "sig");
    b.node("Mul", {"g", "r"}, {"y"}, "mul");
    const auto m = import_onnx_model<double>(b.model(), {}, "g.onnx");
    CHECK(m.network.layer<Mul<double>>("mul").gate() == 0);
    check_elementwise(b, s, [](Index, double v) { return sig(std::tanh(v)) * std::max(v, 0.0); }, "Mul");
  }
}

TEST_CASE("ONNX ops: GELU recognised from its decomposition", "[onnx][ops]") {
  const Shape s{1, 4, 3, 3};
  auto gelu = [](Index, double v) { return 0.5 * v * (1 + std::erf(v / std::sqrt(2.0))); };
  SECTION("torch.onnx's form: Mul(Mul(x, 1 + Erf(Div(x, sqrt 2))), 0.5)") {
    OnnxBuilder b = model();
    b.init("r2", {}, {1.41421356f}).init("one", {}, {1.f}).init("half", {}, {0.5f});
    b.node("Div", {"x", "r2"}, {"d"}, "div");
    b.node("Erf", {"d"}, {"e"}, "erf");
    b.node("Add", {"e", "one"}, {"a"}, "add");
    b.node("Mul", {"x", "a"}, {"m"}, "mul");
    b.node("Mul", {"m", "half"}, {"y"}, "mul_half");
    check_elementwise(b, s, gelu, "GELU");
    const auto m = import_onnx_model<double>(b.model(), {}, "gelu.onnx");
    CHECK(m.network.size() == 1);
    REQUIRE(m.report.patterns.size() == 1);
    CHECK(m.report.patterns[0].nodes == (std::vector<std::string>{"div", "erf", "add", "mul", "mul_half"}));
  }
  SECTION("0.5 x first, x * 0.7071 inside") {
    OnnxBuilder b = model();
    b.init("r", {}, {0.70710678f}).init("one", {}, {1.f}).init("half", {}, {0.5f});
    b.node("Mul", {"half", "x"}, {"hx"}, "halfx");
    b.node("Mul", {"x", "r"}, {"d"}, "scale");
    b.node("Erf", {"d"}, {"e"}, "erf");
    b.node("Add", {"one", "e"}, {"a"}, "add");
    b.node("Mul", {"a", "hx"}, {"y"}, "mul");
    check_elementwise(b, s, gelu, "GELU");
  }
  SECTION("an intermediate used elsewhere is an error") {
    OnnxBuilder b = model();
    b.init("r2", {}, {1.41421356f}).init("one", {}, {1.f});
    b.node("Div", {"x", "r2"}, {"d"}, "div");
    b.node("Erf", {"d"}, {"e"}, "erf");
    b.node("Add", {"e", "one"}, {"a"}, "add");
    b.node("Relu", {"a"}, {"y"}, "relu");
    CHECK_THROWS_WITH(import_onnx_model<double>(b.model(), {}, "bad.onnx"),
                      Catch::Contains("is an intermediate of a GELU"));
  }
}

TEST_CASE("ONNX ops: Concat, Split, Slice, channel shuffle and ReduceMean of activations", "[onnx][ops]") {
  const Shape s{1, 4, 3, 3};
  const auto x = input(s);
  SECTION("Concat of three activations along the channels") {
    OnnxBuilder b = model();
    b.node("Relu", {"x"}, {"r"}, "relu");
    set_int(b.node("Concat", {"x", "r", "x"}, {"y"}, "cat"), "axis", 1);
    const auto m = import_onnx_model<double>(b.model(), {}, "cat.onnx");
    CHECK(m.network.node(1).inputs.size() == 3);
    const auto y = test::run_forward(m.network, x.cview());
    REQUIRE(y.shape() == (Shape{1, 12, 3, 3}));
    for (Index i = 0; i < 36; ++i) {
      CHECK(y[i] == x[i]);
      CHECK(y[36 + i] == std::max(x[i], 0.0));
      CHECK(y[72 + i] == x[i]);
    }
  }
  SECTION("Split into channel Slices, then Slice along W") {
    OnnxBuilder b = model();
    b.init_ints("parts", {2}, {1, 3}).init_ints("st", {1}, {1}).init_ints("en", {1}, {1000}).init_ints("ax", {1}, {3});
    set_int(b.node("Split", {"x", "parts"}, {"a", "c"}, "split"), "axis", 1);
    b.node("Slice", {"c", "st", "en", "ax"}, {"y"}, "slice");
    const auto m = import_onnx_model<double>(b.model(), {}, "split.onnx");
    const auto y = test::run_forward(m.network, x.cview());
    REQUIRE(y.shape() == (Shape{1, 3, 3, 2}));
    for (Index c = 0; c < 3; ++c)
      for (Index h = 0; h < 3; ++h)
        for (Index w = 0; w < 2; ++w) CHECK(y[(c * 3 + h) * 2 + w] == x[((c + 1) * 3 + h) * 3 + w + 1]);
  }
  SECTION("Reshape -> Transpose -> Reshape is a ChannelShuffle") {
    OnnxBuilder b = model();
    b.init_ints("g", {5}, {1, 2, 2, 3, 3}).init_ints("back", {4}, {1, -1, 3, 3});
    b.node("Reshape", {"x", "g"}, {"r"}, "reshape");
    set_ints(b.node("Transpose", {"r"}, {"t"}, "transpose"), "perm", {0, 2, 1, 3, 4});
    b.node("Reshape", {"t", "back"}, {"y"}, "reshape_back");
    const auto m = import_onnx_model<double>(b.model(), {}, "shuffle.onnx");
    REQUIRE(m.network.size() == 1);
    CHECK(m.network.layer<ChannelShuffle<double>>(0).groups() == 2);
    CHECK(m.report.patterns.at(0).what == "ChannelShuffle from Reshape/Transpose/Reshape");
    const auto y = test::run_forward(m.network, x.cview());
    const Index src[] = {0, 2, 1, 3};  // output channel j*2 + i is input channel i*2 + j
    for (Index c = 0; c < 4; ++c)
      for (Index k = 0; k < 9; ++k) CHECK(y[c * 9 + k] == x[src[c] * 9 + k]);
  }
  SECTION("ReduceMean over H, W") {
    OnnxBuilder b = model();
    auto& r = b.node("ReduceMean", {"x"}, {"y"}, "mean");
    set_ints(r, "axes", {2, 3});
    set_int(r, "keepdims", 0);
    const auto m = import_onnx_model<double>(b.model(), {}, "mean.onnx");
    const auto y = test::run_forward(m.network, x.cview());
    REQUIRE(y.shape() == (Shape{1, 4}));
    for (Index c = 0; c < 4; ++c) {
      double mean = 0;
      for (Index k = 0; k < 9; ++k) mean += x[c * 9 + k] / 9;
      CHECK(y[c] == Approx(mean).epsilon(1e-14));
    }
  }
}

TEST_CASE("ONNX ops: Conv, MaxPool, AveragePool and GlobalAveragePool on [N, C, L]", "[onnx][ops]") {
  OnnxBuilder b = model({1, 2, 10});
  b.init("W", {3, 2, 3}, {1, 0, -1, 0.5f, 0.5f, 0.5f, 2, 1, 0, 0, 0, 1, -1, 1, -1, 1, -1, 1})
      .init("B", {3}, {0.125f, -0.25f, 0.375f});
  auto& conv = b.node("Conv", {"x", "W", "B"}, {"c"}, "conv");
  set_ints(conv, "pads", {1, 1});
  b.node("Relu", {"c"}, {"r"}, "relu");
  auto& mp = b.node("MaxPool", {"r"}, {"p"}, "pool");
  set_ints(mp, "kernel_shape", {2});
  set_ints(mp, "strides", {2});
  auto& ap = b.node("AveragePool", {"p"}, {"a"}, "avg");
  set_ints(ap, "kernel_shape", {3});
  set_ints(ap, "pads", {1, 1});
  b.node("GlobalAveragePool", {"a"}, {"y"}, "gap");
  const auto m = import_onnx_model<double>(b.model(), {}, "seq.onnx");
  CHECK(m.network.node(0).kind == std::string("Conv1d"));
  CHECK(m.network.node(2).kind == std::string("MaxPool1d"));
  CHECK(m.network.node(3).kind == std::string("AvgPool1d"));
  const auto x = input(Shape{1, 2, 10});
  const auto y = test::run_forward(m.network, x.cview());
  REQUIRE(y.shape() == (Shape{1, 3, 1}));
  const double W[3][2][3] = {{{1, 0, -1}, {0.5, 0.5, 0.5}}, {{2, 1, 0}, {0, 0, 1}}, {{-1, 1, -1}, {1, -1, 1}}};
  const double B[3] = {0.125, -0.25, 0.375};
  for (Index o = 0; o < 3; ++o) {
    double c[10], p[5], total = 0;
    for (Index l = 0; l < 10; ++l) {
      double v = B[o];
      for (Index i = 0; i < 2; ++i)
        for (Index k = 0; k < 3; ++k) {
          const Index at = l + k - 1;
          if (at >= 0 && at < 10) v += W[o][i][k] * x[i * 10 + at];
        }
      c[l] = std::max(v, 0.0);
    }
    for (Index l = 0; l < 5; ++l) p[l] = std::max(c[2 * l], c[2 * l + 1]);
    for (Index l = 0; l < 5; ++l) {  // count_include_pad = 0: divide by the cells inside
      double v = 0;
      Index n = 0;
      for (Index k = l - 1; k <= l + 1; ++k)
        if (k >= 0 && k < 5) v += p[k], ++n;
      total += v / static_cast<double>(n) / 5;
    }
    CHECK(y[o] == Approx(total).epsilon(1e-13));
  }
}
