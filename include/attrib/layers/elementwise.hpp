#pragma once
// Element-wise activation layers y_i = f(x_i) on any shape, one template for every function:
// Elementwise<T, Fn> holds a function object Fn<T> (a policy from activations.hpp,
// rectifiers.hpp or prelu.hpp) and derives forward, backward (the exact derivative) and the
// primitives the rules use from it. Allocation-free; the workspace is not used.
//
// The policy contract (what Elementwise and the rules may call on Fn<T>):
//   static constexpr const char* kind;   the layer kind, e.g. "Sigmoid" (messages, addresses)
//   T value(T x) const;                  f(x)
//   T derivative(T x) const;             f'(x), at kinks the one-sided value PyTorch's autograd
//                                        returns (documented per function)
//   bool relu_like() const;              a rectifier: piecewise linear, f(0) = 0, slope 1 just
//                                        above 0 and a smaller (LeakyReLU, PReLU: any) slope f'(-1)
//                                        below; Guided BP, Deconvnet and RectGrad modify these
//                                        units (docs/layers.md)
// and, for functions with one parameter set per channel (PReLU), also
//   Index channels() const;              1 (one set for every element) or C (axis 1)
//   auto channel(Index c) const;         the scalar function (value/derivative) of channel c
//   void check(const detail::Who&) const;  validates the parameters at use (they may be bound)
#include "attrib/core/config.hpp"
#include <type_traits>
#include <utility>

#include "attrib/core/named.hpp"
#include "attrib/layers/role.hpp"
#include "attrib/core/workspace.hpp"

ATTRIB_BEGIN_NAMESPACE

namespace detail {
template <class F, class = void>
struct has_channels : std::false_type {};
template <class F>
struct has_channels<F, std::void_t<decltype(std::declval<const F&>().channel(Index(0)))>> : std::true_type {};
}  // namespace detail

template <class T, template <class> class Fn>
class Elementwise : public detail::Named {
 public:
  using Scalar = T;
  using Function = Fn<T>;
  static constexpr const char* kind = Function::kind;
  static constexpr Role role = Role::activation;
  static constexpr int arity = 1;
  /// True for functions with parameters per channel (PReLU): the input needs a channel axis.
  static constexpr bool per_channel = detail::has_channels<Function>::value;

  Elementwise() = default;
  /// Forwards to the function's constructor: LeakyReLU<float>(0.2f), Clip<double>(0, 6) ...
  template <class A0, class... A,
            class = std::enable_if_t<!std::is_base_of_v<Elementwise, std::decay_t<A0>> &&
                                     std::is_constructible_v<Function, A0&&, A&&...>>>
  explicit Elementwise(A0&& a0, A&&... args) : fn_(std::forward<A0>(a0), std::forward<A>(args)...) {}

  /// The scalar function and its parameters (alpha(), negative_slope(), min() ...).
  const Function& function() const { return fn_; }
  /// See the policy contract above; rules choose their ReLU-type behaviour from it.
  bool relu_like() const { return fn_.relu_like(); }

  /// Any shape maps to itself; per-channel functions need [N, C, ...] with C = channels()
  /// unless they have one parameter set (ShapeError otherwise).
  Shape output_shape(const Shape& in) const {
    if constexpr (per_channel) {
      const Index c = fn_.channels();
      if (c != 1 && (in.rank() < 2 || in[1] != c))
        raise<ShapeError>("shape.960", who(kind), ": input shape ", in, ", expected [N, ", c,
                          ", ...] (one parameter per channel on axis 1)");
    }
    return in;
  }

  void forward(ConstView<T> x, TensorView<T> y, Workspace<T>& /*ws*/) const {
    expect_shape(y, x.shape(), who(kind), "output");
    map([](const auto& f, T v) { return f.value(v); }, y, x);
  }
  /// Input gradient gx = f'(x) (.) gy.
  void backward(ConstView<T> x, ConstView<T> gy, TensorView<T> gx, Workspace<T>& /*ws*/) const {
    expect_shape(gy, x.shape(), who(kind), "output signal");
    expect_shape(gx, x.shape(), who(kind), "input signal");
    map([](const auto& f, T v, T g) { return f.derivative(v) * g; }, gx, x, gy);
  }
  /// d = f'(x) element-wise.
  void derivative(ConstView<T> x, TensorView<T> d) const {
    expect_shape(d, x.shape(), who(kind), "derivative");
    map([](const auto& f, T v) { return f.derivative(v); }, d, x);
  }

  /// out[i] = op(f_i, in_0[i], in_1[i], ...) where f_i is the scalar function at element i
  /// (value(), derivative(); the channel's function for per-channel layers). Every operand must
  /// have out's shape. out may be one of the operands (in-place). For rules: DeepLIFT's secant
  /// slopes (f(x) - f(x0)) / (x - x0), RevealCancel's f(x0 + dx+) ... without allocating.
  template <class Op, class... In>
  void map(const Op& op, TensorView<T> out, const In&... in) const {
    static_assert(sizeof...(In) >= 1, "map needs at least one operand");
    (expect_shape(in, out.shape(), who(kind), "operand"), ...);
    const Index n = out.size();
    T* o = out.data();
    if constexpr (per_channel) {
      output_shape(out.shape());
      fn_.check(who(kind));
      const Index c = fn_.channels();
      if (c == 1) {
        const auto f = fn_.channel(0);
        for (Index i = 0; i < n; ++i) o[i] = op(f, in.data()[i]...);
        return;
      }
      const Index rows = out.shape().batch() * c, extent = rows ? n / rows : 0;
      for (Index r = 0; r < rows; ++r) {
        const auto f = fn_.channel(r % c);
        for (Index i = r * extent, end = i + extent; i < end; ++i) o[i] = op(f, in.data()[i]...);
      }
    } else {
      for (Index i = 0; i < n; ++i) o[i] = op(fn_, in.data()[i]...);
    }
  }

  /// Calls f(name, Param<T>&) for every parameter (none unless the function has some).
  template <class F>
  void parameters(F&& f) {
    if constexpr (per_channel) f("weight", fn_.weight());
  }
  template <class F>
  void parameters(F&& f) const {
    if constexpr (per_channel) f("weight", fn_.weight());
  }

 protected:
  Function& mutable_function() { return fn_; }

 private:
  Function fn_;
};

ATTRIB_END_NAMESPACE
