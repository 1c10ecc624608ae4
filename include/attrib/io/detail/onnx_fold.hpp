#pragma once
// ONNX ops evaluated on constants only (shape arithmetic such as the subgraph torch 1.13 emits
// to compute F.pad's pads): ConstantOfShape, Add/Sub/Mul/Div of two constants (numpy
// broadcasting) and Slice. Part of attrib::onnx (needs libonnx).
#include "attrib/core/config.hpp"
#include <algorithm>
#include <cstdint>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

#include "attrib/io/detail/onnx_shape_ops.hpp"

ATTRIB_BEGIN_NAMESPACE
namespace detail::onnxio {

template <class T>
void convert_constant_of_shape(Importer<T>& im, const Node& n, const Where& w) {
  Attrs a(n, w, {"value"});
  const Constant& s = im.constant(n, 0, w, "shape");
  if (!s.integer || s.dims.size() != 1) fail("io.213", w, "shape must be a 1-D integer tensor");
  Constant fill;
  fill.reals = {0.0};
  if (const auto* v = a.find("value")) fill = decode_tensor(v->t(), w.prefix() + ": value");
  if (fill.size() != 1) fail("io.212", w, "value must hold one element, it holds ", fill.size());
  Constant c;
  c.dims = s.ints;
  c.integer = fill.integer;
  std::uint64_t count = 0;
  if (!element_count(c.dims, count) || count > max_constant)
    fail("io.214", w, "shape ", dims_str(c.dims), " is invalid or too large for a constant");
  if (c.integer) c.ints.assign(static_cast<std::size_t>(count), fill.ints[0]);
  else c.reals.assign(static_cast<std::size_t>(count), fill.reals[0]);
  im.define(n, 0, Value::constant(std::move(c)));
}

/// x op y in int64, checked: a result that does not fit (INT64_MIN / -1, 2^40 * 2^40 ...) is an
/// IoError io.218 naming the node, never a wrapped value or SIGFPE.
inline std::int64_t checked_int_op(std::int64_t x, std::int64_t y, char op, const Where& w) {
  constexpr std::int64_t hi = std::numeric_limits<std::int64_t>::max(), lo = std::numeric_limits<std::int64_t>::min();
  bool over = false;
  switch (op) {
    case '+': over = (y > 0 && x > hi - y) || (y < 0 && x < lo - y); break;
    case '-': over = (y < 0 && x > hi + y) || (y > 0 && x < lo + y); break;
    case '*':
      if (x != 0 && y != 0)
        over = x > 0 ? (y > 0 ? x > hi / y : y < lo / x) : (y > 0 ? x < lo / y : y < hi / x);
      break;
    default:
      if (y == 0) fail("io.214", w, "integer division by zero");
      over = x == lo && y == -1;
  }
  if (over) fail("io.218", w, "integer overflow: ", x, " ", op, " ", y, " does not fit in int64");
  return op == '+' ? x + y : op == '-' ? x - y : op == '*' ? x * y : x / y;
}

/// a op b for two constants with numpy broadcasting; op is one of + - * /.
inline Constant fold_binary(const Constant& a, const Constant& b, char op, const Where& w) {
  if (a.depends_on_batch() || b.depends_on_batch())
    fail("io.214", w, "arithmetic on the input's batch size is not supported");
  const std::size_t r = std::max(a.dims.size(), b.dims.size());
  auto dim = [&](const Constant& c, std::size_t i) {  // right-aligned, 1 where absent
    const std::size_t off = r - c.dims.size();
    return i < off ? std::int64_t(1) : c.dims[i - off];
  };
  Constant out;
  out.integer = a.integer && b.integer;
  for (std::size_t i = 0; i < r; ++i) {
    const auto da = dim(a, i), db = dim(b, i);
    if (da != db && da != 1 && db != 1)
      fail("io.214", w, "operand shapes ", dims_str(a.dims), " and ", dims_str(b.dims), " do not broadcast");
    out.dims.push_back(da == 1 ? db : da);
  }
  std::uint64_t count = 0;
  if (!element_count(out.dims, count) || count > max_constant)
    fail("io.214", w, "the result ", dims_str(out.dims), " is too large for a constant");
  std::vector<std::int64_t> idx(r, 0);
  auto flat = [&](const Constant& c) {  // index into c of the current output position
    std::int64_t f = 0;
    const std::size_t off = r - c.dims.size();
    for (std::size_t i = off; i < r; ++i) f = f * c.dims[i - off] + (c.dims[i - off] == 1 ? 0 : idx[i]);
    return static_cast<std::size_t>(f);
  };
  for (std::uint64_t k = 0; k < count; ++k) {
    const std::size_t ia = flat(a), ib = flat(b);
    if (out.integer) {
      out.ints.push_back(checked_int_op(a.ints[ia], b.ints[ib], op, w));
    } else {
      const double x = a.real(ia), y = b.real(ib);
      out.reals.push_back(op == '+' ? x + y : op == '-' ? x - y : op == '*' ? x * y : x / y);
    }
    for (std::size_t i = r; i-- > 0;) {
      if (++idx[i] < out.dims[i]) break;
      idx[i] = 0;
    }
  }
  return out;
}

template <class T, char Op>
void convert_arithmetic(Importer<T>& im, const Node& n, const Where& w) {
  Attrs a(n, w, {});
  const Value& x = im.value(n, 0, w);
  const Value& y = im.value(n, 1, w);
  if (!x.is_constant() || !y.is_constant())
    fail("io.210", w, "supported only on constants (shape arithmetic); attrib has no element-wise ", n.op_type(),
         " layer for activations");
  im.define(n, 0, Value::constant(fold_binary(x.c, y.c, Op, w)));
}

template <class T>
void convert_slice(Importer<T>& im, const Node& n, const Where& w) {
  Attrs a(n, w, {"axes", "ends", "starts"});  // attributes: opset < 10
  const Constant& c = im.constant(n, 0, w, "data (attrib evaluates Slice on constants only)");
  const auto starts = ints_from(im, n, a, "starts", 1, w);
  const auto ends = ints_from(im, n, a, "ends", 2, w);
  auto axes = ints_from(im, n, a, "axes", 3, w);
  auto steps = ints_from(im, n, a, "steps", 4, w);
  const auto r = static_cast<std::int64_t>(c.dims.size());
  if (axes.empty()) {
    axes.resize(starts.size());
    std::iota(axes.begin(), axes.end(), std::int64_t(0));
  }
  if (steps.empty()) steps = std::vector<std::int64_t>(starts.size(), 1);
  if (ends.size() != starts.size() || axes.size() != starts.size() || steps.size() != starts.size())
    fail("io.212", w, "starts, ends, axes and steps differ in length");
  std::vector<std::int64_t> first(c.dims.size(), 0), step(c.dims.size(), 1), out = c.dims;
  for (std::size_t k = 0; k < starts.size(); ++k) {
    const auto ax = static_cast<std::size_t>(norm_axis(axes[k], r, w, "axes"));
    const std::int64_t d = c.dims[ax], st = steps[k];
    if (st == 0) fail("io.212", w, "steps must not be 0");
    std::int64_t s = starts[k], e = ends[k];
    if (s < 0) s += d;  // no overflow: d >= 0
    if (e < 0) e += d;
    if (st > 0) {
      s = std::clamp<std::int64_t>(s, 0, d);
      e = std::clamp<std::int64_t>(e, 0, d);
    } else {
      s = std::clamp<std::int64_t>(s, 0, d - 1);
      e = std::clamp<std::int64_t>(e, -1, d - 1);
    }
    first[ax] = s;
    step[ax] = st;
    // Element count ceil(len / |st|) without forming st - 1 or -st (st may be INT64_MIN / MAX);
    // s and e are clamped to [-1, d], so len cannot overflow.
    const std::int64_t len = st > 0 ? e - s : s - e;
    const std::uint64_t mag = st > 0 ? std::uint64_t(st) : std::uint64_t(0) - std::uint64_t(st);
    out[ax] = len <= 0 ? 0 : static_cast<std::int64_t>((std::uint64_t(len) - 1) / mag + 1);
  }
  Constant o;
  o.integer = c.integer;
  o.dims = out;
  std::uint64_t count = 0;
  element_count(out, count);
  std::vector<std::int64_t> idx(out.size(), 0);
  for (std::uint64_t k = 0; k < count; ++k) {
    std::int64_t src = 0;
    for (std::size_t i = 0; i < out.size(); ++i) src = src * c.dims[i] + first[i] + idx[i] * step[i];
    const auto u = static_cast<std::size_t>(src);
    if (c.integer) o.ints.push_back(c.ints[u]); else o.reals.push_back(c.reals[u]);
    if (!c.batch.empty()) o.batch.push_back(c.batch[u]);
    for (std::size_t i = out.size(); i-- > 0;) {
      if (++idx[i] < out[i]) break;
      idx[i] = 0;
    }
  }
  im.define(n, 0, Value::constant(std::move(o)));
}

}  // namespace detail::onnxio
ATTRIB_END_NAMESPACE
