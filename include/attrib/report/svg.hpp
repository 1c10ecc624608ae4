#pragma once
// A small dependency-free SVG line-plot writer: panels side by side, axes with ticks, linear or
// log scale, optionally inverted, one colour per series, optional band or whiskers, legend.
// Values outside an axis' range (and values <= 0 on a log axis) are drawn at the axis' edge;
// NaN values are left out (the line is broken there). Every series polyline carries
// data-series="<name>" and every panel's plot area is a <rect class="plot-area">, so plots can
// be checked by tools. The plots of "When Explanations Lie" on top of it: report/plots.hpp.
//
// Errors: ArgumentError arg.850-852, ShapeError shape.850-852, ParameterError param.850-852.
#include "attrib/core/config.hpp"
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "attrib/core/error.hpp"

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

/// Where things go: title on top, panels side by side, legend on the right.
struct Layout {
  double ml = 70, mr = 20, mt = 0, mb = 0, pw = 0, ph = 0, width = 0, height = 0;
  std::vector<std::string> names;        // legend entries in order of first appearance
  std::vector<const SvgSeries*> firsts;  // the first series of each name
  /// Left edge of panel i's plot area.
  double x0(std::size_t i) const { return double(i) * (ml + pw + mr) + ml; }
  /// The series' own colour, or the palette's colour of its name.
  std::string colour_of(const SvgSeries& ser) const {
    if (!ser.colour.empty()) return ser.colour;
    return palette(std::size_t(std::find(names.begin(), names.end(), ser.name) - names.begin()));
  }
};

inline void check_figure(const SvgFigure& fig) {
  if (fig.panels.empty()) raise<ArgumentError>("arg.850", "to_svg: figure '", fig.title, "' has no panels");
  if (!(fig.panel_width >= 100 && fig.panel_height >= 100 && fig.panel_width <= 1e4 && fig.panel_height <= 1e4))
    raise<ParameterError>("param.850", "to_svg: panel size ", fig.panel_width, " x ", fig.panel_height,
                          ", expected [100, 10000] x [100, 10000]");
  for (std::size_t i = 0; i < fig.panels.size(); ++i) check_panel(fig.panels[i], i);
}

inline Layout layout(const SvgFigure& fig) {
  Layout L;
  std::size_t longest_category = 0, longest_name = 0;
  for (const auto& p : fig.panels) {
    for (const auto& c : p.categories) longest_category = std::max(longest_category, c.size());
    for (const auto& s : p.series)
      if (std::find(L.names.begin(), L.names.end(), s.name) == L.names.end()) {
        L.names.push_back(s.name);
        L.firsts.push_back(&s);
        longest_name = std::max(longest_name, s.name.size());
      }
  }
  L.mt = fig.title.empty() ? 34 : 56;
  L.mb = 50 + std::min(200.0, 4.6 * double(longest_category));
  L.pw = fig.panel_width;
  L.ph = fig.panel_height;
  const double legend_w = fig.legend ? 50 + 7.0 * double(std::min<std::size_t>(longest_name, 60)) : 0;
  L.width = double(fig.panels.size()) * (L.ml + L.pw + L.mr) + legend_w;
  L.height = std::max(L.mt + L.ph + L.mb, L.mt + 18.0 * double(L.names.size()) + 20);
  return L;
}

inline std::string header(const SvgFigure& fig, const Layout& L) {
  const std::string w = fmt(L.width, "%.0f"), h = fmt(L.height, "%.0f");
  std::string s = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + w +
                  "\" height=\"" + h + "\" viewBox=\"0 0 " + w + " " + h +
                  "\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"11\">\n";
  s += "<rect x=\"0\" y=\"0\" width=\"" + w + "\" height=\"" + h + "\" fill=\"white\"/>\n";
  if (!fig.title.empty())
    s += "<text x=\"" + fmt(L.width / 2) + "\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">" + escape(fig.title) +
         "</text>\n";
  return s;
}

/// The value -> pixel mapping of one axis of panel p: the data's range unless the axis gives
/// one, pixel a at min and b at max (swapped when inverted).
inline Mapping axis_mapping(const SvgPanel& p, bool along_x, double a, double b) {
  const SvgAxis& ax = along_x ? p.x : p.y;
  Mapping m;
  m.log = ax.scale == SvgScale::log;
  data_range(p, along_x, m.log, m.lo, m.hi);
  if (!std::isnan(ax.min)) m.lo = ax.min;
  if (!std::isnan(ax.max)) m.hi = ax.max;
  m.a = ax.inverted ? b : a;
  m.b = ax.inverted ? a : b;
  return m;
}

/// The ticks of an axis inside [m.lo, m.hi] with their labels: given or automatic.
template <class F>
void for_each_tick(const SvgAxis& ax, const Mapping& m, F&& f) {
  const auto t = ax.ticks.empty() ? auto_ticks(m.lo, m.hi, m.log) : ax.ticks;
  for (std::size_t k = 0; k < t.size(); ++k) {
    if (!std::isfinite(t[k]) || t[k] < m.lo || t[k] > m.hi) continue;
    f(m(t[k]), ax.tick_labels.empty() ? fmt(t[k], "%g") : ax.tick_labels[k]);
  }
}

