#pragma once
// Mean over all spatial axes: [N, C, H, W] -> [N, C, 1, 1] (or [N, C] without keepdims), and
// [N, C, L] -> [N, C, 1] (or [N, C]). This is ONNX ReduceMean with axes [2, 3] (resp. [2])
// and torch's x.mean(dim=(2, 3), keepdim=...): the computation of GlobalAvgPool2d, which it
// reuses (a rank-3 input is viewed as [N, C, 1, L], a rank-2 output as [N, C, 1, 1]).
//
// A linear layer without bias, exactly like GlobalAvgPool2d: forward_transformed /
// backward_transformed apply f to the tap weight 1 / (H W).
#include "attrib/core/config.hpp"

#include "attrib/layers/adaptive_avg_pool2d.hpp"

ATTRIB_BEGIN_NAMESPACE

template <class T>
class ReduceMean : public AdaptiveAvgPool2d<T> {
  using Base = AdaptiveAvgPool2d<T>;

 public:
  static constexpr const char* kind = "ReduceMean";

  explicit ReduceMean(bool keepdims = true) : Base(1, 1, kind), keepdims_(keepdims) {}

  bool keepdims() const { return keepdims_; }

  /// [N, C, H, W] -> [N, C, 1, 1] / [N, C]; [N, C, L] -> [N, C, 1] / [N, C]. Throws ShapeError
  /// for another rank or an empty spatial extent.
  Shape output_shape(const Shape& in) const {
    if (in.rank() != 3 && in.rank() != 4)
      raise<ShapeError>("shape.1050", this->who(kind), ": input shape ", in, ", expected [N, C, H, W] or [N, C, L]");
    Base::output_shape(as_4d(in));  // the spatial extent is not empty
    if (!keepdims_) return Shape{in[0], in[1]};
    return in.rank() == 4 ? Shape{in[0], in[1], 1, 1} : Shape{in[0], in[1], 1};
  }

  void forward(ConstView<T> x, TensorView<T> y, Workspace<T>& ws) const {
    forward_transformed(transform::Identity{}, BiasMode::none, x, y, ws);
  }
  /// gx = gy / (H W) at every position.
  void backward(ConstView<T> /*x*/, ConstView<T> gy, TensorView<T> gx, Workspace<T>& ws) const {
    backward_transformed(transform::Identity{}, gy, gx, ws);
  }

  template <class F>
  void forward_transformed(const F& f, BiasMode mode, ConstView<T> x, TensorView<T> y, Workspace<T>& ws) const {
    expect_shape(y, output_shape(x.shape()), this->who(kind), "output");
    Base::forward_transformed(f, mode, view_4d(x), view_4d(y), ws);
  }
  template <class F>
  void backward_transformed(const F& f, ConstView<T> gy, TensorView<T> gx, Workspace<T>& ws) const {
    expect_shape(gy, output_shape(gx.shape()), this->who(kind), "output signal");
    Base::backward_transformed(f, view_4d(gy), view_4d(gx), ws);
  }

 private:
  // Rank 4 unchanged; [N, C, L] -> [N, C, 1, L]; [N, C] (an output) -> [N, C, 1, 1].
  static Shape as_4d(const Shape& s) {
    if (s.rank() == 4) return s;
    return s.rank() == 3 ? Shape{s[0], s[1], 1, s[2]} : Shape{s[0], s[1], 1, 1};
  }
  template <class V>
  static V view_4d(const V& v) {
    return V(v.data(), as_4d(v.shape()));
  }

  bool keepdims_;
};

ATTRIB_END_NAMESPACE
