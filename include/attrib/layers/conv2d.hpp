#pragma once
// 2-D convolution (cross-correlation, PyTorch semantics): x [N, Cin, H, W] -> y [N, Cout, Ho, Wo],
// weight [Cout, Cin/groups, kh, kw], bias [Cout],
// Ho = (H + top + bottom - dh (kh - 1) - 1) / sh + 1 (likewise Wo).
// Per sample and group: im2col into the workspace, then a GEMM  Y_g = W_g cols, in bands of
// output rows whose column matrix stays in cache (column_budget); 1x1 stride-1 unpadded
// convolutions use the input as the column matrix directly. The input gradient is
// cols = W_g^T gY_g followed by col2im. Scratch (columns, GEMM packing, transformed weights)
// comes from the Workspace, so repeated calls with a warmed-up workspace never allocate.
#include "attrib/core/config.hpp"
#include "attrib/layers/role.hpp"
#include <algorithm>

#include "attrib/core/named.hpp"
#include "attrib/core/param.hpp"
#include "attrib/core/transform.hpp"
#include "attrib/core/workspace.hpp"
#include "attrib/detail/gemm.hpp"
#include "attrib/detail/im2col.hpp"
#include "attrib/detail/transformed.hpp"
#include "attrib/layers/weighted_linear.hpp"

ATTRIB_BEGIN_NAMESPACE

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
class Conv2d : public detail::WeightedLinear<Conv2d<T>, T> {
  using Base = detail::WeightedLinear<Conv2d<T>, T>;
  using Base::weight_;

 public:
  static constexpr const char* kind = "Conv2d";

  Conv2d(Index in_channels, Index out_channels, Index kernel_h, Index kernel_w, Conv2dOptions opt = {})
      : Base(Shape{1}, false), cin_(in_channels), cout_(out_channels), kh_(kernel_h), kw_(kernel_w), opt_(opt) {
    validate_options();
    weight_ = Param<T>(Shape{cout_, cin_ / opt_.groups(), kh_, kw_});
    if (opt_.bias()) this->ensure_bias();
  }

  Index in_channels() const { return cin_; }
  Index out_channels() const { return cout_; }
  Index kernel_h() const { return kh_; }
  Index kernel_w() const { return kw_; }
  Index groups() const { return opt_.groups(); }
  /// The options (bias() tells whether the layer has a bias now).
  Conv2dOptions options() const { return Conv2dOptions(opt_).bias(this->has_bias()); }

  /// [N, Cin, H, W] -> [N, Cout, Ho, Wo]; throws ShapeError for a wrong rank or channel count
  /// and for an input smaller than the dilated kernel after padding.
  Shape output_shape(const Shape& in) const { return checked_output_shape(in, "input"); }

  /// Input gradient gx = W^T gy (the transposed convolution of gy).
  void backward(ConstView<T> x, ConstView<T> gy, TensorView<T> gx, Workspace<T>& ws) const {
    output_shape(x.shape());
    if (gx.shape() != x.shape())
      raise<ShapeError>("shape.205", this->who(kind), ": input signal has shape ", gx.shape(), ", expected ",
                        x.shape(), " (the input's shape)");
    this->backward_transformed(transform::Identity{}, gy, gx, ws);
  }

  /// y = A * x + b with explicit weights A of W's shape; b (Cout values) may be nullptr.
  void forward_with(ConstView<T> a, const T* b, ConstView<T> x, TensorView<T> y, Workspace<T>& ws) const {
    const Shape out = checked_output_shape(x.shape(), "input");
    check_weights(a);
    if (y.shape() != out)
      raise<ShapeError>("shape.202", this->who(kind), ": output has shape ", y.shape(), ", expected ", out,
                        " for input shape ", x.shape());
    const Plan p = plan(x.shape(), out);
    const detail::ConvGeometry& g = p.geo;
    T* cols = ws.get(Slot::columns, p.column_elems + p.gemm_elems(p.cout_g, p.k));
    T* pack = cols + p.column_elems;
    for (Index n = 0; n < x.dim(0); ++n)
      for (Index grp = 0; grp < groups(); ++grp) {
        const T* xg = x.data() + (n * groups() + grp) * p.in_group;
        T* yg = y.data() + (n * groups() + grp) * p.out_group;
        const T* wg = a.data() + grp * p.cout_g * p.k;
        if (b)
          for (Index o = 0; o < p.cout_g; ++o) std::fill(yg + o * p.npix, yg + (o + 1) * p.npix, b[grp * p.cout_g + o]);
        if (p.direct) {
          detail::gemm(p.cout_g, p.npix, p.k, wg, p.k, detail::Trans::no, xg, p.npix, detail::Trans::no, yg, p.npix,
                       /*accumulate=*/b != nullptr, pack);
          continue;
        }
        for (Index oy0 = 0; oy0 < g.out_h; oy0 += p.band) {
          const Index oy1 = std::min(oy0 + p.band, g.out_h), nb = (oy1 - oy0) * g.out_w;
          detail::im2col(xg, g, oy0, oy1, cols);
          detail::gemm(p.cout_g, nb, p.k, wg, p.k, detail::Trans::no, cols, nb, detail::Trans::no,
                       yg + oy0 * g.out_w, p.npix, /*accumulate=*/b != nullptr, pack);
        }
      }
  }
  /// gx = A^T * gy with explicit weights A of W's shape.
  void backward_with(ConstView<T> a, ConstView<T> gy, TensorView<T> gx, Workspace<T>& ws) const {
    const Shape out = checked_output_shape(gx.shape(), "input signal");
    check_weights(a);
    if (gy.shape() != out)
      raise<ShapeError>("shape.204", this->who(kind), ": output signal has shape ", gy.shape(), ", expected ", out,
                        " for input signal shape ", gx.shape());
    const Plan p = plan(gx.shape(), out);
    const detail::ConvGeometry& g = p.geo;
    T* cols = ws.get(Slot::columns, p.column_elems + p.gemm_elems(p.k, p.cout_g));
    T* pack = cols + p.column_elems;
    for (Index n = 0; n < gx.dim(0); ++n)
      for (Index grp = 0; grp < groups(); ++grp) {
        const T* gyg = gy.data() + (n * groups() + grp) * p.out_group;
        T* gxg = gx.data() + (n * groups() + grp) * p.in_group;
        const T* wg = a.data() + grp * p.cout_g * p.k;
        if (p.direct) {
          detail::gemm(p.k, p.npix, p.cout_g, wg, p.k, detail::Trans::yes, gyg, p.npix, detail::Trans::no, gxg,
                       p.npix, /*accumulate=*/false, pack);
          continue;
        }
        std::fill(gxg, gxg + p.in_group, T(0));
        for (Index oy0 = 0; oy0 < g.out_h; oy0 += p.band) {
          const Index oy1 = std::min(oy0 + p.band, g.out_h), nb = (oy1 - oy0) * g.out_w;
          detail::gemm(p.k, nb, p.cout_g, wg, p.k, detail::Trans::yes, gyg + oy0 * g.out_w, p.npix,
                       detail::Trans::no, cols, nb, /*accumulate=*/false, pack);
          detail::col2im_add(cols, g, oy0, oy1, gxg);
        }
      }
  }

