#pragma once
// Cosine similarity convergence (CSC), as Sixt, Granz & Landgraf ran it ("When Explanations
// Lie", ICML 2020): per image, inject V i.i.d. N(0, 1) signals at the output of a layer L
// (everything above L is ignored), run the rule's backward pass, and at every lower layer
// compare the V resulting relevance maps pairwise: |cos| per spatial location across
// channels ((C, H, W) -> H*W vectors of length C; a dense layer is one vector; the input gives
// one colour vector per pixel). |cos| -> 1 means the explanation no longer depends on what
// happened above L. Works for every rule, including two-signal rules (DeepLIFT: the random
// signal goes into both multiplier chains; contributions are read out). CSV/JSON output:
// attrib/report/csc.hpp; the paper's plots: attrib/report/plots.hpp.
#include "attrib/core/config.hpp"
#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "attrib/core/percentile.hpp"
#include "attrib/core/random.hpp"
#include "attrib/explain.hpp"

ATTRIB_BEGIN_NAMESPACE

/// Limits of CscOptions: V maps of every layer are held at once; max_values floats per layer.
inline constexpr int csc_max_samples = 1024;
inline constexpr Index csc_max_values = Index(1) << 28;

struct CscOptions {
  int samples = 5;                 ///< V random signals per image (2 to csc_max_samples)
  std::uint64_t seed = 0;          ///< portable RNG seed
  Index max_values = 5'000'000;    ///< per layer (1 to csc_max_values); beyond this, reservoir sampling
  /// Called after each image with (images done, images total).
  std::function<void(Index, Index)> progress;
};

/// The paper's percentiles and histogram bins.
inline constexpr std::array<double, 10> csc_percentiles{0, 1, 5, 10, 20, 50, 80, 95, 99, 100};
inline constexpr std::array<double, 14> csc_bins{0, .1, .2, .3, .4, .5, .6, .7, .8, .9, .99, .999, .9999, 1};

struct CscLayer {
  Index node = -1;             ///< node index (-1 = the model input)
  std::string name;            ///< node name ("input" for the model input)
  std::string kind;
  Index channels = 0;          ///< vector length of one compared row
  Index count = 0;             ///< |cos| values seen (NaN rows dropped)
  double mean = 0, median = 0;
  std::array<double, 10> percentiles{};
  std::array<Index, 13> histogram{};  ///< counts per csc_bins interval
  double baseline = 0;         ///< median |cos| of random Gaussian vectors of this length
  bool subsampled = false;
};

struct CscResult {
  std::string rule;
  Index injected = -1;          ///< the layer L
  int samples = 0;
  Index images = 0;
  std::vector<CscLayer> layers; ///< L first, then every lower layer, the model input last
};

/// Median of |cos| between two independent isotropic random vectors in R^C:
/// cos^2 ~ Beta(1/2, (C-1)/2), i.e. |cos| = sin(theta) with density proportional to
/// cos(theta)^(C-2) on [0, pi/2] (smooth for every C >= 2, unlike the density in |cos| itself,
/// which is infinite at 1 for C = 2). Simpson's rule on 4096 steps over the part of [0, pi/2]
/// that holds the mass (theta <= 12/sqrt(C): the rest is below e^-70), linear interpolation of
/// the CDF: relative error ~1e-7, 0.15 ms. 1/sqrt(2) for C = 2, 0.5 for C = 3, about
/// 0.6745/sqrt(C) for large C.
inline double csc_baseline(Index c) {
  if (c <= 1) return 1.0;
  const double e = double(c - 2);
  const double top = std::min(std::acos(0.0), 12.0 / std::sqrt(double(c)));
  const int n = 4096;
  const double h = top / n;
  std::vector<double> cdf(static_cast<std::size_t>(n + 1), 0.0);
  const auto f = [&](double th) { return c == 2 ? 1.0 : std::exp(e * std::log(std::cos(th))); };
  double prev = f(0);
  for (int i = 1; i <= n; ++i) {
    const double cur = f(i * h), mid = f((i - 0.5) * h);
    cdf[std::size_t(i)] = cdf[std::size_t(i - 1)] + (prev + 4 * mid + cur) * h / 6.0;
    prev = cur;
  }
  const double half = 0.5 * cdf.back();
  const std::size_t i = std::size_t(std::lower_bound(cdf.begin(), cdf.end(), half) - cdf.begin());
  const double a = cdf[i - 1], b = cdf[i];
  return std::sin((double(i - 1) + (half - a) / (b - a)) * h);
}

