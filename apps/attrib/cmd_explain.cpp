// attrib explain: heatmaps, overlays, one labelled grid per input, explain.json and explain.csv.
#include <attrib/report/csv.hpp>
#include <attrib/report/json.hpp>
#include <attrib/core/parallel.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "output.hpp"
#include "pictures.hpp"
#include "progress.hpp"
#include "session.hpp"

namespace attrib::cli {

namespace {
struct Row {
  std::string input, rule;
  Index target = 0;
  double logit = 0, sum = 0, positive = 0, negative = 0, expected = 0;
  const char* expects = "none";
};
std::string fmt(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.4g", v);
  return b;
}
}  // namespace

int run_explain(const Options& o) {
  const auto chosen = chosen_methods(o.rules, {"Gradient", "LrpEpsilon", "epsilon_plus"});
  Session s = open_session(o);
  for (const auto& l : s.logits) targets_for(o.target, l);  // bad targets fail before anything is written
  status(o.quiet, "model " + s.model.path + " for input " + s.model.input_shape.str() + ", " + std::to_string(s.inputs.size()) + " input(s)");
  Staging out(o.out.empty() ? "attrib-explain" : o.out);
  std::vector<Row> rows;
  const Index total = Index(s.inputs.size() * chosen.size());
  ProgressBar bar("explain", o.quiet);
  Index done = 0;
  // Blocks of --threads inputs: every (input, method) of a block is one job, run by --threads
  // threads (parallel_for); each job makes its own Attribute, as the sequential loop does, so
  // the results do not depend on --threads. Pictures and rows are then written in input order.
  const std::size_t nm = chosen.size(), block = std::size_t(o.threads);
  std::vector<std::vector<Tensor<T>>> attr;
  for (std::size_t i = 0; i < s.inputs.size(); ++i) {
    if (i % block == 0) {
      const std::size_t i1 = std::min(s.inputs.size(), i + block);
      attr.assign((i1 - i) * nm, {});
      parallel_for(Index(attr.size()), ParallelOptions{o.threads}, [&](Index, Index k) {
        const std::size_t in = i + std::size_t(k) / nm;
        Attribute attribute = chosen[std::size_t(k) % nm]->make(s.model.net, s.ctx);
        for (Index c : targets_for(o.target, s.logits[in])) attr[std::size_t(k)].push_back(attribute(s.inputs[in].x.cview(), c));
      });
    }
    const Input& in = s.inputs[i];
    const auto targets = targets_for(o.target, s.logits[i]);
    std::vector<Image> cells;
    std::vector<std::string> row_labels, col_labels{"input"};
    for (const Method* m : chosen) col_labels.push_back(m->name);
    const Shape& is = s.model.input_shape;
    for (Index c : targets) {
      row_labels.push_back("class " + std::to_string(c) + (c == s.predicted[i] ? " (pred.)" : ""));
      cells.push_back(input_picture(in, is.rank() == 4 ? is[o.pre.nhwc ? 1 : 2] : 1, is.rank() == 4 ? is[o.pre.nhwc ? 2 : 3] : is.sample_size()));
    }
    std::vector<std::vector<Image>> by_target(targets.size());
    for (std::size_t mi = 0; mi < nm; ++mi) {
      const Method* m = chosen[mi];
      for (std::size_t t = 0; t < targets.size(); ++t) {
        const Index c = targets[t];
        const Tensor<T>& a = attr[(i % block) * nm + mi][t];
        Row r;
        r.input = in.path;
        r.rule = m->name;
        r.target = c;
        r.logit = s.logits[i][std::size_t(c)];
        for (Index k = 0; k < a.size(); ++k) {
          const double v = a[k];
          r.sum += v;
          (v > 0 ? r.positive : r.negative) += v;
        }
        if (m->conserves == Conserves::logit) r.expects = "logit", r.expected = r.logit;
        if (m->conserves == Conserves::delta) r.expects = "f(x)-f(0)", r.expected = output_delta(s.model.net, in.x.cview(), c);
        rows.push_back(r);
        const std::string base = in.stem + "_" + m->name + (targets.size() > 1 ? "_class" + std::to_string(c) : "");
        const Image heat = heatmap_picture(a.cview(), o.pre.nhwc);
        out.png(base + ".png", heat);
        out.png(base + "_overlay.png", overlay_picture(in, a.cview(), o.pre.nhwc));
        by_target[t].push_back(heat);
      }
      bar(++done, total);
    }
    std::vector<Image> grid;
    for (std::size_t t = 0; t < targets.size(); ++t) {
      Image first = cells[t];
      const Image& h = by_target[t].front();
      if (first.width != h.width || first.height != h.height) first = Image(h.width, h.height, Rgb{200, 200, 200});
      grid.push_back(first);
      for (const auto& img : by_target[t]) grid.push_back(img);
    }
    GridOptions go;
    go.font_scale = 1;
    out.png(in.stem + "_grid.png", labelled_grid(grid, int(targets.size()), int(chosen.size() + 1), row_labels, col_labels, go));
  }
  // explain.csv and explain.json
  std::string csv = "input,rule,target,target_logit,sum,positive,negative,expected_sum,expected_value,gap\n";
  std::string json = "{\"model\": " + detail::json::quote(s.model.path) + ", \"input_shape\": " +
                     detail::json::quote(s.model.input_shape.str()) + ",\n \"inputs\": [";
  for (std::size_t i = 0; i < s.inputs.size(); ++i) {
    json += std::string(i ? "," : "") + "\n  {\"path\": " + detail::json::quote(s.inputs[i].path) +
            ", \"predicted\": " + std::to_string(s.predicted[i]) + ", \"logits\": " +
            detail::json_array(s.logits[i], [](double v) { return detail::json_number(v); }) + "}";
  }
  json += "\n ],\n \"explanations\": [";
  for (std::size_t k = 0; k < rows.size(); ++k) {
    const Row& r = rows[k];
    const bool has = std::string(r.expects) != "none";
    const double gap = has ? r.sum - r.expected : std::nan("");
    csv += detail::cat(csv_field(r.input), ',', csv_field(r.rule), ',', r.target, ',', r.logit, ',', r.sum, ',', r.positive, ',',
                       r.negative, ',', r.expects, ',', has ? fmt(r.expected) : "", ',', has ? fmt(gap) : "", '\n');
    json += std::string(k ? "," : "") + "\n  {\"input\": " + detail::json::quote(r.input) + ", \"rule\": " +
            detail::json::quote(r.rule) + ", \"target\": " + std::to_string(r.target) +
            ", \"target_logit\": " + detail::json_number(r.logit) + ", \"sum\": " + detail::json_number(r.sum) +
            ", \"positive\": " + detail::json_number(r.positive) + ", \"negative\": " + detail::json_number(r.negative) +
            ", \"expected_sum\": " + detail::json::quote(r.expects) + ", \"expected_value\": " +
            (has ? detail::json_number(r.expected) : "null") + ", \"conservation_gap\": " + detail::json_number(gap) + "}";
  }
  json += "\n ]}\n";
  out.text("explain.csv", csv);
  out.text("explain.json", json);
  out.commit("explain.json");
  if (!o.quiet) {
    for (const Row& r : rows)
      std::printf("%s  %-22s class %ld (logit %+.4f)  sum %+.4e%s\n", r.input.c_str(), r.rule.c_str(), long(r.target), r.logit,
                  r.sum, std::string(r.expects) != "none" ? ("  expected " + fmt(r.expected) + " (" + r.expects + ")").c_str() : "");
    std::printf("wrote %zu files to %s\n", out.files().size(), out.out().c_str());
  }
  return 0;
}

}  // namespace attrib::cli
