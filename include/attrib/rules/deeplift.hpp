#pragma once
// DeepLIFT (Shrikumar et al. 2017) as in the reference deeplift code (kundajelab, v0.6.9.3),
// with the paper's ablation of Sixt et al. The backward signal is the pair of positive and
// negative multipliers (m+, m-); explain() traces the reference input x0 alongside x
// (default zeros) and the attribution is the contribution C = m+ (.) dx+ + m- (.) dx-,
// dx = x - x0 (= m (.) dx at the input, where m+ = m-). Contributions sum to f_c(x) - f_c(x0).
//
//   Dense, Conv2d ("Linear" mode; bias cancels):
//     dx_i > 0: m_i = sum_j w+_ij m+_j + w-_ij m-_j      dx_i < 0: m_i = sum_j w-_ij m+_j + w+_ij m-_j
//     dx_i = 0: m_i = sum_j w_ij (m+_j + m-_j) / 2       then m+_i = m-_i = m_i
//     ablation (Sixt et al.): the cross terms are dropped: w+ m+ for dx > 0, w+ m- for dx < 0
//   BatchNorm2d, Normalize, AvgPool2d, AdaptiveAvgPool2d (per-unit positive/negative kept):
//     m+_in = s+ m+ + s- m-,  m-_in = s- m+ + s+ m-   (a negative BN scale swaps them)
//   ReLU Rescale: s = dy/dx if |dx| >= near_zero (1e-7) else f'(x0) = 1[x0 > 0]; m_in = s m
//   ReLU RevealCancel: dx+ / dx- = positive / negative contributions of the layer below,
//     dy+ = (f(x0 + dx+) - f(x0) + f(x0 + dx- + dx+) - f(x0 + dx-)) / 2, dy- symmetrically
//     (dy+ and dy- are the unit's own positive / negative parts for the layers above),
//     m+_in = dy+ / pc(dx+) m+,  m-_in = dy- / pc(dx-) m-   (pc: pseudocount +-1e-7 if |t| < 5e-8)
//   MaxPool2d: gradient of the actual input (default, as the reference code; summation-to-delta
//     does not hold exactly — measured in docs/rules.md) or the cross-max rule (exact).
//   Add: as a Dense layer with weights [1, 1] (the paper's converter): m_a by the sign of da.
//   Flatten, Identity, Dropout, Transpose: reshaped.
//   LayerNorm: the gradient at x on both multipliers (Captum's choice for modules without a
//     rule); summation-to-delta does not hold exactly there.
// The pseudocount is applied to the denominators only, so dy+ + dy- = dy holds exactly (the
// reference code also shifts the function arguments, which breaks it by up to 1e-7 per unit).
#include "attrib/core/config.hpp"
#include <string>
#include <vector>

#include "attrib/layers/layers.hpp"
#include "attrib/rules/rule.hpp"

ATTRIB_BEGIN_NAMESPACE

/// Positive and negative multipliers.
template <class T>
struct MultiplierPair {
  Tensor<T> pos, neg;
  void resize(const Shape& s) {
    pos.resize(s);
    neg.resize(s);
  }
  void set_zero() {
    pos.set_zero();
    neg.set_zero();
  }
  void add(const MultiplierPair& o) {
    pos.add(o.pos);
    neg.add(o.neg);
  }
};

enum class DeepLiftNonlinear {
  rescale,          ///< Rescale at every ReLU
  reveal_cancel,    ///< RevealCancel at every ReLU
  genomics_default  ///< RevealCancel after Dense layers (and Adds = Dense [1, 1]), Rescale elsewhere
};
enum class DeepLiftLinear {
  standard,  ///< the four-term linear rule
  ablation   ///< Sixt et al.'s ablation: cross terms dropped (only W+ carries multipliers)
};
enum class DeepLiftMaxPool {
  gradient,  ///< route the multipliers to the argmax of the actual input (reference default)
  cross_max  ///< (ym - y0) through argmax(x) and (y - ym) through argmax(x0), ym = max(y, y0)
};