inline std::string y_ticks(const SvgPanel& p, const Mapping& my, double x0, double pw) {
  std::string s;
  for_each_tick(p.y, my, [&](double py, const std::string& label) {
    s += "<line x1=\"" + fmt(x0) + "\" y1=\"" + fmt(py) + "\" x2=\"" + fmt(x0 + pw) + "\" y2=\"" + fmt(py) +
         "\" stroke=\"#dddddd\"/><line x1=\"" + fmt(x0 - 4) + "\" y1=\"" + fmt(py) + "\" x2=\"" + fmt(x0) +
         "\" y2=\"" + fmt(py) + "\" stroke=\"black\"/><text x=\"" + fmt(x0 - 6) + "\" y=\"" + fmt(py + 4) +
         "\" text-anchor=\"end\">" + escape(label) + "</text>\n";
  });
  return s;
}

/// x ticks: categories (rotated labels) or numbers, below the plot area's bottom `base`.
inline std::string x_ticks(const SvgPanel& p, const Mapping& mx, double base) {
  std::string s;
  const auto tick = [&](double px) {
    return "<line x1=\"" + fmt(px) + "\" y1=\"" + fmt(base) + "\" x2=\"" + fmt(px) + "\" y2=\"" + fmt(base + 4) +
           "\" stroke=\"black\"/>";
  };
  if (!p.categories.empty()) {
    for (std::size_t k = 0; k < p.categories.size(); ++k) {
      const double px = mx(double(k));
      s += tick(px) + "<text transform=\"translate(" + fmt(px + 3) + "," + fmt(base + 10) +
           ") rotate(-60)\" text-anchor=\"end\">" + escape(p.categories[k]) + "</text>\n";
    }
    return s;
  }
  for_each_tick(p.x, mx, [&](double px, const std::string& label) {
    s += tick(px) + "<text x=\"" + fmt(px) + "\" y=\"" + fmt(base + 16) + "\" text-anchor=\"middle\">" +
         escape(label) + "</text>\n";
  });
  return s;
}

inline std::string axis_labels(const SvgPanel& p, const Layout& L, double x0) {
  std::string s;
  if (!p.x.label.empty())
    s += "<text x=\"" + fmt(x0 + L.pw / 2) + "\" y=\"" + fmt(L.mt + L.ph + L.mb - 8) + "\" text-anchor=\"middle\">" +
         escape(p.x.label) + "</text>\n";
  if (!p.y.label.empty())
    s += "<text transform=\"translate(" + fmt(x0 - L.ml + 14) + "," + fmt(L.mt + L.ph / 2) +
         ") rotate(-90)\" text-anchor=\"middle\">" + escape(p.y.label) + "</text>\n";
  return s;
}

/// Calls f(i, j) for every maximal run [i, j) of indices below n where ok holds.
template <class Ok, class F>
void for_each_run(std::size_t n, Ok&& ok, F&& f) {
  for (std::size_t i = 0; i < n;) {
    std::size_t j = i;
    while (j < n && ok(j)) ++j;
    if (j > i) f(i, j);
    i = std::max(j, i + 1);
  }
}

/// One series drawn on a panel's mappings; x(i) = the given x or the category position i.
struct SeriesPen {
  const SvgSeries& ser;
  const Mapping &mx, &my;
  std::string col, name;
  double x(std::size_t i) const { return ser.x.empty() ? double(i) : ser.x[i]; }
  bool has_point(std::size_t i) const { return std::isfinite(x(i)) && !std::isnan(ser.y[i]); }
  bool has_band(std::size_t i) const { return std::isfinite(x(i)) && !std::isnan(ser.lo[i]) && !std::isnan(ser.hi[i]); }
  std::string point(std::size_t i, double y) const { return fmt(mx(x(i))) + "," + fmt(my(y)) + " "; }

