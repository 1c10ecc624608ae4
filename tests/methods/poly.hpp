#pragma once
// Test models for the methods: polynomials with hand-written gradients (theory A.7), one output
// per polynomial, evaluated row by row in double. Written independently of the methods.
#include <functional>
#include <vector>

#include "attrib/core/tensor.hpp"
#include "attrib/explain.hpp"

namespace attrib::test {

/// f(batch) -> [N, 1] and grad(batch, targets) -> [N, D] from scalar lambdas on one row.
template <class T>
struct Poly {
  Index dim;
  std::function<double(const double*)> value;
  std::function<void(const double*, double*)> gradient;  // may be empty
  Index calls = 0, rows = 0, grad_calls = 0;

  Tensor<T> operator()(ConstView<T> b) {
    ++calls;
    const Index n = b.shape().batch();
    rows += n;
    REQUIRE(b.shape().sample_size() == dim);
    Tensor<T> y(Shape{n, 1});
    std::vector<double> r(static_cast<std::size_t>(dim));
    for (Index i = 0; i < n; ++i) {
      for (Index j = 0; j < dim; ++j) r[std::size_t(j)] = double(b[i * dim + j]);
      y[i] = T(value(r.data()));
    }
    return y;
  }
  /// A gradient callable bound to this polynomial.
  auto grad() {
    return [this](ConstView<T> b, const Targets& t) {
      ++grad_calls;
      const Index n = b.shape().batch();
      for (Index i = 0; i < n; ++i) REQUIRE(t(i) == 0);
      Tensor<T> g(b.shape());
      std::vector<double> r(static_cast<std::size_t>(dim)), gr(static_cast<std::size_t>(dim));
      for (Index i = 0; i < n; ++i) {
        for (Index j = 0; j < dim; ++j) r[std::size_t(j)] = double(b[i * dim + j]);
        gradient(r.data(), gr.data());
        for (Index j = 0; j < dim; ++j) g[i * dim + j] = T(gr[std::size_t(j)]);
      }
      return g;
    };
  }
};

template <class T>
Poly<T> t1() {  // x1 x2
  return {2, [](const double* x) { return x[0] * x[1]; },
          [](const double* x, double* g) { g[0] = x[1]; g[1] = x[0]; }};
}
template <class T>
Poly<T> t2() {  // x1 x2 + x3
  return {3, [](const double* x) { return x[0] * x[1] + x[2]; },
          [](const double* x, double* g) { g[0] = x[1]; g[1] = x[0]; g[2] = 1; }};
}
template <class T>
Poly<T> t3() {  // x1^2 x2
  return {2, [](const double* x) { return x[0] * x[0] * x[1]; },
          [](const double* x, double* g) { g[0] = 2 * x[0] * x[1]; g[1] = x[0] * x[0]; }};
}
template <class T>
Poly<T> t4() {  // x1^3
  return {1, [](const double* x) { return x[0] * x[0] * x[0]; },
          [](const double* x, double* g) { g[0] = 3 * x[0] * x[0]; }};
}
template <class T>
Poly<T> t5() {  // x1 x2 x3
  return {3, [](const double* x) { return x[0] * x[1] * x[2]; },
          [](const double* x, double* g) { g[0] = x[1] * x[2]; g[1] = x[0] * x[2]; g[2] = x[0] * x[1]; }};
}
template <class T>
Poly<T> t14() {  // x1 x2 with an unused x3
  return {3, [](const double* x) { return x[0] * x[1]; },
          [](const double* x, double* g) { g[0] = x[1]; g[1] = x[0]; g[2] = 0; }};
}
/// Smooth non-polynomial: exp(0.5 x1) sin(x2) + x1 x3^2, for quadrature-order tests.
template <class T>
Poly<T> smooth() {
  return {3, [](const double* x) { return std::exp(0.5 * x[0]) * std::sin(x[1]) + x[0] * x[2] * x[2]; },
          [](const double* x, double* g) {
            g[0] = 0.5 * std::exp(0.5 * x[0]) * std::sin(x[1]) + x[2] * x[2];
            g[1] = std::exp(0.5 * x[0]) * std::cos(x[1]);
            g[2] = 2 * x[0] * x[2];
          }};
}

template <class T>
Tensor<T> row(std::initializer_list<double> v) {
  Tensor<T> t(Shape{1, Index(v.size())});
  Index i = 0;
  for (double d : v) t[i++] = T(d);
  return t;
}

}  // namespace attrib::test
