#pragma once
// The two trained Fashion-MNIST models shipped in models/ (models/README.md): their
// architectures as runtime networks with the node names of tools/train_fashion_mnist.py, and
// loaders for the shipped safetensors files. Standard library + Eigen only.
//
//   auto net = attrib::load_fmnist_small<float>("models/fmnist_small.safetensors");
//   auto s = attrib::load_fmnist_samples<float>("models/fmnist_samples.safetensors");
//   auto e = attrib::explain(net, attrib::Gradient{}, s.image(0), s.labels[0]);
//
//   fmnist_small  [N, 1, 28, 28] -> conv1 bn1 relu1 pool1 conv2 bn2 relu2 pool2 flatten fc1 relu3 fc2
//   fmnist_vgg    [N, 1, 32, 32] (28x28 zero-padded by 2: pad_images(x, 2)) ->
//                 features.0-27 (4 blocks of 2 x conv/BN/ReLU + max-pool), flatten,
//                 classifier.0-6 (Dense, ReLU, Dropout, Dense, ReLU, Dropout, Dense)
// Inputs are pixel / 255 in [0, 1]; outputs 10 logits (fashion_mnist_classes()).
//
// Errors: IoError io.360-io.362 (docs/examples.md) besides the safetensors reader's own.
#include "attrib/core/config.hpp"
#include <algorithm>
#include <array>
#include <string>
#include <vector>

#include "attrib/io/safetensors.hpp"
#include "attrib/models/builders.hpp"
#include "attrib/models/parameters.hpp"

ATTRIB_BEGIN_NAMESPACE

/// Class names of Fashion-MNIST, index = label.
inline const std::array<const char*, 10>& fashion_mnist_classes() {
  static constexpr std::array<const char*, 10> names = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                                       "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  return names;
}

/// The small CNN (about 106k parameters), seeded random weights until loaded.
template <class T>
Network<T> fmnist_small(std::uint64_t seed = 0) {
  Random rng(seed);
  Network<T> net;
  const auto conv = [&](Index cin, Index cout) {
    return detail::init_conv(Conv2d<T>(cin, cout, 3, 3, Conv2dOptions{}.padding(1)), rng);
  };
  net.add(conv(1, 16), "conv1");
  net.add(BatchNorm2d<T>(16), "bn1");
  net.add(ReLU<T>(), "relu1");
  net.add(MaxPool2d<T>(2, 2), "pool1");
  net.add(conv(16, 32), "conv2");
  net.add(BatchNorm2d<T>(32), "bn2");
  net.add(ReLU<T>(), "relu2");
  net.add(MaxPool2d<T>(2, 2), "pool2");
  net.add(Flatten<T>(), "flatten");
  net.add(detail::init_dense(Dense<T>(32 * 7 * 7, 64), rng), "fc1");
  net.add(ReLU<T>(), "relu3");
  net.add(detail::init_dense(Dense<T>(64, 10), rng), "fc2");
  return net;
}

/// The VGG-style network: 8 convolutions (widths 8, 8, 16, 16, 32, 32, 32, 32), each followed
/// by BatchNorm and ReLU, a 2x2 max-pool after every second one, then 3 dense layers (256, 256,
/// 10) with dropout; about 140k parameters. Seeded random weights until loaded.
template <class T>
Network<T> fmnist_vgg(std::uint64_t seed = 0) {
  Random rng(seed);
  Network<T> net;
  Index in = 1, idx = 0;
  const auto name = [&](const char* prefix) { return std::string(prefix) + std::to_string(idx++); };
  for (Index width : {8, 16, 32, 32}) {
    for (int k = 0; k < 2; ++k) {
      net.add(detail::init_conv(Conv2d<T>(in, width, 3, 3, Conv2dOptions{}.padding(1)), rng), name("features."));
      net.add(BatchNorm2d<T>(width), name("features."));
      net.add(ReLU<T>(), name("features."));
      in = width;
    }
    net.add(MaxPool2d<T>(2, 2), name("features."));
  }
  net.add(Flatten<T>(), "flatten");
  idx = 0;
  net.add(detail::init_dense(Dense<T>(in * 2 * 2, 256), rng), name("classifier."));
  net.add(ReLU<T>(), name("classifier."));
  net.add(Dropout<T>(0.3), name("classifier."));
  net.add(detail::init_dense(Dense<T>(256, 256), rng), name("classifier."));
  net.add(ReLU<T>(), name("classifier."));
  net.add(Dropout<T>(0.3), name("classifier."));
  net.add(detail::init_dense(Dense<T>(256, 10), rng), name("classifier."));
  return net;
}