namespace detail {
/// Pairwise |cos| per row for V maps of one layer; rows = spatial positions, compared across
/// channels. Norms once per map, dots per pair, both accumulated channel by channel over
/// contiguous planes; `scratch` (reused across calls) holds (V + 1) x plane doubles.
template <class T, class Sink>
void csc_pairs(const Tensor<T>& maps, int v, Sink&& sink, std::vector<double>& scratch) {
  const Shape s = maps.shape();
  const Index per = s.sample_size();
  const Index c = s.rank() >= 2 ? s[1] : per;
  const Index plane = s.rank() >= 2 ? per / c : 1;
  scratch.assign(static_cast<std::size_t>((v + 1) * plane), 0.0);
  double* norm = scratch.data();
  double* dot = norm + v * plane;
  const T* m = maps.data();
  for (int a = 0; a < v; ++a)
    for (Index k = 0; k < c; ++k) {
      const T* x = m + a * per + k * plane;
      double* na = norm + a * plane;
      for (Index p = 0; p < plane; ++p) na[p] += double(x[p]) * double(x[p]);
    }
  for (int a = 0; a < v; ++a)
    for (int b = a + 1; b < v; ++b) {
      std::fill(dot, dot + plane, 0.0);
      for (Index k = 0; k < c; ++k) {
        const T* x = m + a * per + k * plane;
        const T* y = m + b * per + k * plane;
        for (Index p = 0; p < plane; ++p) dot[p] += double(x[p]) * double(y[p]);
      }
      const double* na = norm + a * plane;
      const double* nb = norm + b * plane;
      for (Index p = 0; p < plane; ++p)
        if (na[p] > 0 && nb[p] > 0) sink(std::abs(dot[p]) / std::sqrt(na[p] * nb[p]));
    }
}
template <class T, class Sink>
void csc_pairs(const Tensor<T>& maps, int v, Sink&& sink) {
  std::vector<double> scratch;
  csc_pairs(maps, v, std::forward<Sink>(sink), scratch);
}

struct CscAccumulator {
  std::vector<float> values;
  double sum = 0;
  Index seen = 0;
  std::array<Index, 13> hist{};
  /// Interval k of csc_bins with bins[k] <= c < bins[k + 1] (the last one includes 1).
  static Index bin_of(double c) {
    Index k = c < 0.9 ? std::max(Index(0), Index(c * 10)) : c < .99 ? 9 : c < .999 ? 10 : c < .9999 ? 11 : 12;
    while (k < 12 && c >= csc_bins[std::size_t(k + 1)]) ++k;  // c * 10 may round across a boundary
    while (k > 0 && c < csc_bins[std::size_t(k)]) --k;
    return k;
  }
  void add(double c, Index cap, Random& rng) {
    c = std::min(c, 1.0);
    sum += c;
    ++seen;
    ++hist[std::size_t(bin_of(c))];
    if (Index(values.size()) < cap) values.push_back(float(c));
    else {
      const auto j = rng.below(std::uint64_t(seen));
      if (j < std::uint64_t(cap)) values[std::size_t(j)] = float(c);
    }
  }
};

}  // namespace detail

