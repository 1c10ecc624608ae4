#pragma once
// Fills OnnxLoadReport while the importer walks the graph: which nodes were evaluated on
// constants, merged into another layer, or recognised as a pattern (torch's flatten subgraph),
// and, at the end, the layers by kind and the notes. Part of attrib::onnx (needs libonnx).
#include "attrib/core/config.hpp"

#include <algorithm>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "attrib/io/detail/onnx_graph.hpp"

ATTRIB_BEGIN_NAMESPACE
namespace detail::onnxio {

/// Kind of a pending layer ("Flatten", "Conv2d", ...).
template <class T>
const char* pending_kind(const PendingNode<T>& p) {
  return std::visit([](const auto& l) { return std::decay_t<decltype(l)>::kind; }, p.layer);
}

/// Records each converted node in im.report.
template <class T>
class ReportRecorder {
 public:
  /// Node n (the `order`-th of the graph) was converted; `before` layers existed before it.
  void record(Importer<T>& im, const Node& n, const Where& w, int order, std::size_t before) {
    const Value* v = Importer<T>::has_output(n, 0) ? im.find(n.output(0)) : nullptr;
    if (!v) return;
    if (v->is_constant()) {
      im.report.fold(w.name, w.op);
      for (const auto& o : n.output())
        folded_by_[o] = Folded{order, w.name, w.op, {n.input().begin(), n.input().end()}};
      return;
    }
    if (v->kind == Value::Kind::partial) {
      im.report.merge(w.name, w.op, "part of a " + v->pattern + " (one layer at its last node)");
      return;
    }
    if (im.pending().size() == before) {
      std::string detail = v->kind == Value::Kind::padded ? "zero padding merged into the next Conv or pool"
                           : v->node < 0                   ? "passes the model input through"
                           : w.op == "Add"                 ? "added to the bias of '" + im.pending(v->node).name + "'"
                                                           : "merged into '" + im.pending(v->node).name + "'";
      im.report.merge(w.name, w.op, std::move(detail));
      return;
    }
    if (w.op == "Reshape" && std::string(pending_kind(im.pending().back())) == "Flatten" && n.input_size() > 1)
      recognise_flatten(im, n.input(1), w);
  }

  /// Layer counts of the built network, converter notices and hints, after the import.
  static void finish(OnnxLoadReport& r, const Network<T>& net, const std::vector<std::string>& notices) {
    for (Index i = 0; i < net.size(); ++i) ++r.layers[net.node(i).kind];
    for (const auto& s : notices)
      if (s.find("at the output dropped") == std::string::npos) r.note(s);
    const auto bn = r.layers.find("BatchNorm2d");
    if (bn != r.layers.end())
      r.note(std::to_string(bn->second) + " BatchNormalization node(s) kept as BatchNorm2d layers; "
             "attrib::canonize(network) folds those that follow a Conv2d or Dense into that layer (as LRP "
             "composites and Zennit's canonizers expect)");
    if (r.layers.count("Identity") || r.layers.count("Dropout"))
      r.note("Identity, Dropout and identity Cast/Transpose/Reshape nodes are kept as pass-through layers "
             "(y = x at inference)");
  }

 private:
  struct Folded {
    int order;
    std::string name, op;
    std::vector<std::string> inputs;
  };
  // The constant subgraph that computed `shape` (Shape, Gather, Unsqueeze, Concat, ...).
  void recognise_flatten(Importer<T>& im, const std::string& shape, const Where& w) {
    std::vector<const Folded*> chain;
    std::vector<std::string> todo{shape};
    while (!todo.empty()) {
      auto it = folded_by_.find(todo.back());
      todo.pop_back();
      if (it == folded_by_.end() || std::find(chain.begin(), chain.end(), &it->second) != chain.end()) continue;
      chain.push_back(&it->second);
      todo.insert(todo.end(), it->second.inputs.begin(), it->second.inputs.end());
    }
    if (chain.empty()) return;
    std::sort(chain.begin(), chain.end(), [](const Folded* a, const Folded* b) { return a->order < b->order; });
    std::string what = "Flatten from ";
    std::vector<std::string> ops, nodes;
    for (const Folded* f : chain) {
      if (std::find(ops.begin(), ops.end(), f->op) == ops.end()) ops.push_back(f->op);
      nodes.push_back(f->name);
    }
    for (const auto& op : ops) what += op + "/";
    nodes.push_back(w.name);
    im.report.recognised(what + "Reshape", std::move(nodes));
  }

  std::map<std::string, Folded> folded_by_;  // output value -> the folded node computing it
};

}  // namespace detail::onnxio
ATTRIB_END_NAMESPACE
