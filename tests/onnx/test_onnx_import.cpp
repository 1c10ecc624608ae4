// ONNX import of small graphs crafted with the protobuf API: each op mapping and folding rule
// against naive reference loops written here (ONNX semantics: a Pad's zeros are input cells),
// node naming, weights supplied as graph inputs, dropped Softmax, dead nodes.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "attrib/attrib.hpp"
#include "io/io_test_support.hpp"
#include "onnx/onnx_test_support.hpp"
#include "support/support.hpp"

using namespace attrib;
using attrib::test::OnnxBuilder;
using attrib::test::require_close;
using attrib::test::set_float;
using attrib::test::set_int;
using attrib::test::set_ints;
using attrib::test::set_string;

namespace {

std::vector<float> values(std::size_t n, unsigned seed) {
  const auto t = test::random_tensor<float>(Shape{Index(n)}, seed);
  return std::vector<float>(t.data(), t.data() + t.size());
}

template <class T>
OnnxModel<T> import(OnnxBuilder& b, const OnnxOptions<T>& opt = {}) {
  return import_onnx_model<T>(b.model(), opt, "crafted.onnx");
}

// Naive 2-D cross-correlation with explicit zero padding (top, left, bottom, right), stride s.
Tensor<double> naive_conv(const Tensor<double>& x, const std::vector<float>& w, const std::vector<float>& b,
                          Index cout, Index k, std::array<Index, 4> p, Index s) {
  const Index N = x.dim(0), C = x.dim(1), H = x.dim(2), W = x.dim(3);
  const Index OH = (H + p[0] + p[2] - k) / s + 1, OW = (W + p[1] + p[3] - k) / s + 1;
  Tensor<double> y(Shape{N, cout, OH, OW});
  for (Index n = 0; n < N; ++n)
    for (Index o = 0; o < cout; ++o)
      for (Index i = 0; i < OH; ++i)
        for (Index j = 0; j < OW; ++j) {
          double acc = b.empty() ? 0.0 : b[std::size_t(o)];
          for (Index c = 0; c < C; ++c)
            for (Index u = 0; u < k; ++u)
              for (Index v = 0; v < k; ++v) {
                const Index r = i * s + u - p[0], q = j * s + v - p[1];
                if (r >= 0 && r < H && q >= 0 && q < W)
                  acc += double(w[std::size_t(((o * C + c) * k + u) * k + v)]) * x.at(n, c, r, q);
              }
          y.at(n, o, i, j) = acc;
        }
  return y;
}

// x zero-padded by p cells on every side of H and W.
Tensor<double> zero_pad(const Tensor<double>& x, Index p) {
  Tensor<double> y(Shape{x.dim(0), x.dim(1), x.dim(2) + 2 * p, x.dim(3) + 2 * p});
  for (Index n = 0; n < x.dim(0); ++n)
    for (Index c = 0; c < x.dim(1); ++c)
      for (Index i = 0; i < x.dim(2); ++i)
        for (Index j = 0; j < x.dim(3); ++j) y.at(n, c, i + p, j + p) = x.at(n, c, i, j);
  return y;
}

// Unpadded k x k pooling with stride s: max or mean of each window.
Tensor<double> naive_pool(const Tensor<double>& x, Index k, Index s, bool max) {
  const Index OH = (x.dim(2) - k) / s + 1, OW = (x.dim(3) - k) / s + 1;
  Tensor<double> y(Shape{x.dim(0), x.dim(1), OH, OW});
  for (Index n = 0; n < x.dim(0); ++n)
    for (Index c = 0; c < x.dim(1); ++c)
      for (Index i = 0; i < OH; ++i)
        for (Index j = 0; j < OW; ++j) {
          double acc = max ? -std::numeric_limits<double>::infinity() : 0.0;
          for (Index u = 0; u < k; ++u)
            for (Index v = 0; v < k; ++v) {
              const double e = x.at(n, c, i * s + u, j * s + v);
              acc = max ? std::max(acc, e) : acc + e / double(k * k);
            }
          y.at(n, c, i, j) = acc;
        }
  return y;
}

}  // namespace

