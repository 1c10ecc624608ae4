// Must NOT compile: OnlyDense has no backward() for ReLU, and the model is a compile-time
// Sequential, so the engine's static_assert fires. CTest checks the message.
#include "attrib/attrib.hpp"

struct OnlyDense {
  static constexpr const char* name = "OnlyDense";
  template <class T, class S> void backward(const attrib::Dense<T>& l, attrib::Step<T, S>& s) const {
    l.backward(s.x, s.out, s.in, s.ws);
  }
#ifdef ATTRIB_CONTROL
  template <class T, class S> void backward(const attrib::ReLU<T>& l, attrib::Step<T, S>& s) const {
    l.backward(s.x, s.out, s.in, s.ws);
  }
#endif
};

int main() {
  attrib::Sequential model(attrib::Dense<float>(3, 4), attrib::ReLU<float>(), attrib::Dense<float>(4, 2));
  attrib::Tensor<float> x(attrib::Shape{1, 3});
  auto e = attrib::explain(model, OnlyDense{}, x.cview(), 0);
  return e.attribution.size() == 3 ? 0 : 1;
}
