#pragma once
// CSV and JSON output of cosine similarity convergence results (metrics/csc.hpp).
#include "attrib/core/config.hpp"
#include <string>
#include <vector>

#include "attrib/metrics/csc.hpp"
#include "attrib/report/csv.hpp"
#include "attrib/report/json.hpp"

ATTRIB_BEGIN_NAMESPACE

/// CSV: one row per layer (rule, layer, kind, channels, count, mean, median, percentiles, baseline);
/// text fields quoted as RFC 4180 says (csv_field).
inline std::string to_csv(const std::vector<CscResult>& results) {
  std::string s = "rule,injected,position,layer,kind,channels,count,mean,median";
  for (double q : csc_percentiles) s += ",p" + detail::cat(q);
  s += ",baseline\n";
  for (const auto& r : results)
    for (std::size_t i = 0; i < r.layers.size(); ++i) {
      const auto& l = r.layers[i];
      s += detail::cat(csv_field(r.rule), ',', r.injected, ',', i, ',', csv_field(l.name), ',',
                       csv_field(l.kind), ',', l.channels, ',', l.count, ',', l.mean, ',', l.median);
      for (double p : l.percentiles) s += detail::cat(',', p);
      s += detail::cat(',', l.baseline, '\n');
    }
  return s;
}

/// JSON: an array with one object per result {rule, injected, samples, images, percentile_levels,
/// histogram_bins, layers: [{position, node, name, kind, channels, count, mean, median,
/// percentiles, histogram, baseline, subsampled}]}. Numbers with 17 significant digits, NaN and
/// infinities as null. An empty vector gives "[]".
inline std::string to_json(const std::vector<CscResult>& results) {
  using detail::json_array;
  using detail::json_number;
  const auto num = [](double v) { return json_number(v); };
  const auto text = [](const std::string& v) { return detail::json::quote(v); };
  const auto integer = [](Index v) { return std::to_string(v); };
  std::string s = "[";
  for (std::size_t k = 0; k < results.size(); ++k) {
    const auto& r = results[k];
    s += k ? ",\n {" : "\n {";
    s += "\"rule\": " + text(r.rule) + ", \"injected\": " + integer(r.injected) +
         ", \"samples\": " + std::to_string(r.samples) + ", \"images\": " + integer(r.images) +
         ",\n  \"percentile_levels\": " + json_array(csc_percentiles, num) +
         ",\n  \"histogram_bins\": " + json_array(csc_bins, num) + ",\n  \"layers\": [";
    for (std::size_t i = 0; i < r.layers.size(); ++i) {
      const auto& l = r.layers[i];
      s += i ? ",\n   {" : "\n   {";
      s += "\"position\": " + std::to_string(i) + ", \"node\": " + integer(l.node) + ", \"name\": " + text(l.name) +
           ", \"kind\": " + text(l.kind) + ", \"channels\": " + integer(l.channels) +
           ", \"count\": " + integer(l.count) + ", \"mean\": " + num(l.mean) + ", \"median\": " + num(l.median) +
           ", \"percentiles\": " + json_array(l.percentiles, num) + ", \"histogram\": " +
           json_array(l.histogram, integer) + ", \"baseline\": " + num(l.baseline) +
           ", \"subsampled\": " + (l.subsampled ? "true" : "false") + "}";
    }
    s += r.layers.empty() ? "]}" : "\n  ]}";
  }
  return s + (results.empty() ? "]\n" : "\n]\n");
}

ATTRIB_END_NAMESPACE
