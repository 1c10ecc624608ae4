#pragma once
// safetensors files (https://github.com/huggingface/safetensors): read named F32/F64 tensors
// into Tensor<T>, write Tensor<float> as F32 and Tensor<double> as F64. Standard library only.
//
// Layout: 8-byte little-endian header length N, N bytes of JSON
//   {"name": {"dtype": "F64", "shape": [2, 3], "data_offsets": [begin, end]}, ...,
//    "__metadata__": {"key": "value", ...}}
// then the data buffer; offsets are relative to the buffer's start (byte 8 + N).
//
// load() validates everything before it allocates a tensor: header length against the file
// size and a 100 MB limit, the JSON, every entry's fields, dtype, rank (0 becomes [1]; above
// 4 is refused), offsets within the buffer, offsets matching dtype x shape, no overlap and no
// unindexed bytes (the format forbids holes). Each failure is an IoError (ids io.100-io.121,
// see docs/io.md) whose message names the file and the tensor or byte offset concerned.
#include "attrib/core/config.hpp"
#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "attrib/core/tensor.hpp"
#include "attrib/io/detail/binary.hpp"
#include "attrib/io/detail/json_lite.hpp"

ATTRIB_BEGIN_NAMESPACE

/// What SafeTensors::load does with tensors whose dtype is not F32 or F64
/// (e.g. PyTorch's int64 BatchNorm "num_batches_tracked").
enum class UnsupportedDtype {
  reject,  ///< throw IoError io.114 (default)
  skip     ///< leave them out; their names are listed by skipped()
};

