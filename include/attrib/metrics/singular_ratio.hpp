#pragma once
// Singular-value ratio analysis (rules-spec section 5; "When Explanations Lie",
// pattern_attr.ipynb): every Dense/Conv2d layer of a network, in forward order, reduced to a
// matrix in Keras orientation (c_in, c_out):
//   centre tap ("view_as_conv1x1"): conv kernel -> tap [kh/2, kw/2] (c_in x c_out); a Dense layer
//     whose input is a flattened C x H x W map (C = the previous conv's channels, H = W >= 2,
//     e.g. VGG's fc1 on 512 x 7 x 7) -> the rows of position [H/2, W/2] (C x out; for even H the
//     same index formula, e.g. [1, 1] of a 2 x 2 map); other Dense layers W^T as is;
//   full ("to_mat"): conv kernel -> (kh kw c_in, c_out), Dense -> W^T.
// Per layer sigma1/sigma2; inter-layer chain items T_l = diag(sqrt(s_l), padded to n_l) V_l^T
// U_{l+1} diag(sqrt(s_{l+1}), padded to m_{l+1}) (full SVDs M = U S V^T, numpy's vh = V^T), so
// M_1 ... M_L = U_1 S_1^{1/2} T_1 ... T_{L-1} S_L^{1/2} V_L^T; their ratios and the product of
// those ratios; sigma1/sigma2 of the full product M_2 ... M_L (the notebook skips the first
// layer). Works on any matrices; pattern_matrices() gives the fitted patterns A or A (.) W in the
// same orientation (rules-spec section 5's PatternNet / PatternAttribution analysis). Double precision.
#include "attrib/core/config.hpp"
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <Eigen/Core>
#include <Eigen/SVD>

#include "attrib/core/error.hpp"
#include "attrib/models/network.hpp"
#include "attrib/rules/pattern.hpp"

ATTRIB_BEGIN_NAMESPACE

enum class KernelView { centre_tap, full };

struct KernelMatrix {
  std::string name;  ///< node name
  Index node = -1;
  Eigen::MatrixXd matrix;  ///< (c_in, c_out) orientation
};

/// Singular values, descending (BDCSVD; exact Jacobi for small matrices inside Eigen).
inline Eigen::VectorXd singular_values(const Eigen::MatrixXd& m) {
  if (m.size() == 0) raise<ShapeError>("shape.830", "singular_values: empty matrix [", m.rows(), ", ", m.cols(), "]");
  return Eigen::BDCSVD<Eigen::MatrixXd>(m).singularValues();
}

/// sigma1 / sigma2 (+inf when sigma2 == 0); needs both dimensions >= 2.
inline double singular_ratio(const Eigen::MatrixXd& m) {
  if (m.rows() < 2 || m.cols() < 2)
    raise<ShapeError>("shape.831", "singular_ratio: matrix [", m.rows(), ", ", m.cols(),
                      "], expected both dimensions >= 2 (sigma2 must exist)");
  const Eigen::VectorXd s = singular_values(m);
  return s(1) > 0 ? s(0) / s(1) : std::numeric_limits<double>::infinity();
}

