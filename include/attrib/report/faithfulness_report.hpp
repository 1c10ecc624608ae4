#pragma once
// A methods x criteria table per test model (docs/faithfulness.md), printed as Markdown (one
// table per model, columns in first-use order, "n/a" for criteria a method has no value for)
// or as long CSV (model,method,criterion,value; text fields quoted as RFC 4180 says).
#include "attrib/core/config.hpp"
#include <cmath>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "attrib/core/error.hpp"
#include "attrib/report/csv.hpp"

ATTRIB_BEGIN_NAMESPACE

class FaithfulnessReport {
 public:
  struct Row {
    std::string method;
    std::vector<std::pair<std::string, double>> values;  ///< (criterion, value); NaN = n/a
    std::string note;
  };
  struct Section {
    std::string model;
    std::string description;
    std::vector<Row> rows;
  };

  /// Starts the table of `model` (tables print in first-use order); a non-empty description
  /// replaces the previous one.
  void section(const std::string& model, const std::string& description = "") {
    Section& s = find_section(model);
    if (!description.empty()) s.description = description;
  }
  /// Sets criterion = value for (model, method); rows and columns appear in first-use order.
  void set(const std::string& model, const std::string& method, const std::string& criterion, double value) {
    if (model.empty() || method.empty() || criterion.empty())
      raise<ArgumentError>("arg.910", "FaithfulnessReport::set: empty model, method or criterion name ('", model, "', '",
                           method, "', '", criterion, "')");
    Row& r = row(model, method);
    for (auto& v : r.values)
      if (v.first == criterion) {
        v.second = value;
        return;
      }
    r.values.emplace_back(criterion, value);
  }
  void note(const std::string& model, const std::string& method, const std::string& text) { row(model, method).note = text; }

  /// The value, NaN if absent.
  double get(const std::string& model, const std::string& method, const std::string& criterion) const {
    for (const auto& s : sections_)
      if (s.model == model)
        for (const auto& r : s.rows)
          if (r.method == method)
            for (const auto& v : r.values)
              if (v.first == criterion) return v.second;
    return std::nan("");
  }
  const std::vector<Section>& sections() const { return sections_; }

  std::string to_markdown(int digits = 3) const {
    std::string out;
    for (const auto& s : sections_) {
      const auto cols = columns(s);
      out += "### " + s.model + "\n\n";
      if (!s.description.empty()) out += s.description + "\n\n";
      out += "| method |";
      for (const auto& c : cols) out += " " + cell(c) + " |";
      bool notes = false;
      for (const auto& r : s.rows) notes = notes || !r.note.empty();
      if (notes) out += " note |";
      out += "\n|---|";
      for (std::size_t k = 0; k < cols.size(); ++k) out += "---:|";
      if (notes) out += "---|";
      out += "\n";
      for (const auto& r : s.rows) {
        out += "| " + cell(r.method) + " |";
        for (const auto& c : cols) out += " " + format(find(r, c), digits) + " |";
        if (notes) out += " " + cell(r.note) + " |";
        out += "\n";
      }
      out += "\n";
    }
    return out;
  }

  std::string to_csv() const {
    std::string out = "model,method,criterion,value\n";
    char buf[64];
    for (const auto& s : sections_)
      for (const auto& r : s.rows)
        for (const auto& v : r.values) {
          if (std::isnan(v.second)) std::snprintf(buf, sizeof buf, "nan");
          else std::snprintf(buf, sizeof buf, "%.9g", v.second);
          out += csv_field(s.model) + "," + csv_field(r.method) + "," + csv_field(v.first) + "," +
                 buf + "\n";
        }
    return out;
  }

 private:
  std::vector<Section> sections_;

  Section& find_section(const std::string& model) {
    for (auto& s : sections_)
      if (s.model == model) return s;
    sections_.push_back({model, "", {}});
    return sections_.back();
  }
  Row& row(const std::string& model, const std::string& method) {
    Section& s = find_section(model);
    for (auto& r : s.rows)
      if (r.method == method) return r;
    s.rows.push_back({method, {}, {}});
    return s.rows.back();
  }
  static std::vector<std::string> columns(const Section& s) {
    std::vector<std::string> cols;
    for (const auto& r : s.rows)
      for (const auto& v : r.values) {
        bool seen = false;
        for (const auto& c : cols) seen = seen || c == v.first;
        if (!seen) cols.push_back(v.first);
      }
    return cols;
  }
  static double find(const Row& r, const std::string& c) {
    for (const auto& v : r.values)
      if (v.first == c) return v.second;
    return std::nan("");
  }
  static std::string format(double v, int digits) {
    if (std::isnan(v)) return "n/a";
    char buf[64];
    if (v == 0) return "0";
    const double a = std::abs(v);
    if (a >= 1e-3 && a < 1e5) std::snprintf(buf, sizeof buf, "%.*f", digits, v);
    else std::snprintf(buf, sizeof buf, "%.*e", digits > 0 ? digits - 1 : 0, v);
    return buf;
  }
  /// A Markdown table cell: '|' escaped.
  static std::string cell(const std::string& s) {
    std::string o;
    for (char ch : s) o += ch == '|' ? std::string("\\|") : std::string(1, ch);
    return o;
  }
};

ATTRIB_END_NAMESPACE
