#pragma once
// A small dependency-free SVG line-plot writer (panels side by side, axes with ticks, linear or
// log scale, optionally inverted, one colour per series, optional band, legend) and the plots of
// "When Explanations Lie" on top of it:
//   csc_svg            (a) median |cos| per layer from L down to the input, y in [-0.05, 1.05],
//                          with the random baseline; (b) 1 - median on an inverted log axis
//                          (convergence goes up), lower limit 1e-8, ticks "1 - 1e-k".
//   random_logit_svg   median flipped SSIM per rule with its bootstrap band (whiskers).
//   randomization_svg  cascading randomisation: median SSIM per randomisation point per rule,
//                          bootstrap bands.
// Values outside an axis' range (and values <= 0 on a log axis) are drawn at the axis' edge;
// NaN values are left out (the line is broken there). Every series polyline carries
// data-series="<name>" and every panel's plot area is a <rect class="plot-area">, so plots can
// be checked by tools.
//
// Errors: ArgumentError arg.850-853, ShapeError shape.850-852, ParameterError param.850-852.
#include "attrib/core/config.hpp"
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "attrib/core/error.hpp"
#include "attrib/metrics/csc.hpp"
#include "attrib/metrics/sanity.hpp"

ATTRIB_BEGIN_NAMESPACE

enum class SvgScale { linear, log };

struct SvgAxis {
  std::string label;
  SvgScale scale = SvgScale::linear;
  double min = std::numeric_limits<double>::quiet_NaN();  ///< NaN = from the data
  double max = std::numeric_limits<double>::quiet_NaN();
  bool inverted = false;                 ///< larger values down (y) or left (x)
  std::vector<double> ticks;             ///< empty = automatic
  std::vector<std::string> tick_labels;  ///< one per tick, or empty = the formatted values
};

struct SvgSeries {
  std::string name;
  std::vector<double> y;
  std::vector<double> x;       ///< empty = 0, 1, 2, ... (the category positions)
  std::vector<double> lo, hi;  ///< optional band, one value per point
  std::string colour;          ///< empty = the palette's next colour
  bool dashed = false;
  bool line = true;            ///< false: markers with whiskers (lo, hi) instead of a line and a band
};

struct SvgPanel {
  std::string title;
  SvgAxis x, y;
  std::vector<std::string> categories;  ///< x tick labels at 0, 1, ... (rotated); empty = numeric x
  std::vector<SvgSeries> series;
};

struct SvgFigure {
  std::string title;
  std::vector<SvgPanel> panels;  ///< drawn side by side
  double panel_width = 460, panel_height = 320;
  bool legend = true;
};

