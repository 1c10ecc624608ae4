#pragma once
// Span<V>: a read-only view of n contiguous values (C++17 has no std::span) -- the inputs of a
// layer with a variable number of them (Layer::arity == attrib::variadic). Converts implicitly
// from std::vector, std::array and a braced list, so `concat.forward({a, b, c}, y, ws)` works;
// a braced list lives until the end of the full expression (the call it is passed to) -- never
// store such a Span.
#include "attrib/core/config.hpp"
#include <array>
#include <cstddef>
#include <initializer_list>
#include <vector>

ATTRIB_BEGIN_NAMESPACE

template <class V>
class Span {
 public:
  using value_type = V;

  Span() = default;
  Span(const V* data, int size) : data_(data), size_(size) {}
  Span(const std::vector<V>& v) : data_(v.data()), size_(static_cast<int>(v.size())) {}  // NOLINT: implicit by design
  template <std::size_t N>
  Span(const std::array<V, N>& a) : data_(a.data()), size_(static_cast<int>(N)) {}  // NOLINT
#if defined(__GNUC__) && !defined(__clang__)
#  pragma GCC diagnostic push
#  pragma GCC diagnostic ignored "-Winit-list-lifetime"
#endif
  Span(std::initializer_list<V> list) : data_(list.begin()), size_(static_cast<int>(list.size())) {}  // NOLINT
#if defined(__GNUC__) && !defined(__clang__)
#  pragma GCC diagnostic pop
#endif

  int size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const V& operator[](int k) const { return data_[k]; }
  const V* data() const { return data_; }
  const V* begin() const { return data_; }
  const V* end() const { return data_ + size_; }

 private:
  const V* data_ = nullptr;
  int size_ = 0;
};

ATTRIB_END_NAMESPACE
