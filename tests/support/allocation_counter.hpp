#pragma once
// The heap-allocation tally of the test_layers executable. tests/layers/test_allocation.cpp
// replaces the global operator new (and, on glibc without a sanitizer, the malloc family) and
// increments this tally while it is enabled; other test files of the executable measure with
// allocations_in(). Every user first checks allocation_counting_works(), so a tally that is no
// longer wired up fails loudly instead of reporting 0 forever.
#include <atomic>
#include <new>

namespace attrib::test {

struct AllocationTally {
  std::atomic<bool> enabled{false};
  std::atomic<long> news{0};
  std::atomic<long> mallocs{0};
};
// Constant-initialised, so the replaced allocation functions may use it before main().
inline AllocationTally allocation_tally;

/// Allocations (operator new + counted malloc calls) made by f(); no Catch2 macro may run inside.
template <class F>
long allocations_in(F&& f) {
  struct Guard {
    Guard() {
      allocation_tally.news = 0;
      allocation_tally.mallocs = 0;
      allocation_tally.enabled = true;
    }
    ~Guard() { allocation_tally.enabled = false; }
  };
  {
    Guard g;
    f();
  }
  return allocation_tally.news.load() + allocation_tally.mallocs.load();
}

/// True when one operator new inside allocations_in() is seen.
inline bool allocation_counting_works() {
  static void* volatile sink;
  return allocations_in([] {
           sink = ::operator new(64);
           ::operator delete(sink);
         }) >= 1;
}

}  // namespace attrib::test