namespace detail::svg {
inline const char* palette(std::size_t i) {
  static const char* colours[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
                                  "#7f7f7f", "#bcbd22", "#17becf", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896",
                                  "#c5b0d5", "#c49c94", "#f7b6d2", "#dbdb8d", "#9edae5", "#393b79"};
  return colours[i % (sizeof colours / sizeof *colours)];
}
inline std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '&') out += "&amp;";
    else if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else if (c == '"') out += "&quot;";
    else out += c;
  }
  return out;
}
inline std::string fmt(double v, const char* f = "%.2f") {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

/// Axis range and value -> pixel mapping (pixel a at min, b at max; inverted swaps them).
struct Mapping {
  double lo = 0, hi = 1, a = 0, b = 1;
  bool log = false;
  double t(double v) const { return log ? std::log10(v) : v; }
  double operator()(double v) const {
    if (log && !(v > 0)) v = lo;
    v = std::clamp(v, lo, hi);
    return a + (b - a) * (t(v) - t(lo)) / (t(hi) - t(lo));
  }
};

inline void data_range(const SvgPanel& p, bool along_x, bool log, double& lo, double& hi) {
  lo = std::numeric_limits<double>::infinity();
  hi = -lo;
  const auto take = [&](double v) {
    if (std::isfinite(v) && (!log || v > 0)) lo = std::min(lo, v), hi = std::max(hi, v);
  };
  for (const auto& s : p.series) {
    if (along_x) {
      if (s.x.empty()) take(0), take(double(s.y.size()) - 1);
      for (double v : s.x) take(v);
    } else {
      for (const auto* vs : {&s.y, &s.lo, &s.hi})
        for (double v : *vs) take(v);
    }
  }
  if (along_x && !p.categories.empty()) take(-0.5), take(double(p.categories.size()) - 0.5);
  if (!(lo <= hi)) lo = log ? 0.1 : 0, hi = log ? 1 : 1;
  if (lo == hi) {
    if (log) lo /= 10, hi *= 10;
    else lo -= 0.5, hi += 0.5;
  } else if (!log && !(along_x && !p.categories.empty())) {
    const double pad = 0.05 * (hi - lo);
    lo -= pad, hi += pad;
  }
  if (log) lo = std::pow(10, std::floor(std::log10(lo))), hi = std::pow(10, std::ceil(std::log10(hi)));
}

inline std::vector<double> auto_ticks(double lo, double hi, bool log) {
  std::vector<double> t;
  if (log) {
    const int a = int(std::floor(std::log10(lo) + 1e-9)), b = int(std::ceil(std::log10(hi) - 1e-9));
    const int step = std::max(1, (b - a) / 8);
    for (int k = a; k <= b; k += step) t.push_back(std::pow(10.0, k));
    return t;
  }
  const double raw = (hi - lo) / 5, mag = std::pow(10, std::floor(std::log10(raw)));
  const double step = raw / mag < 1.5 ? mag : raw / mag < 3.5 ? 2 * mag : raw / mag < 7.5 ? 5 * mag : 10 * mag;
  for (double v = std::ceil(lo / step - 1e-9) * step; v <= hi + 1e-9 * step; v += step)
    t.push_back(std::abs(v) < 1e-12 * step ? 0.0 : v);
  return t;
}

inline void check_axis(const SvgAxis& a, const char* which, std::size_t panel) {
  const bool given_lo = !std::isnan(a.min), given_hi = !std::isnan(a.max);
  if ((given_lo && !std::isfinite(a.min)) || (given_hi && !std::isfinite(a.max)) ||
      (given_lo && given_hi && !(a.min < a.max)))
    raise<ParameterError>("param.850", "to_svg: panel ", panel, " ", which, " axis range [", a.min, ", ", a.max,
                          "], expected finite min < max (or NaN for automatic)");
  if (a.scale == SvgScale::log && ((given_lo && !(a.min > 0)) || (given_hi && !(a.max > 0))))
    raise<ParameterError>("param.851", "to_svg: panel ", panel, " log ", which, " axis range [", a.min, ", ", a.max,
                          "], expected positive limits");
  if (!a.tick_labels.empty() && a.tick_labels.size() != a.ticks.size())
    raise<ShapeError>("shape.850", "to_svg: panel ", panel, " ", which, " axis has ", a.ticks.size(), " ticks and ",
                      a.tick_labels.size(), " tick labels, expected as many labels as ticks");
}

inline void check_panel(const SvgPanel& p, std::size_t i) {
  check_axis(p.x, "x", i);
  check_axis(p.y, "y", i);
  if (!p.categories.empty() && p.x.scale == SvgScale::log)
    raise<ParameterError>("param.852", "to_svg: panel ", i, " has categories on a log x axis, expected linear");
  if (p.series.empty()) raise<ArgumentError>("arg.851", "to_svg: panel ", i, " ('", p.title, "') has no series");
  for (const auto& s : p.series) {
    const std::size_t n = s.y.size();
    if (n == 0) raise<ArgumentError>("arg.852", "to_svg: panel ", i, " series '", s.name, "' has no values");
    if ((!s.x.empty() && s.x.size() != n) || (!s.lo.empty() && s.lo.size() != n) || s.lo.size() != s.hi.size())
      raise<ShapeError>("shape.851", "to_svg: panel ", i, " series '", s.name, "': ", n, " y values, ", s.x.size(),
                        " x, ", s.lo.size(), " lo and ", s.hi.size(), " hi values; expected x empty or ", n,
                        ", lo and hi both empty or ", n);
    if (!p.categories.empty() && s.x.empty() && n > p.categories.size())
      raise<ShapeError>("shape.852", "to_svg: panel ", i, " series '", s.name, "' has ", n, " values for ",
                        p.categories.size(), " categories, expected at most one per category");
  }
}
}  // namespace detail::svg

