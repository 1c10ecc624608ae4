#pragma once
// Parameter storage of a layer: either owned by the layer or a read-only view of a buffer that
// belongs to the caller (an inference engine's weights are never copied).
#include "attrib/core/config.hpp"
#include <utility>
#include <vector>

#include "attrib/core/tensor.hpp"

ATTRIB_BEGIN_NAMESPACE

template <class T>
class Param {
 public:
  Param() = default;
  /// Owned, zero-initialised parameter of the given shape.
  explicit Param(const Shape& shape)
      : owned_(static_cast<std::size_t>(shape.size()), T(0)), data_(owned_.data()), shape_(shape) {}

  Param(const Param& o) : owned_(o.owned_), data_(o.is_owned() ? owned_.data() : o.data_), shape_(o.shape_) {}
  Param(Param&& o) noexcept
      : owned_(std::move(o.owned_)), data_(o.is_owned() ? owned_.data() : o.data_), shape_(o.shape_) {
    o.data_ = nullptr;
  }
  Param& operator=(Param o) noexcept {
    const bool own = o.is_owned();
    owned_ = std::move(o.owned_);
    data_ = own ? owned_.data() : o.data_;
    shape_ = o.shape_;
    return *this;
  }

  bool is_owned() const { return data_ != nullptr && data_ == owned_.data(); }
  bool empty() const { return data_ == nullptr; }
  const Shape& shape() const { return shape_; }
  const T* data() const { return data_; }
  ConstView<T> view() const { return ConstView<T>(data_, shape_); }

  /// Takes a copy of `values` into owned storage; `values` must have this parameter's shape.
  void assign(const ConstView<T>& values, const std::string& who) {
    expect_shape(values, shape_, who, "assigned parameter");
    owned_.assign(values.data(), values.data() + values.size());
    data_ = owned_.data();
  }
  /// Borrows the caller's buffer (no copy). The buffer must outlive every use of the layer.
  void bind(const ConstView<T>& external, const std::string& who) {
    expect_shape(external, shape_, who, "bound parameter");
    owned_.clear();
    owned_.shrink_to_fit();
    data_ = external.data();
  }
  /// Mutable access; a borrowed parameter is first copied into owned storage.
  TensorView<T> mutable_view() {
    if (!is_owned() && data_ != nullptr) {
      owned_.assign(data_, data_ + shape_.size());
      data_ = owned_.data();
    }
    return TensorView<T>(owned_.data(), shape_);
  }

 private:
  std::vector<T> owned_;
  const T* data_ = nullptr;
  Shape shape_;
};

ATTRIB_END_NAMESPACE
