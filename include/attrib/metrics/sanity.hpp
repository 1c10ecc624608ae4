#pragma once
// Sanity checks of "When Explanations Lie" (Sixt et al. 2020, rules-spec section 4), for every
// rule (templated on it; nothing rule-specific):
//   random-logit test: per image, the heatmap of the true label against the heatmap of a random
//     class != label (uniform, seeded portable RNG) on the same model; score = flipped SSIM of
//     the post-processed 2-D maps.
//   cascading parameter randomisation (Adebayo et al. 2018 style): randomisation points are node
//     names, top -> bottom; at point k every parameterised layer at or above that node (node index
//     >= the point's index) carries random weights (cumulative). One random copy of the network
//     is drawn once (seeded, the builders' init scheme: Kaiming-normal fan_out conv weights,
//     U(+-1/sqrt(fan_in)) biases and Dense weights, BatchNorm gamma 1, beta 0, mean 0, var 1)
//     and its layers are copied in. Score = flipped SSIM of the true-label heatmap on the
//     partially random model against the original heatmap.
// Per test / point: the median over images and a bootstrap band (10,000 resamples with
// replacement, median of each, [0.5, 99.5] percentiles of those medians; seeded).
#include "attrib/core/config.hpp"
#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "attrib/core/random.hpp"
#include "attrib/explain.hpp"
#include "attrib/metrics/ssim.hpp"
#include "attrib/models/builders.hpp"
#include "attrib/models/network.hpp"

ATTRIB_BEGIN_NAMESPACE

struct SanityOptions {
  HeatmapReduce reduce = HeatmapReduce::sum;  ///< 'sum' (LRP, DTD, DeepLIFT, ...) or 'abs.max' (gradients)
  double percentile = 99.5;                   ///< normalize_sanity's p (the paper: 100 for RectGrad)
  std::uint64_t seed = 0;                     ///< random classes, random weights, bootstrap
  int resamples = 10000;                      ///< bootstrap resamples
  double confidence = 99.5;                   ///< band = [100 - c, c] percentiles of the medians
  std::function<void(Index, Index)> progress; ///< (work items done, total)
};

struct BootstrapBand {
  double median = std::numeric_limits<double>::quiet_NaN();  ///< median of the scores
  double lo = std::numeric_limits<double>::quiet_NaN();      ///< lower band edge
  double hi = std::numeric_limits<double>::quiet_NaN();      ///< upper band edge
};

/// numpy.median.
inline double median_of(std::vector<double> v) {
  if (v.empty()) return std::numeric_limits<double>::quiet_NaN();
  return percentile_linear(std::move(v), 50);
}

/// Median and bootstrap band of the median: `resamples` draws of n scores with replacement.
inline BootstrapBand bootstrap_median(const std::vector<double>& scores, int resamples = 10000,
                                      double confidence = 99.5, std::uint64_t seed = 0) {
  if (resamples < 1 || resamples > (1 << 24))
    raise<ParameterError>("param.810", "bootstrap: resamples = ", resamples, ", expected 1 to 2^24");
  if (!(confidence >= 50 && confidence <= 100))
    raise<ParameterError>("param.811", "bootstrap: confidence = ", confidence, ", expected [50, 100]");
  BootstrapBand b;
  if (scores.empty()) return b;
  b.median = median_of(scores);
  Random rng(seed);
  std::vector<double> medians(static_cast<std::size_t>(resamples)), draw(scores.size());
  for (auto& m : medians) {
    for (auto& d : draw) d = scores[std::size_t(rng.below(scores.size()))];
    m = median_of(draw);
  }
  b.lo = percentile_linear(medians, 100 - confidence);
  b.hi = percentile_linear(std::move(medians), confidence);
  return b;
}

struct RandomLogitResult {
  std::string rule;
  std::vector<Index> labels, random_classes;  ///< per image
  std::vector<double> scores;                 ///< flipped SSIM per image
  BootstrapBand summary;
};

struct RandomizationStep {
  std::string layer;  ///< randomisation point (node name); it and everything above are random
  Index node = -1;
  std::vector<double> scores;  ///< flipped SSIM per image against the original heatmap
  BootstrapBand summary;
};

struct RandomizationResult {
  std::string rule;
  std::vector<RandomizationStep> steps;  ///< in the order of the points (top -> bottom)
};

