#pragma once
// ONNX import into the runtime Network (optional: link attrib::onnx, which brings Debian's
// libonnx and protobuf). One layer per ONNX node that computes on the model input; weights,
// shapes and other fixed data are evaluated at import time.
//
//   auto model = attrib::import_onnx<float>("net.onnx");        // OnnxModel<float>
//   auto e = attrib::explain(model.network, attrib::Gradient{}, x.cview(), target);
//   Network<float> net = attrib::load_onnx<float>("net.onnx");  // just the network
//
// Supported ops, attributes, the flatten pattern, what is dropped with a notice and the error
// ids (io.200-io.230, plus io.100/io.101 for unreadable files) are listed in docs/io.md.
#include "attrib/core/config.hpp"
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "attrib/io/detail/binary.hpp"
#include "attrib/io/detail/onnx_blockers.hpp"
#include "attrib/io/detail/onnx_graph.hpp"
#include "attrib/io/detail/onnx_layers.hpp"
#include "attrib/io/detail/onnx_load_report.hpp"
#include "attrib/io/detail/onnx_shape_ops.hpp"
#include "attrib/io/detail/onnx_structure.hpp"
#include "attrib/io/onnx_report.hpp"

ATTRIB_BEGIN_NAMESPACE
namespace detail::onnxio {

template <class T>
using Converter = void (*)(Importer<T>&, const Node&, const Where&);

/// A converter and where its op works: `on_activations` is nullptr when the op is evaluated
/// only on constants, "" when it makes a layer (or merges into one) without restriction, or the
/// restriction; `on_constants` when it is also evaluated on fixed data at import time.
template <class T>
struct OpConverter {
  const char* op;
  Converter<T> convert;
  const char* on_activations;
  bool on_constants;
};

/// The supported ops (alphabetical); Softmax/LogSoftmax at the output are stripped before.
template <class T>
inline constexpr OpConverter<T> converters[] = {
    {"Add", convert_add_any<T>, "residual sum of equal shapes, or with a constant: folded into the bias before it (a constant along the last axis also into LayerNorm's shift) or ConstAffine", true},
    {"AveragePool", convert_avg_pool_any<T>, "2-D, 1-D", false},
    {"BatchNormalization", convert_batch_norm<T>, "", false},
    {"Cast", convert_cast<T>, "to FLOAT or DOUBLE", true},
    {"Clip", convert_clip<T>, "constant bounds; Clip(0, 6) is ReLU6", false},
    {"Concat", convert_concat_any<T>, "of activations along axis >= 1", true},
    {"Constant", convert_constant<T>, nullptr, true},
    {"ConstantOfShape", convert_constant_of_shape<T>, nullptr, true},
    {"Conv", convert_conv_any<T>, "2-D, 1-D", false},
    {"Div", convert_binary<T, '/'>, "by a constant: ConstAffine", true},
    {"Dropout", convert_dropout<T>, "", true},
    {"Elu", convert_elu<T>, "", false},
    {"Erf", convert_erf<T>, "inside GELU's decomposition x * 0.5 * (1 + Erf(x / sqrt 2))", false},
    {"Flatten", convert_flatten<T>, "axis 1", true},
    {"Gather", convert_gather<T>, nullptr, true},
    {"Gelu", convert_gelu<T>, "", false},
    {"Gemm", convert_gemm<T>, "", false},
    {"GlobalAveragePool", convert_global_avg_pool_any<T>, "", false},
    {"HardSigmoid", convert_hard_sigmoid<T>, "", false},
    {"HardSwish", convert_hard_swish<T>, "", false},
    {"Identity", convert_identity<T>, "", true},
    {"LayerNormalization", convert_layer_normalization<T>, "over the last axis", false},
    {"LeakyRelu", convert_leaky_relu<T>, "", false},
    {"MatMul", convert_matmul<T>, "by a constant matrix, on the last axis", false},
    {"MaxPool", convert_max_pool_any<T>, "2-D, 1-D", false},
    {"Mul", convert_binary<T, '*'>, "of two activations (gates, x * sigmoid(x)) or by a constant (along the last axis: folded into LayerNorm's scale)", true},
    {"Pad", convert_pad<T>, "zeros on H, W or L, merged into the next Conv or pool", false},
    {"PRelu", convert_prelu<T>, "constant slope, one or one per channel", false},
    {"Pow", convert_pow<T>, "inside LayerNorm's decomposition", false},
    {"ReduceMean", convert_reduce_mean<T>, "over all spatial axes; over the last axis inside LayerNorm's decomposition", false},
    {"Relu", convert_relu<T>, "", false},
    {"Reshape", convert_reshape_any<T>, "flatten to [N, rest], the same shape, or a channel shuffle", true},
    {"Shape", convert_shape<T>, nullptr, true},
    {"Sigmoid", convert_sigmoid<T>, "", false},
    {"Slice", convert_slice_any<T>, "along one axis >= 1, step >= 1", true},
    {"Softplus", convert_softplus<T>, "", false},
    {"Split", convert_split<T>, "along one axis >= 1", false},
    {"Sqrt", convert_sqrt<T>, "inside LayerNorm's decomposition", false},
    {"Squeeze", convert_squeeze<T>, nullptr, true},
    {"Sub", convert_binary<T, '-'>, "with a constant: ConstAffine", true},
    {"Tanh", convert_tanh<T>, "", false},
    {"Transpose", convert_transpose_any<T>, "of the axes after the batch axis, or inside a channel shuffle", true},
    {"Unsqueeze", convert_unsqueeze<T>, nullptr, true},
};

/// Two lists: the ops that work on activations (with their restrictions) and the ops that are
/// evaluated on constants only (weights, shapes) at import time.
template <class T>
std::string supported_ops() {
  std::string act, folded;
  for (const auto& c : converters<T>) {
    if (c.on_activations) act += std::string(act.empty() ? "" : ", ") + c.op + (*c.on_activations ? std::string(" (") + c.on_activations + ")" : "");
    if (!c.on_activations) folded += std::string(folded.empty() ? "" : ", ") + c.op;
  }
  return "supported on activations: " + act + ", Softmax/LogSoftmax (at the output only, stripped); evaluated on "
         "constants only (shapes, weights) at import time: " + folded + "; ops on activations also evaluate on constants";
}

/// The converter for op n (nullptr: unsupported).
template <class T>
Converter<T> find_converter(const Node& n) {
  for (const auto& c : converters<T>)
    if (n.op_type() == c.op) return c.convert;
  return nullptr;
}

inline bool is_softmax(const Node& n) { return n.op_type() == "Softmax" || n.op_type() == "LogSoftmax"; }

inline std::string file_prefix(const std::string& file) { return "ONNX file '" + file + "'"; }

/// The model input's shape from its declaration and OnnxOptions::input_shape; fills the
/// report's declared and symbolic dimensions and tells whether the batch is symbolic.
template <class T>
Shape input_shape(const ::onnx::ValueInfoProto& in, const OnnxOptions<T>& opt, const std::string& file,
                  bool& symbolic_batch, OnnxLoadReport& report) {
  const auto& type = in.type();
  const std::string who = file_prefix(file) + ": input '" + in.name() + "'";
  if (!type.has_tensor_type())
    raise<IoError>("io.205", who, " is not a tensor");
  const int et = type.tensor_type().elem_type();
  if (et != ::onnx::TensorProto::FLOAT && et != ::onnx::TensorProto::DOUBLE)
    raise<IoError>("io.205", who, " has element type ", data_type_name(et), "; supported: FLOAT, DOUBLE");
  symbolic_batch = false;
  report.input_shape_given = opt.input_shape.has_value();
  if (opt.input_shape && (opt.input_shape->rank() < 2 || opt.input_shape->sample_size() > max_activation))
    raise<IoError>("io.205", who, ": OnnxOptions::input_shape ", *opt.input_shape, " must be [N, ...] of rank 2 to 4 "
                   "with at most 2^28 elements per item");
  if (!type.tensor_type().has_shape()) {
    if (opt.input_shape) return *opt.input_shape;
    raise<IoError>("io.205", who, " has no declared shape; give OnnxOptions::input_shape");
  }
  const auto& dims = type.tensor_type().shape().dim();
  std::vector<Index> s;
  std::vector<int> symbolic;  // axes > 0 without a value
  Index items = 1;  // elements of one batch item (saturating)
  for (int i = 0; i < dims.size(); ++i) {
    const bool fixed = dims[i].has_dim_value() && dims[i].dim_value() > 0;
    const std::string name = fixed ? std::to_string(dims[i].dim_value())
                                   : dims[i].dim_param().empty() ? "?" : dims[i].dim_param();
    report.declared_input.push_back(name);
    if (!fixed) report.symbolic_dims.push_back(name + " (axis " + std::to_string(i) + ")");
    if (fixed) {
      if (dims[i].dim_value() > max_activation)
        raise<IoError>("io.205", who, " dimension ", i, " = ", dims[i].dim_value(), ": more than 2^28 elements per item");
      s.push_back(dims[i].dim_value());
      items = i > 0 ? sat_mul(items, s.back()) : items;
    } else {
      s.push_back(1);
      if (i == 0) symbolic_batch = true;
      else symbolic.push_back(i);
    }
  }
  const std::string declared = "[" + [&] {
    std::string d;
    for (const auto& x : report.declared_input) d += (d.empty() ? "" : ", ") + x;
    return d;
  }() + "]";
  if (opt.input_shape) {
    const Shape& given = *opt.input_shape;
    bool ok = given.rank() == dims.size();
    for (int i = 1; ok && i < dims.size(); ++i)
      ok = std::find(symbolic.begin(), symbolic.end(), i) != symbolic.end() || given[i] == s[static_cast<std::size_t>(i)];
    if (!ok)
      raise<IoError>("io.205", who, " is declared ", declared, "; OnnxOptions::input_shape ", given,
                     " must have its rank and its fixed dimensions after the batch");
    return given;
  }
  if (dims.size() < 2 || dims.size() > 4)
    raise<IoError>("io.205", who, " has rank ", dims.size(), "; attrib models take [N, features], [N, C, L] or "
                   "[N, C, H, W] (batch first)");
  if (!symbolic.empty()) {
    std::string list;
    for (int i : symbolic)
      list += (list.empty() ? "" : ", ") + std::to_string(i) + " ('" + report.declared_input[static_cast<std::size_t>(i)] + "')";
    raise<IoError>("io.205", who, " ", declared, ": dimension", symbolic.size() > 1 ? "s " : " ", list,
                   symbolic.size() > 1 ? " are" : " is", " symbolic; attrib imports for concrete sizes (layer shapes "
                   "and shape arithmetic depend on them): give OnnxOptions::input_shape");
  }
  if (items > max_activation)
    raise<IoError>("io.205", who, " ", declared, ": more than 2^28 elements per item");
  return Shape::from_range(s.begin(), s.end());
}

/// Nodes the output depends on, and how often each value is used by them.
inline std::vector<char> needed_nodes(const ::onnx::GraphProto& g, const std::string& output,
                                      std::map<std::string, int>& uses) {
  std::map<std::string, int> producer;
  for (int i = 0; i < g.node_size(); ++i)
    for (const auto& o : g.node(i).output()) producer[o] = i;
  std::vector<char> need(static_cast<std::size_t>(g.node_size()), 0);
  std::vector<std::string> todo{output};
  while (!todo.empty()) {
    const std::string v = todo.back();
    todo.pop_back();
    auto it = producer.find(v);
    if (it == producer.end() || need[static_cast<std::size_t>(it->second)]) continue;
    need[static_cast<std::size_t>(it->second)] = 1;
    for (const auto& in : g.node(it->second).input())
      if (!in.empty()) todo.push_back(in);
  }
  uses[output] += 1;
  for (int i = 0; i < g.node_size(); ++i)
    if (need[static_cast<std::size_t>(i)])
      for (const auto& in : g.node(i).input())
        if (!in.empty()) uses[in] += 1;
  return need;
}

/// Keeps the layers the output node depends on and adds them to a Network in order.
template <class T>
Network<T> build_network(std::vector<PendingNode<T>>& pending, Index output) {
  std::vector<char> keep(pending.size(), 0);
  keep[static_cast<std::size_t>(output)] = 1;
  for (Index i = output; i >= 0; --i)
    if (keep[static_cast<std::size_t>(i)])
      for (Index in : pending[static_cast<std::size_t>(i)].inputs)
        if (in >= 0) keep[static_cast<std::size_t>(in)] = 1;
  Network<T> net;
  std::vector<Index> index(pending.size(), -1);
  for (std::size_t i = 0; i < pending.size(); ++i) {
    if (!keep[i]) continue;
    auto& p = pending[i];
    std::vector<Index> in;
    for (Index k : p.inputs) in.push_back(k < 0 ? Network<T>::model_input : index[static_cast<std::size_t>(k)]);
    std::visit([&](auto& layer) { index[i] = net.add(std::move(layer), p.name, std::move(in)); }, p.layer);
  }
  return net;
}

/// Runs one converter; a rejected node becomes a blocker (with exceptions disabled the first
/// error goes to the error handler with the converter's own id).
template <class T>
bool convert_node(Importer<T>& im, Converter<T> convert, const Node& n, const Where& w, Blockers& blockers) {
#if ATTRIB_NO_EXCEPTIONS
  (void)blockers;
  convert(im, n, w);
  return true;
#else
  try {
    convert(im, n, w);
    return true;
  } catch (const IoError& e) {
    blockers.add_error(w, e.id(), e.what());
  } catch (const Error& e) {
    blockers.add(w, "io.217", std::string("rejected by attrib: ") + e.what());
  }
  return false;
#endif
}

template <class T>
OnnxModel<T> import_model(const ::onnx::ModelProto& m, const OnnxOptions<T>& opt, const std::string& file) {
  const std::string where = file_prefix(file);
  if (!m.has_graph()) raise<IoError>("io.202", where, ": no graph (truncated file or not an ONNX model)");
  std::int64_t opset = -1;
  for (const auto& o : m.opset_import())
    if (o.domain().empty() || o.domain() == "ai.onnx") opset = o.version();
  if (opset < 0)
    raise<IoError>("io.202", where, ": no opset_import for the default domain (IR version ", m.ir_version(),
                   "); the file is truncated or older than ONNX IR version 3");
  const auto& g = m.graph();
  OnnxModel<T> result;
  result.opset = opset;
  result.producer = m.producer_name() + (m.producer_version().empty() ? "" : " " + m.producer_version());

  // Fixed data: initializers, then caller-supplied tensors for graph inputs.
  std::map<std::string, Constant> fixed;
  for (const auto& t : g.initializer()) fixed[t.name()] = decode_tensor(t, where + ": initializer '" + t.name() + "'");
  std::set<std::string> input_names;
  for (const auto& in : g.input()) input_names.insert(in.name());
  for (const auto& [name, t] : opt.tensors) {
    if (!input_names.count(name) && !fixed.count(name)) {
      std::string list;
      for (const auto& in : g.input()) list += (list.empty() ? "'" : ", '") + in.name() + "'";
      raise<IoError>("io.230", where, ": OnnxOptions::tensors has '", name, "', which is not a graph input (",
                     list, ")");
    }
    std::vector<std::int64_t> dims(t.shape().begin(), t.shape().end());
    for (const auto& in : g.input())  // prefer the declared (ONNX) dims when the sizes agree
      if (in.name() == name && in.type().tensor_type().has_shape()) {
        std::vector<std::int64_t> d;
        for (const auto& dim : in.type().tensor_type().shape().dim()) d.push_back(dim.dim_value());
        if (product(d) == t.size()) dims = d;
      }
    fixed[name] = from_tensor(t, dims);
  }
  std::vector<const ::onnx::ValueInfoProto*> unfed;
  for (const auto& in : g.input())
    if (!fixed.count(in.name())) unfed.push_back(&in);
  if (unfed.size() != 1) {
    std::string list;
    for (const auto* in : unfed) list += (list.empty() ? "'" : ", '") + in->name() + "'";
    raise<IoError>("io.203", where, ": ", unfed.size(), " graph inputs without data (", list.empty() ? "none" : list,
                   "); attrib networks have exactly one input - supply the others (weights) in OnnxOptions::tensors");
  }
  result.input_name = unfed[0]->name();
  OnnxLoadReport& report = result.report;
  report.file = file;
  report.input_name = result.input_name;
  result.input_shape = input_shape(*unfed[0], opt, file, result.symbolic_batch, report);
  report.input_shape = result.input_shape;

  if (g.output_size() != 1)
    raise<IoError>("io.204", where, ": the graph has ", g.output_size(), " outputs; attrib imports single-output models");
  std::string output = g.output(0).name();
  for (const auto& n : g.node())
    if (!opt.keep_softmax && is_softmax(n) && n.output_size() > 0 && n.output(0) == output && n.input_size() > 0) {
      const std::string name = n.name().empty() ? n.op_type() : n.name();
      result.notices.push_back(n.op_type() + " '" + name + "' at the output dropped: attrib explains the logits ('" +
                               n.input(0) + "')");
      report.strip(name, n.op_type(), "at the model output; attrib explains its input, the logits '" + n.input(0) +
                                          "' (OnnxOptions::keep_softmax keeps it)");
      output = n.input(0);
    }
  result.output_name = output;
  report.output_name = output;

  std::map<std::string, int> uses;
  const std::vector<char> need = needed_nodes(g, output, uses);
  Importer<T> im(file, opset, std::move(uses));
  im.set_batch(result.input_shape[0], result.symbolic_batch);
  for (auto& [name, c] : fixed) im.define(name, Value::constant(std::move(c)));
  im.define(result.input_name, Value::activation(-1, result.input_shape));

  im.report = std::move(report);
  Blockers blockers;
  ReportRecorder<T> recorder;
  std::set<std::string> names;
  for (int i = 0; i < g.node_size(); ++i) {
    if (!need[static_cast<std::size_t>(i)]) continue;
    const Node& n = g.node(i);
    std::string name = n.name().empty() ? n.op_type() + "_" + std::to_string(i) : n.name();
    for (int k = 1; names.count(name); ++k) name = (n.name().empty() ? n.op_type() + "_" + std::to_string(i) : n.name()) + "_" + std::to_string(k);
    names.insert(name);
    const Where w{file, name, n.op_type()};
    Converter<T> convert = find_converter<T>(n);
    if (!n.domain().empty() && n.domain() != "ai.onnx") {
      blockers.add(w, "io.210", "operator domain '" + n.domain() + "' is not supported; supported: the default domain");
    } else if (!convert) {
      blockers.add(w, "io.210", !is_softmax(n) ? "operator not supported"
                                : opt.keep_softmax ? "attrib has no Softmax layer; OnnxOptions::keep_softmax = true keeps "
                                                     "it: set keep_softmax = false (the default) to strip it at the "
                                                     "output and explain the logits"
                                                   : "supported only at the model output, where it is stripped "
                                                     "(attrib explains the logits)");
    } else if (blockers.reads_unknown(n)) {
      blockers.skip(n);
      continue;
    } else {
      const std::size_t before = im.pending().size();
      if (convert_node(im, convert, n, w, blockers)) {
        recorder.record(im, n, w, i, before);
        continue;
      }
    }
    blockers.stand_in(im, n, w);
  }
  result.report = std::move(im.report);
  if (!blockers.empty()) blockers.raise_all(file, supported_ops<T>());
  const Value* out = im.find(output);
  if (!out) raise<IoError>("io.204", where, ": the output '", output, "' is not computed by any node");
  if (out->kind == Value::Kind::padded)
    raise<IoError>("io.215", where, ": the output comes from Pad '", out->pad_node, "', which attrib cannot express");
  if (out->is_constant() || out->node < 0)
    raise<IoError>("io.204", where, ": the output '", output, "' ", out->is_constant() ? "does not depend on" : "is",
                   " the model input; there is nothing to import");
  result.output_shape = out->shape;
  result.report.output_shape = out->shape;
  result.network = build_network(im.pending(), out->node);
  for (auto& s : im.notices()) result.notices.push_back(std::move(s));
  ReportRecorder<T>::finish(result.report, result.network, result.notices);
  return result;
}

/// The whole file as bytes (io.100 missing/unreadable, io.101 read error).
inline std::string read_file(const std::string& path, const char* format) {
  detail::io::InputFile f(path, format);
  if (f.size() > (std::uint64_t(1) << 31) - 1)
    raise<IoError>("io.201", format, " file '", path, "': ", f.size(), " bytes; protobuf files are limited to 2 GB");
  std::string bytes(static_cast<std::size_t>(f.size()), '\0');
  f.read(0, bytes.data(), f.size(), "whole file");
  return bytes;
}

}  // namespace detail::onnxio

