#pragma once
// A permutation of the non-batch axes of an activation (ONNX Transpose, torch.permute):
// output axis k is input axis perm[k], with perm[0] = 0 (the batch stays first). Rank 2 to 4,
// e.g. [0, 2, 3, 1] (NCHW -> NHWC, before a channels-last LayerNorm / Dense) and [0, 3, 1, 2]
// (back), or [0, 2, 1] ([N, D, T] -> [N, T, D] token sequences).
//
// A reshape (Role::reshape): values move unchanged, so the gradient and every rule's signal are
// moved back by the inverse permutation.
#include "attrib/core/config.hpp"
#include <array>
#include <string>
#include <vector>

#include "attrib/core/named.hpp"
#include "attrib/core/workspace.hpp"
#include "attrib/layers/role.hpp"

ATTRIB_BEGIN_NAMESPACE

template <class T>
class Transpose : public detail::Named {
 public:
  using Scalar = T;
  static constexpr const char* kind = "Transpose";
  static constexpr Role role = Role::reshape;
  static constexpr int arity = 1;

  /// perm: a permutation of 0 .. r-1 (r = 2, 3 or 4) with perm[0] = 0; ParameterError otherwise.
  explicit Transpose(const std::vector<int>& perm) : rank_(static_cast<int>(perm.size())) {
    std::array<bool, 4> seen{};
    bool ok = rank_ >= 2 && rank_ <= 4 && perm[0] == 0;
    for (int k = 0; ok && k < rank_; ++k) {
      const int p = perm[static_cast<std::size_t>(k)];
      ok = p >= 0 && p < rank_ && !seen[static_cast<std::size_t>(p)];
      if (ok) seen[static_cast<std::size_t>(p)] = true;
    }
    if (!ok) {
      std::string list;
      for (int p : perm) list += (list.empty() ? "" : ", ") + std::to_string(p);
      raise<ParameterError>("param.1090", kind, ": perm [", list, "], expected a permutation of 0 .. r-1 "
                            "(r = 2, 3 or 4) that keeps the batch axis first (perm[0] = 0)");
    }
    for (int k = 0; k < rank_; ++k) {
      perm_[static_cast<std::size_t>(k)] = perm[static_cast<std::size_t>(k)];
      inverse_[static_cast<std::size_t>(perm[static_cast<std::size_t>(k)])] = k;
    }
  }

  int rank() const { return rank_; }
  /// perm[k] for k < rank().
  int perm(int k) const { return perm_[static_cast<std::size_t>(k)]; }

  /// The permuted shape; throws ShapeError for an input of another rank.
  Shape output_shape(const Shape& in) const { return permuted(in, perm_); }

  void forward(ConstView<T> x, TensorView<T> y, Workspace<T>& /*ws*/) const {
    expect_shape(y, output_shape(x.shape()), who(kind), "output");
    permute(x, y, perm_);
  }
  /// gx = gy moved back by the inverse permutation.
  void backward(ConstView<T> x, ConstView<T> gy, TensorView<T> gx, Workspace<T>& /*ws*/) const {
    expect_shape(gy, output_shape(x.shape()), who(kind), "output signal");
    expect_shape(gx, x.shape(), who(kind), "input signal");
    permute(gy, gx, inverse_);
  }

 private:
  Shape permuted(const Shape& in, const std::array<int, 4>& p) const {
    if (in.rank() != rank_)
      raise<ShapeError>("shape.1090", who(kind), ": input shape ", in, " has rank ", in.rank(), ", expected ", rank_);
    const auto d = [&](int k) { return in[p[static_cast<std::size_t>(k)]]; };
    if (rank_ == 2) return Shape{d(0), d(1)};
    if (rank_ == 3) return Shape{d(0), d(1), d(2)};
    return Shape{d(0), d(1), d(2), d(3)};
  }
  // out[i0, i1, i2, i3] = in at the input position of output axes permuted by p (rank padded
  // to 4 with leading unit axes).
  void permute(ConstView<T> in, TensorView<T> out, const std::array<int, 4>& p) const {
    const Shape& s = in.shape();
    std::array<Index, 4> stride{}, dims{1, 1, 1, 1}, step{0, 0, 0, 0};
    stride[static_cast<std::size_t>(rank_ - 1)] = 1;
    for (int k = rank_ - 2; k >= 0; --k) stride[static_cast<std::size_t>(k)] = stride[static_cast<std::size_t>(k + 1)] * s[k + 1];
    const int pad = 4 - rank_;
    for (int k = 0; k < rank_; ++k) {
      const int a = p[static_cast<std::size_t>(k)];
      dims[static_cast<std::size_t>(k + pad)] = s[a];
      step[static_cast<std::size_t>(k + pad)] = stride[static_cast<std::size_t>(a)];
    }
    Index o = 0;
    for (Index a = 0; a < dims[0]; ++a)
      for (Index b = 0; b < dims[1]; ++b)
        for (Index c = 0; c < dims[2]; ++c) {
          const Index base = a * step[0] + b * step[1] + c * step[2];
          for (Index d = 0; d < dims[3]; ++d) out[o++] = in[base + d * step[3]];
        }
  }

  int rank_;
  std::array<int, 4> perm_{}, inverse_{};
};

ATTRIB_END_NAMESPACE