namespace detail {
template <class T>
void check_sanity_inputs(ConstView<T> images, const std::vector<Index>& labels, const char* who) {
  if (images.rank() < 2 || images.empty())
    raise<ShapeError>("shape.810", who, ": images of shape ", images.shape(), ", expected a non-empty batch [N, ...]");
  if (Index(labels.size()) != images.shape().batch())
    raise<ArgumentError>("arg.810", who, ": ", labels.size(), " labels for ", images.shape().batch(),
                         " images of shape ", images.shape());
}

template <class T>
Index output_classes(const Tensor<T>& out, const char* who) {
  if (out.rank() != 2)
    raise<ShapeError>("shape.811", who, ": model output of shape ", out.shape(), ", expected [N, classes]");
  return out.shape()[1];
}

/// Re-initialises one layer's parameters with the builders' init scheme.
template <class L>
void reinitialise_layer(L& layer, Random& rng) {
  using T = typename L::Scalar;
  if constexpr (L::role == Role::weighted_linear) layer = init_layer(layer, rng);
  else if constexpr (std::is_same_v<L, BatchNorm2d<T>>) {
    layer.weight().mutable_view().vec().setOnes();
    layer.bias().mutable_view().vec().setZero();
    layer.running_mean().mutable_view().vec().setZero();
    layer.running_var().mutable_view().vec().setOnes();
  }
}
}  // namespace detail

/// Re-initialises the parameters of the named layers (in execution order, from `rng`) with the
/// builders' init scheme; layers without parameters are left alone.
template <class T>
void randomize_layers(Network<T>& net, const std::vector<std::string>& layers, Random& rng) {
  std::vector<Index> ids;
  for (const auto& n : layers) ids.push_back(net.find(n));
  std::sort(ids.begin(), ids.end());
  for (Index i : ids) net.visit(i, [&](auto& layer) { detail::reinitialise_layer(layer, rng); });
}

/// A copy of `net` whose every parameterised layer is re-initialised (seeded). The seed is
/// mixed with a constant first, so that randomized_copy(builder(s), s) does not reproduce the
/// weights a builder drew from the same seed s (the builders use Random(s) directly).
template <class T>
Network<T> randomized_copy(const Network<T>& net, std::uint64_t seed) {
  Network<T> r = net;
  Random rng(seed ^ 0x72616e646f6d697aULL);  // "randomiz"
  for (Index i = 0; i < r.size(); ++i) r.visit(i, [&](auto& layer) { detail::reinitialise_layer(layer, rng); });
  return r;
}

/// Random-logit test of any attribution: attribute(x [1, ...], class) -> the attribution of x
/// (a tensor of x's shape), e.g. a method run on the model; `classes` = the model's outputs.
template <class T, class Attribute>
RandomLogitResult random_logit_test_of(std::string name, Index classes, Attribute&& attribute, ConstView<T> images,
                                       const std::vector<Index>& labels, const SanityOptions& o = {}) {
  detail::check_sanity_inputs(images, labels, "random_logit_test");
  if (classes < 2)
    raise<ShapeError>("shape.812", "random_logit_test: the model has ", classes, " output, expected >= 2");
  Random rng(o.seed);
  RandomLogitResult r;
  r.rule = std::move(name);
  r.labels = labels;
  const Index n = images.shape().batch();
  for (Index i = 0; i < n; ++i) {
    const auto x = images.slice(i, 1);
    const Index label = labels[std::size_t(i)];
    const Map2d orig = postprocess_heatmaps<T>(ConstView<T>(attribute(x, label)), o.reduce)[0];
    Index c = Index(rng.below(std::uint64_t(classes - 1)));
    if (c >= label) ++c;
    r.random_classes.push_back(c);
    const Map2d other = postprocess_heatmaps<T>(ConstView<T>(attribute(x, c)), o.reduce)[0];
    r.scores.push_back(ssim_flipped(orig, other, o.percentile));
    if (o.progress) o.progress(i + 1, n);
  }
  r.summary = bootstrap_median(r.scores, o.resamples, o.confidence, o.seed ^ 0xb0075ULL);
  return r;
}

/// Random-logit test: true label vs a random other class, per image.
template <class Model, class Rule>
RandomLogitResult random_logit_test(const Model& model, const Rule& rule, ConstView<typename Model::Scalar> images,
                                    const std::vector<Index>& labels, const SanityOptions& o = {}) {
  using T = typename Model::Scalar;
  detail::check_sanity_inputs(images, labels, "random_logit_test");
  Explainer<Model, Rule> ex(model, rule);
  const Index classes = detail::output_classes(ex.explain(images.slice(0, 1), labels[0]).output, "random_logit_test");
  return random_logit_test_of<T>(rule_name(rule), classes,
                                 [&](ConstView<T> x, Index c) -> const Tensor<T>& { return ex.explain(x, c).attribution; },
                                 images, labels, o);
}

