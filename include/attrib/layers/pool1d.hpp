#pragma once
// MaxPool1d and AvgPool1d on [N, C, L] with PyTorch's semantics (kernel, stride = kernel by
// default, padding <= kernel / 2, dilation for max pooling, ceil mode, count_include_pad for
// average pooling). Thin wrappers over MaxPool2d / AvgPool2d: the input is viewed as
// [N, C, 1, L] and pooled with a 1 x k window, so routing (argmax), divisors and the linear
// primitives are the 2-d layers' own; rules written for the 2-d pools apply unchanged.
#include "attrib/core/config.hpp"

#include "attrib/detail/axis.hpp"
#include "attrib/layers/avg_pool2d.hpp"
#include "attrib/layers/max_pool2d.hpp"

ATTRIB_BEGIN_NAMESPACE

/// Hyper-parameters of MaxPool1d and AvgPool1d with chainable setters; an unset stride means
/// "equal to the kernel". Dilation is MaxPool1d only, count_include_pad AvgPool1d only.
struct Pool1dOptions {
  Index stride_ = 0;
  bool has_stride = false;
  Index pad = 0, dilation_ = 1;
  bool ceil = false, include_pad = true;

  Pool1dOptions& stride(Index s) {
    stride_ = s;
    has_stride = true;
    return *this;
  }
  Pool1dOptions& padding(Index p) {
    pad = p;
    return *this;
  }
  Pool1dOptions& dilation(Index d) {
    dilation_ = d;
    return *this;
  }
  Pool1dOptions& ceil_mode(bool on = true) {
    ceil = on;
    return *this;
  }
  Pool1dOptions& count_include_pad(bool on) {
    include_pad = on;
    return *this;
  }
};

namespace detail {

/// What MaxPool1d and AvgPool1d share: the length axis validated under the 1-d kind, shape
/// checks naming it, and forward/backward through the 2-d engine on [N, C, 1, L] views.
template <class Engine>
class Pool1dWindows : public Named {
 public:
  using Scalar = typename Engine::Scalar;
  using T = Scalar;
  static constexpr Role role = Role::pooling;
  static constexpr int arity = 1;

  Index kernel_size() const { return axis_.kernel; }
  Index stride() const { return axis_.stride; }
  Index padding() const { return axis_.pad; }
  Index dilation() const { return axis_.dilation; }
  bool ceil_mode() const { return axis_.ceil; }

  /// [N, C, L] -> [N, C, Lo]; throws ShapeError for another rank or an input too short for one window.
  Shape output_shape(const Shape& in) const {
    if (in.rank() != 3)
      raise<ShapeError>("shape.1070", who(kind_), ": input shape ", in, ", expected [N, C, L]");
    const Index lo = axis_.out(in[2]);
    if (lo < 1)
      raise<ShapeError>("shape.1071", who(kind_), ": input shape ", in, " is too short for kernel ", axis_.kernel,
                        ", stride ", axis_.stride, ", padding ", axis_.pad, ", dilation ", axis_.dilation,
                        (axis_.ceil ? " (ceil mode)" : ""), "; expected [N, C, L >= ", axis_.min_in(), "]");
    return Shape{in[0], in[1], lo};
  }

  void forward(ConstView<T> x, TensorView<T> y, Workspace<T>& ws) const {
    expect_shape(y, output_shape(x.shape()), who(kind_), "output");
    engine_.forward(length_as_width(x), length_as_width(y), ws);
  }
  void backward(ConstView<T> x, ConstView<T> gy, TensorView<T> gx, Workspace<T>& ws) const {
    expect_shape(gy, output_shape(x.shape()), who(kind_), "output signal");
    expect_shape(gx, x.shape(), who(kind_), "input signal");
    engine_.backward(length_as_width(x), length_as_width(gy), length_as_width(gx), ws);
  }

 protected:
  Pool1dWindows(const char* kind, Index k, const Pool1dOptions& o)
      : kind_(kind),
        axis_(make_pool_axis(kind, "length", k, o.has_stride, o.stride_, o.pad, o.dilation_, o.ceil)),
        engine_(1, k, Pool2dOptions{}.stride(1, axis_.stride).padding(0, o.pad).dilation(1, o.dilation_)
                          .ceil_mode(o.ceil).count_include_pad(o.include_pad)) {}

  const char* kind_;
  PoolAxis axis_;
  Engine engine_;
};

}  // namespace detail

template <class T>
class MaxPool1d : public detail::Pool1dWindows<MaxPool2d<T>> {
 public:
  static constexpr const char* kind = "MaxPool1d";

  /// Kernel k; stride, padding, dilation and ceil mode from opt. Throws ParameterError for a
  /// kernel, stride or dilation < 1 or a padding outside [0, k / 2].
  explicit MaxPool1d(Index k, Pool1dOptions opt = {}) : detail::Pool1dWindows<MaxPool2d<T>>(kind, k, opt) {}

  /// For every output element, the flat index into x of its window's maximum (-1 for a window
  /// entirely in the padding); see MaxPool2d::argmax.
  void argmax(ConstView<T> x, TensorView<Index> idx) const {
    expect_shape(idx, this->output_shape(x.shape()), this->who(kind), "argmax indices");
    this->engine_.argmax(detail::length_as_width(x), detail::length_as_width(idx));
  }
};

template <class T>
class AvgPool1d : public detail::Pool1dWindows<AvgPool2d<T>> {
 public:
  static constexpr const char* kind = "AvgPool1d";

  /// Kernel k; stride, padding, ceil mode and count_include_pad from opt. Throws
  /// ParameterError for a kernel or stride < 1, a padding outside [0, k / 2] or a dilation
  /// other than 1.
  explicit AvgPool1d(Index k, Pool1dOptions opt = {}) : detail::Pool1dWindows<AvgPool2d<T>>(kind, k, checked(opt)) {}

  bool count_include_pad() const { return this->engine_.count_include_pad(); }

  /// y[o] = f(1 / divisor(o)) * (sum of window o); no bias (the mode is ignored).
  template <class F>
  void forward_transformed(const F& f, BiasMode mode, ConstView<T> x, TensorView<T> y, Workspace<T>& ws) const {
    expect_shape(y, this->output_shape(x.shape()), this->who(kind), "output");
    this->engine_.forward_transformed(f, mode, detail::length_as_width(x), detail::length_as_width(y), ws);
  }
  /// gx = f(A)^T gy; gx's shape is the input shape.
  template <class F>
  void backward_transformed(const F& f, ConstView<T> gy, TensorView<T> gx, Workspace<T>& ws) const {
    expect_shape(gy, this->output_shape(gx.shape()), this->who(kind), "output signal");
    this->engine_.backward_transformed(f, detail::length_as_width(gy), detail::length_as_width(gx), ws);
  }

 private:
  static const Pool1dOptions& checked(const Pool1dOptions& o) {
    if (o.dilation_ != 1)
      raise<ParameterError>("param.1070", kind, ": dilation ", o.dilation_,
                            ", expected 1 (average pooling has no dilation)");
    return o;
  }
};

ATTRIB_END_NAMESPACE
