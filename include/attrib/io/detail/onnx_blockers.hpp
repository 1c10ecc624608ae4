#pragma once
// The nodes that stop an ONNX import, collected over the whole graph so that one IoError lists
// them all (grouped by op, with counts and the first node names). After a blocked node the
// walk goes on: its output becomes a placeholder activation when its shape is evident (an
// element-wise op or a Concat), so that the nodes after it are still checked; otherwise the
// output is unknown and the nodes reading it are skipped (counted, not checked). Part of
// attrib::onnx (needs libonnx).
#include "attrib/core/config.hpp"

#include <algorithm>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "attrib/io/detail/onnx_graph.hpp"

ATTRIB_BEGIN_NAMESPACE
namespace detail::onnxio {

/// Ops whose output has the broadcast shape of their inputs (with no layer in attrib, or with
/// one that may still reject a node).
inline bool is_elementwise_op(const std::string& op) {
  static const char* const ops[] = {"Abs", "Add", "Celu", "Clip", "Div", "Elu", "Erf", "Exp", "Gelu",
                                    "HardSigmoid", "HardSwish", "LeakyRelu", "Log", "LogSoftmax", "Max",
                                    "Min", "Mish", "Mul", "Neg", "PRelu", "Pow", "Reciprocal", "Relu",
                                    "Selu", "Sigmoid", "Softmax", "Softplus", "Softsign", "Sqrt", "Sub",
                                    "Sum", "Tanh", "ThresholdedRelu"};
  return std::any_of(std::begin(ops), std::end(ops), [&](const char* o) { return op == o; });
}

/// One node that cannot be imported: its error id (without "attrib."), the reason (the
/// converter's message after the node prefix) and the whole message.
struct Blocker {
  std::string op, name, id, why, message;
};

class Blockers {
 public:
  bool empty() const { return list_.empty(); }
  std::size_t size() const { return list_.size(); }

  void add(const Where& w, std::string id, std::string why) {
    if (id.compare(0, 7, "attrib.") == 0) id.erase(0, 7);
    std::string message = w.prefix() + ": " + why;
    list_.push_back({w.op, w.name, std::move(id), std::move(why), std::move(message)});
  }
  /// Records a converter's error; its message minus the "[id] ONNX file ...: node ... (op): ".
  void add_error(const Where& w, const std::string& id, const std::string& what) {
    const std::string prefix = w.prefix() + ": ";
    const auto k = what.find(prefix);
    const std::string tag = "[" + id + "] ";
    add(w, id, k != std::string::npos ? what.substr(k + prefix.size())
               : what.compare(0, tag.size(), tag) == 0 ? what.substr(tag.size()) : what);
  }

  /// Whether an input of n is the unknown output of a blocked node.
  bool reads_unknown(const Node& n) const {
    return std::any_of(n.input().begin(), n.input().end(), [&](const std::string& v) { return unknown_.count(v) > 0; });
  }
  /// A node not checked because it reads an unknown value; its outputs are unknown too.
  void skip(const Node& n) {
    ++skipped_;
    mark_unknown(n);
  }
  /// Defines the outputs of blocked node n: a placeholder activation when the shape is evident.
  template <class T>
  void stand_in(Importer<T>& im, const Node& n, const Where& w) {
    Shape s;
    Index from = -2;
    if (n.output_size() >= 1 && placeholder_shape(im, n, s, from)) {
      im.pending().push_back(PendingNode<T>{w.name, AnyLayer<T>(Identity<T>()), {from}, s});
      im.define(n, 0, Value::activation(static_cast<Index>(im.pending().size()) - 1, s));
      for (int k = 1; k < n.output_size(); ++k) unknown_.insert(n.output(k));
    } else {
      mark_unknown(n);
    }
  }

