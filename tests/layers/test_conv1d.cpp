#include <vector>

#include "support/layer_checks.hpp"
#include "attrib/layers/conv1d.hpp"

using namespace attrib;
using namespace attrib::test;

namespace {

struct Case {
  const char* label;
  Index cin, cout, k;
  Conv1dOptions opt;
  Shape in;
};

std::vector<Case> cases() {
  return {
      {"k3 pad 1", 3, 4, 3, Conv1dOptions().padding(1), Shape{2, 3, 9}},
      {"stride 2, asymmetric padding", 2, 3, 4, Conv1dOptions().stride(2).padding(2, 1), Shape{2, 2, 11}},
      {"dilation 3, no bias", 2, 3, 3, Conv1dOptions().dilation(3).padding(2).bias(false), Shape{1, 2, 10}},
      {"groups 2", 4, 6, 2, Conv1dOptions().groups(2).stride(3), Shape{2, 4, 8}},
      {"depthwise", 5, 5, 5, Conv1dOptions().groups(5).padding(2), Shape{2, 5, 7}},
      {"1x1 (input used as columns)", 4, 3, 1, Conv1dOptions(), Shape{2, 4, 6}},
      {"kernel covers the input", 2, 2, 6, Conv1dOptions(), Shape{2, 2, 6}},
  };
}

template <class T>
Conv1d<T> make_conv(const Case& c, unsigned seed) {
  Conv1d<T> conv(c.cin, c.cout, c.k, c.opt);
  conv.set_name("encoder.conv");
  fill_random(conv.weight().mutable_view(), seed);
  if (conv.has_bias()) fill_random(conv.bias().mutable_view(), seed + 7);
  return conv;
}

// Naive 1-d cross-correlation y = f(W) * x (+ bias).
template <class T, class F>
Tensor<double> naive_forward(const Case& c, const Conv1d<T>& conv, const Tensor<T>& x, const F& f, bool bias) {
  const Conv1dOptions& o = c.opt;
  const Index L = x.dim(2), lo = (L + o.pad_left() + o.pad_right() - o.dilation() * (c.k - 1) - 1) / o.stride() + 1;
  const Index cin_g = c.cin / o.groups(), cout_g = c.cout / o.groups();
  ConstView<T> w = conv.weight().view();
  Tensor<double> y(Shape{x.dim(0), c.cout, lo});
  for (Index n = 0; n < x.dim(0); ++n)
    for (Index oc = 0; oc < c.cout; ++oc)
      for (Index ol = 0; ol < lo; ++ol) {
        double s = bias && conv.has_bias() ? double(f(conv.bias().data()[oc])) : 0.0;
        for (Index ic = 0; ic < cin_g; ++ic)
          for (Index kk = 0; kk < c.k; ++kk) {
            const Index il = ol * o.stride() - o.pad_left() + kk * o.dilation();
            if (il < 0 || il >= L) continue;
            s += double(x.at(n, (oc / cout_g) * cin_g + ic, il)) * double(f(w.at(oc, ic, kk)));
          }
        y.at(n, oc, ol) = s;
      }
  return y;
}

}  // namespace

TEMPLATE_TEST_CASE("Conv1d matches a naive loop for every option and transform", "[layers][conv1d]", float, double) {
  using T = TestType;
  const double t = std::is_same_v<T, float> ? 1e-5 : 1e-12;
  unsigned seed = 1;
  for (const Case& c : cases()) {
    INFO(c.label);
    const Conv1d<T> conv = make_conv<T>(c, seed++);
    CHECK(conv.weight().shape() == Shape{c.cout, c.cin / c.opt.groups(), c.k});  // PyTorch's layout
    auto x = random_tensor<T>(c.in, seed++);
    Workspace<T> ws;
    Tensor<T> y(conv.output_shape(c.in));
    conv.forward(x, y, ws);
    require_close(y, naive_forward(c, conv, x, transform::Identity{}, true), t, t, "forward");
    conv.forward_transformed(transform::Positive{}, BiasMode::transformed, x, y, ws);
    require_close(y, naive_forward(c, conv, x, transform::Positive{}, true), t, t, "forward W+ b+");
    conv.forward_transformed(transform::Square{}, BiasMode::none, x, y, ws);
    require_close(y, naive_forward(c, conv, x, transform::Square{}, false), t, t, "forward W^2");
  }
}

