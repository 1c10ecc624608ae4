#pragma once
// numpy broadcasting of two shapes of rank <= 4 (shapes aligned on the right, an extent of 1
// stretches): the output shape and, for every output element, the flat indices of the two
// operand elements it reads. Used by Mul.
#include "attrib/core/config.hpp"
#include <algorithm>

#include "attrib/core/shape.hpp"

ATTRIB_BEGIN_NAMESPACE
namespace detail {

struct Broadcast {
  Shape out;
  Index ext[4], sa[4], sb[4];  // per padded axis: extent, stride in a, stride in b (0 = broadcast)
  bool ok = true;
};

/// Broadcast of a and b; `ok` is false when an axis has two different extents other than 1.
inline Broadcast broadcast(const Shape& a, const Shape& b) {
  Broadcast r{};
  const int rank = std::max(a.rank(), b.rank());
  Index da[4], db[4];
  for (int i = 0; i < 4; ++i) {
    const int ia = i - (4 - a.rank()), ib = i - (4 - b.rank());
    da[i] = ia >= 0 ? a[ia] : 1;
    db[i] = ib >= 0 ? b[ib] : 1;
    if (da[i] != db[i] && da[i] != 1 && db[i] != 1) r.ok = false;
    r.ext[i] = da[i] == 1 ? db[i] : da[i];
  }
  Index stride_a = 1, stride_b = 1;
  for (int i = 3; i >= 0; --i) {
    r.sa[i] = da[i] == 1 ? 0 : stride_a;
    r.sb[i] = db[i] == 1 ? 0 : stride_b;
    stride_a *= da[i];
    stride_b *= db[i];
  }
  r.out = r.ok ? Shape::from_range(r.ext + (4 - rank), r.ext + 4) : a;
  return r;
}

/// visit(o, ia, ib) for every output element o in row-major order.
template <class Visit>
void for_each_broadcast(const Broadcast& r, const Visit& visit) {
  Index o = 0;
  for (Index i0 = 0; i0 < r.ext[0]; ++i0)
    for (Index i1 = 0; i1 < r.ext[1]; ++i1)
      for (Index i2 = 0; i2 < r.ext[2]; ++i2) {
        Index ia = i0 * r.sa[0] + i1 * r.sa[1] + i2 * r.sa[2], ib = i0 * r.sb[0] + i1 * r.sb[1] + i2 * r.sb[2];
        for (Index i3 = 0; i3 < r.ext[3]; ++i3, ++o, ia += r.sa[3], ib += r.sb[3]) visit(o, ia, ib);
      }
}

}  // namespace detail
ATTRIB_END_NAMESPACE
