#pragma once
// numpy.percentile with its default 'linear' interpolation: for q in [0, 100] and n sorted values
// v, pos = q / 100 (n - 1), result v[floor(pos)] + (pos - floor(pos)) (v[floor(pos) + 1] -
// v[floor(pos)]). Computed by selection (std::nth_element, O(n) per percentile) instead of a
// full sort: the sanity checks take two percentiles of every heatmap, CSC ten of millions of
// |cos| values.
#include "attrib/core/config.hpp"
#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <limits>
#include <vector>

#include "attrib/core/error.hpp"

ATTRIB_BEGIN_NAMESPACE
namespace detail {
/// Percentiles at ascending levels qs (in [0, 100], unchecked) of v; reorders v. Each
/// nth_element works on the part above the previous one. NaN for an empty v.
template <class V, std::size_t K>
std::array<double, K> select_percentiles(std::vector<V>& v, const std::array<double, K>& qs) {
  std::array<double, K> out{};
  out.fill(std::numeric_limits<double>::quiet_NaN());
  if (v.empty()) return out;
  auto first = v.begin();
  for (std::size_t k = 0; k < K; ++k) {
    const double pos = qs[k] / 100.0 * double(v.size() - 1);
    const auto lo = std::size_t(std::floor(pos));
    const auto at = v.begin() + std::ptrdiff_t(lo);
    std::nth_element(first, at, v.end());
    const double a = double(*at);
    const double b = lo + 1 < v.size() ? double(*std::min_element(at + 1, v.end())) : a;
    out[k] = a + (pos - double(lo)) * (b - a);
    first = at;
  }
  return out;
}
}  // namespace detail

/// numpy.percentile (default 'linear' interpolation) of the values, q in [0, 100].
inline double percentile_linear(std::vector<double> v, double q) {
  if (v.empty()) raise<ArgumentError>("arg.800", "percentile: no values");
  if (!(q >= 0 && q <= 100)) raise<ParameterError>("param.800", "percentile: q = ", q, ", expected [0, 100]");
  return detail::select_percentiles(v, std::array<double, 1>{q})[0];
}

ATTRIB_END_NAMESPACE
