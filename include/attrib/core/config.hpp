#pragma once
// Version, index type and the internal-invariant assert.
#include <cstddef>

#define ATTRIB_VERSION_MAJOR 0
#define ATTRIB_VERSION_MINOR 1
#define ATTRIB_VERSION_PATCH 0

// ATTRIB_ASSERT guards internal invariants in hot loops only (never user input: that is
// checked with typed exceptions, always on). Define it before including attrib to change it.
#ifndef ATTRIB_ASSERT
#  ifdef NDEBUG
#    define ATTRIB_ASSERT(cond) ((void)0)
#  else
#    include <cassert>
#    define ATTRIB_ASSERT(cond) assert(cond)
#  endif
#endif

namespace attrib {
/// Index type for sizes and element offsets (same as Eigen::Index).
using Index = std::ptrdiff_t;
}  // namespace attrib
