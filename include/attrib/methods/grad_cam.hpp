#pragma once
// Grad-CAM (Selvaraju et al. 2017) at any layer whose output is [N, C, positions...]:
//   alpha_k = (1/Z) sum_p d f_c / d A_{k,p}     (Z = number of positions)
//   units   a_{k,p} = alpha_k A_{k,p}
//   map     L_p = sum_k a_{k,p}, then ReLU (opt.relu, the paper's choice) or not.
// The gradient at the layer is read from an Explainer<Model, Gradient> with keep_layers.
#include "attrib/core/config.hpp"
#include <string_view>

#include "attrib/methods/common.hpp"

ATTRIB_BEGIN_NAMESPACE

struct GradCamOptions {
  bool relu = true;  ///< apply the final ReLU to the map
};

template <class T>
struct GradCamResult {
  Tensor<T> map;         ///< [N, positions...] (the layer's shape without the channel axis)
  Tensor<T> units;       ///< [N, C, positions...]: alpha_k A_{k,p} before the channel sum
  Tensor<T> weights;     ///< [N, C]: alpha_k
  Tensor<T> output;      ///< model output [N, K]
};

/// Grad-CAM of `model` at node `layer` (index) for the target class(es).
template <class Model>
GradCamResult<typename Model::Scalar> grad_cam(const Model& model, ConstView<typename Model::Scalar> x,
                                               const Targets& targets, Index layer, const GradCamOptions& opt = {}) {
  using T = typename Model::Scalar;
  const char* who = "grad_cam";
  detail::check_input(x, who);
  if (layer < 0 || layer >= model.size())
    raise<ArgumentError>("arg.745", who, ": layer ", layer, " is out of range; the model has ", model.size(), " nodes (0 to ",
                         model.size() - 1, ")");
  Explainer<Model, Gradient> e(model, Gradient{});
  ExplainOptions<T> eo;
  eo.keep_layers = true;
  const Explanation<T>& ex = e.explain(x, targets, eo);
  const ConstView<T> a = e.trace().output(layer);
  const Tensor<T>& g = ex.layers[static_cast<std::size_t>(layer)];
  const NodeInfo& node = model.node(layer);
  if (a.rank() < 3)
    raise<ShapeError>("shape.745", who, ": ", node.kind, " '", node.name, "' has output shape ", a.shape(),
                      ", expected [N, C, positions...] (a convolutional feature map)");
  const Index n = a.dim(0), c = a.dim(1), z = a.shape().sample_size() / std::max<Index>(1, c);
  GradCamResult<T> res;
  res.units.resize(a.shape());
  res.weights.resize(Shape{n, c});
  std::vector<Index> ms{n};
  for (int k = 2; k < a.rank(); ++k) ms.push_back(a.dim(k));
  res.map.resize(Shape::from_range(ms.begin(), ms.end()));
  res.map.set_zero();
  for (Index i = 0; i < n; ++i)
    for (Index k = 0; k < c; ++k) {
      const Index o = (i * c + k) * z;
      double s = 0;
      for (Index p = 0; p < z; ++p) s += static_cast<double>(g[o + p]);
      const double alpha = z > 0 ? s / double(z) : 0.0;
      res.weights.at(i, k) = static_cast<T>(alpha);
      for (Index p = 0; p < z; ++p) {
        const T u = static_cast<T>(alpha * static_cast<double>(a[o + p]));
        res.units[o + p] = u;
        res.map[i * z + p] += u;
      }
    }
  if (opt.relu) res.map.vec() = res.map.vec().cwiseMax(T(0));
  res.output = ex.output;
  return res;
}

/// Grad-CAM at the layer named `layer` (e.g. "features.28", "layer4.2.relu").
template <class Model>
GradCamResult<typename Model::Scalar> grad_cam(const Model& model, ConstView<typename Model::Scalar> x,
                                               const Targets& targets, std::string_view layer,
                                               const GradCamOptions& opt = {}) {
  return grad_cam(model, x, targets, model.find(layer), opt);
}

ATTRIB_END_NAMESPACE
