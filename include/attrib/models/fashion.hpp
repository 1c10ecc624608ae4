#pragma once
// The two trained Fashion-MNIST models shipped in models/ (models/README.md): their
// architectures as runtime networks with the node names of tools/train_fashion_mnist.py, seeded
// random weights until loaded. The loaders of the shipped safetensors files (load_fmnist_small,
// load_fmnist_vgg, load_fmnist_samples) are in attrib/io/fashion_models.hpp. Standard library +
// Eigen only.
//
//   fmnist_small  [N, 1, 28, 28] -> conv1 bn1 relu1 pool1 conv2 bn2 relu2 pool2 flatten fc1 relu3 fc2
//   fmnist_vgg    [N, 1, 32, 32] (28x28 zero-padded by 2: pad_images(x, 2)) ->
//                 features.0-27 (4 blocks of 2 x conv/BN/ReLU + max-pool), flatten,
//                 classifier.0-6 (Dense, ReLU, Dropout, Dense, ReLU, Dropout, Dense)
// Inputs are pixel / 255 in [0, 1]; outputs 10 logits (fashion_mnist_classes()).
//
// Errors: io.362 (pad_images; docs/examples.md).
#include "attrib/core/config.hpp"
#include <algorithm>
#include <array>
#include <string>

#include "attrib/models/builders.hpp"

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

ATTRIB_END_NAMESPACE