/// Imports an ONNX model already parsed with the protobuf API; `file` names it in messages.
template <class T>
OnnxModel<T> import_onnx_model(const ::onnx::ModelProto& model, const OnnxOptions<T>& options = {},
                               const std::string& file = "<memory>") {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>, "import_onnx<T>: T must be float or double");
  return detail::onnxio::import_model(model, options, file);
}

/// Reads an ONNX model file into a Network<T> plus its input/output description and notices.
/// Throws IoError (ids in docs/io.md) naming the file, the node and its op type.
template <class T>
OnnxModel<T> import_onnx(const std::string& path, const OnnxOptions<T>& options = {}) {
  const std::string bytes = detail::onnxio::read_file(path, "ONNX");
  ::onnx::ModelProto model;
  if (!model.ParseFromString(bytes))
    raise<IoError>("io.201", "ONNX file '", path, "': not a valid ONNX protobuf (", bytes.size(),
                   " bytes; truncated or not an ONNX model)");
  return import_onnx_model<T>(model, options, path);
}

/// The network of import_onnx(path, options).
template <class T>
Network<T> load_onnx(const std::string& path, const OnnxOptions<T>& options = {}) {
  return import_onnx<T>(path, options).network;
}

/// Reads a serialized TensorProto (the .pb files of ONNX's test data) as a Tensor<T>; `name`
/// receives the tensor's name if given.
template <class T>
Tensor<T> load_onnx_tensor(const std::string& path, std::string* name = nullptr) {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>, "load_onnx_tensor<T>: T must be float or double");
  const std::string bytes = detail::onnxio::read_file(path, "ONNX tensor");
  ::onnx::TensorProto t;
  if (!t.ParseFromString(bytes))
    raise<IoError>("io.201", "ONNX tensor file '", path, "': not a valid TensorProto (truncated or another format)");
  if (name) *name = t.name();
  const std::string what = "ONNX tensor file '" + path + "'";
  const auto c = detail::onnxio::decode_tensor(t, what);
  if (c.integer)
    raise<IoError>("io.220", what, ": data type ", detail::onnxio::data_type_name(t.data_type()),
                   "; supported: FLOAT, DOUBLE");
  return detail::onnxio::to_tensor<T>(c, what);
}

ATTRIB_END_NAMESPACE
