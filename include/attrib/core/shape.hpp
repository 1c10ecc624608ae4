#pragma once
// Shape of a tensor: rank 1 to 4, NCHW order, row-major contiguous.
#include <array>
#include <cstdint>
#include <initializer_list>
#include <ostream>
#include <sstream>
#include <string>

#include "attrib/core/config.hpp"
#include "attrib/core/error.hpp"

ATTRIB_BEGIN_NAMESPACE

namespace detail {
/// *out = a * b; true if the product does not fit (then *out is unspecified). a, b >= 0.
inline bool mul_overflow(Index a, Index b, Index* out) {
#if defined(__GNUC__) || defined(__clang__)
  return __builtin_mul_overflow(a, b, out);
#else
  if (a != 0 && b > PTRDIFF_MAX / a) return true;
  *out = a * b;
  return false;
#endif
}
}  // namespace detail

class Shape {
 public:
  static constexpr int max_rank = 4;

  Shape() = default;
  Shape(std::initializer_list<Index> dims) {
    if (dims.size() < 1 || dims.size() > max_rank)
      raise<ShapeError>("shape.001", "Shape: rank ", dims.size(), " given, expected 1 to 4");
    for (Index d : dims) {
      if (d < 0) raise<ShapeError>("shape.002", "Shape: negative dimension ", d);
      dims_[rank_++] = d;
    }
    check_product();
  }
  template <class It>
  static Shape from_range(It first, It last) {
    Shape s;
    for (; first != last; ++first) {
      if (s.rank_ == max_rank)
        raise<ShapeError>("shape.001", "Shape: more than 4 dimensions given");
      if (*first < 0) raise<ShapeError>("shape.002", "Shape: negative dimension ", *first);
      s.dims_[s.rank_++] = static_cast<Index>(*first);
    }
    if (s.rank_ == 0) raise<ShapeError>("shape.001", "Shape: rank 0 given, expected 1 to 4");
    s.check_product();
    return s;
  }

  int rank() const { return rank_; }
  Index operator[](int i) const { return dims_[i]; }
  Index& operator[](int i) { return dims_[i]; }
  /// Number of elements (1 for an empty shape of rank 0). Checked: a product of dimensions
  /// that does not fit in Index is a ShapeError (shape.003), never a wrapped value.
  Index size() const {
    Index n = 1;
    for (int i = 0; i < rank_; ++i)
      if (detail::mul_overflow(n, dims_[i], &n)) overflow();
    return n;
  }
  /// Leading (batch) dimension.
  Index batch() const { return rank_ > 0 ? dims_[0] : 0; }
  /// Elements per batch item.
  Index sample_size() const { return rank_ > 0 && dims_[0] > 0 ? size() / dims_[0] : 0; }
  /// The same shape with the batch dimension replaced.
  Shape with_batch(Index n) const {
    Shape s = *this;
    s.dims_[0] = n;
    s.check_product();
    return s;
  }
  const Index* begin() const { return dims_.data(); }
  const Index* end() const { return dims_.data() + rank_; }

  friend bool operator==(const Shape& a, const Shape& b) {
    if (a.rank_ != b.rank_) return false;
    for (int i = 0; i < a.rank_; ++i)
      if (a.dims_[i] != b.dims_[i]) return false;
    return true;
  }
  friend bool operator!=(const Shape& a, const Shape& b) { return !(a == b); }
  friend std::ostream& operator<<(std::ostream& os, const Shape& s) {
    os << '[';
    for (int i = 0; i < s.rank_; ++i) os << (i ? ", " : "") << s.dims_[i];
    return os << ']';
  }
  std::string str() const {
    std::ostringstream os;
    os << *this;
    return os.str();
  }

 private:
  /// Every partial product of the dimensions (zeros skipped, so that [2^40, 2^40, 0] is refused
  /// too: strides and sample sizes multiply the non-zero ones) must fit in Index.
  void check_product() const {
    Index n = 1;
    for (int i = 0; i < rank_; ++i)
      if (dims_[i] != 0 && detail::mul_overflow(n, dims_[i], &n)) overflow();
  }
  [[noreturn]] void overflow() const {
    std::ostringstream os;
    os << '[';
    for (int i = 0; i < rank_; ++i) os << (i ? ", " : "") << dims_[i];
    raise<ShapeError>("shape.003", "Shape ", os.str(), "]: the product of the dimensions overflows a ",
                      8 * sizeof(Index), "-bit index");
  }
  std::array<Index, max_rank> dims_{};
  int rank_ = 0;
};

ATTRIB_END_NAMESPACE
