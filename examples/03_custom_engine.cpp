// An inference engine that runs the forward pass itself and keeps weights and activations in
// its own buffers. attrib wraps those buffers (no copies) and computes only the backward pass.
#include <attrib/attrib.hpp>

#include <cmath>
#include <cstdio>
#include <vector>

// --- a toy "engine": a 2-layer MLP computed with plain loops in its own memory -------------
struct Engine {
  int in = 8, hidden = 16, out = 4;
  std::vector<float> w1, b1, w2, b2;      // PyTorch layout: [out, in]
  std::vector<float> z1, a1, logits;      // activations the engine keeps anyway

  Engine() : w1(128), b1(16), w2(64), b2(4), z1(16), a1(16), logits(4) {
    attrib::Random rng(3);  // any initialisation; the engine owns the numbers
    for (auto* v : {&w1, &b1, &w2, &b2})
      for (float& x : *v) x = float(rng.uniform(-0.5, 0.5));
  }
  void run(const float* x) {
    for (int j = 0; j < hidden; ++j) {
      float s = b1[std::size_t(j)];
      for (int i = 0; i < in; ++i) s += w1[std::size_t(j * in + i)] * x[i];
      z1[std::size_t(j)] = s;
      a1[std::size_t(j)] = s > 0 ? s : 0;
    }
    for (int k = 0; k < out; ++k) {
      float s = b2[std::size_t(k)];
      for (int j = 0; j < hidden; ++j) s += w2[std::size_t(k * hidden + j)] * a1[std::size_t(j)];
      logits[std::size_t(k)] = s;
    }
  }
};

int main() {
  using namespace attrib;
  Engine engine;
  std::vector<float> x(8);
  for (int i = 0; i < 8; ++i) x[std::size_t(i)] = 0.25f * float(i) - 0.8f;
  engine.run(x.data());

  // Describe the engine's network to attrib; parameters are views of the engine's buffers.
  Network<float> net;
  Dense<float> fc1(8, 16), fc2(16, 4);
  fc1.weight().bind(wrap(static_cast<const float*>(engine.w1.data()), Shape{16, 8}), "fc1");
  fc1.bias().bind(wrap(static_cast<const float*>(engine.b1.data()), Shape{16}), "fc1");
  fc2.weight().bind(wrap(static_cast<const float*>(engine.w2.data()), Shape{4, 16}), "fc2");
  fc2.bias().bind(wrap(static_cast<const float*>(engine.b2.data()), Shape{4}), "fc2");
  net.add(fc1, "fc1");
  net.add(ReLU<float>(), "relu");
  net.add(fc2, "fc2");
  const bool shared = net.layer<Dense<float>>("fc1").weight().data() == engine.w1.data();

  // Hand attrib the engine's activations: the trace only stores views.
  Explainer explainer(net, GradientTimesInput{});
  Trace<float>& trace = explainer.trace();
  trace.reset(net.size());
  trace.set_input(wrap(static_cast<const float*>(x.data()), Shape{1, 8}));
  trace.bind(0, wrap(static_cast<const float*>(engine.z1.data()), Shape{1, 16}));
  trace.bind(1, wrap(static_cast<const float*>(engine.a1.data()), Shape{1, 16}));
  trace.bind(2, wrap(static_cast<const float*>(engine.logits.data()), Shape{1, 4}));
  const Tensor<float> backward_only = explainer.explain_trace(/*target*/ 2).attribution;

  // Cross-check against attrib doing forward and backward itself.
  const auto both = explain(net, GradientTimesInput{}, wrap(static_cast<const float*>(x.data()), Shape{1, 8}), 2);
  float diff = 0;
  for (Index i = 0; i < 8; ++i) diff = std::max(diff, std::abs(both.attribution[i] - backward_only[i]));

  std::printf("weights shared with the engine (no copy): %s\n", shared ? "yes" : "no");
  for (Index i = 0; i < 8; ++i) std::printf("  x[%ld] = %+.3f  attribution %+.5f\n", long(i), x[std::size_t(i)], backward_only[i]);
  std::printf("max difference to attrib's own forward+backward: %.2e %s\n", diff,
              (shared && diff < 1e-6f) ? "OK" : "MISMATCH");
  return shared && diff < 1e-6f ? 0 : 1;
}