namespace detail::safetensors {

inline constexpr std::uint64_t max_header_bytes = 100'000'000;
inline constexpr const char* format = "safetensors";

/// Element size of a safetensors dtype, 0 if unknown.
inline std::uint64_t dtype_size(const std::string& d) {
  static const std::pair<const char*, std::uint64_t> table[] = {
      {"BOOL", 1}, {"U8", 1},  {"I8", 1},  {"F8_E5M2", 1}, {"F8_E4M3", 1}, {"I16", 2},
      {"U16", 2},  {"F16", 2}, {"BF16", 2}, {"I32", 4},    {"U32", 4},     {"F32", 4},
      {"I64", 8},  {"U64", 8}, {"F64", 8}};
  for (const auto& [name, size] : table)
    if (d == name) return size;
  return 0;
}

struct Entry {
  std::string name;
  std::string dtype;
  std::vector<Index> dims;  // rank 1-4 (a rank-0 scalar becomes [1])
  std::uint64_t begin = 0, end = 0;  // relative to the data buffer
  std::uint64_t header_offset = 0;   // file offset of the entry, for messages
  bool supported = false;
};

struct Header {
  std::vector<Entry> entries;  // sorted by begin offset
  std::map<std::string, std::string> metadata;
  std::vector<std::string> skipped;
  std::uint64_t data_start = 0;  // 8 + N
};

/// dims x elem bytes into `out`; false if the product of the non-zero dims overflows 2^62
/// (so that no Shape::size() computed later can overflow either).
inline bool byte_count(const std::vector<Index>& dims, std::uint64_t elem, std::uint64_t& out) {
  constexpr std::uint64_t limit = std::uint64_t(1) << 62;
  std::uint64_t n = elem;
  bool zero = false;
  for (Index d : dims) {
    const auto u = static_cast<std::uint64_t>(d);
    if (u == 0) { zero = true; continue; }
    if (n > limit / u) return false;
    n *= u;
  }
  out = zero ? 0 : n;
  return true;
}

inline Entry parse_entry(const std::string& path, const std::string& name, const json::Value& v,
                         std::uint64_t data_start, std::uint64_t buffer_size, UnsupportedDtype policy) {
  Entry e;
  e.name = name;
  e.header_offset = 8 + v.offset();
  auto bad = [&](const std::string& what) {
    raise<IoError>("io.113", "safetensors file '", path, "': tensor '", name, "' (header byte ",
                   e.header_offset, "): ", what);
  };
  if (!v.is_object()) bad(std::string("entry is a JSON ") + v.type_name() + ", expected an object");
  const json::Value* dtype = v.find("dtype");
  const json::Value* shape = v.find("shape");
  const json::Value* offsets = v.find("data_offsets");
  if (!dtype || !dtype->is_string()) bad("missing or non-string \"dtype\"");
  if (!shape || !shape->is_array()) bad("missing or non-array \"shape\"");
  if (!offsets || !offsets->is_array() || offsets->items().size() != 2 ||
      !offsets->items()[0].is_unsigned() || !offsets->items()[1].is_unsigned())
    bad("\"data_offsets\" must be an array of two non-negative integers");
  for (const auto& d : shape->items())
    if (!d.is_unsigned() || d.as_unsigned() > static_cast<std::uint64_t>(INT64_MAX))
      bad("\"shape\" must be an array of non-negative integers");

  e.dtype = dtype->as_string();
  e.supported = e.dtype == "F32" || e.dtype == "F64";
  if (!e.supported && policy == UnsupportedDtype::reject)
    raise<IoError>("io.114", "safetensors file '", path, "': tensor '", name, "' has dtype ", e.dtype,
                   dtype_size(e.dtype) ? "" : " (unknown)",
                   "; only F32 and F64 are supported (or load with UnsupportedDtype::skip)");
  const std::size_t rank = shape->items().size();
  if (rank > 4)
    raise<IoError>("io.115", "safetensors file '", path, "': tensor '", name, "' has rank ", rank,
                   " (header byte ", e.header_offset, "); attrib tensors have rank 1 to 4");
  for (const auto& d : shape->items()) e.dims.push_back(static_cast<Index>(d.as_unsigned()));
  if (e.dims.empty()) e.dims.push_back(1);  // a scalar

  e.begin = offsets->items()[0].as_unsigned();
  e.end = offsets->items()[1].as_unsigned();
  if (e.begin > e.end)
    raise<IoError>("io.116", "safetensors file '", path, "': tensor '", name, "' has data_offsets [",
                   e.begin, ", ", e.end, "] whose begin is after its end");
  if (e.end > buffer_size)
    raise<IoError>("io.116", "safetensors file '", path, "': tensor '", name, "' has data_offsets [",
                   e.begin, ", ", e.end, "] (file bytes ", data_start + e.begin, " to ", data_start + e.end,
                   ") past the end of the data buffer of ", buffer_size, " bytes (file size ",
                   data_start + buffer_size, "); the file is truncated or corrupt");
  const std::uint64_t elem = dtype_size(e.dtype);
  std::uint64_t expected = 0;
  const bool fits = byte_count(e.dims, elem, expected);
  if (elem != 0 && (!fits || expected != e.end - e.begin)) {
    std::string dims_str = "[";
    for (std::size_t i = 0; i < e.dims.size(); ++i) dims_str += (i ? ", " : "") + std::to_string(e.dims[i]);
    raise<IoError>("io.117", "safetensors file '", path, "': tensor '", name, "' has data_offsets [",
                   e.begin, ", ", e.end, "] (", e.end - e.begin, " bytes) but dtype ", e.dtype,
                   " and shape ", dims_str, "] need ", fits ? std::to_string(expected) : "more than 2^62",
                   " bytes");
  }
  return e;
}

/// Reads and validates the header (not the tensor data).
inline Header read_header(detail::io::InputFile& file, UnsupportedDtype policy) {
  const std::string& path = file.path();
  if (file.size() < 8)
    raise<IoError>("io.110", "safetensors file '", path, "': ", file.size(),
                   " bytes, too short for the 8-byte header length");
  unsigned char len_bytes[8];
  file.read(0, len_bytes, 8, "header length");
  const std::uint64_t n = detail::io::read_le(len_bytes, 8);
  if (n > max_header_bytes)
    raise<IoError>("io.111", "safetensors file '", path, "': header length ", n,
                   " (at byte 0) exceeds the limit of ", max_header_bytes, " bytes");
  if (n > file.size() - 8)
    raise<IoError>("io.111", "safetensors file '", path, "': header length ", n,
                   " (at byte 0) runs past the end of the file (", file.size(),
                   " bytes); the file is truncated or not safetensors");

  std::string text(static_cast<std::size_t>(n), '\0');
  file.read(8, text.data(), n, "JSON header");
  json::Value root;
#if ATTRIB_NO_EXCEPTIONS
  root = json::parse(text);  // a parse error goes to the error handler (io.112)
#else
  try {
    root = json::parse(text);
  } catch (const json::ParseError& e) {
    raise<IoError>("io.112", "safetensors file '", path, "': malformed JSON header at byte ", 8 + e.offset,
                   ": ", e.what);
  }
#endif
  if (!root.is_object())
    raise<IoError>("io.113", "safetensors file '", path, "': header is a JSON ", root.type_name(),
                   ", expected an object (byte 8)");

  Header h;
  h.data_start = 8 + n;
  const std::uint64_t buffer_size = file.size() - h.data_start;
  for (std::size_t i = 0; i < root.keys().size(); ++i) {
    const std::string& key = root.keys()[i];
    const json::Value& v = root.values()[i];
    if (key == "__metadata__") {
      if (!v.is_object())
        raise<IoError>("io.113", "safetensors file '", path, "': \"__metadata__\" (header byte ",
                       8 + v.offset(), ") is a JSON ", v.type_name(), ", expected an object");
      for (std::size_t j = 0; j < v.keys().size(); ++j) {
        if (!v.values()[j].is_string())
          raise<IoError>("io.113", "safetensors file '", path, "': metadata value \"", v.keys()[j],
                         "\" (header byte ", 8 + v.values()[j].offset(), ") is a JSON ",
                         v.values()[j].type_name(), ", expected a string");
        h.metadata[v.keys()[j]] = v.values()[j].as_string();
      }
      continue;
    }
    Entry e = parse_entry(path, key, v, h.data_start, buffer_size, policy);
    if (!e.supported) h.skipped.push_back(key);
    h.entries.push_back(std::move(e));
  }

  // The buffer must be covered exactly: no overlaps, no holes, nothing after the last tensor.
  std::sort(h.entries.begin(), h.entries.end(), [](const Entry& a, const Entry& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  std::uint64_t covered = 0;
  const Entry* prev = nullptr;
  for (const Entry& e : h.entries) {
    if (e.begin < covered)
      raise<IoError>("io.118", "safetensors file '", path, "': tensors '", prev->name, "' [", prev->begin,
                     ", ", prev->end, "] and '", e.name, "' [", e.begin, ", ", e.end, "] overlap");
    if (e.begin > covered)
      raise<IoError>("io.119", "safetensors file '", path, "': data bytes [", covered, ", ", e.begin,
                     ") before tensor '", e.name, "' belong to no tensor (file bytes from ",
                     h.data_start + covered, ")");
    covered = e.end;
    prev = &e;
  }
  if (covered != buffer_size)
    raise<IoError>("io.119", "safetensors file '", path, "': ", buffer_size - covered,
                   " trailing bytes after the last tensor (from file byte ", h.data_start + covered,
                   ") belong to no tensor");
  std::sort(h.skipped.begin(), h.skipped.end());
  return h;
}

}  // namespace detail::safetensors

/// The tensors of one safetensors file, converted to T (F32 -> double is exact; F64 -> float
/// rounds to nearest).
template <class T>
class SafeTensors {
  static_assert(detail::io::is_io_scalar_v<T>, "SafeTensors<T>: T must be float or double");

 public:
  static constexpr std::uint64_t max_header_bytes = detail::safetensors::max_header_bytes;

  /// Reads and validates `path`; throws IoError (see the file comment).
  static SafeTensors load(const std::string& path, UnsupportedDtype policy = UnsupportedDtype::reject) {
    detail::io::InputFile file(path, detail::safetensors::format);
    detail::safetensors::Header h = detail::safetensors::read_header(file, policy);
    SafeTensors st;
    st.path_ = path;
    st.metadata_ = std::move(h.metadata);
    st.skipped_ = std::move(h.skipped);
    std::vector<unsigned char> bytes;
    for (const auto& e : h.entries) {
      if (!e.supported) continue;
      bytes.resize(static_cast<std::size_t>(e.end - e.begin));
      file.read(h.data_start + e.begin, bytes.data(), bytes.size(), "data of tensor '" + e.name + "'");
      Tensor<T> t(Shape::from_range(e.dims.begin(), e.dims.end()));
      const auto f = e.dtype == "F32" ? detail::io::Float::f32 : detail::io::Float::f64;
      detail::io::decode(f, bytes.data(), static_cast<std::size_t>(t.size()), t.data());
      st.tensors_.emplace(e.name, std::move(t));
    }
    return st;
  }

  const std::string& path() const { return path_; }
  bool contains(const std::string& name) const { return tensors_.count(name) != 0; }
  /// The tensor called `name`; IoError io.120 listing the available names if there is none.
  const Tensor<T>& get(const std::string& name) const {
    auto it = tensors_.find(name);
    if (it == tensors_.end()) {
      std::string list;
      for (const auto& kv : tensors_) list += (list.empty() ? "'" : ", '") + kv.first + "'";
      raise<IoError>("io.120", "safetensors file '", path_, "': no tensor '", name, "'; available: ",
                     list.empty() ? std::string("none") : list);
    }
    return it->second;
  }
  /// Names of the loaded tensors, sorted.
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& kv : tensors_) out.push_back(kv.first);
    return out;
  }
  /// The optional "__metadata__" string map.
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  /// Tensors left out under UnsupportedDtype::skip, sorted.
  const std::vector<std::string>& skipped() const { return skipped_; }

