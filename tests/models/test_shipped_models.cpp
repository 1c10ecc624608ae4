// The trained Fashion-MNIST models in models/ (tools/train_fashion_mnist.py): they load into our
// builders by name, reproduce PyTorch's logits and input gradients on the bundled samples, and
// reach the accuracy the script measured on the first 1,000 test images (needs Debian's
// dataset-fashion-mnist; skipped with a warning without it unless ATTRIB_REQUIRE_FASHION_MNIST
// is set).
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "support/support.hpp"
#include "attrib/attrib.hpp"
#include "attrib/io/fashion_models.hpp"
#include "attrib/io/idx.hpp"

using namespace attrib;
using namespace attrib::test;

namespace {

const std::string models_dir = ATTRIB_MODELS_DIR;

struct Shipped {
  const char* name;
  Index input_size;     // 28 or 32 (zero-padded)
  std::uintmax_t max_bytes;
};
const Shipped small{"fmnist_small", 28, 1'000'000};
const Shipped vgg{"fmnist_vgg", 32, 10'000'000};

std::string file(const Shipped& m) { return models_dir + "/" + m.name + ".safetensors"; }

template <class T>
Network<T> load(const Shipped& m) {
  return m.input_size == 28 ? load_fmnist_small<T>(file(m)) : load_fmnist_vgg<T>(file(m));
}

template <class T>
Tensor<T> prepare(const Shipped& m, ConstView<T> images) {
  return m.input_size == 28 ? Tensor<T>::copy_of(images) : pad_images(images, 2);
}

bool have_dataset() {
  if (fashion_mnist_available("t10k")) return true;
  if (std::getenv("ATTRIB_REQUIRE_FASHION_MNIST"))
    FAIL("Fashion-MNIST not found in " << fashion_mnist_dir() << " but ATTRIB_REQUIRE_FASHION_MNIST is set");
  WARN("Fashion-MNIST not found in " << fashion_mnist_dir()
                                     << " (apt-get install dataset-fashion-mnist); accuracy check skipped");
  return false;
}

/// Number of correct predictions, forward in batches of 100.
template <class T>
int correct(const Network<T>& net, const Shipped& m, const LabelledImages<T>& data) {
  Trace<T> trace;
  Workspace<T> ws;
  int ok = 0;
  const Index n = data.images.dim(0);
  for (Index first = 0; first < n; first += 100) {
    const Index count = std::min<Index>(100, n - first);
    const Tensor<T> x = prepare(m, data.images.cview().slice(first, count));
    forward(net, x.cview(), trace, ws);
    const ConstView<T> logits = trace.result();
    for (Index i = 0; i < count; ++i) {
      Index best = 0;
      for (Index c = 1; c < 10; ++c)
        if (logits.at(i, c) > logits.at(i, best)) best = c;
      ok += best == data.labels[std::size_t(first + i)];
    }
  }
  return ok;
}

void check_file(const Shipped& m, int min_convs, int min_denses, double min_accuracy) {
  INFO(m.name);
  REQUIRE(std::filesystem::exists(file(m)));
  CHECK(std::filesystem::file_size(file(m)) <= m.max_bytes);
  const auto st = SafeTensors<float>::load(file(m));
  const Network<float> net = load<float>(m);  // every name matches, both ways
  int convs = 0, denses = 0;
  for (Index i = 0; i < net.size(); ++i) {
    const std::string kind = net.node(i).kind;
    convs += kind == "Conv2d";
    denses += kind == "Dense";
  }
  CHECK(convs >= min_convs);
  CHECK(denses >= min_denses);
  CHECK(std::stod(st.metadata().at("test_accuracy_10000")) >= min_accuracy);
  CHECK(st.metadata().at("model") == m.name);
  CHECK(std::filesystem::exists(models_dir + "/" + m.name + ".onnx"));
}

template <class T>
void check_against_torch(const Shipped& m) {
  INFO(m.name);
  const Network<T> net = load<T>(m);
  const auto samples = load_fmnist_samples<T>(models_dir + "/fmnist_samples.safetensors");
  REQUIRE(samples.images.dim(0) == 10);
  for (int c = 0; c < 10; ++c) CHECK(samples.labels[std::size_t(c)] == c);
  const Tensor<T> x = prepare(m, samples.images.cview());
  std::vector<Index> targets(samples.labels.begin(), samples.labels.end());
  const auto e = explain(net, Gradient{}, x.cview(), Targets(targets));
  // PyTorch computed in float32: compare at float32 accuracy (both for float and double here).
  require_close(e.output, samples.file.get(std::string("logits.") + m.name), 1e-4, 1e-4, "logits");
  const Tensor<T>& g = samples.file.get(std::string("gradient.") + m.name);
  const double scale = g.vec().cwiseAbs().maxCoeff();
  REQUIRE(scale > 0);
  require_close(e.attribution, g, 1e-3, 1e-4 * scale, "input gradient of the true class");
  // Most samples are classified correctly (they are the first test image of each class).
  int ok = 0;
  for (Index i = 0; i < 10; ++i) {
    Index best = 0;
    for (Index c = 1; c < 10; ++c)
      if (e.output.at(i, c) > e.output.at(i, best)) best = c;
    ok += best == i;
  }
  CHECK(ok >= 8);
}

template <class T>
void check_accuracy(const Shipped& m) {
  if (!have_dataset()) return;
  const Network<T> net = load<T>(m);
  const auto data = load_fashion_mnist<T>("t10k", 1000);
  const auto st = SafeTensors<float>::load(file(m));
  const double expected = std::stod(st.metadata().at("test_accuracy_first_1000"));
  const double got = correct(net, m, data) / 1000.0;
  INFO(m.name << ": accuracy on the first 1,000 test images " << got << ", the training script measured " << expected);
  CHECK(std::abs(got - expected) <= 0.005);
}

}  // namespace