namespace detail {
/// Activations that expose their scalar function (`T value(T) const`), needed by RevealCancel.
template <class L, class = void>
struct has_scalar_value : std::false_type {};
template <class L>
struct has_scalar_value<L, std::void_t<decltype(std::declval<const L&>().value(typename L::Scalar(0)))>>
    : std::true_type {};
/// Element-wise layers with map(op, out, in...) (attrib/layers/elementwise.hpp): op sees the
/// scalar function of each element (per-channel parameters included).
template <class L, class = void>
struct has_elementwise_map : std::false_type {};
struct ScalarValue {
  template <class F, class V>
  V operator()(const F& f, V v) const { return f.value(v); }
};
template <class L>
struct has_elementwise_map<L, std::void_t<decltype(std::declval<const L&>().map(
                                  ScalarValue{}, std::declval<TensorView<typename L::Scalar>>(),
                                  std::declval<ConstView<typename L::Scalar>>()))>> : std::true_type {};
}  // namespace detail

/// Per-node positive/negative contributions of the forward differences (RevealCancel).
template <class T>
struct DeepLiftState {
  std::vector<Tensor<T>> pos, neg;  ///< by node; index 0 = model input, i + 1 = node i
  std::vector<char> reveal;         ///< by node: RevealCancel at this ReLU
};

struct DeepLift {
  static constexpr const char* name = "DeepLift";
  static constexpr Seed seed = Seed::multiplier;
  static constexpr bool needs_reference = true;
  template <class T> using signal = MultiplierPair<T>;
  template <class T> using state = DeepLiftState<T>;

  DeepLiftNonlinear nonlinear = DeepLiftNonlinear::rescale;
  DeepLiftLinear linear = DeepLiftLinear::standard;
  DeepLiftMaxPool maxpool = DeepLiftMaxPool::gradient;
  double near_zero = 1e-7;  ///< |dx| below this: ReLU slope = gradient at the reference

  DeepLift() = default;
  explicit DeepLift(DeepLiftNonlinear n, DeepLiftLinear l = DeepLiftLinear::standard,
                    DeepLiftMaxPool m = DeepLiftMaxPool::gradient)
      : nonlinear(n), linear(l), maxpool(m) {}

  std::string display_name() const {
    std::string s = linear == DeepLiftLinear::ablation ? "DeepLiftAblation"
                    : nonlinear == DeepLiftNonlinear::rescale        ? "DeepLiftRescale"
                    : nonlinear == DeepLiftNonlinear::reveal_cancel  ? "DeepLiftRevealCancel"
                                                                     : "DeepLiftGenomicsDefault";
    return maxpool == DeepLiftMaxPool::cross_max ? s + "CrossMax" : s;
  }

  // --- signal ---
  template <class T>
  void init_signal(ConstView<T> seed, MultiplierPair<T>& s) const {
    s.resize(seed.shape());
    s.pos.vec() = seed.vec();
    s.neg.vec() = seed.vec();
  }
  /// Contributions m+ (.) dx+ + m- (.) dx- with dx split by sign.
  template <class T>
  void readout(const MultiplierPair<T>& s, ConstView<T> x, ConstView<T> x0, Tensor<T>& out) const {
    out.resize(x.shape());
    for (Index i = 0; i < x.size(); ++i) {
      const T d = x[i] - x0[i];
      out[i] = d > T(0) ? s.pos[i] * d : s.neg[i] * d;
    }
  }

