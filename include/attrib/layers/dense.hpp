#pragma once
// Fully connected layer y = x W^T + b, x: [N, in], W: [out, in] (PyTorch layout), b: [out].
#include "attrib/core/config.hpp"
#include "attrib/core/named.hpp"
#include "attrib/core/param.hpp"
#include "attrib/core/transform.hpp"
#include "attrib/core/workspace.hpp"
#include "attrib/detail/gemm.hpp"
#include "attrib/detail/transformed.hpp"

ATTRIB_BEGIN_NAMESPACE

template <class T>
class Dense : public detail::Named {
 public:
  using Scalar = T;
  static constexpr const char* kind = "Dense";

  Dense(Index in_features, Index out_features, bool bias = true)
      : in_(in_features), out_(out_features) {
    if (in_features <= 0 || out_features <= 0)
      raise<ParameterError>("param.100", "Dense: in_features = ", in_features,
                            ", out_features = ", out_features, "; both must be positive");
    weight_ = Param<T>(Shape{out_, in_});
    if (bias) bias_ = Param<T>(Shape{out_});
  }

  /// Batches smaller than this use matrix-vector products (GEMM would pack all weights).
  static constexpr Index gemv_rows = 4;

  Index in_features() const { return in_; }
  Index out_features() const { return out_; }
  bool has_bias() const { return !bias_.empty(); }
  const Param<T>& weight() const { return weight_; }
  const Param<T>& bias() const { return bias_; }
  Param<T>& weight() { return weight_; }
  Param<T>& bias() { return bias_; }

  /// [N, in] -> [N, out]; throws ShapeError for any other input shape.
  Shape output_shape(const Shape& in) const {
    if (in.rank() != 2 || in[1] != in_)
      raise<ShapeError>("shape.100", who(kind), ": input shape ", in, ", expected [N, ", in_, "]");
    return Shape{in[0], out_};
  }

  void forward(ConstView<T> x, TensorView<T> y, Workspace<T>& ws) const {
    forward_transformed(transform::Identity{}, BiasMode::transformed, x, y, ws);
  }
  /// Input gradient: gx = gy W.
  void backward(ConstView<T> /*x*/, ConstView<T> gy, TensorView<T> gx, Workspace<T>& ws) const {
    backward_transformed(transform::Identity{}, gy, gx, ws);
  }

  /// y = x f(W)^T (+ bias according to mode).
  template <class F>
  void forward_transformed(const F& f, BiasMode mode, ConstView<T> x, TensorView<T> y,
                           Workspace<T>& ws) const {
    const T* w = detail::transformed(f, weight_.data(), weight_.shape().size(), ws, Slot::weights);
    forward_with(ConstView<T>(w, weight_.shape()), detail::transformed_bias(f, mode, bias_, ws), x, y, ws);
  }
  /// gx = gy f(W).
  template <class F>
  void backward_transformed(const F& f, ConstView<T> gy, TensorView<T> gx, Workspace<T>& ws) const {
    const T* w = detail::transformed(f, weight_.data(), weight_.shape().size(), ws, Slot::weights);
    backward_with(ConstView<T>(w, weight_.shape()), gy, gx, ws);
  }

  /// y = x A^T + b with explicit weights A of W's shape (PatternNet's patterns, W (.) A, ...).
  /// Allocation-free with a warmed-up workspace.
  void forward_with(ConstView<T> a, const T* b, ConstView<T> x, TensorView<T> y, Workspace<T>& ws) const {
    const Shape out = output_shape(x.shape());
    expect_shape(a, weight_.shape(), who(kind), "weight");
    expect_shape(y, out, who(kind), "output");
    const Index n = out[0];
    if (n < gemv_rows) {  // matrix-vector products: no packing of the (possibly huge) weights
      const auto A = a.mat(out_, in_);
      for (Index r = 0; r < n; ++r)
        y.mat(n, out_).row(r).transpose().noalias() = A * x.mat(n, in_).row(r).transpose();
    } else {
      T* scratch = ws.get(Slot::columns, detail::gemm_scratch_size<T>(n, out_, in_));
      detail::gemm(n, out_, in_, x.data(), in_, detail::Trans::no, a.data(), in_, detail::Trans::yes, y.data(), out_,
                   false, scratch);
    }
    if (b) y.mat(n, out_).rowwise() += Eigen::Map<const Eigen::Matrix<T, 1, Eigen::Dynamic>>(b, out_);
  }
  /// gx = gy A with explicit weights A.
  void backward_with(ConstView<T> a, ConstView<T> gy, TensorView<T> gx, Workspace<T>& ws) const {
    if (gy.rank() != 2 || gy.dim(1) != out_)
      raise<ShapeError>("shape.101", who(kind), ": output signal shape ", gy.shape(),
                        ", expected [N, ", out_, "]");
    expect_shape(a, weight_.shape(), who(kind), "weight");
    expect_shape(gx, Shape{gy.dim(0), in_}, who(kind), "input signal");
    const Index n = gy.dim(0);
    if (n < gemv_rows) {
      const auto A = a.mat(out_, in_);
      for (Index r = 0; r < n; ++r)
        gx.mat(n, in_).row(r).transpose().noalias() = A.transpose() * gy.mat(n, out_).row(r).transpose();
    } else {
      T* scratch = ws.get(Slot::columns, detail::gemm_scratch_size<T>(n, in_, out_));
      detail::gemm(n, in_, out_, gy.data(), out_, detail::Trans::no, a.data(), in_, detail::Trans::no, gx.data(), in_,
                   false, scratch);
    }
  }
  /// Convenience overloads with a temporary workspace (they allocate).
  void forward_with(ConstView<T> a, const T* b, ConstView<T> x, TensorView<T> y) const {
    Workspace<T> ws;
    forward_with(a, b, x, y, ws);
  }
  void backward_with(ConstView<T> a, ConstView<T> gy, TensorView<T> gx) const {
    Workspace<T> ws;
    backward_with(a, gy, gx, ws);
  }

 private:
  Index in_, out_;
  Param<T> weight_, bias_;
};

ATTRIB_END_NAMESPACE
