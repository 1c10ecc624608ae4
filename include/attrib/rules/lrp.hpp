#pragma once
// The LRP family. Each rule reads like its formula (notation of docs/rules.md: x input,
// W weights, b bias, R relevance, stab(z) = z + eps*sign(z), sign(0) = +1):
//
//   LrpZ            R_i = x_i sum_j w_ij R_j / z_j                     (eps = 0, 0/0 := 0)
//   LrpEpsilon      R_i = x_i sum_j w_ij R_j / stab(z_j)
//   LrpZPlus        R_i = sum_j (x+_i w+_ij + x-_i w-_ij) R_j / stab(sum_i' ...)  (+ b+ optional)
//   LrpAlphaBeta    alpha * (the z+ term) - beta * (x+ w- + x- w+ term)  (alpha - beta = 1)
//   LrpGamma        Zennit's generalised gamma: W + gamma W+ (on the sign that agrees with z_j)
//   LrpFlat         R_i = sum_j R_j / stab(n_j)                          (no input, no bias)
//   LrpWSquare      R_i = sum_j w_ij^2 R_j / stab(sum_i' w_i'j^2 [+ b_j^2])   (no input)
//   LrpZBox         R_i = sum_j (x_i w_ij - l_i w+_ij - h_i w-_ij) R_j / stab(z_j - l w+ - h w-)
//   ExcitationBackprop  R_i = x_i sum_j w+_ij R_j / sum_i' x_i' w+_i'j   (no bias, 0/0 := 0)
//
// All apply to every linear layer (Dense, Conv2d, AvgPool2d, AdaptiveAvgPool2d, BatchNorm2d,
// Normalize, ...) and to LayerNorm as the linear map with sigma detached (conservative
// propagation, Ali et al. 2022); other layers behave as LrpCommon says (attrib/rules/lrp_base.hpp).
#include "attrib/core/config.hpp"
#include <string>

#include "attrib/rules/lrp_base.hpp"

ATTRIB_BEGIN_NAMESPACE

// Every rule's formula on a linear map, written once per rule after the macro as
// linear_backward(layer, s); backward() hands it the layer, or for LayerNorm the linear map
// with sigma detached at the layer's input (lrp::with_linear_map).
#define ATTRIB_LRP_LINEAR_OVERLOAD                                                          \
  using LrpCommon::backward;                                                                \
  template <class L, class T, class S, class = std::enable_if_t<lrp::is_lrp_linear_v<L>>>   \
  void backward(const L& l, Step<T, S>& s) const {                                          \
    lrp::with_linear_map(l, s.x, s.ws, [&](const auto& map) { this->linear_backward(map, s); }); \
  }                                                                                         \
  template <class L, class T, class S>                                                      \
  void linear_backward(const L& layer, Step<T, S>& s) const

/// LRP-0 (Bach et al. 2015): no stabiliser; zero denominators drop their relevance.
struct LrpZ : LrpCommon {
  static constexpr const char* name = "LrpZ";
  bool bias = true;  ///< bias in the denominator (absorbs relevance, as in Zennit/Captum/iNNvestigate)
  LrpZ() { eps = 0; }
  explicit LrpZ(bool with_bias) : LrpZ() { bias = with_bias; }

  ATTRIB_LRP_LINEAR_OVERLOAD {
    lrp::redistribute(layer, s.x, s.out, s.in, s.ws, eps, T(1), false,
                      lrp::term(s.x, transform::Identity{}, bias ? BiasMode::transformed : BiasMode::none));
  }
};

/// LRP-epsilon: stabiliser eps with the sign of the denominator (sign(0) = +1).
struct LrpEpsilon : LrpCommon {
  static constexpr const char* name = "LrpEpsilon";
  bool bias = true;
  explicit LrpEpsilon(double epsilon = 1e-6, bool with_bias = true) {
    if (!(epsilon >= 0)) raise<ParameterError>("param.051", "LrpEpsilon: epsilon = ", epsilon, ", must be >= 0");
    eps = epsilon;
    bias = with_bias;
  }
  ATTRIB_LRP_LINEAR_OVERLOAD {
    lrp::redistribute(layer, s.x, s.out, s.in, s.ws, eps, T(1), false,
                      lrp::term(s.x, transform::Identity{}, bias ? BiasMode::transformed : BiasMode::none));
  }
};

/// z+ rule (= alpha1beta0), correct for negative inputs too: positive contributions x+ w+ and
/// x- w-. Default without bias (conservative, as DTD and iNNvestigate); `bias = true` adds b+
/// (Zennit's ZPlus).
struct LrpZPlus : LrpCommon {
  static constexpr const char* name = "LrpZPlus";
  bool bias = false;
  explicit LrpZPlus(bool with_bias = false, double stabilizer = 1e-6) {
    bias = with_bias;
    eps = stabilizer;
  }
  ATTRIB_LRP_LINEAR_OVERLOAD {
    auto f = s.ws.frame();
    const auto xp = lrp::part<T>(s.x, +1, f), xn = lrp::part<T>(s.x, -1, f);
    lrp::redistribute(layer, s.x, s.out, s.in, s.ws, eps, T(1), false,
                      lrp::term(xp, transform::Positive{}, bias ? BiasMode::transformed : BiasMode::none),
                      lrp::term(xn, transform::Negative{}));
  }
};