  // --- state: positive/negative contribution split of every node's difference ---
  template <class Model, class T>
  void prepare(const Model& model, const Trace<T>& tr, const Trace<T>* ref, DeepLiftState<T>& st,
               Workspace<T>& ws) const {
    const Index n = model.size();
    st.reveal.assign(static_cast<std::size_t>(n), 0);
    for (Index i = 0; i < n; ++i) {
      const NodeInfo& node = model.node(i);
      if (node.role != Role::activation) continue;
      const Index p = node.input(0);
      // After a fully connected layer; a sum (Add) counts as a Dense layer [1, 1] (as in the
      // paper's ResNet converter).
      bool after_dense = false;
      if (p >= 0)
        model.visit(p, [&](const auto& producer) {
          using P = std::decay_t<decltype(producer)>;
          after_dense = std::is_same_v<P, Dense<T>> || P::role == Role::sum;
        });
      st.reveal[std::size_t(i)] = nonlinear == DeepLiftNonlinear::reveal_cancel ||
                                  (nonlinear == DeepLiftNonlinear::genomics_default && after_dense);
    }
    if (nonlinear == DeepLiftNonlinear::rescale) return;  // Rescale needs no split
    st.pos.resize(static_cast<std::size_t>(n + 1));
    st.neg.resize(static_cast<std::size_t>(n + 1));
    sign_split(tr.input(), ref->input(), st.pos[0], st.neg[0]);
    for (Index i = 0; i < n; ++i) {
      const NodeInfo& node = model.node(i);
      Tensor<T>& pos = st.pos[std::size_t(i + 1)];
      Tensor<T>& neg = st.neg[std::size_t(i + 1)];
      model.visit(i, [&](const auto& layer) {
        using L = std::decay_t<decltype(layer)>;
        const Index p = node.inputs[0];
        auto f = ws.frame();
        if constexpr (L::role == Role::weighted_linear) {
          Tensor<T>& dp = f.tensor(tr.output(p).shape());
          Tensor<T>& dn = f.tensor(tr.output(p).shape());
          sign_split(tr.output(p), ref->output(p), dp, dn);
          mix(layer, dp.cview(), dn.cview(), pos, neg, tr.output(i).shape(), ws);
        } else if constexpr (is_linear_layer_v<L>) {
          mix(layer, st.pos[std::size_t(p + 1)].cview(), st.neg[std::size_t(p + 1)].cview(), pos, neg,
              tr.output(i).shape(), ws);
        } else if constexpr (L::role == Role::sum) {
          // A sum as a Dense layer [1, ..., 1]: the sign-split differences of the inputs, summed.
          Tensor<T>& dp = f.tensor(tr.output(i).shape());
          Tensor<T>& dn = f.tensor(tr.output(i).shape());
          sign_split(tr.output(node.input(0)), ref->output(node.input(0)), pos, neg);
          for (int k = 1; k < node.arity; ++k) {
            sign_split(tr.output(node.input(k)), ref->output(node.input(k)), dp, dn);
            pos.vec() += dp.vec();
            neg.vec() += dn.vec();
          }
        } else if constexpr (L::role == Role::reshape) {
          // The parts move with the values (Flatten copies, Slice selects, a shuffle permutes).
          pos.resize(tr.output(i).shape());
          neg.resize(tr.output(i).shape());
          layer.forward(st.pos[std::size_t(p + 1)].cview(), pos.view(), ws);
          layer.forward(st.neg[std::size_t(p + 1)].cview(), neg.view(), ws);
        } else if constexpr (L::role == Role::concat) {
          // The inputs' parts, joined.
          pos.resize(tr.output(i).shape());
          neg.resize(tr.output(i).shape());
          const int n_in = node.arity;
          ConstView<T> few[16];
          std::vector<ConstView<T>> many(n_in > 16 ? std::size_t(n_in) : 0);  // no allocation up to 16 inputs
          ConstView<T>* views = n_in > 16 ? many.data() : few;
          for (Tensor<T>* part : {&pos, &neg}) {
            const auto& parts = part == &pos ? st.pos : st.neg;
            for (int k = 0; k < n_in; ++k) views[k] = parts[std::size_t(node.input(k) + 1)].cview();
            layer.forward(Span<ConstView<T>>(views, n_in), part->view(), ws);
          }
        } else if constexpr (L::role == Role::activation &&
                             (detail::has_scalar_value<L>::value || detail::has_elementwise_map<L>::value)) {
          // A RevealCancel unit's parts are its dy+ and dy- (not the sign split of dy): the
          // multipliers it passes back conserve exactly these (reference code:
          // _build_pos_and_neg_contribs); a Rescale unit's are the sign split, as in the reference.
          if (st.reveal[std::size_t(i)])
            reveal_parts(layer, ref->output(p), st.pos[std::size_t(p + 1)], st.neg[std::size_t(p + 1)], pos, neg);
          else
            sign_split(tr.output(i), ref->output(i), pos, neg);
        } else {
          sign_split(tr.output(i), ref->output(i), pos, neg);
        }
      });
    }
  }

