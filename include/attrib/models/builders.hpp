#pragma once
// Builders for reference architectures as runtime networks with torchvision's layer names and
// seeded, portable random initialisation (torchvision's init schemes, our own RNG):
//   vgg16()     torchvision VGG-16 (features.N, avgpool, flatten, classifier.N)
//   resnet50()  torchvision ResNet-50 v1.5 (conv1, bn1, layer1.0.conv1, ..., fc)
//   cifar_net() the CIFAR-10 network of "When Explanations Lie" (conv1, relu1, ..., fc6)
// `width_divisor` divides every channel/hidden width (for small test models); every parameter
// can be replaced or bound to external buffers by name (attrib/models/parameters.hpp).
#include "attrib/core/config.hpp"
#include <cmath>
#include <cstdint>
#include <string>

#include "attrib/core/random.hpp"
#include "attrib/models/network.hpp"

ATTRIB_BEGIN_NAMESPACE

struct BuilderOptions {
  Index num_classes = 1000;
  Index width_divisor = 1;   ///< channels / hidden units are divided by this
  std::uint64_t seed = 0;    ///< seed of the portable generator used for initialisation
  Index in_channels = 3;
};

namespace detail {
inline Index scaled(Index width, const BuilderOptions& o) {
  const Index w = width / o.width_divisor;
  if (w < 1)
    raise<ParameterError>("param.030", "builder: width ", width, " / width_divisor ", o.width_divisor, " < 1");
  return w;
}
// Kaiming-normal (fan_out, ReLU gain) weights as torchvision's VGG/ResNet; biases uniform in
// +-1/sqrt(fan_in) (PyTorch's default bias init).
template <class T>
Conv2d<T> init_conv(Conv2d<T> c, Random& rng) {
  const double fan_out = double(c.out_channels() * c.kernel_h() * c.kernel_w()) / double(c.groups());
  const double fan_in = double(c.in_channels() * c.kernel_h() * c.kernel_w()) / double(c.groups());
  rng.fill_normal(c.weight().mutable_view(), 0.0, std::sqrt(2.0 / fan_out));
  if (c.has_bias()) rng.fill_uniform(c.bias().mutable_view(), -1 / std::sqrt(fan_in), 1 / std::sqrt(fan_in));
  return c;
}
// PyTorch's default Linear init: U(+-1/sqrt(fan_in)) for weight and bias.
template <class T>
Dense<T> init_dense(Dense<T> d, Random& rng) {
  const double b = 1 / std::sqrt(double(d.in_features()));
  rng.fill_uniform(d.weight().mutable_view(), -b, b);
  if (d.has_bias()) rng.fill_uniform(d.bias().mutable_view(), -b, b);
  return d;
}
/// The builders' init scheme for a weighted layer (one overload per Role::weighted_linear layer).
template <class T>
Conv2d<T> init_layer(Conv2d<T> c, Random& rng) { return init_conv(std::move(c), rng); }
template <class T>
Dense<T> init_layer(Dense<T> d, Random& rng) { return init_dense(std::move(d), rng); }
template <class T>
Conv1d<T> init_layer(Conv1d<T> c, Random& rng) {  // as init_conv, the kernel being 1 x k
  const double fan_out = double(c.out_channels() * c.kernel_size()) / double(c.groups());
  const double fan_in = double(c.in_channels() * c.kernel_size()) / double(c.groups());
  rng.fill_normal(c.weight().mutable_view(), 0.0, std::sqrt(2.0 / fan_out));
  if (c.has_bias()) rng.fill_uniform(c.bias().mutable_view(), -1 / std::sqrt(fan_in), 1 / std::sqrt(fan_in));
  return c;
}
}  // namespace detail

/// torchvision VGG-16 (configuration "D", no batch norm). Input [N, 3, H, W], H, W >= 32.
template <class T>
Network<T> vgg16(const BuilderOptions& o = {}) {
  Random rng(o.seed);
  Network<T> net;
  const int cfg[] = {64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0};
  Index in = o.in_channels, idx = 0;
  for (int c : cfg) {
    if (c == 0) {
      net.add(MaxPool2d<T>(2, 2), "features." + std::to_string(idx++));
      continue;
    }
    const Index out = detail::scaled(c, o);
    net.add(detail::init_conv(Conv2d<T>(in, out, 3, 3, Conv2dOptions{}.padding(1)), rng),
            "features." + std::to_string(idx++));
    net.add(ReLU<T>(), "features." + std::to_string(idx++));
    in = out;
  }
  net.add(AdaptiveAvgPool2d<T>(7, 7), "avgpool");
  net.add(Flatten<T>(), "flatten");
  const Index hidden = detail::scaled(4096, o);
  net.add(detail::init_dense(Dense<T>(in * 49, hidden), rng), "classifier.0");
  net.add(ReLU<T>(), "classifier.1");
  net.add(Dropout<T>(0.5), "classifier.2");
  net.add(detail::init_dense(Dense<T>(hidden, hidden), rng), "classifier.3");
  net.add(ReLU<T>(), "classifier.4");
  net.add(Dropout<T>(0.5), "classifier.5");
  net.add(detail::init_dense(Dense<T>(hidden, o.num_classes), rng), "classifier.6");
  return net;
}

