#pragma once
// The one percentile of attrib, by selection (std::nth_element, O(n) per percentile, no full
// sort, no allocation): RectGrad's per-layer threshold (rules/rectgrad.hpp), the sanity checks'
// medians and bands, CSC's ten percentiles of millions of |cos| values (metrics/) and heatmap
// normalisation (io/heatmap.hpp). For n sorted values v_(0) <= ... <= v_(n-1) and q in [0, 100]:
//   linear   numpy.percentile's default: h = (n - 1) q/100, v_(floor h) + (h - floor h)
//            (v_(floor h + 1) - v_(floor h)), in double.
//   nearest  TensorFlow's (tf.contrib.distributions.percentile, tfp.stats.percentile): on the
//            values sorted in *descending* order take index round_half_even((n - 1)(1 - q/100)),
//            i.e. ascending index (n - 1) - that. Differs from numpy's 'nearest' at exact halves
//            (n = 4, q = 50: TF gives v_(1), numpy v_(2)).
//
// Errors: ParameterError param.500, ArgumentError arg.500 (percentile_inplace); ArgumentError
// arg.800, ParameterError param.800 (percentile_linear).
#include "attrib/core/config.hpp"
#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <iterator>
#include <limits>
#include <vector>

#include "attrib/core/error.hpp"

ATTRIB_BEGIN_NAMESPACE

/// How a percentile falls between two order statistics (see the top of core/percentile.hpp).
enum class PercentileInterpolation {
  nearest,  ///< TensorFlow's 'nearest' (round half to even on the descending index)
  linear,   ///< numpy's default 'linear'
};

namespace detail {
inline double round_half_even(double v) {
  const double f = std::floor(v), frac = v - f;
  if (frac > 0.5) return f + 1;
  if (frac < 0.5) return f;
  return std::fmod(f, 2.0) == 0.0 ? f : f + 1;
}

inline void check_percentile(double q, const char* who) {
  if (!(q >= 0.0 && q <= 100.0))
    raise<ParameterError>("param.500", who, ": percentile q = ", q, "; must be in [0, 100]");
}

/// The q-th percentile (q in [0, 100], unchecked) of the n = last - first > 0 values of
/// [first, last) (no NaN), which are reordered. [first, from) must hold values that are <= all
/// of [from, last) -- from = first, or what the call for a lower q left in `from` -- so that
/// ascending levels search only the rest. On return `from` is the lower order statistic's
/// position.
template <class It>
double select_percentile(It first, It& from, It last, double q, PercentileInterpolation mode) {
  const auto n = last - first;
  const auto lo = [&]() -> decltype(n) {
    if (mode == PercentileInterpolation::nearest)
      return n - 1 - std::clamp<decltype(n)>(decltype(n)(round_half_even(double(n - 1) * (1.0 - q / 100.0))), 0, n - 1);
    return std::clamp<decltype(n)>(decltype(n)(std::floor(double(n - 1) * (q / 100.0))), 0, n - 1);
  }();
  const It at = first + lo;
  if (at < from) from = first;  // a lower level than the previous call's: search everything
  std::nth_element(from, at, last);
  from = at;
  const double a = double(*at);
  if (mode == PercentileInterpolation::nearest) return a;
  const double t = double(n - 1) * (q / 100.0) - double(lo);
  if (lo + 1 >= n || t == 0) return a;
  const double b = double(*std::min_element(at + 1, last));
  return a + t * (b - a);
}

/// Linear percentiles at ascending levels qs (in [0, 100], unchecked) of v; reorders v. NaN
/// for an empty v.
template <class V, std::size_t K>
std::array<double, K> select_percentiles(std::vector<V>& v, const std::array<double, K>& qs) {
  std::array<double, K> out{};
  out.fill(std::numeric_limits<double>::quiet_NaN());
  if (v.empty()) return out;
  auto from = v.begin();
  for (std::size_t k = 0; k < K; ++k)
    out[k] = select_percentile(v.begin(), from, v.end(), qs[k], PercentileInterpolation::linear);
  return out;
}
}  // namespace detail

/// The q-th percentile (0 <= q <= 100) of the n > 0 values at `data`, which are reordered
/// (partially sorted) in the process. O(n); allocates nothing. Values must not be NaN.
template <class T>
T percentile_inplace(T* data, Index n, double q, PercentileInterpolation mode) {
  detail::check_percentile(q, "percentile");
  if (n <= 0) raise<ArgumentError>("arg.500", "percentile: no values (n = ", n, ")");
  T* from = data;
  return static_cast<T>(detail::select_percentile(data, from, data + n, q, mode));
}

/// numpy.percentile (default 'linear' interpolation) of the values, q in [0, 100].
inline double percentile_linear(std::vector<double> v, double q) {
  if (v.empty()) raise<ArgumentError>("arg.800", "percentile: no values");
  if (!(q >= 0 && q <= 100)) raise<ParameterError>("param.800", "percentile: q = ", q, ", expected [0, 100]");
  return detail::select_percentiles(v, std::array<double, 1>{q})[0];
}

ATTRIB_END_NAMESPACE
