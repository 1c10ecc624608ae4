#pragma once
// The one list of runtime layer types. A layer added here is usable in Network, by ONNX
// import (given a converter), by string selectors of composites, and by every rule whose
// behaviour its role determines (attrib/layers/role.hpp); nothing else lists layer types.
#include "attrib/core/config.hpp"
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "attrib/layers/activations.hpp"
#include "attrib/layers/adaptive_avg_pool2d.hpp"
#include "attrib/layers/add.hpp"
#include "attrib/layers/avg_pool2d.hpp"
#include "attrib/layers/batch_norm2d.hpp"
#include "attrib/layers/channel_shuffle.hpp"
#include "attrib/layers/concat.hpp"
#include "attrib/layers/const_affine.hpp"
#include "attrib/layers/conv1d.hpp"
#include "attrib/layers/conv2d.hpp"
#include "attrib/layers/dense.hpp"
#include "attrib/layers/flatten.hpp"
#include "attrib/layers/identity.hpp"
#include "attrib/layers/layer_norm.hpp"
#include "attrib/layers/max_pool2d.hpp"
#include "attrib/layers/mul.hpp"
#include "attrib/layers/normalize.hpp"
#include "attrib/layers/pool1d.hpp"
#include "attrib/layers/prelu.hpp"
#include "attrib/layers/rectifiers.hpp"
#include "attrib/layers/reduce_mean.hpp"
#include "attrib/layers/relu.hpp"
#include "attrib/layers/slice.hpp"
#include "attrib/layers/transpose.hpp"

ATTRIB_BEGIN_NAMESPACE

template <class T>
using AnyLayer = std::variant<Dense<T>, Conv2d<T>, ReLU<T>, MaxPool2d<T>, AvgPool2d<T>,
                              AdaptiveAvgPool2d<T>, GlobalAvgPool2d<T>, Flatten<T>, BatchNorm2d<T>,
                              Normalize<T>, Add<T>, Identity<T>, Dropout<T>,
                              // element-wise activations (Role::activation)
                              Sigmoid<T>, Tanh<T>, SiLU<T>, GELU<T>, Softplus<T>, ELU<T>, LeakyReLU<T>,
                              Clip<T>, ReLU6<T>, HardSigmoid<T>, HardSwish<T>, PReLU<T>,
                              // structure, products, constants, 1-d
                              Concat<T>, Slice<T>, ChannelShuffle<T>, Mul<T>, ConstAffine<T>,
                              ReduceMean<T>, Conv1d<T>, MaxPool1d<T>, AvgPool1d<T>,
                              // channels-last and token layouts (ConvNeXt, transformers)
                              LayerNorm<T>, Transpose<T>>;

namespace detail {
template <class V, std::size_t... I>
std::vector<std::string> kinds_of(std::index_sequence<I...>) {
  return {std::variant_alternative_t<I, V>::kind...};
}
}  // namespace detail

/// The kinds of the runtime layer types ("Dense", "Conv2d", ...), in variant order.
inline std::vector<std::string> known_layer_kinds() {
  return detail::kinds_of<AnyLayer<float>>(std::make_index_sequence<std::variant_size_v<AnyLayer<float>>>());
}

ATTRIB_END_NAMESPACE
