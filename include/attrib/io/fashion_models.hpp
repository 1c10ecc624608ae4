#pragma once
// Loading the shipped Fashion-MNIST models and sample images (models/README.md) from their
// safetensors files into the architectures of attrib/models/fashion.hpp.
//
//   auto net = attrib::load_fmnist_small<float>("models/fmnist_small.safetensors");
//   auto s = attrib::load_fmnist_samples<float>("models/fmnist_samples.safetensors");
//   auto e = attrib::explain(net, attrib::Gradient{}, s.image(0), s.labels[0]);
//
// Errors: IoError io.360, io.361 (docs/examples.md) besides the safetensors reader's own.
#include "attrib/core/config.hpp"
#include <algorithm>
#include <iterator>
#include <string>
#include <vector>

#include "attrib/io/safetensors.hpp"
#include "attrib/models/fashion.hpp"
#include "attrib/models/parameters.hpp"

ATTRIB_BEGIN_NAMESPACE

/// Assigns every parameter of `net` from the tensor of the same name in `st`. The names must
/// agree exactly in both directions (io.360 lists what is missing or unexpected); shapes are
/// checked by Param::assign.
template <class T>
void load_parameters(Network<T>& net, const SafeTensors<T>& st) {
  std::vector<std::string> ours = parameter_names(net), theirs = st.names(), missing, unexpected;
  std::sort(ours.begin(), ours.end());
  std::sort(theirs.begin(), theirs.end());
  std::set_difference(ours.begin(), ours.end(), theirs.begin(), theirs.end(), std::back_inserter(missing));
  std::set_difference(theirs.begin(), theirs.end(), ours.begin(), ours.end(), std::back_inserter(unexpected));
  if (!missing.empty() || !unexpected.empty()) {
    const auto list = [](const std::vector<std::string>& v) {
      std::string s;
      for (std::size_t i = 0; i < v.size() && i < 8; ++i) s += (i ? ", " : "") + v[i];
      return v.size() > 8 ? s + ", ..." : s;
    };
    raise<IoError>("io.360", "safetensors file '", st.path(), "' does not match the network: ", missing.size(),
                   " parameters missing (", list(missing), "), ", unexpected.size(), " unexpected tensors (",
                   list(unexpected), ")");
  }
  for (const auto& n : theirs) parameter(net, n).assign(st.get(n), n);
}

/// fmnist_small with the weights of a safetensors file (models/fmnist_small.safetensors).
template <class T>
Network<T> load_fmnist_small(const std::string& path) {
  Network<T> net = fmnist_small<T>();
  load_parameters(net, SafeTensors<T>::load(path));
  return net;
}

/// fmnist_vgg with the weights of a safetensors file (models/fmnist_vgg.safetensors).
template <class T>
Network<T> load_fmnist_vgg(const std::string& path) {
  Network<T> net = fmnist_vgg<T>();
  load_parameters(net, SafeTensors<T>::load(path));
  return net;
}

/// The bundled sample images (models/fmnist_samples.safetensors): the first test image of each
/// class, so that examples run without the dataset.
template <class T>
struct FashionSamples {
  Tensor<T> images;            ///< [10, 1, 28, 28] in [0, 1], classes 0-9 in order
  std::vector<int> labels;     ///< labels[i] == i
  std::vector<Index> indices;  ///< position of each image in the t10k test set
  SafeTensors<T> file;         ///< everything else in the file (PyTorch reference outputs)

  /// Image i as a [1, 1, 28, 28] view.
  ConstView<T> image(Index i) const { return images.cview().slice(i, 1); }
  /// The position of the image with this test-set index (io.361 if it is not bundled).
  Index find(Index test_index) const {
    for (std::size_t i = 0; i < indices.size(); ++i)
      if (indices[i] == test_index) return Index(i);
    raise<IoError>("io.361", "samples file '", file.path(), "': test image ", test_index, " is not bundled");
  }
};

template <class T>
FashionSamples<T> load_fmnist_samples(const std::string& path) {
  SafeTensors<T> st = SafeTensors<T>::load(path);
  const ConstView<T> images = st.get("images"), labels = st.get("labels"), indices = st.get("indices");
  if (images.rank() != 4 || images.dim(1) != 1 || images.dim(2) != 28 || images.dim(3) != 28 ||
      labels.shape() != Shape{images.dim(0)} || indices.shape() != Shape{images.dim(0)})
    raise<IoError>("io.361", "samples file '", path, "': images ", images.shape(), ", labels ", labels.shape(),
                   ", indices ", indices.shape(), "; expected [N, 1, 28, 28], [N], [N]");
  FashionSamples<T> s{Tensor<T>::copy_of(images), {}, {}, std::move(st)};
  for (Index i = 0; i < labels.size(); ++i) {
    s.labels.push_back(int(labels[i]));
    s.indices.push_back(Index(indices[i]));
  }
  return s;
}

ATTRIB_END_NAMESPACE
