#pragma once
// Allocation-free matrix product C (+)= op(A) op(B) on row-major buffers.
//
// Eigen's `C.noalias() = A * B` packs its operands into blocking buffers that it allocates with
// malloc whenever they exceed EIGEN_STACK_ALLOCATION_LIMIT (128 KiB) -- which every VGG-sized
// convolution does. gemm() runs the very same kernel (same blocking sizes, same packing, same
// micro-kernel) but takes the packing buffers from caller-provided scratch, so a warmed-up
// Workspace makes the product allocation-free. Sizes come from gemm_scratch_size().
#include <Eigen/Core>
#include <cstdint>

#include "attrib/core/config.hpp"

// The packing-buffer hook (internal::level3_blocking and general_matrix_matrix_product::run) is
// Eigen-internal API; its shape is the one of Eigen 3.4. Other versions use the public product,
// which is correct but may allocate.
#if EIGEN_WORLD_VERSION == 3 && EIGEN_MAJOR_VERSION == 4
#  define ATTRIB_GEMM_USES_EIGEN_KERNEL 1
#else
#  define ATTRIB_GEMM_USES_EIGEN_KERNEL 0
#endif

ATTRIB_BEGIN_NAMESPACE
namespace detail {

/// Whether an operand is used as stored or transposed.
enum class Trans { no, yes };

/// Alignment of the packing buffers: at least what Eigen's aligned loads of packed panels need.
inline constexpr std::size_t gemm_align_bytes = EIGEN_DEFAULT_ALIGN_BYTES > 64 ? EIGEN_DEFAULT_ALIGN_BYTES : 64;

/// Eigen's blocking (kc, mc, nc) for a row-major m x n result and inner dimension k, with packing
/// buffers supplied by the caller. Eigen evaluates a row-major product as the transposed
/// column-major one, hence the swapped roles of m and n (as in Eigen's gemm_blocking_space).
template <class T>
class GemmBlocking : public Eigen::internal::level3_blocking<T, T> {
 public:
  GemmBlocking(Index m, Index n, Index k) {
    this->m_mc = n;
    this->m_nc = m;
    this->m_kc = k;
    Eigen::internal::computeProductBlockingSizes<T, T, 1, Index>(this->m_kc, this->m_mc, this->m_nc, Index(1));
  }
  /// Elements of scratch needed, including alignment slack.
  Index scratch_size() const { return padded(size_a()) + size_b() + slack(); }
  /// Points the packing buffers into `scratch` (scratch_size() elements).
  void attach(T* scratch) {
    const auto addr = reinterpret_cast<std::uintptr_t>(scratch);
    const auto aligned = (addr + gemm_align_bytes - 1) & ~std::uintptr_t(gemm_align_bytes - 1);
    T* a = reinterpret_cast<T*>(aligned);
    this->m_blockA = a;
    this->m_blockB = a + padded(size_a());
  }

 private:
  Index size_a() const { return this->m_mc * this->m_kc; }
  Index size_b() const { return this->m_kc * this->m_nc; }
  // One aligned block of elements: the most attach() shifts the start by, and the granularity
  // that keeps blockB aligned after blockA.
  static constexpr Index slack() { return static_cast<Index>(gemm_align_bytes / sizeof(T)); }
  static Index padded(Index n) { return (n + slack() - 1) / slack() * slack(); }
};

/// Elements of scratch gemm() needs for an m x n result with inner dimension k.
template <class T>
Index gemm_scratch_size(Index m, Index n, Index k) {
  if (m <= 0 || n <= 0 || k <= 0) return 0;
  return GemmBlocking<T>(m, n, k).scratch_size();
}

namespace gemm_impl {
template <class T>
using RowMap = Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>, 0,
                          Eigen::OuterStride<>>;
template <class T>
using ColMap = Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::ColMajor>, 0,
                          Eigen::OuterStride<>>;
template <class T>
using OutMap = Eigen::Map<Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>, 0,
                          Eigen::OuterStride<>>;

// A row-major r x c buffer read transposed is a column-major c x r matrix with the same stride.
template <class T, Trans t>
auto operand(const T* p, Index rows, Index cols, Index ld) {
  if constexpr (t == Trans::no) return RowMap<T>(p, rows, cols, Eigen::OuterStride<>(ld));
  else return ColMap<T>(p, rows, cols, Eigen::OuterStride<>(ld));
}

template <class T, Trans ta, Trans tb>
void run(Index m, Index n, Index k, const T* a, Index lda, const T* b, Index ldb, T* c, Index ldc,
         bool accumulate, T* scratch) {
  OutMap<T> cm(c, m, n, Eigen::OuterStride<>(ldc));
  const auto am = operand<T, ta>(a, m, k, lda);
  const auto bm = operand<T, tb>(b, k, n, ldb);
  if (!accumulate) cm.setZero();
  // Tiny products: Eigen's own threshold for its coefficient-based path (no buffers at all).
  if (m + n + k < EIGEN_GEMM_TO_COEFFBASED_THRESHOLD) {
    cm.noalias() += am.lazyProduct(bm);
    return;
  }
#if !ATTRIB_GEMM_USES_EIGEN_KERNEL
  (void)scratch;
  cm.noalias() += am * bm;
#else
  constexpr int a_order = ta == Trans::no ? Eigen::RowMajor : Eigen::ColMajor;
  constexpr int b_order = tb == Trans::no ? Eigen::RowMajor : Eigen::ColMajor;
  GemmBlocking<T> blocking(m, n, k);
  blocking.attach(scratch);
  Eigen::internal::general_matrix_matrix_product<Index, T, a_order, false, T, b_order, false,
                                                 Eigen::RowMajor, 1>::run(m, n, k, a, lda, b, ldb, c, 1,
                                                                          ldc, T(1), blocking);
#endif
}
}  // namespace gemm_impl

/// C (+)= op(A) op(B) with C: m x n, op(A): m x k, op(B): k x n, all row-major with leading
/// dimensions lda, ldb, ldc (an operand used transposed is stored as its transpose, e.g. A is
/// stored k x m when ta == Trans::yes). Overwrites C unless `accumulate`. `scratch` holds
/// gemm_scratch_size<T>(m, n, k) elements and must not overlap A, B or C.
template <class T>
void gemm(Index m, Index n, Index k, const T* a, Index lda, Trans ta, const T* b, Index ldb, Trans tb,
          T* c, Index ldc, bool accumulate, T* scratch) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    if (!accumulate) gemm_impl::OutMap<T>(c, m, n, Eigen::OuterStride<>(ldc)).setZero();
    return;
  }
  using gemm_impl::run;
  if (ta == Trans::no && tb == Trans::no) run<T, Trans::no, Trans::no>(m, n, k, a, lda, b, ldb, c, ldc, accumulate, scratch);
  else if (ta == Trans::yes && tb == Trans::no) run<T, Trans::yes, Trans::no>(m, n, k, a, lda, b, ldb, c, ldc, accumulate, scratch);
  else if (ta == Trans::no) run<T, Trans::no, Trans::yes>(m, n, k, a, lda, b, ldb, c, ldc, accumulate, scratch);
  else run<T, Trans::yes, Trans::yes>(m, n, k, a, lda, b, ldb, c, ldc, accumulate, scratch);
}

}  // namespace detail
ATTRIB_END_NAMESPACE
