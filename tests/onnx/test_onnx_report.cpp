// The ONNX load report (OnnxModel::report), the list of every blocker in one IoError, the
// stripping of a trailing Softmax (OnnxOptions::keep_softmax) and symbolic input dimensions
// (OnnxOptions::input_shape). Oracles: hand-built graphs and the op counts that
// tools/make_zoo_fixtures.py wrote into tests/onnx/data/zoo/manifest.json.
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "attrib/io/detail/json_lite.hpp"
#include "io/io_test_support.hpp"
#include "onnx/onnx_test_support.hpp"

using namespace attrib;
using attrib::test::OnnxBuilder;
using attrib::test::require_io_error;
using attrib::test::set_int;
using Catch::Matchers::Contains;

namespace {

std::string zoo(const std::string& file) { return std::string(ATTRIB_ONNX_FIXTURE_DIR) + "/zoo/" + file; }

const detail::json::Value& manifest() {
  static const detail::json::Value m = [] {
    std::ifstream f(zoo("manifest.json"));
    std::stringstream s;
    s << f.rdbuf();
    return detail::json::parse(s.str());
  }();
  return m;
}

/// op type -> node count of one zoo file, from the manifest.
std::map<std::string, std::size_t> manifest_ops(const std::string& family, const std::string& file) {
  std::map<std::string, std::size_t> ops;
  const auto& o = *manifest().find(family)->find("files")->find(file)->find("op_types");
  for (std::size_t i = 0; i < o.keys().size(); ++i) ops[o.keys()[i]] = std::size_t(o.values()[i].as_unsigned());
  return ops;
}

/// The message of the IoError that f throws ("" and a failed check if it throws none).
template <class F>
std::string io_error(F&& f, std::string* id = nullptr) {
  try {
    f();
  } catch (const IoError& e) {
    if (id) *id = e.id();
    return e.what();
  }
  FAIL_CHECK("no IoError");
  return {};
}

/// The "  Op: k node(s)" lines of a multi-blocker message.
std::map<std::string, std::size_t> blocker_counts(const std::string& message) {
  std::map<std::string, std::size_t> counts;
  std::istringstream in(message);
  std::string line;
  while (std::getline(in, line)) {
    if (line.size() < 3 || line[0] != ' ' || line[1] != ' ' || line[2] == ' ') continue;
    const auto colon = line.find(": ");
    if (colon == std::string::npos) continue;
    counts[line.substr(2, colon - 2)] = std::stoul(line.substr(colon + 2));
  }
  return counts;
}

bool has_converter(const std::string& op) {
  for (const auto& c : detail::onnxio::converters<float>)
    if (op == c.op) return true;
  return false;
}

}  // namespace

