// Smoke tests of the full-size reference networks (1000 classes, 224x224 input): shapes, finite
// logits, a finite non-zero input gradient, and the Euler identity once the biases are zeroed. Tagged [slow] (CTest label "slow"; skip them with
// `ctest -LE slow`).
#include <cmath>
#include <string>

#include "support/support.hpp"
#include "attrib/attrib.hpp"
#include "attrib/models/builders.hpp"
#include "attrib/models/parameters.hpp"

using namespace attrib;
using namespace attrib::test;

namespace {

Index count_non_finite(const Tensor<float>& t) {
  Index n = 0;
  for (Index i = 0; i < t.size(); ++i) n += std::isfinite(t[i]) ? 0 : 1;
  return n;
}

void check_full_size(const Network<float>& model) {
  const auto x = random_tensor<float>(Shape{1, 3, 224, 224}, 2024);
  const Index target = 281;
  const Explanation<float> e = explain(model, Gradient{}, x.cview(), target);

  CHECK(e.output.shape() == Shape{1, 1000});
  CHECK(count_non_finite(e.output) == 0);
  // Random weights still have to give distinct logits, not a constant or collapsed output.
  CHECK(e.output.vec().maxCoeff() > e.output.vec().minCoeff());

  REQUIRE(e.attribution.shape() == x.shape());
  CHECK(count_non_finite(e.attribution) == 0);
  const float largest = e.attribution.vec().cwiseAbs().maxCoeff();
  INFO("largest |gradient| " << largest);
  CHECK(largest > 0);
}

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

/// With every bias (and BatchNorm running mean) zeroed, the network is positively homogeneous
/// and piecewise linear, so logit = <gradient, x> exactly (Euler), however many ReLU/max-pool
/// kinks lie near x -- a check of the whole backward pass that finite differences cannot give
/// at this depth in float (the logit of VGG-16 is kinked at every scale above ~1e-6).
void check_euler_identity(Network<float>& model) {
  for_each_parameter(model, [](const std::string& name, Param<float>& p) {
    if (ends_with(name, ".bias") || ends_with(name, ".running_mean")) p.mutable_view().vec().setZero();
  });
  const auto x = random_tensor<float>(Shape{1, 3, 224, 224}, 2025);
  const Index target = 17;
  const Explanation<float> e = explain(model, Gradient{}, x.cview(), target);
  double dot_gx = 0, scale = 0;
  for (Index i = 0; i < x.size(); ++i) {
    dot_gx += double(e.attribution[i]) * double(x[i]);
    scale += std::abs(double(e.attribution[i]) * double(x[i]));
  }
  const double logit = e.output.at(0, target);
  INFO("logit " << logit << ", <gradient, x> " << dot_gx << ", sum |g x| " << scale);
  CHECK(scale > 0);
  CHECK(std::abs(logit - dot_gx) <= 1e-5 * scale);
}

}  // namespace

TEST_CASE("Full-size VGG-16: [1, 1000] finite logits, finite non-zero gradient, Euler identity",
          "[models][slow]") {
  Network<float> model = vgg16<float>();
  check_full_size(model);
  check_euler_identity(model);
}

TEST_CASE("Full-size ResNet-50: [1, 1000] finite logits, finite non-zero gradient, Euler identity",
          "[models][slow]") {
  Network<float> model = resnet50<float>();
  check_full_size(model);
  check_euler_identity(model);
}
