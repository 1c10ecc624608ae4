#pragma once
// NumPy .npy files (format versions 1.0 and 2.0): read '<f4' / '<f8' arrays in C order into
// Tensor<T>, write Tensor<float> as '<f4' and Tensor<double> as '<f8'. Standard library only.
//
// Layout: "\x93NUMPY", major, minor, header length (2 bytes LE in 1.0, 4 bytes in 2.0), a
// Python dict literal {'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), } padded with
// spaces and '\n' so that the data starts at a multiple of 64, then the raw data.
//
// load_npy() checks the magic, version, header length, the dict (exactly those three keys),
// dtype, memory order, rank (0 becomes [1]; above 4 is refused) and that the data is exactly
// as long as the shape says. Each failure is an IoError (ids io.100-io.102, io.130-io.139,
// see docs/io.md) whose message names the file and the byte offset concerned.
#include "attrib/core/config.hpp"
#include <cstdint>
#include <string>
#include <vector>

#include "attrib/core/tensor.hpp"
#include "attrib/io/detail/binary.hpp"

ATTRIB_BEGIN_NAMESPACE

namespace detail::npy {

inline constexpr const char* format = "npy";
inline constexpr unsigned char magic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};

struct Header {
  std::string descr;
  bool fortran_order = false;
  std::vector<Index> dims;
};

/// Parser for the header's Python literal: a dict of 'descr' (str), 'fortran_order' (bool) and
/// 'shape' (tuple of ints). `base` is the header's file offset, for messages.
class HeaderParser {
 public:
  HeaderParser(const std::string& path, const std::string& text, std::uint64_t base)
      : path_(path), s_(text), base_(base) {}

  Header parse() {
    Header h;
    bool seen[3] = {false, false, false};
    skip_ws();
    expect('{');
    for (;;) {
      skip_ws();
      if (peek() == '}') { ++pos_; break; }
      const std::size_t key_at = pos_;
      const std::string key = parse_string();
      skip_ws();
      expect(':');
      skip_ws();
      if (key == "descr") {
        if (peek() == '[')
          raise<IoError>("io.134", "npy file '", path_, "': structured dtype at byte ", base_ + pos_,
                         "; only '<f4' and '<f8' are supported");
        h.descr = parse_string();
        mark(seen[0], key, key_at);
      } else if (key == "fortran_order") {
        h.fortran_order = parse_bool();
        mark(seen[1], key, key_at);
      } else if (key == "shape") {
        h.dims = parse_tuple();
        mark(seen[2], key, key_at);
      } else {
        fail_at(key_at, "unexpected key '" + key + "'");
      }
      skip_ws();
      if (peek() == ',') { ++pos_; continue; }
      expect('}');
      break;
    }
    skip_ws();
    if (pos_ != s_.size()) fail("unexpected text after the header dict");
    if (!seen[0] || !seen[1] || !seen[2])
      fail_at(0, "the header dict must contain 'descr', 'fortran_order' and 'shape'");
    return h;
  }

 private:
  const std::string& path_;
  const std::string& s_;
  std::uint64_t base_;
  std::size_t pos_ = 0;

