#pragma once
// ONNX op converters that create layers: Conv, MaxPool, AveragePool, GlobalAveragePool, Pad
// (merged into the next Conv/pool), Gemm, MatMul, BatchNormalization, Relu, Add (residual or
// folded bias), Identity, Dropout. Part of attrib::onnx (needs libonnx).
#include "attrib/core/config.hpp"
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "attrib/io/detail/onnx_fold.hpp"

ATTRIB_BEGIN_NAMESPACE
namespace detail::onnxio {

/// Sliding-window geometry after auto_pad and any merged Pad: kernel, stride, dilation and
/// zero-padding (top, left, bottom, right), plus the ceil mode that reproduces ONNX's size.
/// Bound on kernel sizes, strides, dilations and pads read from a file.
inline constexpr Index max_window = Index(1) << 20;

struct Window {
  Index kh = 1, kw = 1, sh = 1, sw = 1, dh = 1, dw = 1;
  std::array<Index, 4> pads{};  // top, left, bottom, right
  bool ceil = false;
  enum class AutoPad { notset, valid, same } auto_pad = AutoPad::notset;
};

/// Reads strides, dilations, pads and auto_pad for a 2-D window over x ([N, C, H, W], maybe
/// zero-padded by a Pad node, whose padding is added).
inline Window window(const Attrs& a, const Where& w, const Value& x, Index kh, Index kw, bool dilations) {
  if (x.shape.rank() != 4)
    fail("io.214", w, "input shape ", x.shape, "; attrib supports 2-D operations on [N, C, H, W] only");
  Window g;
  g.kh = kh;
  g.kw = kw;
  const auto s = a.ints_n("strides", 2, {1, 1});
  const auto d = a.ints_n("dilations", 2, {1, 1});
  g.sh = s[0]; g.sw = s[1]; g.dh = d[0]; g.dw = d[1];
  if (g.sh < 1 || g.sw < 1) fail("io.212", w, "strides = ", dims_str(s), ", expected positive values");
  if (g.dh < 1 || g.dw < 1) fail("io.212", w, "dilations = ", dims_str(d), ", expected positive values");
  if (!dilations && (g.dh != 1 || g.dw != 1))
    fail("io.212", w, "dilations = ", dims_str(d), "; supported: [1, 1] (AvgPool2d has no dilation)");
  for (Index v : {g.kh, g.kw, g.sh, g.sw, g.dh, g.dw})  // keeps the window arithmetic far from overflow
    if (v > max_window) fail("io.212", w, "kernel, strides or dilations above ", max_window);
  const Index H = x.shape[2] + x.pads[0] + x.pads[2], W = x.shape[3] + x.pads[1] + x.pads[3];
  const std::string ap = a.s("auto_pad", "NOTSET");
  if (ap == "NOTSET" || ap.empty()) {
    const auto p = a.ints_n("pads", 4, {0, 0, 0, 0});
    for (auto v : p)
      if (v < 0 || v > max_window) fail("io.212", w, "pads = ", dims_str(p), ", expected values in [0, ", max_window, "]");
    g.pads = {p[0], p[1], p[2], p[3]};
  } else if (ap == "VALID" || ap == "SAME_UPPER" || ap == "SAME_LOWER") {
    for (auto v : a.ints("pads"))
      if (v != 0) fail("io.212", w, "auto_pad = ", ap, " together with non-zero pads");
    g.auto_pad = ap == "VALID" ? Window::AutoPad::valid : Window::AutoPad::same;
    if (ap != "VALID") {
      auto same = [&](Index n, Index stride, Index k, Index dil, Index& begin, Index& end) {
        const Index out = (n + stride - 1) / stride, span = dil * (k - 1) + 1;
        const Index total = std::max<Index>(0, (out - 1) * stride + span - n);
        begin = ap == "SAME_UPPER" ? total / 2 : total - total / 2;
        end = total - begin;
      };
      same(H, g.sh, g.kh, g.dh, g.pads[0], g.pads[2]);
      same(W, g.sw, g.kw, g.dw, g.pads[1], g.pads[3]);
    }
  } else {
    fail("io.212", w, "auto_pad = \"", ap, "\"; supported: NOTSET, SAME_UPPER, SAME_LOWER, VALID");
  }
  for (int i = 0; i < 4; ++i) g.pads[static_cast<std::size_t>(i)] += x.pads[static_cast<std::size_t>(i)];
  return g;
}

/// ONNX's output length of a pooling axis over n cells (opsets up to 18); pb, pe: the pool's
/// own padding (auto_pad NOTSET).
inline Index onnx_pool_out(Index n, Index k, Index s, Index d, Index pb, Index pe, bool ceil, Window::AutoPad ap) {
  const Index span = d * (k - 1) + 1;
  if (ap == Window::AutoPad::same) return (n + s - 1) / s;
  if (ap == Window::AutoPad::valid) return n >= span ? (n - span) / s + 1 : 0;
  const Index num = n + pb + pe - span;
  if (num < 0) return 0;
  return (ceil ? (num + s - 1) / s : num / s) + 1;
}

/// Kernel size of a pooling node (kernel_shape, required).
inline std::pair<Index, Index> pool_kernel(const Attrs& a, const Where& w) {
  if (!a.has("kernel_shape")) fail("io.212", w, "attribute kernel_shape is missing");
  const auto k = a.ints_n("kernel_shape", 2, {});
  if (k[0] < 1 || k[1] < 1) fail("io.212", w, "kernel_shape = ", dims_str(k), ", expected positive values");
  return {k[0], k[1]};
}

/// Pool2dOptions for a window; attrib's pooling layers pad symmetrically.
inline Pool2dOptions pool_options(const Window& g, const Where& w, const std::string& merged) {
  if (g.pads[0] != g.pads[2] || g.pads[1] != g.pads[3])
    fail("io.212", w, "pads (top, left, bottom, right) = [", g.pads[0], ", ", g.pads[1], ", ", g.pads[2], ", ",
         g.pads[3], "]", merged, " are asymmetric; attrib's pooling layers pad top = bottom and left = right");
  return Pool2dOptions{}.stride(g.sh, g.sw).padding(g.pads[0], g.pads[1]).dilation(g.dh, g.dw).ceil_mode(g.ceil);
}

/// Checks that attrib's layer (PyTorch's window rules) gives ONNX's output size.
inline void check_pool_size(const Value& x, const Window& g, const Shape& out, const Where& w) {
  const Index H = x.shape[2] + x.pads[0] + x.pads[2], W = x.shape[3] + x.pads[1] + x.pads[3];
  const Index eh = onnx_pool_out(H, g.kh, g.sh, g.dh, g.pads[0] - x.pads[0], g.pads[2] - x.pads[2], g.ceil, g.auto_pad);
  const Index ew = onnx_pool_out(W, g.kw, g.sw, g.dw, g.pads[1] - x.pads[1], g.pads[3] - x.pads[3], g.ceil, g.auto_pad);
  if (out[2] != eh || out[3] != ew)
    fail("io.214", w, "ONNX gives a ", eh, "x", ew, " output, attrib's layer (PyTorch's window rules) ", out[2], "x",
         out[3], " for input ", x.shape, "; in ceil mode PyTorch drops a last window that starts in the padding");
}

template <class T>
void convert_conv(Importer<T>& im, const Node& n, const Where& w) {
  Attrs a(n, w, {"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"});
  const Value& x = im.activation(n, 0, w, /*allow_padded*/ true);
  const Constant& wc = im.constant(n, 1, w, "weight W");
  if (wc.dims.size() != 4 || x.shape.rank() != 4)
    fail("io.214", w, "input ", x.shape, ", weight W ", dims_str(wc.dims), "; attrib supports 2-D convolution only "
         "(input [N, C, H, W], weight [M, C/group, kH, kW])");
  const Index kh = wc.dims[2], kw = wc.dims[3], group = a.i("group", 1), cout = wc.dims[0], cin = x.shape[1];
  if (a.has("kernel_shape") && a.ints_n("kernel_shape", 2, {}) != std::vector<std::int64_t>{kh, kw})
    fail("io.212", w, "kernel_shape = ", dims_str(a.ints("kernel_shape")), " differs from the weight's ", kh, "x", kw);
  if (group < 1 || wc.dims[1] * group != cin)
    fail("io.214", w, "weight W ", dims_str(wc.dims), " with group = ", group, " needs ", wc.dims[1] * group,
         " input channels, the input ", x.shape, " has ", cin);
  const Window g = window(a, w, x, kh, kw, true);
  const bool bias = Importer<T>::has_input(n, 2);
  Conv2d<T> conv(cin, cout, kh, kw,
                 Conv2dOptions().stride(g.sh, g.sw).padding(g.pads[0], g.pads[2], g.pads[1], g.pads[3])
                     .dilation(g.dh, g.dw).groups(group).bias(bias));
  conv.weight().assign(weights<T>(wc, w, "weight W").cview(), w.name);
  if (bias) conv.bias().assign(weights<T>(im.constant(n, 2, w, "bias B"), w, "bias B").cview(), w.name);
  im.define(n, 0, im.add(w, std::move(conv), x));
}

inline std::string merged_note(const Value& x) {
  return x.kind == Value::Kind::padded ? " (with Pad '" + x.pad_node + "' merged)" : "";
}

template <class T>
void convert_max_pool(Importer<T>& im, const Node& n, const Where& w) {
  Attrs a(n, w, {"auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads", "storage_order", "strides"});
  const Value& x = im.activation(n, 0, w, true);
  if (x.kind == Value::Kind::padded && !x.nonnegative)
    fail("io.215", w, "its input comes from Pad '", x.pad_node, "' (zero padding), which equals MaxPool's -inf "
         "padding only for non-negative input; the padded value is not a Relu output");
  if (a.i("storage_order", 0) != 0) fail("io.212", w, "storage_order = ", a.i("storage_order", 0), "; supported: 0");
  im.require_unused(n, 1, w, "Indices");
  const auto [kh, kw] = pool_kernel(a, w);
  Window g = window(a, w, x, kh, kw, true);
  g.ceil = g.auto_pad == Window::AutoPad::notset && a.i("ceil_mode", 0) != 0;
  MaxPool2d<T> pool(kh, kw, pool_options(g, w, merged_note(x)));
  Value y = im.add(w, std::move(pool), x);
  check_pool_size(x, g, y.shape, w);
  y.nonnegative = x.nonnegative;
  im.define(n, 0, std::move(y));
}

template <class T>
void convert_avg_pool(Importer<T>& im, const Node& n, const Where& w) {
  Attrs a(n, w, {"auto_pad", "ceil_mode", "count_include_pad", "dilations", "kernel_shape", "pads", "strides"});
  const Value& x = im.activation(n, 0, w, true);
  const auto [kh, kw] = pool_kernel(a, w);
  Window g = window(a, w, x, kh, kw, false);
  g.ceil = g.auto_pad == Window::AutoPad::notset && a.i("ceil_mode", 0) != 0;
  bool include = a.i("count_include_pad", 0) != 0;
  if (x.kind == Value::Kind::padded) {
    const bool own = g.pads != x.pads;
    if (own && !include)
      fail("io.215", w, "Pad '", x.pad_node, "' feeds an AveragePool with its own pads and count_include_pad = 0; "
           "the Pad's zeros would count in the divisor and the pool's own padding would not");
    include = true;  // the Pad's zeros are input cells for ONNX: they count in the divisor
  }
  AvgPool2d<T> pool(kh, kw, pool_options(g, w, merged_note(x)).count_include_pad(include));
  Value y = im.add(w, std::move(pool), x);
  check_pool_size(x, g, y.shape, w);
  im.define(n, 0, std::move(y));
}

template <class T>
void convert_global_avg_pool(Importer<T>& im, const Node& n, const Where& w) {
  Attrs a(n, w, {});
  const Value& x = im.activation(n, 0, w);
  if (x.shape.rank() != 4)
    fail("io.214", w, "input shape ", x.shape, "; attrib supports [N, C, H, W] only");
  im.define(n, 0, im.add(w, GlobalAvgPool2d<T>(), x));
}

/// Pad (mode constant, value 0) on H and W: recorded on the value and merged into the
/// Conv / pool that consumes it.
template <class T>
void convert_pad(Importer<T>& im, const Node& n, const Where& w) {
  Attrs a(n, w, {"mode", "pads", "value"});
  const Value& x = im.activation(n, 0, w, true);
  const std::string mode = a.s("mode", "constant");
  if (mode != "constant") fail("io.212", w, "mode = \"", mode, "\"; supported: constant (with value 0)");
  std::vector<std::int64_t> p;
  if (a.has("pads")) {
    p = a.ints("pads");
  } else {
    const Constant& c = im.constant(n, 1, w, "pads");
    if (!c.integer) fail("io.213", w, "pads must be integers");
    p = c.ints;
  }
  double value = a.f("value", 0.0);
  if (Importer<T>::has_input(n, 2)) {
    const Constant& c = im.constant(n, 2, w, "constant_value");
    value = c.size() ? c.real(0) : 0.0;
  }
  if (Importer<T>::has_input(n, 3)) fail("io.212", w, "the axes input is not supported; give pads for every axis");
  if (value != 0.0) fail("io.212", w, "value = ", value, "; supported: 0 (zero padding)");
  const std::size_t r = static_cast<std::size_t>(x.shape.rank());
  if (p.size() != 2 * r) fail("io.212", w, "pads = ", dims_str(p), " for input ", x.shape, ", expected ", 2 * r, " values");
  bool any = false;
  for (std::size_t i = 0; i < p.size(); ++i) {
    const bool spatial = (r == 4 || r == 3) && (i % r) >= 2;
    if (p[i] < 0 || p[i] > max_window || (!spatial && p[i] != 0))
      fail("io.212", w, "pads = ", dims_str(p), " for input ", x.shape,
           "; supported: non-negative padding of H and W of [N, C, H, W] or L of [N, C, L] (batch and channel "
           "pads 0)");
    any = any || p[i] != 0;
  }
  if (!any) {
    im.define(n, 0, x);
    return;
  }
  Value y = x;
  if (y.kind != Value::Kind::padded) y.pad_node = w.name;
  y.kind = Value::Kind::padded;
  if (r == 4) {
    y.pads[0] += p[2]; y.pads[1] += p[3]; y.pads[2] += p[6]; y.pads[3] += p[7];
  } else {  // [N, C, L]: the length's pads are kept as left / right
    y.pads[1] += p[2]; y.pads[3] += p[5];
  }
  im.define(n, 0, std::move(y));
}

/// A constant broadcast against activation shape s that varies at most along axis 1
/// (channels / features): its per-channel values, or an io.216 error.
inline std::vector<double> channel_values(const Constant& c, const Shape& s, std::int64_t offset, const Where& w,
                                          const char* what) {
  const auto r = static_cast<std::int64_t>(s.rank()), cr = static_cast<std::int64_t>(c.dims.size());
  const Index C = r >= 2 ? s[1] : 1;
  bool ok = !c.integer && offset >= 0 && offset + cr <= r;
  bool per_channel = false;
  for (std::int64_t j = 0; ok && j < cr; ++j) {
    const auto d = c.dims[static_cast<std::size_t>(j)];
    if (offset + j == 1 && d == C) per_channel = C != 1 || per_channel;
    else ok = d == 1;
  }
  if (!ok)
    fail("io.216", w, what, " has shape ", dims_str(c.dims), " against the activation ", s,
         "; attrib folds only constants that are the same for every batch item and vary at most along axis 1 "
         "(a bias per channel or feature)");
  std::vector<double> v(static_cast<std::size_t>(C));
  for (Index k = 0; k < C; ++k) v[static_cast<std::size_t>(k)] = c.real(per_channel ? static_cast<std::size_t>(k) : 0);
  return v;
}

/// Adds per-channel values to the bias of the layer producing `x` (Conv2d, Dense, BatchNorm2d),
/// giving it a bias if it has none.
template <class T>
bool fold_bias(Importer<T>& im, const Value& x, const std::vector<double>& b) {
  if (x.node < 0) return false;
  bool done = false;
  PendingNode<T>& p = im.pending(x.node);
  std::visit([&](auto& layer) {
    using L = std::decay_t<decltype(layer)>;
    if constexpr (L::role == Role::weighted_linear) {
      layer.ensure_bias();
      auto bias = layer.bias().mutable_view();
      for (Index k = 0; k < bias.size(); ++k) bias[k] += static_cast<T>(b[static_cast<std::size_t>(k)]);
      done = true;
    } else if constexpr (std::is_same_v<L, BatchNorm2d<T>>) {
      auto beta = layer.bias().mutable_view();
      for (Index k = 0; k < beta.size(); ++k) beta[k] += static_cast<T>(b[static_cast<std::size_t>(k)]);
      done = true;
    }
  }, p.layer);
  return done;
}

template <class T>
void convert_add(Importer<T>& im, const Node& n, const Where& w) {
  Attrs a(n, w, {"axis", "broadcast", "consumed_inputs"});  // axis/broadcast: opset < 7
  const Value& x0 = im.value(n, 0, w);
  const Value& x1 = im.value(n, 1, w);
  if (!x0.is_constant() && !x1.is_constant()) {
    const Value& a0 = im.activation(n, 0, w);
    const Value& a1 = im.activation(n, 1, w);
    if (a0.shape != a1.shape)
      fail("io.214", w, "operand shapes ", a0.shape, " and ", a1.shape, " differ; attrib adds activations of "
           "identical shape only (no broadcasting)");
    im.define(n, 0, im.add(w, Add<T>(), a0, &a1));
    return;
  }
  if (x0.is_constant() && x1.is_constant()) return im.define(n, 0, Value::constant(fold_binary(x0.c, x1.c, '+', w)));
  const int k = x0.is_constant() ? 1 : 0;
  const Value& x = im.activation(n, k, w);
  const Constant& c = im.constant(n, 1 - k, w, "the constant operand");
  const std::int64_t offset = a.i("broadcast", 0) && a.has("axis")
                                  ? a.i("axis", 0)
                                  : static_cast<std::int64_t>(x.shape.rank()) - static_cast<std::int64_t>(c.dims.size());
  const auto b = channel_values(c, x.shape, offset, w, "the constant operand");
  if (im.uses(n.input(k)) != 1 || !fold_bias(im, x, b))
    fail("io.216", w, "adding a constant is supported only as the bias of a Conv, Gemm, MatMul or "
         "BatchNormalization whose output feeds nothing but this Add");
  im.define(n, 0, x);
}

template <class T>
void convert_gemm(Importer<T>& im, const Node& n, const Where& w) {
  Attrs a(n, w, {"alpha", "beta", "broadcast", "transA", "transB"});
  const Value& x = im.activation(n, 0, w);
  if (a.i("transA", 0) != 0)
    fail("io.212", w, "transA = 1 would transpose the activation (its batch axis); supported: transA = 0");
  const Constant& b = im.constant(n, 1, w, "matrix B");
  if (x.shape.rank() != 2 || b.dims.size() != 2)
    fail("io.214", w, "A ", x.shape, ", B ", dims_str(b.dims), "; expected A [N, K] and a matrix B");
  const Constant wt = a.i("transB", 0) ? b : permute(b, {1, 0}, w.prefix());
  const Index out = wt.dims[0], in = wt.dims[1];
  if (in != x.shape[1])
    fail("io.214", w, "A ", x.shape, " and B ", dims_str(b.dims), " (transB = ", a.i("transB", 0), ") do not match");
  const bool bias = Importer<T>::has_input(n, 2);
  Dense<T> d(in, out, bias);
  Tensor<T> wv = weights<T>(wt, w, "matrix B");
  wv.vec() *= static_cast<T>(a.f("alpha", 1.0));
  d.weight().assign(wv.cview(), w.name);
  if (bias) {
    const Constant& c = im.constant(n, 2, w, "bias C");
    const auto cv = channel_values(c, Shape{im.batch(), out}, 2 - static_cast<std::int64_t>(c.dims.size()), w, "bias C");
    auto bv = d.bias().mutable_view();
    for (Index k = 0; k < out; ++k) bv[k] = static_cast<T>(a.f("beta", 1.0) * cv[static_cast<std::size_t>(k)]);
  }
  im.define(n, 0, im.add(w, std::move(d), x));
}

template <class T>
void convert_matmul(Importer<T>& im, const Node& n, const Where& w) {
  Attrs a(n, w, {});
  const Value& x = im.activation(n, 0, w);
  const Constant& b = im.constant(n, 1, w, "the right operand");
  if (x.shape.rank() < 2 || b.dims.size() != 2 || b.dims[0] != x.shape[x.shape.rank() - 1])
    fail("io.214", w, "operands ", x.shape, " x ", dims_str(b.dims), "; attrib supports [N, K] or [N, ..., K] x a "
         "constant [K, M] (Dense on the last axis)");
  Dense<T> d(b.dims[0], b.dims[1], false);
  d.weight().assign(weights<T>(permute(b, {1, 0}, w.prefix()), w, "the right operand").cview(), w.name);
  im.define(n, 0, im.add(w, std::move(d), x));
}

/// The value a float32 attribute was written from: a fraction p/q (q <= 16) or else the
/// shortest decimal whose float32 rounding it is (exporters write PyTorch's 1/6 of Hardsigmoid,
/// 0.01 of LeakyReLU or BatchNorm's eps 1e-3 as float32; a double import computes with the
/// value the model was built with). Values that are neither are returned as read.
inline double float_attribute(double v) {
  const float f = static_cast<float>(v);
  if (!std::isfinite(v) || static_cast<double>(f) != v) return v;
  for (int q = 1; q <= 16; ++q) {
    const double p = std::nearbyint(v * q);
    if (static_cast<float>(p / q) == f) return p / q;
  }
  char buf[32];
  for (int digits = 1; digits <= 9; ++digits) {
    std::snprintf(buf, sizeof buf, "%.*g", digits, v);
    const double d = std::strtod(buf, nullptr);
    if (static_cast<float>(d) == f) return d;
  }
  return v;
}

template <class T>
void convert_batch_norm(Importer<T>& im, const Node& n, const Where& w) {
  Attrs a(n, w, {"consumed_inputs", "epsilon", "is_test", "momentum", "spatial", "training_mode"});
  const Value& x = im.activation(n, 0, w);
  if (a.i("training_mode", 0) != 0)
    fail("io.212", w, "training_mode = 1; supported: 0 (inference with the running statistics)");
  if (a.i("spatial", 1) != 1) fail("io.212", w, "spatial = 0; supported: 1 (per-channel statistics)");
  for (int k = 1; k < n.output_size(); ++k) im.require_unused(n, k, w, "training statistics");
  if (x.shape.rank() < 2) fail("io.214", w, "input shape ", x.shape, ", expected [N, C, ...]");
  BatchNorm2d<T> bn(x.shape[1], static_cast<T>(float_attribute(a.f("epsilon", 1e-5))));
  bn.weight().assign(weights<T>(im.constant(n, 1, w, "scale"), w, "scale").cview(), w.name);
  bn.bias().assign(weights<T>(im.constant(n, 2, w, "B"), w, "B").cview(), w.name);
  bn.running_mean().assign(weights<T>(im.constant(n, 3, w, "mean"), w, "mean").cview(), w.name);
  bn.running_var().assign(weights<T>(im.constant(n, 4, w, "var"), w, "var").cview(), w.name);
  im.define(n, 0, im.add(w, std::move(bn), x));
}

template <class T>
void convert_relu(Importer<T>& im, const Node& n, const Where& w) {
  Attrs a(n, w, {"consumed_inputs"});
  Value y = im.add(w, ReLU<T>(), im.activation(n, 0, w));
  y.nonnegative = true;
  im.define(n, 0, std::move(y));
}

template <class T>
void convert_identity(Importer<T>& im, const Node& n, const Where& w) {
  Attrs a(n, w, {});
  const Value& x = im.value(n, 0, w);
  if (x.is_constant()) return im.define(n, 0, x);
  Value y = im.add(w, Identity<T>(), im.activation(n, 0, w));
  y.nonnegative = x.nonnegative;
  im.define(n, 0, std::move(y));
}

template <class T>
void convert_dropout(Importer<T>& im, const Node& n, const Where& w) {
  Attrs a(n, w, {"consumed_inputs", "is_test", "ratio", "seed"});
  const Value& x = im.value(n, 0, w);
  im.require_unused(n, 1, w, "mask");
  double ratio = a.f("ratio", 0.5);
  if (Importer<T>::has_input(n, 1)) ratio = im.constant(n, 1, w, "ratio").real(0);
  if (Importer<T>::has_input(n, 2) && im.constant(n, 2, w, "training_mode").real(0) != 0)
    fail("io.212", w, "training_mode = true; supported: false (inference)");
  if (x.is_constant()) return im.define(n, 0, x);
  Value y = im.add(w, Dropout<T>(ratio), im.activation(n, 0, w));
  y.nonnegative = x.nonnegative;
  im.define(n, 0, std::move(y));
}

}  // namespace detail::onnxio
ATTRIB_END_NAMESPACE
