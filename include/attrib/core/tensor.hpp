#pragma once
// Owning Tensor<T> and non-owning TensorView<T> (T or const T) over NCHW row-major memory.
//
// A view never allocates and never copies: wrapping an engine's buffer with attrib::wrap()
// keeps its pointer. Engines that hold NHWC data must transpose once into NCHW before use.
#include "attrib/core/config.hpp"
#include <Eigen/Core>
#include <algorithm>
#include <type_traits>
#include <vector>

#include "attrib/core/shape.hpp"

ATTRIB_BEGIN_NAMESPACE

template <class T>
using Vec = Eigen::Matrix<T, Eigen::Dynamic, 1>;
template <class T>
using RowMat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

template <class T>
class TensorView {
 public:
  using value_type = std::remove_const_t<T>;
  using VecMap = Eigen::Map<std::conditional_t<std::is_const_v<T>, const Vec<value_type>,
                                               Vec<value_type>>>;
  using MatMap = Eigen::Map<std::conditional_t<std::is_const_v<T>, const RowMat<value_type>,
                                               RowMat<value_type>>>;

  TensorView() = default;
  TensorView(T* data, const Shape& shape) : data_(data), shape_(shape) {}
  /// A view of mutable data converts to a view of const data.
  template <class U, class = std::enable_if_t<std::is_same_v<const U, T> && !std::is_same_v<U, T>>>
  TensorView(const TensorView<U>& other) : data_(other.data()), shape_(other.shape()) {}

  T* data() const { return data_; }
  const Shape& shape() const { return shape_; }
  int rank() const { return shape_.rank(); }
  Index dim(int i) const { return shape_[i]; }
  Index size() const { return shape_.size(); }
  bool empty() const { return data_ == nullptr || size() == 0; }

  T& operator[](Index i) const { return data_[i]; }
  /// Element access by NCHW coordinates (as many as the rank).
  T& at(Index i0) const { return data_[i0]; }
  T& at(Index i0, Index i1) const { return data_[i0 * shape_[1] + i1]; }
  T& at(Index i0, Index i1, Index i2) const {
    return data_[(i0 * shape_[1] + i1) * shape_[2] + i2];
  }
  T& at(Index i0, Index i1, Index i2, Index i3) const {
    return data_[((i0 * shape_[1] + i1) * shape_[2] + i2) * shape_[3] + i3];
  }

  /// All elements as an Eigen column vector (zero-copy).
  VecMap vec() const { return VecMap(data_, size()); }
  /// The elements as a row-major (rows x cols) matrix (zero-copy); rows*cols == size().
  MatMap mat(Index rows, Index cols) const {
    ATTRIB_ASSERT(rows * cols == size());
    return MatMap(data_, rows, cols);
  }
  /// Batch-major matrix: one row per batch item (zero-copy).
  MatMap batch_mat() const { return mat(shape_.batch(), shape_.sample_size()); }

  /// Batch items [first, first + count) as a view with the same rank.
  TensorView slice(Index first, Index count) const {
    return TensorView(data_ + first * shape_.sample_size(), shape_.with_batch(count));
  }
  /// The same memory under another shape with the same number of elements.
  TensorView reshaped(const Shape& s) const {
    if (s.size() != size())
      raise<ShapeError>("shape.010", "reshape: cannot view ", shape_, " as ", s,
                        " (element counts differ)");
    return TensorView(data_, s);
  }

 private:
  T* data_ = nullptr;
  Shape shape_;
};

template <class T>
using ConstView = TensorView<const T>;

template <class T>
class Tensor {
 public:
  using value_type = T;

  Tensor() = default;
  explicit Tensor(const Shape& shape, T fill = T(0))
      : data_(static_cast<std::size_t>(shape.size()), fill), shape_(shape) {}
  Tensor(const Shape& shape, std::vector<T> values) : data_(std::move(values)), shape_(shape) {
    if (static_cast<Index>(data_.size()) != shape.size())
      raise<ShapeError>("shape.011", "Tensor: ", data_.size(), " values given for shape ", shape,
                        " (", shape.size(), " expected)");
  }
  /// Deep copy of any view.
  template <class U>
  static Tensor copy_of(const TensorView<U>& v) {
    Tensor t(v.shape());
    std::copy(v.data(), v.data() + v.size(), t.data_.begin());
    return t;
  }

  T* data() { return data_.data(); }
  const T* data() const { return data_.data(); }
  const Shape& shape() const { return shape_; }
  int rank() const { return shape_.rank(); }
  Index dim(int i) const { return shape_[i]; }
  Index size() const { return shape_.size(); }

  T& operator[](Index i) { return data_[static_cast<std::size_t>(i)]; }
  const T& operator[](Index i) const { return data_[static_cast<std::size_t>(i)]; }
  template <class... I>
  T& at(I... i) { return view().at(i...); }
  template <class... I>
  const T& at(I... i) const { return view().at(i...); }

  TensorView<T> view() { return TensorView<T>(data_.data(), shape_); }
  ConstView<T> view() const { return ConstView<T>(data_.data(), shape_); }
  ConstView<T> cview() const { return view(); }
  operator TensorView<T>() { return view(); }
  operator ConstView<T>() const { return view(); }
  typename TensorView<T>::VecMap vec() { return view().vec(); }
  typename ConstView<T>::VecMap vec() const { return view().vec(); }

  /// Changes the shape; reuses the existing allocation when it is large enough, so that a
  /// tensor reused across calls with the same shape never allocates again. Contents unspecified.
  void resize(const Shape& shape) {
    if (static_cast<Index>(data_.capacity()) < shape.size()) {
      data_.clear();
      data_.shrink_to_fit();
    }
    data_.resize(static_cast<std::size_t>(shape.size()));
    shape_ = shape;
  }
  void set_zero() { std::fill(data_.begin(), data_.end(), T(0)); }
  void fill(T v) { std::fill(data_.begin(), data_.end(), v); }
  /// this += other (shapes must match).
  void add(const ConstView<T>& other) {
    if (other.shape() != shape_)
      raise<ShapeError>("shape.012", "Tensor::add: shape ", other.shape(), " added to ", shape_);
    vec() += other.vec();
  }
  Index capacity() const { return static_cast<Index>(data_.capacity()); }

 private:
  std::vector<T> data_;
  Shape shape_;
};

/// Wraps caller memory as a mutable view. Never copies.
template <class T>
TensorView<T> wrap(T* data, const Shape& shape) {
  return TensorView<T>(data, shape);
}
/// Wraps caller memory as a read-only view. Never copies.
template <class T>
ConstView<T> wrap(const T* data, const Shape& shape) {
  return ConstView<T>(data, shape);
}

/// Throws ShapeError unless v has shape `expected`; `who` names the layer or entry point.
/// (`who` is anything printable; the message is only built on failure.)
template <class V, class W>
void expect_shape(const V& v, const Shape& expected, const W& who, const char* what) {
  if (v.shape() != expected)
    raise<ShapeError>("shape.020", who, ": ", what, " has shape ", v.shape(), ", expected ",
                      expected);
}

ATTRIB_END_NAMESPACE