/// The Dense/Conv2d layers of a network as matrices (forward order).
namespace detail {
/// One weighted layer's kernel as a matrix [inputs, outputs] (one overload per
/// Role::weighted_linear layer); `last_channels` carries the channels of the last convolution.
template <class T>
Eigen::MatrixXd kernel_matrix(const Conv2d<T>& layer, std::enable_if_t<true, ConstView<T>> w, KernelView view, Index& last_channels) {
  const Index co = layer.out_channels(), ci = layer.in_channels(), g = layer.groups();
  const Index cig = ci / g, cog = co / g, kh = layer.kernel_h(), kw = layer.kernel_w();
  // w: [co, ci/g, kh, kw]
  const bool tap = view == KernelView::centre_tap;
  Eigen::MatrixXd m = Eigen::MatrixXd::Zero(tap ? ci : kh * kw * ci, co);
  for (Index o = 0; o < co; ++o)
    for (Index c = 0; c < cig; ++c) {
      const Index cin = (o / cog) * cig + c;
      for (Index y = 0; y < kh; ++y)
        for (Index x = 0; x < kw; ++x) {
          const double v = double(w[((o * cig + c) * kh + y) * kw + x]);
          if (tap) {
            if (y == kh / 2 && x == kw / 2) m(cin, o) = v;
          } else {
            m((y * kw + x) * ci + cin, o) = v;
          }
        }
    }
  last_channels = co;
  return m;
}
/// Conv1d as its Conv2d with a 1 x k kernel (weights [co, ci/g, k] viewed as [co, ci/g, 1, k]).
template <class T>
Eigen::MatrixXd kernel_matrix(const Conv1d<T>& layer, std::enable_if_t<true, ConstView<T>> w, KernelView view, Index& last_channels) {
  const Conv2d<T> c = layer.to_conv2d();
  return kernel_matrix(c, ConstView<T>(w.data(), c.weight().shape()), view, last_channels);
}
template <class T>
Eigen::MatrixXd kernel_matrix(const Dense<T>& layer, std::enable_if_t<true, ConstView<T>> w, KernelView view, Index& last_channels) {
  const Index in = layer.in_features(), o = layer.out_features();
  // w: [out, in]
  Eigen::MatrixXd full(in, o);
  for (Index r = 0; r < o; ++r)
    for (Index c = 0; c < in; ++c) full(c, r) = double(w[r * in + c]);
  Index side = 0;
  if (view == KernelView::centre_tap && last_channels > 0 && in % last_channels == 0) {
    const Index hw = in / last_channels;
    side = Index(std::llround(std::sqrt(double(hw))));
    if (side * side != hw || side < 2) side = 0;
  }
  const Index channels = last_channels;
  last_channels = -1;
  if (!side) return full;
  Eigen::MatrixXd m(channels, o);
  for (Index c = 0; c < channels; ++c) m.row(c) = full.row(c * side * side + (side / 2) * side + side / 2);
  return m;
}

/// The matrices of kernel_matrices() with the weight tensor of each Dense/Conv2d node supplied by
/// `kernel(node, layer)` (a tensor of the layer's weight shape: W, a pattern A or A (.) W).
template <class T, class Kernel>
std::vector<KernelMatrix> kernel_matrices_of(const Network<T>& net, KernelView view, Kernel&& kernel) {
  std::vector<KernelMatrix> out;
  Index last_channels = -1;
  for (Index i = 0; i < net.size(); ++i)
    net.visit(i, [&](const auto& layer) {
      using L = std::decay_t<decltype(layer)>;
      if constexpr (L::role == Role::weighted_linear)
        out.push_back({net.node(i).name, i, kernel_matrix(layer, kernel(i, layer), view, last_channels)});
    });
  return out;
}
}  // namespace detail

template <class T>
std::vector<KernelMatrix> kernel_matrices(const Network<T>& net, KernelView view = KernelView::centre_tap) {
  return detail::kernel_matrices_of(net, view, [](Index, const auto& layer) { return layer.weight().view(); });
}

/// Which matrix of a PatternNet/PatternAttribution layer to analyse.
enum class PatternMatrix {
  pattern,              ///< A (PatternNet's backward kernel)
  pattern_times_weight  ///< A (.) W (PatternAttribution's backward kernel)
};

/// kernel_matrices() of the fitted patterns A or of A (.) W (element-wise), in the same
/// orientation and reduction; every Dense/Conv2d node needs a pattern (rule.600 otherwise).
template <class T>
std::vector<KernelMatrix> pattern_matrices(const Network<T>& net, const Patterns<T>& patterns,
                                           PatternMatrix which = PatternMatrix::pattern_times_weight,
                                           KernelView view = KernelView::centre_tap) {
  Tensor<T> product;
  return detail::kernel_matrices_of(net, view, [&](Index i, const auto& layer) -> ConstView<T> {
    using L = std::decay_t<decltype(layer)>;
    const Tensor<T>& a = patterns.pattern(net.node(i).name, L::kind);
    detail::check_pattern_shape(a, layer.weight(), detail::pattern_who(layer));
    if (which == PatternMatrix::pattern) return a.cview();
    product.resize(a.shape());
    product.vec() = a.vec().cwiseProduct(layer.weight().view().vec());
    return product.cview();
  });
}

