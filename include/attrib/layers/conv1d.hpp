#pragma once
// 1-d convolution (cross-correlation, PyTorch's nn.Conv1d): x [N, Cin, L] -> y [N, Cout, Lo],
// weight [Cout, Cin/groups, k] (PyTorch's layout), bias [Cout],
// Lo = (L + left + right − d (k − 1) − 1) / s + 1.
//
// A thin wrapper over Conv2d: x is viewed as [N, Cin, 1, L] and the weights as
// [Cout, Cin/groups, 1, k], and Conv2d's forward_with / backward_with (im2col + GEMM, scratch
// from the Workspace) do the work. The same linear-layer primitives as Conv2d are exposed
// (forward_transformed / backward_transformed, forward_with / backward_with, weight / bias),
// so LRP, DeepLIFT and the pattern rules written for Conv2d apply unchanged.
#include "attrib/core/config.hpp"

#include "attrib/detail/axis.hpp"
#include "attrib/layers/conv2d.hpp"
#include "attrib/layers/weighted_linear.hpp"

ATTRIB_BEGIN_NAMESPACE

/// Hyper-parameters of Conv1d with PyTorch's defaults (stride 1, padding 0, dilation 1,
/// groups 1, bias on); setters chain. Values are validated by the Conv1d constructor.
struct Conv1dOptions {
 public:
  Conv1dOptions& stride(Index s) {
    stride_ = s;
    return *this;
  }
  Conv1dOptions& padding(Index p) { return padding(p, p); }
  /// Asymmetric padding (ONNX `pads` = [begin, end]).
  Conv1dOptions& padding(Index left, Index right) {
    pad_left_ = left;
    pad_right_ = right;
    return *this;
  }
  Conv1dOptions& dilation(Index d) {
    dilation_ = d;
    return *this;
  }
  Conv1dOptions& groups(Index g) {
    groups_ = g;
    return *this;
  }
  Conv1dOptions& bias(bool b) {
    bias_ = b;
    return *this;
  }

  Index stride() const { return stride_; }
  Index pad_left() const { return pad_left_; }
  Index pad_right() const { return pad_right_; }
  Index dilation() const { return dilation_; }
  Index groups() const { return groups_; }
  bool bias() const { return bias_; }

 private:
  Index stride_ = 1, pad_left_ = 0, pad_right_ = 0, dilation_ = 1, groups_ = 1;
  bool bias_ = true;
};

template <class T>
class Conv1d : public detail::WeightedLinear<Conv1d<T>, T> {
  using Base = detail::WeightedLinear<Conv1d<T>, T>;

 public:
  using Scalar = T;
  static constexpr const char* kind = "Conv1d";
  using Base::bias;
  using Base::has_bias;
  using Base::name;
  using Base::weight;

  /// Throws ParameterError (naming Conv1d) for non-positive channels, kernel, stride or
  /// dilation, negative padding, or groups that do not divide both channel counts.
  Conv1d(Index in_channels, Index out_channels, Index kernel, Conv1dOptions opt = {})
      : Base(Shape{out_channels, in_channels / validated(in_channels, out_channels, kernel, opt).groups(), kernel},
             opt.bias()),
        cin_(in_channels), cout_(out_channels), k_(kernel), opt_(opt),
        engine_(cin_, cout_, 1, k_,
                Conv2dOptions()
                    .stride(1, opt_.stride())
                    .padding(0, 0, opt_.pad_left(), opt_.pad_right())
                    .dilation(1, opt_.dilation())
                    .groups(opt_.groups())
                    .bias(false)) {
    // The engine only supplies the geometry: weights are always passed to it explicitly, so its
    // own weight storage is released (the shape it checks against stays).
    engine_.weight().bind(ConstView<T>(nullptr, engine_.weight().shape()), kind);
  }

  Index in_channels() const { return cin_; }
  Index out_channels() const { return cout_; }
  Index kernel_size() const { return k_; }
  Index groups() const { return opt_.groups(); }
  const Conv1dOptions& options() const { return opt_; }

  /// The equivalent Conv2d on [N, Cin, 1, L] (kernel 1 x k, weights copied as
  /// [Cout, Cin/groups, 1, k], the same bias): for code that needs a Conv2d, e.g. fitting
  /// patterns on im2col columns or folding a following BatchNorm.
  Conv2d<T> to_conv2d() const {
    Conv2d<T> c(cin_, cout_, 1, k_, Conv2dOptions(engine_.options()).bias(has_bias()));
    c.set_name(name());
    c.weight().assign(weights_2d(weight_.view()), name());
    if (has_bias()) c.bias().assign(bias_.view(), name());
    return c;
  }

