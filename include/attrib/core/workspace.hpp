#pragma once
// Caller-owned scratch memory. Layers and rules take a Workspace& instead of allocating:
// buffers grow on first use and are reused afterwards, so a warmed-up workspace makes
// repeated calls allocation-free. One workspace per thread; never shared.
#include "attrib/core/config.hpp"
#include <array>
#include <deque>
#include <vector>

#include "attrib/core/tensor.hpp"

ATTRIB_BEGIN_NAMESPACE

/// Named scratch slots; a primitive may use several at once, never the same one twice.
enum class Slot : int {
  columns = 0,    ///< im2col / col2im matrix
  weights,        ///< transformed weights
  bias,           ///< transformed bias
  product,        ///< intermediate products (z, s)
  aux,            ///< anything else
  count_
};

template <class T>
class Workspace {
 public:
  /// At least n elements of scratch in slot s; contents unspecified. Valid until the next
  /// request for the same slot.
  T* get(Slot s, Index n) {
    auto& b = buffers_[static_cast<int>(s)];
    if (static_cast<Index>(b.size()) < n) {
      b.clear();
      b.shrink_to_fit();
      b.resize(static_cast<std::size_t>(n));
    }
    return b.data();
  }
  /// Scratch as a view of the given shape.
  TensorView<T> view(Slot s, const Shape& shape) { return TensorView<T>(get(s, shape.size()), shape); }

  /// Reusable temporary tensors for rules (index k chosen by the caller).
  Tensor<T>& temp(std::size_t k) {
    while (temps_.size() <= k) temps_.emplace_back();  // deque: references stay valid
    return temps_[k];
  }

  /// Reusable index tensors (argmax positions and the like).
  Tensor<Index>& index_temp(std::size_t k) {
    while (index_temps_.size() <= k) index_temps_.emplace_back();
    return index_temps_[k];
  }

  /// Bytes currently held.
  std::size_t bytes() const {
    std::size_t n = 0;
    for (auto& b : buffers_) n += b.capacity() * sizeof(T);
    for (auto& t : temps_) n += static_cast<std::size_t>(t.capacity()) * sizeof(T);
    return n;
  }

 private:
  std::array<std::vector<T>, static_cast<int>(Slot::count_)> buffers_;
  std::deque<Tensor<T>> temps_;
  std::deque<Tensor<Index>> index_temps_;
};

ATTRIB_END_NAMESPACE
