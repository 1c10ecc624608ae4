#pragma once
// Shared test helpers: seeded random tensors, tolerance comparisons, central finite
// differences and the adjoint identity. Oracles here never call the code under test.
#include <catch2/catch.hpp>
#include <cmath>
#include <functional>
#include <initializer_list>
#include <random>
#include <string>

#include "attrib/core/tensor.hpp"

namespace attrib::test {

template <class T>
Tensor<T> random_tensor(const Shape& s, unsigned seed, T lo = T(-1), T hi = T(1)) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> u(static_cast<double>(lo), static_cast<double>(hi));
  Tensor<T> t(s);
  for (Index i = 0; i < t.size(); ++i) t[i] = static_cast<T>(u(gen));
  return t;
}

template <class T>
void fill_random(TensorView<T> v, unsigned seed, double lo = -1, double hi = 1) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> u(lo, hi);
  for (Index i = 0; i < v.size(); ++i) v[i] = static_cast<T>(u(gen));
}

/// Max |a - b| / (atol + rtol |b|) <= 1 element-wise; reports the worst element on failure.
template <class A, class B>
void require_close(const A& a, const B& b, double rtol, double atol, const std::string& what = "") {
  INFO(what << ": shapes " << a.shape() << " vs " << b.shape());
  REQUIRE(a.shape() == b.shape());
  double worst = 0;
  Index worst_i = 0;
  for (Index i = 0; i < a.size(); ++i) {
    const double x = static_cast<double>(a.data()[i]), y = static_cast<double>(b.data()[i]);
    REQUIRE(std::isfinite(x));
    const double r = std::abs(x - y) / (atol + rtol * std::abs(y));
    if (r > worst) { worst = r; worst_i = i; }
  }
  INFO(what << ": worst element " << worst_i << ": " << a.data()[worst_i] << " vs " << b.data()[worst_i]
            << " (rtol " << rtol << ", atol " << atol << ")");
  REQUIRE(worst <= 1.0);
}

template <class T>
double dot(ConstView<T> a, ConstView<T> b) {
  REQUIRE(a.shape() == b.shape());
  double s = 0;
  for (Index i = 0; i < a.size(); ++i) s += double(a[i]) * double(b[i]);
  return s;
}

/// Central finite-difference gradient of x -> <gy, f(x)> in double.
inline Tensor<double> fd_gradient(const std::function<Tensor<double>(const Tensor<double>&)>& f,
                                  const Tensor<double>& x, const Tensor<double>& gy, double h = 1e-6) {
  Tensor<double> g(x.shape());
  Tensor<double> xp = x;
  for (Index i = 0; i < x.size(); ++i) {
    const double orig = xp[i];
    xp[i] = orig + h;
    const double fp = dot<double>(gy, f(xp));
    xp[i] = orig - h;
    const double fm = dot<double>(gy, f(xp));
    xp[i] = orig;
    g[i] = (fp - fm) / (2 * h);
  }
  return g;
}

/// Converts a double tensor to float (for float-vs-double checks).
template <class T, class U>
Tensor<T> cast(const Tensor<U>& u) {
  Tensor<T> t(u.shape());
  for (Index i = 0; i < u.size(); ++i) t[i] = static_cast<T>(u[i]);
  return t;
}

/// Every element of a equals the listed value within tol (1 + |value|), in order.
template <class T>
void require_values(const Tensor<T>& a, std::initializer_list<double> v, double tol) {
  REQUIRE(a.size() == Index(v.size()));
  Index i = 0;
  for (double e : v) {
    INFO("element " << i << ": " << a[i] << " vs " << e);
    REQUIRE(std::abs(double(a[i]) - e) <= tol * (1 + std::abs(e)));
    ++i;
  }
}

}  // namespace attrib::test