  // --- weighted linear layers mix units: collapse to one multiplier per input unit ---
  template <class L, class T, class = std::enable_if_t<L::role == Role::weighted_linear>>
  void backward(const L& l, Step<T, MultiplierPair<T>>& s) const { collapse(l, s); }

  // --- other linear layers (per-unit, average pools): keep positive and negative apart ---
  template <class L, class T,
            class = std::enable_if_t<is_linear_layer_v<L> && L::role != Role::weighted_linear>, class = void>
  void backward(const L& l, Step<T, MultiplierPair<T>>& s) const {
    auto f = s.ws.frame();
    Tensor<T>& t = f.tensor(s.x.shape());
    l.backward_transformed(transform::Positive{}, s.out.pos, s.in.pos, s.ws);
    l.backward_transformed(transform::Negative{}, s.out.neg, t.view(), s.ws);
    s.in.pos.vec() += t.vec();
    l.backward_transformed(transform::Negative{}, s.out.pos, s.in.neg, s.ws);
    l.backward_transformed(transform::Positive{}, s.out.neg, t.view(), s.ws);
    s.in.neg.vec() += t.vec();
  }

  // --- elementwise activations: Rescale or RevealCancel ---
  template <class L, class T, class = std::enable_if_t<L::role == Role::activation>, class = void, class = void>
  void backward(const L& l, Step<T, MultiplierPair<T>>& s) const {
    const auto x = s.x, y = s.y, x0 = s.ref_x(), y0 = s.ref_y();
    const bool reveal = s.rule_state && s.template state<DeepLiftState<T>>().reveal[std::size_t(s.node.index)];
    if (!reveal) {
      // Where |dx| < near_zero the slope is the derivative at the reference, f'(x0).
      auto frame = s.ws.frame();
      const Tensor<T>* at_ref = nullptr;
      for (Index i = 0; i < x.size() && !at_ref; ++i)
        if (!(std::abs(x[i] - x0[i]) >= T(near_zero))) {
          Tensor<T>& ones = frame.tensor(x.shape());
          Tensor<T>& g = frame.tensor(x.shape());
          ones.fill(T(1));
          l.backward(x0, ones.cview(), g.view(), s.ws);
          at_ref = &g;
        }
      for (Index i = 0; i < x.size(); ++i) {
        const T dx = x[i] - x0[i];
        const T slope = std::abs(dx) >= T(near_zero) ? (y[i] - y0[i]) / dx : (*at_ref)[i];
        s.in.pos[i] = slope * s.out.pos[i];
        s.in.neg[i] = slope * s.out.neg[i];
      }
      return;
    }
    if constexpr (!detail::has_scalar_value<L>::value && !detail::has_elementwise_map<L>::value) {
      raise<RuleError>("rule.010", "DeepLIFT RevealCancel at ", L::kind, " '", s.node.name,
                       "': the layer does not expose its scalar function (T value(T) const); use Rescale");
    } else {
      reveal_cancel(l, s);
    }
  }

  template <class T>
  void backward(const MaxPool2d<T>& l, Step<T, MultiplierPair<T>>& s) const { max_pool(l, s); }
  template <class T>
  void backward(const MaxPool1d<T>& l, Step<T, MultiplierPair<T>>& s) const { max_pool(l, s); }

  /// Concatenations: both multipliers move with the values (each input gets its part).
  template <class L, class T, class = std::enable_if_t<L::role == Role::concat>, class = void, class = void,
            class = void, class = void, class = void>
  void backward(const L& l, Step<T, MultiplierPair<T>>& s) const {
    for (int k = 0; k < s.arity(); ++k) {
      l.backward(s.inputs(), k, s.out.pos, s.in_at(k).pos, s.ws);
      l.backward(s.inputs(), k, s.out.neg, s.in_at(k).neg, s.ws);
    }
  }

