#pragma once
// Caller-owned scratch memory. Layers and rules take a Workspace& instead of allocating:
// buffers grow on first use and are reused afterwards, so a warmed-up workspace makes
// repeated calls allocation-free. One workspace per thread; never shared.
//
// Two kinds of scratch:
//  * slots (Slot::columns, ...): raw buffers of the layer primitives (im2col, packed GEMM
//    operands, transformed weights); a primitive may use several at once, never the same twice.
//  * frames: temporary tensors for rules and methods, on a stack.
//        auto f = ws.frame();                    // opens a frame
//        Tensor<T>& a = f.tensor(x.shape());     // fresh scratch, valid until f closes
//    A frame closes in its destructor and hands its tensors back; frames nest (a helper opens
//    its own inside the caller's) and must close in reverse order (checked by ATTRIB_ASSERT).
//    Two tensors from open frames are never the same object, so helpers cannot collide; the
//    n-th tensor of a given call sequence reuses the n-th pooled tensor's capacity, so a
//    repeated computation allocates nothing after warm-up.
#include "attrib/core/config.hpp"
#include <array>
#include <deque>
#include <vector>

#include "attrib/core/tensor.hpp"

ATTRIB_BEGIN_NAMESPACE

/// Named scratch slots of the layer primitives.
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

  /// A scope of temporary tensors (see the top of this file). Not copyable or movable: keep it
  /// in a local variable (`auto f = ws.frame();`).
  class Frame {
   public:
    explicit Frame(Workspace& ws)
        : ws_(ws), tensors_(ws.used_), indices_(ws.used_index_), depth_(++ws.depth_) {}
    Frame(const Frame&) = delete;
    Frame& operator=(const Frame&) = delete;
    ~Frame() {
      ATTRIB_ASSERT(ws_.depth_ == depth_ && "attrib::Workspace: frames must close in reverse order");
      ws_.used_ = tensors_;
      ws_.used_index_ = indices_;
      --ws_.depth_;
    }
    /// A scratch tensor of the given shape (contents unspecified), valid while the frame is open.
    Tensor<T>& tensor(const Shape& shape) {
      Tensor<T>& t = take(ws_.pool_, ws_.used_);
      t.resize(shape);
      return t;
    }
    /// A scratch tensor of indices (argmax positions and the like).
    Tensor<Index>& index_tensor(const Shape& shape) {
      Tensor<Index>& t = take(ws_.index_pool_, ws_.used_index_);
      t.resize(shape);
      return t;
    }
    Workspace& workspace() { return ws_; }

   private:
    template <class Pool>
    auto& take(Pool& pool, std::size_t& used) {
      ATTRIB_ASSERT(ws_.depth_ == depth_ && "attrib::Workspace: tensor taken from a frame that is not the innermost");
      if (pool.size() == used) pool.emplace_back();  // deque: earlier references stay valid
      return pool[used++];
    }
    Workspace& ws_;
    std::size_t tensors_, indices_;
    int depth_;
  };

  /// Opens a frame of temporary tensors.
  Frame frame() { return Frame(*this); }
  /// Number of open frames (0 between calls).
  int open_frames() const { return depth_; }

  /// Bytes currently held.
  std::size_t bytes() const {
    std::size_t n = 0;
    for (auto& b : buffers_) n += b.capacity() * sizeof(T);
    for (auto& t : pool_) n += static_cast<std::size_t>(t.capacity()) * sizeof(T);
    for (auto& t : index_pool_) n += static_cast<std::size_t>(t.capacity()) * sizeof(Index);
    return n;
  }

 private:
  std::array<std::vector<T>, static_cast<int>(Slot::count_)> buffers_;
  std::deque<Tensor<T>> pool_;
  std::deque<Tensor<Index>> index_pool_;
  std::size_t used_ = 0, used_index_ = 0;
  int depth_ = 0;
};

ATTRIB_END_NAMESPACE
