// Quickstart: load the trained Fashion-MNIST model shipped in models/, explain one test image
// with two rules (the gradient and LRP) and write the pictures as PNG files.
//
//   ./01_quickstart [output directory]    writes quickstart.png, quickstart_{gradient,lrp}.png
#include <attrib/attrib.hpp>
#include <attrib/io/fashion_models.hpp>
#include <attrib/io/heatmap.hpp>
#include <attrib/io/idx.hpp>
#include <attrib/io/png.hpp>

#include <cstdio>
#include <string>

int main(int argc, char** argv) {
  using namespace attrib;
  const std::string models = ATTRIB_MODELS_DIR, out = argc > 1 ? std::string(argv[1]) + "/" : "";
  // canonize() folds each BatchNorm into its convolution, as the LRP composites expect.
  const Network<float> net = canonize(load_fmnist_small<float>(models + "/fmnist_small.safetensors"));

  // The first test image: from the dataset if it is installed, else the copy in models/.
  Tensor<float> image;
  int label = 0;
  if (fashion_mnist_available()) {
    const auto test = load_fashion_mnist<float>("t10k", /*max_items*/ 1);
    image = test.images, label = test.labels[0];
  } else {
    const auto samples = load_fmnist_samples<float>(models + "/fmnist_samples.safetensors");
    const Index k = samples.find(/*test index*/ 0);
    image = Tensor<float>::copy_of(samples.image(k)), label = samples.labels[std::size_t(k)];
  }

  const auto grad = explain(net, Gradient{}, image.cview(), label);
  const auto lrp = explain(net, presets::epsilon_gamma_box(/*pixel range*/ 0.0, 1.0), image.cview(), label);

  HeatmapOptions big;  // blue-white-red centred at 0, scaled by the 99.5th percentile of |R|
  big.scale = 8;       // 28x28 -> 224x224 pixels
  const Image input = input_image(image.cview(), 0.0, 1.0, big.scale), g = heatmap(grad.attribution.cview(), big),
              r = heatmap(lrp.attribution.cview(), big), o = overlay(image.cview(), lrp.attribution.cview(), big);
  write_png(out + "quickstart_gradient.png", g);
  write_png(out + "quickstart_lrp.png", r);
  write_png(out + "quickstart.png", labelled_grid({input, g, r, o}, 1, 4, {}, {"input", "Gradient", "LRP", "LRP on the input"}));

  std::printf("class %d (%s): logit %.4f\n", label, fashion_mnist_classes()[std::size_t(label)], grad.output.at(0, label));
  std::printf("LRP relevance sums to %.4f (the logit minus what biases absorb)\n", lrp.attribution.vec().sum());
  std::printf("checksum Gradient: %.9g\n", grad.attribution.vec().cwiseAbs().sum());
  std::printf("checksum LRP: %.9g\n", lrp.attribution.vec().sum());
  std::printf("wrote %squickstart.png (input, Gradient, LRP, LRP on the input) and the single heatmaps\nOK\n",
              out.c_str());
}
