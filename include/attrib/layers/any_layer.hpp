#pragma once
// The one list of runtime layer types. A layer added here is usable in Network, by ONNX
// import (given a converter), by string selectors of composites, and by every rule whose
// behaviour its role determines (attrib/layers/role.hpp); nothing else lists layer types.
#include "attrib/core/config.hpp"
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "attrib/layers/adaptive_avg_pool2d.hpp"
#include "attrib/layers/add.hpp"
#include "attrib/layers/avg_pool2d.hpp"
#include "attrib/layers/batch_norm2d.hpp"
#include "attrib/layers/conv2d.hpp"
#include "attrib/layers/dense.hpp"
#include "attrib/layers/flatten.hpp"
#include "attrib/layers/identity.hpp"
#include "attrib/layers/max_pool2d.hpp"
#include "attrib/layers/normalize.hpp"
#include "attrib/layers/relu.hpp"

ATTRIB_BEGIN_NAMESPACE

template <class T>
using AnyLayer = std::variant<Dense<T>, Conv2d<T>, ReLU<T>, MaxPool2d<T>, AvgPool2d<T>,
                              AdaptiveAvgPool2d<T>, GlobalAvgPool2d<T>, Flatten<T>, BatchNorm2d<T>,
                              Normalize<T>, Add<T>, Identity<T>, Dropout<T>>;

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