/// CSC of `rule` on `model` for the images x ([N, ...]), injecting at node `layer`.
template <class Model, class Rule>
CscResult cosine_similarity_convergence(const Model& model, const Rule& rule,
                                        ConstView<typename Model::Scalar> images, Index layer,
                                        const CscOptions& opt = {}) {
  using T = typename Model::Scalar;
  if (opt.samples < 2 || opt.samples > csc_max_samples)
    raise<ParameterError>("param.080", "CSC: samples = ", opt.samples, ", expected 2 to ", csc_max_samples,
                          " random signals");
  if (opt.max_values < 1 || opt.max_values > csc_max_values)
    raise<ParameterError>("param.081", "CSC: max_values = ", opt.max_values, ", expected 1 to ", csc_max_values);
  detail::check_node_index(model.nodes(), layer);
  if (images.rank() < 1 || images.empty())
    raise<ShapeError>("shape.080", "CSC: images of shape ", images.shape(),
                      ", expected a non-empty batch [N, ...] with N >= 1");
  for (Index i = 0; i < images.size(); ++i)
    if (!std::isfinite(static_cast<double>(images[i])))
      raise<ArgumentError>("arg.080", "CSC: images of shape ", images.shape(), " have a non-finite value (",
                           images[i], ") at flat index ", i, " (image ", i / images.shape().sample_size(), ")");
  const int v = opt.samples;
  const Index n = images.shape().batch();
  Random rng(opt.seed), reservoir(opt.seed ^ 0x5eedULL);
  Explainer<Model, Rule> ex(model, rule);
  Workspace<T> ws;
  Trace<T> one, tiled;
  Tensor<T> xt, signal;
  ExplainOptions<T> eo;
  eo.keep_layers = true;

  // Layers reported: L, every node before it, and the input (only ancestors of L carry signal).
  std::vector<Index> ids;
  for (Index i = layer; i >= 0; --i) ids.push_back(i);
  ids.push_back(-1);
  std::vector<detail::CscAccumulator> acc(ids.size());
  std::vector<double> scratch;

  for (Index img = 0; img < n; ++img) {
    const auto x = images.slice(img, 1);
    forward(model, x, one, ws);
    // The same forward trace V times (one backward pass with batch V).
    xt.resize(x.shape().with_batch(v));
    for (int k = 0; k < v; ++k) xt.view().slice(k, 1).vec() = x.vec();
    tiled.reset(model.size());
    tiled.set_input(xt.cview());
    for (Index i = 0; i < model.size(); ++i) {
      const auto o = one.output(i);
      auto dst = tiled.prepare(i, o.shape().with_batch(v));
      for (int k = 0; k < v; ++k) dst.slice(k, 1).vec() = o.vec();
    }
    ex.use_trace(tiled);
    signal.resize(tiled.output(layer).shape());
    rng.fill_normal(signal.view());
    const auto& e = ex.explain_from(layer, signal.cview(), eo);
    for (std::size_t li = 0; li < ids.size(); ++li) {
      const Index id = ids[li];
      const Tensor<T>& maps = id == layer ? signal : (id < 0 ? e.attribution : e.layers[std::size_t(id)]);
      detail::csc_pairs(maps, v, [&](double c) { acc[li].add(c, opt.max_values, reservoir); }, scratch);
    }
    if (opt.progress) opt.progress(img + 1, n);
  }

  // One baseline per distinct vector length (a network repeats a few channel counts).
  std::vector<std::pair<Index, double>> baselines;
  const auto baseline_of = [&](Index c) {
    for (const auto& [len, b] : baselines)
      if (len == c) return b;
    baselines.emplace_back(c, csc_baseline(c));
    return baselines.back().second;
  };
  CscResult r;
  r.rule = rule_name(rule);
  r.injected = layer;
  r.samples = v;
  r.images = n;
  for (std::size_t li = 0; li < ids.size(); ++li) {
    CscLayer L;
    L.node = ids[li];
    L.name = L.node < 0 ? "input" : model.node(L.node).name;
    L.kind = L.node < 0 ? "Input" : model.node(L.node).kind;
    const Shape s = L.node < 0 ? images.shape() : one.output(L.node).shape();
    L.channels = s.rank() >= 2 ? s[1] : s.sample_size();
    auto& a = acc[li];
    L.count = a.seen;
    L.subsampled = a.seen > Index(a.values.size());
    L.mean = a.seen ? a.sum / double(a.seen) : std::numeric_limits<double>::quiet_NaN();
    L.percentiles = detail::select_percentiles(a.values, csc_percentiles);
    L.median = L.percentiles[5];
    L.histogram = a.hist;
    L.baseline = baseline_of(L.channels);
    r.layers.push_back(std::move(L));
  }
  return r;
}

template <class Model, class Rule>
CscResult cosine_similarity_convergence(const Model& model, const Rule& rule,
                                        ConstView<typename Model::Scalar> images, std::string_view layer,
                                        const CscOptions& opt = {}) {
  return cosine_similarity_convergence(model, rule, images, model.find(layer), opt);
}

ATTRIB_END_NAMESPACE