/// T_l for l = 1..L-1 (see the file comment); consecutive matrices must chain (cols_l = rows_{l+1}).
inline std::vector<Eigen::MatrixXd> chain_items(const std::vector<Eigen::MatrixXd>& ms) {
  for (std::size_t l = 1; l < ms.size(); ++l)
    if (ms[l].rows() != ms[l - 1].cols())
      raise<ShapeError>("shape.832", "chain_items: matrix ", l, " is [", ms[l].rows(), ", ", ms[l].cols(),
                        "], expected [", ms[l - 1].cols(), ", ...] (rows = previous columns)");
  struct Svd {
    Eigen::MatrixXd u, vt;
    Eigen::VectorXd s;
  };
  std::vector<Svd> svd;
  for (const auto& m : ms) {
    Eigen::BDCSVD<Eigen::MatrixXd> d(m, Eigen::ComputeFullU | Eigen::ComputeFullV);
    svd.push_back({d.matrixU(), d.matrixV().transpose(), d.singularValues()});
  }
  const auto padded = [](const Eigen::VectorXd& s, Index n) {
    Eigen::VectorXd d = Eigen::VectorXd::Zero(n);
    d.head(std::min(n, s.size())) = s.head(std::min(n, s.size())).cwiseSqrt();
    return d;
  };
  std::vector<Eigen::MatrixXd> items;
  for (std::size_t l = 0; l + 1 < ms.size(); ++l) {
    const Eigen::VectorXd a = padded(svd[l].s, svd[l].vt.rows()), b = padded(svd[l + 1].s, svd[l + 1].u.cols());
    items.push_back(a.asDiagonal() * (svd[l].vt * svd[l + 1].u) * b.asDiagonal());
  }
  return items;
}

/// sigma1/sigma2 of ms[first] ms[first+1] ... ms[last] (the notebook: first = 1).
inline double product_ratio(const std::vector<Eigen::MatrixXd>& ms, std::size_t first = 1) {
  if (first >= ms.size())
    raise<ArgumentError>("arg.830", "product_ratio: first = ", first, " but only ", ms.size(), " matrices");
  Eigen::MatrixXd p = ms[first];
  for (std::size_t l = first + 1; l < ms.size(); ++l) {
    if (ms[l].rows() != p.cols())
      raise<ShapeError>("shape.833", "product_ratio: matrix ", l, " is [", ms[l].rows(), ", ", ms[l].cols(),
                        "], expected [", p.cols(), ", ...]");
    p = (p * ms[l]).eval();
  }
  return singular_ratio(p);
}

struct SingularRatioReport {
  std::vector<std::string> layers;  ///< names, forward order
  std::vector<double> layer_ratio;  ///< sigma1/sigma2 per layer matrix
  std::vector<double> chain_ratio;  ///< sigma1/sigma2 per chain item T_l (size L - 1; empty if no chain)
  double chain_ratio_product = 1;   ///< prod_l chain_ratio (the paper's *SingularRatioProd)
  double product_ratio = 0;         ///< sigma1/sigma2 of M_2 ... M_L (NaN if L < 2 or no chain)
};

inline SingularRatioReport singular_ratio_report(const std::vector<KernelMatrix>& ks) {
  SingularRatioReport r;
  std::vector<Eigen::MatrixXd> ms;
  for (const auto& k : ks) {
    r.layers.push_back(k.name);
    // A 1 x c (or c x 1) matrix, e.g. the first layer of a grey-scale model, has rank <= 1: sigma2 = 0.
    r.layer_ratio.push_back(std::min(k.matrix.rows(), k.matrix.cols()) < 2 ? std::numeric_limits<double>::infinity()
                                                                            : singular_ratio(k.matrix));
    ms.push_back(k.matrix);
  }
  bool chains = ms.size() >= 2;
  for (std::size_t l = 1; l < ms.size(); ++l) chains = chains && ms[l].rows() == ms[l - 1].cols();
  // Matrices that do not chain (the full reshape of convolutions) get per-layer ratios only.
  r.product_ratio = std::numeric_limits<double>::quiet_NaN();
  if (!chains) return r;
  for (const auto& t : chain_items(ms)) {
    r.chain_ratio.push_back(singular_ratio(t));
    r.chain_ratio_product *= r.chain_ratio.back();
  }
  r.product_ratio = product_ratio(ms, 1);
  return r;
}

template <class T>
SingularRatioReport singular_ratio_report(const Network<T>& net, KernelView view = KernelView::centre_tap) {
  return singular_ratio_report(kernel_matrices(net, view));
}

ATTRIB_END_NAMESPACE
