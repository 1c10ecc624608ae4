#pragma once
// Element-wise product y = a ⊙ b of two activations with numpy broadcasting (rank <= 4):
// equal shapes (x · sigmoid(x) built from two branches), or a gate [N, C, 1, 1] times a
// signal [N, C, H, W] (squeeze-and-excitation), or any other pair of broadcastable shapes.
//
// backward gives both input gradients: ga = Σ gy ⊙ b, gb = Σ gy ⊙ a, each summed over the
// axes along which that operand was broadcast.
//
// For the rules (docs/rules.md, "Layers × rule families"):
//   - deeplift_backward: DeepLIFT's product rule. With Δa = a − a₀, Δb = b − b₀,
//     Δy = Δa (b₀ + Δb/2) + Δb (a₀ + Δa/2) exactly (the Shapley split of a product of two
//     players), so the multipliers are m_a = Σ m_y (b + b₀)/2 and m_b = Σ m_y (a + a₀)/2 —
//     the gradient at the midpoints — and C_a + C_b = m_y ⊙ Δy sums to delta.
//   - gate(): which operand is the gate for LRP's signal-take-all rule (Arras et al. 2017):
//     -1 = not known, set by whoever builds the model (the ONNX importer marks the operand
//     that is broadcast, see broadcast_operand(), or that comes from a Sigmoid/HardSigmoid).
#include "attrib/core/config.hpp"

#include "attrib/core/named.hpp"
#include "attrib/layers/role.hpp"
#include "attrib/core/workspace.hpp"
#include "attrib/detail/broadcast.hpp"

ATTRIB_BEGIN_NAMESPACE

template <class T>
class Mul : public detail::Named {
 public:
  using Scalar = T;
  static constexpr const char* kind = "Mul";
  static constexpr Role role = Role::product;
  static constexpr int arity = 2;

  /// The broadcast shape; throws ShapeError naming both shapes if they do not broadcast.
  Shape output_shape(const Shape& a, const Shape& b) const { return plan(a, b).out; }

  /// 0 or 1 if that operand alone is broadcast (its shape differs from the output's), else -1.
  static int broadcast_operand(const Shape& a, const Shape& b) {
    const detail::Broadcast r = detail::broadcast(a, b);
    if (!r.ok) return -1;
    const bool sa = a != r.out, sb = b != r.out;
    return sa == sb ? -1 : (sa ? 0 : 1);
  }

  /// The gate operand (0 or 1) for LRP's signal-take-all, or -1 when not known.
  int gate() const { return gate_; }
  /// Marks operand k (0, 1, or -1 for "unknown") as the gate; throws ParameterError otherwise.
  void set_gate(int k) {
    if (k < -1 || k > 1)
      raise<ParameterError>("param.1030", who(kind), ": gate operand ", k, ", expected 0, 1 or -1 (unknown)");
    gate_ = k;
  }

  void forward(ConstView<T> a, ConstView<T> b, TensorView<T> y, Workspace<T>& /*ws*/) const {
    const detail::Broadcast r = plan(a.shape(), b.shape());
    expect_shape(y, r.out, who(kind), "output");
    detail::for_each_broadcast(r, [&](Index o, Index ia, Index ib) { y[o] = a[ia] * b[ib]; });
  }
  /// ga = Σ gy ⊙ b and gb = Σ gy ⊙ a (sums over the broadcast axes). ga and gb are zeroed first,
  /// so they must not alias a, b or gy (nor each other).
  void backward(ConstView<T> a, ConstView<T> b, ConstView<T> gy, TensorView<T> ga, TensorView<T> gb,
                Workspace<T>& /*ws*/) const {
    const detail::Broadcast r = checked(a.shape(), b.shape(), gy, ga, gb);
    ga.vec().setZero();
    gb.vec().setZero();
    detail::for_each_broadcast(r, [&](Index o, Index ia, Index ib) {
      ga[ia] += gy[o] * b[ib];
      gb[ib] += gy[o] * a[ia];
    });
  }
  /// DeepLIFT multipliers: ma = Σ my ⊙ (b + b₀)/2, mb = Σ my ⊙ (a + a₀)/2, with references a₀, b₀
  /// of the operands' shapes. Then Σ ma ⊙ Δa + Σ mb ⊙ Δb = Σ my ⊙ (a b − a₀ b₀) exactly.
  void deeplift_backward(ConstView<T> a, ConstView<T> a0, ConstView<T> b, ConstView<T> b0, ConstView<T> my,
                         TensorView<T> ma, TensorView<T> mb, Workspace<T>& /*ws*/) const {
    const detail::Broadcast r = checked(a.shape(), b.shape(), my, ma, mb);
    expect_shape(a0, a.shape(), who(kind), "first reference");
    expect_shape(b0, b.shape(), who(kind), "second reference");
    ma.vec().setZero();
    mb.vec().setZero();
    const T half(0.5);
    detail::for_each_broadcast(r, [&](Index o, Index ia, Index ib) {
      ma[ia] += my[o] * half * (b[ib] + b0[ib]);
      mb[ib] += my[o] * half * (a[ia] + a0[ia]);
    });
  }

 private:
  detail::Broadcast plan(const Shape& a, const Shape& b) const {
    const detail::Broadcast r = detail::broadcast(a, b);
    if (!r.ok)
      raise<ShapeError>("shape.1030", who(kind), ": operand shapes ", a, " and ", b,
                        " do not broadcast; expected equal extents or 1 on every axis (aligned on the right)");
    return r;
  }
  detail::Broadcast checked(const Shape& a, const Shape& b, const ConstView<T>& gy, const TensorView<T>& ga,
                            const TensorView<T>& gb) const {
    const detail::Broadcast r = plan(a, b);
    expect_shape(gy, r.out, who(kind), "output signal");
    expect_shape(ga, a, who(kind), "first input signal");
    expect_shape(gb, b, who(kind), "second input signal");
    return r;
  }

  int gate_ = -1;
};

ATTRIB_END_NAMESPACE