/// The figure as a standalone SVG document.
inline std::string to_svg(const SvgFigure& fig) {
  namespace d = detail::svg;
  using d::fmt;
  if (fig.panels.empty()) raise<ArgumentError>("arg.850", "to_svg: figure '", fig.title, "' has no panels");
  if (!(fig.panel_width >= 100 && fig.panel_height >= 100 && fig.panel_width <= 1e4 && fig.panel_height <= 1e4))
    raise<ParameterError>("param.850", "to_svg: panel size ", fig.panel_width, " x ", fig.panel_height,
                          ", expected [100, 10000] x [100, 10000]");
  for (std::size_t i = 0; i < fig.panels.size(); ++i) d::check_panel(fig.panels[i], i);

  // Layout: title on top, panels side by side, legend on the right.
  std::size_t longest_category = 0, longest_name = 0;
  std::vector<std::string> names;  // legend entries in order of first appearance
  std::vector<const SvgSeries*> firsts;
  for (const auto& p : fig.panels) {
    for (const auto& c : p.categories) longest_category = std::max(longest_category, c.size());
    for (const auto& s : p.series)
      if (std::find(names.begin(), names.end(), s.name) == names.end()) {
        names.push_back(s.name);
        firsts.push_back(&s);
        longest_name = std::max(longest_name, s.name.size());
      }
  }
  const double ml = 70, mr = 20, mt = fig.title.empty() ? 34 : 56;
  const double mb = 50 + std::min(200.0, 4.6 * double(longest_category));
  const double pw = fig.panel_width, ph = fig.panel_height;
  const double legend_w = fig.legend ? 50 + 7.0 * double(std::min<std::size_t>(longest_name, 60)) : 0;
  const double width = double(fig.panels.size()) * (ml + pw + mr) + legend_w;
  const double height = std::max(mt + ph + mb, mt + 18.0 * double(names.size()) + 20);

  std::string s = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" +
                  fmt(width, "%.0f") + "\" height=\"" + fmt(height, "%.0f") + "\" viewBox=\"0 0 " +
                  fmt(width, "%.0f") + " " + fmt(height, "%.0f") +
                  "\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"11\">\n";
  s += "<rect x=\"0\" y=\"0\" width=\"" + fmt(width, "%.0f") + "\" height=\"" + fmt(height, "%.0f") +
       "\" fill=\"white\"/>\n";
  if (!fig.title.empty())
    s += "<text x=\"" + fmt(width / 2) + "\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">" + d::escape(fig.title) +
         "</text>\n";

  const auto colour_of = [&](const SvgSeries& ser) {
    if (!ser.colour.empty()) return ser.colour;
    const auto k = std::size_t(std::find(names.begin(), names.end(), ser.name) - names.begin());
    return std::string(d::palette(k));
  };
  for (std::size_t pi = 0; pi < fig.panels.size(); ++pi) {
    const SvgPanel& p = fig.panels[pi];
    const double x0 = double(pi) * (ml + pw + mr) + ml, y0 = mt;
    d::Mapping mx, my;
    mx.log = p.x.scale == SvgScale::log;
    my.log = p.y.scale == SvgScale::log;
    d::data_range(p, true, mx.log, mx.lo, mx.hi);
    d::data_range(p, false, my.log, my.lo, my.hi);
    if (!std::isnan(p.x.min)) mx.lo = p.x.min;
    if (!std::isnan(p.x.max)) mx.hi = p.x.max;
    if (!std::isnan(p.y.min)) my.lo = p.y.min;
    if (!std::isnan(p.y.max)) my.hi = p.y.max;
    if (!(mx.lo < mx.hi) || !(my.lo < my.hi))
      raise<ParameterError>("param.850", "to_svg: panel ", pi, " axis range x [", mx.lo, ", ", mx.hi, "], y [", my.lo,
                            ", ", my.hi, "] after merging with the data, expected min < max");
    mx.a = p.x.inverted ? x0 + pw : x0;
    mx.b = p.x.inverted ? x0 : x0 + pw;
    my.a = p.y.inverted ? y0 : y0 + ph;
    my.b = p.y.inverted ? y0 + ph : y0;

    s += "<g class=\"panel\">\n<rect class=\"plot-area\" x=\"" + fmt(x0) + "\" y=\"" + fmt(y0) + "\" width=\"" +
         fmt(pw) + "\" height=\"" + fmt(ph) + "\" fill=\"none\" stroke=\"black\"/>\n";
    if (!p.title.empty())
      s += "<text x=\"" + fmt(x0 + pw / 2) + "\" y=\"" + fmt(y0 - 8) + "\" text-anchor=\"middle\" font-size=\"13\">" +
           d::escape(p.title) + "</text>\n";
    // y ticks and grid
    const auto yt = p.y.ticks.empty() ? d::auto_ticks(my.lo, my.hi, my.log) : p.y.ticks;
    for (std::size_t k = 0; k < yt.size(); ++k) {
      if (!std::isfinite(yt[k]) || yt[k] < my.lo || yt[k] > my.hi) continue;
      const double py = my(yt[k]);
      const std::string label = p.y.tick_labels.empty() ? fmt(yt[k], "%g") : p.y.tick_labels[k];
      s += "<line x1=\"" + fmt(x0) + "\" y1=\"" + fmt(py) + "\" x2=\"" + fmt(x0 + pw) + "\" y2=\"" + fmt(py) +
           "\" stroke=\"#dddddd\"/><line x1=\"" + fmt(x0 - 4) + "\" y1=\"" + fmt(py) + "\" x2=\"" + fmt(x0) +
           "\" y2=\"" + fmt(py) + "\" stroke=\"black\"/><text x=\"" + fmt(x0 - 6) + "\" y=\"" + fmt(py + 4) +
           "\" text-anchor=\"end\">" + d::escape(label) + "</text>\n";
    }
    // x ticks: categories (rotated) or numbers
    const double base = y0 + ph;
    if (!p.categories.empty()) {
      for (std::size_t k = 0; k < p.categories.size(); ++k) {
        const double px = mx(double(k));
        s += "<line x1=\"" + fmt(px) + "\" y1=\"" + fmt(base) + "\" x2=\"" + fmt(px) + "\" y2=\"" + fmt(base + 4) +
             "\" stroke=\"black\"/><text transform=\"translate(" + fmt(px + 3) + "," + fmt(base + 10) +
             ") rotate(-60)\" text-anchor=\"end\">" + d::escape(p.categories[k]) + "</text>\n";
      }
    } else {
      const auto xt = p.x.ticks.empty() ? d::auto_ticks(mx.lo, mx.hi, mx.log) : p.x.ticks;
      for (std::size_t k = 0; k < xt.size(); ++k) {
        if (!std::isfinite(xt[k]) || xt[k] < mx.lo || xt[k] > mx.hi) continue;
        const double px = mx(xt[k]);
        const std::string label = p.x.tick_labels.empty() ? fmt(xt[k], "%g") : p.x.tick_labels[k];
        s += "<line x1=\"" + fmt(px) + "\" y1=\"" + fmt(base) + "\" x2=\"" + fmt(px) + "\" y2=\"" + fmt(base + 4) +
             "\" stroke=\"black\"/><text x=\"" + fmt(px) + "\" y=\"" + fmt(base + 16) + "\" text-anchor=\"middle\">" +
             d::escape(label) + "</text>\n";
      }
    }
    if (!p.x.label.empty())
      s += "<text x=\"" + fmt(x0 + pw / 2) + "\" y=\"" + fmt(y0 + ph + mb - 8) + "\" text-anchor=\"middle\">" +
           d::escape(p.x.label) + "</text>\n";
    if (!p.y.label.empty())
      s += "<text transform=\"translate(" + fmt(x0 - ml + 14) + "," + fmt(y0 + ph / 2) +
           ") rotate(-90)\" text-anchor=\"middle\">" + d::escape(p.y.label) + "</text>\n";

    // series: bands first, then lines and markers
    for (const auto& ser : p.series) {
      const std::string col = colour_of(ser), name = d::escape(ser.name);
      const auto xs = [&](std::size_t i) { return ser.x.empty() ? double(i) : ser.x[i]; };
      const auto ok = [&](std::size_t i) { return std::isfinite(xs(i)) && !std::isnan(ser.y[i]); };
      if (!ser.lo.empty()) {
        if (ser.line) {
          // one polygon per run of points with a finite band
          for (std::size_t i = 0; i < ser.y.size();) {
            std::size_t j = i;
            while (j < ser.y.size() && std::isfinite(xs(j)) && !std::isnan(ser.lo[j]) && !std::isnan(ser.hi[j])) ++j;
            if (j > i) {
              std::string pts;
              for (std::size_t k = i; k < j; ++k) pts += fmt(mx(xs(k))) + "," + fmt(my(ser.hi[k])) + " ";
              for (std::size_t k = j; k-- > i;) pts += fmt(mx(xs(k))) + "," + fmt(my(ser.lo[k])) + " ";
              s += "<polygon class=\"band\" data-series=\"" + name + "\" points=\"" + pts + "\" fill=\"" + col +
                   "\" fill-opacity=\"0.18\" stroke=\"none\"/>\n";
            }
            i = std::max(j, i + 1);
          }
        } else {
          for (std::size_t i = 0; i < ser.y.size(); ++i) {
            if (!std::isfinite(xs(i)) || std::isnan(ser.lo[i]) || std::isnan(ser.hi[i])) continue;
            const double px = mx(xs(i));
            s += "<path class=\"whisker\" data-series=\"" + name + "\" d=\"M" + fmt(px) + "," + fmt(my(ser.lo[i])) +
                 " V" + fmt(my(ser.hi[i])) + " M" + fmt(px - 5) + "," + fmt(my(ser.lo[i])) + " h10 M" + fmt(px - 5) +
                 "," + fmt(my(ser.hi[i])) + " h10\" stroke=\"" + col + "\" stroke-width=\"1.5\" fill=\"none\"/>\n";
          }
        }
      }
      if (ser.line) {
        for (std::size_t i = 0; i < ser.y.size();) {
          std::size_t j = i;
          while (j < ser.y.size() && ok(j)) ++j;
          if (j > i) {
            std::string pts;
            for (std::size_t k = i; k < j; ++k) pts += fmt(mx(xs(k))) + "," + fmt(my(ser.y[k])) + " ";
            s += "<polyline data-series=\"" + name + "\" points=\"" + pts + "\" fill=\"none\" stroke=\"" + col +
                 "\" stroke-width=\"1.6\"" + (ser.dashed ? " stroke-dasharray=\"5,3\"" : "") + "/>\n";
          }
          i = std::max(j, i + 1);
        }
      }
      for (std::size_t i = 0; i < ser.y.size(); ++i)
        if (ok(i))
          s += "<circle data-series=\"" + name + "\" cx=\"" + fmt(mx(xs(i))) + "\" cy=\"" + fmt(my(ser.y[i])) +
               "\" r=\"" + (ser.line ? "2.2" : "3.5") + "\" fill=\"" + col + "\"/>\n";
    }
    s += "</g>\n";
  }
  if (fig.legend) {
    const double lx = double(fig.panels.size()) * (ml + pw + mr) + 8;
    s += "<g class=\"legend\">\n";
    for (std::size_t k = 0; k < names.size(); ++k) {
      const double ly = mt + 8 + 18.0 * double(k);
      s += "<line x1=\"" + fmt(lx) + "\" y1=\"" + fmt(ly) + "\" x2=\"" + fmt(lx + 22) + "\" y2=\"" + fmt(ly) +
           "\" stroke=\"" + colour_of(*firsts[k]) + "\" stroke-width=\"2.5\"" +
           (firsts[k]->dashed ? " stroke-dasharray=\"5,3\"" : "") + "/><text x=\"" + fmt(lx + 28) + "\" y=\"" +
           fmt(ly + 4) + "\">" + d::escape(names[k]) + "</text>\n";
    }
    s += "</g>\n";
  }
  return s + "</svg>\n";
}

// --- the paper's plots ---

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