  [[noreturn]] void fail_at(std::size_t at, const std::string& what) const {
    raise<IoError>("io.133", "npy file '", path_, "': malformed header at byte ", base_ + at, ": ", what);
  }
  [[noreturn]] void fail(const std::string& what) const { fail_at(pos_, what); }
  void mark(bool& seen, const std::string& key, std::size_t at) const {
    if (seen) fail_at(at, "key '" + key + "' given twice");
    seen = true;
  }
  char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  void skip_ws() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r'))
      ++pos_;
  }
  void expect(char c) {
    if (peek() != c) fail(std::string("expected '") + c + "'");
    ++pos_;
  }
  std::string parse_string() {
    const char q = peek();
    if (q != '\'' && q != '"') fail("expected a quoted string");
    ++pos_;
    const std::size_t start = pos_;
    while (pos_ < s_.size() && s_[pos_] != q) {
      if (s_[pos_] == '\\') fail("escape sequences are not supported in the header");
      ++pos_;
    }
    if (pos_ >= s_.size()) fail_at(start - 1, "unterminated string");
    return s_.substr(start, pos_++ - start);
  }
  bool parse_bool() {
    if (s_.compare(pos_, 4, "True") == 0) { pos_ += 4; return true; }
    if (s_.compare(pos_, 5, "False") == 0) { pos_ += 5; return false; }
    fail("expected True or False");
  }
  std::vector<Index> parse_tuple() {
    std::vector<Index> dims;
    expect('(');
    for (;;) {
      skip_ws();
      if (peek() == ')') { ++pos_; break; }
      if (!(peek() >= '0' && peek() <= '9')) fail("expected a non-negative integer dimension");
      std::uint64_t d = 0;
      while (peek() >= '0' && peek() <= '9') {
        d = d * 10 + static_cast<std::uint64_t>(peek() - '0');
        if (d > (std::uint64_t(1) << 40)) fail("dimension too large");
        ++pos_;
      }
      if (peek() == 'L') ++pos_;  // Python 2 long
      dims.push_back(static_cast<Index>(d));
      skip_ws();
      if (peek() == ',') { ++pos_; continue; }
      expect(')');
      break;
    }
    return dims;
  }
};

inline std::string dims_str(const std::vector<Index>& dims) {
  std::string s = "(";
  for (std::size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + ")";
}

}  // namespace detail::npy

/// Reads a .npy file ('<f4' or '<f8', C order, rank 0-4) into a Tensor<T>; a 0-d array becomes
/// shape [1]. '<f4' -> double is exact; '<f8' -> float rounds to nearest.
template <class T>
Tensor<T> load_npy(const std::string& path) {
  static_assert(detail::io::is_io_scalar_v<T>, "load_npy<T>: T must be float or double");
  using detail::npy::format;
  detail::io::InputFile file(path, format);
  if (file.size() < 10)
    raise<IoError>("io.130", "npy file '", path, "': ", file.size(), " bytes, too short for the npy preamble");
  unsigned char pre[12] = {};
  file.read(0, pre, file.size() >= 12 ? 12 : 10, "preamble");
  for (int i = 0; i < 6; ++i)
    if (pre[i] != detail::npy::magic[i])
      raise<IoError>("io.130", "npy file '", path, "': no \\x93NUMPY magic at byte 0; not an npy file");
  const int major = pre[6], minor = pre[7];
  if ((major != 1 && major != 2) || minor != 0)
    raise<IoError>("io.131", "npy file '", path, "': format version ", major, ".", minor,
                   " (byte 6); only 1.0 and 2.0 are supported");
  const int len_bytes = major == 1 ? 2 : 4;
  const std::uint64_t start = 8 + static_cast<std::uint64_t>(len_bytes);
  if (file.size() < start)
    raise<IoError>("io.132", "npy file '", path, "': ", file.size(), " bytes, too short for the header length");
  const std::uint64_t hlen = detail::io::read_le(pre + 8, len_bytes);
  if (hlen > file.size() - start)
    raise<IoError>("io.132", "npy file '", path, "': header length ", hlen, " (at byte 8) runs past the end of the file (",
                   file.size(), " bytes); the file is truncated");

  std::string text(static_cast<std::size_t>(hlen), '\0');
  file.read(start, text.data(), hlen, "header");
  const detail::npy::Header h = detail::npy::HeaderParser(path, text, start).parse();

  detail::io::Float f;
  if (h.descr == "<f4") f = detail::io::Float::f32;
  else if (h.descr == "<f8") f = detail::io::Float::f64;
  else
    raise<IoError>("io.134", "npy file '", path, "': dtype '", h.descr,
                   "'; only '<f4' and '<f8' (little-endian float32/float64) are supported");
  if (h.fortran_order)
    raise<IoError>("io.135", "npy file '", path, "': fortran_order is True; only C order is supported");
  if (h.dims.size() > 4)
    raise<IoError>("io.136", "npy file '", path, "': array of rank ", h.dims.size(),
                   "; attrib tensors have rank 1 to 4");
  std::vector<Index> dims = h.dims;
  if (dims.empty()) dims.push_back(1);  // a 0-d array

  Index product = 1;  // of the non-zero dimensions: Shape refuses what does not fit in Index
  for (Index d : dims)
    if (d != 0 && detail::mul_overflow(product, d, &product))
      raise<IoError>("io.139", "npy file '", path, "': shape ", detail::npy::dims_str(dims),
                     ": the product of the dimensions overflows a 64-bit index");
  const Shape shape = Shape::from_range(dims.begin(), dims.end());
  const std::uint64_t data_start = start + hlen;
  const std::uint64_t have = file.size() - data_start;
  // Dimensions are below 2^40 each; compare element counts without forming huge products.
  std::uint64_t need_elems = 1;
  bool too_big = false;
  for (Index d : dims) {
    if (d == 0) { need_elems = 0; too_big = false; break; }
    if (need_elems > have / static_cast<std::uint64_t>(d)) too_big = true;
    else need_elems *= static_cast<std::uint64_t>(d);
  }
  const std::uint64_t need = need_elems * detail::io::byte_size(f);
  if (too_big || need > have)
    raise<IoError>("io.137", "npy file '", path, "': shape ", shape, " (", h.descr, ") needs ",
                   too_big ? std::string("more") : std::to_string(need), " data bytes from byte ", data_start,
                   " but the file has ", have, "; the file is truncated");
  if (need < have)
    raise<IoError>("io.137", "npy file '", path, "': ", have - need, " trailing bytes after the data (from byte ",
                   data_start + need, ")");

  Tensor<T> t(shape);
  std::vector<unsigned char> bytes(static_cast<std::size_t>(need));
  file.read(data_start, bytes.data(), need, "array data");
  detail::io::decode(f, bytes.data(), static_cast<std::size_t>(t.size()), t.data());
  return t;
}

