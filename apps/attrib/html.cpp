// The trust report as a static HTML page (no JavaScript) and as JSON with every number.
#include <attrib/report/csc.hpp>
#include <attrib/report/json.hpp>

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "report_data.hpp"

namespace attrib::cli {

namespace {
std::string esc(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '&') o += "&amp;";
    else if (c == '<') o += "&lt;";
    else if (c == '>') o += "&gt;";
    else if (c == '"') o += "&quot;";
    else o += c;
  }
  return o;
}
/// File names in src attributes: percent-encode what a URL path cannot hold.
std::string url(const std::string& s) {
  std::string o;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '.' || c == '_' || c == '-') o += char(c);
    else {
      char b[4];
      std::snprintf(b, sizeof b, "%%%02X", c);
      o += b;
    }
  }
  return o;
}
std::string num(double v, const char* f = "%.3g") {
  char b[48];
  std::snprintf(b, sizeof b, f, v);
  return b;
}
std::string img(const std::string& file, const std::string& alt, int width = 0) {
  return "<img src=\"" + url(file) + "\" alt=\"" + esc(alt) + "\"" + (width ? " width=\"" + std::to_string(width) + "\"" : "") + ">";
}
const char* css =
    "body{font-family:sans-serif;margin:24px;max-width:1200px;color:#222}"
    "table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:4px 8px;vertical-align:top;font-size:14px}"
    "th{background:#f2f2f2}.pass{color:#17692d;font-weight:bold}.fail{color:#b00020;font-weight:bold}"
    "img{image-rendering:pixelated}pre{background:#f7f7f7;padding:8px;font-size:12px;overflow:auto}"
    ".figs img{margin:4px;border:1px solid #ddd;max-width:100%;height:auto}";
}  // namespace

std::string report_html(const Report& r) {
  std::string h = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>attrib trust report</title><style>";
  h += css;
  h += "</style></head><body>\n<h1>Trust report</h1>\n<p>Model <code>" + esc(r.model) + "</code>, input " + esc(r.input_shape) +
       ", " + std::to_string(r.inputs.size()) + " input(s), " + std::to_string(r.methods.size()) +
       " rule(s)/method(s), computed in " + num(r.seconds, "%.1f") + " s. Every number is in <a href=\"report.json\">report.json</a>.</p>\n";
  h += "<h2>Verdicts</h2>\n<table><tr><th>rule / method</th><th>verdict</th><th>measured</th></tr>\n";
  for (const auto& m : r.methods) {
    h += "<tr><td><b>" + esc(m.method->name) + "</b><br><small>" + esc(m.method->description) + "</small></td><td class=\"" +
         (m.verdict.pass ? "pass\">passes" : "fail\">fails") + "</td><td>" + esc(m.verdict.line);
    for (const auto& why : m.verdict.reasons) h += "<br>&#8226; " + esc(why);
    h += "</td></tr>\n";
  }
  h += "</table>\n<p><small>Checks: random-logit SSIM &lt; 0.8 (the heatmap depends on the class); SSIM &lt; 0.8 after "
       "randomising the top layer and &lt; 0.5 after randomising all of them (it depends on the weights); CSC median |cos| "
       "&lt; 0.9 at the lowest layer whose random baseline is below 0.5 (the maps do not converge to one that ignores "
       "the upper layers); deletion AUC below a random "
       "order's (removing what it calls relevant hurts the prediction fastest). See docs/cli.md.</small></p>\n";
  h += "<h2>Heatmaps</h2>\n<table><tr><th>input</th><th>prediction</th>";
  for (const auto& m : r.methods) h += "<th>" + esc(m.method->name) + "</th>";
  h += "</tr>\n";
  for (std::size_t i = 0; i < r.inputs.size(); ++i) {
    const std::size_t slash = r.inputs[i].find_last_of('/');
    h += "<tr><td title=\"" + esc(r.inputs[i]) + "\">" + esc(slash == std::string::npos ? r.inputs[i] : r.inputs[i].substr(slash + 1)) +
         "</td><td>class " + std::to_string(r.predicted[i]) + "<br>logit " +
         num(r.predicted_logit[i], "%.3f") + "</td>";
    for (const auto& m : r.methods)
      h += "<td>" + img(m.inputs[i].overlay, m.method->name + " on " + r.inputs[i], 96) + "<br><small>sum " +
           num(m.inputs[i].sum) + (m.method->conserves != Conserves::nothing ? " (expected " + num(m.inputs[i].expected) + ")" : "") +
           "</small></td>";
    h += "</tr>\n";
  }
  h += "</table>\n<p>Signed heatmaps (red positive, blue negative) over the dimmed input; plain heatmaps and one grid per "
       "input are in the directory.</p>\n";
  const auto has = [&](const std::string& f) { return std::find(r.figures.begin(), r.figures.end(), f) != r.figures.end(); };
  if (has("csc.svg"))
    h += "<h2>Cosine similarity convergence</h2>\n<p>Random signals injected at <code>" + esc(r.csc_layer) +
         "</code> (the logits), five per input: a rule whose maps at lower layers become identical (median |cos| near 1) "
         "ignores what the layers above computed (Sixt et al. 2020). Methods have no backward pass to inject into.</p>\n<div class=\"figs\">" +
         img("csc.svg", "CSC") + "</div>\n";
  h += "<h2>Sanity checks</h2>\n<p>Flipped SSIM of the heatmap against the heatmap of a random other class (left) and "
       "against the heatmap after re-initialising the weights from the named layer up (right); median over the inputs "
       "with a 99.5 % bootstrap band. High similarity means the explanation does not depend on what it should.</p>\n<div class=\"figs\">" +
       img("random_logit.svg", "random-logit test") + (has("randomization.svg") ? img("randomization.svg", "cascading randomisation") : "") +
       "</div>\n";
  if (has("deletion.svg")) {
    h += "<h2>Faithfulness: region perturbation</h2>\n<p>Regions of " + std::to_string(r.region) + " x " +
         std::to_string(r.region) + " pixels replaced by zeros, most relevant first (deletion) or restored onto zeros "
         "(insertion), against a random order (Samek et al. 2017).</p>\n<div class=\"figs\">" +
         img("deletion.svg", "deletion curves") + img("insertion.svg", "insertion curves") + "</div>\n";
    h += "<table><tr><th>rule / method</th><th>deletion AUC</th><th>random</th><th>insertion AUC</th><th>random</th>"
         "<th>completeness gap</th></tr>\n";
    for (const auto& m : r.methods)
      h += "<tr><td>" + esc(m.method->name) + "</td><td>" + num(m.deletion_auc) + "</td><td>" + num(m.random_deletion_auc) +
           "</td><td>" + num(m.insertion_auc) + "</td><td>" + num(m.random_insertion_auc) + "</td><td>" +
           num(100 * m.completeness_gap, "%.2g") + " %</td></tr>\n";
    h += "</table>\n<p><small>AUC in logit units (lower deletion and higher insertion are better). Completeness gap: "
         "|sum of the attribution - (f(x) - f(0))| relative to f(x) - f(0).</small></p>\n";
  }
  h += "<h2>Model</h2>\n<pre>" + esc(r.load_report);
  if (!r.folded.empty()) {
    h += "  canonized: BatchNorm folded:";
    for (const auto& f : r.folded) h += " " + esc(f) + ";";
    h += "\n";
  }
  h += "</pre>\n<p><small>Written by attrib report.</small></p>\n</body></html>\n";
  return h;
}

