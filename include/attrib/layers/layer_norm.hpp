#pragma once
// Layer normalisation over the last axis: x [..., D] (any rank 2..4: [N, D] features, [N, T, D]
// token sequences, [N, H, W, C] channels-last maps) is normalised row by row,
//   y = gamma (.) (x - mean(x)) / sigma + beta,   sigma = sqrt(var(x) + eps)   (biased variance)
// as torch.nn.LayerNorm(D) and ONNX LayerNormalization(axis = -1). Parameters "weight" (gamma,
// default 1) and "bias" (beta, default 0), both [D].
//
// backward() is the exact gradient. For the conservative rules (Ali et al. 2022, "XAI for
// Transformers: Better Explanations through Conservative Propagation") the normalisation scale
// 1/sigma is treated as a constant: detached(x, frame) returns the linear map
//   u -> gamma (.) (u - mean(u)) / sigma(x) + beta,   per row W = diag(gamma) (I - 1 1^T / D) / sigma
// with the linear-layer primitives (forward_transformed / backward_transformed apply an
// element-wise transform f to W's entries, gamma_j (1 - 1/D) / sigma on the diagonal and
// -gamma_j / (D sigma) off it, in O(D) per row), so every LRP rule applies to it unchanged
// (docs/rules.md, "Layers × rule families").
#include "attrib/core/config.hpp"
#include <cmath>
#include <string>

#include "attrib/core/named.hpp"
#include "attrib/core/param.hpp"
#include "attrib/core/transform.hpp"
#include "attrib/core/workspace.hpp"
#include "attrib/layers/role.hpp"

ATTRIB_BEGIN_NAMESPACE

template <class T>
class LayerNorm;

namespace detail {

/// LayerNorm with sigma fixed at the values of one input (the rows' scales in `sigma`): a
/// per-row linear map with bias beta. Valid while the LayerNorm and `sigma` live.
template <class T>
class DetachedLayerNorm {
 public:
  using Scalar = T;
  static constexpr const char* kind = "LayerNorm";
  static constexpr Role role = Role::per_unit_linear;
  static constexpr int arity = 1;

  DetachedLayerNorm(const LayerNorm<T>& l, ConstView<T> sigma) : l_(l), sigma_(sigma) {}
  const std::string& name() const { return l_.name(); }

  /// y = f(W) u (+ nothing, f(beta) or beta).
  template <class F>
  void forward_transformed(const F& f, BiasMode mode, ConstView<T> u, TensorView<T> y, Workspace<T>& /*ws*/) const {
    const Index d = check(u.shape(), y.shape(), "output");
    const T* g = l_.weight().data();
    const T* b = l_.bias().data();
    for (Index r = 0; r < sigma_.size(); ++r) {
      const T* ur = u.data() + r * d;
      T* yr = y.data() + r * d;
      T sum(0);
      for (Index i = 0; i < d; ++i) sum += ur[i];
      for (Index j = 0; j < d; ++j) {
        const T dj = diagonal(g[j], r, d), oj = off_diagonal(g[j], r, d);
        const T fo = static_cast<T>(f(oj));
        yr[j] = (static_cast<T>(f(dj)) - fo) * ur[j] + fo * sum;
        if (mode == BiasMode::unchanged) yr[j] += b[j];
        else if (mode == BiasMode::transformed) yr[j] += static_cast<T>(f(b[j]));
      }
    }
  }
  /// gx = f(W)^T gy.
  template <class F>
  void backward_transformed(const F& f, ConstView<T> gy, TensorView<T> gx, Workspace<T>& /*ws*/) const {
    const Index d = check(gx.shape(), gy.shape(), "output signal");
    const T* g = l_.weight().data();
    for (Index r = 0; r < sigma_.size(); ++r) {
      const T* gr = gy.data() + r * d;
      T* xr = gx.data() + r * d;
      T off(0);  // sum_j f(o_j) gy_j
      for (Index j = 0; j < d; ++j) off += static_cast<T>(f(off_diagonal(g[j], r, d))) * gr[j];
      for (Index i = 0; i < d; ++i)
        xr[i] = (static_cast<T>(f(diagonal(g[i], r, d))) - static_cast<T>(f(off_diagonal(g[i], r, d)))) * gr[i] + off;
    }
  }

 private:
  T diagonal(T gamma, Index r, Index d) const { return gamma * (T(1) - T(1) / T(d)) / sigma_[r]; }
  T off_diagonal(T gamma, Index r, Index d) const { return -gamma / (T(d) * sigma_[r]); }
  Index check(const Shape& in, const Shape& out, const char* what) const {
    const Shape expected = l_.output_shape(in);
    if (out != expected || in.size() != sigma_.size() * l_.features())
      raise<ShapeError>("shape.1082", l_.who_str(), " (sigma detached for ", sigma_.size(), " rows): input ", in, ", ",
                        what, " ", out, ", expected ", expected);
    return l_.features();
  }
  const LayerNorm<T>& l_;
  ConstView<T> sigma_;
};

}  // namespace detail