TEST_CASE("ONNX: MatMul with a transposed constant and a following Add become one Dense", "[onnx]") {
  OnnxBuilder b;
  const auto w = values(12, 1), bias = values(4, 2);
  b.input("x", {0, 3}).output("y").init("W", {4, 3}, w).init("b", {4}, bias);
  set_ints(b.node("Transpose", {"W"}, {"Wt"}, "t"), "perm", {1, 0});
  b.node("MatMul", {"x", "Wt"}, {"h"}, "fc");
  b.node("Add", {"h", "b"}, {"y"}, "fc_bias");
  const auto m = import<double>(b);
  REQUIRE(m.network.size() == 1);
  CHECK(m.network.node(0).name == "fc");
  REQUIRE(m.network.layer<Dense<double>>(0).has_bias());
  const auto x = test::random_tensor<double>(Shape{2, 3}, 3);
  const auto y = test::run_forward(m.network, x.cview());
  for (Index n = 0; n < 2; ++n)
    for (Index o = 0; o < 4; ++o) {
      double ref = bias[std::size_t(o)];
      for (Index i = 0; i < 3; ++i) ref += double(w[std::size_t(o * 3 + i)]) * x.at(n, i);
      CHECK(y.at(n, o) == Approx(ref).epsilon(1e-12));
    }
}

TEST_CASE("ONNX: Gemm with alpha, beta, transB = 0 and a broadcast bias", "[onnx]") {
  for (const std::vector<std::int64_t>& cdims : {std::vector<std::int64_t>{}, {1}, {2}, {1, 2}}) {
    OnnxBuilder b;
    const auto B = values(6, 4);
    const auto C = values(cdims.size() && cdims.back() == 2 ? 2 : 1, 5);
    b.input("x", {0, 3}).output("y").init("B", {3, 2}, B).init("C", cdims, C);
    auto& g = b.node("Gemm", {"x", "B", "C"}, {"y"}, "gemm");
    set_float(g, "alpha", 0.5f);
    set_float(g, "beta", 2.0f);
    const auto m = import<double>(b);
    const auto x = test::random_tensor<double>(Shape{3, 3}, 6);
    const auto y = test::run_forward(m.network, x.cview());
    for (Index n = 0; n < 3; ++n)
      for (Index o = 0; o < 2; ++o) {
        double ref = 2.0 * double(C[C.size() == 1 ? 0 : std::size_t(o)]);
        for (Index i = 0; i < 3; ++i) ref += 0.5 * double(B[std::size_t(i * 2 + o)]) * x.at(n, i);
        CHECK(y.at(n, o) == Approx(ref).epsilon(1e-6));  // alpha/beta scale float weights
      }
  }
}

TEST_CASE("ONNX: Conv with asymmetric pads and strides, a per-channel constant Add folded into its bias",
          "[onnx]") {
  OnnxBuilder b;
  const auto w = values(3 * 2 * 9, 7), c = values(3, 8);
  b.input("x", {0, 2, 6, 5}).output("y").init("W", {3, 2, 3, 3}, w).init("c", {3, 1, 1}, c);
  auto& conv = b.node("Conv", {"x", "W"}, {"h"}, "conv");  // no bias: the Add gives it one
  set_ints(conv, "pads", {1, 0, 2, 1});
  set_ints(conv, "strides", {2, 2});
  b.node("Add", {"c", "h"}, {"y"}, "add");  // constant first
  const auto m = import<double>(b);
  REQUIRE(m.network.size() == 1);
  CHECK(m.network.layer<Conv2d<double>>(0).has_bias());
  const auto x = test::random_tensor<double>(Shape{2, 2, 6, 5}, 9);
  require_close(test::run_forward(m.network, x.cview()), naive_conv(x, w, c, 3, 3, {1, 0, 2, 1}, 2), 1e-12, 1e-12,
                "conv");
}

