#pragma once
// Input alignment (theory.md part B; Zheng, Sang & Xu 2025, "Unifying Perplexing Behaviors in
// Modified BP Attributions through Alignment Perspective"): the cosine between an attribution
// map and the input, per image, cos(a, x) = <a, x> / (|a| |x|) over all input features
// (optionally with x centred per image first), and per layer the cosine between the signal
// read out at a node's output and that node's activation, cos(r_l, h_l). The alignment measure
// of the paper was not retrieved; this is the measure theory.md B.2 makes precise (inferred).
// Prediction for Guided Backprop through one random ReLU layer (rows N(0, I_d), m units, no
// bias, upstream 1 on every unit): cos ~ 1 / sqrt(1 + pi (d - 1) / m) (theory.md B.3, T1').
// Non-negative activations (after ReLU) are aligned with any non-negative map to some degree
// (cos(1, x) = 0.866 for x ~ U[0, 1]^d): judge those values against that reference.
#include "attrib/core/config.hpp"
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "attrib/explain.hpp"
#include "attrib/metrics/sanity.hpp"  // median_of

ATTRIB_BEGIN_NAMESPACE

/// cos between two tensors of the same size (flattened); NaN if either norm is 0.
template <class T>
double cosine(ConstView<T> a, ConstView<T> b) {
  if (a.size() != b.size())
    raise<ShapeError>("shape.840", "cosine: shapes ", a.shape(), " and ", b.shape(), ", expected the same size");
  double d = 0, na = 0, nb = 0;
  for (Index i = 0; i < a.size(); ++i) {
    d += double(a[i]) * double(b[i]);
    na += double(a[i]) * double(a[i]);
    nb += double(b[i]) * double(b[i]);
  }
  return na > 0 && nb > 0 ? d / std::sqrt(na * nb) : std::numeric_limits<double>::quiet_NaN();
}

/// 1 / sqrt(1 + pi (d - 1) / m): Guided-BP alignment through one isotropic random ReLU layer.
inline double guided_alignment_prediction(Index d, Index m) {
  if (d < 1 || m < 1)
    raise<ParameterError>("param.840", "guided_alignment_prediction: d = ", d, ", m = ", m, ", expected >= 1");
  return 1 / std::sqrt(1 + 3.14159265358979323846 * double(d - 1) / double(m));
}

struct AlignmentOptions {
  bool center_input = false;  ///< subtract each image's mean from x before the cosine
  bool layers = false;        ///< also cos(r_l, h_l) at every node
};

struct LayerAlignment {
  Index node = -1;
  std::string name, kind;
  std::vector<double> per_image;  ///< NaN where the signal or the activation is 0
  double mean = std::numeric_limits<double>::quiet_NaN();
};

struct AlignmentResult {
  std::string rule;
  std::vector<double> per_image;  ///< cos(attribution, input) per image
  double mean = std::numeric_limits<double>::quiet_NaN(), median = std::numeric_limits<double>::quiet_NaN();
  std::vector<LayerAlignment> layers;  ///< every node (opt.layers), execution order
};

namespace detail {
inline double nan_mean(const std::vector<double>& v) {
  double s = 0;
  Index n = 0;
  for (double x : v)
    if (!std::isnan(x)) { s += x; ++n; }
  return n ? s / double(n) : std::numeric_limits<double>::quiet_NaN();
}
}  // namespace detail

/// Alignment of `rule`'s attributions with the input for every image of x ([N, ...]).
template <class Model, class Rule>
AlignmentResult input_alignment(const Model& model, const Rule& rule, ConstView<typename Model::Scalar> x,
                                const Targets& targets, const AlignmentOptions& opt = {}) {
  using T = typename Model::Scalar;
  if (x.rank() < 2) raise<ShapeError>("shape.841", "input_alignment: input of shape ", x.shape(), ", expected [N, ...]");
  const Index n = x.shape().batch();
  if (targets.classes.size() != 1 && Index(targets.classes.size()) != n)
    raise<ArgumentError>("arg.840", "input_alignment: ", targets.classes.size(), " targets for ", n,
                         " images of shape ", x.shape());
  Explainer<Model, Rule> ex(model, rule);
  ExplainOptions<T> eo;
  eo.keep_layers = opt.layers;
  AlignmentResult r;
  r.rule = rule_name(rule);
  if (opt.layers)
    for (Index i = 0; i < model.size(); ++i) {
      LayerAlignment l;
      l.node = i;
      l.name = model.node(i).name;
      l.kind = model.node(i).kind;
      r.layers.push_back(std::move(l));
    }
  Tensor<T> xc;
  for (Index b = 0; b < n; ++b) {
    const auto xb = x.slice(b, 1);
    const auto& e = ex.explain(xb, targets(b), eo);
    xc.resize(xb.shape());
    xc.vec() = xb.vec();
    if (opt.center_input) xc.vec().array() -= xc.vec().mean();
    r.per_image.push_back(cosine<T>(e.attribution.cview(), xc.cview()));
    if (opt.layers)
      for (Index i = 0; i < model.size(); ++i)
        r.layers[std::size_t(i)].per_image.push_back(
            cosine<T>(e.layers[std::size_t(i)].cview(), ex.trace().output(i)));
  }
  r.mean = detail::nan_mean(r.per_image);
  std::vector<double> finite;
  for (double c : r.per_image)
    if (!std::isnan(c)) finite.push_back(c);
  r.median = median_of(finite);
  for (auto& l : r.layers) l.mean = detail::nan_mean(l.per_image);
  return r;
}

ATTRIB_END_NAMESPACE
