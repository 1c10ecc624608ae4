// Round trip on networks exported by torch.onnx.export (tools/make_onnx_fixtures.py): the imported
// Network's logits and input gradients equal PyTorch's (float64 references from the same float32
// weights), and the graph maps onto the expected layers (BatchNorm kept or folded, Pad merged,
// flatten pattern, residual Adds, trailing Softmax dropped with a notice).
#include <sstream>
#include <string>
#include <vector>

#include "attrib/attrib.hpp"
#include "attrib/io/safetensors.hpp"
#include "onnx/onnx_test_support.hpp"
#include "support/support.hpp"

using namespace attrib;
using attrib::test::require_close;

namespace {

const std::string dir = ATTRIB_ONNX_FIXTURE_DIR;

std::vector<Index> targets_of(const SafeTensors<double>& st, const std::string& model) {
  std::string s = st.metadata().at(model + ".targets");
  for (char& c : s)
    if (c == '[' || c == ']' || c == ',') c = ' ';
  std::istringstream in(s);
  std::vector<Index> t;
  for (Index v; in >> v;) t.push_back(v);
  return t;
}

std::vector<std::string> kinds(const NodeInfo* first, std::size_t n) {
  std::vector<std::string> k;
  for (std::size_t i = 0; i < n; ++i) k.push_back(first[i].kind);
  return k;
}

struct Case {
  const char* file;
  const char* refs;
  std::vector<std::string> kinds;
  double rtol_double;  // folded models: torch folded BN into the weights in float32
};

const std::vector<Case> cases = {
    {"cnn.onnx", "cnn",
     {"Conv2d", "ReLU", "MaxPool2d", "Conv2d", "ReLU", "AvgPool2d", "Flatten", "Dense", "ReLU", "Dense"}, 1e-5},
    {"cnn_bn.onnx", "cnn",
     {"Conv2d", "BatchNorm2d", "ReLU", "MaxPool2d", "Conv2d", "ReLU", "AvgPool2d", "Flatten", "Dense", "ReLU", "Dense"},
     1e-9},
    {"resnet.onnx", "resnet",
     {"Conv2d", "ReLU", "MaxPool2d", "Conv2d", "ReLU", "Conv2d", "Add", "ReLU", "Conv2d", "ReLU", "Conv2d", "Conv2d",
      "Add", "ReLU", "GlobalAvgPool2d", "Flatten", "Dense"},
     1e-5},
};

}  // namespace

TEMPLATE_TEST_CASE("torch-exported networks: logits and input gradients equal PyTorch's", "[onnx][torch]", float,
                   double) {
  using T = TestType;
  const auto refs = SafeTensors<double>::load(dir + "/onnx_fixtures.safetensors");
  const auto refs_t = SafeTensors<T>::load(dir + "/onnx_fixtures.safetensors");
  for (const auto& c : cases) {
    INFO(c.file);
    const OnnxModel<T> m = import_onnx<T>(dir + "/" + c.file);
    const std::string r = c.refs;
    CHECK(m.input_name == "input");
    CHECK(m.input_shape == refs.get(r + "/input").shape().with_batch(1));
    CHECK(kinds(m.network.nodes().data(), m.network.nodes().size()) == c.kinds);

    const Tensor<T>& x = refs_t.get(r + "/input");
    const double rtol = std::is_same_v<T, double> ? c.rtol_double : 2e-4;
    const auto targets = targets_of(refs, r);
    const auto e = explain(m.network, Gradient{}, x.cview(), Targets(targets));
    require_close(e.output, refs.get(r + "/logits"), rtol, rtol * 1e-1, "logits");
    require_close(e.attribution, refs.get(r + "/input_grad"), rtol, rtol * 1e-2, "input gradient");
  }
}

