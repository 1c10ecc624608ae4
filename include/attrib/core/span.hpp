#pragma once
// A read-only view of n contiguous values (C++17 has no std::span): the inputs of a layer with
// a variable number of them (Layer::arity == attrib::variadic).
#include "attrib/core/config.hpp"
#include <cstddef>

ATTRIB_BEGIN_NAMESPACE

template <class V>
class Span {
 public:
  Span() = default;
  Span(const V* data, int size) : data_(data), size_(size) {}
  int size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const V& operator[](int k) const { return data_[k]; }
  const V* begin() const { return data_; }
  const V* end() const { return data_ + size_; }

 private:
  const V* data_ = nullptr;
  int size_ = 0;
};

ATTRIB_END_NAMESPACE