/// LRP-alpha-beta (alpha - beta = 1, alpha >= 1, beta >= 0, checked). Positive contributions
/// x+ w+ + x- w- (+ b+) and negative ones x+ w- + x- w+ (+ b-) are normalised separately
/// (Zennit's convention; iNNvestigate adds the full bias to both, see docs/rules.md). A unit
/// without negative contributions passes alpha R_j, one without positive ones -beta R_j.
struct LrpAlphaBeta : LrpCommon {
  static constexpr const char* name = "LrpAlphaBeta";
  double alpha = 2, beta = 1;
  bool bias = false;
  explicit LrpAlphaBeta(double a = 2, double b = 1, bool with_bias = false, double stabilizer = 1e-6)
      : alpha(a), beta(b), bias(with_bias) {
    if (!(a >= 1) || !(b >= 0) || std::abs(a - b - 1) > 1e-12)
      raise<ParameterError>("param.052", "LrpAlphaBeta: alpha = ", a, ", beta = ", b,
                            "; need alpha - beta = 1, alpha >= 1, beta >= 0 (e.g. (1, 0), (2, 1), (5, 4))");
    eps = stabilizer;
  }
  std::string display_name() const {
    return "LrpAlpha" + detail::cat(alpha) + "Beta" + detail::cat(beta);
  }
  ATTRIB_LRP_LINEAR_OVERLOAD {
    auto f = s.ws.frame();
    const auto xp = lrp::part<T>(s.x, +1, f), xn = lrp::part<T>(s.x, -1, f);
    const BiasMode bm = bias ? BiasMode::transformed : BiasMode::none;
    lrp::redistribute(layer, s.x, s.out, s.in, s.ws, eps, T(alpha), false,
                      lrp::term(xp, transform::Positive{}, bm), lrp::term(xn, transform::Negative{}));
    if (beta != 0)
      lrp::redistribute(layer, s.x, s.out, s.in, s.ws, eps, T(-beta), true,
                        lrp::term(xp, transform::Negative{}, bm), lrp::term(xn, transform::Positive{}));
  }
};

/// LRP-gamma, Zennit's generalisation to signed inputs: for output units with z_j > 0 the
/// weights W + gamma W+ act on x+ and W + gamma W- on x-; for z_j <= 0 the other way round.
/// For x >= 0 and z_j > 0 this is Montavon et al.'s (W + gamma W+).
struct LrpGamma : LrpCommon {
  static constexpr const char* name = "LrpGamma";
  double gamma = 0.25;
  bool bias = true;
  explicit LrpGamma(double g = 0.25, bool with_bias = true, double stabilizer = 1e-6) : gamma(g), bias(with_bias) {
    if (!(g >= 0)) raise<ParameterError>("param.053", "LrpGamma: gamma = ", g, ", must be >= 0");
    eps = stabilizer;
  }
  ATTRIB_LRP_LINEAR_OVERLOAD {
    auto f = s.ws.frame();
    const auto xp = lrp::part<T>(s.x, +1, f), xn = lrp::part<T>(s.x, -1, f);
    const BiasMode bm = bias ? BiasMode::transformed : BiasMode::none;
    const transform::Affine<double> up{1, gamma, 0}, down{1, 0, gamma};
    // Split R by the sign of the unmodified output z_j.
    Tensor<T>& rp = f.tensor(s.out.shape());
    Tensor<T>& rn = f.tensor(s.out.shape());
    layer.forward_transformed(transform::Identity{}, bm, s.x, rp.view(), s.ws);
    for (Index j = 0; j < rp.size(); ++j) {
      const bool pos = rp[j] > T(0);
      rp[j] = pos ? s.out[j] : T(0);
      rn[j] = pos ? T(0) : s.out[j];
    }
    lrp::redistribute(layer, s.x, rp.cview(), s.in, s.ws, eps, T(1), false, lrp::term(xp, up, bm), lrp::term(xn, down));
    lrp::redistribute(layer, s.x, rn.cview(), s.in, s.ws, eps, T(1), true, lrp::term(xp, down, bm), lrp::term(xn, up));
  }
};

/// Flat rule: relevance spread uniformly over each unit's receptive field, R_j / stab(n_j).
/// Default without stabiliser (exactly conservative); Zennit's Flat uses 1e-6.
struct LrpFlat : LrpCommon {
  static constexpr const char* name = "LrpFlat";
  explicit LrpFlat(double stabilizer = 0) {
    if (!(stabilizer >= 0)) raise<ParameterError>("param.056", "LrpFlat: stabilizer = ", stabilizer, ", must be >= 0");
    eps = stabilizer;
  }
  ATTRIB_LRP_LINEAR_OVERLOAD {
    lrp::redistribute(layer, s.x, s.out, s.in, s.ws, eps, T(1), false,
                      lrp::term(ConstView<T>(), transform::Ones{}));
  }
};

