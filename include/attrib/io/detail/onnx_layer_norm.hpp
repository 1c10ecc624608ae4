#pragma once
// ONNX converters for layer normalisation over the last axis and what surrounds it in
// channels-last blocks (torchvision's ConvNeXt, transformers):
//   - LayerNormalization (opset 17, axis = last) -> LayerNorm;
//   - the decomposition torch.onnx exports at opset < 17, node by node (Value::Kind::partial):
//       m = ReduceMean(x, [-1]); d = Sub(x, m); p = Pow(d, 2); v = ReduceMean(p, [-1]);
//       a = Add(v, eps); s = Sqrt(a); y = Div(d, s)                       -> LayerNorm(D, eps)
//   - constants varying along the last axis of a rank-3/4 activation folded into the layer that
//     produced it: Mul into LayerNorm's gamma (and beta), Add into LayerNorm's beta or into the
//     bias of a Dense on the last axis (MatMul + Add).
// Part of attrib::onnx (needs libonnx).
#include "attrib/core/config.hpp"
#include <string>
#include <vector>

#include "attrib/io/detail/onnx_activations.hpp"
#include "attrib/io/detail/onnx_shape_ops.hpp"
#include "attrib/layers/layer_norm.hpp"

ATTRIB_BEGIN_NAMESPACE
namespace detail::onnxio {

inline constexpr const char* layer_norm_pattern = "LayerNorm";

/// Whether `axes` (normalised) is exactly the last axis of rank r.
inline bool is_last_axis(const std::vector<std::int64_t>& axes, std::int64_t r) {
  return axes.size() == 1 && axes[0] == r - 1;
}

/// The next partial value of the decomposition.
inline Value layer_norm_stage(const Value& p, int stage, const std::string& node) {
  Value v = p;
  v.stage = stage;
  v.nodes.push_back(node);
  return v;
}

[[noreturn]] inline void layer_norm_broken(const Where& w, const Value& p, const char* expected) {
  fail("io.214", w, "reads an intermediate of a ", p.pattern, " (nodes ", dims_names(p.nodes), ") at stage ", p.stage,
       "; expected ", expected, " of LayerNorm's decomposition ReduceMean/Sub/Pow/ReduceMean/Add/Sqrt/Div over the "
       "last axis");
}

/// ReduceMean over the last axis: the start of the decomposition (on an activation) or its
/// variance (on Pow(d, 2)). Returns false for other ReduceMeans.
template <class T>
bool layer_norm_reduce_mean(Importer<T>& im, const Node& n, const Where& w, const Attrs& a) {
  const Value& x = im.value(n, 0, w);
  if (x.is_constant() || x.kind == Value::Kind::padded) return false;
  const auto r = static_cast<std::int64_t>(x.shape.rank());
  std::vector<std::int64_t> axes = ints_from(im, n, a, "axes", 1, w);
  for (auto& ax : axes) ax = norm_axis(ax, r, w, "axes");
  const bool last = is_last_axis(axes, r) && a.i("keepdims", 1) != 0;
  if (x.kind == Value::Kind::partial) {
    if (x.pattern != layer_norm_pattern || x.stage != 3 || !last) layer_norm_broken(w, x, "ReduceMean(Pow(x - mean, 2)) over the last axis");
    im.define(n, 0, layer_norm_stage(x, 4, w.name));
    return true;
  }
  if (!last || r < 2) return false;
  Value v;
  v.kind = Value::Kind::partial;
  v.pattern = layer_norm_pattern;
  v.stage = 1;
  v.node = x.node;
  v.shape = x.shape;
  v.nodes = {w.name};
  im.define(n, 0, std::move(v));
  return true;
}

/// Sub, Add, Div with a partial LayerNorm operand: x - mean, var + eps, (x - mean) / sqrt(..).
/// Returns false when neither operand is a partial LayerNorm value.
template <class T>
bool layer_norm_binary(Importer<T>& im, const Node& n, const Where& w, char op) {
  const Value& x0 = im.value(n, 0, w);
  const Value& x1 = im.value(n, 1, w);
  const bool p0 = x0.kind == Value::Kind::partial && x0.pattern == layer_norm_pattern;
  const bool p1 = x1.kind == Value::Kind::partial && x1.pattern == layer_norm_pattern;
  if (!p0 && !p1) return false;
  const Value& p = p0 ? x0 : x1;
  if (op == '-') {
    if (!p1 || p0 || x1.stage != 1 || x0.is_constant() || x0.node != x1.node || x0.shape != x1.shape)
      layer_norm_broken(w, p, "x - ReduceMean(x) with the same x");
    im.define(n, 0, layer_norm_stage(x1, 2, w.name));
    return true;
  }
  if (op == '+') {
    const Value& c = p0 ? x1 : x0;
    if (p.stage != 4 || !c.is_constant() || c.c.size() != 1 || c.c.integer || !(c.c.real(0) >= 0))
      layer_norm_broken(w, p, "the variance plus a constant epsilon >= 0");
    Value v = layer_norm_stage(p, 5, w.name);
    v.epsilon = float_attribute(c.c.real(0));
    im.define(n, 0, std::move(v));
    return true;
  }
  if (op == '/') {
    if (!p0 || !p1 || x0.stage != 2 || x1.stage != 6 || x0.node != x1.node)
      layer_norm_broken(w, p, "(x - mean) / Sqrt(variance + epsilon) of the same x");
    const Index d = x1.shape[x1.shape.rank() - 1];
    std::vector<std::string> nodes = x1.nodes;  // the variance chain includes x0's nodes (mean, sub)
    nodes.push_back(w.name);
    const Value x = Value::activation(x1.node, x1.shape);
    im.define(n, 0, im.add(w, LayerNorm<T>(d, x1.epsilon), x));
    recognise(im, "LayerNorm from ReduceMean/Sub/Pow/ReduceMean/Add/Sqrt/Div over the last axis", nodes);
    return true;
  }
  layer_norm_broken(w, p, "Sub, Add or Div");
}

/// Pow: only Pow(x - mean, 2) inside LayerNorm's decomposition.
template <class T>
void convert_pow(Importer<T>& im, const Node& n, const Where& w) {
  Attrs a(n, w, {});
  const Value& x = im.value(n, 0, w);
  const Value& e = im.value(n, 1, w);
  if (x.kind != Value::Kind::partial || x.pattern != layer_norm_pattern)
    fail("io.210", w, "Pow is supported only inside LayerNorm's decomposition (Pow(x - ReduceMean(x), 2)); attrib has "
         "no power layer");
  if (x.stage != 2 || !e.is_constant() || e.c.size() != 1 || e.c.real(0) != 2.0)
    layer_norm_broken(w, x, "Pow(x - mean, 2)");
  im.define(n, 0, layer_norm_stage(x, 3, w.name));
}

/// Sqrt: only Sqrt(variance + eps) inside LayerNorm's decomposition.
template <class T>
void convert_sqrt(Importer<T>& im, const Node& n, const Where& w) {
  Attrs a(n, w, {});
  const Value& x = im.value(n, 0, w);
  if (x.kind != Value::Kind::partial || x.pattern != layer_norm_pattern)
    fail("io.210", w, "Sqrt is supported only inside LayerNorm's decomposition (Sqrt(variance + epsilon)); attrib has "
         "no square-root layer");
  if (x.stage != 5) layer_norm_broken(w, x, "Sqrt(variance + epsilon)");
  im.define(n, 0, layer_norm_stage(x, 6, w.name));
}

/// The per-element values of a constant that varies only along the last axis of activation x
/// (rank >= 3; rank 2 is the channel axis, handled by channel_values), or an empty list.
inline std::vector<double> last_axis_values(const Constant& c, const Value& x) {
  const auto r = static_cast<std::int64_t>(x.shape.rank());
  const auto cr = static_cast<std::int64_t>(c.dims.size());
  const Index d = x.shape[x.shape.rank() - 1];
  if (c.integer || r < 3 || cr < 1 || cr > r || d == 1 || c.dims.back() != d) return {};
  for (std::int64_t j = 0; j + 1 < cr; ++j)
    if (c.dims[static_cast<std::size_t>(j)] != 1) return {};
  return c.reals;
}

/// An activation times / plus a constant along its last axis: folded into the LayerNorm (gamma,
/// beta) or the Dense (bias) that produced it when that feeds only this node. Returns false when
/// the constant does not vary along the last axis only; io.216 when it does but cannot be folded.
template <class T>
bool fold_last_axis(Importer<T>& im, const Node& n, const Where& w, char op, int k) {
  const Value& x = im.activation(n, k, w);
  const Constant& c = im.constant(n, 1 - k, w, "the constant operand");
  const std::vector<double> v = last_axis_values(c, x);
  if (v.empty()) return false;
  bool done = false;
  if ((op == '+' || op == '*') && x.node >= 0 && im.uses(n.input(k)) == 1) {
    std::visit([&](auto& layer) {
      using L = std::decay_t<decltype(layer)>;
      if constexpr (std::is_same_v<L, LayerNorm<T>>) {
        auto g = layer.weight().mutable_view();
        auto b = layer.bias().mutable_view();
        for (Index i = 0; i < b.size(); ++i) {
          const T ci = static_cast<T>(v[static_cast<std::size_t>(i)]);
          if (op == '*') g[i] *= ci, b[i] *= ci;
          else b[i] += ci;
        }
        done = true;
      } else if constexpr (std::is_same_v<L, Dense<T>>) {
        if (op == '+') {
          layer.ensure_bias();
          auto b = layer.bias().mutable_view();
          for (Index i = 0; i < b.size(); ++i) b[i] += static_cast<T>(v[static_cast<std::size_t>(i)]);
          done = true;
        }
      }
    }, im.pending(x.node).layer);
  }
  if (!done)
    fail("io.216", w, "the constant operand ", dims_str(c.dims), " varies along the last axis of the activation ",
         x.shape, "; attrib folds such constants only into the LayerNorm (Mul: scale, Add: shift) or MatMul (Add: "
         "bias) that produced the activation and feeds nothing else");
  im.define(n, 0, x);
  return true;
}

/// LayerNormalization (opset 17): axis = the last axis; Scale [D], optional B [D].
template <class T>
void convert_layer_normalization(Importer<T>& im, const Node& n, const Where& w) {
  Attrs a(n, w, {"axis", "epsilon", "stash_type"});
  const Value& x = im.activation(n, 0, w);
  const auto r = static_cast<std::int64_t>(x.shape.rank());
  const std::int64_t axis = norm_axis(a.i("axis", -1), r, w, "axis");
  if (axis != r - 1 || r < 2)
    fail("io.214", w, "axis = ", a.i("axis", -1), " of ", x.shape, "; attrib normalises over the last axis only");
  im.require_unused(n, 1, w, "Mean");
  im.require_unused(n, 2, w, "InvStdDev");
  const Index d = x.shape[x.shape.rank() - 1];
  LayerNorm<T> ln(d, float_attribute(a.f("epsilon", 1e-5)));
  const auto param = [&](int k, Param<T>& p, const char* what) {
    const Constant& c = im.constant(n, k, w, what);
    if (c.integer || c.size() != static_cast<std::size_t>(d))
      fail("io.216", w, what, " has shape ", dims_str(c.dims), ", expected [", d, "]");
    auto v = p.mutable_view();
    for (Index i = 0; i < d; ++i) v[i] = static_cast<T>(c.real(static_cast<std::size_t>(i)));
  };
  param(1, ln.weight(), "Scale");
  if (Importer<T>::has_input(n, 2)) param(2, ln.bias(), "B");
  im.define(n, 0, im.add(w, std::move(ln), x));
}

}  // namespace detail::onnxio
ATTRIB_END_NAMESPACE
