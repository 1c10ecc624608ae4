#pragma once
// Smooth element-wise activations: Sigmoid, Tanh, SiLU, GELU (erf or tanh form), Softplus, ELU.
// Each is a small policy in namespace attrib::activation (value, derivative, relu_like, its
// parameters; contract in elementwise.hpp) and a layer alias Elementwise<T, policy>. Formulas,
// defaults and the derivative at kinks follow PyTorch (torch.nn.*); the evaluation is stable
// for large |x| (no inf/NaN at x = +-1000 in float).
#include "attrib/core/config.hpp"
#include <cmath>
#include <limits>

#include "attrib/layers/elementwise.hpp"

ATTRIB_BEGIN_NAMESPACE
namespace activation {
namespace detail {
/// 1 / (1 + exp(-x)) without overflow: exp is only taken of non-positive arguments.
template <class T>
T sigmoid(T x) {
  if (x >= T(0)) return T(1) / (T(1) + std::exp(-x));
  const T e = std::exp(x);
  return e / (T(1) + e);
}
}  // namespace detail

/// sigma(x) = 1 / (1 + exp(-x)); sigma' = sigma(x) sigma(-x) (accurate in both tails).
template <class T>
struct Sigmoid {
  static constexpr const char* kind = "Sigmoid";
  static constexpr bool relu_like() { return false; }
  T value(T x) const { return detail::sigmoid(x); }
  T derivative(T x) const { return detail::sigmoid(x) * detail::sigmoid(-x); }
};

/// tanh(x); derivative 1 - tanh(x)^2 (as PyTorch).
template <class T>
struct Tanh {
  static constexpr const char* kind = "Tanh";
  static constexpr bool relu_like() { return false; }
  T value(T x) const { return std::tanh(x); }
  T derivative(T x) const {
    const T t = std::tanh(x);
    return T(1) - t * t;
  }
};

/// SiLU / swish x sigma(x); derivative sigma(x) (1 + x sigma(-x)).
template <class T>
struct SiLU {
  static constexpr const char* kind = "SiLU";
  static constexpr bool relu_like() { return false; }
  T value(T x) const { return x * detail::sigmoid(x); }
  T derivative(T x) const { return detail::sigmoid(x) * (T(1) + x * detail::sigmoid(-x)); }
};

/// PyTorch's approximate = "none" (exact, via erf) or "tanh"; ONNX Gelu's attribute likewise.
enum class GeluApproximation { none, tanh };

/// GELU x Phi(x) with Phi(x) = erfc(-x / sqrt 2) / 2 (equal to PyTorch's (1 + erf(x / sqrt 2)) / 2
/// and accurate for x << 0), derivative Phi(x) + x phi(x); or the tanh form
/// x (1 + tanh(k (x + 0.044715 x^3))) / 2, k = sqrt(2 / pi), with PyTorch's derivative.
template <class T>
class GELU {
 public:
  static constexpr const char* kind = "GELU";
  explicit GELU(GeluApproximation approximation = GeluApproximation::none) : approx_(approximation) {}
  GeluApproximation approximation() const { return approx_; }
  static constexpr bool relu_like() { return false; }

  T value(T x) const {
    if (approx_ == GeluApproximation::none) return x * T(0.5) * std::erfc(-x * sqrt1_2());
    return T(0.5) * x * (T(1) + std::tanh(inner(x)));
  }
  T derivative(T x) const {
    if (approx_ == GeluApproximation::none) {
      const T pdf = inv_sqrt_2pi() * std::exp(T(-0.5) * x * x);
      return T(0.5) * std::erfc(-x * sqrt1_2()) + x * pdf;
    }
    const T t = std::tanh(inner(x)), sech2 = T(1) - t * t;
    // sech2 == 0 where tanh saturates: skip the other factor, which may overflow (x^2 -> inf).
    const T right = sech2 == T(0) ? T(0) : T(0.5) * x * sech2 * beta() * (T(1) + T(3) * kappa() * x * x);
    return T(0.5) * (T(1) + t) + right;
  }

 private:
  static constexpr T sqrt1_2() { return T(0.70710678118654752440); }       // 1 / sqrt(2)
  static constexpr T inv_sqrt_2pi() { return T(0.39894228040143267794); }  // 1 / sqrt(2 pi)
  static constexpr T beta() { return T(0.79788456080286535588); }          // sqrt(2 / pi)
  static constexpr T kappa() { return T(0.044715); }
  static T inner(T x) { return beta() * (x + kappa() * x * x * x); }
  GeluApproximation approx_;
};

/// Softplus log(1 + exp(beta x)) / beta, linear (= x) where beta x > threshold (PyTorch's
/// nn.Softplus, defaults beta = 1, threshold = 20; ONNX Softplus is beta = 1, threshold = +inf).
/// Evaluated as (max(z, 0) + log1p(exp(-|z|))) / beta, z = beta x: never overflows.
/// Derivative sigma(beta x), and 1 where beta x > threshold (PyTorch: 1 from the linear branch).
template <class T>
class Softplus {
 public:
  static constexpr const char* kind = "Softplus";
  explicit Softplus(T beta = T(1), T threshold = T(20)) : beta_(beta), threshold_(threshold) {
    if (!(beta > T(0)) || !std::isfinite(beta))
      raise<ParameterError>("param.961", kind, ": beta = ", beta, "; must be positive and finite");
    if (std::isnan(threshold)) raise<ParameterError>("param.962", kind, ": threshold is NaN");
  }
  T beta() const { return beta_; }
  T threshold() const { return threshold_; }
  static constexpr bool relu_like() { return false; }

  T value(T x) const {
    const T z = beta_ * x;
    if (z > threshold_) return x;
    return ((z > T(0) ? z : T(0)) + std::log1p(std::exp(-std::abs(z)))) / beta_;
  }
  T derivative(T x) const {
    const T z = beta_ * x;
    return z > threshold_ ? T(1) : detail::sigmoid(z);
  }

 private:
  T beta_, threshold_;
};

/// ELU x for x > 0, alpha (exp(x) - 1) otherwise (PyTorch / ONNX default alpha = 1).
/// Derivative 1 for x > 0, alpha exp(x) for x <= 0 (PyTorch: alpha at x = 0).
template <class T>
class ELU {
 public:
  static constexpr const char* kind = "ELU";
  explicit ELU(T alpha = T(1)) : alpha_(alpha) {
    if (!std::isfinite(alpha)) raise<ParameterError>("param.963", kind, ": alpha = ", alpha, "; must be finite");
  }
  T alpha() const { return alpha_; }
  static constexpr bool relu_like() { return false; }
  T value(T x) const { return x > T(0) ? x : alpha_ * std::expm1(x); }
  T derivative(T x) const { return x > T(0) ? T(1) : alpha_ * std::exp(x); }

 private:
  T alpha_;
};

}  // namespace activation

template <class T> using Sigmoid = Elementwise<T, activation::Sigmoid>;
template <class T> using Tanh = Elementwise<T, activation::Tanh>;
template <class T> using SiLU = Elementwise<T, activation::SiLU>;
template <class T> using GELU = Elementwise<T, activation::GELU>;
template <class T> using Softplus = Elementwise<T, activation::Softplus>;
template <class T> using ELU = Elementwise<T, activation::ELU>;
using activation::GeluApproximation;

ATTRIB_END_NAMESPACE
