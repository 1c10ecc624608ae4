// Explain any ONNX CNN: import the model, run one input, explain the target class with the
// gradient and LRP-epsilon, and summarise both attributions.
//
//   04_onnx model.onnx [input] [target]
//
// input: an .npy file, or a .safetensors file (the tensor named like the model input, "input",
// or the only tensor; pick one with file.safetensors:name); without it a deterministic random
// input of the model's input shape in [0, 1). The shape may leave out the batch dimension.
// target: a class index; default: each item's highest logit. Exit code 2 with a message on
// any error (missing or unsupported model, bad input, target out of range).
#include <attrib/attrib.hpp>
#include <attrib/io/npy.hpp>
#include <attrib/io/onnx.hpp>
#include <attrib/io/safetensors.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

using namespace attrib;

namespace {

/// Errors of this program (the library's own errors are attrib::Error with an id).
template <class... A>
[[noreturn]] void fail(const A&... a) {
  throw std::runtime_error(detail::cat(a...));
}

bool ends_with(const std::string& s, const std::string& end) {
  return s.size() >= end.size() && s.compare(s.size() - end.size(), end.size(), end) == 0;
}

Tensor<float> load_input(std::string arg, const OnnxModel<float>& model) {
  if (ends_with(arg, ".npy")) return load_npy<float>(arg);
  std::string name;
  const auto colon = arg.rfind(".safetensors:");
  if (colon != std::string::npos) {
    name = arg.substr(colon + 13);
    arg.resize(colon + 12);
  }
  if (!ends_with(arg, ".safetensors"))
    fail("input '", arg, "': expected an .npy or .safetensors file");
  const auto st = SafeTensors<float>::load(arg);
  if (name.empty()) {
    for (const std::string& n : {model.input_name, std::string("input")})
      if (st.contains(n)) name = n;
    if (name.empty() && st.names().size() == 1) name = st.names()[0];
    if (name.empty())
      fail("input '", arg, "' holds ", st.names().size(),
                           " tensors; choose one with ", arg, ":<name> (e.g. ", st.names()[0], ")");
  }
  return st.get(name);
}

/// The input with a batch dimension, checked against the model's declared input shape.
Tensor<float> batched(Tensor<float> x, const Shape& expected) {
  if (x.rank() + 1 == expected.rank() && x.size() == expected.sample_size()) {
    std::vector<Index> dims{1};
    dims.insert(dims.end(), x.shape().begin(), x.shape().end());
    x = Tensor<float>(Shape::from_range(dims.begin(), dims.end()), std::vector<float>(x.data(), x.data() + x.size()));
  }
  if (x.rank() != expected.rank() || x.shape().with_batch(1) != expected.with_batch(1))
    fail("input shape ", x.shape(), ", the model expects ", expected.with_batch(0).str(),
                      " with any batch size N (or one item without the batch dimension)");
  return x;
}

void summarise(const char* rule, const Tensor<float>& a, Index item, double logit) {
  const Index size = a.shape().sample_size();
  const float* p = a.data() + item * size;
  double sum = 0, pos = 0, amax = 0;
  for (Index i = 0; i < size; ++i) {
    sum += p[i];
    pos += p[i] > 0 ? p[i] : 0;
    amax = std::max(amax, double(std::abs(p[i])));
  }
  std::printf("  %-10s sum %+.5e (logit %+.5f)  positive %.5e  max|a| %.5e\n", rule, sum, logit, pos, amax);
  std::vector<Index> order(static_cast<std::size_t>(size));
  std::iota(order.begin(), order.end(), Index(0));
  std::partial_sort(order.begin(), order.begin() + std::min<Index>(3, size), order.end(),
                    [&](Index u, Index v) { return std::abs(p[u]) > std::abs(p[v]); });
  std::printf("  %-10s strongest inputs:", "");
  for (Index k = 0; k < std::min<Index>(3, size); ++k)
    std::printf(" #%ld %+.3e", long(order[std::size_t(k)]), double(p[order[std::size_t(k)]]));
  std::printf("\n");
}

int run(int argc, char** argv) {
  if (argc < 2 || argc > 4) {
    std::fprintf(stderr, "usage: %s model.onnx [input.npy|input.safetensors[:name]] [target]\n", argv[0]);
    return 2;
  }
  const OnnxModel<float> model = import_onnx<float>(argv[1]);
  const Network<float>& net = model.network;
  std::printf("model: %s (%s, opset %ld), %ld layers, input '%s' %s, output '%s' %s\n", argv[1],
              model.producer.c_str(), long(model.opset), long(net.size()), model.input_name.c_str(),
              model.input_shape.str().c_str(), model.output_name.c_str(), model.output_shape.str().c_str());
  std::printf("%s", model.report.to_text().c_str());  // layers by kind, folded / stripped nodes, notes

  Tensor<float> x;
  if (argc >= 3 && std::string(argv[2]) != "-") {
    x = batched(load_input(argv[2], model), model.input_shape);
    std::printf("input: %s %s\n", argv[2], x.shape().str().c_str());
  } else {
    x = Tensor<float>(model.input_shape);
    Random(42).fill_uniform(x.view(), 0.0, 1.0);
    std::printf("input: random in [0, 1), seed 42, %s\n", x.shape().str().c_str());
  }

  const auto grad = explain(net, Gradient{}, x.cview(), 0);  // run once for the logits
  const Index N = grad.output.dim(0), classes = grad.output.shape().sample_size();
  std::vector<Index> targets;
  for (Index n = 0; n < N; ++n) {
    const float* y = grad.output.data() + n * classes;
    Index t = Index(std::max_element(y, y + classes) - y);
    if (argc == 4) {
      char* end = nullptr;
      t = std::strtol(argv[3], &end, 10);
      if (*end != '\0' || t < 0 || t >= classes)
        fail("target '", argv[3], "' is not a class index in [0, ", classes, ")");
    }
    targets.push_back(t);
  }
  const auto g = explain(net, Gradient{}, x.cview(), Targets(targets));
  const auto lrp = explain(net, LrpEpsilon{1e-6}, x.cview(), Targets(targets));
  for (Index n = 0; n < N; ++n) {
    const Index t = targets[std::size_t(n)];
    std::printf("item %ld: logits", long(n));
    for (Index k = 0; k < classes; ++k) std::printf(" %+.4f", double(g.output[n * classes + k]));
    std::printf("\nitem %ld: target %ld (%s), logit %+.4f\n", long(n), long(t), argc == 4 ? "given" : "argmax",
                double(g.output[n * classes + t]));
    summarise("Gradient", g.attribution, n, g.output[n * classes + t]);
    summarise("LrpEpsilon", lrp.attribution, n, lrp.output[n * classes + t]);
  }
  std::printf("OK\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "04_onnx: error: %s\n", e.what());
    return 2;
  }
}
