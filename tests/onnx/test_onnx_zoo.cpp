// The model zoo (tests/onnx/data/zoo, docs/zoo.md): reduced torchvision families exported by
// torch.onnx.export twice (BatchNorm folded by torch; BatchNorm and shape arithmetic kept), a
// Conv1d sequence model and the shipped MobileNetV3-style model. Oracles are float64 PyTorch,
// Zennit and Captum results in the fixtures (tools/make_zoo_fixtures.py), never attrib's C++.
#include <cmath>
#include <string>
#include <vector>

#include "onnx/onnx_test_support.hpp"
#include "onnx/zoo_support.hpp"

using namespace attrib;

using namespace attrib::test::zoo;

TEST_CASE("model zoo: every family loads from both exports - logits and input gradients equal PyTorch's",
          "[onnx][zoo]") {
  for (const auto& f : families) {
    const auto st = SafeTensors<double>::load(zoo + f.name + ".safetensors");
    const Tensor<double>& x = st.get("input");
    const Index target = target_of(st);
    for (const std::string suffix : {"", "_preserve"}) {
      const std::string file = std::string(f.name) + suffix + ".onnx";
      INFO(file);
      const OnnxModel<double> m = import_onnx<double>(zoo + file);
      CHECK(m.input_shape == x.shape());
      const auto e = explain(m.network, Gradient{}, x.cview(), target);
      const double el = rel_max(e.output.cview(), st.get("logits").cview());
      const double eg = rel_max(e.attribution.cview(), st.get("input_grad").cview());
      UNSCOPED_INFO(file << ": logits " << el << ", input gradient " << eg);
      CHECK(el <= (suffix.empty() ? f.folded_rtol : 1e-10));
      CHECK(eg <= (suffix.empty() ? f.folded_rtol : f.preserve_grad_rtol));
    }
  }
}

TEST_CASE("model zoo: float import agrees with the float64 references to float rounding", "[onnx][zoo]") {
  for (const auto& f : families) {
    const auto st = SafeTensors<double>::load(zoo + f.name + ".safetensors");
    const auto stf = SafeTensors<float>::load(zoo + f.name + ".safetensors");
    INFO(f.name);
    const auto m = import_onnx<float>(zoo + f.name + std::string("_preserve.onnx"));
    const auto e = explain(m.network, Gradient{}, stf.get("input").cview(), target_of(st));
    CHECK(rel_max(in_double(e.output).cview(), st.get("logits").cview()) <= 1e-4);
    CHECK(rel_max(in_double(e.attribution).cview(), st.get("input_grad").cview()) <= 1e-3);
  }
}

TEST_CASE("model zoo: DeepLIFT (cross-max max-pool rule) sums to f(x) - f(0) on every family", "[onnx][zoo]") {
  // References (docs/zoo.md, "DeepLIFT references"): deeplift.cross_max is this rule re-implemented
  // in float64 torch by the fixture script (no Captum); deeplift is Captum 0.7.0's DeepLift,
  // which loses its max-pool rule where a max-pool takes a ReLU module's output (its tensor hooks
  // fire in registration order, the ReLU records the max-pool's plain gradient first), so it is
  // DeepLIFT with plain-gradient max-pools: attrib's DeepLiftMaxPool::gradient. Measured on the
  // _preserve exports: cross-max vs deeplift.cross_max <= 1.2e-14, gradient mode vs Captum <= 3e-15
  // (1e-12 leaves room for summation order; the two max-pool rules differ by 0.09 and 0.2).
  const DeepLift rule(DeepLiftNonlinear::rescale, DeepLiftLinear::standard, DeepLiftMaxPool::cross_max);
  const DeepLift plain(DeepLiftNonlinear::rescale, DeepLiftLinear::standard, DeepLiftMaxPool::gradient);
  int compared = 0;
  for (const auto& f : families) {
    const auto st = SafeTensors<double>::load(zoo + f.name + ".safetensors");
    const Tensor<double>& x = st.get("input");
    const Index target = target_of(st);
    for (const std::string suffix : {"", "_preserve"}) {
      const std::string file = std::string(f.name) + suffix + ".onnx";
      INFO(file);
      const auto m = import_onnx<double>(zoo + file);
      const auto e = explain(m.network, rule, x.cview(), target);
      Tensor<double> zero(x.shape());
      zero.set_zero();
      const auto y0 = test::run_forward(m.network, zero.cview());
      const double delta = e.output[target] - y0[target];
      const double sum = e.attribution.vec().sum();
      const double scale = std::max(std::abs(delta), std::abs(e.output[target]));
      UNSCOPED_INFO(file << ": DeepLIFT sum " << sum << ", delta " << delta << ", gap " << std::abs(sum - delta) / scale);
      CHECK(std::abs(sum - delta) <= 1e-10 * scale);
      if (suffix != "_preserve") continue;
      if (st.contains("deeplift.cross_max")) {
        const double err = rel_max(e.attribution.cview(), st.get("deeplift.cross_max").cview());
        UNSCOPED_INFO(file << ": DeepLIFT cross-max vs float64 torch " << err);
        CHECK(err <= 1e-12);
        ++compared;
      }
      if (st.contains("deeplift")) {
        const auto g = explain(m.network, plain, x.cview(), target);
        const double err = rel_max(g.attribution.cview(), st.get("deeplift").cview());
        UNSCOPED_INFO(file << ": DeepLIFT (plain-gradient max-pools) vs Captum " << err);
        CHECK(err <= 1e-12);
        // Not vacuous: the two max-pool rules give different attributions on this net.
        CHECK(rel_max(e.attribution.cview(), st.get("deeplift").cview()) > 1e-3);
        ++compared;
      }
    }
  }
  CHECK(compared == 7);  // cross-max on 5 families, Captum on shufflenet_v2_x1_0 and conv1d
}


