// Forward and input gradient of every layer configuration stored in tests/data/layers.safetensors
// (made by tools/make_layer_fixtures.py with PyTorch in float64) against our layers, in double
// and in float. The configurations come from the file's metadata ("config.<name>" = JSON), so a
// configuration added to the script is tested without touching this file.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "support/support.hpp"
#include "attrib/io/safetensors.hpp"
#include "attrib/layers/adaptive_avg_pool2d.hpp"
#include "attrib/layers/avg_pool2d.hpp"
#include "attrib/layers/batch_norm2d.hpp"
#include "attrib/layers/conv2d.hpp"
#include "attrib/layers/dense.hpp"
#include "attrib/layers/flatten.hpp"
#include "attrib/layers/max_pool2d.hpp"
#include "attrib/layers/relu.hpp"

using namespace attrib;
using namespace attrib::test;
namespace json = attrib::detail::json;

namespace {

const std::string fixture_path = std::string(ATTRIB_TEST_DATA_DIR) + "/layers.safetensors";

struct Config {
  std::string name;
  json::Value args;
};

/// The configurations of one layer kind, in name order.
std::vector<Config> configs_of(const std::map<std::string, std::string>& metadata, const std::string& kind) {
  std::vector<Config> out;
  for (const auto& [key, value] : metadata) {
    if (key.rfind("config.", 0) != 0) continue;
    json::Value v = json::parse(value);
    REQUIRE(v.find("kind") != nullptr);
    if (v.find("kind")->as_string() == kind) out.push_back({key.substr(7), std::move(v)});
  }
  return out;
}

Index arg(const Config& c, const char* key, std::size_t i = 0) {
  const json::Value* v = c.args.find(key);
  INFO(c.name << ": argument " << key);
  REQUIRE(v != nullptr);
  const json::Value& x = v->is_array() ? v->items().at(i) : *v;
  REQUIRE(x.is_unsigned());
  return static_cast<Index>(x.as_unsigned());
}
/// The argument `key`, or `fallback` (the script's defaults) when absent.
Index arg_or(const Config& c, const char* key, std::size_t i, Index fallback) {
  return c.args.find(key) ? arg(c, key, i) : fallback;
}
bool flag_or(const Config& c, const char* key, bool fallback) {
  const json::Value* v = c.args.find(key);
  return v ? v->as_bool() : fallback;
}

template <class T>
void set_param(Param<T>& p, const SafeTensors<T>& st, const std::string& name) {
  p.assign(st.get(name), name);
}

/// Runs forward and backward on the stored input and cotangent and compares with PyTorch.
/// Tolerances scale with the largest reference magnitude; measured errors are below 1e-15
/// (double) and 1e-6 (float) of that scale.
template <class T, class L>
void check_against_torch(const L& layer, const SafeTensors<T>& st, const std::string& name) {
  const double tol = std::is_same_v<T, double> ? 1e-13 : 1e-5;
  const Tensor<T>& x = st.get(name + ".input");
  const Tensor<T>& y_ref = st.get(name + ".output");
  const Tensor<T>& gy = st.get(name + ".grad_output");
  const Tensor<T>& gx_ref = st.get(name + ".grad_input");
  auto scale = [](const Tensor<T>& t) {
    double m = 0;
    for (Index i = 0; i < t.size(); ++i) m = std::max(m, std::abs(double(t[i])));
    return std::max(m, 1.0);
  };
  INFO(name << " (" << L::kind << "): input " << x.shape());
  REQUIRE(layer.output_shape(x.shape()) == y_ref.shape());
  Workspace<T> ws;
  Tensor<T> y(y_ref.shape());
  layer.forward(x, y, ws);
  require_close(y, y_ref, tol, tol * scale(y_ref), name + " forward vs PyTorch");
  Tensor<T> gx(x.shape(), T(12345));  // a stale value must be overwritten
  layer.backward(x, gy, gx, ws);
  require_close(gx, gx_ref, tol, tol * scale(gx_ref), name + " backward vs PyTorch");
}

template <class T>
SafeTensors<T> load_fixtures() {
  return SafeTensors<T>::load(fixture_path);
}

/// Calls check(config, st) for every configuration of `kind`; at least `min_count` must exist.
template <class T, class Check>
void for_each_config(const std::string& kind, std::size_t min_count, Check&& check) {
  const SafeTensors<T> st = load_fixtures<T>();
  const auto configs = configs_of(st.metadata(), kind);
  INFO(kind << ": " << configs.size() << " configurations in " << fixture_path);
  REQUIRE(configs.size() >= min_count);
  for (const auto& c : configs) check(c, st);
}

}  // namespace

TEMPLATE_TEST_CASE("PyTorch fixtures: Conv2d (stride, asymmetric padding, dilation, groups, depthwise, no bias)",
                   "[layers][torch][conv2d]", float, double) {
  using T = TestType;
  for_each_config<T>("Conv2d", 9, [](const Config& c, const SafeTensors<T>& st) {
    Conv2dOptions opt;
    opt.stride(arg_or(c, "stride", 0, 1), arg_or(c, "stride", 1, 1))
        .padding(arg_or(c, "padding", 0, 0), arg_or(c, "padding", 1, 0), arg_or(c, "padding", 2, 0),
                 arg_or(c, "padding", 3, 0))
        .dilation(arg_or(c, "dilation", 0, 1), arg_or(c, "dilation", 1, 1))
        .groups(arg_or(c, "groups", 0, 1))
        .bias(flag_or(c, "bias", true));
    Conv2d<T> conv(arg(c, "cin"), arg(c, "cout"), arg(c, "kernel", 0), arg(c, "kernel", 1), opt);
    conv.set_name(c.name);
    set_param(conv.weight(), st, c.name + ".weight");
    CHECK(conv.has_bias() == st.contains(c.name + ".bias"));
    if (conv.has_bias()) set_param(conv.bias(), st, c.name + ".bias");
    check_against_torch(conv, st, c.name);
  });
}