  /// One polygon per run of points with a finite band.
  std::string bands() const {
    std::string s;
    for_each_run(ser.y.size(), [&](std::size_t i) { return has_band(i); }, [&](std::size_t i, std::size_t j) {
      std::string pts;
      for (std::size_t k = i; k < j; ++k) pts += point(k, ser.hi[k]);
      for (std::size_t k = j; k-- > i;) pts += point(k, ser.lo[k]);
      s += "<polygon class=\"band\" data-series=\"" + name + "\" points=\"" + pts + "\" fill=\"" + col +
           "\" fill-opacity=\"0.18\" stroke=\"none\"/>\n";
    });
    return s;
  }
  std::string whiskers() const {
    std::string s;
    for (std::size_t i = 0; i < ser.y.size(); ++i) {
      if (!has_band(i)) continue;
      const double px = mx(x(i)), lo = my(ser.lo[i]), hi = my(ser.hi[i]);
      s += "<path class=\"whisker\" data-series=\"" + name + "\" d=\"M" + fmt(px) + "," + fmt(lo) + " V" + fmt(hi) +
           " M" + fmt(px - 5) + "," + fmt(lo) + " h10 M" + fmt(px - 5) + "," + fmt(hi) + " h10\" stroke=\"" + col +
           "\" stroke-width=\"1.5\" fill=\"none\"/>\n";
    }
    return s;
  }
  /// One polyline per run of drawable points (NaN breaks the line).
  std::string lines() const {
    std::string s;
    for_each_run(ser.y.size(), [&](std::size_t i) { return has_point(i); }, [&](std::size_t i, std::size_t j) {
      std::string pts;
      for (std::size_t k = i; k < j; ++k) pts += point(k, ser.y[k]);
      s += "<polyline data-series=\"" + name + "\" points=\"" + pts + "\" fill=\"none\" stroke=\"" + col +
           "\" stroke-width=\"1.6\"" + (ser.dashed ? " stroke-dasharray=\"5,3\"" : "") + "/>\n";
    });
    return s;
  }
  std::string markers() const {
    std::string s;
    for (std::size_t i = 0; i < ser.y.size(); ++i)
      if (has_point(i))
        s += "<circle data-series=\"" + name + "\" cx=\"" + fmt(mx(x(i))) + "\" cy=\"" + fmt(my(ser.y[i])) +
             "\" r=\"" + (ser.line ? "2.2" : "3.5") + "\" fill=\"" + col + "\"/>\n";
    return s;
  }
  /// Band (line) or whiskers (markers only) first, then the line, then the markers.
  std::string draw() const {
    std::string s;
    if (!ser.lo.empty()) s += ser.line ? bands() : whiskers();
    if (ser.line) s += lines();
    return s + markers();
  }
};

inline std::string panel(const SvgPanel& p, std::size_t pi, const Layout& L) {
  const double x0 = L.x0(pi), y0 = L.mt;
  const Mapping mx = axis_mapping(p, true, x0, x0 + L.pw), my = axis_mapping(p, false, y0 + L.ph, y0);
  if (!(mx.lo < mx.hi) || !(my.lo < my.hi))
    raise<ParameterError>("param.850", "to_svg: panel ", pi, " axis range x [", mx.lo, ", ", mx.hi, "], y [", my.lo,
                          ", ", my.hi, "] after merging with the data, expected min < max");
  std::string s = "<g class=\"panel\">\n<rect class=\"plot-area\" x=\"" + fmt(x0) + "\" y=\"" + fmt(y0) +
                  "\" width=\"" + fmt(L.pw) + "\" height=\"" + fmt(L.ph) + "\" fill=\"none\" stroke=\"black\"/>\n";
  if (!p.title.empty())
    s += "<text x=\"" + fmt(x0 + L.pw / 2) + "\" y=\"" + fmt(y0 - 8) + "\" text-anchor=\"middle\" font-size=\"13\">" +
         escape(p.title) + "</text>\n";
  s += y_ticks(p, my, x0, L.pw) + x_ticks(p, mx, y0 + L.ph) + axis_labels(p, L, x0);
  for (const auto& ser : p.series) s += SeriesPen{ser, mx, my, L.colour_of(ser), escape(ser.name)}.draw();
  return s + "</g>\n";
}

inline std::string legend(const SvgFigure& fig, const Layout& L) {
  const double lx = double(fig.panels.size()) * (L.ml + L.pw + L.mr) + 8;
  std::string s = "<g class=\"legend\">\n";
  for (std::size_t k = 0; k < L.names.size(); ++k) {
    const double ly = L.mt + 8 + 18.0 * double(k);
    s += "<line x1=\"" + fmt(lx) + "\" y1=\"" + fmt(ly) + "\" x2=\"" + fmt(lx + 22) + "\" y2=\"" + fmt(ly) +
         "\" stroke=\"" + L.colour_of(*L.firsts[k]) + "\" stroke-width=\"2.5\"" +
         (L.firsts[k]->dashed ? " stroke-dasharray=\"5,3\"" : "") + "/><text x=\"" + fmt(lx + 28) + "\" y=\"" +
         fmt(ly + 4) + "\">" + escape(L.names[k]) + "</text>\n";
  }
  return s + "</g>\n";
}
}  // namespace detail::svg

/// The figure as a standalone SVG document.
inline std::string to_svg(const SvgFigure& fig) {
  namespace d = detail::svg;
  d::check_figure(fig);
  const d::Layout L = d::layout(fig);
  std::string s = d::header(fig, L);
  for (std::size_t i = 0; i < fig.panels.size(); ++i) s += d::panel(fig.panels[i], i, L);
  if (fig.legend) s += d::legend(fig, L);
  return s + "</svg>\n";
}

ATTRIB_END_NAMESPACE
