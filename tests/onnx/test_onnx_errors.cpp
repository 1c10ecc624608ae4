// ONNX import errors: every documented IoError id (docs/io.md, "ONNX") with its message naming
// the file, the node, its op type and what is supported.
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "io/io_test_support.hpp"
#include "onnx/onnx_test_support.hpp"

using namespace attrib;
using attrib::test::OnnxBuilder;
using attrib::test::require_io_error;
using attrib::test::set_int;
using attrib::test::set_ints;
using attrib::test::set_string;

namespace {

void import(OnnxBuilder& b, const OnnxOptions<float>& opt = {}) {
  import_onnx_model<float>(b.model(), opt, "bad.onnx");
}

// x [N, 2, 6, 6] -> <op> -> y, with W [2, 2, 3, 3] available as an initializer.
OnnxBuilder image_model() {
  OnnxBuilder b;
  b.input("x", {0, 2, 6, 6}).output("y").init("W", {2, 2, 3, 3}, std::vector<float>(36, 0.1f));
  return b;
}

}  // namespace

TEST_CASE("ONNX errors: unreadable files", "[onnx][errors]") {
  test::TempDir tmp;
  require_io_error([&] { load_onnx<float>(tmp.file("missing.onnx")); }, "io.100",
                   {"ONNX file '", "missing.onnx': no such file"});
  require_io_error([&] { load_onnx<float>(tmp.path().string()); }, "io.100", {"not a regular file"});

  const auto whole = test::read_bytes(std::string(ATTRIB_ONNX_FIXTURE_DIR) + "/cnn.onnx");
  test::write_bytes(tmp.file("half.onnx"), std::vector<unsigned char>(whole.begin(), whole.begin() + long(whole.size() / 2)));
  require_io_error([&] { load_onnx<float>(tmp.file("half.onnx")); }, "io.201",
                   {"half.onnx': not a valid ONNX protobuf", "truncated or not an ONNX model"});
  // Every truncation gives an IoError (never a crash or a silent partial model).
  for (std::size_t len : {std::size_t(0), std::size_t(1), std::size_t(7), std::size_t(100), whole.size() - 1}) {
    test::write_bytes(tmp.file("cut.onnx"), std::vector<unsigned char>(whole.begin(), whole.begin() + long(len)));
    INFO("length " << len);
    CHECK_THROWS_AS(load_onnx<float>(tmp.file("cut.onnx")), IoError);
  }
  test::write_bytes(tmp.file("empty.onnx"), {});
  require_io_error([&] { load_onnx<float>(tmp.file("empty.onnx")); }, "io.202", {"empty.onnx': no graph"});
  test::write_bytes(tmp.file("text.onnx"), {'h', 'e', 'l', 'l', 'o'});
  require_io_error([&] { load_onnx<float>(tmp.file("text.onnx")); }, "io.201", {"text.onnx"});
  require_io_error([&] { load_onnx_tensor<float>(tmp.file("half.onnx")); }, "io.201", {"not a valid TensorProto"});
}

TEST_CASE("ONNX errors: unsupported op, domain and Softmax position", "[onnx][errors]") {
  OnnxBuilder b = image_model();
  b.node("Exp", {"x"}, {"y"}, "gate");
  require_io_error([&] { import(b); }, "io.210",
                   {"ONNX file 'bad.onnx': node 'gate' (Exp): operator not supported; supported on activations: Add "
                    "(residual sum", "Relu, Reshape (flatten", "Softmax/LogSoftmax (at the output only, stripped); "
                    "evaluated on constants only (shapes, weights) at import time: Constant, ConstantOfShape, Gather"});
  // unsupported.onnx was made when Sigmoid had no layer; it imports now.
  const auto sig = import_onnx<float>(std::string(ATTRIB_ONNX_FIXTURE_DIR) + "/unsupported.onnx");
  CHECK(sig.report.layers.at("Sigmoid") == 1);
  OnnxBuilder d = image_model();
  d.node("Relu", {"x"}, {"y"}, "r").set_domain("com.example");
  require_io_error([&] { import(d); }, "io.210", {"node 'r' (Relu): operator domain 'com.example'"});
  OnnxBuilder s = image_model();
  s.node("Softmax", {"x"}, {"p"}, "sm");
  s.node("Relu", {"p"}, {"y"}, "r");
  require_io_error([&] { import(s); }, "io.210", {"node 'sm' (Softmax): supported only at the model output, where it is stripped"});
  OnnxBuilder m = image_model();
  m.node("Div", {"x", "x"}, {"y"}, "q");
  require_io_error([&] { import(m); }, "io.210", {"node 'q' (Div): a quotient of two activations; attrib has no layer"});
  OnnxBuilder r = image_model();
  r.init("c", {}, {2.f});
  r.node("Div", {"c", "x"}, {"y"}, "inv");
  require_io_error([&] { import(r); }, "io.210", {"node 'inv' (Div): a constant divided by an activation"});
  OnnxBuilder e = image_model();
  e.node("Erf", {"x"}, {"y"}, "erf");
  require_io_error([&] { import(e); }, "io.210", {"node 'erf' (Erf): Erf is supported only inside GELU's decomposition"});
}

