#pragma once
// ONNX converters that move activations without arithmetic or work on [N, C, L]: Concat of
// activations (n inputs), Split and Slice of an activation along one axis (Slice layers), the
// channel shuffle Reshape -> Transpose -> Reshape (ChannelShuffle), ReduceMean over the spatial
// axes, GlobalAveragePool of [N, C, L], and Conv / MaxPool / AveragePool on [N, C, L] (Conv1d,
// MaxPool1d, AvgPool1d). The same ops on constants are evaluated by onnx_shape_ops.hpp /
// onnx_fold.hpp. Part of attrib::onnx (needs libonnx).
#include "attrib/core/config.hpp"
#include <algorithm>
#include <limits>
#include <string>
#include <vector>

#include "attrib/io/detail/onnx_activations.hpp"
#include "attrib/io/detail/onnx_fold.hpp"
#include "attrib/io/detail/onnx_layer_norm.hpp"
#include "attrib/layers/channel_shuffle.hpp"
#include "attrib/layers/concat.hpp"
#include "attrib/layers/conv1d.hpp"
#include "attrib/layers/pool1d.hpp"
#include "attrib/layers/reduce_mean.hpp"
#include "attrib/layers/slice.hpp"

ATTRIB_BEGIN_NAMESPACE
namespace detail::onnxio {

/// Concat: of constants (shapes) evaluated; of activations a Concat layer (axis >= 1).
template <class T>
void convert_concat_any(Importer<T>& im, const Node& n, const Where& w) {
  bool any_activation = false;
  for (int k = 0; k < n.input_size(); ++k) any_activation = any_activation || !im.value(n, k, w).is_constant();
  if (!any_activation) return convert_concat(im, n, w);
  Attrs a(n, w, {"axis"});
  if (!a.has("axis")) fail("io.212", w, "attribute axis is missing");
  std::vector<const Value*> in;
  for (int k = 0; k < n.input_size(); ++k) {
    const Value& v = im.value(n, k, w);
    if (v.is_constant())
      fail("io.214", w, "input ", k, " is fixed data and another input an activation; attrib concatenates "
           "activations only (a constant block would be a new input)");
    in.push_back(&im.activation(n, k, w));
  }
  const std::int64_t axis = norm_axis(a.i("axis", 1), in[0]->shape.rank(), w, "axis");
  if (axis == 0) fail("io.214", w, "axis 0 concatenates batch items; attrib's Concat joins along axis >= 1");
  Value y = im.add_n(w, Concat<T>(static_cast<int>(axis)), in);
  y.nonnegative = std::all_of(in.begin(), in.end(), [](const Value* v) { return v->nonnegative; });
  im.define(n, 0, std::move(y));
}

/// A Slice layer of x along one axis (start, end as ONNX after clamping, step >= 1).
template <class T>
Value slice_layer(Importer<T>& im, const Where& w, const Value& x, std::int64_t axis, std::int64_t start,
                  std::int64_t end, std::int64_t step) {
  const Index e = end >= std::numeric_limits<std::int64_t>::max() / 2 ? Slice<T>::to_end : static_cast<Index>(end);
  Value y = im.add(w, Slice<T>(static_cast<int>(axis), static_cast<Index>(start), e, static_cast<Index>(step)), x);
  y.nonnegative = x.nonnegative;
  return y;
}

/// Slice: of constants evaluated; of an activation a Slice layer along its one sliced axis
/// (axis >= 1, step >= 1; other listed axes must be taken whole).
template <class T>
void convert_slice_any(Importer<T>& im, const Node& n, const Where& w) {
  if (im.value(n, 0, w).is_constant()) return convert_slice(im, n, w);
  Attrs a(n, w, {"axes", "ends", "starts"});
  const Value& x = im.activation(n, 0, w);
  const auto starts = ints_from(im, n, a, "starts", 1, w);
  const auto ends = ints_from(im, n, a, "ends", 2, w);
  auto axes = ints_from(im, n, a, "axes", 3, w);
  auto steps = ints_from(im, n, a, "steps", 4, w);
  const auto r = static_cast<std::int64_t>(x.shape.rank());
  if (axes.empty())
    for (std::size_t k = 0; k < starts.size(); ++k) axes.push_back(static_cast<std::int64_t>(k));
  if (steps.empty()) steps.assign(starts.size(), 1);
  if (ends.size() != starts.size() || axes.size() != starts.size() || steps.size() != starts.size())
    fail("io.212", w, "starts, ends, axes and steps differ in length");
  int sliced = -1;
  for (std::size_t k = 0; k < starts.size(); ++k) {
    const auto ax = norm_axis(axes[k], r, w, "axes");
    const std::int64_t d = x.shape[static_cast<int>(ax)];
    const std::int64_t s = starts[k] < 0 ? std::max<std::int64_t>(0, starts[k] + d) : std::min(starts[k], d);
    const std::int64_t e = ends[k] < 0 ? std::max<std::int64_t>(0, ends[k] + d) : std::min(ends[k], d);
    if (steps[k] == 1 && s == 0 && e == d) continue;  // the whole axis
    if (steps[k] < 1) fail("io.212", w, "steps = ", dims_str(steps), "; attrib slices activations with step >= 1");
    if (ax == 0) fail("io.214", w, "slices the batch axis; attrib slices activations along axis >= 1 only");
    if (sliced >= 0) fail("io.214", w, "slices axes ", dims_str(axes), "; attrib slices an activation along one axis");
    sliced = static_cast<int>(k);
  }
  if (sliced < 0) return im.define(n, 0, im.add(w, Identity<T>(), x));
  const auto k = static_cast<std::size_t>(sliced);
  im.define(n, 0, slice_layer(im, w, x, norm_axis(axes[k], r, w, "axes"), starts[k], ends[k], steps[k]));
}

/// Split of an activation into Slice layers along `axis` (sizes from the `split` attribute or
/// input, or equal parts).
template <class T>
void convert_split(Importer<T>& im, const Node& n, const Where& w) {
  Attrs a(n, w, {"axis", "num_outputs", "split"});
  const Value& x = im.activation(n, 0, w);
  const auto axis = norm_axis(a.i("axis", 0), x.shape.rank(), w, "axis");
  if (axis == 0) fail("io.214", w, "splits the batch axis; attrib splits activations along axis >= 1 only");
  const std::int64_t d = x.shape[static_cast<int>(axis)];
  std::vector<std::int64_t> sizes = ints_from(im, n, a, "split", 1, w);
  const auto parts = static_cast<std::int64_t>(n.output_size());
  if (sizes.empty()) {
    if (parts < 1) fail("io.212", w, "no outputs");
    const std::int64_t each = (d + parts - 1) / parts;  // the last part may be smaller (opset 18)
    for (std::int64_t k = 0, at = 0; k < parts; ++k, at += each) sizes.push_back(std::max<std::int64_t>(0, std::min(each, d - at)));
  }
  std::int64_t total = 0;
  for (auto s : sizes) total += s < 0 ? -1 : s;
  if (static_cast<std::int64_t>(sizes.size()) != parts || total != d)
    fail("io.212", w, "split = ", dims_str(sizes), " for ", parts, " outputs and axis ", axis, " of ", x.shape);
  std::vector<std::string> names;
  for (std::int64_t k = 0, at = 0; k < parts; at += sizes[static_cast<std::size_t>(k)], ++k) {
    if (!Importer<T>::has_output(n, static_cast<int>(k)) || im.uses(n.output(static_cast<int>(k))) == 0) continue;
    Where wk = w;
    wk.name = w.name + (k ? "_" + std::to_string(k) : "");
    im.define(n, static_cast<int>(k), slice_layer(im, wk, x, axis, at, at + sizes[static_cast<std::size_t>(k)], 1));
    names.push_back(wk.name);
  }
  recognise(im, "Slice layers from Split", names);
}

/// The target of a Reshape of activation x with the dims resolved (0 copies, -1 infers); the
/// first entry must be the batch.
template <class T>
bool reshape_target(Importer<T>& im, const Node& n, const Where& w, const Value& x, std::vector<std::int64_t>& out) {
  const Constant& s = im.constant(n, 1, w, "shape");
  if (!s.integer || s.dims.size() != 1) return false;
  out = s.ints;
  std::int64_t known = 1, infer = -1, total = 1;
  for (int i = 1; i < x.shape.rank(); ++i) total *= x.shape[i];
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (out[i] == 0 && i < static_cast<std::size_t>(x.shape.rank())) out[i] = x.shape[static_cast<int>(i)];
    if (out[i] == -1) infer = static_cast<std::int64_t>(i);
    else if (i > 0) known *= out[i];
  }
  const bool batch = !out.empty() && (s.from_batch(0) || s.ints[0] == 0 || out[0] == x.shape[0] || infer == 0);
  if (!batch || infer == 0) return false;
  for (std::size_t i = 1; i < out.size(); ++i)
    if (s.from_batch(i)) return false;
  if (infer > 0) out[static_cast<std::size_t>(infer)] = known ? total / known : 0;
  out[0] = x.shape[0];
  return true;
}

