#pragma once
// Helpers for the ONNX tests: running a network forward, crafting small models with the
// protobuf API, and writing them to a temporary directory.
#include <onnx/onnx_pb.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "attrib/io/onnx.hpp"
#include "attrib/engine/engine.hpp"

namespace attrib::test {

/// The network's output for x.
template <class T>
Tensor<T> run_forward(const Network<T>& net, ConstView<T> x) {
  Trace<T> trace;
  Workspace<T> ws;
  forward(net, x, trace, ws);
  const auto r = trace.result();
  Tensor<T> out(r.shape());
  out.vec() = r.vec();
  return out;
}

/// A small ModelProto under construction (opset 13 unless changed).
class OnnxBuilder {
 public:
  explicit OnnxBuilder(std::int64_t opset = 13) {
    model_.set_ir_version(7);
    model_.set_producer_name("attrib-test");
    auto* o = model_.add_opset_import();
    o->set_domain("");
    o->set_version(opset);
  }
  ::onnx::ModelProto& model() { return model_; }
  ::onnx::GraphProto& graph() { return *model_.mutable_graph(); }

  /// A float graph input; dims of 0 are symbolic ("N").
  OnnxBuilder& input(const std::string& name, const std::vector<std::int64_t>& dims,
                     int type = ::onnx::TensorProto::FLOAT) {
    auto* v = graph().add_input();
    describe(v, name, dims, type);
    return *this;
  }
  OnnxBuilder& output(const std::string& name) {
    graph().add_output()->set_name(name);
    return *this;
  }
  /// A float initializer.
  OnnxBuilder& init(const std::string& name, const std::vector<std::int64_t>& dims, const std::vector<float>& v) {
    auto* t = graph().add_initializer();
    t->set_name(name);
    t->set_data_type(::onnx::TensorProto::FLOAT);
    for (auto d : dims) t->add_dims(d);
    for (float f : v) t->add_float_data(f);
    return *this;
  }
  /// An int64 initializer.
  OnnxBuilder& init_ints(const std::string& name, const std::vector<std::int64_t>& dims,
                         const std::vector<std::int64_t>& v) {
    auto* t = graph().add_initializer();
    t->set_name(name);
    t->set_data_type(::onnx::TensorProto::INT64);
    for (auto d : dims) t->add_dims(d);
    for (auto i : v) t->add_int64_data(i);
    return *this;
  }
  /// A node; returns it for attributes.
  ::onnx::NodeProto& node(const std::string& op, const std::vector<std::string>& in,
                          const std::vector<std::string>& out, const std::string& name = "") {
    auto* n = graph().add_node();
    n->set_op_type(op);
    n->set_name(name);
    for (const auto& s : in) n->add_input(s);
    for (const auto& s : out) n->add_output(s);
    return *n;
  }
  void save(const std::string& path) const {
    std::ofstream f(path, std::ios::binary);
    REQUIRE(model_.SerializeToOstream(&f));
  }

 private:
  static void describe(::onnx::ValueInfoProto* v, const std::string& name, const std::vector<std::int64_t>& dims, int type) {
    v->set_name(name);
    auto* tt = v->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(type);
    auto* shape = tt->mutable_shape();
    for (auto d : dims) {
      auto* dim = shape->add_dim();
      if (d > 0) dim->set_dim_value(d); else dim->set_dim_param("N");
    }
  }
  ::onnx::ModelProto model_;
};

inline void set_ints(::onnx::NodeProto& n, const std::string& name, const std::vector<std::int64_t>& v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(::onnx::AttributeProto::INTS);
  for (auto i : v) a->add_ints(i);
}
inline void set_int(::onnx::NodeProto& n, const std::string& name, std::int64_t v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(::onnx::AttributeProto::INT);
  a->set_i(v);
}
inline void set_float(::onnx::NodeProto& n, const std::string& name, float v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(::onnx::AttributeProto::FLOAT);
  a->set_f(v);
}
inline void set_string(::onnx::NodeProto& n, const std::string& name, const std::string& v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(::onnx::AttributeProto::STRING);
  a->set_s(v);
}

}  // namespace attrib::test