TEST_CASE("Conv1d backward matches finite differences, its primitives are adjoint", "[layers][conv1d]") {
  unsigned seed = 50;
  for (const Case& c : cases()) {
    INFO(c.label);
    const Conv1d<double> conv = make_conv<double>(c, seed++);
    check_backward_fd(conv, random_tensor<double>(c.in, seed), seed + 1);
    seed += 2;
    check_adjoint(conv, transform::Identity{}, c.in, seed++);
    check_adjoint(conv, transform::Negative{}, c.in, seed++);
    check_batch_equals_samples(conv, random_tensor<double>(c.in.with_batch(3), seed++));
  }
}

TEST_CASE("Conv1d forward_with / backward_with take explicit weights of PyTorch's shape", "[layers][conv1d]") {
  const Case c = cases()[1];
  const Conv1d<double> conv = make_conv<double>(c, 70);
  auto a = random_tensor<double>(conv.weight().shape(), 71), x = random_tensor<double>(c.in, 72);
  Workspace<double> ws;
  Tensor<double> y(conv.output_shape(c.in)), ref(y.shape());
  conv.forward_with(a, nullptr, x, y, ws);
  // The same layer with A as its weights and no bias.
  Conv1d<double> with_a(c.cin, c.cout, c.k, Conv1dOptions(c.opt).bias(false));
  with_a.weight().assign(a, "a");
  with_a.forward(x, ref, ws);
  require_close(y, ref, 1e-14, 1e-14, "forward_with");
  auto gy = random_tensor<double>(y.shape(), 73);
  Tensor<double> gx(c.in), gx_ref(c.in);
  conv.backward_with(a, gy, gx, ws);
  with_a.backward(x, gy, gx_ref, ws);
  require_close(gx, gx_ref, 1e-14, 1e-14, "backward_with");
}

TEST_CASE("Conv1d equals its to_conv2d() on the [N, C, 1, L] view", "[layers][conv1d]") {
  for (const Case& c : cases()) {
    INFO(c.label);
    const Conv1d<double> conv = make_conv<double>(c, 80);
    const Conv2d<double> conv2 = conv.to_conv2d();
    CHECK(conv2.has_bias() == conv.has_bias());
    auto x = random_tensor<double>(c.in, 81);
    Tensor<double> y = run_forward(conv, x);
    Tensor<double> y2 = run_forward(conv2, Tensor<double>(Shape{c.in[0], c.in[1], 1, c.in[2]}, std::vector<double>(x.data(), x.data() + x.size())));
    require_close(Tensor<double>(y.shape(), std::vector<double>(y2.data(), y2.data() + y2.size())), y, 1e-14, 1e-14, "to_conv2d");
  }
}

TEST_CASE("Conv1d validates options and shapes under its own name", "[layers][conv1d][errors]") {
  CHECK_THROWS_WITH(Conv1d<float>(0, 2, 3), Catch::Contains("[attrib.param.1060]") && Catch::Contains("Conv1d"));
  CHECK_THROWS_WITH(Conv1d<float>(2, 2, 0), Catch::Contains("[attrib.param.1061]"));
  CHECK_THROWS_WITH(Conv1d<float>(2, 2, 3, Conv1dOptions().stride(0)), Catch::Contains("[attrib.param.1061]"));
  CHECK_THROWS_WITH(Conv1d<float>(2, 2, 3, Conv1dOptions().padding(-1, 0)), Catch::Contains("[attrib.param.1062]"));
  CHECK_THROWS_WITH(Conv1d<float>(4, 6, 3, Conv1dOptions().groups(4)), Catch::Contains("[attrib.param.1063]"));
  Conv1d<float> conv(3, 4, 5, Conv1dOptions().dilation(2));
  conv.set_name("tcn.0");
  CHECK_THROWS_WITH(conv.output_shape(Shape{2, 3, 4, 4}), Catch::Contains("[attrib.shape.1060]") &&
                                                             Catch::Contains("Conv1d 'tcn.0'") &&
                                                             Catch::Contains("expected [N, 3, L]"));
  CHECK_THROWS_WITH(conv.output_shape(Shape{2, 3, 8}), Catch::Contains("[attrib.shape.1061]") &&
                                                          Catch::Contains("L >= 9"));
  Workspace<float> ws;
  Tensor<float> x(Shape{2, 3, 12}), y(Shape{2, 4, 3}), bad_w(Shape{4, 3, 1, 5});
  CHECK_THROWS_WITH(conv.forward(x, y, ws), Catch::Contains("output") && Catch::Contains("expected [2, 4, 4]"));
  Tensor<float> y_ok(Shape{2, 4, 4});
  CHECK_THROWS_WITH(conv.forward_with(bad_w, nullptr, x, y_ok, ws),
                    Catch::Contains("[attrib.shape.1062]") && Catch::Contains("expected [4, 3, 5]"));
}
