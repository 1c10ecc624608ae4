#pragma once
// Span<E>: a non-owning (pointer, count) range for the n-ary layers (Concat) — std::span is
// C++20. Converts implicitly from std::vector, std::array, a C array and a braced list, so
// `concat.forward({a, b, c}, y, ws)` works; a braced list lives until the end of the call.
#include "attrib/core/config.hpp"
#include <array>
#include <cstddef>
#include <initializer_list>
#include <type_traits>
#include <vector>

ATTRIB_BEGIN_NAMESPACE

template <class E>
class Span {
 public:
  using value_type = std::remove_const_t<E>;

  constexpr Span() = default;
  constexpr Span(E* data, std::size_t size) : data_(data), size_(size) {}
  template <class A, class = std::enable_if_t<std::is_convertible_v<typename std::vector<A>::value_type*, E*>>>
  Span(std::vector<A>& v) : data_(v.data()), size_(v.size()) {}  // NOLINT: implicit by design
  template <class A, class = std::enable_if_t<std::is_convertible_v<const A*, E*>>>
  Span(const std::vector<A>& v) : data_(v.data()), size_(v.size()) {}  // NOLINT
  template <class A, std::size_t N, class = std::enable_if_t<std::is_convertible_v<A*, E*>>>
  constexpr Span(std::array<A, N>& a) : data_(a.data()), size_(N) {}  // NOLINT
  template <class A, std::size_t N, class = std::enable_if_t<std::is_convertible_v<const A*, E*>>>
  constexpr Span(const std::array<A, N>& a) : data_(a.data()), size_(N) {}  // NOLINT
  template <std::size_t N>
  constexpr Span(E (&a)[N]) : data_(a), size_(N) {}  // NOLINT
  /// Only for Span<const X> (a braced list is read-only); elements convert implicitly. The list
  /// lives until the end of the full expression, i.e. the call it is passed to (as std::span's
  /// list constructor in C++26) -- never store such a Span.
#if defined(__GNUC__) && !defined(__clang__)
#  pragma GCC diagnostic push
#  pragma GCC diagnostic ignored "-Winit-list-lifetime"
#endif
  constexpr Span(std::initializer_list<value_type> list) : data_(list.begin()), size_(list.size()) {}  // NOLINT
#if defined(__GNUC__) && !defined(__clang__)
#  pragma GCC diagnostic pop
#endif

  constexpr E* data() const { return data_; }
  constexpr std::size_t size() const { return size_; }
  constexpr bool empty() const { return size_ == 0; }
  constexpr E& operator[](std::size_t i) const { return data_[i]; }
  constexpr E* begin() const { return data_; }
  constexpr E* end() const { return data_ + size_; }

 private:
  E* data_ = nullptr;
  std::size_t size_ = 0;
};

ATTRIB_END_NAMESPACE