TEST_CASE("ONNX errors: unsupported attributes and attribute values", "[onnx][errors]") {
  OnnxBuilder a = image_model();
  set_int(a.node("Conv", {"x", "W"}, {"y"}, "conv"), "foo", 1);
  require_io_error([&] { import(a); }, "io.211",
                   {"node 'conv' (Conv): attribute 'foo' is not supported; supported attributes: auto_pad, dilations, "
                    "group, kernel_shape, pads, strides"});
  OnnxBuilder v = image_model();
  set_string(v.node("Conv", {"x", "W"}, {"y"}, "conv"), "auto_pad", "FULL");
  require_io_error([&] { import(v); }, "io.212",
                   {"node 'conv' (Conv): auto_pad = \"FULL\"; supported: NOTSET, SAME_UPPER, SAME_LOWER, VALID"});
  OnnxBuilder t = image_model();
  set_int(t.node("Conv", {"x", "W"}, {"y"}, "conv"), "strides", 2);
  require_io_error([&] { import(t); }, "io.212", {"attribute strides has type INT, expected a list of integers"});
  OnnxBuilder so = image_model();
  auto& pool = so.node("MaxPool", {"x"}, {"y"}, "pool");
  set_ints(pool, "kernel_shape", {2, 2});
  set_int(pool, "storage_order", 1);
  require_io_error([&] { import(so); }, "io.212", {"node 'pool' (MaxPool): storage_order = 1; supported: 0"});
  OnnxBuilder asym = image_model();
  auto& p2 = asym.node("AveragePool", {"x"}, {"y"}, "avg");
  set_ints(p2, "kernel_shape", {3, 3});
  set_ints(p2, "pads", {1, 1, 0, 0});
  require_io_error([&] { import(asym); }, "io.212", {"pads (top, left, bottom, right) = [1, 1, 0, 0] are asymmetric"});
  OnnxBuilder g;
  g.input("A", {3, 2}).output("y").init("B", {3, 4}, std::vector<float>(12, 1.f));
  set_int(g.node("Gemm", {"A", "B"}, {"y"}, "gemm"), "transA", 1);
  require_io_error([&] { import(g); }, "io.212", {"node 'gemm' (Gemm): transA = 1 would transpose the activation"});
}

