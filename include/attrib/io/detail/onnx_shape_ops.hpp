#pragma once
// ONNX ops evaluated at import time on constants (Constant, Shape, Gather, Unsqueeze, Squeeze,
// Concat, Cast, Transpose, Reshape and Flatten of fixed data), and the activation forms of
// Reshape / Flatten / Transpose / Cast that attrib can express: flattening to [N, C*H*W]
// (torch's Shape-Gather-Unsqueeze-Concat-Reshape pattern for x.view(x.size(0), -1)) and the
// identity. Part of attrib::onnx (needs libonnx).
#include "attrib/core/config.hpp"
#include <algorithm>
#include <numeric>
#include <string>
#include <vector>

#include "attrib/io/detail/onnx_graph.hpp"

ATTRIB_BEGIN_NAMESPACE
namespace detail::onnxio {

/// Product of the non-negative d[from, to) (to clamped to d's size), saturated at 2^62.
inline std::int64_t product(const std::vector<std::int64_t>& d, std::size_t from = 0, std::size_t to = SIZE_MAX) {
  const auto last = d.begin() + static_cast<std::ptrdiff_t>(std::min(to, d.size()));
  const auto first = d.begin() + static_cast<std::ptrdiff_t>(std::min(from, d.size()));
  return first < last ? std::accumulate(first, last, std::int64_t(1), sat_mul) : 1;
}

/// Normalises axis a (negative counts from the end) for rank r.
inline std::int64_t norm_axis(std::int64_t a, std::int64_t r, const Where& w, const char* what) {
  const std::int64_t v = a < 0 ? a + r : a;
  if (v < 0 || v >= r) fail("io.212", w, what, " = ", a, " is out of range for rank ", r);
  return v;
}

/// Integer list from an attribute (older opsets) or a constant input (newer opsets).
template <class T>
std::vector<std::int64_t> ints_from(Importer<T>& im, const Node& n, const Attrs& a, const char* name, int input,
                                    const Where& w, bool* present = nullptr) {
  if (present) *present = true;
  if (a.has(name)) return a.ints(name);
  if (Importer<T>::has_input(n, input)) {
    const Constant& c = im.constant(n, input, w, name);
    if (!c.integer) fail("io.213", w, name, " must be integers");
    return c.ints;
  }
  if (present) *present = false;
  return {};
}

inline std::vector<std::int64_t> shape_dims(const Shape& s) { return {s.begin(), s.end()}; }

template <class T>
void convert_constant(Importer<T>& im, const Node& n, const Where& w) {
  Attrs a(n, w, {"value", "value_float", "value_floats", "value_int", "value_ints"});
  Constant c;
  if (const auto* t = a.find("value")) {
    c = decode_tensor(t->t(), w.prefix() + ": value");
  } else if (a.has("value_float")) {
    c.reals = {a.f("value_float", 0)};
  } else if (const auto* f = a.find("value_floats")) {
    c.reals.assign(f->floats().begin(), f->floats().end());
    c.dims = {static_cast<std::int64_t>(c.reals.size())};
  } else if (a.has("value_int")) {
    c.integer = true;
    c.ints = {a.i("value_int", 0)};
  } else if (a.has("value_ints")) {
    c.integer = true;
    c.ints = a.ints("value_ints");
    c.dims = {static_cast<std::int64_t>(c.ints.size())};
  } else {
    fail("io.212", w, "no value; supported: value, value_float(s), value_int(s)");
  }
  im.define(n, 0, Value::constant(std::move(c)));
}

template <class T>
void convert_shape(Importer<T>& im, const Node& n, const Where& w) {
  Attrs a(n, w, {"end", "start"});
  const Value& x = im.value(n, 0, w);
  Constant c;
  c.integer = true;
  if (x.is_constant()) {
    c.ints = x.c.dims;
  } else {
    c.ints = shape_dims(im.activation(n, 0, w).shape);
    c.batch.assign(c.ints.size(), 0);
    c.batch[0] = 1;
  }
  const auto r = static_cast<std::int64_t>(c.ints.size());
  auto clamp = [&](std::int64_t v) { return std::clamp<std::int64_t>(v < 0 ? v + r : v, 0, r); };
  const std::int64_t b = clamp(a.i("start", 0)), e = std::max(b, clamp(a.i("end", r)));
  c.ints = std::vector<std::int64_t>(c.ints.begin() + b, c.ints.begin() + e);
  if (!c.batch.empty()) c.batch = std::vector<char>(c.batch.begin() + b, c.batch.begin() + e);
  c.dims = {e - b};
  im.define(n, 0, Value::constant(std::move(c)));
}

template <class T>
void convert_gather(Importer<T>& im, const Node& n, const Where& w) {
  Attrs a(n, w, {"axis"});
  const Constant& data = im.constant(n, 0, w, "data");
  const Constant& idx = im.constant(n, 1, w, "indices");
  if (data.dims.size() != 1 || !idx.integer)
    fail("io.214", w, "data ", dims_str(data.dims), "; attrib evaluates Gather only on a 1-D constant (a shape) "
         "with integer indices");
  norm_axis(a.i("axis", 0), 1, w, "axis");
  Constant c;
  c.integer = data.integer;
  c.dims = idx.dims;
  const auto len = data.dims[0];
  for (auto i : idx.ints) {
    const std::int64_t j = i < 0 ? i + len : i;
    if (j < 0 || j >= len) fail("io.214", w, "index ", i, " out of range for ", len, " elements");
    const auto u = static_cast<std::size_t>(j);
    if (data.integer) c.ints.push_back(data.ints[u]); else c.reals.push_back(data.reals[u]);
    if (!data.batch.empty()) c.batch.push_back(data.batch[u]);
  }
  im.define(n, 0, Value::constant(std::move(c)));
}

template <class T>
void convert_unsqueeze(Importer<T>& im, const Node& n, const Where& w) {
  Attrs a(n, w, {"axes"});
  Constant c = im.constant(n, 0, w, "data (attrib evaluates Unsqueeze on constants only)");
  const auto axes = ints_from(im, n, a, "axes", 1, w);
  const auto r = static_cast<std::int64_t>(c.dims.size() + axes.size());
  std::vector<char> is_new(static_cast<std::size_t>(r), 0);
  for (auto ax : axes) is_new[static_cast<std::size_t>(norm_axis(ax, r, w, "axes"))] = 1;
  std::vector<std::int64_t> dims;
  for (std::int64_t i = 0, k = 0; i < r; ++i)
    dims.push_back(is_new[static_cast<std::size_t>(i)] ? 1 : c.dims[static_cast<std::size_t>(k++)]);
  c.dims = dims;
  im.define(n, 0, Value::constant(std::move(c)));
}

template <class T>
void convert_squeeze(Importer<T>& im, const Node& n, const Where& w) {
  Attrs a(n, w, {"axes"});
  Constant c = im.constant(n, 0, w, "data (attrib evaluates Squeeze on constants only)");
  const auto r = static_cast<std::int64_t>(c.dims.size());
  auto axes = ints_from(im, n, a, "axes", 1, w);
  std::vector<char> drop(c.dims.size(), 0);
  for (std::int64_t i = 0; i < r; ++i) drop[static_cast<std::size_t>(i)] = axes.empty() && c.dims[static_cast<std::size_t>(i)] == 1;
  for (auto ax : axes) {
    const auto i = static_cast<std::size_t>(norm_axis(ax, r, w, "axes"));
    if (c.dims[i] != 1) fail("io.214", w, "axis ", ax, " of ", dims_str(c.dims), " is not 1");
    drop[i] = 1;
  }
  std::vector<std::int64_t> dims;
  for (std::size_t i = 0; i < c.dims.size(); ++i)
    if (!drop[i]) dims.push_back(c.dims[i]);
  c.dims = dims;
  im.define(n, 0, Value::constant(std::move(c)));
}

template <class T>
void convert_concat(Importer<T>& im, const Node& n, const Where& w) {
  Attrs a(n, w, {"axis"});
  Constant c;
  for (int k = 0; k < n.input_size(); ++k) {
    const Value& v = im.value(n, k, w);
    if (!v.is_constant())
      fail("io.214", w, "input ", k, " depends on the model input; attrib evaluates Concat only on constants "
           "(shapes), it has no concatenation layer");
    if (v.c.dims.size() != 1 || (k > 0 && v.c.integer != c.integer))
      fail("io.214", w, "input ", k, " ", dims_str(v.c.dims), "; attrib concatenates 1-D constants of one type only");
    if (k == 0) c.integer = v.c.integer;
    c.ints.insert(c.ints.end(), v.c.ints.begin(), v.c.ints.end());
    c.reals.insert(c.reals.end(), v.c.reals.begin(), v.c.reals.end());
    std::vector<char> b = v.c.batch;
    b.resize(v.c.size(), 0);
    c.batch.insert(c.batch.end(), b.begin(), b.end());
  }
  norm_axis(a.i("axis", 0), 1, w, "axis");
  c.dims = {static_cast<std::int64_t>(c.size())};
  im.define(n, 0, Value::constant(std::move(c)));
}

template <class T>
void convert_cast(Importer<T>& im, const Node& n, const Where& w) {
  Attrs a(n, w, {"saturate", "to"});
  using TP = ::onnx::TensorProto;
  const auto to = a.i("to", 0);
  const bool to_real = to == TP::FLOAT || to == TP::DOUBLE;
  const Value& x = im.value(n, 0, w);
  if (!x.is_constant()) {
    if (!to_real) fail("io.212", w, "cast of an activation to ", data_type_name(static_cast<int>(to)),
                       "; supported: FLOAT, DOUBLE (attrib computes in T)");
    return im.define(n, 0, im.add(w, Identity<T>(), im.activation(n, 0, w)));
  }
  Constant c = x.c;
  if (to_real && c.integer) {
    c.reals.assign(c.ints.begin(), c.ints.end());
    c.ints.clear();
    c.batch.clear();
    c.integer = false;
  } else if (!to_real && !c.integer) {
    for (double v : c.reals) c.ints.push_back(static_cast<std::int64_t>(v));
    c.reals.clear();
    c.integer = true;
  }
  im.define(n, 0, Value::constant(std::move(c)));
}

template <class T>
void convert_transpose(Importer<T>& im, const Node& n, const Where& w) {
  Attrs a(n, w, {"perm"});
  const Value& x = im.value(n, 0, w);
  const auto perm = a.ints("perm");
  if (x.is_constant()) return im.define(n, 0, Value::constant(permute(x.c, perm, w.prefix())));
  const Value& act = im.activation(n, 0, w);
  const auto r = static_cast<std::int64_t>(act.shape.rank());
  std::vector<std::int64_t> p = perm;
  if (p.empty())  // ONNX default: reverse the axes
    for (std::int64_t i = r - 1; i >= 0; --i) p.push_back(i);
  bool identity = static_cast<std::int64_t>(p.size()) == r, valid = identity && r >= 2 && p[0] == 0;
  std::vector<int> axes;
  for (std::size_t i = 0; i < p.size(); ++i) {
    identity = identity && p[i] == static_cast<std::int64_t>(i);
    valid = valid && p[i] >= 0 && p[i] < r &&
            std::find(axes.begin(), axes.end(), static_cast<int>(p[i])) == axes.end();
    axes.push_back(static_cast<int>(p[i]));
  }
  if (identity) return im.define(n, 0, im.add(w, Identity<T>(), act));
  if (!valid)
    fail("io.214", w, "perm = ", dims_str(p), " on the activation ", act.shape,
         "; attrib permutes the axes after the batch axis only (perm[0] = 0, a permutation of all axes)");
  im.define(n, 0, im.add(w, Transpose<T>(axes), act));
}

/// Flatten layer for an activation reshaped to [N, rest]; Identity for an unchanged shape.
template <class T>
void flatten_activation(Importer<T>& im, const Node& n, const Where& w, const Value& x, bool flatten) {
  if (flatten && x.shape.rank() < 2) fail("io.214", w, "input shape ", x.shape, " has no axis to flatten");
  Value y = flatten ? im.add(w, Flatten<T>(), x) : im.add(w, Identity<T>(), x);
  y.nonnegative = x.nonnegative;
  im.define(n, 0, std::move(y));
}

template <class T>
void convert_flatten(Importer<T>& im, const Node& n, const Where& w) {
  Attrs a(n, w, {"axis"});
  const Value& x = im.value(n, 0, w);
  const auto r = static_cast<std::int64_t>(x.is_constant() ? x.c.dims.size() : static_cast<std::size_t>(x.shape.rank()));
  const std::int64_t axis = a.i("axis", 1) < 0 ? a.i("axis", 1) + r : a.i("axis", 1);
  if (axis < 0 || axis > r) fail("io.212", w, "axis = ", a.i("axis", 1), " is out of range for rank ", r);
  if (x.is_constant()) {
    Constant c = x.c;
    c.dims = {product(c.dims, 0, static_cast<std::size_t>(axis)), product(c.dims, static_cast<std::size_t>(axis))};
    return im.define(n, 0, Value::constant(std::move(c)));
  }
  if (axis != 1)
    fail("io.214", w, "axis = ", a.i("axis", 1), " on input ", x.shape, "; supported: axis 1 (keep the batch "
         "dimension first: [N, ...] -> [N, rest])");
  flatten_activation(im, n, w, im.activation(n, 0, w), true);
}

template <class T>
void convert_reshape(Importer<T>& im, const Node& n, const Where& w) {
  Attrs a(n, w, {"allowzero"});
  const Value& x = im.value(n, 0, w);
  const Constant& s = im.constant(n, 1, w, "shape");
  if (!s.integer || s.dims.size() != 1) fail("io.213", w, "shape must be a 1-D integer tensor");
  const bool allowzero = a.i("allowzero", 0) != 0;
  const std::vector<std::int64_t> in = x.is_constant() ? x.c.dims : shape_dims(x.shape);
  // Resolve 0 (copy) and -1 (infer); remember which output dims are the batch dimension.
  std::vector<std::int64_t> out(s.ints);
  std::vector<char> batch(out.size(), 0);
  std::int64_t infer = -1, known = 1;
  for (std::size_t i = 0; i < out.size(); ++i) {
    batch[i] = s.from_batch(i) || (i == 0 && out[i] == 0 && !allowzero && !x.is_constant());
    if (out[i] == 0 && !allowzero) {
      if (i >= in.size()) fail("io.214", w, "shape ", dims_str(s.ints), " copies dimension ", i, " of ", dims_str(in));
      out[i] = in[i];
    }
    if (out[i] == -1) {
      if (infer >= 0) fail("io.214", w, "shape ", dims_str(s.ints), " has two -1 entries");
      infer = static_cast<std::int64_t>(i);
    } else if (out[i] < 0) {
      fail("io.214", w, "shape ", dims_str(s.ints), " has a negative entry");
    } else {
      known = sat_mul(known, out[i]);
    }
  }
  const std::int64_t total = product(in);
  if (infer >= 0) out[static_cast<std::size_t>(infer)] = known ? total / known : 0;
  if (product(out) != total)
    fail("io.214", w, "cannot reshape ", dims_str(in), " (", total, " elements) to ", dims_str(s.ints));
  if (x.is_constant()) {
    Constant c = x.c;
    c.dims = out;
    return im.define(n, 0, Value::constant(std::move(c)));
  }
  const Value& act = im.activation(n, 0, w);
  // The first output dimension must be the batch: from Shape, copied (0), inferred with the
  // rest explicit, or a literal equal to the declared batch size.
  bool keeps_batch = !out.empty() && (batch[0] || infer == 0 || (out[0] == in[0] && !s.from_batch(0)));
  for (std::size_t i = 1; i < out.size(); ++i) keeps_batch = keeps_batch && !batch[i];
  const bool flat = keeps_batch && out.size() == 2 && out[1] == product(in, 1);
  const bool same = keeps_batch && out == in;
  if (!flat && !same)
    fail("io.214", w, "reshape of the activation ", dims_str(in), " to ", dims_str(s.ints), "; supported: "
         "flattening to [N, C*H*W] with the batch dimension first (as torch exports x.view(x.size(0), -1)), or the "
         "same shape");
  if (!batch[0] && infer != 0 && im.symbolic_batch())
    im.notice("Reshape '" + w.name + "': the literal first dimension " + std::to_string(s.ints[0]) +
              " is taken as the batch dimension");
  flatten_activation(im, n, w, act, flat && !same);
}

}  // namespace detail::onnxio
ATTRIB_END_NAMESPACE