  /// Products (Mul): the product rule, C_a = (b0 + db/2) da and C_b = (a0 + da/2) db, i.e. the
  /// multipliers m_a = m_y (b + b0)/2, m_b = m_y (a + a0)/2 (summed over broadcast axes), so
  /// C_a + C_b = m_y dy exactly (Shrikumar et al. 2017, appendix; the Shapley split of ab).
  template <class L, class T, class = std::enable_if_t<L::role == Role::product>, class = void, class = void,
            class = void, class = void, class = void, class = void>
  void backward(const L& l, Step<T, MultiplierPair<T>>& s) const {
    const auto a = s.x_at(0), b = s.x_at(1), a0 = s.ref_x(0), b0 = s.ref_x(1), y = s.y, y0 = s.ref_y();
    // One multiplier per output element, chosen by the sign of its difference (the split of
    // dy that RevealCancel's state uses for a product): m = m+ if dy > 0, m- if dy < 0.
    auto f = s.ws.frame();
    Tensor<T>& m = f.tensor(y.shape());
    for (Index i = 0; i < y.size(); ++i) {
      const T d = y[i] - y0[i];
      m[i] = d > T(0) ? s.out.pos[i] : d < T(0) ? s.out.neg[i] : T(0.5) * (s.out.pos[i] + s.out.neg[i]);
    }
    l.deeplift_backward(a, a0, b, b0, m.cview(), s.in_at(0).pos, s.in_at(1).pos, s.ws);
    s.in_at(0).neg.vec() = s.in_at(0).pos.vec();
    s.in_at(1).neg.vec() = s.in_at(1).pos.vec();
  }

 private:
  template <class P, class T>
  void max_pool(const P& l, Step<T, MultiplierPair<T>>& s) const {
    if (maxpool == DeepLiftMaxPool::gradient) {
      l.backward(s.x, s.out.pos, s.in.pos, s.ws);
      l.backward(s.x, s.out.neg, s.in.neg, s.ws);
      return;
    }
    cross_max(l, s, s.out.pos, s.in.pos);
    cross_max(l, s, s.out.neg, s.in.neg);
  }

 public:

  /// Sums (residual Add) as a Dense layer with weights [1, ..., 1]: m_k by the sign of dx_k.
  template <class L, class T, class = std::enable_if_t<L::role == Role::sum>, class = void, class = void, class = void>
  void backward(const L&, Step<T, MultiplierPair<T>>& s) const {
    for (int k = 0; k < s.arity(); ++k) {
      const auto xk = s.x_at(k), x0k = s.ref_x(k);
      MultiplierPair<T>& in = s.in_at(k);
      for (Index i = 0; i < s.y.size(); ++i) {
        const T mp = s.out.pos[i], mn = s.out.neg[i], d = xk[i] - x0k[i];
        in.pos[i] = in.neg[i] = d > T(0) ? mp : d < T(0) ? mn : T(0.5) * (mp + mn);
      }
    }
  }

  /// Normalisations (LayerNorm): DeepLIFT defines no rule; as Captum's DeepLift does for a
  /// module it has no rule for, both multipliers are the layer's gradient at the actual input.
  /// Summation-to-delta then does not hold exactly (the gap is the part of y(x) - y(x0) that
  /// the first-order term misses; docs/rules.md).
  template <class L, class T, class = std::enable_if_t<L::role == Role::normalization>, class = void, class = void,
            class = void, class = void, class = void, class = void, class = void>
  void backward(const L& l, Step<T, MultiplierPair<T>>& s) const {
    l.backward(s.x, s.out.pos, s.in.pos, s.ws);
    l.backward(s.x, s.out.neg, s.in.neg, s.ws);
  }

  /// Reshapes (Flatten, Identity, Dropout, ...): both multipliers move with the values.
  template <class L, class T, class = std::enable_if_t<L::role == Role::reshape>, class = void, class = void,
            class = void, class = void>
  void backward(const L& l, Step<T, MultiplierPair<T>>& s) const {
    l.backward(s.x, s.out.pos, s.in.pos, s.ws);
    l.backward(s.x, s.out.neg, s.in.neg, s.ws);
  }