  /// im2col and the GEMM run on bands of output rows whose column matrix (about column_budget
  /// elements, but at least column_min_cols columns wide) the GEMM reads while it is still in
  /// cache; VGG's conv1_2 would otherwise write and re-read a 115 MB column matrix per sample.
  /// Values measured on VGG-16 (docs/performance.md): narrower bands make the GEMM repack the
  /// weights too often on the deep layers, wider ones fall out of L2 on the early layers.
  static constexpr Index column_budget = Index(1) << 19;
  static constexpr Index column_min_cols = 768;

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
      raise<ShapeError>("shape.200", this->who(kind), ": ", what, " shape ", in, ", expected [N, ", cin_, ", H, W]");
    const Index ext_h = opt_.dilation_h() * (kh_ - 1) + 1, ext_w = opt_.dilation_w() * (kw_ - 1) + 1;
    const Index ph = in[2] + opt_.pad_top() + opt_.pad_bottom(), pw = in[3] + opt_.pad_left() + opt_.pad_right();
    if (ph < ext_h || pw < ext_w)
      raise<ShapeError>("shape.201", this->who(kind), ": ", what, " shape ", in, " is smaller than the ",
                        ext_h, "x", ext_w, " (dilated) kernel after padding; expected [N, ", cin_, ", H, W] with H >= ",
                        std::max<Index>(ext_h - opt_.pad_top() - opt_.pad_bottom(), 1), ", W >= ",
                        std::max<Index>(ext_w - opt_.pad_left() - opt_.pad_right(), 1));
    return Shape{in[0], cout_, (ph - ext_h) / opt_.stride_h() + 1, (pw - ext_w) / opt_.stride_w() + 1};
  }
  void check_weights(const ConstView<T>& a) const {
    if (a.shape() != weight_.shape())
      raise<ShapeError>("shape.203", this->who(kind), ": weights have shape ", a.shape(), ", expected ",
                        weight_.shape());
  }
  // How one sample and group is processed: geometry, GEMM sizes, band height and scratch.
  struct Plan {
    detail::ConvGeometry geo;
    Index cout_g, k, npix, in_group, out_group;
    bool direct;  // the input is the column matrix (no im2col, no bands)
    Index band;   // output rows per band
    Index column_elems;
    /// Packing scratch for the GEMMs of all bands: m x (band pixels) results, inner dimension kk.
    Index gemm_elems(Index m, Index kk) const {
      if (direct) return detail::gemm_scratch_size<T>(m, npix, kk);
      const Index tail = geo.out_h % band;
      return std::max(detail::gemm_scratch_size<T>(m, band * geo.out_w, kk),
                      tail ? detail::gemm_scratch_size<T>(m, tail * geo.out_w, kk) : Index(0));
    }
  };
  Plan plan(const Shape& in, const Shape& out) const {
    Plan p{};
    detail::ConvGeometry& g = p.geo;
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
    p.cout_g = cout_ / groups();
    p.k = g.column_rows();
    p.npix = g.column_cols();
    p.in_group = g.channels * g.height * g.width;
    p.out_group = p.cout_g * p.npix;
    p.direct = uses_input_as_columns();
    p.band = detail::band_rows(g, column_budget, column_min_cols);
    p.column_elems = p.direct ? 0 : p.k * p.band * g.out_w;
    return p;
  }
  /// 1x1, stride 1, no padding: the input slice already is the column matrix.
  bool uses_input_as_columns() const {
    return kh_ == 1 && kw_ == 1 && opt_.stride_h() == 1 && opt_.stride_w() == 1 && opt_.pad_top() == 0 &&
           opt_.pad_bottom() == 0 && opt_.pad_left() == 0 && opt_.pad_right() == 0;
  }

  Index cin_, cout_, kh_, kw_;
  Conv2dOptions opt_;
};

ATTRIB_END_NAMESPACE
