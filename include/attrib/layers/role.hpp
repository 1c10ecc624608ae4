#pragma once
// What a layer is, declared by the layer itself:
//
//   template <class T> class MyLayer : public detail::Named {
//    public:
//     using Scalar = T;
//     static constexpr const char* kind = "MyLayer";   // unique name, used in messages and Select
//     static constexpr Role role = Role::activation;   // what it is (below)
//     static constexpr int arity = 1;                  // inputs: 1, 2 or attrib::variadic
//     template <class F> void parameters(F&& f);       // optional: f("weight", Param<T>&) ...
//     ...
//   };
//
// Rules, the engine, canonize(), pattern fitting, ONNX import and composites read these
// declarations instead of keeping their own lists of layer types.
#include "attrib/core/config.hpp"

ATTRIB_BEGIN_NAMESPACE

/// The part a layer plays in a network. Rules that treat a whole role the same way (docs/rules.md)
/// are written once per role, so a new layer of that role gets their behaviour without edits.
enum class Role : int {
  weighted_linear,  ///< y = f(W) x + b mixing units (Dense, Conv2d): weight(), bias(), *_with primitives
  per_unit_linear,  ///< y = s (.) x + t per unit/channel (BatchNorm2d, Normalize)
  activation,       ///< elementwise y_i = f(x_i) (ReLU); output shape = input shape
  pooling,          ///< windows reduced to one value (MaxPool2d; linear: AvgPool2d, AdaptiveAvgPool2d)
  reshape,          ///< values moved or copied unchanged (Flatten, Identity, Dropout)
  sum,              ///< elementwise sum of its inputs (Add)
  concat,           ///< inputs joined along an axis
  product,          ///< elementwise product of its inputs
  normalization,    ///< per-item normalisation (LayerNorm): linear once its scale 1/sigma is detached
};

inline constexpr const char* to_string(Role r) {
  switch (r) {
    case Role::weighted_linear: return "weighted_linear";
    case Role::per_unit_linear: return "per_unit_linear";
    case Role::activation: return "activation";
    case Role::pooling: return "pooling";
    case Role::reshape: return "reshape";
    case Role::sum: return "sum";
    case Role::concat: return "concat";
    case Role::product: return "product";
    case Role::normalization: return "normalization";
  }
  return "?";
}

/// Layer::arity of layers taking any number (>= 1) of inputs.
inline constexpr int variadic = -1;

ATTRIB_END_NAMESPACE