TEST_CASE("torch export: graph details survive the import", "[onnx][torch]") {
  SECTION("cnn.onnx: dynamic batch, flatten pattern, Pad merged into the Conv, BN folded") {
    const auto m = import_onnx<double>(dir + "/cnn.onnx");
    CHECK(m.symbolic_batch);
    CHECK(m.notices.empty());
    const auto& conv2 = m.network.layer<Conv2d<double>>("/conv2/Conv");
    CHECK(conv2.options().pad_top() == 1);
    CHECK(conv2.options().pad_bottom() == 1);
    CHECK(conv2.options().pad_left() == 1);
    CHECK(conv2.options().pad_right() == 1);
    CHECK(m.network.node(m.network.find("/Reshape")).kind == std::string("Flatten"));
    CHECK(m.network.layer<Conv2d<double>>(0).has_bias());  // conv1 with the folded BN
    CHECK(m.output_name == "logits");
    CHECK(m.output_shape == Shape{1, 10});
    // A batch of three, item by item equal to single-item runs.
    Tensor<double> x = test::random_tensor<double>(Shape{3, 1, 16, 16}, 5, 0.0, 1.0);
    const auto y = test::run_forward(m.network, x.cview());
    REQUIRE(y.shape() == (Shape{3, 10}));
    for (Index n = 0; n < 3; ++n) {
      Tensor<double> xi(Shape{1, 1, 16, 16});
      xi.vec() = x.cview().slice(n, 1).vec();
      const auto yi = test::run_forward(m.network, xi.cview());
      for (Index k = 0; k < 10; ++k) CHECK(yi[k] == Approx(y[n * 10 + k]).epsilon(1e-12));
    }
  }
  SECTION("cnn_bn.onnx: BatchNormalization kept, literal batch reshape, Softmax dropped with a notice") {
    const auto m = import_onnx<double>(dir + "/cnn_bn.onnx");
    CHECK_FALSE(m.symbolic_batch);
    REQUIRE(m.notices.size() == 1);
    CHECK(m.notices[0].find("Softmax '/1/Softmax' at the output dropped") != std::string::npos);
    CHECK(m.output_name == "/0/fc2/Gemm_output_0");
    const auto& bn = m.network.layer<BatchNorm2d<double>>("/0/bn1/BatchNormalization");
    CHECK(bn.eps() == Approx(1e-5));
    CHECK(m.network.node(m.network.find("/0/Reshape")).kind == std::string("Flatten"));
    // The pad subgraph (Shape, Gather, Sub, Mul, ConstantOfShape, Concat, Slice, Transpose, Cast)
    // was evaluated at import: the Conv has the Pad's padding.
    CHECK(m.network.layer<Conv2d<double>>("/0/conv2/Conv").options().pad_top() == 1);
    // parameters are addressable by node name
    CHECK(parameter(const_cast<Network<double>&>(m.network), "/0/bn1/BatchNormalization.running_var").shape() ==
          Shape{8});
  }
  SECTION("resnet.onnx: residual Adds of two activations, Pad merged into MaxPool after Relu") {
    const auto m = import_onnx<double>(dir + "/resnet.onnx");
    const auto& pool = m.network.layer<MaxPool2d<double>>("/maxpool/MaxPool");
    CHECK(pool.pad_h() == 1);
    CHECK(pool.pad_w() == 1);
    const NodeInfo& add = m.network.node(m.network.find("/layer1/Add"));
    CHECK(add.arity == 2);
    CHECK(m.network.node(add.inputs[0]).name == "/layer1/conv2/Conv");
    CHECK(m.network.node(add.inputs[1]).name == "/maxpool/MaxPool");
    const NodeInfo& add2 = m.network.node(m.network.find("/layer2/Add"));
    CHECK(m.network.node(add2.inputs[1]).name == "/layer2/downsample/downsample.0/Conv");
  }
}

TEST_CASE("torch export: LRP-epsilon runs on an imported residual network", "[onnx][torch]") {
  const auto m = import_onnx<double>(dir + "/resnet.onnx");
  const auto x = test::random_tensor<double>(Shape{1, 3, 16, 16}, 9, 0.0, 1.0);
  ExplainOptions<double> opt;
  opt.conservation = true;
  const auto e = explain(m.network, LrpEpsilon{1e-9}, x.cview(), 2, opt);
  CHECK(e.attribution.shape() == x.shape());
  double total = 0;
  for (const auto& row : e.conservation) total += row.absorbed();
  // What the input receives plus what the layers absorbed (biases) is the explained logit.
  CHECK(e.attribution.vec().sum() + total == Approx(e.output[2]).epsilon(1e-6));
}