/// torchvision ResNet-50 (Bottleneck, [3, 4, 6, 3], stride on the 3x3 conv). The three ReLU
/// applications of a bottleneck are nodes "<block>.relu", "<block>.relu_1", "<block>.relu_2"
/// (ONNX export naming); the residual sum is "<block>.add".
template <class T>
Network<T> resnet50(const BuilderOptions& o = {}) {
  Random rng(o.seed);
  Network<T> net;
  const auto conv = [&](Index cin, Index cout, Index k, Index stride, Index pad) {
    return detail::init_conv(
        Conv2d<T>(cin, cout, k, k, Conv2dOptions{}.stride(stride).padding(pad).bias(false)), rng);
  };
  Index in = detail::scaled(64, o);
  net.add(conv(o.in_channels, in, 7, 2, 3), "conv1");
  net.add(BatchNorm2d<T>(in), "bn1");
  net.add(ReLU<T>(), "relu");
  net.add(MaxPool2d<T>(3, 3, Pool2dOptions{}.stride(2).padding(1)), "maxpool");
  const int blocks[] = {3, 4, 6, 3};
  for (int s = 0; s < 4; ++s) {
    const Index planes = detail::scaled(64 << s, o), out = planes * 4;
    for (int b = 0; b < blocks[s]; ++b) {
      const std::string p = "layer" + std::to_string(s + 1) + "." + std::to_string(b) + ".";
      const Index stride = (b == 0 && s > 0) ? 2 : 1;
      const Index block_in = net.size() - 1;
      net.add(conv(in, planes, 1, 1, 0), p + "conv1");
      net.add(BatchNorm2d<T>(planes), p + "bn1");
      net.add(ReLU<T>(), p + "relu");
      net.add(conv(planes, planes, 3, stride, 1), p + "conv2");
      net.add(BatchNorm2d<T>(planes), p + "bn2");
      net.add(ReLU<T>(), p + "relu_1");
      net.add(conv(planes, out, 1, 1, 0), p + "conv3");
      const Index main = net.add(BatchNorm2d<T>(out), p + "bn3");
      Index shortcut = block_in;
      if (b == 0) {
        net.add(conv(in, out, 1, stride, 0), p + "downsample.0", {block_in});
        shortcut = net.add(BatchNorm2d<T>(out), p + "downsample.1");
      }
      net.add(Add<T>(), p + "add", {main, shortcut});
      net.add(ReLU<T>(), p + "relu_2");
      in = out;
    }
  }
  net.add(AdaptiveAvgPool2d<T>(1, 1), "avgpool");
  net.add(Flatten<T>(), "flatten");
  net.add(detail::init_dense(Dense<T>(in, o.num_classes), rng), "fc");
  return net;
}

/// The CIFAR-10 network of Sixt et al. (rules-spec section 7), NCHW, 32x32 input:
/// conv1 32, conv2 64, pool2, conv3 128, conv4 128, pool4, fc5 1024, fc6 classes (3x3 'same'
/// convolutions with bias, separate ReLU layers, dropout as identity).
template <class T>
Network<T> cifar_net(BuilderOptions o = {}) {
  if (o.num_classes == 1000) o.num_classes = 10;
  Random rng(o.seed);
  Network<T> net;
  const auto conv = [&](Index cin, Index cout) {
    return detail::init_conv(Conv2d<T>(cin, cout, 3, 3, Conv2dOptions{}.padding(1)), rng);
  };
  const Index c1 = detail::scaled(32, o), c2 = detail::scaled(64, o), c3 = detail::scaled(128, o),
              h = detail::scaled(1024, o);
  net.add(conv(o.in_channels, c1), "conv1");
  net.add(ReLU<T>(), "relu1");
  net.add(conv(c1, c2), "conv2");
  net.add(ReLU<T>(), "relu2");
  net.add(MaxPool2d<T>(2, 2), "pool2");
  net.add(conv(c2, c3), "conv3");
  net.add(ReLU<T>(), "relu3");
  net.add(conv(c3, c3), "conv4");
  net.add(ReLU<T>(), "relu4");
  net.add(MaxPool2d<T>(2, 2), "pool4");
  net.add(Flatten<T>(), "flatten");
  net.add(Dropout<T>(0.5), "dropout5");
  net.add(detail::init_dense(Dense<T>(c3 * 64, h), rng), "fc5");
  net.add(ReLU<T>(), "relu5");
  net.add(Dropout<T>(0.5), "dropout6");
  net.add(detail::init_dense(Dense<T>(h, o.num_classes), rng), "fc6");
  return net;
}

ATTRIB_END_NAMESPACE
