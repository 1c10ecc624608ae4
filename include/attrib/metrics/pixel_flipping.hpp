#pragma once
// Region perturbation ("pixel flipping", Samek et al. 2017, "Evaluating the visualization of
// what a deep neural network has learned"): an attribution is faithful if removing what it
// calls most relevant first destroys the prediction fastest. The image [1, C, H, W] is cut into
// square regions of side `region` (a grid; the last row/column of regions may be smaller),
// each scored by the sum of its attribution over all channels, and ordered most relevant
// first (MoRF; ties by region index). Two curves over the fraction of regions perturbed:
//   deletion   f_c(x with the k most relevant regions replaced by the baseline) — falls fast
//              for a faithful attribution (small AUC is good);
//   insertion  f_c(baseline with the k most relevant regions of x restored) — rises fast
//              (large AUC is good);
// and the same two curves for a seeded random order of the regions, the reference a useful
// attribution must beat. AUC: trapezoid rule over the fraction in [0, 1], in units of the
// output. AOPC (Samek et al. eq. 12): mean over the curve's points of f_c(x) - deletion.
// Works with any model function f(batch) -> [N, K] (methods/common.hpp) or our models.
//
// Errors: ParameterError param.870-872, ShapeError shape.870-871 (docs/faithfulness.md).
#include "attrib/core/config.hpp"
#include <algorithm>
#include <cstdint>
#include <numeric>
#include <vector>

#include "attrib/core/random.hpp"
#include "attrib/methods/common.hpp"

ATTRIB_BEGIN_NAMESPACE

struct PixelFlippingOptions : BatchOptions {
  Index region = 1;       ///< side of the square regions (Samek et al.: 9 on 224 x 224 images)
  Index max_points = 64;  ///< at most this many perturbation steps (plus the unperturbed start)
  std::uint64_t seed = 0; ///< the random order
};

struct PerturbationCurves {
  Index regions = 0;                  ///< number of regions
  std::vector<double> fraction;       ///< share of regions perturbed at each point (0 ... 1)
  std::vector<double> deletion, insertion;                ///< MoRF order of the attribution
  std::vector<double> random_deletion, random_insertion;  ///< seeded random order
  double deletion_auc = 0, insertion_auc = 0, random_deletion_auc = 0, random_insertion_auc = 0;
  double aopc = 0;         ///< mean of f_c(x) - deletion over the points
  double random_aopc = 0;
};

namespace detail::flip {
/// Trapezoid rule of y over x.
inline double auc(const std::vector<double>& x, const std::vector<double>& y) {
  double a = 0;
  for (std::size_t i = 1; i < x.size(); ++i) a += 0.5 * (x[i] - x[i - 1]) * (y[i] + y[i - 1]);
  return a;
}
inline double aopc(const std::vector<double>& deletion) {
  double s = 0;
  for (double d : deletion) s += deletion.front() - d;
  return deletion.empty() ? 0.0 : s / double(deletion.size());
}
}  // namespace detail::flip

/// Region of every pixel (row-major over H x W) for square regions of side r.
inline std::vector<Index> region_map(Index h, Index w, Index r, Index& regions) {
  const Index rows = (h + r - 1) / r, cols = (w + r - 1) / r;
  regions = rows * cols;
  std::vector<Index> map(static_cast<std::size_t>(h * w));
  for (Index y = 0; y < h; ++y)
    for (Index x = 0; x < w; ++x) map[std::size_t(y * w + x)] = (y / r) * cols + x / r;
  return map;
}

