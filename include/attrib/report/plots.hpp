#pragma once
// The plots of "When Explanations Lie" (Sixt et al. 2020) as SVG (report/svg.hpp):
//   csc_svg            (a) median |cos| per layer from L down to the input, y in [-0.05, 1.05],
//                          with the random baseline; (b) 1 - median on an inverted log axis
//                          (convergence goes up), lower limit 1e-8, ticks "1 - 1e-k".
//   random_logit_svg   median flipped SSIM per rule with its bootstrap band (whiskers).
//   randomization_svg  cascading randomisation: median SSIM per randomisation point per rule,
//                          bootstrap bands.
//
// Errors: ArgumentError arg.853, ParameterError param.852 besides to_svg's own.
#include "attrib/core/config.hpp"
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "attrib/metrics/csc.hpp"
#include "attrib/metrics/sanity.hpp"
#include "attrib/report/svg.hpp"

ATTRIB_BEGIN_NAMESPACE

struct CscPlotOptions {
  std::string title;            ///< figure title (empty = none)
  bool baseline = true;         ///< draw the random-vector baseline
  double log_floor = 1e-8;      ///< lower limit of 1 - median in panel (b)
  double panel_width = 460, panel_height = 320;
};

namespace detail {
/// Category labels in order of first appearance over all lists.
inline std::vector<std::string> merged_categories(const std::vector<std::vector<std::string>>& lists) {
  std::vector<std::string> out;
  for (const auto& l : lists)
    for (const auto& n : l)
      if (std::find(out.begin(), out.end(), n) == out.end()) out.push_back(n);
  return out;
}
inline std::size_t category_index(const std::vector<std::string>& cats, const std::string& n) {
  return std::size_t(std::find(cats.begin(), cats.end(), n) - cats.begin());
}
}  // namespace detail

