// attrib report: a trust report for each chosen rule / method on the inputs — heatmaps, CSC,
// the random-logit test and cascading randomisation (flipped SSIM with bootstrap bands), region
// perturbation (deletion / insertion AUC against a random order), the completeness gap, and a
// verdict per rule with the numbers behind it. Writes index.html + PNG/SVG + report.json.
#include <attrib/metrics/faithfulness.hpp>
#include <attrib/report/plots.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>

#include "output.hpp"
#include "pictures.hpp"
#include "progress.hpp"
#include "report_data.hpp"

namespace attrib::cli {

namespace {

/// Parameterised nodes (Dense, Conv) top -> bottom, at most `most` of them evenly spaced
/// (always the top and the bottom one).
std::vector<std::string> randomisation_points(const Network<T>& net, std::size_t most) {
  std::vector<std::string> all;
  for (Index i = net.size() - 1; i >= 0; --i) {
    bool weighted = false;
    net.visit(i, [&](const auto& layer) { weighted = std::decay_t<decltype(layer)>::role == Role::weighted_linear; });
    if (weighted) all.push_back(net.node(i).name);
  }
  if (all.size() <= most) return all;
  std::vector<std::string> out;
  for (std::size_t k = 0; k < most; ++k) out.push_back(all[k * (all.size() - 1) / (most - 1)]);
  return out;
}

std::string num(double v, const char* f = "%.2f") {
  char b[48];
  std::snprintf(b, sizeof b, f, v);
  return b;
}

/// The verdict: thresholds as docs/cli.md states them.
Verdict judge(const MethodReport& m) {
  Verdict v;
  std::string line;
  const double rl = m.random_logit.summary.median;
  line += "random-logit SSIM " + num(rl) + " [" + num(m.random_logit.summary.lo) + ", " + num(m.random_logit.summary.hi) + "]";
  if (rl >= 0.8) v.reasons.push_back("the heatmap barely depends on the class (random-logit SSIM " + num(rl) + " >= 0.8)");
  if (!m.randomization.steps.empty()) {
    const double top = m.randomization.steps.front().summary.median, all = m.randomization.steps.back().summary.median;
    line += "; randomised top layer SSIM " + num(top) + ", all layers " + num(all);
    if (top >= 0.8) v.reasons.push_back("ignores the top layer's weights (SSIM " + num(top) + " >= 0.8 after randomising it)");
    if (all >= 0.5) v.reasons.push_back("survives randomising every layer (SSIM " + num(all) + " >= 0.5)");
  }
  if (m.csc) {
    // The lowest layer where |cos| can tell maps apart (random vectors of its length have a
    // median |cos| below 0.5; a grey input's one channel always gives 1).
    const CscLayer* low = nullptr;
    for (const auto& l : m.csc->layers)
      if (l.baseline < 0.5 && l.count > 0) low = &l;
    if (low) {
      line += "; CSC median |cos| at " + low->name + " " + num(low->median, "%.3f") + " (random " + num(low->baseline, "%.3f") + ")";
      if (low->median >= 0.9)
        v.reasons.push_back("converges: the map at " + low->name + " no longer depends on the layers above (CSC " +
                            num(low->median, "%.3f") + ")");
    }
  }
  if (!m.inputs.front().flip.fraction.empty()) {
    line += "; deletion AUC " + num(m.deletion_auc, "%.3g") + " vs random " + num(m.random_deletion_auc, "%.3g");
    if (!(m.deletion_auc < m.random_deletion_auc))
      v.reasons.push_back("removing its most relevant regions first is no faster than a random order");
  }
  if (m.method->conserves != Conserves::nothing) line += "; completeness gap " + num(100 * m.completeness_gap, "%.2g") + " %";
  v.pass = v.reasons.empty();
  v.line = line;
  return v;
}

std::string flipping_svg(const Report& r, bool deletion) {
  SvgFigure fig;
  SvgPanel p;
  p.title = deletion ? "deletion (most relevant first)" : "insertion (most relevant first)";
  p.x.label = "fraction of regions " + std::string(deletion ? "removed" : "restored");
  p.y.label = "target logit (mean over inputs)";
  for (std::size_t k = 0; k < r.methods.size(); ++k) {
    const auto& m = r.methods[k];
    SvgSeries s;
    s.name = m.method->name;
    s.colour = detail::svg::palette(k);
    const auto& first = m.inputs.front().flip;
    s.x = first.fraction;
    s.y.assign(first.fraction.size(), 0.0);
    for (const auto& in : m.inputs)
      for (std::size_t j = 0; j < s.y.size() && j < in.flip.fraction.size(); ++j)
        s.y[j] += (deletion ? in.flip.deletion[j] : in.flip.insertion[j]) / double(m.inputs.size());
    p.series.push_back(std::move(s));
  }
  {  // the random order of the first method as the reference
    const auto& m = r.methods.front();
    SvgSeries s;
    s.name = "random order";
    s.colour = "#444444";
    s.dashed = true;
    s.x = m.inputs.front().flip.fraction;
    s.y.assign(s.x.size(), 0.0);
    for (const auto& in : m.inputs)
      for (std::size_t j = 0; j < s.y.size(); ++j)
        s.y[j] += (deletion ? in.flip.random_deletion[j] : in.flip.random_insertion[j]) / double(m.inputs.size());
    p.series.push_back(std::move(s));
  }
  fig.panels = {std::move(p)};
  fig.panel_width = 420;
  fig.panel_height = 280;
  return to_svg(fig);
}

}  // namespace

int run_report(const Options& o) {
  const auto t0 = std::chrono::steady_clock::now();
  const auto chosen = chosen_methods(o.rules, {"Gradient", "GuidedBackprop", "LrpEpsilon", "epsilon_plus",
                                               "DeepLiftRescale", "integrated_gradients"});
  Session s = open_session(o);
  status(o.quiet, "model " + s.model.path + " for input " + s.model.input_shape.str() + ", " + std::to_string(s.inputs.size()) + " input(s)");
  Staging out(o.out.empty() ? "attrib-report" : o.out);
  const Network<T>& net = s.model.net;
  Report r;
  r.model = s.model.path;
  r.input_shape = s.model.input_shape.str();
  r.load_report = s.model.load_report;
  r.folded = s.model.folded_batch_norms;
  r.predicted = s.predicted;
  r.points = randomisation_points(net, 5);
  r.csc_layer = net.node(net.size() - 1).name;
  const Shape& is = s.model.input_shape;
  const bool image = is.rank() == 4 && !o.pre.nhwc;
  r.region = image ? std::max<Index>(1, std::min(is[2], is[3]) / 14) : 1;
  for (std::size_t i = 0; i < s.inputs.size(); ++i) {
    r.inputs.push_back(s.inputs[i].path);
    r.predicted_logit.push_back(s.logits[i][std::size_t(s.predicted[i])]);
  }
  const ConstView<T> images = s.ctx.images.cview();

  SanityOptions so;
  so.resamples = 2000;
  for (const Method* m : chosen) {
    MethodReport mr;
    mr.method = m;
    {  // heatmaps, completeness, region perturbation
      ProgressBar bar("heatmaps + pixel flipping: " + m->name, o.quiet);
      Attribute attribute = m->make(net, s.ctx);
      for (std::size_t i = 0; i < s.inputs.size(); ++i) {
        const Input& in = s.inputs[i];
        const Index c = s.predicted[i];
        const Tensor<T> a = Tensor<T>::copy_of(attribute(in.x.cview(), c).cview());
        InputResult ir;
        ir.heatmap = "heat_" + in.stem + "_" + m->name + ".png";
        ir.overlay = "overlay_" + in.stem + "_" + m->name + ".png";
        ir.picture = heatmap_picture(a.cview(), o.pre.nhwc);
        out.png(ir.heatmap, ir.picture);
        out.png(ir.overlay, overlay_picture(in, a.cview(), o.pre.nhwc));
        const CompletenessGap g = completeness_gap(net, a.cview(), in.x.cview(), ConstView<T>(), c);
        ir.sum = g.sum;
        ir.expected = m->conserves == Conserves::logit ? s.logits[i][std::size_t(c)] : g.output_diff;
        ir.completeness_gap = g.relative();
        PixelFlippingOptions po;
        po.region = image ? r.region : 1;
        po.max_points = 24;
        if (image || in.x.rank() == 3) ir.flip = pixel_flipping(net, in.x.cview(), a.cview(), c, ConstView<T>(), po);
        mr.completeness_gap += ir.completeness_gap / double(s.inputs.size());
        mr.deletion_auc += ir.flip.deletion_auc / double(s.inputs.size());
        mr.insertion_auc += ir.flip.insertion_auc / double(s.inputs.size());
        mr.random_deletion_auc += ir.flip.random_deletion_auc / double(s.inputs.size());
        mr.random_insertion_auc += ir.flip.random_insertion_auc / double(s.inputs.size());
        mr.inputs.push_back(std::move(ir));
        bar(Index(i + 1), Index(s.inputs.size()));
      }
    }
    if (m->csc) {
      ProgressBar bar("CSC: " + m->name, o.quiet);
      CscOptions co;
      co.samples = 5;
      co.progress = [&](Index d, Index t) { bar(d, t); };
      mr.csc = m->csc(net, images, net.size() - 1, co, s.ctx);
      mr.csc->rule = m->name;
    }
    so.reduce = m->reduce;
    {
      ProgressBar bar("random-logit test: " + m->name, o.quiet);
      so.progress = [&](Index d, Index t) { bar(d, t); };
      Attribute attribute = m->make(net, s.ctx);
      mr.random_logit = random_logit_test_of<T>(m->name, s.model.classes, attribute, images, s.predicted, so);
    }
    if (!r.points.empty()) {
      ProgressBar bar("cascading randomisation: " + m->name, o.quiet);
      so.progress = [&](Index d, Index t) { bar(d, t); };
      mr.randomization = cascading_randomization_of<T>(
          m->name, net, [&](const Network<T>& n) { return m->make(n, s.ctx); }, images, s.predicted, r.points, so);
    }
    mr.verdict = judge(mr);
    r.methods.push_back(std::move(mr));
  }

  // grids: one per input, the methods' overlays side by side
  for (std::size_t i = 0; i < s.inputs.size(); ++i) {
    std::vector<Image> cells;
    std::vector<std::string> cols{"input"};
    Image first = input_picture(s.inputs[i], 1, 1);
    for (const auto& m : r.methods) {
      const Image& h = m.inputs[i].picture;
      if (cells.empty()) {
        if (first.width != h.width || first.height != h.height) first = Image(h.width, h.height, Rgb{200, 200, 200});
        cells.push_back(first);
      }
      cells.push_back(h);
      cols.push_back(m.method->name);
    }
    const std::string name = "grid_" + s.inputs[i].stem + ".png";
    out.png(name, labelled_grid(cells, 1, int(cells.size()), {}, cols));
    r.grids.push_back(name);
  }
  // figures
  std::vector<CscResult> csc;
  std::vector<RandomLogitResult> rl;
  std::vector<RandomizationResult> rz;
  for (const auto& m : r.methods) {
    if (m.csc) csc.push_back(*m.csc);
    rl.push_back(m.random_logit);
    if (!m.randomization.steps.empty()) rz.push_back(m.randomization);
  }
  const auto figure = [&](const std::string& name, const std::string& svg) {
    out.text(name, svg);
    r.figures.push_back(name);
  };
  if (!csc.empty()) figure("csc.svg", csc_svg(csc));
  figure("random_logit.svg", random_logit_svg(rl));
  if (!rz.empty()) figure("randomization.svg", randomization_svg(rz));
  if (!r.methods.front().inputs.front().flip.fraction.empty()) {
    figure("deletion.svg", flipping_svg(r, true));
    figure("insertion.svg", flipping_svg(r, false));
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  out.text("report.json", report_json(r));
  out.text("index.html", report_html(r));
  out.commit("index.html");
  if (!o.quiet)
    for (const auto& m : r.methods)
      std::printf("%-22s %s: %s\n", m.method->name.c_str(), m.verdict.pass ? "PASS" : "FAIL", m.verdict.line.c_str());
  std::printf("report: %s/index.html (%.1f s)\n", out.out().c_str(), r.seconds);
  return 0;
}

}  // namespace attrib::cli