 private:
  std::string path_;
  std::map<std::string, Tensor<T>> tensors_;
  std::map<std::string, std::string> metadata_;
  std::vector<std::string> skipped_;
};

/// Writes `tensors` (F32 for float, F64 for double) and `metadata` to `path`. Tensors are stored
/// sorted by name with the header padded by spaces to a multiple of 8 bytes, so the same input
/// always gives the same bytes. Names must be unique, non-empty and not "__metadata__" (io.121).
template <class T>
void save_safetensors(const std::string& path, const std::vector<std::pair<std::string, ConstView<T>>>& tensors,
                      const std::map<std::string, std::string>& metadata = {}) {
  using detail::json::quote;
  std::map<std::string, ConstView<T>> sorted;
  for (const auto& [name, view] : tensors) {
    if (name.empty() || name == "__metadata__")
      raise<IoError>("io.121", "safetensors file '", path, "': invalid tensor name '", name, "'");
    if (view.rank() == 0 || (view.data() == nullptr && view.size() > 0))
      raise<IoError>("io.121", "safetensors file '", path, "': tensor '", name, "' is an empty view");
    if (!sorted.emplace(name, view).second)
      raise<IoError>("io.121", "safetensors file '", path, "': tensor name '", name, "' given twice");
  }
  const char* dtype = detail::io::format_of<T>() == detail::io::Float::f32 ? "F32" : "F64";

  std::string header = "{";
  if (!metadata.empty()) {
    header += "\"__metadata__\":{";
    bool first = true;
    for (const auto& [k, v] : metadata) {
      header += (first ? "" : ",") + quote(k) + ":" + quote(v);
      first = false;
    }
    header += "}";
  }
  std::uint64_t offset = 0;
  for (const auto& [name, view] : sorted) {
    const std::uint64_t bytes = static_cast<std::uint64_t>(view.size()) * sizeof(T);
    header += (header.size() > 1 ? "," : "") + quote(name) + ":{\"dtype\":\"" + dtype + "\",\"shape\":[";
    for (int i = 0; i < view.rank(); ++i) header += (i ? "," : "") + std::to_string(view.dim(i));
    header += "],\"data_offsets\":[" + std::to_string(offset) + "," + std::to_string(offset + bytes) + "]}";
    offset += bytes;
  }
  header += "}";
  header.append((8 - header.size() % 8) % 8, ' ');

  std::vector<unsigned char> out(8 + header.size() + offset);
  detail::io::write_le(header.size(), 8, out.data());
  std::copy(header.begin(), header.end(), out.begin() + 8);
  unsigned char* p = out.data() + 8 + header.size();
  for (const auto& [name, view] : sorted) {
    detail::io::encode(view.data(), static_cast<std::size_t>(view.size()), p);
    p += view.size() * static_cast<Index>(sizeof(T));
  }
  detail::io::write_file(path, out, detail::safetensors::format);
}

ATTRIB_END_NAMESPACE