/// Reshape: the first and last step of a channel shuffle ([N, C, H, W] -> [N, g, C/g, H, W],
/// then after the Transpose back to [N, C, H, W]); otherwise convert_reshape.
template <class T>
void convert_reshape_any(Importer<T>& im, const Node& n, const Where& w) {
  const Value& x = im.value(n, 0, w);
  std::vector<std::int64_t> out;
  if (x.kind == Value::Kind::activation && x.shape.rank() >= 2 && reshape_target(im, n, w, x, out) &&
      out.size() == static_cast<std::size_t>(x.shape.rank()) + 1 && out[1] > 1 && out[1] * out[2] == x.shape[1]) {
    bool rest = true;
    for (int i = 2; i < x.shape.rank(); ++i) rest = rest && out[static_cast<std::size_t>(i) + 1] == x.shape[i];
    if (rest) {
      Attrs a(n, w, {"allowzero"});
      Value v;
      v.kind = Value::Kind::partial;
      v.pattern = "channel shuffle";
      v.stage = 1;
      v.node = x.node;
      v.shape = x.shape;
      v.groups = out[1];
      v.nodes = {w.name};
      v.nonnegative = x.nonnegative;
      return im.define(n, 0, std::move(v));
    }
  }
  if (x.kind == Value::Kind::partial && x.pattern == "channel shuffle" && x.stage == 2) {
    Attrs a(n, w, {"allowzero"});
    Value in = Value::activation(x.node, x.shape);
    if (!reshape_target(im, n, w, in, out) || out != shape_dims(x.shape))
      fail("io.214", w, "reshapes the transposed groups of a channel shuffle (nodes ", dims_names(x.nodes), ") to ",
           dims_str(out), "; expected the original shape ", x.shape);
    Value y = im.add(w, ChannelShuffle<T>(x.groups), in);
    y.nonnegative = x.nonnegative;
    im.define(n, 0, std::move(y));
    std::vector<std::string> nodes = x.nodes;
    nodes.push_back(w.name);
    return recognise(im, "ChannelShuffle from Reshape/Transpose/Reshape", nodes);
  }
  convert_reshape(im, n, w);
}

