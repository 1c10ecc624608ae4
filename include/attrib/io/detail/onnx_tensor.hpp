#pragma once
// ONNX TensorProto decoding for the importer: constants held in double (floating types) or
// int64 (integer and bool types) with any rank, as ONNX's shape arithmetic needs, and their
// conversion to attrib tensors (rank 1-4) for weights. Part of attrib::onnx (needs libonnx).
#include "attrib/core/config.hpp"
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "attrib/core/error.hpp"
#include "attrib/core/tensor.hpp"

ATTRIB_BEGIN_NAMESPACE
namespace detail::onnxio {

/// A compile-time value of the graph: an initializer, a Constant node's tensor, a weight
/// supplied by the caller, or (integer) a shape computed from the input's shape. `batch`
/// marks integer elements that stand for the input's batch size (from Shape), so that
/// Reshape can tell "keep the batch dimension" from a literal.
struct Constant {
  std::vector<std::int64_t> dims;
  bool integer = false;
  std::vector<double> reals;        // when !integer
  std::vector<std::int64_t> ints;   // when integer
  std::vector<char> batch;          // when integer: 1 = this element is the input's batch size

  std::size_t size() const { return integer ? ints.size() : reals.size(); }
  double real(std::size_t i) const { return integer ? static_cast<double>(ints[i]) : reals[i]; }
  bool from_batch(std::size_t i) const { return i < batch.size() && batch[i] != 0; }
  bool depends_on_batch() const {
    for (char b : batch)
      if (b) return true;
    return false;
  }
};

/// Largest constant the importer computes itself (ConstantOfShape, broadcasting arithmetic);
/// constants read from the file are bounded by the file's size instead.
inline constexpr std::uint64_t max_constant = std::uint64_t(1) << 24;

/// a * b for a, b >= 0, saturated at 2^62 (dimensions read from a file may be anything).
inline std::int64_t sat_mul(std::int64_t a, std::int64_t b) {
  constexpr std::int64_t cap = std::int64_t(1) << 62;
  return (b != 0 && a > cap / b) ? cap : std::min(a * b, cap);
}

inline std::string dims_str(const std::vector<std::int64_t>& d) {
  std::string s = "[";
  for (std::size_t i = 0; i < d.size(); ++i) s += (i ? ", " : "") + std::to_string(d[i]);
  return s + "]";
}

/// Element count of dims (each >= 0); false on overflow past 2^40 elements.
inline bool element_count(const std::vector<std::int64_t>& dims, std::uint64_t& n) {
  constexpr std::uint64_t limit = std::uint64_t(1) << 40;
  n = 1;
  for (auto d : dims) {
    if (d < 0) return false;
    if (d == 0) { n = 0; continue; }
    if (n > limit / static_cast<std::uint64_t>(d)) return false;
    n *= static_cast<std::uint64_t>(d);
  }
  return true;
}

inline std::string data_type_name(int dt) {
  return ::onnx::TensorProto_DataType_IsValid(dt)
             ? ::onnx::TensorProto_DataType_Name(static_cast<::onnx::TensorProto_DataType>(dt))
             : "unknown (" + std::to_string(dt) + ")";
}

/// Little-endian element i of `bytes` (size w) as raw bits.
inline std::uint64_t le_bits(const std::string& bytes, std::size_t i, int w) {
  std::uint64_t u = 0;
  for (int b = w - 1; b >= 0; --b)
    u = (u << 8) | static_cast<unsigned char>(bytes[i * static_cast<std::size_t>(w) + static_cast<std::size_t>(b)]);
  return u;
}

/// Decodes a TensorProto; `what` names it in messages ("ONNX file 'm.onnx': initializer 'w'").
inline Constant decode_tensor(const ::onnx::TensorProto& t, const std::string& what) {
  using TP = ::onnx::TensorProto;
  if (t.has_data_location() && t.data_location() == TP::EXTERNAL)
    raise<IoError>("io.222", what, ": data stored in an external file; attrib reads only tensors stored "
                   "inside the model (re-save the model without external data)");
  if (t.has_segment())
    raise<IoError>("io.222", what, ": segmented tensor data is not supported");
  Constant c;
  c.dims.assign(t.dims().begin(), t.dims().end());
  std::uint64_t n = 0;
  if (!element_count(c.dims, n))
    raise<IoError>("io.221", what, ": invalid dimensions ", dims_str(c.dims));
  const int dt = t.data_type();
  int width = 0;  // bytes per element in raw_data
  switch (dt) {
    case TP::FLOAT: case TP::INT32: case TP::UINT32: width = 4; break;
    case TP::DOUBLE: case TP::INT64: case TP::UINT64: width = 8; break;
    case TP::UINT8: case TP::INT8: case TP::BOOL: width = 1; break;
    case TP::UINT16: case TP::INT16: width = 2; break;
    default:
      raise<IoError>("io.220", what, ": data type ", data_type_name(dt),
                     "; supported: FLOAT, DOUBLE and the integer and BOOL types");
  }
  c.integer = dt != TP::FLOAT && dt != TP::DOUBLE;
  const std::size_t count = static_cast<std::size_t>(n);
  auto stored = [&](std::size_t have, const char* field) {
    if (have != count)
      raise<IoError>("io.221", what, ": ", field, " holds ", have, " values but dimensions ", dims_str(c.dims),
                     " need ", count);
  };
  if (t.has_raw_data()) {
    const std::string& raw = t.raw_data();
    if (raw.size() != count * static_cast<std::size_t>(width))
      raise<IoError>("io.221", what, ": raw_data holds ", raw.size(), " bytes but ", data_type_name(dt), " ",
                     dims_str(c.dims), " needs ", count * static_cast<std::size_t>(width));
    if (c.integer) c.ints.resize(count); else c.reals.resize(count);
    for (std::size_t i = 0; i < count; ++i) {
      const std::uint64_t u = le_bits(raw, i, width);
      switch (dt) {
        case TP::FLOAT: { std::uint32_t v = static_cast<std::uint32_t>(u); float f; std::memcpy(&f, &v, 4); c.reals[i] = f; break; }
        case TP::DOUBLE: { double f; std::memcpy(&f, &u, 8); c.reals[i] = f; break; }
        case TP::INT8: c.ints[i] = static_cast<std::int8_t>(u); break;
        case TP::INT16: c.ints[i] = static_cast<std::int16_t>(u); break;
        case TP::INT32: c.ints[i] = static_cast<std::int32_t>(u); break;
        case TP::INT64: case TP::UINT64: c.ints[i] = static_cast<std::int64_t>(u); break;
        default: c.ints[i] = static_cast<std::int64_t>(u); break;  // unsigned types and BOOL
      }
    }
    return c;
  }
  if (dt == TP::FLOAT) {
    stored(static_cast<std::size_t>(t.float_data_size()), "float_data");
    c.reals.assign(t.float_data().begin(), t.float_data().end());
  } else if (dt == TP::DOUBLE) {
    stored(static_cast<std::size_t>(t.double_data_size()), "double_data");
    c.reals.assign(t.double_data().begin(), t.double_data().end());
  } else if (dt == TP::INT64) {
    stored(static_cast<std::size_t>(t.int64_data_size()), "int64_data");
    c.ints.assign(t.int64_data().begin(), t.int64_data().end());
  } else if (dt == TP::UINT32 || dt == TP::UINT64) {
    stored(static_cast<std::size_t>(t.uint64_data_size()), "uint64_data");
    for (auto v : t.uint64_data()) c.ints.push_back(static_cast<std::int64_t>(v));
  } else {
    stored(static_cast<std::size_t>(t.int32_data_size()), "int32_data");
    c.ints.assign(t.int32_data().begin(), t.int32_data().end());
  }
  return c;
}

/// A constant as an attrib tensor of type T (rank 0 becomes [1]; rank above 4 is refused).
template <class T>
Tensor<T> to_tensor(const Constant& c, const std::string& what) {
  if (c.dims.size() > 4)
    raise<IoError>("io.223", what, ": shape ", dims_str(c.dims), " has rank ", c.dims.size(),
                   "; attrib tensors have rank 1 to 4");
  if (c.depends_on_batch())
    raise<IoError>("io.213", what, ": is computed from the input's shape, expected fixed data");
  Shape s = c.dims.empty() ? Shape{1} : Shape::from_range(c.dims.begin(), c.dims.end());
  Tensor<T> t(s);
  for (std::size_t i = 0; i < c.size(); ++i) t[static_cast<Index>(i)] = static_cast<T>(c.real(i));
  return t;
}

/// A caller-supplied tensor as a floating-point constant with the given ONNX dimensions.
template <class T>
Constant from_tensor(const Tensor<T>& t, std::vector<std::int64_t> dims) {
  Constant c;
  c.dims = std::move(dims);
  c.reals.assign(t.data(), t.data() + t.size());
  return c;
}

/// out = transpose(c, perm) for any rank (numpy semantics; empty perm reverses the axes).
inline Constant permute(const Constant& c, std::vector<std::int64_t> perm, const std::string& what) {
  const std::size_t r = c.dims.size();
  if (perm.empty())
    for (std::size_t i = 0; i < r; ++i) perm.push_back(static_cast<std::int64_t>(r - 1 - i));
  std::vector<char> seen(r, 0);
  bool ok = perm.size() == r;
  for (auto p : perm) {
    if (!ok || p < 0 || p >= static_cast<std::int64_t>(r) || seen[static_cast<std::size_t>(p)]) { ok = false; break; }
    seen[static_cast<std::size_t>(p)] = 1;
  }
  if (!ok)
    raise<IoError>("io.212", what, ": perm ", dims_str(perm), " is not a permutation of the ", r, " axes of ",
                   dims_str(c.dims));
  Constant out = c;
  std::vector<std::int64_t> in_stride(r, 1);
  for (std::size_t i = r; i-- > 1;) in_stride[i - 1] = in_stride[i] * c.dims[i];
  for (std::size_t i = 0; i < r; ++i) out.dims[i] = c.dims[static_cast<std::size_t>(perm[i])];
  std::vector<std::int64_t> idx(r, 0);
  for (std::size_t o = 0; o < c.size(); ++o) {
    std::int64_t src = 0;
    for (std::size_t i = 0; i < r; ++i) src += idx[i] * in_stride[static_cast<std::size_t>(perm[i])];
    const auto s = static_cast<std::size_t>(src);
    if (c.integer) out.ints[o] = c.ints[s]; else out.reals[o] = c.reals[s];
    if (!c.batch.empty()) out.batch[o] = c.batch[s];
    for (std::size_t i = r; i-- > 0;) {
      if (++idx[i] < out.dims[i]) break;
      idx[i] = 0;
    }
  }
  return out;
}

}  // namespace detail::onnxio
ATTRIB_END_NAMESPACE
