#pragma once
// Per-channel input preprocessing y = (x - mean_c) / std_c (torchvision's Normalize) on
// [N, C, H, W] (also [N, C] / [N, C, L]). Linear with effective weight 1/std_c and bias
// -mean_c/std_c, so the attribution rules treat it like any other linear layer.
#include "attrib/core/config.hpp"
#include "attrib/layers/role.hpp"
#include <cmath>
#include <utility>
#include <vector>

#include "attrib/detail/channel_affine.hpp"

ATTRIB_BEGIN_NAMESPACE

template <class T>
class Normalize : public detail::ChannelAffine<Normalize<T>, T> {
 public:
  static constexpr const char* kind = "Normalize";
  static constexpr Role role = Role::per_unit_linear;
  static constexpr int arity = 1;

  /// One mean and one standard deviation per channel; every std must be positive and finite.
  Normalize(std::vector<T> mean, std::vector<T> stddev)
      : mean_(std::move(mean)), std_(std::move(stddev)) {
    if (mean_.empty() || mean_.size() != std_.size())
      raise<ParameterError>("param.410", kind, ": ", mean_.size(), " means and ", std_.size(),
                            " standard deviations given; expected the same positive number");
    for (std::size_t c = 0; c < mean_.size(); ++c) {
      if (!(std_[c] > T(0)) || !std::isfinite(std_[c]))
        raise<ParameterError>("param.411", kind, ": std[", c, "] = ", std_[c],
                              "; must be positive and finite");
      if (!std::isfinite(mean_[c]))
        raise<ParameterError>("param.412", kind, ": mean[", c, "] = ", mean_[c], "; must be finite");
    }
  }

  Index channels() const { return static_cast<Index>(mean_.size()); }
  const std::vector<T>& mean() const { return mean_; }
  const std::vector<T>& stddev() const { return std_; }

 private:
  friend class detail::ChannelAffine<Normalize<T>, T>;

  void compute_effective(T* s, T* b) const {
    for (std::size_t c = 0; c < mean_.size(); ++c) {
      s[c] = T(1) / std_[c];
      if (b) b[c] = -mean_[c] / std_[c];
    }
  }

  std::vector<T> mean_, std_;
};

ATTRIB_END_NAMESPACE
