#pragma once
// ONNX converters for element-wise ops on activations: Sigmoid, Tanh, Clip (Clip(0, 6) is
// ReLU6), HardSigmoid, HardSwish, LeakyRelu, PRelu, Elu, Softplus, Gelu; Add / Sub / Mul / Div
// of an activation and a constant (ConstAffine, or a bias fold for Add); Mul of two activations
// (Mul with a gate, or SiLU / HardSwish when it is x * Sigmoid(x) / x * HardSigmoid(x)); and
// GELU from its decomposition x * 0.5 * (1 + Erf(x / sqrt 2)). Constants on both sides are
// folded by the converters of onnx_fold.hpp. Part of attrib::onnx (needs libonnx).
#include "attrib/core/config.hpp"
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "attrib/io/detail/onnx_layers.hpp"
#include "attrib/layers/activations.hpp"
#include "attrib/layers/const_affine.hpp"
#include "attrib/layers/mul.hpp"
#include "attrib/layers/prelu.hpp"
#include "attrib/layers/rectifiers.hpp"

ATTRIB_BEGIN_NAMESPACE
namespace detail::onnxio {

/// Appends a pattern's nodes under `what`, one entry per construct kind (counts in the text).
template <class T>
void recognise(Importer<T>& im, const std::string& what, const std::vector<std::string>& nodes) {
  for (auto& p : im.report.patterns)
    if (p.what == what) {
      p.nodes.insert(p.nodes.end(), nodes.begin(), nodes.end());
      return;
    }
  im.report.recognised(what, nodes);
}

/// Adds element-wise layer `layer` on input 0 of n.
template <class T, class L>
void add_activation(Importer<T>& im, const Node& n, const Where& w, L layer, bool nonnegative = false) {
  Value y = im.add(w, std::move(layer), im.activation(n, 0, w));
  y.nonnegative = nonnegative;
  im.define(n, 0, std::move(y));
}

template <class T>
void convert_sigmoid(Importer<T>& im, const Node& n, const Where& w) {
  Attrs a(n, w, {});
  add_activation(im, n, w, Sigmoid<T>(), true);
}

template <class T>
void convert_tanh(Importer<T>& im, const Node& n, const Where& w) {
  Attrs a(n, w, {});
  add_activation(im, n, w, Tanh<T>());
}

/// ONNX Softplus is log(1 + exp(x)) without PyTorch's linear branch: threshold +inf.
template <class T>
void convert_softplus(Importer<T>& im, const Node& n, const Where& w) {
  Attrs a(n, w, {});
  add_activation(im, n, w, Softplus<T>(T(1), std::numeric_limits<T>::infinity()), true);
}

template <class T>
void convert_elu(Importer<T>& im, const Node& n, const Where& w) {
  Attrs a(n, w, {"alpha"});
  add_activation(im, n, w, ELU<T>(static_cast<T>(float_attribute(a.f("alpha", 1.0)))));
}

template <class T>
void convert_leaky_relu(Importer<T>& im, const Node& n, const Where& w) {
  Attrs a(n, w, {"alpha"});
  add_activation(im, n, w, LeakyReLU<T>(static_cast<T>(float_attribute(a.f("alpha", 0.01)))));
}

template <class T>
void convert_hard_sigmoid(Importer<T>& im, const Node& n, const Where& w) {
  Attrs a(n, w, {"alpha", "beta"});
  add_activation(im, n, w, HardSigmoid<T>(static_cast<T>(float_attribute(a.f("alpha", 0.2))),
                                          static_cast<T>(float_attribute(a.f("beta", 0.5)))), true);
}

template <class T>
void convert_hard_swish(Importer<T>& im, const Node& n, const Where& w) {
  Attrs a(n, w, {});
  add_activation(im, n, w, HardSwish<T>());
}

template <class T>
void convert_gelu(Importer<T>& im, const Node& n, const Where& w) {
  Attrs a(n, w, {"approximate"});
  const std::string approx = a.s("approximate", "none");
  if (approx != "none" && approx != "tanh") fail("io.212", w, "approximate = \"", approx, "\"; supported: none, tanh");
  add_activation(im, n, w, GELU<T>(approx == "none" ? GeluApproximation::none : GeluApproximation::tanh));
}

/// A scalar constant input (one element), or `def` when the input is absent.
template <class T>
double scalar_input(Importer<T>& im, const Node& n, int k, const Where& w, const char* what, double def) {
  if (!Importer<T>::has_input(n, k)) return def;
  const Constant& c = im.constant(n, k, w, what);
  if (c.size() != 1) fail("io.212", w, what, " has shape ", dims_str(c.dims), "; expected a scalar");
  return c.real(0);
}

/// Clip(min, max) (attributes before opset 11, optional inputs after); Clip(0, 6) is how
/// PyTorch exports ReLU6 and becomes attrib's ReLU6 (PyTorch's derivative at the kinks).
template <class T>
void convert_clip(Importer<T>& im, const Node& n, const Where& w) {
  Attrs a(n, w, {"max", "min"});
  const double inf = std::numeric_limits<double>::infinity();
  const double lo = a.has("min") ? a.f("min", -inf) : scalar_input(im, n, 1, w, "min", -inf);
  const double hi = a.has("max") ? a.f("max", inf) : scalar_input(im, n, 2, w, "max", inf);
  if (lo == 0 && hi == 6) {
    add_activation(im, n, w, ReLU6<T>(), true);
    recognise(im, "ReLU6 from Clip(0, 6)", {w.name});
    return;
  }
  add_activation(im, n, w, Clip<T>(static_cast<T>(lo), static_cast<T>(hi)), lo >= 0);
}

/// PRelu with a constant slope: one value, or one per channel (shape [C], [C, 1, 1], ...).
template <class T>
void convert_prelu(Importer<T>& im, const Node& n, const Where& w) {
  Attrs a(n, w, {});
  const Value& x = im.activation(n, 0, w);
  const Constant& c = im.constant(n, 1, w, "slope");
  const auto r = static_cast<std::int64_t>(x.shape.rank());
  const auto v = channel_values(c, x.shape, r - static_cast<std::int64_t>(c.dims.size()), w, "slope");
  PReLU<T> p(c.size() == 1 ? Index(1) : static_cast<Index>(v.size()));
  auto weight = p.weight().mutable_view();
  for (Index k = 0; k < weight.size(); ++k) weight[k] = static_cast<T>(v[static_cast<std::size_t>(k)]);
  add_activation(im, n, w, std::move(p));
}

/// The pending layer producing activation v, if it is an L.
template <class L, class T>
const L* produced_by(Importer<T>& im, const Value& v) {
  if (v.kind != Value::Kind::activation || v.node < 0) return nullptr;
  return std::get_if<L>(&im.pending(v.node).layer);
}

/// The values of a constant operand against activation x: one value (scalar) or one per channel.
inline std::vector<double> affine_values(const Constant& c, const Value& x, const Where& w) {
  if (c.size() == 1 && !c.integer) return {c.real(0)};
  const auto r = static_cast<std::int64_t>(x.shape.rank());
  return channel_values(c, x.shape, r - static_cast<std::int64_t>(c.dims.size()), w, "the constant operand");
}

template <class T>
std::vector<T> as_t(const std::vector<double>& v) {
  return std::vector<T>(v.begin(), v.end());
}

// --- GELU from x * 0.5 * (1 + Erf(x / sqrt 2)), node by node (Value::Kind::partial) ---

inline bool near(double a, double b) { return std::abs(a - b) <= 1e-6 * std::abs(b); }

/// Erf is supported as the start of GELU's decomposition: its input is x / sqrt 2 (Div by
/// sqrt 2 or Mul by 1 / sqrt 2, already imported as a ConstAffine of x used only here).
template <class T>
void convert_erf(Importer<T>& im, const Node& n, const Where& w) {
  Attrs a(n, w, {});
  const Value& u = im.activation(n, 0, w);
  const auto* scaled = produced_by<ConstAffine<T>>(im, u);
  if (!scaled || scaled->channels() != 1 || scaled->shift()[0] != T(0) ||
      !near(static_cast<double>(scaled->scale()[0]), 0.70710678118654752440) || im.uses(n.input(0)) != 1)
    fail("io.210", w, "Erf is supported only inside GELU's decomposition x * 0.5 * (1 + Erf(x / sqrt 2)) (x / sqrt 2 "
         "as Div or Mul by a constant, used only by the Erf); attrib has no Erf layer");
  const PendingNode<T>& p = im.pending(u.node);
  Value v;
  v.kind = Value::Kind::partial;
  v.pattern = "GELU";
  v.stage = 1;
  v.node = p.inputs.at(0);
  v.shape = u.shape;
  v.nodes = {p.name, w.name};
  im.define(n, 0, std::move(v));
}

/// Add(erf, 1) in GELU's decomposition.
template <class T>
bool gelu_add(Importer<T>& im, const Node& n, const Where& w) {
  const Value& x0 = im.value(n, 0, w);
  const Value& x1 = im.value(n, 1, w);
  const Value& p = x0.kind == Value::Kind::partial ? x0 : x1;
  const Value& c = x0.kind == Value::Kind::partial ? x1 : x0;
  if (p.kind != Value::Kind::partial) return false;
  if (p.pattern != "GELU" || p.stage != 1 || !c.is_constant() || c.c.size() != 1 || c.c.real(0) != 1.0)
    fail("io.214", w, "adds to an intermediate of a ", p.pattern, " (nodes ", dims_names(p.nodes), "); expected 1 + "
         "Erf(x / sqrt 2) of GELU's decomposition");
  Value v = p;
  v.stage = 2;
  v.nodes.push_back(w.name);
  im.define(n, 0, std::move(v));
  return true;
}

/// Mul in GELU's decomposition: (1 + erf) times x, times 0.5, or times a ConstAffine 0.5 x; the
/// last factor gives the GELU layer on x.
template <class T>
bool gelu_mul(Importer<T>& im, const Node& n, const Where& w) {
  const Value& x0 = im.value(n, 0, w);
  const Value& x1 = im.value(n, 1, w);
  const int k = x0.kind == Value::Kind::partial ? 0 : x1.kind == Value::Kind::partial ? 1 : -1;
  if (k < 0) return false;
  const Value& p = k == 0 ? x0 : x1;
  const Value& o = k == 0 ? x1 : x0;
  Value v = p;
  const auto* half_x = produced_by<ConstAffine<T>>(im, o);
  bool ok = p.pattern == "GELU" && p.stage == 2 && o.kind != Value::Kind::partial;
  if (ok && o.is_constant() && o.c.size() == 1 && o.c.real(0) == 0.5 && !v.has_half) {
    v.has_half = true;
  } else if (ok && !o.is_constant() && o.node == p.node && o.shape == p.shape && !v.has_x) {
    v.has_x = true;
  } else if (ok && half_x && !v.has_x && !v.has_half && half_x->channels() == 1 && half_x->shift()[0] == T(0) &&
             half_x->scale()[0] == T(0.5) && im.pending(o.node).inputs.at(0) == p.node && im.uses(n.input(1 - k)) == 1) {
    v.has_x = v.has_half = true;
    v.nodes.push_back(im.pending(o.node).name);
  } else {
    fail("io.214", w, "multiplies an intermediate of a ", p.pattern, " (nodes ", dims_names(p.nodes), ") by '",
         n.input(1 - k), "'; expected x * 0.5 * (1 + Erf(x / sqrt 2)) with the same x");
  }
  v.nodes.push_back(w.name);
  if (!(v.has_x && v.has_half)) return im.define(n, 0, std::move(v)), true;
  Value x = Value::activation(p.node, p.shape);
  im.define(n, 0, im.add(w, GELU<T>(GeluApproximation::none), x));
  recognise(im, "GELU from Div/Erf/Add/Mul/Mul (x * 0.5 * (1 + erf(x / sqrt 2)))", v.nodes);
  return true;
}

// --- Add / Sub / Mul / Div ---

// LayerNorm's decomposition and last-axis constants (onnx_layer_norm.hpp).
template <class T>
bool layer_norm_binary(Importer<T>& im, const Node& n, const Where& w, char op);
template <class T>
bool fold_last_axis(Importer<T>& im, const Node& n, const Where& w, char op, int k);

/// An activation (operand k) with a constant: Add folds into the bias of the Conv / Gemm /
/// MatMul / BatchNormalization before it when that feeds nothing else, otherwise (and for Sub,
/// Mul, Div) a ConstAffine layer y = a x + b with a scalar or per-channel constant.
template <class T>
void affine_with_constant(Importer<T>& im, const Node& n, const Where& w, char op, int k) {
  const Value& x = im.activation(n, k, w);
  const Constant& c = im.constant(n, 1 - k, w, "the constant operand");
  if (op == '/' && k == 1)
    fail("io.210", w, "a constant divided by an activation (a reciprocal); attrib has no layer for it");
  if (fold_last_axis(im, n, w, op, k)) return;
  const auto v = affine_values(c, x, w);
  if (op == '+' && im.uses(n.input(k)) == 1 && x.node >= 0) {
    std::vector<double> b = v;
    if (b.size() == 1 && x.shape.rank() >= 2) b.assign(static_cast<std::size_t>(x.shape[1]), v[0]);
    if (fold_bias(im, x, b)) return im.define(n, 0, x);
  }
  ConstAffine<T> layer = op == '+'  ? ConstAffine<T>::plus(as_t<T>(v))
                         : op == '*' ? ConstAffine<T>::times(as_t<T>(v))
                         : op == '/' ? ConstAffine<T>::divided_by(as_t<T>(v))
                         : k == 0    ? ConstAffine<T>::minus(as_t<T>(v))
                                     : ConstAffine<T>::subtracted_from(as_t<T>(v));
  im.define(n, 0, im.add(w, std::move(layer), x));
}

/// Mul of two activations: SiLU for x * Sigmoid(x), HardSwish for x * HardSigmoid(x) (PyTorch's
/// 1/6, 1/2) when the sigmoid feeds only this Mul; otherwise a Mul layer whose gate (for LRP's
/// signal-take-all) is the broadcast operand, else the one a Sigmoid / HardSigmoid produced.
template <class T>
void mul_activations(Importer<T>& im, const Node& n, const Where& w) {
  const Value& a = im.activation(n, 0, w);
  const Value& b = im.activation(n, 1, w);
  for (int k = 0; k < 2; ++k) {
    const Value& x = k == 0 ? a : b;
    const Value& s = k == 0 ? b : a;
    if (x.shape != s.shape || s.node < 0 || im.pending(s.node).inputs.at(0) != x.node || im.uses(n.input(1 - k)) != 1)
      continue;
    const std::string gate = im.pending(s.node).name;
    if (produced_by<Sigmoid<T>>(im, s)) {
      im.define(n, 0, im.add(w, SiLU<T>(), x));
      return recognise(im, "SiLU from Sigmoid/Mul (x * sigmoid(x))", {gate, w.name});
    }
    const auto* hs = produced_by<HardSigmoid<T>>(im, s);
    if (hs && hs->function().alpha() == T(1) / T(6) && hs->function().beta() == T(0.5)) {
      im.define(n, 0, im.add(w, HardSwish<T>(), x));
      return recognise(im, "HardSwish from HardSigmoid/Mul (x * hardsigmoid(x))", {gate, w.name});
    }
  }
  Mul<T> m;
  int gate = Mul<T>::broadcast_operand(a.shape, b.shape);
  std::string why = "the broadcast operand";
  if (gate < 0) {
    const bool sa = produced_by<Sigmoid<T>>(im, a) || produced_by<HardSigmoid<T>>(im, a);
    const bool sb = produced_by<Sigmoid<T>>(im, b) || produced_by<HardSigmoid<T>>(im, b);
    gate = sa == sb ? -1 : sa ? 0 : 1;
    why = "the Sigmoid / HardSigmoid output";
  }
  m.set_gate(gate);
  im.define(n, 0, im.add(w, std::move(m), a, &b));
  recognise(im, gate < 0 ? std::string("Mul of two activations without a gate (neither operand broadcast nor a "
                                       "sigmoid output: LRP splits as for an unknown gate)")
                         : "Mul gate = " + why, {w.name});
}

/// Add: GELU's 1 + erf, an activation plus a constant (bias fold or ConstAffine), otherwise
/// the residual sum of two activations or a fold of two constants (convert_add).
template <class T>
void convert_add_any(Importer<T>& im, const Node& n, const Where& w) {
  Attrs a(n, w, {"axis", "broadcast", "consumed_inputs"});
  if (layer_norm_binary(im, n, w, '+') || gelu_add(im, n, w)) return;
  const Value& x0 = im.value(n, 0, w);
  const Value& x1 = im.value(n, 1, w);
  if (x0.is_constant() != x1.is_constant() && !(a.i("broadcast", 0) && a.has("axis")))
    return affine_with_constant(im, n, w, '+', x0.is_constant() ? 1 : 0);
  convert_add(im, n, w);
}

/// Sub, Mul, Div: constants folded; an activation with a constant as ConstAffine; Mul of two
/// activations as Mul / SiLU / HardSwish; GELU's factors.
template <class T, char Op>
void convert_binary(Importer<T>& im, const Node& n, const Where& w) {
  Attrs a(n, w, {});
  if (Op != '*' && layer_norm_binary(im, n, w, Op)) return;
  if (Op == '*' && gelu_mul(im, n, w)) return;
  const Value& x0 = im.value(n, 0, w);
  const Value& x1 = im.value(n, 1, w);
  if (x0.is_constant() && x1.is_constant()) return convert_arithmetic<T, Op>(im, n, w);
  if (x0.is_constant() || x1.is_constant()) return affine_with_constant(im, n, w, Op, x0.is_constant() ? 1 : 0);
  if (Op == '*') return mul_activations(im, n, w);
  im.activation(n, 0, w);
  im.activation(n, 1, w);
  fail("io.210", w, Op == '-' ? "a difference" : "a quotient", " of two activations; attrib has no layer for it "
       "(supported: activation and constant, or Add / Mul of two activations)");
}

}  // namespace detail::onnxio
ATTRIB_END_NAMESPACE
