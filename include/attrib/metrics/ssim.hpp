#pragma once
// The "flipped SSIM" of the sanity checks in "When Explanations Lie" (Sixt et al. 2020), as the
// paper's code ran it (skimage 0.16.2 compare_ssim(a, b, win_size=5), otherwise defaults):
//   normalize_sanity(x, p): hi = percentile(x, p), lo = percentile(x, 100 - p) (numpy linear
//     interpolation), clip((x - hi) / (lo - hi), 0, 1): an *inverted* robust min-max.
//   ssim(a, b): uniform 5x5 window, sample covariance (N - 1 = 24), K1 = 0.01, K2 = 0.03,
//     data_range = 2 (skimage 0.16's dtype range of float), local means by scipy's
//     uniform_filter (mode 'reflect' = half-sample symmetric: d c b a | a b c d | d c b a),
//     the SSIM map cropped by 2 pixels per border, then averaged.
//   ssim_flipped(x, y) = max(ssim(n(x), n(y)), ssim(n(x), n(-y))).
// Heatmaps [N, C, H, W] are reduced to 2-D first: 'sum' over channels (LRP, DTD, PatternAttr.,
// DeepLIFT) or 'abs.max' = max_c |h| (Gradient, GuidedBP, Deconvnet, RectGrad, SmoothGrad).
// All arithmetic is in double. Documented deviation: a constant map (hi == lo) normalises to all
// zeros (the reference code produces 0/0 = NaN); so two constant maps have SSIM 1 and a constant
// map against a non-constant one has SSIM < 1.
#include "attrib/core/config.hpp"
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "attrib/core/error.hpp"
#include "attrib/core/percentile.hpp"
#include "attrib/core/tensor.hpp"

ATTRIB_BEGIN_NAMESPACE

/// A 2-D map in double, row-major (H x W).
using Map2d = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

enum class HeatmapReduce { sum, abs_max };

inline const char* to_string(HeatmapReduce r) { return r == HeatmapReduce::sum ? "sum" : "abs.max"; }

struct SsimOptions {
  int window = 5;            ///< odd side of the uniform window
  double k1 = 0.01, k2 = 0.03;
  double data_range = 2.0;   ///< skimage 0.16's default for float images
  bool sample_covariance = true;  ///< N - 1 normalisation of the local (co)variances
};

/// The paper's normalize_sanity: inverted robust min-max, clipped to [0, 1] (p = 99.5; the paper
/// uses p = 100 for RectGrad). Constant map -> all zeros (documented; the reference gives NaN).
inline Map2d normalize_sanity(const Map2d& x, double p = 99.5) {
  if (!(p >= 50 && p <= 100))
    raise<ParameterError>("param.801", "normalize_sanity: percentile p = ", p, ", expected [50, 100]");
  if (x.size() == 0) raise<ShapeError>("shape.800", "normalize_sanity: empty map [", x.rows(), ", ", x.cols(), "]");
  std::vector<double> v(x.data(), x.data() + x.size());
  const double hi = percentile_linear(v, p), lo = percentile_linear(std::move(v), 100 - p);
  Map2d out(x.rows(), x.cols());
  if (!(lo != hi)) {
    out.setZero();
    return out;
  }
  out = ((x.array() - hi) / (lo - hi)).cwiseMax(0.0).cwiseMin(1.0).matrix();
  return out;
}

namespace detail {
/// scipy.ndimage 'reflect' (half-sample symmetric) index into [0, n).
inline Index reflect_index(Index i, Index n) {
  if (n == 1) return 0;
  const Index period = 2 * n;
  i %= period;
  if (i < 0) i += period;
  return i < n ? i : period - 1 - i;
}
/// scipy.ndimage.uniform_filter(x, size, mode='reflect'): separable running mean, rows then columns.
inline Map2d uniform_filter_reflect(const Map2d& x, int size) {
  const Index h = x.rows(), w = x.cols(), r = size / 2;
  Map2d t(h, w), out(h, w);
  for (Index i = 0; i < h; ++i)
    for (Index j = 0; j < w; ++j) {
      double s = 0;
      for (Index k = -r; k <= r; ++k) s += x(i, reflect_index(j + k, w));
      t(i, j) = s / size;
    }
  for (Index i = 0; i < h; ++i)
    for (Index j = 0; j < w; ++j) {
      double s = 0;
      for (Index k = -r; k <= r; ++k) s += t(reflect_index(i + k, h), j);
      out(i, j) = s / size;
    }
  return out;
}
}  // namespace detail