TEST_CASE("ONNX: a zero Pad is merged into the next Conv, MaxPool of Relu output, or AveragePool", "[onnx]") {
  const auto x = test::random_tensor<double>(Shape{2, 2, 6, 6}, 10);
  SECTION("Pad -> Conv (asymmetric)") {
    OnnxBuilder b;
    const auto w = values(2 * 2 * 9, 11);
    b.input("x", {0, 2, 6, 6}).output("y").init("W", {2, 2, 3, 3}, w).init_ints("p", {8}, {0, 0, 1, 2, 0, 0, 2, 1});
    b.node("Pad", {"x", "p"}, {"xp"}, "pad");
    b.node("Conv", {"xp", "W"}, {"y"}, "conv");
    const auto m = import<double>(b);
    REQUIRE(m.network.size() == 1);
    require_close(test::run_forward(m.network, x.cview()), naive_conv(x, w, {}, 2, 3, {1, 2, 2, 1}, 1), 1e-12, 1e-12,
                  "conv");
  }
  SECTION("Relu -> Pad -> MaxPool") {
    OnnxBuilder b(10);  // opset 10: pads as an attribute
    b.input("x", {0, 2, 6, 6}).output("y");
    b.node("Relu", {"x"}, {"r"});
    set_ints(b.node("Pad", {"r"}, {"rp"}, "pad"), "pads", {0, 0, 1, 1, 0, 0, 1, 1});
    auto& pool = b.node("MaxPool", {"rp"}, {"y"}, "pool");
    set_ints(pool, "kernel_shape", {3, 3});
    set_ints(pool, "strides", {2, 2});
    const auto m = import<double>(b);
    REQUIRE(m.network.size() == 2);
    Tensor<double> r = x;
    for (Index i = 0; i < r.size(); ++i) r[i] = std::max(r[i], 0.0);
    require_close(test::run_forward(m.network, x.cview()), naive_pool(zero_pad(r, 1), 3, 2, true), 1e-12, 1e-12,
                  "maxpool");
  }
  SECTION("Pad -> AveragePool (the Pad's zeros count in the divisor)") {
    OnnxBuilder b;
    b.input("x", {0, 2, 6, 6}).output("y").init_ints("p", {8}, {0, 0, 1, 1, 0, 0, 1, 1});
    b.node("Pad", {"x", "p"}, {"xp"}, "pad");
    auto& pool = b.node("AveragePool", {"xp"}, {"y"}, "pool");
    set_ints(pool, "kernel_shape", {3, 3});
    const auto m = import<double>(b);
    REQUIRE(m.network.layer<AvgPool2d<double>>(0).count_include_pad());
    require_close(test::run_forward(m.network, x.cview()), naive_pool(zero_pad(x, 1), 3, 1, false), 1e-12, 1e-12,
                  "avgpool");
  }
}

TEST_CASE("ONNX: flatten patterns become Flatten, batch-generic", "[onnx]") {
  for (const std::vector<std::int64_t>& shape : {std::vector<std::int64_t>{0, -1}, {-1, 48}, {1, 48}}) {
    OnnxBuilder b;
    b.input("x", {0, 3, 4, 4}).output("y").init_ints("s", {2}, shape);
    b.node("Reshape", {"x", "s"}, {"y"}, "flat");
    const auto m = import<float>(b);
    REQUIRE(m.network.size() == 1);
    CHECK(m.network.node(0).kind == std::string("Flatten"));
    // a literal batch size is reinterpreted, with a notice, when the file's batch is symbolic
    CHECK(m.notices.size() == (shape[0] == 1 ? 1u : 0u));
  }
  // torch's x.view(x.size(0), -1): Shape -> Gather -> Unsqueeze -> Concat -> Reshape
  OnnxBuilder b;
  b.input("x", {0, 3, 4, 4}).output("y").init_ints("zero", {}, {0}).init_ints("axes", {1}, {0}).init_ints("m1", {1}, {-1});
  b.node("Shape", {"x"}, {"s"});
  b.node("Gather", {"s", "zero"}, {"n"});
  b.node("Unsqueeze", {"n", "axes"}, {"n1"});
  set_int(b.node("Concat", {"n1", "m1"}, {"shape"}), "axis", 0);
  b.node("Reshape", {"x", "shape"}, {"y"});
  const auto m = import<float>(b);
  REQUIRE(m.network.size() == 1);
  CHECK(m.network.node(0).kind == std::string("Flatten"));
  CHECK(m.network.node(0).name == "Reshape_4");
  const auto x = test::random_tensor<float>(Shape{3, 3, 4, 4}, 12);
  const auto y = test::run_forward(m.network, x.cview());
  CHECK(y.shape() == (Shape{3, 48}));
  CHECK(y.vec() == x.vec());
}