TEST_CASE("ONNX errors: graph inputs and outputs", "[onnx][errors]") {
  OnnxBuilder two = image_model();
  two.input("W2", {2, 2, 3, 3});
  two.node("Conv", {"x", "W2"}, {"y"}, "conv");
  require_io_error([&] { import(two); }, "io.203",
                   {"2 graph inputs without data ('x', 'W2')", "supply the others (weights) in OnnxOptions::tensors"});
  OnnxOptions<float> opt;
  opt.tensors["nope"] = Tensor<float>(Shape{1});
  require_io_error([&] { import(two, opt); }, "io.230", {"OnnxOptions::tensors has 'nope', which is not a graph input ('x', 'W2')"});
  OnnxBuilder outs = image_model();
  outs.output("z");
  outs.node("Relu", {"x"}, {"y"});
  outs.node("Relu", {"x"}, {"z"});
  require_io_error([&] { import(outs); }, "io.204", {"the graph has 2 outputs"});
  OnnxBuilder none;
  none.input("x", {0, 4}).output("x");
  require_io_error([&] { import(none); }, "io.204", {"the output 'x' is the model input"});
  OnnxBuilder ity;
  ity.input("x", {0, 4}, ::onnx::TensorProto::INT64).output("y");
  ity.node("Relu", {"x"}, {"y"});
  require_io_error([&] { import(ity); }, "io.205", {"input 'x' has element type INT64; supported: FLOAT, DOUBLE"});
  OnnxBuilder r5;
  r5.input("x", {1, 2, 3, 4, 5}).output("y");
  r5.node("Relu", {"x"}, {"y"});
  require_io_error([&] { import(r5); }, "io.205", {"input 'x' has rank 5"});
  OnnxBuilder sym;
  sym.input("x", {0, 2, 0, 6}).output("y");
  sym.node("Relu", {"x"}, {"y"});
  require_io_error([&] { import(sym); }, "io.205",
                   {"input 'x' [N, 2, N, 6]: dimension 2 ('N') is symbolic; attrib imports for concrete sizes",
                    "give OnnxOptions::input_shape"});
}

TEST_CASE("ONNX errors: inputs that must be constants or activations", "[onnx][errors]") {
  OnnxBuilder w = image_model();
  w.node("Relu", {"x"}, {"r"});
  w.node("Conv", {"x", "r"}, {"y"}, "conv");
  require_io_error([&] { import(w); }, "io.213",
                   {"node 'conv' (Conv): weight W (input 1 'r') depends on the model input"});
  OnnxBuilder u = image_model();
  u.node("Conv", {"x", "nowhere"}, {"y"}, "conv");
  require_io_error([&] { import(u); }, "io.213", {"input 1 'nowhere' is not produced by any earlier node, initializer or input"});
}

TEST_CASE("ONNX errors: shapes attrib's NCHW layers cannot express", "[onnx][errors]") {
  OnnxBuilder r = image_model();
  r.init_ints("s", {3}, {0, 4, 18});
  r.node("Reshape", {"x", "s"}, {"y"}, "rs");
  require_io_error([&] { import(r); }, "io.214",
                   {"node 'rs' (Reshape): reshape of the activation [1, 2, 6, 6] to [0, 4, 18]", "flattening to [N, C*H*W]"});
  OnnxBuilder t = image_model();
  set_ints(t.node("Transpose", {"x"}, {"y"}, "batch_moved"), "perm", {1, 0, 2, 3});
  require_io_error([&] { import(t); }, "io.214", {"perm = [1, 0, 2, 3] on the activation [1, 2, 6, 6]", "perm[0] = 0"});
  OnnxBuilder i = image_model();
  i.output("idx");
  i.graph().mutable_output()->DeleteSubrange(0, 1);
  auto& mp = i.node("MaxPool", {"x"}, {"y", "idx"}, "mp");
  set_ints(mp, "kernel_shape", {2, 2});
  require_io_error([&] { import(i); }, "io.214", {"node 'mp' (MaxPool): output 1 (Indices) is used"});
  OnnxBuilder c;  // ONNX's ceil mode keeps a last window starting in the padding; PyTorch's drops it
  c.input("x", {1, 1, 5, 5}).output("y");
  auto& cp = c.node("MaxPool", {"x"}, {"y"}, "mp");
  set_ints(cp, "kernel_shape", {2, 2});
  set_ints(cp, "strides", {3, 3});
  set_ints(cp, "pads", {1, 1, 1, 1});
  set_int(cp, "ceil_mode", 1);
  require_io_error([&] { import(c); }, "io.214", {"ONNX gives a 3x3 output, attrib's layer (PyTorch's window rules) 2x2"});
  OnnxBuilder f = image_model();
  set_int(f.node("Flatten", {"x"}, {"y"}, "fl"), "axis", 2);
  require_io_error([&] { import(f); }, "io.214", {"axis = 2 on input [1, 2, 6, 6]; supported: axis 1"});
}