TEST_CASE("model zoo: LRP presets after canonize equal Zennit's composites", "[onnx][zoo]") {
  // Zennit references exist where its canonizers make the whole net an LRP model (docs/zoo.md);
  // they are Zennit 0.5.1's composites with its merged BatchNorms made exact identities
  // (tools/make_zoo_fixtures.py: Zennit leaves x / sqrt(1 + eps) there, which alone moves its
  // results by up to 2e-4 relative on resnet18 / vgg11_bn). Measured: at most 6e-15 relative
  // (36 comparisons).
  for (const char* name : zennit_families) {
    const auto st = SafeTensors<double>::load(zoo + name + ".safetensors");
    const Tensor<double>& x = st.get("input");
    const Index target = target_of(st);
    const auto m = import_onnx<double>(zoo + name + std::string("_preserve.onnx"));
    const Network<double> net = canonize(m.network);
    for_each_preset([&](const char* key, const auto& preset) {
      const auto e = explain(net, preset, x.cview(), target);
      const double err = rel_max(e.attribution.cview(), st.get(key).cview());
      UNSCOPED_INFO(name << ": Zennit " << key << " " << err);
      CHECK(err <= 1e-10);
    });
  }
}

TEST_CASE("model zoo: LRP presets in float agree with Zennit's float64 composites", "[onnx][zoo]") {
  for (const char* name : zennit_families) {
    const auto st = SafeTensors<double>::load(zoo + name + ".safetensors");
    const auto stf = SafeTensors<float>::load(zoo + name + ".safetensors");
    const auto m = import_onnx<float>(zoo + name + std::string("_preserve.onnx"));
    const Network<float> net = canonize(m.network);
    for_each_preset([&](const char* key, const auto& preset) {
      const auto e = explain(net, preset, stf.get("input").cview(), target_of(st));
      const double err = rel_max(in_double(e.attribution).cview(), st.get(key).cview());
      UNSCOPED_INFO(name << ": float " << key << " " << err);
      CHECK(err <= 1e-5);  // measured at most 1.9e-6 (epsilon_alpha2_beta1_flat on resnet18)
    });
  }
}

TEST_CASE("shipped fmnist_mobile.onnx: symbolic H and W, Softmax stripped, logits and gradients equal PyTorch's",
          "[onnx][zoo]") {
  const auto st = SafeTensors<double>::load(zoo + "fmnist_mobile.safetensors");
  const std::string& file = fmnist_mobile_onnx;
  CHECK_THROWS_AS(import_onnx<double>(file), IoError);  // H, W symbolic: input_shape needed
  OnnxOptions<double> opt;
  opt.input_shape = Shape{1, 1, 28, 28};
  const auto m = import_onnx<double>(file, opt);
  CHECK(m.symbolic_batch);
  CHECK(m.report.was_stripped("Softmax"));
  const Tensor<double>& images = st.get("images");
  std::vector<Index> labels;
  for (Index i = 0; i < st.get("labels").size(); ++i) labels.push_back(static_cast<Index>(st.get("labels")[i]));
  const auto e = explain(m.network, Gradient{}, images.cview(), Targets(labels));
  const double el = rel_max(e.output.cview(), st.get("logits").cview());
  const double eg = rel_max(e.attribution.cview(), st.get("input_grad").cview());
  UNSCOPED_INFO("fmnist_mobile 28x28: logits " << el << ", input gradient " << eg);
  CHECK(el <= 1e-10);
  CHECK(eg <= 1e-8);  // HardSigmoid gates: torch's float 1/6 in the backward (see families above)

  opt.input_shape = Shape{1, 1, 36, 32};
  const auto m2 = import_onnx<double>(file, opt);
  const auto e2 = explain(m2.network, Gradient{}, st.get("other/input").cview(), 0);
  const double el2 = rel_max(e2.output.cview(), st.get("other/logits").cview());
  const double eg2 = rel_max(e2.attribution.cview(), st.get("other/input_grad").cview());
  UNSCOPED_INFO("fmnist_mobile 36x32: logits " << el2 << ", input gradient " << eg2);
  CHECK(el2 <= 1e-10);
  CHECK(eg2 <= 1e-8);

  // DeepLIFT conserves on the deployed op set (HardSwish, SE gates, residual sums).
  const auto d = explain(m.network, DeepLift{}, images.cview().slice(0, 1), labels[0]);
  Tensor<double> zero(Shape{1, 1, 28, 28});
  zero.set_zero();
  const double delta = d.output[labels[0]] - test::run_forward(m.network, zero.cview())[labels[0]];
  CHECK(std::abs(d.attribution.vec().sum() - delta) <= 1e-10 * std::max(1.0, std::abs(delta)));
}
