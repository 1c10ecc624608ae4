#pragma once
// PReLU (He et al. 2015): y = x for x > 0, a_c x otherwise, with a learned slope a_c per channel
// (weight of shape [C], broadcast on axis 1 of [N, C], [N, C, L] or [N, C, H, W]) or a single
// slope (weight [1], any shape) -- PyTorch's nn.PReLU(num_parameters, init = 0.25). Derivative
// 1[x > 0] + a_c 1[x <= 0] (PyTorch: a_c at 0). relu_like, like LeakyReLU. ONNX PRelu's slope
// tensor [C, 1, 1] (or [1]) is this weight after dropping the trailing ones.
#include "attrib/core/config.hpp"
#include <cmath>

#include "attrib/core/param.hpp"
#include "attrib/layers/elementwise.hpp"
#include "attrib/layers/rectifiers.hpp"

ATTRIB_BEGIN_NAMESPACE
namespace activation {

template <class T>
class PReLU {
 public:
  static constexpr const char* kind = "PReLU";
  explicit PReLU(Index num_parameters = 1, T init = T(0.25)) {
    if (num_parameters <= 0)
      raise<ParameterError>("param.967", kind, ": num_parameters = ", num_parameters, "; must be positive");
    weight_ = Param<T>(Shape{num_parameters});
    weight_.mutable_view().vec().setConstant(init);
  }
  static constexpr bool relu_like() { return true; }
  Index channels() const { return weight_.shape()[0]; }
  LeakySlope<T> channel(Index c) const { return LeakySlope<T>{weight_.data()[c]}; }
  const Param<T>& weight() const { return weight_; }
  Param<T>& weight() { return weight_; }

  /// Slopes must be finite; checked at use because the weight may be bound to caller memory.
  template <class Who>
  void check(const Who& who) const {
    const T* a = weight_.data();
    for (Index c = 0; c < channels(); ++c)
      if (!std::isfinite(a[c]))
        raise<ParameterError>("param.968", who, ": weight[", c, "] = ", a[c], "; must be finite");
  }

 private:
  Param<T> weight_;
};

}  // namespace activation

template <class T>
class PReLU : public Elementwise<T, activation::PReLU> {
 public:
  /// num_parameters = 1 (one slope for every element) or C (one per channel); slopes = init.
  explicit PReLU(Index num_parameters = 1, T init = T(0.25))
      : Elementwise<T, activation::PReLU>(num_parameters, init) {}
  Index num_parameters() const { return this->function().channels(); }
  /// The layer as its Elementwise base (rules written for every element-wise activation).
  const Elementwise<T, activation::PReLU>& elementwise() const { return *this; }
  /// PyTorch's name: weight = the slopes a_c.
  const Param<T>& weight() const { return this->function().weight(); }
  Param<T>& weight() { return this->mutable_function().weight(); }
};

ATTRIB_END_NAMESPACE
