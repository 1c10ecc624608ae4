// Compare rules: the first test image of every Fashion-MNIST class (rows) explained by every rule
// in attrib.hpp (columns), for the true class, on the shipped small model — one labelled grid.
//
//   ./02_compare_rules [output directory [cell scale, default 3]]    writes compare_rules.png
//
// Each heatmap is scaled by its own 99.5th percentile of |R|: red positive, blue negative.
// The network runs in double so that the printed checksums are the same on every compiler.
#include <attrib/attrib.hpp>
#include <attrib/io/fashion_models.hpp>
#include <attrib/io/heatmap.hpp>
#include <attrib/io/idx.hpp>
#include <attrib/io/png.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  using namespace attrib;
  using T = double;
  const std::string models = ATTRIB_MODELS_DIR, out = argc > 1 ? std::string(argv[1]) + "/" : "";
  const Network<T> net = canonize(load_fmnist_small<T>(models + "/fmnist_small.safetensors"));

  // One image per class: the first of each class in the test set (bundled in models/ as well).
  Tensor<T> images(Shape{10, 1, 28, 28});
  if (fashion_mnist_available()) {
    const auto test = load_fashion_mnist<T>("t10k");
    std::vector<bool> seen(10, false);
    for (std::size_t i = 0; i < test.labels.size(); ++i)
      if (!seen[std::size_t(test.labels[i])]) {
        seen[std::size_t(test.labels[i])] = true;
        const auto src = test.images.cview().slice(Index(i), 1);
        std::copy(src.data(), src.data() + 784, images.data() + 784 * test.labels[i]);
      }
  } else {
    images = load_fmnist_samples<T>(models + "/fmnist_samples.safetensors").images;
  }
  const Targets classes({0, 1, 2, 3, 4, 5, 6, 7, 8, 9});  // image c is explained for class c

  HeatmapOptions look;
  look.scale = argc > 2 ? std::atoi(argv[2]) : 3;  // 28x28 -> 84x84 pixels per cell
  std::vector<std::string> columns = {"input"};
  std::vector<Image> column_cells;  // column-major while collecting
  for (Index c = 0; c < 10; ++c) column_cells.push_back(input_image(images.cview().slice(c, 1), 0.0, 1.0, look.scale));
  const auto add = [&](const std::string& label, const char* key, const auto& rule) {
    const auto e = explain(net, rule, images.cview(), classes);
    columns.push_back(label);
    for (Index c = 0; c < 10; ++c) column_cells.push_back(heatmap(e.attribution.cview().slice(c, 1), look));
    std::printf("checksum %s: %.9g\n", key, e.attribution.vec().cwiseAbs().sum());
  };
  add("Gradient", "Gradient", Gradient{});
  add("Gradient x Input", "GradientTimesInput", GradientTimesInput{});
  add("Guided Backprop", "GuidedBackprop", GuidedBackprop{});
  add("Deconvnet", "Deconvnet", Deconvnet{});
  add("RectGrad", "RectGrad", RectGrad{});
  add("LRP-0", "LrpZ", LrpZ{});
  add("LRP-eps", "LrpEpsilon", LrpEpsilon{});
  add("LRP-z+", "LrpZPlus", LrpZPlus{});
  add("LRP-a2b1", "LrpAlphaBeta", LrpAlphaBeta(2, 1));
  add("Epsilon Plus Flat", "epsilon_plus_flat", presets::epsilon_plus_flat());
  add("Epsilon Gamma Box", "epsilon_gamma_box", presets::epsilon_gamma_box(0.0, 1.0));
  add("Excitation BP", "ExcitationBackprop", ExcitationBackprop{});
  add("DeepLIFT", "DeepLift", DeepLift{});

  const int cols = int(columns.size());
  std::vector<Image> cells;  // row-major for the grid
  for (int r = 0; r < 10; ++r)
    for (int c = 0; c < cols; ++c) cells.push_back(column_cells[std::size_t(c * 10 + r)]);
  std::vector<std::string> rows(fashion_mnist_classes().begin(), fashion_mnist_classes().end());
  const Image grid = labelled_grid(cells, 10, cols, rows, columns);
  write_png(out + "compare_rules.png", grid);
  std::printf("wrote %scompare_rules.png (%dx%d: 10 classes x %d rules)\nOK\n", out.c_str(), grid.width, grid.height,
              cols - 1);
}