/// The paper's CSC figure: (a) median |cos| per layer (L -> input), (b) 1 - median, log scale,
/// inverted. Layers are matched by name across results, ordered from the top layer down.
inline std::string csc_svg(const std::vector<CscResult>& results, const CscPlotOptions& o = {}) {
  if (results.empty()) raise<ArgumentError>("arg.853", "csc_svg: no CSC results, expected at least one");
  if (!(o.log_floor > 0 && o.log_floor < 1))
    raise<ParameterError>("param.852", "csc_svg: log_floor = ", o.log_floor, ", expected (0, 1)");
  // order the layers by node index descending (the model input, node -1, last)
  std::vector<std::pair<Index, std::string>> nodes;
  for (const auto& r : results) {
    if (r.layers.empty()) raise<ArgumentError>("arg.853", "csc_svg: result '", r.rule, "' has no layers");
    for (const auto& l : r.layers)
      if (std::find(nodes.begin(), nodes.end(), std::make_pair(l.node, l.name)) == nodes.end())
        nodes.emplace_back(l.node, l.name);
  }
  std::stable_sort(nodes.begin(), nodes.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<std::string> cats;
  for (const auto& n : nodes) cats.push_back(n.second);
  const double nan = std::numeric_limits<double>::quiet_NaN();

  SvgPanel lin, lg;
  lin.title = "(a) median |cos|";
  lg.title = "(b) convergence: 1 - median (log)";
  lin.categories = lg.categories = cats;
  lin.x.label = lg.x.label = "layer (injection at the left)";
  lin.y.label = "median |cos| of the relevance vectors";
  lin.y.min = -0.05;
  lin.y.max = 1.05;
  lin.y.ticks = {0, 0.2, 0.4, 0.6, 0.8, 1.0};
  lg.y.label = "median |cos|";
  lg.y.scale = SvgScale::log;
  lg.y.min = o.log_floor;
  lg.y.max = 1;
  lg.y.inverted = true;  // 1 - median -> 0 (convergence) goes up
  for (int k = 0; std::pow(10.0, -k) >= o.log_floor * (1 - 1e-12); ++k) {
    lg.y.ticks.push_back(std::pow(10.0, -k));
    lg.y.tick_labels.push_back(k == 0 ? "0" : "1 - 1e-" + std::to_string(k));
  }
  SvgSeries base;
  base.name = "random baseline";
  base.colour = "#000000";
  base.dashed = true;
  base.y.assign(cats.size(), nan);
  for (const auto& r : results) {
    SvgSeries a, b;
    a.name = b.name = r.rule;
    a.y.assign(cats.size(), nan);
    b.y.assign(cats.size(), nan);
    for (const auto& l : r.layers) {
      const std::size_t k = detail::category_index(cats, l.name);
      a.y[k] = l.median;
      b.y[k] = std::isnan(l.median) ? nan : std::max(1 - l.median, o.log_floor);
      if (std::isnan(base.y[k])) base.y[k] = l.baseline;
    }
    lin.series.push_back(std::move(a));
    lg.series.push_back(std::move(b));
  }
  if (o.baseline) {
    SvgSeries b2 = base;
    for (double& v : b2.y) v = std::isnan(v) ? nan : std::max(1 - v, o.log_floor);
    lin.series.push_back(std::move(base));
    lg.series.push_back(std::move(b2));
  }
  SvgFigure fig;
  fig.title = o.title;
  fig.panel_width = o.panel_width;
  fig.panel_height = o.panel_height;
  fig.panels = {std::move(lin), std::move(lg)};
  return to_svg(fig);
}

struct SanityPlotOptions {
  std::string title;
  double panel_width = 560, panel_height = 320;
};

namespace detail {
inline std::string single_panel_svg(SvgPanel p, const SanityPlotOptions& o) {
  SvgFigure fig;
  fig.title = o.title;
  fig.panel_width = o.panel_width;
  fig.panel_height = o.panel_height;
  fig.panels = {std::move(p)};
  return to_svg(fig);
}
}  // namespace detail

/// Random-logit test: per rule the median flipped SSIM (true vs random class) with its band.
inline std::string random_logit_svg(const std::vector<RandomLogitResult>& results, const SanityPlotOptions& o = {}) {
  if (results.empty()) raise<ArgumentError>("arg.853", "random_logit_svg: no results, expected at least one");
  SvgPanel p;
  p.title = "random-logit test";
  p.y.label = "flipped SSIM (true vs random class)";
  p.y.min = -0.05;
  p.y.max = 1.05;
  p.y.ticks = {0, 0.2, 0.4, 0.6, 0.8, 1.0};
  for (std::size_t i = 0; i < results.size(); ++i) {
    const auto& r = results[i];
    p.categories.push_back(r.rule);
    SvgSeries s;
    s.name = r.rule;
    s.line = false;
    s.x = {double(i)};
    s.y = {r.summary.median};
    s.lo = {r.summary.lo};
    s.hi = {r.summary.hi};
    p.series.push_back(std::move(s));
  }
  return detail::single_panel_svg(std::move(p), o);
}

/// Cascading randomisation: per rule the median SSIM per randomisation point (top -> bottom,
/// matched by layer name) with its band.
inline std::string randomization_svg(const std::vector<RandomizationResult>& results,
                                     const SanityPlotOptions& o = {}) {
  if (results.empty()) raise<ArgumentError>("arg.853", "randomization_svg: no results, expected at least one");
  std::vector<std::vector<std::string>> lists;
  for (const auto& r : results) {
    if (r.steps.empty()) raise<ArgumentError>("arg.853", "randomization_svg: result '", r.rule, "' has no steps");
    lists.emplace_back();
    for (const auto& st : r.steps) lists.back().push_back(st.layer);
  }
  SvgPanel p;
  p.title = "cascading parameter randomisation";
  p.categories = detail::merged_categories(lists);
  p.x.label = "randomised from this layer up";
  p.y.label = "flipped SSIM to the original heatmap";
  p.y.min = 0;
  p.y.max = 1.05;
  p.y.ticks = {0, 0.2, 0.4, 0.6, 0.8, 1.0};
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (const auto& r : results) {
    SvgSeries s;
    s.name = r.rule;
    s.y.assign(p.categories.size(), nan);
    s.lo = s.hi = s.y;
    for (const auto& st : r.steps) {
      const std::size_t k = detail::category_index(p.categories, st.layer);
      s.y[k] = st.summary.median;
      s.lo[k] = st.summary.lo;
      s.hi[k] = st.summary.hi;
    }
    p.series.push_back(std::move(s));
  }
  return detail::single_panel_svg(std::move(p), o);
}

ATTRIB_END_NAMESPACE
