#pragma once
// canonize(net): folds every inference-mode BatchNorm2d that directly follows a Conv2d or Dense
// (being that layer's only consumer) into the layer's weights and bias, as Zennit's
// MergeBatchNorm canonizer does, but exactly (the BN node is removed, not left as an
// "identity" BN with eps):
//   y = s_c (W x + b)_c + t_c   with  s_c = gamma_c / sqrt(var_c + eps),  t_c = beta_c - s_c mu_c
//   W'_c = s_c W_c,   b'_c = s_c b_c + t_c        (b = 0 for a layer without bias; it gets one)
// A chain Conv -> BN -> BN folds completely. Why: rules that treat Conv and BN separately (LRP,
// DeepLIFT, ...) then see one linear layer, as Zennit's canonizers and the ONNX export do.
// BatchNorm2d nodes that cannot be folded (after Add, ReLU, pooling, or after a layer whose
// output has other consumers) stay unchanged.
//
// The result is a new runtime Network<T>: remaining nodes keep their names and order, indices and
// inputs are renumbered. Folded layers own their new parameters; every other layer is copied, so a
// parameter bound to an external buffer (Param::bind) stays bound to the same buffer (no copy).
// The source network is not modified. Compile-time Sequential models are not supported (the fold
// changes the layer list, hence the type); build them as a Network to canonize them.
#include "attrib/core/config.hpp"
#include <string>
#include <type_traits>
#include <vector>

#include "attrib/models/network.hpp"

ATTRIB_BEGIN_NAMESPACE

/// A batch norm removed by canonize() and the layer it was folded into (both by name).
struct FoldedBatchNorm {
  std::string batch_norm;
  std::string into;
};

namespace detail {

/// W'_c = s_c W_c, b'_c = s_c b_c + t_c with (s, t) the batch norm's effective affine map.
template <class L, class T>
void fold_batch_norm(L& layer, const BatchNorm2d<T>& bn) {
  const Index c = layer.out_units();
  if (bn.channels() != c)
    raise<ShapeError>("shape.510", "canonize: BatchNorm2d '", bn.name(), "' has ", bn.channels(),
                      " channels, but its input comes from ", L::kind, " '", layer.name(), "' with ", c,
                      " output channels");
  Tensor<T> scale(Shape{c}), shift(Shape{c});
  bn.effective_affine(scale.view(), shift.view());
  TensorView<T> w = layer.weight().mutable_view();
  w.mat(c, w.size() / c).array().colwise() *= scale.vec().array();
  TensorView<T> b = layer.bias().mutable_view();
  b.vec() = scale.vec().cwiseProduct(b.vec()) + shift.vec();
}
}  // namespace detail

/// A copy of `model` with batch norms folded into the preceding Conv2d/Dense (see above).
/// `folded`, if given, receives the removed batch norms and their target layers in order.
template <class T>
Network<T> canonize(const Network<T>& model, std::vector<FoldedBatchNorm>* folded = nullptr) {
  const Index n = model.size();
  const auto at = [](auto& v, Index i) -> auto& { return v[static_cast<std::size_t>(i)]; };

  // Consumers per node (an Add reading one node twice counts twice).
  std::vector<int> consumers(static_cast<std::size_t>(n), 0);
  std::vector<Index> consumer(static_cast<std::size_t>(n), -1);
  for (Index i = 0; i < n; ++i) {
    const NodeInfo& info = model.node(i);
    for (const Index p : info.inputs) {
      if (p < 0) continue;
      ++at(consumers, p);
      at(consumer, p) = i;
    }
  }
  const auto is_kind = [&](Index i, const char* kind) { return std::string(model.node(i).kind) == kind; };

  // chain[i]: the batch norms folded into linear node i, in order; into[j]: where BN j goes.
  std::vector<std::vector<Index>> chain(static_cast<std::size_t>(n));
  std::vector<Index> into(static_cast<std::size_t>(n), -1);
  for (Index i = 0; i < n; ++i) {
    if (model.node(i).role != Role::weighted_linear) continue;
    for (Index c = i; at(consumers, c) == 1 && is_kind(at(consumer, c), BatchNorm2d<T>::kind);) {
      c = at(consumer, c);
      at(into, c) = i;
      at(chain, i).push_back(c);
    }
  }

  Network<T> out;
  std::vector<Index> new_index(static_cast<std::size_t>(n), -1);
  const auto mapped = [&](Index p) { return p < 0 ? p : at(new_index, p); };
  for (Index i = 0; i < n; ++i) {
    if (at(into, i) >= 0) {
      at(new_index, i) = at(new_index, at(into, i));
      if (folded) folded->push_back({model.node(i).name, model.node(at(into, i)).name});
      continue;
    }
    const NodeInfo& info = model.node(i);
    model.visit(i, [&](const auto& layer) {
      using L = std::decay_t<decltype(layer)>;
      L copy = layer;
      if constexpr (L::role == Role::weighted_linear) {
        if (!at(chain, i).empty()) {
          copy.ensure_bias();
          copy.set_name(info.name);  // for error messages while folding
          for (Index j : at(chain, i)) detail::fold_batch_norm(copy, model.template layer<BatchNorm2d<T>>(j));
        }
      }
      std::vector<Index> inputs;
      for (const Index p : info.inputs) inputs.push_back(mapped(p));
      at(new_index, i) = out.add(std::move(copy), info.name, std::move(inputs));
    });
  }
  return out;
}

ATTRIB_END_NAMESPACE
