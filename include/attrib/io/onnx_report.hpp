#pragma once
// What import_onnx did with a file: the input (declared and symbolic dimensions), the output,
// the layers by kind, and every node that did not become a layer of its own (evaluated on
// constants, merged into another layer, stripped) plus the patterns recognised. The op
// converters append to it while they run (`im.report.recognised("ChannelShuffle", {...})`);
// `to_text()` prints it for people. Needs no libonnx (part of attrib::onnx's headers).
#include "attrib/core/config.hpp"

#include <cstddef>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "attrib/core/shape.hpp"

ATTRIB_BEGIN_NAMESPACE

/// The load report of an ONNX import (OnnxModel::report).
struct OnnxLoadReport {
  /// A node that became no layer of its own; `detail` says what happened to it.
  struct NodeNote {
    std::string name, op, detail;
  };
  /// A group of nodes imported as one construct ("Flatten from Shape/Gather/.../Reshape").
  struct Pattern {
    std::string what;
    std::vector<std::string> nodes;
  };

  std::string file;
  std::string input_name;
  std::vector<std::string> declared_input;  ///< the file's input dims: numbers or symbolic names
  std::vector<std::string> symbolic_dims;   ///< e.g. "N (axis 0)", "H (axis 2)"
  Shape input_shape;                        ///< the shape the network was imported for
  bool input_shape_given = false;           ///< input_shape came from OnnxOptions::input_shape
  std::string output_name;
  Shape output_shape;
  std::map<std::string, std::size_t> layers;  ///< layer kind ("Conv2d", "ReLU", ...) -> count
  std::vector<NodeNote> folded;    ///< evaluated on constants at import time (Shape, Gather, ...)
  std::vector<NodeNote> merged;    ///< no layer: merged into another one (Pad, Add as a bias)
  std::vector<NodeNote> stripped;  ///< removed on purpose (a trailing Softmax)
  std::vector<Pattern> patterns;   ///< constructs recognised across several nodes
  std::vector<std::string> notes;  ///< anything else worth knowing, one line each

  void fold(std::string name, std::string op, std::string detail = {}) {
    folded.push_back({std::move(name), std::move(op), std::move(detail)});
  }
  void merge(std::string name, std::string op, std::string detail) {
    merged.push_back({std::move(name), std::move(op), std::move(detail)});
  }
  void strip(std::string name, std::string op, std::string why) {
    stripped.push_back({std::move(name), std::move(op), std::move(why)});
  }
  void recognised(std::string what, std::vector<std::string> nodes) {
    patterns.push_back({std::move(what), std::move(nodes)});
  }
  void note(std::string text) { notes.push_back(std::move(text)); }

  std::size_t layer_count() const {
    std::size_t n = 0;
    for (const auto& [kind, count] : layers) n += count;
    return n;
  }
  bool was_stripped(const std::string& op) const {
    for (const auto& s : stripped)
      if (s.op == op) return true;
    return false;
  }

  /// The report as indented lines; long node lists are grouped by op with the first names.
  std::string to_text() const {
    std::string s = "ONNX import of '" + file + "'\n";
    s += "  input  '" + input_name + "' " + list(declared_input, "[", "]");
    if (!symbolic_dims.empty()) s += " (symbolic: " + list(symbolic_dims, "", "") + ")";
    s += " imported as " + input_shape.str() + (input_shape_given ? " (OnnxOptions::input_shape)" : "") + "\n";
    s += "  output '" + output_name + "' " + output_shape.str() + "\n";
    std::vector<std::string> kinds;
    for (const auto& [kind, count] : layers) kinds.push_back(kind + " " + std::to_string(count));
    s += "  layers (" + std::to_string(layer_count()) + "): " + list(kinds, "", "") + "\n";
    for (const auto& p : patterns)
      s += "  recognised: " + p.what + " (" + names(p.nodes, 6) + ")\n";
    s += section("evaluated on constants", folded);
    s += section("merged into other layers", merged);
    for (const auto& n : stripped) s += "  stripped: " + n.op + " '" + n.name + "': " + n.detail + "\n";
    for (const auto& n : notes) s += "  note: " + n + "\n";
    return s;
  }
  std::string to_string() const { return to_text(); }

 private:
  static std::string list(const std::vector<std::string>& v, const char* open, const char* close) {
    std::string s = open;
    for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + v[i];
    return s + close;
  }
  static std::string names(const std::vector<std::string>& v, std::size_t first) {
    std::string s;
    for (std::size_t i = 0; i < v.size() && i < first; ++i) s += (i ? ", '" : "'") + v[i] + "'";
    return v.size() > first ? s + ", ... " + std::to_string(v.size() - first) + " more" : s;
  }
  // "title (n): Op k ('a', 'b', ...), ..." with ops in order of first appearance.
  static std::string section(const char* title, const std::vector<NodeNote>& nodes) {
    if (nodes.empty()) return {};
    std::vector<std::pair<std::string, std::vector<std::string>>> by_op;
    for (const auto& n : nodes) {
      auto it = by_op.begin();
      while (it != by_op.end() && it->first != n.op) ++it;
      if (it == by_op.end()) it = by_op.insert(by_op.end(), {n.op, {}});
      it->second.push_back(n.name);
    }
    std::string s = "  " + std::string(title) + " (" + std::to_string(nodes.size()) + "):";
    for (const auto& [op, v] : by_op) s += "\n    " + op + " " + std::to_string(v.size()) + " (" + names(v, 3) + ")";
    return s + "\n";
  }
};

ATTRIB_END_NAMESPACE
