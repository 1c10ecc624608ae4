#pragma once
// Pieces of JSON output: numbers with round-trip precision, arrays; string literals are
// detail::json::quote of io/detail/json_lite.hpp (the one JSON escaper of attrib).
#include "attrib/core/config.hpp"
#include <cmath>
#include <cstdio>
#include <string>

#include "attrib/io/detail/json_lite.hpp"

ATTRIB_BEGIN_NAMESPACE
namespace detail {
/// A JSON number with round-trip precision (%.17g); NaN and infinities -> null (JSON has none).
inline std::string json_number(double v) {
  if (!std::isfinite(v)) return "null";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}
/// "[a, b, ...]" with item(v) for every element of r.
template <class Range, class F>
std::string json_array(const Range& r, F&& item) {
  std::string s = "[";
  bool first = true;
  for (const auto& v : r) {
    if (!first) s += ", ";
    first = false;
    s += item(v);
  }
  return s + "]";
}
}  // namespace detail
ATTRIB_END_NAMESPACE
