// Model, inputs and predictions of one run (session.hpp).
#include "session.hpp"

#include <attrib/methods/common.hpp>

#include <algorithm>
#include <numeric>

#include "preprocess.hpp"
#include "progress.hpp"

namespace attrib::cli {

Session open_session(const Options& o) {
  Session s;
  const std::string path = resolve_model(o.model);
  const InputProbe probe = probe_input(o.inputs.at(0), o.pre);
  std::optional<std::pair<Index, Index>> size = o.pre.size;
  if (!size && probe.height > 0) size = std::make_pair(probe.height, probe.width);
  const Shape shape = choose_input_shape(declared_input(path), o, probe.channels, size);
  s.model = load_model(path, shape, o.canonize);
  s.inputs = load_inputs(o.inputs, s.model.input_shape, o.pre);
  const Shape& in = s.model.input_shape;
  s.ctx.images = Tensor<T>(in.with_batch(Index(s.inputs.size())));
  for (std::size_t i = 0; i < s.inputs.size(); ++i) s.ctx.images.view().slice(Index(i), 1).vec() = s.inputs[i].x.vec();
  const Index channels = in.rank() == 4 ? (o.pre.nhwc ? in[3] : in[1]) : 1;
  std::tie(s.ctx.low, s.ctx.high) = input_range(o.pre, channels);
  auto f = model_function(s.model.net);
  const Tensor<T> y = f(s.ctx.images.cview());
  for (std::size_t i = 0; i < s.inputs.size(); ++i) {
    std::vector<double> l(static_cast<std::size_t>(s.model.classes));
    for (Index k = 0; k < s.model.classes; ++k) l[std::size_t(k)] = y.at(Index(i), k);
    s.predicted.push_back(Index(std::max_element(l.begin(), l.end()) - l.begin()));
    s.logits.push_back(std::move(l));
  }
  return s;
}

std::vector<Index> targets_for(const std::string& target, const std::vector<double>& logits) {
  const Index k = Index(logits.size());
  if (target == "all" || target.rfind("top", 0) == 0) {
    const Index n = target == "all" ? k : std::min<Index>(k, std::stoll(target.substr(3)));
    std::vector<Index> order(static_cast<std::size_t>(k));
    std::iota(order.begin(), order.end(), Index(0));
    std::stable_sort(order.begin(), order.end(), [&](Index a, Index b) { return logits[std::size_t(a)] > logits[std::size_t(b)]; });
    order.resize(static_cast<std::size_t>(n));
    return order;
  }
  const Index c = std::stoll(target);
  if (c >= k) usage("cli.032", "--target ", c, " is out of range; the model has ", k, " classes (0 to ", k - 1, ")");
  return {c};
}

std::vector<const Method*> chosen_methods(const std::vector<std::string>& names, const std::vector<std::string>& defaults) {
  std::vector<const Method*> out;
  for (const auto& n : names.empty() ? defaults : names) {
    const Method* m = &find_method(n);
    if (std::find(out.begin(), out.end(), m) == out.end()) out.push_back(m);
  }
  return out;
}

double output_delta(const Network<T>& net, ConstView<T> x, Index c) {
  Tensor<T> both(x.shape().with_batch(2));
  both.set_zero();
  both.view().slice(0, 1).vec() = x.vec();
  auto f = model_function(net);
  const Tensor<T> y = f(both.cview());
  return double(y.at(0, c)) - double(y.at(1, c));
}

}  // namespace attrib::cli
