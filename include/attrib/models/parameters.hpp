#pragma once
// Parameters of a network by PyTorch-style name ("features.0.weight", "layer1.0.bn1.running_var"),
// for loading weights, binding an engine's buffers and randomising layers.
#include "attrib/core/config.hpp"
#include <string>
#include <string_view>
#include <vector>

#include "attrib/models/network.hpp"

ATTRIB_BEGIN_NAMESPACE

namespace detail {
struct ParameterProbe {
  template <class P>
  void operator()(const char*, P&) const {}
};
template <class L, class = void>
struct has_parameters : std::false_type {};
template <class L>
struct has_parameters<L, std::void_t<decltype(std::declval<L&>().parameters(ParameterProbe{}))>> : std::true_type {};

/// The layer's own parameter list (Layer::parameters(f)); layers without one have none.
template <class L, class F>
void layer_parameters(L& layer, F&& f) {
  if constexpr (has_parameters<L>::value) layer.parameters(f);
}
}  // namespace detail

/// Calls f(full_name, Param<T>&) for every parameter, in execution order.
template <class Net, class F>
void for_each_parameter(Net& net, F&& f) {
  for (Index i = 0; i < net.size(); ++i) {
    const std::string& node = net.node(i).name;
    net.visit(i, [&](auto& layer) {
      detail::layer_parameters(layer, [&](const char* p, auto& param) { f(node + "." + p, param); });
    });
  }
}

template <class Net>
std::vector<std::string> parameter_names(const Net& net) {
  std::vector<std::string> names;
  for_each_parameter(net, [&](const std::string& n, const auto&) { names.push_back(n); });
  return names;
}

/// The parameter with this full name (ArgumentError listing the node's parameters otherwise).
template <class T>
Param<T>& parameter(Network<T>& net, std::string_view name) {
  Param<T>* found = nullptr;
  for_each_parameter(net, [&](const std::string& n, Param<T>& p) {
    if (n == name) found = &p;
  });
  if (!found)
    raise<ArgumentError>("arg.040", "no parameter named '", name, "' (the model has ",
                         parameter_names(net).size(), " parameters, e.g. '",
                         parameter_names(net).empty() ? std::string() : parameter_names(net).front(), "')");
  return *found;
}

ATTRIB_END_NAMESPACE
