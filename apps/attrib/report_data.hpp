#pragma once
// The numbers of a trust report (cmd_report.cpp computes them, html.cpp and report_json.cpp
// write them).
#include <attrib/metrics/csc.hpp>
#include <attrib/metrics/pixel_flipping.hpp>
#include <attrib/metrics/sanity.hpp>

#include <optional>

#include "session.hpp"

namespace attrib::cli {

struct InputResult {
  std::string heatmap, overlay;  ///< file names
  Image picture;                 ///< the heatmap (for the grids)
  double sum = 0, expected = 0;  ///< attribution sum; what it should equal (if conserving)
  double completeness_gap = 0;   ///< |sum - (f_c(x) - f_c(0))| / |f_c(x) - f_c(0)|
  PerturbationCurves flip;
};

struct Verdict {
  bool pass = true;
  std::string line;                  ///< one line with the numbers behind it
  std::vector<std::string> reasons;  ///< failed checks
};

struct MethodReport {
  const Method* method = nullptr;
  std::vector<InputResult> inputs;
  std::optional<CscResult> csc;
  RandomLogitResult random_logit;
  RandomizationResult randomization;
  double deletion_auc = 0, insertion_auc = 0, random_deletion_auc = 0, random_insertion_auc = 0;  ///< means over inputs
  double completeness_gap = 0;  ///< mean relative gap
  Verdict verdict;
};

struct Report {
  std::string model, input_shape, load_report;
  std::vector<std::string> folded;
  std::vector<std::string> inputs, grids;
  std::vector<Index> predicted;
  std::vector<double> predicted_logit;
  std::vector<MethodReport> methods;
  std::vector<std::string> points;  ///< randomisation points, top -> bottom
  std::string csc_layer;
  Index region = 1;
  std::vector<std::string> figures;  ///< SVG files written
  double seconds = 0;
};

std::string report_html(const Report& r);
std::string report_json(const Report& r);

}  // namespace attrib::cli