  /// Throws the IoError listing every blocker: the single blocker's own message, or a summary
  /// grouped by op. Its id is io.210 if any op is unsupported, otherwise the first blocker's.
  [[noreturn]] void raise_all(const std::string& file, const std::string& supported) const {
    const Blocker& first = list_.front();
    const bool unsupported = std::any_of(list_.begin(), list_.end(), [](const Blocker& b) { return b.id == "io.210"; });
    const std::string id = unsupported ? "io.210" : first.id;
    const std::string after = skipped_ ? " (" + std::to_string(skipped_) + " node" + (skipped_ == 1 ? "" : "s") +
                                             " after it not checked)" : "";
    if (list_.size() == 1)
      raise<IoError>(id.c_str(), first.message, needs_list(first) ? "; " + supported : "", after);
    std::vector<std::string> ops;
    for (const auto& b : list_)
      if (std::find(ops.begin(), ops.end(), b.op) == ops.end()) ops.push_back(b.op);
    std::string s = "ONNX file '" + file + "': " + std::to_string(list_.size()) + " nodes of " +
                    std::to_string(ops.size()) + " op type" + (ops.size() == 1 ? "" : "s") + " cannot be imported";
    if (skipped_) s += " (" + std::to_string(skipped_) + " node" + (skipped_ == 1 ? "" : "s") + " after them not checked)";
    s += ":";
    bool list_ops = false;
    for (const auto& op : ops) {
      std::size_t count = 0;
      for (const auto& b : list_) count += b.op == op;
      s += "\n  " + op + ": " + std::to_string(count) + " node" + (count == 1 ? "" : "s");
      std::vector<const Blocker*> reasons;  // distinct (id, why) of this op, in order
      for (const auto& b : list_)
        if (b.op == op && std::none_of(reasons.begin(), reasons.end(),
                                       [&](const Blocker* r) { return r->id == b.id && r->why == b.why; }))
          reasons.push_back(&b);
      for (const Blocker* r : reasons) {
        std::vector<std::string> names;
        for (const auto& b : list_)
          if (b.op == op && b.id == r->id && b.why == r->why) names.push_back(b.name);
        s += "\n    [" + r->id + "] " + r->why + "; nodes " + first_names(names, 3);
        list_ops = list_ops || needs_list(*r);
      }
    }
    if (list_ops) s += "\n" + supported;
    raise<IoError>(id.c_str(), s);
  }

 private:
  // The op lists help when the op itself is unknown; a converter's message says what it supports.
  static bool needs_list(const Blocker& b) {
    return b.id == "io.210" && (b.why.rfind("operator not supported", 0) == 0 || b.why.rfind("operator domain", 0) == 0);
  }
  static std::string first_names(const std::vector<std::string>& v, std::size_t n) {
    std::string s;
    for (std::size_t i = 0; i < v.size() && i < n; ++i) s += (i ? ", '" : "'") + v[i] + "'";
    return v.size() > n ? s + " and " + std::to_string(v.size() - n) + " more" : s;
  }
  void mark_unknown(const Node& n) {
    for (const auto& o : n.output())
      if (!o.empty()) unknown_.insert(o);
  }
  // Output shape of an element-wise op (numpy broadcasting of its inputs) or of a Concat of
  // activations; `from` is the producer of the first activation input.
  template <class T>
  static bool placeholder_shape(const Importer<T>& im, const Node& n, Shape& out, Index& from) {
    const bool concat = n.op_type() == "Concat";
    if (!concat && !is_elementwise_op(n.op_type())) return false;
    std::vector<std::vector<Index>> shapes;
    for (const auto& name : n.input()) {
      if (name.empty()) continue;
      const Value* v = im.find(name);
      if (!v) return false;
      if (!v->is_constant() && from == -2) from = v->node;
      if (v->is_constant() && concat) return false;
      shapes.push_back(v->is_constant() ? std::vector<Index>(v->c.dims.begin(), v->c.dims.end())
                                        : std::vector<Index>(v->shape.begin(), v->shape.end()));
    }
    if (from == -2 || shapes.empty()) return false;
    std::vector<Index> r = shapes.front();
    for (std::size_t k = 1; k < shapes.size(); ++k) {
      const auto& s = shapes[k];
      if (concat) {
        std::int64_t axis = 1;
        for (const auto& a : n.attribute())
          if (a.name() == "axis") axis = a.i();
        axis = axis < 0 ? axis + static_cast<std::int64_t>(r.size()) : axis;
        if (s.size() != r.size() || axis < 0 || axis >= static_cast<std::int64_t>(r.size())) return false;
        r[static_cast<std::size_t>(axis)] += s[static_cast<std::size_t>(axis)];
        continue;
      }
      std::vector<Index> b(std::max(r.size(), s.size()), 1);
      for (std::size_t i = 0; i < b.size(); ++i) {
        const Index x = i + r.size() >= b.size() ? r[i + r.size() - b.size()] : 1;
        const Index y = i + s.size() >= b.size() ? s[i + s.size() - b.size()] : 1;
        if (x != y && x != 1 && y != 1) return false;
        b[i] = x == 1 ? y : x;
      }
      r = b;
    }
    if (r.size() < 1 || r.size() > 4) return false;
    out = Shape::from_range(r.begin(), r.end());
    return true;
  }

  std::vector<Blocker> list_;
  std::set<std::string> unknown_;
  std::size_t skipped_ = 0;
};

}  // namespace detail::onnxio
ATTRIB_END_NAMESPACE
