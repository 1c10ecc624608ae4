// Every activation configuration of tests/data/activations.safetensors (tools/
// make_activation_fixtures.py, PyTorch 1.13 float64: values and autograd gradients, inputs that
// include each function's kinks) against our layers: 1e-12 relative in double, element-wise;
// float within float rounding. Configurations come from the file's metadata.
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "support/support.hpp"
#include "attrib/io/safetensors.hpp"
#include "attrib/layers/activations.hpp"
#include "attrib/layers/prelu.hpp"
#include "attrib/layers/rectifiers.hpp"

using namespace attrib;
using namespace attrib::test;
namespace json = attrib::detail::json;

namespace {

const std::string fixture_path = std::string(ATTRIB_TEST_DATA_DIR) + "/activations.safetensors";

struct Config {
  std::string name, kind;
  json::Value args, kinks;
};

std::vector<Config> all_configs(const std::map<std::string, std::string>& metadata) {
  std::vector<Config> out;
  for (const auto& [key, value] : metadata) {
    if (key.rfind("config.", 0) != 0) continue;
    json::Value v = json::parse(value);
    REQUIRE(v.find("kind") != nullptr);
    REQUIRE(v.find("args") != nullptr);
    REQUIRE(v.find("kinks") != nullptr);
    out.push_back({key.substr(7), v.find("kind")->as_string(), *v.find("args"), *v.find("kinks")});
  }
  return out;
}

template <class T>
T arg(const Config& c, const char* key, T fallback) {
  const json::Value* v = c.args.find(key);
  return v ? static_cast<T>(v->as_double()) : fallback;
}

/// Forward and backward on the stored input and cotangent against PyTorch's.
template <class T, class L>
void check_layer(L&& layer, const SafeTensors<T>& st, const Config& c) {
  layer.set_name(c.name);
  const bool is_double = std::is_same_v<T, double>;
  const double rtol = is_double ? 1e-12 : 2e-6, atol = is_double ? 1e-14 : 1e-6;
  const Tensor<T>& x = st.get(c.name + ".input");
  const Tensor<T>& gy = st.get(c.name + ".grad_output");
  INFO(c.name << " (" << c.kind << "): input " << x.shape());
  REQUIRE(layer.output_shape(x.shape()) == x.shape());
  Workspace<T> ws;
  Tensor<T> y(x.shape(), T(12345)), gx(x.shape(), T(12345));  // stale values must be overwritten
  layer.forward(x, y, ws);
  layer.backward(x, gy, gx, ws);
  require_close(y, st.get(c.name + ".output"), rtol, atol, c.name + " forward vs PyTorch");
  require_close(gx, st.get(c.name + ".grad_input"), rtol, atol, c.name + " backward vs PyTorch");
}

template <class T>
void check_config(const Config& c, const SafeTensors<T>& st) {
  const T inf = std::numeric_limits<T>::infinity();
  if (c.kind == "Sigmoid") return check_layer(Sigmoid<T>(), st, c);
  if (c.kind == "Tanh") return check_layer(Tanh<T>(), st, c);
  if (c.kind == "SiLU") return check_layer(SiLU<T>(), st, c);
  if (c.kind == "GELU") {
    const std::string approx = c.args.find("approximate")->as_string();
    REQUIRE((approx == "none" || approx == "tanh"));
    return check_layer(GELU<T>(approx == "tanh" ? GeluApproximation::tanh : GeluApproximation::none), st, c);
  }
  if (c.kind == "Softplus") return check_layer(Softplus<T>(arg(c, "beta", T(1)), arg(c, "threshold", T(20))), st, c);
  if (c.kind == "ELU") return check_layer(ELU<T>(arg(c, "alpha", T(1))), st, c);
  if (c.kind == "LeakyReLU") return check_layer(LeakyReLU<T>(arg(c, "negative_slope", T(0.01))), st, c);
  if (c.kind == "ReLU6") return check_layer(ReLU6<T>(), st, c);
  if (c.kind == "Clip") return check_layer(Clip<T>(arg(c, "min", -inf), arg(c, "max", inf)), st, c);
  if (c.kind == "HardSigmoid")
    return check_layer(HardSigmoid<T>(arg(c, "alpha", T(1) / 6), arg(c, "beta", T(0.5))), st, c);
  if (c.kind == "HardSwish") return check_layer(HardSwish<T>(), st, c);
  if (c.kind == "PReLU") {
    PReLU<T> p(static_cast<Index>(c.args.find("num_parameters")->as_unsigned()));
    p.weight().assign(st.get(c.name + ".weight"), c.name + ".weight");
    return check_layer(p, st, c);
  }
  FAIL("configuration " << c.name << " has kind " << c.kind << ", which this test does not know");
}

}  // namespace

TEMPLATE_TEST_CASE("PyTorch fixtures: every activation and parameter setting, kinks included",
                   "[layers][torch][activations]", float, double) {
  const auto st = SafeTensors<TestType>::load(fixture_path);
  const auto configs = all_configs(st.metadata());
  INFO(configs.size() << " configurations in " << fixture_path);
  REQUIRE(configs.size() >= 22);
  for (const Config& c : configs) check_config(c, st);
}

TEST_CASE("PyTorch fixtures: every kind is covered and every kink is an input", "[layers][torch][activations]") {
  const auto st = SafeTensors<double>::load(fixture_path);
  std::map<std::string, int> kinds;
  for (const Config& c : all_configs(st.metadata())) {
    INFO(c.name);
    ++kinds[c.kind];
    const Tensor<double>& x = st.get(c.name + ".input");
    for (const json::Value& k : c.kinks.items())  // the derivative convention is exercised
      CHECK(std::count(x.data(), x.data() + x.size(), k.as_double()) >= 1);
    const Tensor<double>& gy = st.get(c.name + ".grad_output");
    CHECK(std::none_of(gy.data(), gy.data() + gy.size(), [](double g) { return g == 0; }));
  }
  for (const char* k : {"Sigmoid", "Tanh", "SiLU", "GELU", "Softplus", "ELU", "LeakyReLU", "ReLU6", "Clip",
                        "HardSigmoid", "HardSwish", "PReLU"})
    CHECK(kinds[k] >= 1);
  CHECK(kinds.size() == 12);
}