TEST_CASE("ONNX errors: a Pad that cannot be merged", "[onnx][errors]") {
  auto padded = [](bool relu_first) {
    OnnxBuilder b = image_model();
    b.init_ints("p", {8}, {0, 0, 1, 1, 0, 0, 1, 1});
    b.node("Relu", {"x"}, {"r"});
    b.node("Pad", {relu_first ? "r" : "x", "p"}, {"xp"}, "pad");
    return b;
  };
  OnnxBuilder a = padded(false);
  a.node("Relu", {"xp"}, {"y"}, "act");
  require_io_error([&] { import(a); }, "io.215",
                   {"node 'act' (Relu): its input comes from Pad 'pad', whose padding can be merged only into a following "
                    "Conv, AveragePool, or MaxPool of non-negative (Relu) values"});
  OnnxBuilder m = padded(false);
  set_ints(m.node("MaxPool", {"xp"}, {"y"}, "mp"), "kernel_shape", {3, 3});
  require_io_error([&] { import(m); }, "io.215", {"node 'mp' (MaxPool): its input comes from Pad 'pad' (zero padding)",
                                                  "not a Relu output"});
  OnnxBuilder v = padded(true);
  auto& ap = v.node("AveragePool", {"xp"}, {"y"}, "ap");
  set_ints(ap, "kernel_shape", {3, 3});
  set_ints(ap, "pads", {1, 1, 1, 1});
  require_io_error([&] { import(v); }, "io.215", {"node 'ap' (AveragePool): Pad 'pad' feeds an AveragePool with its own "
                                                  "pads and count_include_pad = 0"});
  OnnxBuilder e = image_model();
  set_string(e.node("Pad", {"x"}, {"y"}, "pad"), "mode", "reflect");
  require_io_error([&] { import(e); }, "io.212", {"node 'pad' (Pad): mode = \"reflect\"; supported: constant"});
  OnnxBuilder val = image_model();
  val.init_ints("p", {8}, {0, 0, 1, 1, 0, 0, 1, 1}).init("one", {}, {1.f});
  val.node("Pad", {"x", "p", "one"}, {"y"}, "pad");
  require_io_error([&] { import(val); }, "io.212", {"node 'pad' (Pad): value = 1; supported: 0"});
}

TEST_CASE("ONNX errors: constants that vary per position cannot be combined with an activation", "[onnx][errors]") {
  OnnxBuilder h = image_model();
  h.init("c", {6, 1}, std::vector<float>(6, 1.f));  // varies along H
  h.node("Conv", {"x", "W"}, {"h"}, "conv");
  h.node("Add", {"h", "c"}, {"y"}, "add");
  require_io_error([&] { import(h); }, "io.216", {"the constant operand has shape [6, 1] against the activation [1, 2, 4, 4]"});
  OnnxBuilder m = image_model();
  m.init("c", {1, 2, 4, 4}, std::vector<float>(32, 2.f));  // one value per position
  m.node("Mul", {"x", "c"}, {"y"}, "mul");
  require_io_error([&] { import(m); }, "io.216", {"node 'mul' (Mul): the constant operand has shape [1, 2, 4, 4]"});
}

