#pragma once
// Compile-time properties of layer types.
#include "attrib/core/config.hpp"
#include <type_traits>
#include <utility>

#include "attrib/core/shape.hpp"
#include "attrib/core/transform.hpp"
#include "attrib/core/workspace.hpp"

ATTRIB_BEGIN_NAMESPACE

/// Layers with two inputs (residual Add): output_shape(Shape, Shape).
template <class L, class = void>
struct is_binary_layer : std::false_type {};
template <class L>
struct is_binary_layer<L, std::void_t<decltype(std::declval<const L&>().output_shape(
                              std::declval<const Shape&>(), std::declval<const Shape&>()))>>
    : std::true_type {};
template <class L>
inline constexpr bool is_binary_layer_v = is_binary_layer<L>::value;

/// Linear layers expose forward_transformed / backward_transformed.
template <class L, class = void>
struct is_linear_layer : std::false_type {};
template <class L>
struct is_linear_layer<
    L, std::void_t<decltype(std::declval<const L&>().forward_transformed(
           transform::Identity{}, BiasMode::none,
           std::declval<ConstView<typename L::Scalar>>(), std::declval<TensorView<typename L::Scalar>>(),
           std::declval<Workspace<typename L::Scalar>&>()))>> : std::true_type {};
template <class L>
inline constexpr bool is_linear_layer_v = is_linear_layer<L>::value;

/// Layers that are linear once an input-dependent factor is detached (LayerNorm's 1/sigma):
/// detached(x, frame) returns that linear map at input x (a linear layer, is_linear_layer_v).
template <class L, class = void>
struct has_detached_map : std::false_type {};
template <class L>
struct has_detached_map<
    L, std::void_t<decltype(std::declval<const L&>().detached(
           std::declval<ConstView<typename L::Scalar>>(),
           std::declval<typename Workspace<typename L::Scalar>::Frame&>()))>> : std::true_type {};
template <class L>
inline constexpr bool has_detached_map_v = has_detached_map<L>::value;

ATTRIB_END_NAMESPACE
