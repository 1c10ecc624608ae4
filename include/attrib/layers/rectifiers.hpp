#pragma once
// Piecewise ("hard") element-wise activations: LeakyReLU, Clip, ReLU6, HardSigmoid, HardSwish,
// and the plain rectifier as a policy (activation::ReLU) for generic code. Policies in namespace
// attrib::activation (contract in elementwise.hpp), layers as Elementwise<T, policy> aliases.
// At every kink the derivative is the one PyTorch's autograd returns (1.13, checked against
// tests/data/activations.safetensors): it differs between functions that look alike, e.g.
// torch.clamp (Clip: 1 on the closed interval) and nn.ReLU6 / nn.Hardtanh (0 at both ends).
#include "attrib/core/config.hpp"
#include <algorithm>
#include <cmath>
#include <limits>

#include "attrib/layers/elementwise.hpp"

ATTRIB_BEGIN_NAMESPACE
namespace activation {

/// max(x, 0); derivative 1[x > 0] (attrib's ReLU layer, PyTorch).
template <class T>
struct ReLU {
  static constexpr const char* kind = "ReLU";
  static constexpr bool relu_like() { return true; }
  T value(T x) const { return x > T(0) ? x : T(0); }
  T derivative(T x) const { return x > T(0) ? T(1) : T(0); }
};

/// x for x > 0, slope x otherwise; derivative 1[x > 0] + slope 1[x <= 0] (PyTorch: the slope
/// at 0). The scalar function of LeakyReLU and of each PReLU channel; no validation.
template <class T>
struct LeakySlope {
  T slope;
  static constexpr bool relu_like() { return true; }
  T value(T x) const { return x > T(0) ? x : x * slope; }
  T derivative(T x) const { return x > T(0) ? T(1) : slope; }
};

/// LeakyReLU with a fixed negative slope (PyTorch and ONNX default 0.01). Always relu_like (a
/// rectifier with a leak), whatever the slope.
template <class T>
struct LeakyReLU : LeakySlope<T> {
  static constexpr const char* kind = "LeakyReLU";
  explicit LeakyReLU(T negative_slope = T(0.01)) : LeakySlope<T>{negative_slope} {
    if (!std::isfinite(negative_slope))
      raise<ParameterError>("param.964", kind, ": negative_slope = ", negative_slope, "; must be finite");
  }
  T negative_slope() const { return this->slope; }
};

/// min(max(x, min), max) as torch.clamp and ONNX Clip: derivative 1 on the closed interval
/// [min, max], 0 outside. A missing bound is -inf / +inf (ONNX's optional inputs). relu_like
/// when min == 0 < max: Clip(0, 6) is how PyTorch exports ReLU6 to ONNX.
template <class T>
class Clip {
 public:
  static constexpr const char* kind = "Clip";
  explicit Clip(T min = -std::numeric_limits<T>::infinity(), T max = std::numeric_limits<T>::infinity())
      : lo_(min), hi_(max) {
    if (std::isnan(min) || std::isnan(max) || !(min <= max))
      raise<ParameterError>("param.965", kind, ": min = ", min, ", max = ", max, "; need min <= max");
  }
  T min() const { return lo_; }
  T max() const { return hi_; }
  bool relu_like() const { return lo_ == T(0) && hi_ > T(0); }
  T value(T x) const { return std::min(std::max(x, lo_), hi_); }
  T derivative(T x) const { return x >= lo_ && x <= hi_ ? T(1) : T(0); }

 private:
  T lo_, hi_;
};

/// min(max(x, 0), 6) as nn.ReLU6 (= nn.Hardtanh(0, 6)): derivative 1 on the open interval
/// (0, 6), 0 at both kinks -- unlike Clip(0, 6), whose derivative is 1 there.
template <class T>
struct ReLU6 {
  static constexpr const char* kind = "ReLU6";
  static constexpr bool relu_like() { return true; }
  T value(T x) const { return std::min(std::max(x, T(0)), T(6)); }
  T derivative(T x) const { return x > T(0) && x < T(6) ? T(1) : T(0); }
};

/// max(0, min(1, alpha x + beta)). Default alpha = 1/6, beta = 1/2 = PyTorch's nn.Hardsigmoid;
/// ONNX HardSigmoid's defaults are alpha = 0.2, beta = 0.5 (pass them). Derivative alpha where
/// 0 < alpha x + beta < 1, else 0 (PyTorch: 0 at x = +-3).
template <class T>
class HardSigmoid {
 public:
  static constexpr const char* kind = "HardSigmoid";
  explicit HardSigmoid(T alpha = T(1) / T(6), T beta = T(0.5)) : alpha_(alpha), beta_(beta) {
    if (!std::isfinite(alpha) || !std::isfinite(beta))
      raise<ParameterError>("param.966", kind, ": alpha = ", alpha, ", beta = ", beta, "; must be finite");
  }
  T alpha() const { return alpha_; }
  T beta() const { return beta_; }
  static constexpr bool relu_like() { return false; }
  T value(T x) const { return std::min(std::max(alpha_ * x + beta_, T(0)), T(1)); }
  T derivative(T x) const {
    const T z = alpha_ * x + beta_;
    return z > T(0) && z < T(1) ? alpha_ : T(0);
  }

 private:
  T alpha_, beta_;
};

/// x min(max(x + 3, 0), 6) / 6 (PyTorch nn.Hardswish, ONNX HardSwish). Derivative 0 for
/// x < -3, x / 3 + 1/2 for -3 <= x <= 3, 1 for x > 3 (PyTorch: -1/2 at -3, 3/2 at 3).
template <class T>
struct HardSwish {
  static constexpr const char* kind = "HardSwish";
  static constexpr bool relu_like() { return false; }
  // x (clamp / 6), not PyTorch's (x clamp) / 6: no overflow for |x| > max / 6, same value within an ulp.
  T value(T x) const { return x * (std::min(std::max(x + T(3), T(0)), T(6)) / T(6)); }
  T derivative(T x) const { return x < T(-3) ? T(0) : x <= T(3) ? x / T(3) + T(0.5) : T(1); }
};

}  // namespace activation

template <class T> using LeakyReLU = Elementwise<T, activation::LeakyReLU>;
template <class T> using Clip = Elementwise<T, activation::Clip>;
template <class T> using ReLU6 = Elementwise<T, activation::ReLU6>;
template <class T> using HardSigmoid = Elementwise<T, activation::HardSigmoid>;
template <class T> using HardSwish = Elementwise<T, activation::HardSwish>;

ATTRIB_END_NAMESPACE