template <class T>
class LayerNorm : public detail::Named {
 public:
  using Scalar = T;
  static constexpr const char* kind = "LayerNorm";
  static constexpr Role role = Role::normalization;
  static constexpr int arity = 1;

  /// Normalises the last axis of length `features` (> 0); eps >= 0 and finite (torch: 1e-5,
  /// torchvision's ConvNeXt 1e-6). Throws ParameterError otherwise.
  explicit LayerNorm(Index features, double eps = 1e-5) : weight_(Shape{checked(features, eps)}), bias_(Shape{features}), d_(features), eps_(eps) {
    weight_.mutable_view().vec().setOnes();
  }

  Index features() const { return d_; }
  double eps() const { return eps_; }
  const Param<T>& weight() const { return weight_; }
  const Param<T>& bias() const { return bias_; }
  Param<T>& weight() { return weight_; }
  Param<T>& bias() { return bias_; }

  template <class F> void parameters(F&& f) { f("weight", weight_); f("bias", bias_); }
  template <class F> void parameters(F&& f) const { f("weight", weight_); f("bias", bias_); }

  /// The input shape; throws ShapeError unless it is [N, ..., D] of rank 2 to 4.
  Shape output_shape(const Shape& in) const {
    if (in.rank() < 2 || in[in.rank() - 1] != d_)
      raise<ShapeError>("shape.1080", who(kind), ": input shape ", in, ", expected [N, ..., ", d_,
                        "] (normalised over the last axis)");
    return in;
  }

  void forward(ConstView<T> x, TensorView<T> y, Workspace<T>& /*ws*/) const {
    expect_shape(y, output_shape(x.shape()), who(kind), "output");
    const Index rows = x.size() / d_;
    auto X = x.mat(rows, d_);
    auto Y = y.mat(rows, d_);
    const auto g = weight_.view().vec().transpose().array();
    const auto b = bias_.view().vec().transpose().array();
    for (Index r = 0; r < rows; ++r) {
      const T mu = X.row(r).mean(), s = sigma(X.row(r), mu);
      Y.row(r).array() = (X.row(r).array() - mu) / s * g + b;
    }
  }

  /// Exact input gradient: with xh = (x - mean) / sigma and g = gamma (.) gy,
  /// gx = (g - mean(g) - xh mean(g (.) xh)) / sigma per row.
  void backward(ConstView<T> x, ConstView<T> gy, TensorView<T> gx, Workspace<T>& /*ws*/) const {
    expect_shape(gy, output_shape(x.shape()), who(kind), "output signal");
    expect_shape(gx, x.shape(), who(kind), "input signal");
    const Index rows = x.size() / d_;
    auto X = x.mat(rows, d_);
    auto G = gy.mat(rows, d_);
    auto GX = gx.mat(rows, d_);
    const auto gamma = weight_.view().vec().transpose().array();
    for (Index r = 0; r < rows; ++r) {
      const T mu = X.row(r).mean(), s = sigma(X.row(r), mu);
      const T mg = (G.row(r).array() * gamma).mean();
      const T mgx = (G.row(r).array() * gamma * (X.row(r).array() - mu)).mean() / s;
      GX.row(r).array() = (G.row(r).array() * gamma - mg - (X.row(r).array() - mu) / s * mgx) / s;
    }
  }

  /// sigma = sqrt(var + eps) of every row of x ([N, ..., D] -> x.size() / D values).
  void scales(ConstView<T> x, TensorView<T> out) const {
    output_shape(x.shape());
    const Index rows = x.size() / d_;
    if (out.size() != rows)
      raise<ShapeError>("shape.1081", who(kind), ": ", out.size(), " scale slots for input ", x.shape(), ", expected ", rows);
    auto X = x.mat(rows, d_);
    for (Index r = 0; r < rows; ++r) out[r] = sigma(X.row(r), X.row(r).mean());
  }

  /// The linear map with sigma detached at input x (its scales in a tensor of frame `f`, so
  /// the map is valid while `f` is open). Allocation-free once the frame's pool is warm.
  detail::DetachedLayerNorm<T> detached(ConstView<T> x, typename Workspace<T>::Frame& f) const {
    Tensor<T>& s = f.tensor(Shape{x.size() / d_});
    scales(x, s.view());
    return detail::DetachedLayerNorm<T>(*this, s.cview());
  }

  /// "LayerNorm 'name'" for messages.
  std::string who_str() const { return who(kind).str(); }

 private:
  template <class Row>
  T sigma(const Row& row, T mu) const {
    return std::sqrt((row.array() - mu).square().mean() + static_cast<T>(eps_));
  }
  static Index checked(Index features, double eps) {
    if (features <= 0 || !(eps >= 0) || !std::isfinite(eps))
      raise<ParameterError>("param.1080", "LayerNorm: features = ", features, ", eps = ", eps,
                            "; expected features > 0 and a finite eps >= 0");
    return features;
  }

  Param<T> weight_, bias_;
  Index d_;
  double eps_;
};

ATTRIB_END_NAMESPACE