/// w^2 rule (Montavon et al. 2017) for unbounded real inputs. Default without bias and
/// stabiliser (exactly conservative); `squared_bias = true` adds b_j^2 to the denominator as
/// Zennit's WSquare does (it squares every parameter; its stabiliser is 1e-6).
struct LrpWSquare : LrpCommon {
  static constexpr const char* name = "LrpWSquare";
  bool squared_bias = false;
  explicit LrpWSquare(bool with_squared_bias = false, double stabilizer = 0) : squared_bias(with_squared_bias) {
    if (!(stabilizer >= 0))
      raise<ParameterError>("param.057", "LrpWSquare: stabilizer = ", stabilizer, ", must be >= 0");
    eps = stabilizer;
  }
  ATTRIB_LRP_LINEAR_OVERLOAD {
    lrp::redistribute(layer, s.x, s.out, s.in, s.ws, eps, T(1), false,
                      lrp::term(ConstView<T>(), transform::Square{},
                                squared_bias ? BiasMode::transformed : BiasMode::none));
  }
};

/// z^B rule for inputs bounded by low <= x <= high (pixel layer). Bounds are scalars, one value
/// per channel ([C]) or tensors of the input's per-sample shape; the bias is not used.
struct LrpZBox : LrpCommon {
  static constexpr const char* name = "LrpZBox";
  Tensor<double> low, high;
  LrpZBox(double lo, double hi, double stabilizer = 1e-6)
      : LrpZBox(Tensor<double>(Shape{1}, lo), Tensor<double>(Shape{1}, hi), stabilizer) {}
  LrpZBox(Tensor<double> lo, Tensor<double> hi, double stabilizer = 1e-6) : low(std::move(lo)), high(std::move(hi)) {
    if (low.shape() != high.shape())
      raise<ParameterError>("param.054", "LrpZBox: low has shape ", low.shape(), ", high ", high.shape());
    for (Index i = 0; i < low.size(); ++i)
      if (!(low[i] <= high[i]))
        raise<ParameterError>("param.055", "LrpZBox: low[", i, "] = ", low[i], " > high[", i, "] = ", high[i]);
    eps = stabilizer;
  }
  ATTRIB_LRP_LINEAR_OVERLOAD {
    auto f = s.ws.frame();
    const auto l = broadcast(low, s.x, s.node, f), h = broadcast(high, s.x, s.node, f);
    lrp::redistribute(layer, s.x, s.out, s.in, s.ws, eps, T(1), false, lrp::term(s.x, transform::Identity{}),
                      lrp::term(l, transform::Positive{}, BiasMode::none, T(-1)),
                      lrp::term(h, transform::Negative{}, BiasMode::none, T(-1)));
  }

 private:
  template <class T>
  static ConstView<T> broadcast(const Tensor<double>& b, ConstView<T> x, const NodeInfo& node,
                                typename Workspace<T>::Frame& f) {
    Tensor<T>& t = f.tensor(x.shape());
    const Index n = x.shape().batch(), per = x.shape().sample_size();
    const Index channels = x.rank() >= 2 ? x.dim(1) : 1, plane = channels ? per / channels : 0;
    if (b.size() == 1) {
      t.fill(static_cast<T>(b[0]));
    } else if (b.rank() == 1 && b.size() == channels) {
      for (Index i = 0; i < n; ++i)
        for (Index c = 0; c < channels; ++c)
          for (Index p = 0; p < plane; ++p) t[(i * channels + c) * plane + p] = static_cast<T>(b[c]);
    } else if (b.size() == per) {
      for (Index i = 0; i < n; ++i)
        for (Index p = 0; p < per; ++p) t[i * per + p] = static_cast<T>(b[p]);
    } else if (b.shape() == x.shape()) {
      for (Index i = 0; i < x.size(); ++i) t[i] = static_cast<T>(b[i]);
    } else {
      raise<ShapeError>("shape.050", "LrpZBox at ", node.kind, " '", node.name, "': bounds of shape ", b.shape(),
                        " do not fit the input ", x.shape(), " (use a scalar, [C], the sample shape or the full shape)");
    }
    return t.cview();
  }
};

/// Excitation Backprop (Zhang et al. 2016): marginal winning probabilities, x w+ without bias,
/// 0/0 := 0 (no stabiliser), as the reference Caffe code.
struct ExcitationBackprop : LrpCommon {
  static constexpr const char* name = "ExcitationBackprop";
  ExcitationBackprop() { eps = 0; }
  ATTRIB_LRP_LINEAR_OVERLOAD {
    lrp::redistribute(layer, s.x, s.out, s.in, s.ws, eps, T(1), false, lrp::term(s.x, transform::Positive{}));
  }
};

#undef ATTRIB_LRP_LINEAR_OVERLOAD

ATTRIB_END_NAMESPACE