TEST_CASE("ONNX errors: layers rejecting the parameters, tensor data", "[onnx][errors]") {
  OnnxBuilder p = image_model();
  auto& mp = p.node("MaxPool", {"x"}, {"y"}, "mp");
  set_ints(mp, "kernel_shape", {3, 3});
  set_ints(mp, "pads", {2, 2, 2, 2});
  require_io_error([&] { import(p); }, "io.217",
                   {"node 'mp' (MaxPool): rejected by attrib: [attrib.param.302] MaxPool2d: padding height = 2 with kernel 3"});
  OnnxBuilder s = image_model();
  auto* t = s.graph().mutable_initializer(0);
  t->set_data_type(::onnx::TensorProto::STRING);
  s.node("Conv", {"x", "W"}, {"y"}, "conv");
  require_io_error([&] { import(s); }, "io.220", {"initializer 'W': data type STRING"});
  OnnxBuilder n = image_model();
  n.graph().mutable_initializer(0)->add_float_data(1.f);
  n.node("Conv", {"x", "W"}, {"y"}, "conv");
  require_io_error([&] { import(n); }, "io.221", {"initializer 'W': float_data holds 37 values but dimensions [2, 2, 3, 3] need 36"});
  OnnxBuilder e = image_model();
  e.graph().mutable_initializer(0)->set_data_location(::onnx::TensorProto::EXTERNAL);
  e.node("Conv", {"x", "W"}, {"y"}, "conv");
  require_io_error([&] { import(e); }, "io.222", {"initializer 'W': data stored in an external file"});
  OnnxBuilder r = image_model();
  r.init("W5", {2, 1, 2, 3, 3}, std::vector<float>(36, 1.f));
  r.node("Conv", {"x", "W5"}, {"y"}, "conv");
  require_io_error([&] { import(r); }, "io.214", {"weight W [2, 1, 2, 3, 3]; attrib supports 2-D convolution only"});
  OnnxBuilder bn = image_model();
  bn.init("s", {1, 1, 1, 1, 2}, {1.f, 1.f}).init("z", {2}, {0.f, 0.f}).init("o", {2}, {1.f, 1.f});
  bn.node("BatchNormalization", {"x", "s", "z", "z", "o"}, {"y"}, "bn");
  require_io_error([&] { import(bn); }, "io.223", {"node 'bn' (BatchNormalization): scale: shape [1, 1, 1, 1, 2] has rank 5"});
}

// Issue #16 item 1: constant folding in int64 is checked. Before: INT64_MIN / -1 raised SIGFPE,
// the other ops wrapped (UBSan), and Mul(2^40, 2^40) feeding a Reshape gave "cannot reshape ... to [0]".
TEST_CASE("ONNX errors: integer overflow in constant folding names the node", "[onnx][errors]") {
  const std::int64_t lo = std::numeric_limits<std::int64_t>::min(), hi = std::numeric_limits<std::int64_t>::max();
  struct Case { const char* op; std::int64_t a, b; };
  for (const Case& c : {Case{"Div", lo, -1}, Case{"Mul", std::int64_t(1) << 40, std::int64_t(1) << 40},
                        Case{"Mul", lo, -1}, Case{"Add", hi, 1}, Case{"Sub", lo, 1}, Case{"Mul", -(std::int64_t(1) << 32), std::int64_t(1) << 32 | 1}}) {
    INFO(c.op << " " << c.a << " " << c.b);
    OnnxBuilder b = image_model();
    b.init_ints("a", {1}, {c.a}).init_ints("b", {1}, {c.b});
    b.node(c.op, {"a", "b"}, {"s"}, "fold");
    b.node("Reshape", {"x", "s"}, {"y"}, "reshape");
    require_io_error([&] { import(b); }, "io.218", {"node 'fold' (", "integer overflow", "does not fit in int64"});
  }
  // In range: no error from the folder (the Reshape itself then complains about the shape).
  OnnxBuilder ok = image_model();
  ok.init_ints("a", {1}, {lo + 1}).init_ints("b", {1}, {-1});
  ok.node("Div", {"a", "b"}, {"s"}, "fold");
  ok.node("Reshape", {"x", "s"}, {"y"}, "reshape");
  CHECK_THROWS_AS(import(ok), IoError);
  try { import(ok); } catch (const IoError& e) { CHECK(e.id() != "attrib.io.218"); }
}

TEST_CASE("ONNX errors: Slice with extreme steps and bounds folds without overflow", "[onnx][errors]") {
  const std::int64_t lo = std::numeric_limits<std::int64_t>::min(), hi = std::numeric_limits<std::int64_t>::max();
  for (std::int64_t step : {lo, hi, std::int64_t(-1), std::int64_t(3)}) {
    INFO("step " << step);
    OnnxBuilder b = image_model();
    b.init_ints("d", {4}, {1, 2, 3, 4}).init_ints("st", {1}, {step > 0 ? lo : hi}).init_ints("en", {1}, {step > 0 ? hi : lo});
    b.init_ints("ax", {1}, {0}).init_ints("sp", {1}, {step});
    b.node("Slice", {"d", "st", "en", "ax", "sp"}, {"s"}, "slice");
    b.node("Reshape", {"x", "s"}, {"y"}, "reshape");
    CHECK_THROWS_AS(import(b), IoError);  // folded fine; the Reshape of activations is refused
  }
}