/// Transpose: the middle step of a channel shuffle (swap the group axes); otherwise
/// convert_transpose.
template <class T>
void convert_transpose_any(Importer<T>& im, const Node& n, const Where& w) {
  const Value& x = im.value(n, 0, w);
  if (x.kind == Value::Kind::partial && x.pattern == "channel shuffle" && x.stage == 1) {
    Attrs a(n, w, {"perm"});
    std::vector<std::int64_t> swap{0, 2, 1};
    for (int i = 3; i <= x.shape.rank(); ++i) swap.push_back(i);
    if (a.ints("perm") != swap)
      fail("io.214", w, "perm = ", dims_str(a.ints("perm")), " on the grouped channels of a channel shuffle; "
           "expected ", dims_str(swap));
    Value v = x;
    v.stage = 2;
    v.nodes.push_back(w.name);
    return im.define(n, 0, std::move(v));
  }
  convert_transpose(im, n, w);
}

/// ReduceMean over all spatial axes of [N, C, H, W] / [N, C, L] (the axes attribute, or input
/// from opset 18), keepdims as given; over the last axis it starts LayerNorm's decomposition.
template <class T>
void convert_reduce_mean(Importer<T>& im, const Node& n, const Where& w) {
  Attrs a(n, w, {"axes", "keepdims", "noop_with_empty_axes"});
  if (layer_norm_reduce_mean(im, n, w, a)) return;
  const Value& x = im.activation(n, 0, w);
  const auto r = static_cast<std::int64_t>(x.shape.rank());
  std::vector<std::int64_t> axes = ints_from(im, n, a, "axes", 1, w);
  for (auto& ax : axes) ax = norm_axis(ax, r, w, "axes");
  std::sort(axes.begin(), axes.end());
  std::vector<std::int64_t> spatial;
  for (std::int64_t i = 2; i < r; ++i) spatial.push_back(i);
  if (r < 3 || axes != spatial)
    fail("io.214", w, "axes = ", dims_str(axes), " of ", x.shape, "; attrib supports the mean over all spatial axes "
         "([2, 3] of [N, C, H, W], [2] of [N, C, L])");
  im.define(n, 0, im.add(w, ReduceMean<T>(a.i("keepdims", 1) != 0), x));
}

