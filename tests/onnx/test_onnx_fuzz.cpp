// Structured fuzzing of the importer: the torch-exported models with random changes to
// attributes, op types, input wiring, initializer dimensions and types, and removed nodes. Every
// import must either succeed - and then the network must run on one item of the declared shape -
// or throw attrib::IoError; any other exception (or a crash, or a sanitizer report in the ASan
// build) is a bug. Fixed seed, so failures reproduce.
#include <random>
#include <string>
#include <vector>

#include "onnx/onnx_test_support.hpp"

using namespace attrib;

namespace {

::onnx::ModelProto read_model(const std::string& path) {
  ::onnx::ModelProto m;
  std::ifstream f(path, std::ios::binary);
  REQUIRE(m.ParseFromIstream(&f));
  return m;
}

class Mutator {
 public:
  explicit Mutator(unsigned seed) : gen_(seed) {}

  void mutate(::onnx::ModelProto& m) {
    auto& g = *m.mutable_graph();
    const int kind = pick(6);
    if (kind == 0 && g.node_size()) attribute(*g.mutable_node(pick(g.node_size())));
    if (kind == 1 && g.node_size()) g.mutable_node(pick(g.node_size()))->set_op_type(op());
    if (kind == 2 && g.node_size()) rewire(g, *g.mutable_node(pick(g.node_size())));
    if (kind == 3 && g.initializer_size()) initializer(*g.mutable_initializer(pick(g.initializer_size())));
    if (kind == 4 && g.node_size()) g.mutable_node()->DeleteSubrange(pick(g.node_size()), 1);
    if (kind == 5 && g.input_size()) {
      auto* shape = g.mutable_input(pick(g.input_size()))->mutable_type()->mutable_tensor_type()->mutable_shape();
      if (shape->dim_size()) shape->mutable_dim(pick(shape->dim_size()))->set_dim_value(value());
    }
  }

 private:
  int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(gen_); }
  std::int64_t value() {
    static const std::int64_t v[] = {-3, -1, 0, 1, 2, 3, 5, 16, 1 << 20, std::int64_t(1) << 40};
    return v[pick(10)];
  }
  std::string op() {
    static const char* ops[] = {"Add", "AveragePool", "BatchNormalization", "Cast", "Concat", "Constant",
                                "ConstantOfShape", "Conv", "Div", "Dropout", "Flatten", "Gather", "Gemm",
                                "GlobalAveragePool", "Identity", "MatMul", "MaxPool", "Mul", "Pad", "Relu",
                                "Reshape", "Shape", "Slice", "Squeeze", "Sub", "Transpose", "Unsqueeze", "Softmax"};
    return ops[pick(28)];
  }
  void attribute(::onnx::NodeProto& n) {
    if (n.attribute_size() == 0) {
      test::set_ints(n, pick(2) ? "pads" : "axes", {value(), value(), value(), value()});
      return;
    }
    auto& a = *n.mutable_attribute(pick(n.attribute_size()));
    if (a.ints_size()) {
      if (pick(3) == 0) a.add_ints(value());
      else a.set_ints(pick(a.ints_size()), value());
    } else if (a.has_i()) {
      a.set_i(value());
    } else if (a.has_f()) {
      a.set_f(pick(2) ? -1.f : 0.f);
    } else if (a.has_s()) {
      static const char* s[] = {"SAME_UPPER", "SAME_LOWER", "VALID", "NOTSET", "reflect", ""};
      a.set_s(s[pick(6)]);
    } else {
      a.set_type(::onnx::AttributeProto::INTS);
    }
  }
  void rewire(const ::onnx::GraphProto& g, ::onnx::NodeProto& n) {
    std::vector<std::string> names{""};
    for (const auto& x : g.node())
      for (const auto& o : x.output()) names.push_back(o);
    for (const auto& t : g.initializer()) names.push_back(t.name());
    for (const auto& i : g.input()) names.push_back(i.name());
    if (n.input_size() && pick(4)) n.set_input(pick(n.input_size()), names[std::size_t(pick(int(names.size())))]);
    else n.add_input(names[std::size_t(pick(int(names.size())))]);
  }
  void initializer(::onnx::TensorProto& t) {
    switch (pick(4)) {
      case 0: if (t.dims_size()) t.set_dims(pick(t.dims_size()), value()); break;
      case 1: t.add_dims(pick(2) ? 1 : 2); break;
      case 2: t.set_data_type(pick(2) ? ::onnx::TensorProto::INT64 : ::onnx::TensorProto::DOUBLE); break;
      default: t.clear_dims(); break;
    }
  }
  std::mt19937 gen_;
};

}  // namespace

TEST_CASE("ONNX fuzz: mutated torch exports give a working network or an IoError", "[onnx][fuzz]") {
  const std::string dir = ATTRIB_ONNX_FIXTURE_DIR;
  const std::vector<::onnx::ModelProto> models = {read_model(dir + "/cnn.onnx"), read_model(dir + "/cnn_bn.onnx"),
                                                  read_model(dir + "/resnet.onnx")};
  Mutator mut(2024);
  int imported = 0, rejected = 0;
  for (int iter = 0; iter < 1500; ++iter) {
    ::onnx::ModelProto m = models[std::size_t(iter % 3)];
    for (int k = 0; k <= iter % 3; ++k) mut.mutate(m);
    INFO("iteration " << iter);
    try {
      const auto model = import_onnx_model<float>(m, {}, "fuzz.onnx");
      Tensor<float> x(model.input_shape.with_batch(1), 0.5f);  // the declared batch size may be anything
      const auto y = test::run_forward(model.network, x.cview());
      CHECK(y.shape() == model.output_shape.with_batch(1));
      ++imported;
    } catch (const IoError&) {
      ++rejected;
    } catch (const std::exception& e) {
      FAIL_CHECK("not an IoError: " << e.what());
    }
  }
  CHECK(imported > 50);  // the mutations are not all fatal: the success path is exercised too
  CHECK(rejected > 500);
  WARN("ONNX fuzz: " << imported << " mutated models imported and ran, " << rejected << " rejected with IoError");
}
