#pragma once
// Fully connected layer y = x W^T + b, x: [N, in], W: [out, in] (PyTorch layout), b: [out].
// Like torch.nn.Linear it also applies to the last axis of a rank-3 or rank-4 activation
// ([N, T, in] token sequences, [N, H, W, in] channels-last maps): every position is a row.
#include "attrib/core/config.hpp"
#include "attrib/layers/role.hpp"
#include "attrib/core/named.hpp"
#include "attrib/core/param.hpp"
#include "attrib/core/transform.hpp"
#include "attrib/core/workspace.hpp"
#include "attrib/detail/gemm.hpp"
#include "attrib/detail/transformed.hpp"
#include "attrib/layers/weighted_linear.hpp"

ATTRIB_BEGIN_NAMESPACE

template <class T>
class Dense : public detail::WeightedLinear<Dense<T>, T> {
  using Base = detail::WeightedLinear<Dense<T>, T>;
  using Base::weight_;

 public:
  static constexpr const char* kind = "Dense";

  Dense(Index in_features, Index out_features, bool bias = true)
      : Base(checked_weight_shape(in_features, out_features), bias), in_(in_features), out_(out_features) {}

  /// Batches smaller than this use matrix-vector products (GEMM would pack all weights).
  static constexpr Index gemv_rows = 4;

  Index in_features() const { return in_; }
  Index out_features() const { return out_; }

  /// [N, in] -> [N, out], [N, ..., in] -> [N, ..., out] (rank 3, 4: the last axis); throws
  /// ShapeError for any other input shape.
  Shape output_shape(const Shape& in) const {
    if (in.rank() < 2 || in[in.rank() - 1] != in_)
      raise<ShapeError>("shape.100", this->who(kind), ": input shape ", in, ", expected [N, ", in_, "] or [N, ..., ",
                        in_, "] (the last axis)");
    Shape out = in;
    out[in.rank() - 1] = out_;
    return out;
  }

  /// Input gradient: gx = gy W.
  void backward(ConstView<T> /*x*/, ConstView<T> gy, TensorView<T> gx, Workspace<T>& ws) const {
    this->backward_transformed(transform::Identity{}, gy, gx, ws);
  }

  /// y = x A^T + b with explicit weights A of W's shape (PatternNet's patterns, W (.) A, ...).
  /// Allocation-free with a warmed-up workspace.
  void forward_with(ConstView<T> a, const T* b, ConstView<T> x, TensorView<T> y, Workspace<T>& ws) const {
    const Shape out = output_shape(x.shape());
    expect_shape(a, weight_.shape(), this->who(kind), "weight");
    expect_shape(y, out, this->who(kind), "output");
    const Index n = out.size() / out_;  // rows: batch items, or positions on the last axis
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
    if (gy.rank() < 2 || gy.dim(gy.rank() - 1) != out_)
      raise<ShapeError>("shape.101", this->who(kind), ": output signal shape ", gy.shape(),
                        ", expected [N, ", out_, "] or [N, ..., ", out_, "]");
    expect_shape(a, weight_.shape(), this->who(kind), "weight");
    Shape in_shape = gy.shape();
    in_shape[gy.rank() - 1] = in_;
    expect_shape(gx, in_shape, this->who(kind), "input signal");
    const Index n = gy.size() / out_;
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
  static Shape checked_weight_shape(Index in, Index out) {
    if (in <= 0 || out <= 0)
      raise<ParameterError>("param.100", "Dense: in_features = ", in, ", out_features = ", out,
                            "; both must be positive");
    return Shape{out, in};
  }
  Index in_, out_;
};

ATTRIB_END_NAMESPACE