/// GlobalAveragePool: GlobalAvgPool2d on [N, C, H, W], ReduceMean (keepdims) on [N, C, L].
template <class T>
void convert_global_avg_pool_any(Importer<T>& im, const Node& n, const Where& w) {
  const Value& x = im.activation(n, 0, w);
  if (x.shape.rank() != 3) return convert_global_avg_pool(im, n, w);
  Attrs a(n, w, {});
  im.define(n, 0, im.add(w, ReduceMean<T>(true), x));
}

/// 1-D window geometry on [N, C, L]: kernel k, stride, dilation and pads (begin, end) with a
/// merged Pad's zeros (kept in pads[1] and pads[3]).
struct Window1d {
  Index k = 1, s = 1, d = 1, begin = 0, end = 0;
};

inline Window1d window1d(const Attrs& a, const Where& w, const Value& x, Index k, bool dilations) {
  Window1d g;
  g.k = k;
  g.s = a.ints_n("strides", 1, {1})[0];
  g.d = a.ints_n("dilations", 1, {1})[0];
  if (g.k < 1 || g.s < 1 || g.d < 1 || g.k > max_window || g.s > max_window || g.d > max_window)
    fail("io.212", w, "kernel ", g.k, ", stride ", g.s, ", dilation ", g.d, "; expected values in [1, ", max_window, "]");
  if (!dilations && g.d != 1) fail("io.212", w, "dilations = [", g.d, "]; supported: [1]");
  const std::string ap = a.s("auto_pad", "NOTSET");
  const Index L = x.shape[2] + x.pads[1] + x.pads[3];
  if (ap == "NOTSET" || ap.empty()) {
    const auto p = a.ints_n("pads", 2, {0, 0});
    if (p[0] < 0 || p[1] < 0 || p[0] > max_window || p[1] > max_window)
      fail("io.212", w, "pads = ", dims_str(p), ", expected values in [0, ", max_window, "]");
    g.begin = p[0];
    g.end = p[1];
  } else if (ap == "SAME_UPPER" || ap == "SAME_LOWER") {
    const Index out = (L + g.s - 1) / g.s, total = std::max<Index>(0, (out - 1) * g.s + g.d * (g.k - 1) + 1 - L);
    g.begin = ap == "SAME_UPPER" ? total / 2 : total - total / 2;
    g.end = total - g.begin;
  } else if (ap != "VALID") {
    fail("io.212", w, "auto_pad = \"", ap, "\"; supported: NOTSET, SAME_UPPER, SAME_LOWER, VALID");
  }
  g.begin += x.pads[1];
  g.end += x.pads[3];
  return g;
}

template <class T>
void convert_conv1d(Importer<T>& im, const Node& n, const Where& w, const Attrs& a, const Value& x,
                    const Constant& wc) {
  const Index k = wc.dims[2], group = a.i("group", 1), cout = wc.dims[0], cin = x.shape[1];
  if (a.has("kernel_shape") && a.ints_n("kernel_shape", 1, {})[0] != k)
    fail("io.212", w, "kernel_shape = ", dims_str(a.ints("kernel_shape")), " differs from the weight's ", k);
  if (group < 1 || wc.dims[1] * group != cin)
    fail("io.214", w, "weight W ", dims_str(wc.dims), " with group = ", group, " needs ", wc.dims[1] * group,
         " input channels, the input ", x.shape, " has ", cin);
  const Window1d g = window1d(a, w, x, k, true);
  const bool bias = Importer<T>::has_input(n, 2);
  Conv1d<T> conv(cin, cout, k, Conv1dOptions().stride(g.s).padding(g.begin, g.end).dilation(g.d).groups(group).bias(bias));
  conv.weight().assign(weights<T>(wc, w, "weight W").cview(), w.name);
  if (bias) conv.bias().assign(weights<T>(im.constant(n, 2, w, "bias B"), w, "bias B").cview(), w.name);
  im.define(n, 0, im.add(w, std::move(conv), x));
}