namespace detail {
/// A rule, or a factory `rule(const Network<T>&)` for rules built from a model's weights
/// (PatternAttribution's A (.) W): then a fresh rule for every randomised network.
template <class T, class RuleOrFactory>
decltype(auto) rule_for(const RuleOrFactory& r, const Network<T>& net) {
  if constexpr (std::is_invocable_v<const RuleOrFactory&, const Network<T>&>) return r(net);
  else return (r);
}
}  // namespace detail

/// Cascading parameter randomisation of any attribution: make(const Network<T>& net) returns a
/// callable attribute(x [1, ...], class) -> attribution of x on `net`; it is called once for the
/// original network and once per randomisation point (the callable may keep state, e.g. an
/// Explainer, and must not outlive the loop step it was made for). `name` labels the result.
template <class T, class Make>
RandomizationResult cascading_randomization_of(std::string name, const Network<T>& model, Make&& make,
                                               ConstView<T> images, const std::vector<Index>& labels,
                                               const std::vector<std::string>& points, const SanityOptions& o = {}) {
  detail::check_sanity_inputs(images, labels, "cascading_randomization");
  std::vector<Index> ids;
  for (const auto& p : points) {
    const Index id = model.find(p);
    if (!ids.empty() && id >= ids.back())
      raise<ArgumentError>("arg.811", "cascading_randomization: point '", p, "' (node ", id,
                           ") is not below the previous point '", model.node(ids.back()).name, "' (node ", ids.back(),
                           "); points go top -> bottom");
    ids.push_back(id);
  }
  const Index n = images.shape().batch();
  std::vector<Map2d> original;
  {
    auto attribute = make(model);
    for (Index i = 0; i < n; ++i)
      original.push_back(
          postprocess_heatmaps<T>(ConstView<T>(attribute(images.slice(i, 1), labels[std::size_t(i)])), o.reduce)[0]);
  }
  const Network<T> random = randomized_copy(model, o.seed);
  Network<T> cascade = model;
  RandomizationResult r;
  r.rule = std::move(name);
  Index above = model.size();
  const Index total = n * Index(ids.size());
  for (std::size_t k = 0; k < ids.size(); ++k) {
    for (Index i = ids[k]; i < above; ++i)
      cascade.visit(i, [&](auto& dst) {
        random.visit(i, [&](const auto& src) {
          if constexpr (std::is_same_v<std::decay_t<decltype(dst)>, std::decay_t<decltype(src)>>) dst = src;
        });
      });
    above = ids[k];
    RandomizationStep step;
    step.layer = points[k];
    step.node = ids[k];
    auto attribute = make(static_cast<const Network<T>&>(cascade));
    for (Index i = 0; i < n; ++i) {
      const Map2d h = postprocess_heatmaps<T>(ConstView<T>(attribute(images.slice(i, 1), labels[std::size_t(i)])),
                                              o.reduce)[0];
      step.scores.push_back(ssim_flipped(h, original[std::size_t(i)], o.percentile));
      if (o.progress) o.progress(Index(k) * n + i + 1, total);
    }
    step.summary = bootstrap_median(step.scores, o.resamples, o.confidence, o.seed ^ (0xb0075ULL + k));
    r.steps.push_back(std::move(step));
  }
  return r;
}

/// Cascading parameter randomisation over the points (node names, top -> bottom), cumulative.
/// `rule` is a rule, or a factory `rule(const Network<T>&) -> Rule` for rules that capture the
/// model's weights when built (PatternAttribution): it is called for the original and for every
/// randomised network, so the rule sees the weights it explains.
template <class T, class RuleOrFactory>
RandomizationResult cascading_randomization(const Network<T>& model, const RuleOrFactory& rule_or_factory,
                                            ConstView<T> images, const std::vector<Index>& labels,
                                            const std::vector<std::string>& points, const SanityOptions& o = {}) {
  using Rule = std::decay_t<decltype(detail::rule_for(rule_or_factory, model))>;
  std::string name;  // of the rule made for the original network (the first call)
  const auto make = [&](const Network<T>& net) {
    auto ex = std::make_shared<Explainer<Network<T>, Rule>>(net, detail::rule_for(rule_or_factory, net));
    if (name.empty()) name = rule_name(ex->rule());
    return [ex](ConstView<T> x, Index c) -> const Tensor<T>& { return ex->explain(x, c).attribution; };
  };
  RandomizationResult r = cascading_randomization_of<T>("", model, make, images, labels, points, o);
  r.rule = name;
  return r;
}

ATTRIB_END_NAMESPACE