TEMPLATE_TEST_CASE("PyTorch fixtures: MaxPool2d (stride != kernel, padding, dilation, ceil mode)",
                   "[layers][torch][max_pool2d]", float, double) {
  using T = TestType;
  for_each_config<T>("MaxPool2d", 4, [](const Config& c, const SafeTensors<T>& st) {
    Pool2dOptions opt;
    opt.stride(arg(c, "stride", 0), arg(c, "stride", 1))
        .padding(arg_or(c, "padding", 0, 0), arg_or(c, "padding", 1, 0))
        .dilation(arg_or(c, "dilation", 0, 1), arg_or(c, "dilation", 1, 1))
        .ceil_mode(flag_or(c, "ceil_mode", false));
    MaxPool2d<T> pool(arg(c, "kernel", 0), arg(c, "kernel", 1), opt);
    pool.set_name(c.name);
    check_against_torch(pool, st, c.name);
  });
}

TEMPLATE_TEST_CASE("PyTorch fixtures: AvgPool2d (padding, ceil mode, count_include_pad on and off)",
                   "[layers][torch][avg_pool2d]", float, double) {
  using T = TestType;
  for_each_config<T>("AvgPool2d", 5, [](const Config& c, const SafeTensors<T>& st) {
    Pool2dOptions opt;
    opt.stride(arg(c, "stride", 0), arg(c, "stride", 1))
        .padding(arg_or(c, "padding", 0, 0), arg_or(c, "padding", 1, 0))
        .ceil_mode(flag_or(c, "ceil_mode", false))
        .count_include_pad(flag_or(c, "count_include_pad", true));
    AvgPool2d<T> pool(arg(c, "kernel", 0), arg(c, "kernel", 1), opt);
    pool.set_name(c.name);
    check_against_torch(pool, st, c.name);
  });
}

TEMPLATE_TEST_CASE("PyTorch fixtures: AdaptiveAvgPool2d (output smaller, larger, non-square)",
                   "[layers][torch][adaptive_avg_pool2d]", float, double) {
  using T = TestType;
  for_each_config<T>("AdaptiveAvgPool2d", 4, [](const Config& c, const SafeTensors<T>& st) {
    AdaptiveAvgPool2d<T> pool(arg(c, "output", 0), arg(c, "output", 1));
    pool.set_name(c.name);
    check_against_torch(pool, st, c.name);
  });
}

TEMPLATE_TEST_CASE("PyTorch fixtures: BatchNorm2d in eval mode with running statistics",
                   "[layers][torch][batch_norm2d]", float, double) {
  using T = TestType;
  for_each_config<T>("BatchNorm2d", 2, [](const Config& c, const SafeTensors<T>& st) {
    const json::Value* eps = c.args.find("eps");
    REQUIRE(eps != nullptr);
    BatchNorm2d<T> bn(arg(c, "channels"), static_cast<T>(eps->as_double()));
    bn.set_name(c.name);
    set_param(bn.weight(), st, c.name + ".weight");
    set_param(bn.bias(), st, c.name + ".bias");
    set_param(bn.running_mean(), st, c.name + ".running_mean");
    set_param(bn.running_var(), st, c.name + ".running_var");
    check_against_torch(bn, st, c.name);
  });
}

TEMPLATE_TEST_CASE("PyTorch fixtures: Linear (Dense) with and without bias", "[layers][torch][dense]", float,
                   double) {
  using T = TestType;
  for_each_config<T>("Linear", 2, [](const Config& c, const SafeTensors<T>& st) {
    Dense<T> dense(arg(c, "fin"), arg(c, "fout"), flag_or(c, "bias", true));
    dense.set_name(c.name);
    set_param(dense.weight(), st, c.name + ".weight");
    CHECK(dense.has_bias() == st.contains(c.name + ".bias"));
    if (dense.has_bias()) set_param(dense.bias(), st, c.name + ".bias");
    check_against_torch(dense, st, c.name);
  });
}

TEMPLATE_TEST_CASE("PyTorch fixtures: ReLU (gradient 0 at exactly 0) and Flatten", "[layers][torch][relu][flatten]",
                   float, double) {
  using T = TestType;
  for_each_config<T>("ReLU", 1, [](const Config& c, const SafeTensors<T>& st) {
    const Tensor<T>& x = st.get(c.name + ".input");
    CHECK(std::count(x.data(), x.data() + x.size(), T(0)) > 10);  // the convention is exercised
    ReLU<T> relu;
    check_against_torch(relu, st, c.name);
  });
  for_each_config<T>("Flatten", 1, [](const Config& c, const SafeTensors<T>& st) {
    Flatten<T> flatten;
    check_against_torch(flatten, st, c.name);
  });
}

TEST_CASE("PyTorch fixtures: every configuration is of a tested kind and complete", "[layers][torch]") {
  const auto st = load_fixtures<double>();
  const std::vector<std::string> kinds = {"Conv2d", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d",
                                          "BatchNorm2d", "Linear", "ReLU", "Flatten"};
  std::size_t total = 0, configs = 0;
  for (const auto& kind : kinds) total += configs_of(st.metadata(), kind).size();
  for (const auto& [key, value] : st.metadata()) {
    if (key.rfind("config.", 0) != 0) continue;
    ++configs;
    const std::string name = key.substr(7);
    INFO(name);
    for (const char* part : {".input", ".output", ".grad_output", ".grad_input"}) CHECK(st.contains(name + part));
  }
  CHECK(configs == total);  // no configuration of a kind this file does not test
  CHECK(configs >= 28);
}