std::string report_json(const Report& r) {
  using detail::json_array;
  using detail::json_number;
  const auto q = [](const std::string& s) { return detail::json::quote(s); };
  const auto nums = [](const std::vector<double>& v) { return json_array(v, [](double x) { return json_number(x); }); };
  const auto band = [](const BootstrapBand& b) {
    return "{\"median\": " + json_number(b.median) + ", \"lo\": " + json_number(b.lo) + ", \"hi\": " + json_number(b.hi) + "}";
  };
  std::string s = "{\"model\": " + q(r.model) + ", \"input_shape\": " + q(r.input_shape) + ", \"seconds\": " + json_number(r.seconds) +
                  ",\n \"inputs\": " + json_array(r.inputs, q) + ", \"predicted\": " +
                  json_array(r.predicted, [](Index v) { return std::to_string(v); }) + ", \"predicted_logit\": " +
                  nums(r.predicted_logit) + ",\n \"randomisation_points\": " + json_array(r.points, q) +
                  ", \"csc_layer\": " + q(r.csc_layer) + ", \"region\": " + std::to_string(r.region) + ",\n \"methods\": [";
  for (std::size_t k = 0; k < r.methods.size(); ++k) {
    const auto& m = r.methods[k];
    s += std::string(k ? "," : "") + "\n  {\"name\": " + q(m.method->name) + ", \"family\": " + q(m.method->family) +
         ", \"pass\": " + (m.verdict.pass ? "true" : "false") + ", \"verdict\": " + q(m.verdict.line) +
         ", \"reasons\": " + json_array(m.verdict.reasons, q) + ",\n   \"deletion_auc\": " + json_number(m.deletion_auc) +
         ", \"random_deletion_auc\": " + json_number(m.random_deletion_auc) + ", \"insertion_auc\": " +
         json_number(m.insertion_auc) + ", \"random_insertion_auc\": " + json_number(m.random_insertion_auc) +
         ", \"completeness_gap\": " + json_number(m.completeness_gap) + ",\n   \"inputs\": [";
    for (std::size_t i = 0; i < m.inputs.size(); ++i) {
      const auto& in = m.inputs[i];
      s += std::string(i ? "," : "") + "\n    {\"heatmap\": " + q(in.heatmap) + ", \"sum\": " + json_number(in.sum) +
           ", \"expected\": " + json_number(in.expected) + ", \"completeness_gap\": " + json_number(in.completeness_gap) +
           ", \"fraction\": " + nums(in.flip.fraction) + ", \"deletion\": " + nums(in.flip.deletion) + ", \"insertion\": " +
           nums(in.flip.insertion) + ", \"random_deletion\": " + nums(in.flip.random_deletion) + ", \"random_insertion\": " +
           nums(in.flip.random_insertion) + ", \"aopc\": " + json_number(in.flip.aopc) + "}";
    }
    s += "],\n   \"random_logit\": {\"classes\": " + json_array(m.random_logit.random_classes, [](Index v) { return std::to_string(v); }) +
         ", \"scores\": " + nums(m.random_logit.scores) + ", \"summary\": " + band(m.random_logit.summary) + "},\n   \"randomisation\": [";
    for (std::size_t j = 0; j < m.randomization.steps.size(); ++j) {
      const auto& st = m.randomization.steps[j];
      s += std::string(j ? ", " : "") + "{\"layer\": " + q(st.layer) + ", \"scores\": " + nums(st.scores) + ", \"summary\": " +
           band(st.summary) + "}";
    }
    s += "],\n   \"csc\": " + (m.csc ? to_json({*m.csc}) : std::string("null\n")) + "  }";
  }
  return s + "\n ]}\n";
}

}  // namespace attrib::cli