TEST_CASE("ONNX report: one IoError lists every blocker, grouped by op with counts", "[onnx][errors]") {
  OnnxBuilder b;
  b.input("x", {0, 2, 6, 6}).output("y").init("W", {2, 2, 1, 1}, std::vector<float>(4, 0.5f));
  b.node("Exp", {"x"}, {"s1"}, "exp1");
  b.node("Conv", {"s1", "W"}, {"c1"}, "conv1");  // supported: checked on the stand-in for exp1
  b.node("Log", {"c1"}, {"h"}, "log");
  b.node("Exp", {"h"}, {"s2"}, "exp2");
  b.node("Div", {"h", "s2"}, {"m"}, "quot");     // quotient of activations: io.210 from its converter
  b.node("Erf", {"m"}, {"e"}, "erf");            // Erf outside GELU: io.210 from its converter
  set_int(b.node("Conv", {"e", "W"}, {"c2"}, "conv2"), "foo", 1);  // io.211
  b.node("ReduceMax", {"c2"}, {"r"}, "max");     // not element-wise: its output is unknown
  b.node("Relu", {"r"}, {"y"}, "relu");           // reads the unknown value: not checked
  std::string id;
  const std::string msg = io_error([&] { import_onnx_model<float>(b.model(), {}, "many.onnx"); }, &id);
  INFO(msg);
  CHECK(id == "attrib.io.210");
  CHECK_THAT(msg, Contains("ONNX file 'many.onnx': 7 nodes of 6 op types cannot be imported (1 node after them "
                           "not checked):"));
  CHECK_THAT(msg, Contains("\n  Exp: 2 nodes\n    [io.210] operator not supported; nodes 'exp1', 'exp2'"));
  CHECK_THAT(msg, Contains("\n  Log: 1 node\n    [io.210] operator not supported; nodes 'log'"));
  CHECK_THAT(msg, Contains("\n  Div: 1 node\n    [io.210] a quotient of two activations"));
  CHECK_THAT(msg, Contains("\n  Conv: 1 node\n    [io.211] attribute 'foo' is not supported"));
  CHECK_THAT(msg, Contains("nodes 'conv2'"));
  CHECK_THAT(msg, Contains("\n  Erf: 1 node\n    [io.210] Erf is supported only inside GELU"));
  CHECK_THAT(msg, Contains("\n  ReduceMax: 1 node\n"));
  CHECK(msg.find("'relu'") == std::string::npos);
  CHECK(msg.find("'conv1'") == std::string::npos);
  CHECK_THAT(msg, Contains("supported on activations: Add (residual sum"));
  CHECK_THAT(msg, Contains("evaluated on constants only (shapes, weights) at import time: Constant, "
                           "ConstantOfShape, Gather, Shape, Squeeze, Unsqueeze"));
  const auto counts = blocker_counts(msg);
  CHECK(counts == (std::map<std::string, std::size_t>{{"Conv", 1}, {"Div", 1}, {"Erf", 1}, {"Exp", 2}, {"Log", 1},
                                                      {"ReduceMax", 1}}));

  // Blockers that are all rejected attributes keep their own id.
  OnnxBuilder a;
  a.input("x", {0, 2, 6, 6}).output("y").init("W", {2, 2, 1, 1}, std::vector<float>(4, 0.5f));
  set_int(a.node("Conv", {"x", "W"}, {"c"}, "c1"), "foo", 1);
  set_int(a.node("Conv", {"x", "W"}, {"d"}, "c2"), "bar", 1);
  a.node("Add", {"c", "d"}, {"y"}, "sum");  // reads unknown values: not checked
  const std::string two = io_error([&] { import_onnx_model<float>(a.model(), {}, "two.onnx"); }, &id);
  CHECK(id == "attrib.io.211");
  CHECK_THAT(two, Contains("2 nodes of 1 op type cannot be imported (1 node after them not checked):\n"
                           "  Conv: 2 nodes\n    [io.211] attribute 'foo'"));
  CHECK_THAT(two, Contains("[io.211] attribute 'bar' is not supported; supported attributes: auto_pad"));
  CHECK(two.find("supported on activations") == std::string::npos);
}

TEST_CASE("ONNX report: the zoo's blockers match the op counts of manifest.json", "[onnx][errors]") {
  // Whatever attrib supports when this runs: an op without a converter must be listed with
  // all its nodes, and no op may be listed with more nodes than the file has.
  for (const std::string family : {"mobilenet_v3_small", "mobilenet_v2", "efficientnet_b0", "regnet_y_400mf",
                                   "squeezenet1_1", "shufflenet_v2_x1_0", "densenet121", "googlenet"}) {
    const auto ops = manifest_ops(family, family + ".onnx");
    std::string msg;
    try {
      const auto m = import_onnx<double>(zoo(family + ".onnx"));
      CHECK(m.report.layer_count() == std::size_t(m.network.size()));
      for (const auto& [op, count] : ops) CHECK(has_converter(op));
      continue;
    } catch (const IoError& e) {
      msg = e.what();
    }
    INFO(family << ": " << msg);
    const auto counts = blocker_counts(msg);
    for (const auto& [op, count] : counts) {
      REQUIRE(ops.count(op));
      CHECK(count <= ops.at(op));
    }
    for (const auto& [op, count] : ops)
      if (!has_converter(op)) {
        if (counts.empty()) CHECK_THAT(msg, Contains("(" + op + "): operator not supported"));
        else CHECK(counts.count(op) == 1);
        if (!counts.empty() && counts.count(op)) CHECK(counts.at(op) == count);
      }
  }
  // mobilenet_v3_small as of the zoo's commit: 28 HardSigmoid and 28 Mul (hard-swish, SE gates).
  const auto ops = manifest_ops("mobilenet_v3_small", "mobilenet_v3_small.onnx");
  CHECK(ops.at("HardSigmoid") == 28);
  CHECK(ops.at("Mul") == 28);
}

