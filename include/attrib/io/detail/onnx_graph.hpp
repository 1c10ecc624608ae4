#pragma once
// The ONNX importer's state: graph values (constants, activations, zero-padded activations),
// node attributes with validation, and the layers built so far. The op converters
// (onnx_layers.hpp, onnx_shape_ops.hpp) read values through Importer and append layers;
// attrib/io/onnx.hpp drives the graph walk. Part of attrib::onnx (needs libonnx).
#include "attrib/core/config.hpp"
#include <onnx/onnx_pb.h>

#include <array>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "attrib/core/span.hpp"
#include "attrib/io/detail/onnx_tensor.hpp"
#include "attrib/io/onnx_report.hpp"
#include "attrib/models/network.hpp"

ATTRIB_BEGIN_NAMESPACE

/// Options of import_onnx / load_onnx.
template <class T>
struct OnnxOptions {
  /// Data for graph inputs that hold weights rather than the model input (ONNX's node tests
  /// and some exporters pass weights as inputs). Overrides an initializer of the same name.
  std::map<std::string, Tensor<T>> tensors;
  /// The input shape to import for, [N, ...] (needed when C, H or W are symbolic in the file;
  /// its non-batch dimensions must equal the file's fixed ones).
  std::optional<Shape> input_shape;
  /// Keep a Softmax / LogSoftmax at the model output instead of stripping it (the default
  /// strips it so that the explained quantity is the logit). attrib has no Softmax layer yet,
  /// so keeping it makes the import fail with io.210.
  bool keep_softmax = false;
};

/// An imported model: the network plus what the file said about its input and output.
template <class T>
struct OnnxModel {
  Network<T> network;
  std::string input_name;          ///< the graph input the network reads
  Shape input_shape;               ///< declared shape; a symbolic batch dimension reads 1
  bool symbolic_batch = false;     ///< the file declares the batch dimension symbolically
  std::string output_name;         ///< the graph value the network computes (logits)
  Shape output_shape;              ///< network output shape for input_shape
  std::int64_t opset = 0;          ///< version of the default ("ai.onnx") operator set
  std::string producer;            ///< producer_name and producer_version from the file
  std::vector<std::string> notices;  ///< what was dropped or reinterpreted, one line each
  OnnxLoadReport report;           ///< layers by kind, folded / merged / stripped nodes, patterns
};

namespace detail::onnxio {

using Node = ::onnx::NodeProto;

/// Names the node being converted in every message.
struct Where {
  std::string file, name, op;
  std::string prefix() const { return "ONNX file '" + file + "': node '" + name + "' (" + op + ")"; }
};

template <class... A>
[[noreturn]] void fail(const char* id, const Where& w, const A&... a) {
  raise<IoError>(id, w.prefix(), ": ", a...);
}

/// A node's attributes; construction rejects attribute names the converter does not know.
class Attrs {
 public:
  Attrs(const Node& n, const Where& w, std::initializer_list<const char*> known) : n_(n), w_(w) {
    for (const auto& a : n.attribute()) {
      bool ok = false;
      std::string list;
      for (const char* k : known) {
        ok = ok || a.name() == k;
        list += (list.empty() ? "" : ", ") + std::string(k);
      }
      if (!ok)
        fail("io.211", w, "attribute '", a.name(), "' is not supported; supported attributes: ",
             list.empty() ? "none" : list);
    }
  }
  const ::onnx::AttributeProto* find(const char* name) const {
    for (const auto& a : n_.attribute())
      if (a.name() == name) return &a;
    return nullptr;
  }
  bool has(const char* name) const { return find(name) != nullptr; }
  std::int64_t i(const char* name, std::int64_t def) const {
    const auto* a = typed(name, ::onnx::AttributeProto::INT, "an integer");
    return a ? a->i() : def;
  }
  double f(const char* name, double def) const {
    const auto* a = typed(name, ::onnx::AttributeProto::FLOAT, "a float");
    return a ? a->f() : def;
  }
  std::string s(const char* name, const std::string& def) const {
    const auto* a = typed(name, ::onnx::AttributeProto::STRING, "a string");
    return a ? a->s() : def;
  }
  std::vector<std::int64_t> ints(const char* name, std::vector<std::int64_t> def = {}) const {
    const auto* a = typed(name, ::onnx::AttributeProto::INTS, "a list of integers");
    return a ? std::vector<std::int64_t>(a->ints().begin(), a->ints().end()) : def;
  }
  /// An INTS attribute with exactly n values (default `def` when absent).
  std::vector<std::int64_t> ints_n(const char* name, std::size_t n, std::vector<std::int64_t> def) const {
    auto v = ints(name, std::move(def));
    if (v.size() != n)
      fail("io.212", w_, "attribute ", name, " = ", dims_str(v), " has ", v.size(), " values, expected ", n,
           " (attrib supports 2-D spatial operations)");
    return v;
  }