/// skimage 0.16 compare_ssim(a, b, win_size=5) with the paper's defaults (see file comment).
inline double ssim(const Map2d& a, const Map2d& b, const SsimOptions& o = {}) {
  if (a.rows() != b.rows() || a.cols() != b.cols())
    raise<ShapeError>("shape.801", "ssim: maps of shape [", a.rows(), ", ", a.cols(), "] and [", b.rows(), ", ",
                      b.cols(), "], expected equal shapes");
  if (o.window < 1 || o.window % 2 == 0)
    raise<ParameterError>("param.802", "ssim: window = ", o.window, ", expected an odd size >= 1");
  if (a.rows() < o.window || a.cols() < o.window)
    raise<ShapeError>("shape.802", "ssim: map of shape [", a.rows(), ", ", a.cols(), "] is smaller than the ",
                      o.window, "x", o.window, " window, expected [>= ", o.window, ", >= ", o.window, "]");
  if (!(o.data_range > 0)) raise<ParameterError>("param.803", "ssim: data_range = ", o.data_range, ", expected > 0");
  const double np = double(o.window) * o.window;
  const double cov_norm = o.sample_covariance && np > 1 ? np / (np - 1) : 1.0;
  using detail::uniform_filter_reflect;
  const Map2d ux = uniform_filter_reflect(a, o.window), uy = uniform_filter_reflect(b, o.window);
  const Map2d uxx = uniform_filter_reflect(a.cwiseProduct(a), o.window);
  const Map2d uyy = uniform_filter_reflect(b.cwiseProduct(b), o.window);
  const Map2d uxy = uniform_filter_reflect(a.cwiseProduct(b), o.window);
  const double c1 = std::pow(o.k1 * o.data_range, 2), c2 = std::pow(o.k2 * o.data_range, 2);
  const Index pad = (o.window - 1) / 2;
  double sum = 0;
  for (Index i = pad; i < a.rows() - pad; ++i)
    for (Index j = pad; j < a.cols() - pad; ++j) {
      const double vx = cov_norm * (uxx(i, j) - ux(i, j) * ux(i, j));
      const double vy = cov_norm * (uyy(i, j) - uy(i, j) * uy(i, j));
      const double vxy = cov_norm * (uxy(i, j) - ux(i, j) * uy(i, j));
      const double a1 = 2 * ux(i, j) * uy(i, j) + c1, a2 = 2 * vxy + c2;
      const double b1 = ux(i, j) * ux(i, j) + uy(i, j) * uy(i, j) + c1, b2 = vx + vy + c2;
      sum += (a1 * a2) / (b1 * b2);
    }
  return sum / double((a.rows() - 2 * pad) * (a.cols() - 2 * pad));
}

/// max(ssim(n(x), n(y)), ssim(n(x), n(-y))), n = normalize_sanity(., p).
inline double ssim_flipped(const Map2d& x, const Map2d& y, double p = 99.5, const SsimOptions& o = {}) {
  const Map2d nx = normalize_sanity(x, p);
  const Map2d ny = normalize_sanity(y, p), nmy = normalize_sanity(-y, p);
  return std::max(ssim(nx, ny, o), ssim(nx, nmy, o));
}

/// One 2-D map from a view whose dimensions other than the last two are all 1 ([H, W], [1, H, W],
/// [1, 1, H, W]).
template <class T>
Map2d to_map2d(ConstView<T> v) {
  const Shape s = v.shape();
  bool ok = s.rank() >= 2;
  for (Index d = 0; ok && d + 2 < s.rank(); ++d) ok = s[d] == 1;
  if (!ok) raise<ShapeError>("shape.803", "to_map2d: got shape ", s, ", expected [H, W] or [1, ..., 1, H, W]");
  const Index h = s[s.rank() - 2], w = s[s.rank() - 1];
  Map2d m(h, w);
  for (Index i = 0; i < h * w; ++i) m.data()[i] = double(v[i]);
  return m;
}

/// Heatmap post-processing to 2-D: [N, C, H, W] (or [C, H, W] for one image) -> N maps of H x W,
/// 'sum' = sum_c h or 'abs.max' = max_c |h|.
template <class T>
std::vector<Map2d> postprocess_heatmaps(ConstView<T> h, HeatmapReduce r) {
  const Shape s = h.shape();
  if (s.rank() != 4 && s.rank() != 3)
    raise<ShapeError>("shape.804", "postprocess_heatmaps: got shape ", s, ", expected [N, C, H, W] or [C, H, W]");
  const bool batched = s.rank() == 4;
  const Index n = batched ? s[0] : 1, c = s[s.rank() - 3], ht = s[s.rank() - 2], w = s[s.rank() - 1];
  std::vector<Map2d> out;
  for (Index b = 0; b < n; ++b) {
    Map2d m = Map2d::Zero(ht, w);
    for (Index k = 0; k < c; ++k)
      for (Index p = 0; p < ht * w; ++p) {
        const double x = double(h[(b * c + k) * ht * w + p]);
        if (r == HeatmapReduce::sum) m.data()[p] += x;
        else m.data()[p] = std::max(m.data()[p], std::abs(x));
      }
    out.push_back(std::move(m));
  }
  return out;
}

ATTRIB_END_NAMESPACE