TEST_CASE("ONNX: node names (unnamed: op type + index, duplicates made unique)", "[onnx]") {
  OnnxBuilder b;
  b.input("x", {0, 4}).output("y");
  b.node("Relu", {"x"}, {"a"});
  b.node("Relu", {"a"}, {"b"}, "act");
  b.node("Relu", {"b"}, {"c"}, "act");
  b.node("Relu", {"c"}, {"y"}, "act");
  const auto m = import<float>(b);
  REQUIRE(m.network.size() == 4);
  CHECK(m.network.node(0).name == "Relu_0");
  CHECK(m.network.node(1).name == "act");
  CHECK(m.network.node(2).name == "act_1");
  CHECK(m.network.node(3).name == "act_2");
}

TEST_CASE("ONNX: weights as graph inputs from OnnxOptions::tensors (also overriding an initializer)", "[onnx]") {
  OnnxBuilder b;
  const auto w = values(2 * 4, 13);
  b.input("x", {0, 4}).input("W", {2, 4}).input("B", {2}).output("y").init("B", {2}, {100.f, 100.f});
  auto& g = b.node("Gemm", {"x", "W", "B"}, {"y"}, "fc");
  set_int(g, "transB", 1);
  OnnxOptions<double> opt;
  opt.tensors["W"] = Tensor<double>(Shape{2, 4}, std::vector<double>(w.begin(), w.end()));
  opt.tensors["B"] = Tensor<double>(Shape{2}, std::vector<double>{0.5, -0.5});
  const auto m = import<double>(b, opt);
  CHECK(m.input_name == "x");
  const auto& d = m.network.layer<Dense<double>>("fc");
  CHECK(d.weight().data()[5] == Approx(w[5]));
  CHECK(d.bias().data()[0] == 0.5);
  CHECK(d.bias().data()[1] == -0.5);
}

TEST_CASE("ONNX: a trailing Softmax/LogSoftmax is dropped with a notice", "[onnx]") {
  for (const char* op : {"Softmax", "LogSoftmax"}) {
    OnnxBuilder b;
    b.input("x", {0, 4}).output("p").init("W", {4, 3}, values(12, 14));
    b.node("MatMul", {"x", "W"}, {"logits"}, "fc");
    set_int(b.node(op, {"logits"}, {"p"}, "prob"), "axis", 1);
    const auto m = import<float>(b);
    REQUIRE(m.network.size() == 1);
    CHECK(m.output_name == "logits");
    CHECK(m.output_shape == (Shape{1, 3}));
    REQUIRE(m.notices.size() == 1);
    CHECK(m.notices[0] == std::string(op) + " 'prob' at the output dropped: attrib explains the logits ('logits')");
  }
}

TEST_CASE("ONNX: Identity and Dropout become layers, constants pass through, dead nodes are ignored", "[onnx]") {
  OnnxBuilder b(13);
  b.input("x", {0, 2, 3, 3}).output("y");
  auto* ratio = b.graph().add_initializer();
  ratio->set_name("ratio");
  ratio->set_data_type(::onnx::TensorProto::FLOAT);
  ratio->add_float_data(0.25f);
  b.node("Identity", {"x"}, {"a"}, "id");
  b.node("Dropout", {"a", "ratio"}, {"d"}, "drop");
  b.node("Sigmoid", {"x"}, {"unused"}, "dead");  // not supported, but nothing depends on it
  b.node("Relu", {"d"}, {"y"}, "relu");
  const auto m = import<float>(b);
  REQUIRE(m.network.size() == 3);
  CHECK(m.network.node(0).kind == std::string("Identity"));
  CHECK(m.network.layer<Dropout<float>>("drop").p() == Approx(0.25));
  CHECK(m.network.node(2).kind == std::string("ReLU"));
}

