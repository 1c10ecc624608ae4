#pragma once
// Shared by the model-zoo tests (test_onnx_zoo*.cpp): fixture paths, the family list with its
// measured bounds, the LRP presets with their reference keys, error measures.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <string>

#include "attrib/attrib.hpp"
#include "attrib/io/onnx.hpp"
#include "attrib/io/safetensors.hpp"
#include "attrib/models/canonize.hpp"
#include "attrib/rules/presets.hpp"

namespace attrib::test::zoo {

inline const std::string zoo = std::string(ATTRIB_ONNX_FIXTURE_DIR) + "/zoo/";
inline const std::string fmnist_mobile_onnx = std::string(ATTRIB_MODELS_DIR) + "/fmnist_mobile.onnx";

/// max |a - b| / max |b| (the error relative to the largest reference value).
inline double rel_max(ConstView<double> a, ConstView<double> b) {
  REQUIRE(a.shape() == b.shape());
  double d = 0, m = 0;
  for (Index i = 0; i < a.size(); ++i) {
    d = std::max(d, std::abs(a[i] - b[i]));
    m = std::max(m, std::abs(b[i]));
  }
  return m > 0 ? d / m : d;
}

/// A copy of t with elements of type To.
template <class To, class From>
Tensor<To> converted(ConstView<From> t) {
  Tensor<To> d(t.shape());
  for (Index i = 0; i < t.size(); ++i) d[i] = static_cast<To>(t[i]);
  return d;
}

/// A float or double tensor in double (to compare with the float64 references).
template <class T>
Tensor<double> in_double(const Tensor<T>& t) {
  return converted<double, T>(t.cview());
}

/// models/fmnist_mobile.onnx imported for [1, 1, 28, 28] inputs (its H and W are symbolic).
template <class T>
OnnxModel<T> import_fmnist_mobile() {
  OnnxOptions<T> opt;
  opt.input_shape = Shape{1, 1, 28, 28};
  return import_onnx<T>(fmnist_mobile_onnx, opt);
}

struct Family {
  const char* name;
  // Relative error bound of logits and input gradient for the default export, whose
  // BatchNorm torch folded into float32 weights (the references use the unfolded float32
  // parameters in float64). Measured maxima are in docs/zoo.md, 3-20x below these bounds.
  double folded_rtol;
  // Input-gradient bound for the _preserve export (logits: 1e-10 everywhere). 1e-10 except
  // where a HardSigmoid gate is differentiated: torch 1.13's hardsigmoid_backward multiplies by
  // the float constant 1.0f / 6.0f even in double (0.1666666716...), attrib by 1/6.
  double preserve_grad_rtol;
};

inline const Family families[] = {
    {"resnet18", 1e-6, 1e-10},        {"vgg11_bn", 1e-6, 1e-10},          {"alexnet", 1e-10, 1e-10},
    {"squeezenet1_1", 1e-10, 1e-10},  {"mobilenet_v2", 2e-6, 1e-10},      {"mobilenet_v3_small", 1e-6, 1e-8},
    {"densenet121", 1e-6, 1e-10},     {"googlenet", 1e-6, 1e-10},         {"shufflenet_v2_x1_0", 1e-6, 1e-10},
    {"efficientnet_b0", 1e-6, 1e-10}, {"regnet_y_400mf", 1e-6, 1e-10},    {"conv1d", 1e-6, 1e-10},
};

// The families with Zennit references (docs/zoo.md) and attrib's presets of the same names.
inline const char* const zennit_families[] = {"resnet18", "vgg11_bn", "alexnet", "squeezenet1_1", "googlenet", "conv1d"};

inline Index target_of(const SafeTensors<double>& st) { return std::stol(st.metadata().at("target")); }

/// f(key, preset) for the six presets; key is the reference's name ("lrp.<preset>"), the
/// box of epsilon_gamma_box is [low, high] (the zoo's inputs: [-1, 1]).
template <class F>
void for_each_preset(F&& f, double low = -1.0, double high = 1.0) {
  f("lrp.epsilon_plus", presets::epsilon_plus());
  f("lrp.epsilon_plus_flat", presets::epsilon_plus_flat());
  f("lrp.epsilon_alpha2_beta1", presets::epsilon_alpha2_beta1());
  f("lrp.epsilon_alpha2_beta1_flat", presets::epsilon_alpha2_beta1_flat());
  f("lrp.epsilon_gamma_box", presets::epsilon_gamma_box(low, high));
  f("lrp.excitation_backprop", presets::excitation_backprop());
}

}  // namespace attrib::test::zoo