/// Conv: Conv1d for a 3-D weight on [N, C, L], otherwise convert_conv (2-D).
template <class T>
void convert_conv_any(Importer<T>& im, const Node& n, const Where& w) {
  const Value& x = im.activation(n, 0, w, true);
  const Constant& wc = im.constant(n, 1, w, "weight W");
  if (x.shape.rank() != 3 || wc.dims.size() != 3) return convert_conv(im, n, w);
  Attrs a(n, w, {"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"});
  convert_conv1d(im, n, w, a, x, wc);
}

/// Pool1dOptions for a 1-D window (symmetric padding), checked against ONNX's output length.
inline Pool1dOptions pool1d_options(const Window1d& g, const Where& w, bool ceil) {
  if (g.begin != g.end)
    fail("io.212", w, "pads (begin, end) = [", g.begin, ", ", g.end, "] are asymmetric; attrib's pooling layers pad "
         "both ends equally");
  return Pool1dOptions{}.stride(g.s).padding(g.begin).dilation(g.d).ceil_mode(ceil);
}

template <class T>
void check_pool1d_size(const Value& x, const Window1d& g, bool ceil, const Value& y, const Where& w) {
  const Index L = x.shape[2] + x.pads[1] + x.pads[3];
  const Index e = onnx_pool_out(L, g.k, g.s, g.d, g.begin - x.pads[1], g.end - x.pads[3], ceil, Window::AutoPad::notset);
  if (y.shape[2] != e)
    fail("io.214", w, "ONNX gives length ", e, ", attrib's layer (PyTorch's window rules) ", y.shape[2], " for input ",
         x.shape, "; in ceil mode PyTorch drops a last window that starts in the padding");
}

/// MaxPool: MaxPool1d on [N, C, L], otherwise convert_max_pool.
template <class T>
void convert_max_pool_any(Importer<T>& im, const Node& n, const Where& w) {
  const Value& x = im.activation(n, 0, w, true);
  if (x.shape.rank() != 3) return convert_max_pool(im, n, w);
  Attrs a(n, w, {"auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads", "storage_order", "strides"});
  if (x.kind == Value::Kind::padded && !x.nonnegative)
    fail("io.215", w, "its input comes from Pad '", x.pad_node, "' (zero padding), which equals MaxPool's -inf "
         "padding only for non-negative input");
  if (a.i("storage_order", 0) != 0) fail("io.212", w, "storage_order = ", a.i("storage_order", 0), "; supported: 0");
  im.require_unused(n, 1, w, "Indices");
  if (a.s("auto_pad", "NOTSET") != "NOTSET") fail("io.212", w, "auto_pad on [N, C, L]; supported: NOTSET");
  const Window1d g = window1d(a, w, x, a.ints_n("kernel_shape", 1, {0})[0], true);
  const bool ceil = a.i("ceil_mode", 0) != 0;
  Value y = im.add(w, MaxPool1d<T>(g.k, pool1d_options(g, w, ceil)), x);
  check_pool1d_size<T>(x, g, ceil, y, w);
  y.nonnegative = x.nonnegative;
  im.define(n, 0, std::move(y));
}

/// AveragePool: AvgPool1d on [N, C, L], otherwise convert_avg_pool.
template <class T>
void convert_avg_pool_any(Importer<T>& im, const Node& n, const Where& w) {
  const Value& x = im.activation(n, 0, w, true);
  if (x.shape.rank() != 3) return convert_avg_pool(im, n, w);
  Attrs a(n, w, {"auto_pad", "ceil_mode", "count_include_pad", "dilations", "kernel_shape", "pads", "strides"});
  if (a.s("auto_pad", "NOTSET") != "NOTSET") fail("io.212", w, "auto_pad on [N, C, L]; supported: NOTSET");
  const Window1d g = window1d(a, w, x, a.ints_n("kernel_shape", 1, {0})[0], false);
  const bool ceil = a.i("ceil_mode", 0) != 0;
  bool include = a.i("count_include_pad", 0) != 0;
  if (x.kind == Value::Kind::padded) {
    if (!include && (g.begin != x.pads[1] || g.end != x.pads[3]))
      fail("io.215", w, "Pad '", x.pad_node, "' feeds an AveragePool with its own pads and count_include_pad = 0");
    include = true;
  }
  Value y = im.add(w, AvgPool1d<T>(g.k, pool1d_options(g, w, ceil).count_include_pad(include)), x);
  check_pool1d_size<T>(x, g, ceil, y, w);
  im.define(n, 0, std::move(y));
}

}  // namespace detail::onnxio
ATTRIB_END_NAMESPACE