TEST_CASE("ONNX report: resnet18 from the zoo, layers by kind and BatchNorm kept", "[onnx]") {
  const std::map<std::string, std::string> kind{{"Add", "Add"}, {"BatchNormalization", "BatchNorm2d"},
                                                {"Conv", "Conv2d"}, {"Flatten", "Flatten"}, {"Gemm", "Dense"},
                                                {"GlobalAveragePool", "GlobalAvgPool2d"}, {"MaxPool", "MaxPool2d"},
                                                {"Relu", "ReLU"}};
  for (const std::string file : {"resnet18.onnx", "resnet18_preserve.onnx"}) {
    INFO(file);
    const auto m = import_onnx<float>(zoo(file));
    const OnnxLoadReport& r = m.report;
    std::map<std::string, std::size_t> expected;
    for (const auto& [op, count] : manifest_ops("resnet18", file)) expected[kind.at(op)] += count;
    CHECK(r.layers == expected);
    CHECK(r.layer_count() == std::size_t(m.network.size()));
    CHECK(r.input_name == "input.1");
    CHECK(r.output_name == "191");
    CHECK(r.input_shape == (Shape{1, 3, 64, 64}));
    CHECK(r.output_shape == (Shape{1, 10}));
    CHECK(r.stripped.empty());
    CHECK(r.folded.empty());
    CHECK(r.merged.empty());
    const bool bn = expected.count("BatchNorm2d") > 0;
    CHECK((r.notes.size() == 1) == bn);
    if (bn) CHECK_THAT(r.notes[0], Contains("20 BatchNormalization node(s) kept as BatchNorm2d layers; "
                                            "attrib::canonize(network) folds"));
    const std::string text = r.to_text();
    CHECK_THAT(text, Contains("ONNX import of '" + zoo(file) + "'"));
    CHECK_THAT(text, Contains("layers (" + std::to_string(m.network.size()) + "): Add 8, "));
    CHECK_THAT(text, Contains("Conv2d 20, Dense 1, Flatten 1, GlobalAvgPool2d 1, MaxPool2d 1, ReLU 17\n"));
  }
}

TEST_CASE("ONNX report: folded constants, merged nodes and the recognised flatten pattern", "[onnx]") {
  OnnxBuilder b;
  b.input("x", {0, 2, 3, 3}).output("y").init("W", {2, 2, 1, 1}, std::vector<float>(4, 0.5f));
  b.init("c", {1, 2, 1, 1}, {1.f, 2.f}).init_ints("zero", {}, {0}).init_ints("axes", {1}, {0});
  b.init_ints("minus1", {1}, {-1});
  b.node("Conv", {"x", "W"}, {"h"}, "conv");
  b.node("Add", {"h", "c"}, {"hb"}, "bias");
  b.node("Relu", {"hb"}, {"r"}, "relu");
  b.node("Shape", {"r"}, {"s"}, "shape");
  b.node("Gather", {"s", "zero"}, {"n"}, "gather");
  b.node("Unsqueeze", {"n", "axes"}, {"n1"}, "unsqueeze");
  set_int(b.node("Concat", {"n1", "minus1"}, {"target"}, "concat"), "axis", 0);
  b.node("Reshape", {"r", "target"}, {"y"}, "reshape");
  const auto m = import_onnx_model<float>(b.model(), {}, "flat.onnx");
  const OnnxLoadReport& r = m.report;
  CHECK(r.layers == (std::map<std::string, std::size_t>{{"Conv2d", 1}, {"Flatten", 1}, {"ReLU", 1}}));
  REQUIRE(r.folded.size() == 4);
  CHECK(r.folded[0].op == "Shape");
  CHECK(r.folded[3].name == "concat");
  REQUIRE(r.merged.size() == 1);
  CHECK(r.merged[0].name == "bias");
  CHECK(r.merged[0].detail == "added to the bias of 'conv'");
  REQUIRE(r.patterns.size() == 1);
  CHECK(r.patterns[0].what == "Flatten from Shape/Gather/Unsqueeze/Concat/Reshape");
  CHECK(r.patterns[0].nodes == (std::vector<std::string>{"shape", "gather", "unsqueeze", "concat", "reshape"}));
  CHECK(r.declared_input == (std::vector<std::string>{"N", "2", "3", "3"}));
  CHECK(r.symbolic_dims == (std::vector<std::string>{"N (axis 0)"}));
  const std::string text = r.to_text();
  INFO(text);
  CHECK_THAT(text, Contains("input  'x' [N, 2, 3, 3] (symbolic: N (axis 0)) imported as [1, 2, 3, 3]\n"));
  CHECK_THAT(text, Contains("recognised: Flatten from Shape/Gather/Unsqueeze/Concat/Reshape ('shape', 'gather', "
                            "'unsqueeze', 'concat', 'reshape')"));
  CHECK_THAT(text, Contains("evaluated on constants (4):\n    Shape 1 ('shape')\n    Gather 1 ('gather')"));
  CHECK_THAT(text, Contains("merged into other layers (1):\n    Add 1 ('bias')"));
}