TEST_CASE("ONNX: BatchNormalization on [N, C] with a constant Add folded into its shift", "[onnx]") {
  OnnxBuilder b(9);
  b.input("x", {0, 3}).output("y");
  b.init("s", {3}, {1.f, 2.f, -1.f}).init("bb", {3}, {0.f, 1.f, 2.f}).init("mu", {3}, {0.5f, 0.f, -1.f});
  b.init("var", {3}, {1.f, 4.f, 0.25f}).init("c", {1}, {10.f});
  set_float(b.node("BatchNormalization", {"x", "s", "bb", "mu", "var"}, {"h"}, "bn"), "epsilon", 0.f);
  b.node("Add", {"h", "c"}, {"y"}, "shift");
  const auto m = import<double>(b);
  REQUIRE(m.network.size() == 1);
  const auto x = test::random_tensor<double>(Shape{2, 3}, 15);
  const auto y = test::run_forward(m.network, x.cview());
  const double s[] = {1, 2, -1}, bb[] = {0, 1, 2}, mu[] = {0.5, 0, -1}, sd[] = {1, 2, 0.5};
  for (Index n = 0; n < 2; ++n)
    for (Index c = 0; c < 3; ++c)
      CHECK(y.at(n, c) == Approx(s[c] * (x.at(n, c) - mu[c]) / sd[c] + bb[c] + 10).epsilon(1e-12));
}

TEST_CASE("ONNX: the symbolic input shape can be overridden", "[onnx]") {
  OnnxBuilder b;
  b.input("x", {0, 2, 0, 0}).output("y");  // H and W symbolic
  b.node("Relu", {"x"}, {"y"});
  OnnxOptions<float> opt;
  opt.input_shape = Shape{1, 2, 7, 9};
  const auto m = import<float>(b, opt);
  CHECK(m.input_shape == (Shape{1, 2, 7, 9}));
  CHECK(m.output_shape == (Shape{1, 2, 7, 9}));
}

TEST_CASE("ONNX: load_onnx_tensor reads raw, typed and scalar TensorProtos", "[onnx]") {
  test::TempDir tmp;
  auto save = [&](const ::onnx::TensorProto& t, const std::string& name) {
    std::ofstream f(tmp.file(name), std::ios::binary);
    REQUIRE(t.SerializeToOstream(&f));
    return tmp.file(name);
  };
  ::onnx::TensorProto raw;
  raw.set_name("r");
  raw.set_data_type(::onnx::TensorProto::FLOAT);
  raw.add_dims(2);
  raw.add_dims(1);
  const float v[2] = {1.5f, -0.25f};
  raw.set_raw_data(std::string(reinterpret_cast<const char*>(v), sizeof v));  // little-endian host
  std::string name;
  const auto r = load_onnx_tensor<double>(save(raw, "raw.pb"), &name);
  CHECK(name == "r");
  CHECK(r.shape() == (Shape{2, 1}));
  CHECK(r[0] == 1.5);
  CHECK(r[1] == -0.25);

  ::onnx::TensorProto d;
  d.set_data_type(::onnx::TensorProto::DOUBLE);
  d.add_double_data(0.1);  // rank 0
  const auto s = load_onnx_tensor<float>(save(d, "scalar.pb"));
  CHECK(s.shape() == (Shape{1}));
  CHECK(s[0] == 0.1f);

  ::onnx::TensorProto i;
  i.set_data_type(::onnx::TensorProto::INT64);
  i.add_dims(1);
  i.add_int64_data(3);
  test::require_io_error([&] { load_onnx_tensor<float>(save(i, "int.pb")); }, "io.220",
                         {"int.pb", "data type INT64; supported: FLOAT, DOUBLE"});
}