/// Writes `x` to `path` as a version 1.0 .npy file ('<f4' for float, '<f8' for double, C order,
/// the data aligned to 64 bytes), bit-exact and byte-identical to numpy.save of the same array.
template <class T>
void save_npy(const std::string& path, ConstView<T> x) {
  static_assert(detail::io::is_io_scalar_v<T>, "save_npy<T>: T must be float or double");
  if (x.rank() == 0 || (x.data() == nullptr && x.size() > 0))
    raise<IoError>("io.138", "npy file '", path, "': cannot write an empty view");
  std::string header = std::string("{'descr': '") +
                       (detail::io::format_of<T>() == detail::io::Float::f32 ? "<f4" : "<f8") +
                       "', 'fortran_order': False, 'shape': (";
  for (int i = 0; i < x.rank(); ++i) header += (i ? ", " : "") + std::to_string(x.dim(i));
  header += x.rank() == 1 ? ",), }" : "), }";
  // As numpy.save does (so that the bytes are identical): room for the first dimension to grow
  // to 21 digits, then 1-64 spaces and '\n' so that the data starts at a multiple of 64.
  header.append(21 - std::to_string(x.dim(0)).size(), ' ');
  header.append(64 - (10 + header.size() + 1) % 64, ' ');
  header += '\n';

  std::vector<unsigned char> out(10 + header.size() + static_cast<std::size_t>(x.size()) * sizeof(T));
  std::copy(detail::npy::magic, detail::npy::magic + 6, out.begin());
  out[6] = 1;
  out[7] = 0;
  detail::io::write_le(header.size(), 2, out.data() + 8);
  std::copy(header.begin(), header.end(), out.begin() + 10);
  detail::io::encode(x.data(), static_cast<std::size_t>(x.size()), out.data() + 10 + header.size());
  detail::io::write_file(path, out, detail::npy::format);
}

ATTRIB_END_NAMESPACE