/// Assigns every parameter of `net` from the tensor of the same name in `st`. The names must
/// agree exactly in both directions (io.360 lists what is missing or unexpected); shapes are
/// checked by Param::assign.
template <class T>
void load_parameters(Network<T>& net, const SafeTensors<T>& st) {
  std::vector<std::string> ours = parameter_names(net), theirs = st.names(), missing, unexpected;
  std::sort(ours.begin(), ours.end());
  std::sort(theirs.begin(), theirs.end());
  std::set_difference(ours.begin(), ours.end(), theirs.begin(), theirs.end(), std::back_inserter(missing));
  std::set_difference(theirs.begin(), theirs.end(), ours.begin(), ours.end(), std::back_inserter(unexpected));
  if (!missing.empty() || !unexpected.empty()) {
    const auto list = [](const std::vector<std::string>& v) {
      std::string s;
      for (std::size_t i = 0; i < v.size() && i < 8; ++i) s += (i ? ", " : "") + v[i];
      return v.size() > 8 ? s + ", ..." : s;
    };
    raise<IoError>("io.360", "safetensors file '", st.path(), "' does not match the network: ", missing.size(),
                   " parameters missing (", list(missing), "), ", unexpected.size(), " unexpected tensors (",
                   list(unexpected), ")");
  }
  for (const auto& n : theirs) parameter(net, n).assign(st.get(n), n);
}

/// fmnist_small with the weights of a safetensors file (models/fmnist_small.safetensors).
template <class T>
Network<T> load_fmnist_small(const std::string& path) {
  Network<T> net = fmnist_small<T>();
  load_parameters(net, SafeTensors<T>::load(path));
  return net;
}

/// fmnist_vgg with the weights of a safetensors file (models/fmnist_vgg.safetensors).
template <class T>
Network<T> load_fmnist_vgg(const std::string& path) {
  Network<T> net = fmnist_vgg<T>();
  load_parameters(net, SafeTensors<T>::load(path));
  return net;
}

/// [N, C, H, W] -> [N, C, H + 2 pad, W + 2 pad], zeros around (28x28 -> 32x32 for fmnist_vgg).
template <class T>
Tensor<T> pad_images(ConstView<T> x, Index pad) {
  if (x.rank() != 4) raise<ShapeError>("io.362", "pad_images: input shape ", x.shape(), ", expected [N, C, H, W]");
  if (pad < 0) raise<ArgumentError>("io.362", "pad_images: pad ", pad, ", expected >= 0");
  const Index n = x.dim(0), c = x.dim(1), h = x.dim(2), w = x.dim(3), ph = h + 2 * pad, pw = w + 2 * pad;
  Tensor<T> out(Shape{n, c, ph, pw});
  for (Index i = 0; i < n * c; ++i)
    for (Index y = 0; y < h; ++y)
      std::copy(x.data() + (i * h + y) * w, x.data() + (i * h + y + 1) * w, out.data() + (i * ph + y + pad) * pw + pad);
  return out;
}

/// The bundled sample images (models/fmnist_samples.safetensors): the first test image of each
/// class, so that examples run without the dataset.
template <class T>
struct FashionSamples {
  Tensor<T> images;            ///< [10, 1, 28, 28] in [0, 1], classes 0-9 in order
  std::vector<int> labels;     ///< labels[i] == i
  std::vector<Index> indices;  ///< position of each image in the t10k test set
  SafeTensors<T> file;         ///< everything else in the file (PyTorch reference outputs)

  /// Image i as a [1, 1, 28, 28] view.
  ConstView<T> image(Index i) const { return images.cview().slice(i, 1); }
  /// The position of the image with this test-set index (io.361 if it is not bundled).
  Index find(Index test_index) const {
    for (std::size_t i = 0; i < indices.size(); ++i)
      if (indices[i] == test_index) return Index(i);
    raise<IoError>("io.361", "samples file '", file.path(), "': test image ", test_index, " is not bundled");
  }
};

template <class T>
FashionSamples<T> load_fmnist_samples(const std::string& path) {
  SafeTensors<T> st = SafeTensors<T>::load(path);
  const ConstView<T> images = st.get("images"), labels = st.get("labels"), indices = st.get("indices");
  if (images.rank() != 4 || images.dim(1) != 1 || images.dim(2) != 28 || images.dim(3) != 28 ||
      labels.shape() != Shape{images.dim(0)} || indices.shape() != Shape{images.dim(0)})
    raise<IoError>("io.361", "samples file '", path, "': images ", images.shape(), ", labels ", labels.shape(),
                   ", indices ", indices.shape(), "; expected [N, 1, 28, 28], [N], [N]");
  FashionSamples<T> s{Tensor<T>::copy_of(images), {}, {}, std::move(st)};
  for (Index i = 0; i < labels.size(); ++i) {
    s.labels.push_back(int(labels[i]));
    s.indices.push_back(Index(indices[i]));
  }
  return s;
}

ATTRIB_END_NAMESPACE