/// Deletion and insertion curves of one item x [1, C, H, W] (or [1, H, W]) for its attribution
/// (same shape) and target class; baseline: empty (zeros) or x's shape.
template <class F, class T>
PerturbationCurves pixel_flipping(F&& f_or_model, ConstView<T> x, ConstView<T> attribution, Index target,
                                  ConstView<T> baseline = {}, const PixelFlippingOptions& o = {}) {
  const char* who = "pixel_flipping";
  if constexpr (detail::is_model_v<F>) {
    auto f = model_function(f_or_model);
    return pixel_flipping(f, x, attribution, target, baseline, o);
  } else {
    detail::check_batch_options(o, who);
    if (o.region < 1) raise<ParameterError>("param.870", who, ": region = ", o.region, ", expected >= 1");
    if (o.max_points < 1 || o.max_points > max_method_count)
      raise<ParameterError>("param.871", who, ": max_points = ", o.max_points, ", expected 1 to ", max_method_count);
    const Shape& s = x.shape();
    if ((s.rank() != 4 && s.rank() != 3) || s[0] != 1 || x.empty())
      raise<ShapeError>("shape.870", who, ": input of shape ", s, ", expected one item [1, C, H, W] or [1, H, W]");
    if (attribution.shape() != s)
      raise<ShapeError>("shape.871", who, ": attribution of shape ", attribution.shape(), " for an input of shape ", s);
    detail::check_input(x, who);
    detail::check_input(attribution, who);
    const Tensor<T> base = detail::expand_baseline(baseline, x, who);
    const Index h = s[s.rank() - 2], w = s[s.rank() - 1], c = s.rank() == 4 ? s[1] : 1, hw = h * w;
    if (o.region > std::max(h, w))
      raise<ParameterError>("param.872", who, ": region = ", o.region, " is larger than the ", h, "x", w, " image");
    Index n_regions = 0;
    const std::vector<Index> map = region_map(h, w, o.region, n_regions);
    std::vector<double> score(static_cast<std::size_t>(n_regions), 0.0);
    for (Index k = 0; k < c; ++k)
      for (Index p = 0; p < hw; ++p) score[std::size_t(map[std::size_t(p)])] += double(attribution[k * hw + p]);
    std::vector<Index> morf(static_cast<std::size_t>(n_regions));
    std::iota(morf.begin(), morf.end(), Index(0));
    std::stable_sort(morf.begin(), morf.end(), [&](Index a, Index b) { return score[std::size_t(a)] > score[std::size_t(b)]; });
    std::vector<Index> random = morf;
    std::sort(random.begin(), random.end());
    Random rng(o.seed);
    for (std::size_t i = random.size(); i > 1; --i) std::swap(random[i - 1], random[std::size_t(rng.below(i))]);

    // Points k_j = round(j * R / P), j = 0..P, distinct.
    const Index points = std::min(o.max_points, n_regions);
    std::vector<Index> ks;
    for (Index j = 0; j <= points; ++j) {
      const Index k = (j * n_regions + points / 2) / points;
      if (ks.empty() || k != ks.back()) ks.push_back(k);
    }
    PerturbationCurves r;
    r.regions = n_regions;
    for (Index k : ks) r.fraction.push_back(double(k) / double(n_regions));
    // Rows: (order, mode, point): order 0 = MoRF, 1 = random; mode 0 = deletion, 1 = insertion.
    const Index np = Index(ks.size()), rows = 4 * np;
    std::vector<double> out(static_cast<std::size_t>(rows));
    std::vector<Index> rank_of(static_cast<std::size_t>(n_regions));
    const auto fill = [&](Index row, TensorView<T> dst) {
      const auto& order = row / (2 * np) == 0 ? morf : random;
      const bool insertion = (row / np) % 2 == 1;
      const Index k = ks[std::size_t(row % np)];
      for (Index i = 0; i < n_regions; ++i) rank_of[std::size_t(order[std::size_t(i)])] = i;
      for (Index ch = 0; ch < c; ++ch)
        for (Index p = 0; p < hw; ++p) {
          const bool chosen = rank_of[std::size_t(map[std::size_t(p)])] < k;
          const Index i = ch * hw + p;
          dst[i] = chosen != insertion ? base[i] : x[i];
        }
    };
    Index done = 0;
    Tensor<T> buf;
    detail::batched_eval<T>(f_or_model, s, rows, o, done, rows, fill,
                            [&](Index row, const Tensor<T>& y, Index r_in_chunk, Index cnt) {
                              out[std::size_t(row)] = detail::output_at(y, cnt, r_in_chunk, target, who);
                            },
                            buf);
    const auto part = [&](Index q) {
      return std::vector<double>(out.begin() + q * np, out.begin() + (q + 1) * np);
    };
    r.deletion = part(0);
    r.insertion = part(1);
    r.random_deletion = part(2);
    r.random_insertion = part(3);
    r.deletion_auc = detail::flip::auc(r.fraction, r.deletion);
    r.insertion_auc = detail::flip::auc(r.fraction, r.insertion);
    r.random_deletion_auc = detail::flip::auc(r.fraction, r.random_deletion);
    r.random_insertion_auc = detail::flip::auc(r.fraction, r.random_insertion);
    r.aopc = detail::flip::aopc(r.deletion);
    r.random_aopc = detail::flip::aopc(r.random_deletion);
    return r;
  }
}

ATTRIB_END_NAMESPACE
