// Quickstart: build a network, explain one prediction with two rules, print the strongest
// pixels. (Until a trained model ships, the network is the CIFAR-10 architecture of
// "When Explanations Lie" with seeded random weights.)
#include <attrib/attrib.hpp>
#include <attrib/models/builders.hpp>

#include <algorithm>
#include <cstdio>
#include <numeric>
#include <vector>

int main() {
  using namespace attrib;
  const Network<float> net = cifar_net<float>({/*num_classes*/ 10, /*width_divisor*/ 2, /*seed*/ 1});

  Tensor<float> image(Shape{1, 3, 32, 32});  // one RGB image, NCHW
  Random rng(7);
  rng.fill_uniform(image.view(), 0.0, 1.0);

  const auto grad = explain(net, Gradient{}, image.cview(), /*target class*/ 3);
  const auto gxi = explain(net, GradientTimesInput{}, image.cview(), 3);

  std::printf("logit of class 3: %.5f\n", grad.output.at(0, 3));
  std::printf("Gradient: |max| = %.3e\n", grad.attribution.vec().cwiseAbs().maxCoeff());
  std::printf("Gradient x Input sums to %.5f over %ld inputs\n", gxi.attribution.vec().sum(),
              long(gxi.attribution.size()));

  // The five pixels with the largest |Gradient x Input| summed over colour channels.
  std::vector<float> pixel(32 * 32, 0.f);
  for (Index c = 0; c < 3; ++c)
    for (Index p = 0; p < 32 * 32; ++p) pixel[std::size_t(p)] += gxi.attribution[c * 1024 + p];
  std::vector<int> order(pixel.size());
  std::iota(order.begin(), order.end(), 0);
  std::partial_sort(order.begin(), order.begin() + 5, order.end(),
                    [&](int a, int b) { return std::abs(pixel[std::size_t(a)]) > std::abs(pixel[std::size_t(b)]); });
  for (int k = 0; k < 5; ++k)
    std::printf("  pixel (row %2d, col %2d): %+.4e\n", order[std::size_t(k)] / 32, order[std::size_t(k)] % 32,
                pixel[std::size_t(order[std::size_t(k)])]);
  std::printf("OK\n");
}
