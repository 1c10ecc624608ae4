#pragma once
// Hand-written layers for tests whose oracle is a closed form: weights typed in row-major
// [out, in] order, as the formulas in the test comments read.
#include <algorithm>
#include <initializer_list>

#include "attrib/layers/dense.hpp"

namespace attrib::test {

/// Dense(in, out) with weight w ([out, in], row-major) and bias b (none if empty).
template <class T>
Dense<T> make_dense(std::initializer_list<T> w, Index in, Index out, std::initializer_list<T> b = {}) {
  REQUIRE(Index(w.size()) == in * out);
  Dense<T> d(in, out, b.size() > 0);
  std::copy(w.begin(), w.end(), d.weight().mutable_view().data());
  if (b.size()) {
    REQUIRE(Index(b.size()) == out);
    std::copy(b.begin(), b.end(), d.bias().mutable_view().data());
  }
  return d;
}

}  // namespace attrib::test
