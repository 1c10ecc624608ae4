// The program both consumer projects build: a two-layer ReLU network as a compile-time
// Sequential and as a runtime Network, explained with Gradient; the gradient is checked
// against the value worked out by hand. Prints "attrib consumer OK" and returns 0 on success.
#include <attrib/attrib.hpp>

#include <cmath>
#include <cstdio>

namespace {

template <class L>
void set(L& layer, std::initializer_list<float> w, std::initializer_list<float> b) {
  auto wv = layer.weight().mutable_view();
  auto bv = layer.bias().mutable_view();
  attrib::Index i = 0;
  for (float v : w) wv[i++] = v;
  i = 0;
  for (float v : b) bv[i++] = v;
}

// x = [1, 2, 3]; hidden pre-activations z = W1 x + b1 = [1, -2]: unit 1 is cut by the ReLU, so
// d logit_1 / dx = W2[1, 0] * W1[0, :] = 0.5 * [1, -1, 0.5] and logit_1 = 0.5 * 1 = 0.5.
bool check(const char* what, const attrib::Explanation<float>& e) {
  const float expected[3] = {0.5f, -0.5f, 0.25f};
  bool ok = e.attribution.shape() == attrib::Shape{1, 3} && e.output.shape() == attrib::Shape{1, 2} &&
            std::abs(e.output.at(0, 1) - 0.5f) < 1e-6f && std::abs(e.output.at(0, 0) - 3.0f) < 1e-6f;
  for (int i = 0; ok && i < 3; ++i) ok = std::abs(e.attribution[i] - expected[i]) < 1e-6f;
  std::printf("%s: logits [%g, %g], gradient [%g, %g, %g] %s\n", what, double(e.output.at(0, 0)),
              double(e.output.at(0, 1)), double(e.attribution[0]), double(e.attribution[1]),
              double(e.attribution[2]), ok ? "ok" : "WRONG");
  return ok;
}

}  // namespace

int main() {
  attrib::Dense<float> fc1(3, 2), fc2(2, 2);
  set(fc1, {1, -1, 0.5f, -2, 1, 1}, {0.5f, -5});
  set(fc2, {3, -1, 0.5f, 2}, {0, 0});
  const attrib::Tensor<float> x(attrib::Shape{1, 3}, {1, 2, 3});

  const auto seq = attrib::Sequential(fc1, attrib::ReLU<float>(), fc2);
  const bool seq_ok = check("Sequential", attrib::explain(seq, attrib::Gradient{}, x.cview(), 1));

  attrib::Network<float> net;
  net.add(fc1, "fc1");
  net.add(attrib::ReLU<float>(), "relu");
  net.add(fc2, "fc2");
  const bool net_ok = check("Network", attrib::explain(net, attrib::Gradient{}, x.cview(), 1));

  if (!(seq_ok && net_ok)) return 1;
  std::printf("attrib consumer OK (attrib %d.%d.%d)\n", ATTRIB_VERSION_MAJOR, ATTRIB_VERSION_MINOR,
              ATTRIB_VERSION_PATCH);
  return 0;
}