TEST_CASE("ONNX report: a trailing Softmax is stripped, keep_softmax fails with io.210", "[onnx][errors]") {
  for (const char* op : {"Softmax", "LogSoftmax"}) {
    OnnxBuilder b;
    b.input("x", {0, 4}).output("p").init("W", {4, 3}, std::vector<float>(12, 0.25f));
    b.node("MatMul", {"x", "W"}, {"logits"}, "fc");
    set_int(b.node(op, {"logits"}, {"p"}, "prob"), "axis", 1);
    const auto m = import_onnx_model<float>(b.model(), {}, "sm.onnx");
    REQUIRE(m.report.stripped.size() == 1);
    CHECK(m.report.stripped[0].op == op);
    CHECK(m.report.stripped[0].name == "prob");
    CHECK(m.report.was_stripped(op));
    CHECK(m.report.output_name == "logits");
    CHECK_THAT(m.report.to_text(), Contains(std::string("stripped: ") + op + " 'prob': at the model output; attrib "
                                            "explains its input, the logits 'logits' (OnnxOptions::keep_softmax keeps it)"));
    OnnxOptions<float> keep;
    keep.keep_softmax = true;
    require_io_error([&] { import_onnx_model<float>(b.model(), keep, "sm.onnx"); }, "io.210",
                     {std::string("node 'prob' (") + op + "): attrib has no Softmax layer; OnnxOptions::keep_softmax = "
                      "true keeps it: set keep_softmax = false (the default)"});
  }
}

TEST_CASE("ONNX report: fmnist_mobile, trailing Softmax and symbolic N, H, W", "[onnx]") {
  const std::string file = std::string(ATTRIB_TEST_DATA_DIR) + "/../../models/fmnist_mobile.onnx";
  std::string id;
  const std::string sym = io_error([&] { import_onnx<float>(file); }, &id);
  CHECK(id == "attrib.io.205");
  CHECK_THAT(sym, Contains("[N, 1, H, W]: dimensions 2 ('H'), 3 ('W') are symbolic"));
  CHECK_THAT(sym, Contains("give OnnxOptions::input_shape"));

  OnnxOptions<float> opt;
  opt.input_shape = Shape{2, 1, 28, 28};
  try {
    const auto m = import_onnx<float>(file, opt);
    CHECK(m.report.was_stripped("Softmax"));
    CHECK(m.report.input_shape == (Shape{2, 1, 28, 28}));
    CHECK(m.report.input_shape_given);
    CHECK(m.report.symbolic_dims == (std::vector<std::string>{"N (axis 0)", "H (axis 2)", "W (axis 3)"}));
    CHECK(m.output_shape == (Shape{2, 10}));
  } catch (const IoError& e) {  // until attrib has the model's activations: the blockers, Softmax not among them
    const std::string msg = e.what();
    INFO(msg);
    const auto counts = blocker_counts(msg);
    CHECK(!counts.empty());
    CHECK(counts.count("Softmax") == 0);
    CHECK(msg.substr(0, msg.find("supported on activations")).find("Softmax") == std::string::npos);
  }
  opt.keep_softmax = true;
  const std::string kept = io_error([&] { import_onnx<float>(file, opt); });
  CHECK_THAT(kept, Contains("attrib has no Softmax layer"));

  opt.input_shape = Shape{1, 3, 28, 28};
  const std::string bad = io_error([&] { import_onnx<float>(file, opt); }, &id);
  CHECK(id == "attrib.io.205");
  CHECK_THAT(bad, Contains("is declared [N, 1, H, W]; OnnxOptions::input_shape [1, 3, 28, 28] must have its rank "
                           "and its fixed dimensions after the batch"));
}
