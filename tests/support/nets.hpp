#pragma once
// A small network with every runtime role the rules handle (weighted linear, per-unit linear,
// activation, max and average pooling, reshape, a residual sum), random weights.
#include "attrib/attrib.hpp"
#include "attrib/models/parameters.hpp"
#include "support/support.hpp"

namespace attrib::test {

template <class T>
Network<T> all_roles_net(unsigned seed = 7) {
  Network<T> net;
  net.add(Conv2d<T>(3, 4, 3, 3, Conv2dOptions{}.padding(1)), "conv1");
  net.add(BatchNorm2d<T>(4), "bn1");
  const Index r1 = net.add(ReLU<T>(), "relu1");
  net.add(Conv2d<T>(4, 4, 3, 3, Conv2dOptions{}.padding(1)), "conv2");
  const Index c2 = net.add(ReLU<T>(), "relu2");
  net.add(Add<T>(), "add", {c2, r1});
  net.add(MaxPool2d<T>(2, 2, Pool2dOptions{}.stride(2, 2)), "pool");
  net.add(AvgPool2d<T>(2, 2, Pool2dOptions{}.stride(2, 2)), "avg");
  net.add(Flatten<T>(), "flatten");
  net.add(Dense<T>(4 * 2 * 2, 16), "fc1");
  net.add(ReLU<T>(), "relu3");
  net.add(Dropout<T>(), "drop");
  net.add(Dense<T>(16, 3), "fc2");
  unsigned s = seed;
  for_each_parameter(net, [&](const std::string& name, Param<T>& p) {
    // Positive batch-norm scales and biases keep units alive, so that every rule family (also
    // excitation backprop, which drops negative scales, and PatternNet) passes relevance through.
    const bool scale = name.find("running_var") != std::string::npos || name.find("bn1.weight") != std::string::npos;
    const bool bias = name.find("bias") != std::string::npos;
    fill_random(p.mutable_view(), s++, scale ? 0.5 : bias ? 0.0 : -0.5, scale ? 1.5 : 0.5);
  });
  return net;
}

}  // namespace attrib::test