 private:
  /// RevealCancel at an activation: m+_in = dy+ / pc(dx+) m+, m-_in = dy- / pc(dx-) m-, with dx+-
  /// the parts of the input's difference and dy+- this unit's parts (both from prepare()).
  template <class L, class T>
  static void reveal_cancel(const L&, Step<T, MultiplierPair<T>>& s) {
    const auto& st = s.template state<DeepLiftState<T>>();
    const Tensor<T>& dp = st.pos[std::size_t(s.node.input(0) + 1)];
    const Tensor<T>& dn = st.neg[std::size_t(s.node.input(0) + 1)];
    const Tensor<T>& yp = st.pos[std::size_t(s.node.index + 1)];
    const Tensor<T>& yn = st.neg[std::size_t(s.node.index + 1)];
    const auto pc = [](T t) {
      if (std::abs(t) < T(5e-8)) return t >= T(0) ? t + T(1e-7) : t - T(1e-7);
      return t;
    };
    for (Index i = 0; i < s.x.size(); ++i) {
      s.in.pos[i] = yp[i] / pc(dp[i]) * s.out.pos[i];
      s.in.neg[i] = yn[i] / pc(dn[i]) * s.out.neg[i];
    }
  }

  /// RevealCancel's output parts from the reference input x0 and the input parts dx+ = p,
  /// dx- = q: dy+ = (f(x0 + p) - f(x0) + f(x0 + q + p) - f(x0 + q)) / 2, dy- symmetrically
  /// (dy+ + dy- = f(x0 + p + q) - f(x0) exactly).
  template <class L, class T>
  static void reveal_parts(const L& l, ConstView<T> x0, const Tensor<T>& dp, const Tensor<T>& dn, Tensor<T>& pos,
                           Tensor<T>& neg) {
    pos.resize(x0.shape());
    neg.resize(x0.shape());
    if constexpr (detail::has_elementwise_map<L>::value) {
      // each element's own scalar function fn (per-channel parameters included)
      l.map([](const auto& fn, T r, T p, T q) {
              return T(0.5) * ((fn.value(r + p) - fn.value(r)) + (fn.value(r + q + p) - fn.value(r + q)));
            }, pos.view(), x0, dp.cview(), dn.cview());
      l.map([](const auto& fn, T r, T p, T q) {
              return T(0.5) * ((fn.value(r + q) - fn.value(r)) + (fn.value(r + p + q) - fn.value(r + p)));
            }, neg.view(), x0, dp.cview(), dn.cview());
    } else {
      for (Index i = 0; i < x0.size(); ++i) {
        const T r = x0[i], p = dp[i], q = dn[i];
        pos[i] = T(0.5) * ((l.value(r + p) - l.value(r)) + (l.value(r + q + p) - l.value(r + q)));
        neg[i] = T(0.5) * ((l.value(r + q) - l.value(r)) + (l.value(r + p + q) - l.value(r + p)));
      }
    }
  }

  template <class T>
  static void sign_split(ConstView<T> x, ConstView<T> x0, Tensor<T>& pos, Tensor<T>& neg) {
    pos.resize(x.shape());
    neg.resize(x.shape());
    for (Index i = 0; i < x.size(); ++i) {
      const T d = x[i] - x0[i];
      pos[i] = d > T(0) ? d : T(0);
      neg[i] = d < T(0) ? d : T(0);
    }
  }
  /// Positive / negative parts of a linear map of a split difference (bias cancels).
  template <class L, class T>
  static void mix(const L& l, ConstView<T> dp, ConstView<T> dn, Tensor<T>& pos, Tensor<T>& neg, const Shape& out,
                  Workspace<T>& ws) {
    auto f = ws.frame();
    Tensor<T>& t = f.tensor(out);
    pos.resize(out);
    neg.resize(out);
    l.forward_transformed(transform::Positive{}, BiasMode::none, dp, pos.view(), ws);
    l.forward_transformed(transform::Negative{}, BiasMode::none, dn, t.view(), ws);
    pos.vec() += t.vec();
    l.forward_transformed(transform::Negative{}, BiasMode::none, dp, neg.view(), ws);
    l.forward_transformed(transform::Positive{}, BiasMode::none, dn, t.view(), ws);
    neg.vec() += t.vec();
  }