  /// [N, Cin, L] -> [N, Cout, Lo]; throws ShapeError for a wrong rank or channel count and for
  /// an input shorter than the dilated kernel after padding.
  Shape output_shape(const Shape& in) const { return checked_output_shape(in, "input"); }

  using Base::backward_transformed;
  using Base::forward;
  using Base::forward_transformed;
  /// Input gradient gx = W^T gy (the transposed convolution of gy).
  void backward(ConstView<T> x, ConstView<T> gy, TensorView<T> gx, Workspace<T>& ws) const {
    output_shape(x.shape());
    expect_shape(gx, x.shape(), who(kind), "input signal");
    backward_transformed(transform::Identity{}, gy, gx, ws);
  }

  /// y = A * x + b with explicit weights A of W's shape [Cout, Cin/groups, k]; b may be nullptr.
  void forward_with(ConstView<T> a, const T* b, ConstView<T> x, TensorView<T> y, Workspace<T>& ws) const {
    const Shape out = checked_output_shape(x.shape(), "input");
    check_weights(a);
    expect_shape(y, out, who(kind), "output");
    engine_.forward_with(weights_2d(a), b, detail::length_as_width(x), detail::length_as_width(y), ws);
  }
  /// gx = A^T * gy with explicit weights A of W's shape.
  void backward_with(ConstView<T> a, ConstView<T> gy, TensorView<T> gx, Workspace<T>& ws) const {
    const Shape out = checked_output_shape(gx.shape(), "input signal");
    check_weights(a);
    expect_shape(gy, out, who(kind), "output signal");
    engine_.backward_with(weights_2d(a), detail::length_as_width(gy), detail::length_as_width(gx), ws);
  }

 private:
  static Conv1dOptions validated(Index cin, Index cout, Index k, const Conv1dOptions& o) {
    if (cin <= 0 || cout <= 0)
      raise<ParameterError>("param.1060", kind, ": in_channels = ", cin, ", out_channels = ", cout,
                            "; both must be positive");
    if (k <= 0 || o.stride() <= 0 || o.dilation() <= 0)
      raise<ParameterError>("param.1061", kind, ": kernel ", k, ", stride ", o.stride(), ", dilation ", o.dilation(),
                            "; all must be positive");
    if (o.pad_left() < 0 || o.pad_right() < 0)
      raise<ParameterError>("param.1062", kind, ": padding (left, right) = (", o.pad_left(), ", ", o.pad_right(),
                            "); must be >= 0");
    if (o.groups() <= 0 || cin % o.groups() != 0 || cout % o.groups() != 0)
      raise<ParameterError>("param.1063", kind, ": groups = ", o.groups(), " with in_channels = ", cin,
                            ", out_channels = ", cout, "; groups must be positive and divide both");
    return o;
  }
  Shape checked_output_shape(const Shape& in, const char* what) const {
    if (in.rank() != 3 || in[1] != cin_)
      raise<ShapeError>("shape.1060", who(kind), ": ", what, " shape ", in, ", expected [N, ", cin_, ", L]");
    const Index ext = opt_.dilation() * (k_ - 1) + 1, padded = in[2] + opt_.pad_left() + opt_.pad_right();
    if (padded < ext)
      raise<ShapeError>("shape.1061", who(kind), ": ", what, " shape ", in, " is shorter than the (dilated) kernel ",
                        ext, " after padding; expected [N, ", cin_, ", L] with L >= ",
                        std::max<Index>(ext - opt_.pad_left() - opt_.pad_right(), 1));
    return Shape{in[0], cout_, (padded - ext) / opt_.stride() + 1};
  }
  void check_weights(const ConstView<T>& a) const {
    if (a.shape() != weight_.shape())
      raise<ShapeError>("shape.1062", who(kind), ": weights have shape ", a.shape(), ", expected ", weight_.shape());
  }
  ConstView<T> weights_2d(const ConstView<T>& a) const { return ConstView<T>(a.data(), engine_.weight().shape()); }

  Index cin_, cout_, k_;
  Conv1dOptions opt_;
  Conv2d<T> engine_;
  using Base::bias_;
  using Base::weight_;
  using Base::who;
};

ATTRIB_END_NAMESPACE