TEST_CASE("Shipped fmnist_small: size, architecture, names, recorded accuracy", "[shipped]") {
  check_file(small, 2, 2, 0.90);
}

TEST_CASE("Shipped fmnist_vgg: size, architecture (>= 8 conv, >= 3 dense), recorded accuracy", "[shipped]") {
  check_file(vgg, 8, 3, 0.91);
}

TEMPLATE_TEST_CASE("fmnist_small reproduces PyTorch's logits and input gradients on the bundled samples",
                   "[shipped]", float, double) {
  check_against_torch<TestType>(small);
}

TEMPLATE_TEST_CASE("fmnist_vgg reproduces PyTorch's logits and input gradients on the bundled samples",
                   "[shipped]", float, double) {
  check_against_torch<TestType>(vgg);
}

TEST_CASE("fmnist_small: accuracy on the first 1,000 test images matches the training script", "[shipped][dataset]") {
  check_accuracy<float>(small);
}

TEST_CASE("fmnist_vgg: accuracy on the first 1,000 test images matches the training script", "[shipped][dataset]") {
  check_accuracy<float>(vgg);
}

TEST_CASE("Samples file and loader errors", "[shipped]") {
  const auto s = load_fmnist_samples<float>(models_dir + "/fmnist_samples.safetensors");
  CHECK(s.image(3).shape() == Shape{1, 1, 28, 28});
  CHECK(s.indices[9] == 0);  // the first test image is an ankle boot
  CHECK(std::string(fashion_mnist_classes()[9]) == "Ankle boot");
  // The small model's weights do not fit the VGG builder: the names are listed.
  try {
    load_fmnist_vgg<float>(file(small));
    FAIL("no error");
  } catch (const IoError& e) {
    const std::string msg = e.what();
    INFO(msg);
    CHECK(e.id() == "attrib.io.360");
    CHECK(msg.find("features.0.weight") != std::string::npos);
    CHECK(msg.find("bn1.bias") != std::string::npos);
  }
  const Tensor<float> padded = pad_images(s.images.cview().slice(0, 2), 2);
  CHECK(padded.shape() == Shape{2, 1, 32, 32});
  CHECK(padded.at(1, 0, 2 + 5, 2 + 7) == s.images.at(1, 0, 5, 7));
  CHECK(padded.at(1, 0, 0, 0) == 0.0f);
  CHECK(padded.at(1, 0, 31, 31) == 0.0f);
  CHECK(padded.vec().sum() == Approx(s.images.cview().slice(0, 2).vec().sum()));
}