 private:
  // Old files may leave `type` unset (UNDEFINED); then the field that is present decides.
  const ::onnx::AttributeProto* typed(const char* name, int type, const char* what) const {
    const auto* a = find(name);
    if (a && a->type() != type && a->type() != ::onnx::AttributeProto::UNDEFINED)
      fail("io.212", w_, "attribute ", name, " has type ",
           ::onnx::AttributeProto_AttributeType_Name(a->type()), ", expected ", what);
    return a;
  }
  const Node& n_;
  const Where& w_;
};

/// A graph value during import.
struct Value {
  /// partial: an intermediate of a construct spread over several nodes (channel shuffle, GELU's
  /// decomposition) that becomes a layer only at its last node; other ops cannot read it.
  enum class Kind { constant, activation, padded, partial };
  Kind kind = Kind::constant;
  Constant c;                       // constant
  Index node = -1;                  // activation, padded: producing layer (-1 = model input)
  Shape shape;                      // activation, padded: the layer output's shape (unpadded)
  bool nonnegative = false;         // activation: a Relu output (zero padding cannot win a max)
  std::array<Index, 4> pads{};      // padded: zeros added at top, left, bottom, right
  std::string pad_node;             // padded: the Pad node, for messages
  std::string pattern;              // partial: the construct ("channel shuffle", "GELU")
  int stage = 0;                    // partial: how far the construct has got
  Index groups = 0;                 // partial channel shuffle: the groups
  bool has_x = false, has_half = false;  // partial GELU: factors x and 1/2 seen
  double epsilon = 0;               // partial LayerNorm: the variance's epsilon
  std::vector<std::string> nodes;   // partial: the nodes of the construct so far

  static Value constant(Constant c) {
    Value v;
    v.c = std::move(c);
    return v;
  }
  static Value activation(Index node, const Shape& s) {
    Value v;
    v.kind = Kind::activation;
    v.node = node;
    v.shape = s;
    return v;
  }
  bool is_constant() const { return kind == Kind::constant; }
};

/// A layer waiting to be added to the Network (bias folding may still replace it).
template <class T>
struct PendingNode {
  std::string name;
  AnyLayer<T> layer;
  std::vector<Index> inputs;  ///< producing pending nodes (-1 = model input), one per layer input
  Shape shape;
};

/// 'a', 'b', 'c' (node names in messages).
inline std::string dims_names(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "'" : ", '") + x + "'";
  return s;
}

/// Largest activation (elements per batch item) an imported network may produce: 2^28, far
/// beyond any CNN, so that a corrupt or hostile file cannot make a forward pass allocate
/// without bound.
inline constexpr Index max_activation = Index(1) << 28;

template <class T>
class Importer {
 public:
  Importer(std::string file, std::int64_t opset, std::map<std::string, int> uses)
      : file_(std::move(file)), opset_(opset), uses_(std::move(uses)) {}

  const std::string& file() const { return file_; }
  std::int64_t opset() const { return opset_; }

  static bool has_input(const Node& n, int k) { return k < n.input_size() && !n.input(k).empty(); }
  static bool has_output(const Node& n, int k) { return k < n.output_size() && !n.output(k).empty(); }

