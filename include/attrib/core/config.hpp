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

// The versioned inline namespace: every public name is attrib::v1::X, spelled attrib::X. Two
// copies of attrib of different versions linked into one program cannot silently mix: their
// symbols differ. Bump with the major version (docs/design.md).
#define ATTRIB_ABI_NAMESPACE v1
#define ATTRIB_BEGIN_NAMESPACE \
  namespace attrib {           \
  inline namespace ATTRIB_ABI_NAMESPACE {
#define ATTRIB_END_NAMESPACE \
  }                          \
  }

// Exceptions: on by default. With -fno-exceptions (or ATTRIB_NO_EXCEPTIONS defined), errors go
// to a handler instead (attrib/core/error.hpp: set_error_handler); see docs/errors.md.
#if !defined(ATTRIB_NO_EXCEPTIONS) && !defined(__cpp_exceptions) && !defined(__EXCEPTIONS)
#  define ATTRIB_NO_EXCEPTIONS 1
#endif

ATTRIB_BEGIN_NAMESPACE
/// Index type for sizes and element offsets (same as Eigen::Index).
using Index = std::ptrdiff_t;
ATTRIB_END_NAMESPACE
