#pragma once
// 2-D convolution (cross-correlation, PyTorch semantics): x [N, Cin, H, W] -> y [N, Cout, Ho, Wo],
// weight [Cout, Cin/groups, kh, kw], bias [Cout],
// Ho = (H + top + bottom - dh (kh - 1) - 1) / sh + 1 (likewise Wo).
// Per sample and group: im2col into the workspace, then one GEMM  Y_g = W_g cols; 1x1 stride-1
// unpadded convolutions use the input as the column matrix directly. The input gradient is
// cols = W_g^T gY_g followed by col2im. Scratch (columns, GEMM packing, transformed weights)
// comes from the Workspace, so repeated calls with a warmed-up workspace never allocate.
#include <algorithm>

#include "attrib/core/named.hpp"
#include "attrib/core/param.hpp"
#include "attrib/core/transform.hpp"
#include "attrib/core/workspace.hpp"
#include "attrib/detail/gemm.hpp"
#include "attrib/detail/im2col.hpp"
#include "attrib/detail/transformed.hpp"

namespace attrib {

/// Hyper-parameters of Conv2d with PyTorch's defaults (stride 1, padding 0, dilation 1,
/// groups 1, bias on). Setters chain: `Conv2dOptions().stride(2).padding(1).bias(false)`.
/// Values are validated by the Conv2d constructor.
struct Conv2dOptions {
 public:
  Conv2dOptions& stride(Index s) { return stride(s, s); }
  Conv2dOptions& stride(Index sh, Index sw) {
    stride_h_ = sh;
    stride_w_ = sw;
    return *this;
  }
  Conv2dOptions& padding(Index p) { return padding(p, p); }
  Conv2dOptions& padding(Index ph, Index pw) { return padding(ph, ph, pw, pw); }
  /// Asymmetric padding (ONNX `pads` = [top, left, bottom, right] maps to (top, bottom, left, right)).
  Conv2dOptions& padding(Index top, Index bottom, Index left, Index right) {
    pad_top_ = top;
    pad_bottom_ = bottom;
    pad_left_ = left;
    pad_right_ = right;
    return *this;
  }
  Conv2dOptions& dilation(Index d) { return dilation(d, d); }
  Conv2dOptions& dilation(Index dh, Index dw) {
    dilation_h_ = dh;
    dilation_w_ = dw;
    return *this;
  }
  Conv2dOptions& groups(Index g) {
    groups_ = g;
    return *this;
  }
  Conv2dOptions& bias(bool b) {
    bias_ = b;
    return *this;
  }

  Index stride_h() const { return stride_h_; }
  Index stride_w() const { return stride_w_; }
  Index pad_top() const { return pad_top_; }
  Index pad_bottom() const { return pad_bottom_; }
  Index pad_left() const { return pad_left_; }
  Index pad_right() const { return pad_right_; }
  Index dilation_h() const { return dilation_h_; }
  Index dilation_w() const { return dilation_w_; }
  Index groups() const { return groups_; }
  bool bias() const { return bias_; }

 private:
  Index stride_h_ = 1, stride_w_ = 1;
  Index pad_top_ = 0, pad_bottom_ = 0, pad_left_ = 0, pad_right_ = 0;
  Index dilation_h_ = 1, dilation_w_ = 1;
  Index groups_ = 1;
  bool bias_ = true;
};

template <class T>
class Conv2d : public detail::Named {
 public:
  using Scalar = T;
  static constexpr const char* kind = "Conv2d";

  Conv2d(Index in_channels, Index out_channels, Index kernel_h, Index kernel_w, Conv2dOptions opt = {})
      : cin_(in_channels), cout_(out_channels), kh_(kernel_h), kw_(kernel_w), opt_(opt) {
    validate_options();
    weight_ = Param<T>(Shape{cout_, cin_ / opt_.groups(), kh_, kw_});
    if (opt_.bias()) bias_ = Param<T>(Shape{cout_});
  }

  Index in_channels() const { return cin_; }
  Index out_channels() const { return cout_; }
  Index kernel_h() const { return kh_; }
  Index kernel_w() const { return kw_; }
  Index groups() const { return opt_.groups(); }
  const Conv2dOptions& options() const { return opt_; }
  bool has_bias() const { return !bias_.empty(); }
  const Param<T>& weight() const { return weight_; }
  const Param<T>& bias() const { return bias_; }
  Param<T>& weight() { return weight_; }
  Param<T>& bias() { return bias_; }

  /// [N, Cin, H, W] -> [N, Cout, Ho, Wo]; throws ShapeError for a wrong rank or channel count
  /// and for an input smaller than the dilated kernel after padding.
  Shape output_shape(const Shape& in) const { return checked_output_shape(in, "input"); }

