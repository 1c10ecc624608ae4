#pragma once
// Portable seeded random numbers: identical sequences on every platform and standard library
// (the std:: distributions are implementation-defined, so we implement our own).
// Generator: xoshiro256** seeded through splitmix64; normals by Box–Muller.
#include "attrib/core/config.hpp"
#include <cmath>
#include <cstdint>

#include "attrib/core/tensor.hpp"

ATTRIB_BEGIN_NAMESPACE

class Random {
 public:
  explicit Random(std::uint64_t seed = 0) {
    std::uint64_t z = seed;
    for (auto& s : s_) s = splitmix64(z);
  }
  /// Next raw 64-bit value.
  std::uint64_t next() {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  /// Uniform double in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  /// Standard normal N(0, 1).
  double normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double u1 = uniform();
    while (u1 <= 0.0) u1 = uniform();
    const double u2 = uniform();
    const double r = std::sqrt(-2.0 * std::log(u1));
    const double a = 6.283185307179586476925 * u2;
    spare_ = r * std::sin(a);
    has_spare_ = true;
    return r * std::cos(a);
  }
  double normal(double mean, double stddev) { return mean + stddev * normal(); }
  /// Uniform integer in [0, n).
  std::uint64_t below(std::uint64_t n) {
    // Lemire-free rejection sampling, portable and unbiased.
    const std::uint64_t limit = ~std::uint64_t(0) - (~std::uint64_t(0) % n);
    std::uint64_t v;
    do v = next(); while (v >= limit);
    return v % n;
  }

  template <class T>
  void fill_uniform(TensorView<T> v, double lo, double hi) {
    for (Index i = 0; i < v.size(); ++i) v[i] = static_cast<T>(uniform(lo, hi));
  }
  template <class T>
  void fill_normal(TensorView<T> v, double mean = 0, double stddev = 1) {
    for (Index i = 0; i < v.size(); ++i) v[i] = static_cast<T>(normal(mean, stddev));
  }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  static std::uint64_t splitmix64(std::uint64_t& x) {
    std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  std::uint64_t s_[4];
  double spare_ = 0;
  bool has_spare_ = false;
};

ATTRIB_END_NAMESPACE