  template <class L, class T>
  void collapse(const L& l, Step<T, MultiplierPair<T>>& s) const {
    const auto x0 = s.ref_x();
    auto f = s.ws.frame();
    Tensor<T>& a = f.tensor(s.x.shape());  // multiplier for dx > 0
    Tensor<T>& b = f.tensor(s.x.shape());  // for dx < 0
    Tensor<T>& t = f.tensor(s.x.shape());
    if (s.out.pos.vec() == s.out.neg.vec()) {
      // m+ = m- (everywhere in Rescale mode): both cases reduce to one product, W^T m for the
      // standard rule and W+^T m for the ablation (the dx = 0 case gives W^T m as well).
      if (linear == DeepLiftLinear::standard) {
        l.backward_transformed(transform::Identity{}, s.out.pos, s.in.pos, s.ws);
      } else {
        l.backward_transformed(transform::Positive{}, s.out.pos, a.view(), s.ws);
        bool any_zero = false;
        for (Index i = 0; i < s.x.size(); ++i) any_zero = any_zero || s.x[i] == x0[i];
        if (any_zero) l.backward_transformed(transform::Identity{}, s.out.pos, t.view(), s.ws);
        for (Index i = 0; i < s.x.size(); ++i) s.in.pos[i] = s.x[i] == x0[i] ? t[i] : a[i];
      }
      s.in.neg.vec() = s.in.pos.vec();
      return;
    }
    l.backward_transformed(transform::Positive{}, s.out.pos, a.view(), s.ws);
    l.backward_transformed(transform::Positive{}, s.out.neg, b.view(), s.ws);
    if (linear == DeepLiftLinear::standard) {
      l.backward_transformed(transform::Negative{}, s.out.neg, t.view(), s.ws);
      a.vec() += t.vec();
      l.backward_transformed(transform::Negative{}, s.out.pos, t.view(), s.ws);
      b.vec() += t.vec();
    }
    bool any_zero = false;
    for (Index i = 0; i < s.x.size(); ++i) {
      const T d = s.x[i] - x0[i];
      const T m = d > T(0) ? a[i] : b[i];
      s.in.pos[i] = m;
      any_zero = any_zero || d == T(0);
    }
    if (any_zero) {  // dx = 0: W^T (m+ + m-) / 2
      Tensor<T>& mean = f.tensor(s.y.shape());
      mean.vec() = T(0.5) * (s.out.pos.vec() + s.out.neg.vec());
      l.backward_transformed(transform::Identity{}, mean.cview(), t.view(), s.ws);
      for (Index i = 0; i < s.x.size(); ++i)
        if (s.x[i] == x0[i]) s.in.pos[i] = t[i];
    }
    s.in.neg.vec() = s.in.pos.vec();
  }

  template <class P, class T>
  void cross_max(const P& l, Step<T, MultiplierPair<T>>& s, const Tensor<T>& g, Tensor<T>& out) const {
    const auto x0 = s.ref_x(), y0 = s.ref_y();
    auto f = s.ws.frame();
    Tensor<Index>& ia = f.index_tensor(s.y.shape());
    Tensor<Index>& ib = f.index_tensor(s.y.shape());
    l.argmax(s.x, ia.view());
    l.argmax(x0, ib.view());
    Tensor<T>& num = f.tensor(s.x.shape());
    num.set_zero();
    for (Index k = 0; k < s.y.size(); ++k) {
      const T ym = std::max(s.y[k], y0[k]);
      if (ia[k] >= 0) num[ia[k]] += (ym - y0[k]) * g[k];
      if (ib[k] >= 0) num[ib[k]] += (s.y[k] - ym) * g[k];
    }
    Tensor<T>& grad = f.tensor(s.x.shape());
    l.backward(s.x, g, grad.view(), s.ws);
    for (Index i = 0; i < s.x.size(); ++i) {
      const T d = s.x[i] - x0[i];
      out[i] = std::abs(d) >= T(near_zero) ? num[i] / d : grad[i];
    }
  }
};

/// The common configurations.
inline DeepLift DeepLiftRescale() { return DeepLift(DeepLiftNonlinear::rescale); }
inline DeepLift DeepLiftRevealCancel() { return DeepLift(DeepLiftNonlinear::reveal_cancel); }
inline DeepLift DeepLiftGenomicsDefault() { return DeepLift(DeepLiftNonlinear::genomics_default); }
/// Sixt et al.'s ablation: Rescale with only W+ carrying the multipliers in Dense/Conv2d.
inline DeepLift DeepLiftAblation() { return DeepLift(DeepLiftNonlinear::rescale, DeepLiftLinear::ablation); }

ATTRIB_END_NAMESPACE
