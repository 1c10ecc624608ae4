#pragma once
// An activation combined with a constant: y = a·x + b with a and b each a scalar or one value
// per channel (axis 1). This is what ONNX exports for `x + 3`, `x - c`, `c - x`, `x * c` and
// `x / 6` (Add / Sub / Mul / Div with a constant initializer), e.g. inside hard-swish and
// hard-sigmoid; the factories below build exactly those.
//
// A per-unit linear layer with bias b (like BatchNorm2d and Normalize): forward_transformed /
// backward_transformed apply f to a (and to b under BiasMode::transformed), so every rule
// written for linear layers applies — under LRP the constant shift is a bias
// (docs/rules.md, "Layers × rule families").
#include "attrib/core/config.hpp"
#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include "attrib/core/named.hpp"
#include "attrib/layers/role.hpp"
#include "attrib/core/transform.hpp"
#include "attrib/core/workspace.hpp"

ATTRIB_BEGIN_NAMESPACE

template <class T>
class ConstAffine : public detail::Named {
 public:
  using Scalar = T;
  static constexpr const char* kind = "ConstAffine";
  static constexpr Role role = Role::per_unit_linear;
  static constexpr int arity = 1;

  /// scale and shift each hold 1 value (broadcast to every element) or one per channel; two
  /// per-channel lists must have the same length. Throws ParameterError for an empty list,
  /// lengths that disagree or a non-finite value.
  ConstAffine(std::vector<T> scale, std::vector<T> shift) : scale_(std::move(scale)), shift_(std::move(shift)) {
    const std::size_t ns = scale_.size(), nb = shift_.size();
    if (ns == 0 || nb == 0 || (ns > 1 && nb > 1 && ns != nb))
      raise<ParameterError>("param.1040", kind, ": ", ns, " scale and ", nb,
                            " shift values, expected 1 or one per channel each (equal counts when both are per channel)");
    for (const std::vector<T>* v : {&scale_, &shift_})
      for (std::size_t i = 0; i < v->size(); ++i)
        if (!std::isfinite((*v)[i]))
          raise<ParameterError>("param.1041", kind, ": ", (v == &scale_ ? "scale[" : "shift["), i, "] = ", (*v)[i],
                                ", expected a finite value");
  }

  /// y = x + c (ONNX Add with a constant).
  static ConstAffine plus(std::vector<T> c) { return ConstAffine({T(1)}, std::move(c)); }
  /// y = x − c (ONNX Sub, constant second).
  static ConstAffine minus(std::vector<T> c) { return ConstAffine({T(1)}, negated(std::move(c))); }
  /// y = c − x (ONNX Sub, constant first).
  static ConstAffine subtracted_from(std::vector<T> c) { return ConstAffine({T(-1)}, std::move(c)); }
  /// y = c·x (ONNX Mul with a constant).
  static ConstAffine times(std::vector<T> c) { return ConstAffine(std::move(c), {T(0)}); }
  /// y = x / c (ONNX Div, constant second); throws ParameterError for c = 0. Stored as the
  /// scale 1/c, so results may differ from a true division by one rounding.
  static ConstAffine divided_by(std::vector<T> c) {
    for (std::size_t i = 0; i < c.size(); ++i) {
      if (c[i] == T(0)) raise<ParameterError>("param.1042", kind, ": divisor[", i, "] = 0, expected non-zero");
      c[i] = T(1) / c[i];
    }
    return times(std::move(c));
  }

  const std::vector<T>& scale() const { return scale_; }
  const std::vector<T>& shift() const { return shift_; }
  /// Number of channels the constants are given for (1 = scalars only).
  Index channels() const { return static_cast<Index>(std::max(scale_.size(), shift_.size())); }

  /// The input shape; per-channel constants need [N, C, ...] with C = channels().
  Shape output_shape(const Shape& in) const {
    if (channels() > 1 && (in.rank() < 2 || in[1] != channels()))
      raise<ShapeError>("shape.1040", who(kind), ": input shape ", in, ", expected [N, ", channels(),
                        ", ...] (one constant per channel)");
    return in;
  }

  void forward(ConstView<T> x, TensorView<T> y, Workspace<T>& ws) const {
    forward_transformed(transform::Identity{}, BiasMode::transformed, x, y, ws);
  }
  /// gx = a ⊙ gy.
  void backward(ConstView<T> x, ConstView<T> gy, TensorView<T> gx, Workspace<T>& ws) const {
    expect_shape(gy, output_shape(x.shape()), who(kind), "output signal");
    backward_transformed(transform::Identity{}, gy, gx, ws);
  }

  /// y = f(a) x (+ nothing, f(b) or b according to mode).
  template <class F>
  void forward_transformed(const F& f, BiasMode mode, ConstView<T> x, TensorView<T> y, Workspace<T>& /*ws*/) const {
    expect_shape(y, output_shape(x.shape()), who(kind), "output");
    apply(x, y, [&](Index c) { return static_cast<T>(f(at(scale_, c))); }, [&](Index c) {
      const T b = at(shift_, c);
      return mode == BiasMode::none ? T(0) : mode == BiasMode::unchanged ? b : static_cast<T>(f(b));
    });
  }
  /// gx = f(a) gy (the map is diagonal, so it is its own transpose).
  template <class F>
  void backward_transformed(const F& f, ConstView<T> gy, TensorView<T> gx, Workspace<T>& /*ws*/) const {
    output_shape(gy.shape());
    expect_shape(gx, gy.shape(), who(kind), "input signal");
    apply(gy, gx, [&](Index c) { return static_cast<T>(f(at(scale_, c))); }, [](Index) { return T(0); });
  }

 private:
  static std::vector<T> negated(std::vector<T> c) {
    for (T& v : c) v = -v;
    return c;
  }
  static T at(const std::vector<T>& v, Index c) { return v.size() == 1 ? v[0] : v[static_cast<std::size_t>(c)]; }

  // out[n, c, ...] = s(c) in[n, c, ...] + b(c); rank-1 input counts as one channel.
  template <class S, class B>
  static void apply(ConstView<T> in, TensorView<T> out, const S& s, const B& b) {
    const Shape& sh = in.shape();
    const Index c = sh.rank() >= 2 ? sh[1] : 1, rows = sh.batch() * c, extent = rows ? in.size() / rows : 0;
    auto X = in.mat(rows, extent);
    auto Y = out.mat(rows, extent);
    for (Index r = 0; r < rows; ++r) Y.row(r).array() = s(r % c) * X.row(r).array() + b(r % c);
  }

  std::vector<T> scale_, shift_;
};

ATTRIB_END_NAMESPACE
