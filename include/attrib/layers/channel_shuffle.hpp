#pragma once
// Channel shuffle of ShuffleNet (torch.nn.ChannelShuffle; exported to ONNX as Reshape
// [N, g, C/g, H, W] -> Transpose(0, 2, 1, 3, 4) -> Reshape [N, C, H, W]): output channel
// j g + i is input channel i (C/g) + j, for i < g, j < C/g. Input [N, C], [N, C, L] or
// [N, C, H, W] with C divisible by g.
//
// A permutation: the gradient applies the inverse permutation, and every rule family moves its
// signal the same way.
#include "attrib/core/config.hpp"
#include <algorithm>

#include "attrib/core/named.hpp"
#include "attrib/layers/role.hpp"
#include "attrib/core/workspace.hpp"

ATTRIB_BEGIN_NAMESPACE

template <class T>
class ChannelShuffle : public detail::Named {
 public:
  using Scalar = T;
  static constexpr const char* kind = "ChannelShuffle";
  static constexpr Role role = Role::reshape;
  static constexpr int arity = 1;

  /// Throws ParameterError for groups < 1.
  explicit ChannelShuffle(Index groups) : groups_(groups) {
    if (groups < 1) raise<ParameterError>("param.1020", kind, ": groups = ", groups, ", expected >= 1");
  }

  Index groups() const { return groups_; }

  /// The input shape; throws ShapeError for rank 1 or a channel count not divisible by groups.
  Shape output_shape(const Shape& in) const {
    if (in.rank() < 2 || in[1] % groups_ != 0)
      raise<ShapeError>("shape.1020", who(kind), ": input shape ", in, ", expected [N, C, ...] with C divisible by ",
                        groups_, " (the groups)");
    return in;
  }

  /// Input channel of output channel c (for C channels).
  Index source_channel(Index c, Index channels) const {
    const Index per = channels / groups_;
    return (c % groups_) * per + c / groups_;
  }

  void forward(ConstView<T> x, TensorView<T> y, Workspace<T>& /*ws*/) const {
    expect_shape(y, output_shape(x.shape()), who(kind), "output");
    each_plane(x.shape(), [&](Index out, Index in, Index n) { std::copy(x.data() + in, x.data() + in + n, y.data() + out); });
  }
  /// gx = the inverse permutation of gy.
  void backward(ConstView<T> x, ConstView<T> gy, TensorView<T> gx, Workspace<T>& /*ws*/) const {
    expect_shape(gy, output_shape(x.shape()), who(kind), "output signal");
    expect_shape(gx, x.shape(), who(kind), "input signal");
    each_plane(x.shape(), [&](Index out, Index in, Index n) { std::copy(gy.data() + out, gy.data() + out + n, gx.data() + in); });
  }

 private:
  // visit(offset of an output plane, offset of its input plane, plane size).
  template <class Visit>
  void each_plane(const Shape& s, const Visit& visit) const {
    const Index C = s[1], plane = s.size() / (s[0] * C > 0 ? s[0] * C : 1);
    for (Index n = 0; n < s[0]; ++n)
      for (Index c = 0; c < C; ++c) visit((n * C + c) * plane, (n * C + source_channel(c, C)) * plane, plane);
  }

  Index groups_;
};

ATTRIB_END_NAMESPACE