  void forward(ConstView<T> x, TensorView<T> y, Workspace<T>& ws) const {
    forward_transformed(transform::Identity{}, BiasMode::transformed, x, y, ws);
  }
  /// Input gradient gx = W^T gy (the transposed convolution of gy).
  void backward(ConstView<T> x, ConstView<T> gy, TensorView<T> gx, Workspace<T>& ws) const {
    output_shape(x.shape());
    if (gx.shape() != x.shape())
      raise<ShapeError>("shape.205", who(kind), ": input signal has shape ", gx.shape(), ", expected ",
                        x.shape(), " (the input's shape)");
    backward_transformed(transform::Identity{}, gy, gx, ws);
  }

  /// y = f(W) * x (+ bias according to mode).
  template <class F>
  void forward_transformed(const F& f, BiasMode mode, ConstView<T> x, TensorView<T> y,
                           Workspace<T>& ws) const {
    const T* w = detail::transformed(f, weight_.data(), weight_.shape().size(), ws, Slot::weights);
    forward_with(ConstView<T>(w, weight_.shape()), detail::transformed_bias(f, mode, bias_, ws), x, y, ws);
  }
  /// gx = f(W)^T * gy, the adjoint of forward_transformed without bias; gx's shape gives the
  /// input size (several input sizes can share one output size when strided).
  template <class F>
  void backward_transformed(const F& f, ConstView<T> gy, TensorView<T> gx, Workspace<T>& ws) const {
    const T* w = detail::transformed(f, weight_.data(), weight_.shape().size(), ws, Slot::weights);
    backward_with(ConstView<T>(w, weight_.shape()), gy, gx, ws);
  }

  /// y = A * x + b with explicit weights A of W's shape; b (Cout values) may be nullptr.
  void forward_with(ConstView<T> a, const T* b, ConstView<T> x, TensorView<T> y, Workspace<T>& ws) const {
    const Shape out = checked_output_shape(x.shape(), "input");
    check_weights(a);
    if (y.shape() != out)
      raise<ShapeError>("shape.202", who(kind), ": output has shape ", y.shape(), ", expected ", out,
                        " for input shape ", x.shape());
    const detail::ConvGeometry g = geometry(x.shape(), out);
    const Index cout_g = cout_ / groups(), k = g.column_rows(), npix = g.column_cols();
    const bool direct = uses_input_as_columns();
    const Index ncol = direct ? 0 : k * npix;
    T* scratch = ws.get(Slot::columns, ncol + detail::gemm_scratch_size<T>(cout_g, npix, k));
    T* cols = scratch;
    T* pack = scratch + ncol;
    const Index in_group = g.channels * g.height * g.width, out_group = cout_g * npix;
    for (Index n = 0; n < x.dim(0); ++n)
      for (Index grp = 0; grp < groups(); ++grp) {
        const T* xg = x.data() + (n * groups() + grp) * in_group;
        T* yg = y.data() + (n * groups() + grp) * out_group;
        if (!direct) detail::im2col(xg, g, cols);
        if (b)
          for (Index o = 0; o < cout_g; ++o) std::fill(yg + o * npix, yg + (o + 1) * npix, b[grp * cout_g + o]);
        detail::gemm(cout_g, npix, k, a.data() + grp * cout_g * k, k, detail::Trans::no, direct ? xg : cols,
                     npix, detail::Trans::no, yg, npix, /*accumulate=*/b != nullptr, pack);
      }
  }
  /// gx = A^T * gy with explicit weights A of W's shape.
  void backward_with(ConstView<T> a, ConstView<T> gy, TensorView<T> gx, Workspace<T>& ws) const {
    const Shape out = checked_output_shape(gx.shape(), "input signal");
    check_weights(a);
    if (gy.shape() != out)
      raise<ShapeError>("shape.204", who(kind), ": output signal has shape ", gy.shape(), ", expected ", out,
                        " for input signal shape ", gx.shape());
    const detail::ConvGeometry g = geometry(gx.shape(), out);
    const Index cout_g = cout_ / groups(), k = g.column_rows(), npix = g.column_cols();
    const bool direct = uses_input_as_columns();
    const Index ncol = direct ? 0 : k * npix;
    T* scratch = ws.get(Slot::columns, ncol + detail::gemm_scratch_size<T>(k, npix, cout_g));
    T* cols = scratch;
    T* pack = scratch + ncol;
    const Index in_group = g.channels * g.height * g.width, out_group = cout_g * npix;
    for (Index n = 0; n < gx.dim(0); ++n)
      for (Index grp = 0; grp < groups(); ++grp) {
        const T* gyg = gy.data() + (n * groups() + grp) * out_group;
        T* gxg = gx.data() + (n * groups() + grp) * in_group;
        detail::gemm(k, npix, cout_g, a.data() + grp * cout_g * k, k, detail::Trans::yes, gyg, npix,
                     detail::Trans::no, direct ? gxg : cols, npix, /*accumulate=*/false, pack);
        if (!direct) {
          std::fill(gxg, gxg + in_group, T(0));
          detail::col2im_add(cols, g, gxg);
        }
      }
  }

