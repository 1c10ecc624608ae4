#pragma once
// Occlusion (Zeiler & Fergus 2014): slide a window over each batch item, replace the window by
// a fill value or by the baseline, and score the window s_P = f_c(x) - f_c(x with P occluded).
// An element's score is the mean of s_P over the windows that cover it (0 if none does).
// Occlusion-1 is the 1-element window with stride 1 (the default): a_i = f_c(x) - f_c(x_{i := b_i}).
#include "attrib/core/config.hpp"
#include <vector>

#include "attrib/methods/common.hpp"

ATTRIB_BEGIN_NAMESPACE

template <class T>
struct OcclusionOptions : BatchOptions {
  /// Window over the sample dimensions (rank = input rank - 1, e.g. {C, 4, 4} for [N, C, H, W]);
  /// empty: one element (Occlusion-1).
  Shape window;
  /// Stride per sample dimension; empty: 1 everywhere.
  Shape stride;
  T fill = T(0);            ///< value written into the window (when no baseline is given)
  ConstView<T> baseline;    ///< [N, ...] or [1, ...]: the window takes the baseline's values
};

template <class T>
struct OcclusionResult {
  Tensor<T> attribution;          ///< shape of x: mean window score over covering windows
  Tensor<T> coverage;             ///< shape of x: number of windows covering each element
  std::vector<double> output;     ///< f_c(x) per item
  Index windows = 0;              ///< windows per item
};

namespace detail {
/// Calls visit(flat offset) for every element of the box [start, start + size) of a row-major
/// array with dimensions dims (rank r).
template <class V>
void for_each_in_box(const Shape& dims, const std::vector<Index>& start, const Shape& size, V&& visit) {
  const int r = dims.rank();
  std::vector<Index> idx(static_cast<std::size_t>(r), 0);
  for (;;) {
    Index off = 0;
    for (int k = 0; k < r; ++k) off = off * dims[k] + start[static_cast<std::size_t>(k)] + idx[static_cast<std::size_t>(k)];
    visit(off);
    int k = r - 1;
    while (k >= 0 && ++idx[static_cast<std::size_t>(k)] == size[k]) idx[static_cast<std::size_t>(k--)] = 0;
    if (k < 0) return;
  }
}
}  // namespace detail

/// Occlusion of any model: f is a function f(batch) -> [N, K] or one of our models.
template <class F, class X>
OcclusionResult<detail::view_scalar_t<X>> occlusion(F&& f_or_model, const X& x_in, const Targets& targets,
                                                   const OcclusionOptions<detail::view_scalar_t<X>>& opt = {}) {
  using T = detail::view_scalar_t<X>;
  if constexpr (detail::is_model_v<F>) {
    auto f = model_function(f_or_model);
    return occlusion(f, x_in, targets, opt);
  } else {
    const char* who = "occlusion";
    auto& f = f_or_model;
    const ConstView<T> x(x_in);
    detail::check_input(x, who);
    detail::check_batch_options(opt, who);
    if (!std::isfinite(static_cast<double>(opt.fill)))
      raise<ParameterError>("param.722", who, ": fill = ", opt.fill, ", expected a finite value");
    if (x.rank() < 2)
      raise<ShapeError>("shape.710", who, ": input has shape ", x.shape(), ", expected [N, ...] with rank >= 2");
    const int r = x.rank() - 1;
    const Shape dims = Shape::from_range(x.shape().begin() + 1, x.shape().end());
    const std::vector<Index> ones(static_cast<std::size_t>(r), 1);
    const Shape win = opt.window.rank() == 0 ? Shape::from_range(ones.begin(), ones.end()) : opt.window;
    const Shape str = opt.stride.rank() == 0 ? Shape::from_range(ones.begin(), ones.end()) : opt.stride;
    if (win.rank() != r || str.rank() != r)
      raise<ShapeError>("shape.711", who, ": window ", win, " and stride ", str, " must have one entry per sample dimension of ",
                        dims, " (input ", x.shape(), ")");
    std::vector<Index> counts(static_cast<std::size_t>(r));
    Index windows = 1;
    for (int k = 0; k < r; ++k) {
      if (win[k] < 1 || win[k] > dims[k])
        raise<ParameterError>("param.720", who, ": window ", win, " does not fit the sample shape ", dims);
      if (str[k] < 1) raise<ParameterError>("param.721", who, ": stride ", str, " must be >= 1");
      counts[static_cast<std::size_t>(k)] = (dims[k] - win[k]) / str[k] + 1;
      windows *= counts[static_cast<std::size_t>(k)];
    }
    const Index n = x.shape().batch(), d = x.shape().sample_size();
    const std::vector<Index> tg = detail::expand_targets(targets, n, who);
    const bool with_base = !opt.baseline.empty();
    const Tensor<T> b = with_base ? detail::expand_baseline(opt.baseline, x, who) : Tensor<T>();

    auto window_start = [&](Index p) {
      std::vector<Index> st(static_cast<std::size_t>(r));
      for (int k = r - 1; k >= 0; --k) {
        const Index c = counts[static_cast<std::size_t>(k)];
        st[static_cast<std::size_t>(k)] = (p % c) * str[k];
        p /= c;
      }
      return st;
    };

    OcclusionResult<T> res;
    res.windows = windows;
    res.output.resize(static_cast<std::size_t>(n));
    // Rows per item: the unoccluded input, then every window.
    const Index per = windows + 1, rows = n * per;
    std::vector<double> score(static_cast<std::size_t>(rows), 0.0);
    Index done = 0;
    Tensor<T> buf;
    detail::batched_eval<T>(
        f, x.shape(), rows, opt, done, rows,
        [&](Index row, TensorView<T> dst) {
          const Index i = row / per, p = row % per;
          dst.vec() = x.slice(i, 1).vec();
          if (p == 0) return;
          detail::for_each_in_box(dims, window_start(p - 1), win, [&](Index off) {
            dst[off] = with_base ? b[i * d + off] : opt.fill;
          });
        },
        [&](Index row, const Tensor<T>& y, Index rr, Index cnt) {
          score[static_cast<std::size_t>(row)] = detail::output_at(y, cnt, rr, tg[static_cast<std::size_t>(row / per)], who);
        },
        buf);
    res.attribution.resize(x.shape());
    res.coverage.resize(x.shape());
    std::vector<double> acc(static_cast<std::size_t>(d)), cov(static_cast<std::size_t>(d));
    for (Index i = 0; i < n; ++i) {
      std::fill(acc.begin(), acc.end(), 0.0);
      std::fill(cov.begin(), cov.end(), 0.0);
      const double fx = score[static_cast<std::size_t>(i * per)];
      res.output[static_cast<std::size_t>(i)] = fx;
      for (Index p = 0; p < windows; ++p) {
        const double s = fx - score[static_cast<std::size_t>(i * per + 1 + p)];
        detail::for_each_in_box(dims, window_start(p), win, [&](Index off) {
          acc[static_cast<std::size_t>(off)] += s;
          cov[static_cast<std::size_t>(off)] += 1;
        });
      }
      for (Index j = 0; j < d; ++j) {
        const double c = cov[static_cast<std::size_t>(j)];
        res.attribution[i * d + j] = static_cast<T>(c > 0 ? acc[static_cast<std::size_t>(j)] / c : 0.0);
        res.coverage[i * d + j] = static_cast<T>(c);
      }
    }
    return res;
  }
}

ATTRIB_END_NAMESPACE
