// Conservation per architecture (docs/zoo.md, "Conservation per architecture"): for every zoo
// family (_preserve export, canonize) and the shipped fmnist_mobile.onnx, in double, how far the
// LRP presets' input relevance is from the logit it starts with, which part of that the biases
// absorbed, and DeepLIFT's summation-to-delta error. The "[.table]" case prints the markdown
// table of docs/zoo.md:
//   test_onnx "zoo conservation table" | grep '^|'
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "onnx/onnx_test_support.hpp"
#include "onnx/zoo_support.hpp"

using namespace attrib;
using namespace attrib::test::zoo;

namespace {

struct Case {
  std::string name;
  Network<double> net;  // canonize(import): LRP and DeepLIFT run on it
  Tensor<double> x;
  Index target;
  double low, high;  // the input's range (epsilon_gamma_box)
};

std::vector<Case> cases() {
  std::vector<Case> out;
  for (const auto& f : families) {
    const auto st = SafeTensors<double>::load(zoo + f.name + ".safetensors");
    out.push_back({f.name, canonize(import_onnx<double>(zoo + f.name + std::string("_preserve.onnx")).network),
                   st.get("input"), target_of(st), -1.0, 1.0});
  }
  const auto st = SafeTensors<double>::load(zoo + "fmnist_mobile.safetensors");
  out.push_back({"fmnist_mobile", canonize(import_fmnist_mobile<double>().network),
                 converted<double, double>(st.get("images").cview().slice(0, 1)),
                 static_cast<Index>(st.get("labels")[0]), 0.0, 1.0});
  return out;
}

/// One LRP run's bookkeeping, relative to |f_target(x)| (the relevance the preset starts with).
struct LrpGap {
  double gap;        ///< |sum R_input - f| / |f|
  double bias;       ///< relevance absorbed at layers with a bias (weighted / per-unit linear) / |f|
  double rest;       ///< |sum R_input + absorbed at biases - f| / |f|: the stabilisers' share
  double telescope;  ///< |sum R_input + every layer's absorbed - f| / |f|: must be rounding
};

template <class Preset>
LrpGap lrp_gap(const Case& c, const Preset& preset) {
  ExplainOptions<double> opt;
  opt.conservation = true;
  const auto e = explain(c.net, preset, c.x.cview(), c.target, opt);
  const double f = e.output[c.target], sum = e.attribution.vec().sum();
  double bias = 0, other = 0;
  for (const auto& row : e.conservation) {
    const Role role = c.net.node(row.index).role;
    (role == Role::weighted_linear || role == Role::per_unit_linear ? bias : other) += row.absorbed();
  }
  const double s = std::abs(f);
  return {std::abs(sum - f) / s, bias / s, std::abs(sum + bias - f) / s, std::abs(sum + bias + other - f) / s};
}

/// DeepLIFT Rescale (cross-max max-pools) against the zero input: |sum C - delta| / max(|delta|, |f|).
double deeplift_gap(const Case& c) {
  const DeepLift rule(DeepLiftNonlinear::rescale, DeepLiftLinear::standard, DeepLiftMaxPool::cross_max);
  const auto e = explain(c.net, rule, c.x.cview(), c.target);
  Tensor<double> zero(c.x.shape());
  zero.set_zero();
  const double delta = e.output[c.target] - test::run_forward(c.net, zero.cview())[c.target];
  return std::abs(e.attribution.vec().sum() - delta) / std::max(std::abs(delta), std::abs(e.output[c.target]));
}

}  // namespace

TEST_CASE("model zoo: LRP presets conserve up to what biases and stabilisers absorb, DeepLIFT sums to delta",
          "[onnx][zoo][conservation]") {
  for (const Case& c : cases()) {
    for_each_preset(
        [&](const char* key, const auto& preset) {
          const LrpGap g = lrp_gap(c, preset);
          INFO(c.name << " " << key << ": gap " << g.gap << ", biases " << g.bias << ", rest " << g.rest);
          CHECK(g.telescope <= 1e-10);  // every lost bit of relevance is accounted for by some layer
          // Only biases absorb more than the stabilisers (1e-6 in every denominator) can.
          CHECK(g.rest <= 1e-4);
        },
        c.low, c.high);
    INFO(c.name);
    CHECK(deeplift_gap(c) <= 1e-10);
  }
}

TEST_CASE("zoo conservation table", "[.table]") {
  std::printf("| family | ε+ | ε+ flat | ε α2β1 | ε α2β1 flat | ε γ box | excitation BP | DeepLIFT |\n");
  std::printf("|---|---|---|---|---|---|---|---|\n");
  for (const Case& c : cases()) {
    std::printf("| `%s` |", c.name.c_str());
    for_each_preset(
        [&](const char*, const auto& preset) {
          const LrpGap g = lrp_gap(c, preset);
          CHECK(std::isfinite(g.gap));  // a NaN would print as a plausible-looking cell
          CHECK(std::isfinite(g.rest));
          std::printf(" %.2g (%.1g) |", g.gap, g.rest);
        },
        c.low, c.high);
    std::printf(" %.1g |\n", deeplift_gap(c));
  }
}
