#pragma once
// Batch normalisation in inference (eval) mode, PyTorch's BatchNorm2d:
//   y = weight_c (x - running_mean_c) / sqrt(running_var_c + eps) + bias_c
// on [N, C, H, W]. The map is per channel, so [N, C] (BatchNorm1d-style) and [N, C, L] input are
// accepted too. It is linear with effective weight s_c = weight_c / sqrt(running_var_c + eps)
// and effective bias b_c = bias_c - s_c running_mean_c (see effective_affine()).
#include "attrib/core/config.hpp"
#include "attrib/layers/role.hpp"
#include <cmath>

#include "attrib/core/param.hpp"
#include "attrib/detail/channel_affine.hpp"

ATTRIB_BEGIN_NAMESPACE

template <class T>
class BatchNorm2d : public detail::ChannelAffine<BatchNorm2d<T>, T> {
 public:
  static constexpr const char* kind = "BatchNorm2d";
  static constexpr Role role = Role::per_unit_linear;
  static constexpr int arity = 1;

  /// gamma = 1, beta = 0, running_mean = 0, running_var = 1 (PyTorch's initial values).
  explicit BatchNorm2d(Index channels, T eps = T(1e-5)) : channels_(channels), eps_(eps) {
    if (channels <= 0)
      raise<ParameterError>("param.400", kind, ": channels = ", channels, "; must be positive");
    if (!(eps >= T(0)) || !std::isfinite(eps))
      raise<ParameterError>("param.401", kind, ": eps = ", eps, "; must be finite and >= 0");
    const Shape s{channels};
    weight_ = Param<T>(s);
    bias_ = Param<T>(s);
    running_mean_ = Param<T>(s);
    running_var_ = Param<T>(s);
    weight_.mutable_view().vec().setOnes();
    running_var_.mutable_view().vec().setOnes();
  }

  Index channels() const { return channels_; }
  T eps() const { return eps_; }
  // PyTorch names: weight = gamma, bias = beta.
  const Param<T>& weight() const { return weight_; }
  const Param<T>& bias() const { return bias_; }
  const Param<T>& running_mean() const { return running_mean_; }
  const Param<T>& running_var() const { return running_var_; }
  Param<T>& weight() { return weight_; }
  Param<T>& bias() { return bias_; }
  Param<T>& running_mean() { return running_mean_; }
  Param<T>& running_var() { return running_var_; }
  /// Calls f(name, param) for each parameter (PyTorch names).
  template <class F> void parameters(F&& f) { each_parameter(*this, f); }
  template <class F> void parameters(F&& f) const { each_parameter(*this, f); }

 private:
  friend class detail::ChannelAffine<BatchNorm2d<T>, T>;
  template <class Self, class F>
  static void each_parameter(Self& self, F& f) {
    f("weight", self.weight_);
    f("bias", self.bias_);
    f("running_mean", self.running_mean_);
    f("running_var", self.running_var_);
  }

  /// s_c = gamma_c / sqrt(var_c + eps), b_c = beta_c - s_c mean_c; var + eps > 0 is checked
  /// here, at use, because the parameters may be bound to (or assigned from) caller buffers.
  void compute_effective(T* s, T* b) const {
    const T *g = weight_.data(), *beta = bias_.data(), *mu = running_mean_.data(),
            *var = running_var_.data();
    for (Index c = 0; c < channels_; ++c) {
      const T v = var[c] + eps_;
      if (!(v > T(0)) || !std::isfinite(v))
        raise<ParameterError>("param.402", this->who(kind), ": channel ", c, ": running_var + eps = ",
                              v, "; must be positive and finite");
      s[c] = g[c] / std::sqrt(v);
      if (b) b[c] = beta[c] - s[c] * mu[c];
    }
  }

  Index channels_;
  T eps_;
  Param<T> weight_, bias_, running_mean_, running_var_;
};

ATTRIB_END_NAMESPACE