 private:
  void validate_options() const {
    const Conv2dOptions& o = opt_;
    if (cin_ <= 0 || cout_ <= 0)
      raise<ParameterError>("param.200", kind, ": in_channels = ", cin_, ", out_channels = ", cout_,
                            "; both must be positive");
    if (kh_ <= 0 || kw_ <= 0)
      raise<ParameterError>("param.201", kind, ": kernel ", kh_, "x", kw_, "; both sizes must be positive");
    if (o.stride_h() <= 0 || o.stride_w() <= 0)
      raise<ParameterError>("param.202", kind, ": stride ", o.stride_h(), "x", o.stride_w(),
                            "; both must be positive");
    if (o.pad_top() < 0 || o.pad_bottom() < 0 || o.pad_left() < 0 || o.pad_right() < 0)
      raise<ParameterError>("param.203", kind, ": padding (top, bottom, left, right) = (", o.pad_top(), ", ",
                            o.pad_bottom(), ", ", o.pad_left(), ", ", o.pad_right(), "); must be >= 0");
    if (o.dilation_h() <= 0 || o.dilation_w() <= 0)
      raise<ParameterError>("param.204", kind, ": dilation ", o.dilation_h(), "x", o.dilation_w(),
                            "; both must be positive");
    if (o.groups() <= 0 || cin_ % o.groups() != 0 || cout_ % o.groups() != 0)
      raise<ParameterError>("param.205", kind, ": groups = ", o.groups(), " with in_channels = ", cin_,
                            ", out_channels = ", cout_, "; groups must be positive and divide both");
  }

  // Messages are built only on failure: a check that passes allocates nothing.
  Shape checked_output_shape(const Shape& in, const char* what) const {
    if (in.rank() != 4 || in[1] != cin_)
      raise<ShapeError>("shape.200", who(kind), ": ", what, " shape ", in, ", expected [N, ", cin_, ", H, W]");
    const Index ext_h = opt_.dilation_h() * (kh_ - 1) + 1, ext_w = opt_.dilation_w() * (kw_ - 1) + 1;
    const Index ph = in[2] + opt_.pad_top() + opt_.pad_bottom(), pw = in[3] + opt_.pad_left() + opt_.pad_right();
    if (ph < ext_h || pw < ext_w)
      raise<ShapeError>("shape.201", who(kind), ": ", what, " shape ", in, " is smaller than the ",
                        ext_h, "x", ext_w, " (dilated) kernel after padding; expected [N, ", cin_, ", H, W] with H >= ",
                        std::max<Index>(ext_h - opt_.pad_top() - opt_.pad_bottom(), 1), ", W >= ",
                        std::max<Index>(ext_w - opt_.pad_left() - opt_.pad_right(), 1));
    return Shape{in[0], cout_, (ph - ext_h) / opt_.stride_h() + 1, (pw - ext_w) / opt_.stride_w() + 1};
  }
  void check_weights(const ConstView<T>& a) const {
    if (a.shape() != weight_.shape())
      raise<ShapeError>("shape.203", who(kind), ": weights have shape ", a.shape(), ", expected ",
                        weight_.shape());
  }
  detail::ConvGeometry geometry(const Shape& in, const Shape& out) const {
    detail::ConvGeometry g{};
    g.channels = cin_ / groups();
    g.height = in[2];
    g.width = in[3];
    g.kernel_h = kh_;
    g.kernel_w = kw_;
    g.stride_h = opt_.stride_h();
    g.stride_w = opt_.stride_w();
    g.pad_top = opt_.pad_top();
    g.pad_left = opt_.pad_left();
    g.dilation_h = opt_.dilation_h();
    g.dilation_w = opt_.dilation_w();
    g.out_h = out[2];
    g.out_w = out[3];
    return g;
  }
  /// 1x1, stride 1, no padding: the input slice already is the column matrix.
  bool uses_input_as_columns() const {
    return kh_ == 1 && kw_ == 1 && opt_.stride_h() == 1 && opt_.stride_w() == 1 && opt_.pad_top() == 0 &&
           opt_.pad_bottom() == 0 && opt_.pad_left() == 0 && opt_.pad_right() == 0;
  }

  Index cin_, cout_, kh_, kw_;
  Conv2dOptions opt_;
  Param<T> weight_, bias_;
};

}  // namespace attrib
