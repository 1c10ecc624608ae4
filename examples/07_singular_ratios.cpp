// Why does PatternAttribution ignore the class while the gradient does not? "When Explanations
// Lie" (Sixt et al. 2020, section 5) compares the backward factors of both: the gradient
// multiplies by the weights W, PatternAttribution by A (.) W with fitted patterns A. A factor
// with a large sigma1/sigma2 is close to rank 1, and a chain of such factors forgets what was
// injected at the top. This program fits the "relu" patterns of the shipped VGG-style
// Fashion-MNIST model on training images and prints, for W, A and A (.) W:
//   per layer sigma1/sigma2 (centre tap and full reshape), the inter-layer chain items T_l, the
//   product of their ratios and sigma1/sigma2 of the whole product M_2 ... M_L,
// then the random-vector convergence of the three backward chains (rules-spec section 6).
//
//   07_singular_ratios [training images = 2000]
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <attrib/attrib.hpp>
#include <attrib/io/fashion_models.hpp>
#include <attrib/io/idx.hpp>
#include <attrib/methods/pattern_fit.hpp>
#include <attrib/metrics/matrix_chain.hpp>
#include <attrib/metrics/singular_ratio.hpp>
#include <attrib/models/canonize.hpp>

using namespace attrib;
using T = double;

namespace {
void print_report(const char* what, const std::vector<KernelMatrix>& centre, const std::vector<KernelMatrix>& full) {
  const auto rc = singular_ratio_report(centre), rf = singular_ratio_report(full);
  std::printf("\n%s\n  %-14s %12s %12s\n", what, "layer", "centre tap", "full");
  for (std::size_t l = 0; l < rc.layers.size(); ++l)
    std::printf("  %-14s %12.4g %12.4g\n", rc.layers[l].c_str(), rc.layer_ratio[l], rf.layer_ratio[l]);
  std::printf("  chain items T_l:");
  for (double r : rc.chain_ratio) std::printf(" %.3g", r);
  // T_1 inherits the rank 1 of a grey-scale first layer (ratio ~1e32, rounding noise): the product
  // without it is the informative number here, as the notebook's product M_2 ... M_L skips layer 1.
  double without_first = 1;
  for (std::size_t l = 1; l < rc.chain_ratio.size(); ++l) without_first *= rc.chain_ratio[l];
  std::printf("\n  product of the chain-item ratios: %.4g (without T_1: %.4g)   sigma1/sigma2 of M_2...M_L: %.4g\n",
              rc.chain_ratio_product, without_first, rc.product_ratio);
}

std::vector<Eigen::MatrixXd> backward(const std::vector<KernelMatrix>& ks) {
  std::vector<Eigen::MatrixXd> m;
  for (const auto& k : ks) m.push_back(k.matrix);
  return backward_chain(m);
}
}  // namespace

int main(int argc, char** argv) try {
  const long count = argc > 1 ? std::strtol(argv[1], nullptr, 10) : 2000;
  if (argc > 2 || count < 1) {
    std::fprintf(stderr, "usage: %s [training images >= 1, default 2000]\n", argv[0]);
    return 2;
  }
  if (!fashion_mnist_available("train")) {
    std::fprintf(stderr, "07_singular_ratios: Fashion-MNIST training images not found in %s (Debian package "
                         "dataset-fashion-mnist, or set ATTRIB_FASHION_MNIST_DIR)\n", fashion_mnist_dir().c_str());
    return 2;
  }
  const Network<T> net = canonize(load_fmnist_vgg<T>(std::string(ATTRIB_MODELS_DIR) + "/fmnist_vgg.safetensors"));
  const auto train = load_fashion_mnist<T>("train", Index(count));
  const Tensor<T> x = pad_images(train.images.cview(), 2);
  Index next = 0;
  const Patterns<T> patterns = fit_patterns(net, PatternKind::relu, [&]() -> std::optional<ConstView<T>> {
    if (next >= x.dim(0)) return std::nullopt;
    const Index n = std::min<Index>(250, x.dim(0) - next);
    const auto v = x.cview().slice(next, n);
    next += n;
    return v;
  });
  std::printf("fmnist_vgg (BatchNorm folded), relu patterns fitted on %ld training images\n", count);
  std::printf("sigma1/sigma2 (+inf: the 1 x 8 first layer of a grey-scale model has rank 1)\n");
  const auto w = kernel_matrices(net), wf = kernel_matrices(net, KernelView::full);
  const auto a = pattern_matrices(net, patterns, PatternMatrix::pattern);
  const auto af = pattern_matrices(net, patterns, PatternMatrix::pattern, KernelView::full);
  const auto aw = pattern_matrices(net, patterns);
  const auto awf = pattern_matrices(net, patterns, PatternMatrix::pattern_times_weight, KernelView::full);
  print_report("W (gradient)", w, wf);
  print_report("A (PatternNet)", a, af);
  print_report("A (.) W (PatternAttribution)", aw, awf);

  MatrixChainOptions o;
  o.repetitions = 20;
  std::printf("\nrandom-vector chains (32 start rows, 20 repetitions): median of 1 - mean|cos| after k products\n");
  std::printf("  %-22s", "chain");
  for (Index k = 0; k <= Index(w.size()); ++k) std::printf(" k=%-7ld", long(k));
  std::printf("\n");
  const auto row = [&](const char* name, const MatrixChainResult& r) {
    std::printf("  %-22s", name);
    for (double v : r.median) std::printf(" %-9.2g", v);
    std::printf("\n");
  };
  row("W, ReLU-clipped", matrix_chain(backward(w), true, o));
  row("W, linear", matrix_chain(backward(w), false, o));
  row("A (.) W, linear", matrix_chain(backward(aw), false, o));
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "07_singular_ratios: error: %s\n", e.what());
  return 1;
}