  /// Input k of n; missing or undefined inputs are an error.
  const Value& value(const Node& n, int k, const Where& w) const {
    if (!has_input(n, k)) fail("io.213", w, "input ", k, " is missing");
    auto it = values_.find(n.input(k));
    if (it == values_.end())
      fail("io.213", w, "input ", k, " '", n.input(k), "' is not produced by any earlier node, initializer or input "
           "(ONNX graphs are topologically sorted)");
    return it->second;
  }
  /// Input k, which must be fixed data (an initializer, Constant or supplied tensor).
  const Constant& constant(const Node& n, int k, const Where& w, const char* what) const {
    const Value& v = value(n, k, w);
    if (!v.is_constant())
      fail("io.213", w, what, " (input ", k, " '", n.input(k), "') depends on the model input; attrib needs it "
           "as fixed data (an initializer, a Constant node or a tensor in OnnxOptions::tensors)");
    return v.c;
  }
  /// Input k, which must be computed from the model input. A zero-padded value (from Pad) is
  /// accepted only by the converters that can merge the padding.
  const Value& activation(const Node& n, int k, const Where& w, bool allow_padded = false) const {
    const Value& v = value(n, k, w);
    if (v.is_constant())
      fail("io.213", w, "input ", k, " '", n.input(k), "' is fixed data; attrib supports this operation only on "
           "values computed from the model input");
    if (v.kind == Value::Kind::partial)
      fail("io.214", w, "input ", k, " '", n.input(k), "' is an intermediate of a ", v.pattern, " (nodes ",
           dims_names(v.nodes), "); attrib imports that construct only as a whole, its intermediate values cannot "
           "feed other ops");
    if (v.kind == Value::Kind::padded && !allow_padded)
      fail("io.215", w, "its input comes from Pad '", v.pad_node, "', whose padding can be merged only into a "
           "following Conv, AveragePool, or MaxPool of non-negative (Relu) values");
    return v;
  }
  void define(const Node& n, int k, Value v) {
    if (has_output(n, k)) values_[n.output(k)] = std::move(v);
  }
  void define(const std::string& name, Value v) { values_[name] = std::move(v); }
  const Value* find(const std::string& name) const {
    auto it = values_.find(name);
    return it == values_.end() ? nullptr : &it->second;
  }
  /// Number of uses of value `name` by converted nodes (the model output counts once).
  int uses(const std::string& name) const {
    auto it = uses_.find(name);
    return it == uses_.end() ? 0 : it->second;
  }
  /// Output k of n must not be used (e.g. MaxPool's Indices, BatchNormalization's running stats).
  void require_unused(const Node& n, int k, const Where& w, const char* what) const {
    if (has_output(n, k) && uses(n.output(k)) > 0)
      fail("io.214", w, "output ", k, " (", what, ") is used by the graph; attrib computes only output 0");
  }

  /// Appends a layer reading a (and b); returns the activation it produces.
  template <class L>
  Value add(const Where& w, L layer, const Value& a, const Value* b = nullptr) {
    if constexpr (is_binary_layer_v<L>) return add_n(w, std::move(layer), {&a, b});
    else return add_n(w, std::move(layer), {&a});
  }
  /// Appends a layer reading the activations `in` (its arity's count); returns its output.
  template <class L>
  Value add_n(const Where& w, L layer, const std::vector<const Value*>& in) {
    Shape out;
    std::vector<Shape> shapes;
    std::vector<Index> nodes;
    for (const Value* v : in) {
      shapes.push_back(v->shape);
      nodes.push_back(v->node);
    }
    if constexpr (L::arity == variadic) out = layer.output_shape(Span<Shape>(shapes));
    else if constexpr (is_binary_layer_v<L>) out = layer.output_shape(shapes.at(0), shapes.at(1));
    else out = layer.output_shape(shapes.at(0));
    Index items = 1;
    for (int i = 1; i < out.rank(); ++i) items = sat_mul(items, out[i]);
    if (items > max_activation) fail("io.214", w, "output shape ", out, " has more than 2^28 elements per item");
    pending_.push_back(PendingNode<T>{w.name, AnyLayer<T>(std::move(layer)), std::move(nodes), out});
    return Value::activation(static_cast<Index>(pending_.size()) - 1, out);
  }
  PendingNode<T>& pending(Index i) { return pending_[static_cast<std::size_t>(i)]; }
  std::vector<PendingNode<T>>& pending() { return pending_; }
  void notice(std::string s) { notices_.push_back(std::move(s)); }
  std::vector<std::string>& notices() { return notices_; }

  /// What the import did, for OnnxModel::report; converters append to it (report.recognised(
  /// "ChannelShuffle", {node names}), report.merge(...), report.note(...)).
  OnnxLoadReport report;

  /// Index of the model's batch size in shape computations (1 when symbolic).
  Index batch() const { return batch_; }
  bool symbolic_batch() const { return symbolic_batch_; }
  void set_batch(Index b, bool symbolic) {
    batch_ = b;
    symbolic_batch_ = symbolic;
  }

 private:
  std::string file_;
  std::int64_t opset_;
  std::map<std::string, int> uses_;
  std::map<std::string, Value> values_;
  std::vector<PendingNode<T>> pending_;
  std::vector<std::string> notices_;
  Index batch_ = 1;
  bool symbolic_batch_ = false;
};

/// Converts a typed copy of a constant for a layer parameter ("weight W of node ...").
template <class T>
Tensor<T> weights(const Constant& c, const Where& w, const char* what) {
  if (c.integer) fail("io.213", w, what, " has integer type, expected FLOAT or DOUBLE");
  return to_tensor<T>(c, w.prefix() + ": " + what);
}

}  // namespace detail::onnxio
ATTRIB_END_NAMESPACE
