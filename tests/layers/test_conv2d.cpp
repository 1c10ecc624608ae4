#include <vector>

#include "support/layer_checks.hpp"
#include "attrib/layers/conv2d.hpp"

using namespace attrib;
using namespace attrib::test;

namespace {

struct Case {
  const char* label;
  Index cin, cout, kh, kw;
  Conv2dOptions opt;
  Shape in;
  bool small = true;  // cheap enough for finite differences
};

// Small odd shapes covering every option; each label says what the case exercises.
std::vector<Case> cases() {
  return {
      {"3x3 pad 1", 3, 4, 3, 3, Conv2dOptions().padding(1), Shape{2, 3, 7, 6}},
      {"stride 2, asymmetric padding, 3x2 kernel", 2, 3, 3, 2, Conv2dOptions().stride(2).padding(1, 2, 0, 1),
       Shape{2, 2, 9, 7}},
      {"stride (2, 3)", 3, 2, 2, 3, Conv2dOptions().stride(2, 3).padding(0, 1), Shape{1, 3, 8, 11}},
      {"dilation 2", 2, 3, 3, 3, Conv2dOptions().dilation(2).padding(2), Shape{2, 2, 8, 9}},
      {"dilation (1, 3), stride 2", 2, 2, 2, 3, Conv2dOptions().dilation(1, 3).stride(2), Shape{1, 2, 7, 10}},
      {"groups 2", 4, 6, 2, 3, Conv2dOptions().groups(2).stride(2, 1).padding(1), Shape{2, 4, 7, 5}},
      {"depthwise", 3, 3, 3, 3, Conv2dOptions().groups(3).padding(1), Shape{2, 3, 6, 5}},
      {"depthwise, multiplier 2", 3, 6, 3, 3, Conv2dOptions().groups(3).padding(1, 0).stride(2), Shape{1, 3, 7, 6}},
      {"1x1 (input used as columns)", 5, 3, 1, 1, Conv2dOptions(), Shape{2, 5, 4, 3}},
      {"1x1, groups 5 (input used as columns)", 5, 10, 1, 1, Conv2dOptions().groups(5).bias(false), Shape{2, 5, 3, 3}},
      {"1x1 with padding", 3, 2, 1, 1, Conv2dOptions().padding(1, 0, 0, 1), Shape{2, 3, 3, 4}},
      {"1x1 stride 2", 4, 3, 1, 1, Conv2dOptions().stride(2), Shape{1, 4, 5, 5}},
      {"no bias, 5x1 kernel", 2, 3, 5, 1, Conv2dOptions().bias(false).padding(2, 0), Shape{2, 2, 6, 4}},
      {"kernel covers the image (1x1 output)", 3, 5, 4, 3, Conv2dOptions(), Shape{2, 3, 4, 3}},
      {"tiny product (coefficient-based path)", 1, 2, 2, 2, Conv2dOptions(), Shape{1, 1, 3, 3}},
      {"wide enough for Eigen's blocked kernel", 8, 16, 3, 3, Conv2dOptions().padding(1), Shape{1, 8, 12, 13}},
      // 144 x 4288 column entries exceed Conv2d::column_budget: processed in bands of 56 + 11 rows.
      {"several bands of output rows", 16, 4, 3, 3, Conv2dOptions().padding(1), Shape{2, 16, 67, 64}, false},
  };
}

template <class T>
Conv2d<T> make_conv(const Case& c, unsigned seed) {
  Conv2d<T> conv(c.cin, c.cout, c.kh, c.kw, c.opt);
  conv.set_name("conv1");
  fill_random(conv.weight().mutable_view(), seed);
  if (conv.has_bias()) fill_random(conv.bias().mutable_view(), seed + 7);
  return conv;
}

// Naive 7-loop reference of y = f(W) * x (+ bias), with the weights and bias given explicitly.
template <class T, class F>
Tensor<T> naive_forward(const Case& c, ConstView<T> w, const T* bias, const Tensor<T>& x, const F& f) {
  const Conv2dOptions& o = c.opt;
  const Index ho = (x.dim(2) + o.pad_top() + o.pad_bottom() - o.dilation_h() * (c.kh - 1) - 1) / o.stride_h() + 1;
  const Index wo = (x.dim(3) + o.pad_left() + o.pad_right() - o.dilation_w() * (c.kw - 1) - 1) / o.stride_w() + 1;
  const Index cin_g = c.cin / o.groups(), cout_g = c.cout / o.groups();
  Tensor<T> y(Shape{x.dim(0), c.cout, ho, wo});
  for (Index n = 0; n < x.dim(0); ++n)
    for (Index oc = 0; oc < c.cout; ++oc)
      for (Index oy = 0; oy < ho; ++oy)
        for (Index ox = 0; ox < wo; ++ox) {
          double s = bias ? double(bias[oc]) : 0.0;
          for (Index ic = 0; ic < cin_g; ++ic)
            for (Index ky = 0; ky < c.kh; ++ky)
              for (Index kx = 0; kx < c.kw; ++kx) {
                const Index iy = oy * o.stride_h() - o.pad_top() + ky * o.dilation_h();
                const Index ix = ox * o.stride_w() - o.pad_left() + kx * o.dilation_w();
                if (iy < 0 || iy >= x.dim(2) || ix < 0 || ix >= x.dim(3)) continue;
                s += double(x.at(n, (oc / cout_g) * cin_g + ic, iy, ix)) * double(f(w.at(oc, ic, ky, kx)));
              }
          y.at(n, oc, oy, ox) = T(s);
        }
  return y;
}

// Naive transposed convolution gx = f(W)^T gy: every output gradient is scattered back onto
// the input taps it was computed from.
template <class T, class F>
Tensor<T> naive_backward(const Case& c, ConstView<T> w, const Tensor<T>& gy, const Shape& in, const F& f) {
  const Conv2dOptions& o = c.opt;
  const Index cin_g = c.cin / o.groups(), cout_g = c.cout / o.groups();
  Tensor<double> gx(in);
  for (Index n = 0; n < gy.dim(0); ++n)
    for (Index oc = 0; oc < c.cout; ++oc)
      for (Index oy = 0; oy < gy.dim(2); ++oy)
        for (Index ox = 0; ox < gy.dim(3); ++ox)
          for (Index ic = 0; ic < cin_g; ++ic)
            for (Index ky = 0; ky < c.kh; ++ky)
              for (Index kx = 0; kx < c.kw; ++kx) {
                const Index iy = oy * o.stride_h() - o.pad_top() + ky * o.dilation_h();
                const Index ix = ox * o.stride_w() - o.pad_left() + kx * o.dilation_w();
                if (iy < 0 || iy >= in[2] || ix < 0 || ix >= in[3]) continue;
                gx.at(n, (oc / cout_g) * cin_g + ic, iy, ix) +=
                    double(gy.at(n, oc, oy, ox)) * double(f(w.at(oc, ic, ky, kx)));
              }
  return cast<T>(gx);
}

template <class T>
double tol() {
  return std::is_same_v<T, float> ? 1e-4 : 1e-11;
}

}  // namespace

TEST_CASE("Conv2dOptions has PyTorch defaults and chains", "[layers][conv2d]") {
  Conv2dOptions d;
  CHECK(d.stride_h() == 1);
  CHECK(d.stride_w() == 1);
  CHECK(d.pad_top() + d.pad_bottom() + d.pad_left() + d.pad_right() == 0);
  CHECK(d.dilation_h() == 1);
  CHECK(d.dilation_w() == 1);
  CHECK(d.groups() == 1);
  CHECK(d.bias());
  auto o = Conv2dOptions().stride(2, 3).padding(1, 2, 3, 4).dilation(5, 6).groups(7).bias(false);
  CHECK(o.stride_h() == 2);
  CHECK(o.stride_w() == 3);
  CHECK(o.pad_top() == 1);
  CHECK(o.pad_bottom() == 2);
  CHECK(o.pad_left() == 3);
  CHECK(o.pad_right() == 4);
  CHECK(o.dilation_h() == 5);
  CHECK(o.dilation_w() == 6);
  CHECK(o.groups() == 7);
  CHECK_FALSE(o.bias());
  auto s = Conv2dOptions().padding(2, 1);
  CHECK((s.pad_top() == 2 && s.pad_bottom() == 2 && s.pad_left() == 1 && s.pad_right() == 1));
}

TEST_CASE("Conv2d output shapes follow PyTorch's formula", "[layers][conv2d]") {
  // Shapes as torch.nn.Conv2d reports them.
  CHECK(Conv2d<float>(3, 64, 7, 7, Conv2dOptions().stride(2).padding(3)).output_shape(Shape{1, 3, 224, 224}) ==
        Shape{1, 64, 112, 112});
  CHECK(Conv2d<float>(64, 64, 3, 3, Conv2dOptions().padding(1)).output_shape(Shape{2, 64, 56, 56}) ==
        Shape{2, 64, 56, 56});
  CHECK(Conv2d<float>(2, 4, 3, 3, Conv2dOptions().stride(2)).output_shape(Shape{1, 2, 6, 7}) == Shape{1, 4, 2, 3});
  CHECK(Conv2d<float>(2, 4, 3, 3, Conv2dOptions().dilation(2).padding(1)).output_shape(Shape{1, 2, 9, 9}) ==
        Shape{1, 4, 7, 7});
  CHECK(Conv2d<float>(2, 4, 3, 1, Conv2dOptions().padding(0, 1, 2, 0)).output_shape(Shape{3, 2, 5, 5}) ==
        Shape{3, 4, 4, 7});
  Conv2d<double> g(6, 4, 3, 3, Conv2dOptions().groups(2));
  CHECK(g.weight().shape() == Shape{4, 3, 3, 3});
  CHECK(g.bias().shape() == Shape{4});
  CHECK_FALSE(Conv2d<double>(6, 4, 3, 3, Conv2dOptions().bias(false)).has_bias());
}

TEST_CASE("Conv2d's banded test case spans several bands and a tail band", "[layers][conv2d]") {
  const Index per_row = 16 * 3 * 3 * 64, rows = 67, width = 64;  // "several bands of output rows"
  const Index band = std::max(Conv2d<float>::column_budget / per_row,
                              (Conv2d<float>::column_min_cols + width - 1) / width);
  CHECK(band < rows);
  CHECK(rows % band != 0);
}

TEMPLATE_TEST_CASE("Conv2d forward matches a naive 7-loop reference", "[layers][conv2d]", float, double) {
  unsigned seed = 100;
  for (const Case& c : cases()) {
    INFO(c.label);
    auto conv = make_conv<TestType>(c, seed++);
    auto x = random_tensor<TestType>(c.in, seed++);
    Workspace<TestType> ws;
    Tensor<TestType> y(conv.output_shape(c.in));
    conv.forward(x, y, ws);
    const TestType* b = conv.has_bias() ? conv.bias().data() : nullptr;
    require_close(y, naive_forward(c, conv.weight().view(), b, x, transform::Identity{}), tol<TestType>(),
                  tol<TestType>(), c.label);
  }
}

TEMPLATE_TEST_CASE("Conv2d transformed forward matches naive loops with f(W) and each bias mode",
                   "[layers][conv2d]", float, double) {
  unsigned seed = 200;
  for (const Case& c : cases()) {
    if (!c.small) continue;  // banding does not depend on f; the other tests cover it
    INFO(c.label);
    auto conv = make_conv<TestType>(c, seed++);
    auto x = random_tensor<TestType>(c.in, seed++);
    Workspace<TestType> ws;
    Tensor<TestType> y(conv.output_shape(c.in));
    const TestType* b = conv.has_bias() ? conv.bias().data() : nullptr;
    auto check = [&](auto f, const char* name) {
      INFO(name);
      std::vector<TestType> fb(static_cast<std::size_t>(c.cout));
      for (Index i = 0; b && i < c.cout; ++i) fb[i] = f(b[i]);
      conv.forward_transformed(f, BiasMode::transformed, x, y, ws);
      require_close(y, naive_forward(c, conv.weight().view(), b ? fb.data() : nullptr, x, f), tol<TestType>(),
                    tol<TestType>(), "bias transformed");
      conv.forward_transformed(f, BiasMode::none, x, y, ws);
      require_close(y, naive_forward(c, conv.weight().view(), static_cast<const TestType*>(nullptr), x, f),
                    tol<TestType>(), tol<TestType>(), "no bias");
      conv.forward_transformed(f, BiasMode::unchanged, x, y, ws);
      require_close(y, naive_forward(c, conv.weight().view(), b, x, f), tol<TestType>(), tol<TestType>(),
                    "bias unchanged");
    };
    check(transform::Positive{}, "W+");
    check(transform::Negative{}, "W-");
    check(transform::Square{}, "W^2");
    check(transform::Ones{}, "ones");
    check(transform::Affine<double>{1, 0.25, 0}, "gamma");
    check([](TestType w) { return TestType(0.5) * w - TestType(0.125); }, "lambda");
  }
}

TEMPLATE_TEST_CASE("Conv2d backward and transformed backward match a naive transposed convolution",
                   "[layers][conv2d]", float, double) {
  unsigned seed = 300;
  for (const Case& c : cases()) {
    INFO(c.label);
    auto conv = make_conv<TestType>(c, seed++);
    auto x = random_tensor<TestType>(c.in, seed++);
    auto gy = random_tensor<TestType>(conv.output_shape(c.in), seed++);
    Workspace<TestType> ws;
    Tensor<TestType> gx(c.in, TestType(42));  // stale contents must be overwritten
    conv.backward(x, gy, gx, ws);
    require_close(gx, naive_backward(c, conv.weight().view(), gy, c.in, transform::Identity{}), tol<TestType>(),
                  tol<TestType>(), "backward");
    conv.backward_transformed(transform::Positive{}, gy, gx, ws);
    require_close(gx, naive_backward(c, conv.weight().view(), gy, c.in, transform::Positive{}), tol<TestType>(),
                  tol<TestType>(), "backward W+");
    conv.backward_transformed(transform::Square{}, gy, gx, ws);
    require_close(gx, naive_backward(c, conv.weight().view(), gy, c.in, transform::Square{}), tol<TestType>(),
                  tol<TestType>(), "backward W^2");
  }
}

TEST_CASE("Conv2d backward passes finite differences, adjoint and batch checks", "[layers][conv2d]") {
  unsigned seed = 400;
  for (const Case& c : cases()) {
    INFO(c.label);
    auto conv = make_conv<double>(c, seed++);
    const auto x = random_tensor<double>(c.in, seed++);
    if (c.small) check_backward_fd(conv, x, seed++);
    check_adjoint(conv, transform::Identity{}, c.in, seed++);
    check_adjoint(conv, transform::Positive{}, c.in, seed++);
    check_adjoint(conv, transform::Negative{}, c.in, seed++);
    check_adjoint(conv, transform::Square{}, c.in, seed++);
    check_adjoint(conv, transform::Ones{}, c.in, seed++);
    check_adjoint(conv, transform::Affine<double>{1, 0.25, 0}, c.in, seed++);
    check_batch_equals_samples(conv, random_tensor<double>(c.in.with_batch(3), seed++));
  }
}

TEST_CASE("Conv2d backward_transformed takes the input size from gx when strides are ambiguous",
          "[layers][conv2d]") {
  // Inputs 7x7 and 8x8 both give 3x3 outputs with a 3x3 kernel and stride 2.
  Case c{"ambiguous", 2, 3, 3, 3, Conv2dOptions().stride(2), Shape{1, 2, 8, 8}};
  auto conv = make_conv<double>(c, 450);
  REQUIRE(conv.output_shape(Shape{1, 2, 7, 7}) == conv.output_shape(Shape{1, 2, 8, 8}));
  auto gy = random_tensor<double>(Shape{1, 3, 3, 3}, 451);
  for (Index size : {7, 8}) {
    const Shape in{1, 2, size, size};
    Workspace<double> ws;
    Tensor<double> gx(in);
    conv.backward_transformed(transform::Identity{}, gy, gx, ws);
    require_close(gx, naive_backward(c, conv.weight().view(), gy, in, transform::Identity{}), 1e-12, 1e-12,
                  "input size from gx");
  }
}

TEMPLATE_TEST_CASE("Conv2d forward_with and backward_with use the explicit weights", "[layers][conv2d]", float,
                   double) {
  unsigned seed = 500;
  for (const Case& c : cases()) {
    INFO(c.label);
    auto conv = make_conv<TestType>(c, seed++);
    auto a = random_tensor<TestType>(conv.weight().shape(), seed++);
    auto b = random_tensor<TestType>(Shape{c.cout}, seed++);
    auto x = random_tensor<TestType>(c.in, seed++);
    auto gy = random_tensor<TestType>(conv.output_shape(c.in), seed++);
    Workspace<TestType> ws;
    Tensor<TestType> y(conv.output_shape(c.in)), gx(c.in);
    conv.forward_with(a, b.data(), x, y, ws);
    require_close(y, naive_forward(c, a.cview(), b.data(), x, transform::Identity{}), tol<TestType>(),
                  tol<TestType>(), "forward_with");
    conv.forward_with(a, nullptr, x, y, ws);
    require_close(y, naive_forward(c, a.cview(), static_cast<const TestType*>(nullptr), x, transform::Identity{}),
                  tol<TestType>(), tol<TestType>(), "forward_with, no bias");
    conv.backward_with(a, gy, gx, ws);
    require_close(gx, naive_backward(c, a.cview(), gy, c.in, transform::Identity{}), tol<TestType>(),
                  tol<TestType>(), "backward_with");
  }
}

TEST_CASE("Conv2d float results match double results", "[layers][conv2d]") {
  Case c{"float vs double", 16, 8, 3, 3, Conv2dOptions().padding(1).stride(2), Shape{2, 16, 15, 14}};
  auto cd = make_conv<double>(c, 600);
  Conv2d<float> cf(c.cin, c.cout, c.kh, c.kw, c.opt);
  cf.weight().assign(cast<float>(Tensor<double>::copy_of(cd.weight().view())), "conv1");
  cf.bias().assign(cast<float>(Tensor<double>::copy_of(cd.bias().view())), "conv1");
  auto x = random_tensor<double>(c.in, 601);
  auto gy = random_tensor<double>(cd.output_shape(c.in), 602);
  Workspace<float> wsf;
  Workspace<double> wsd;
  Tensor<float> yf(cf.output_shape(c.in)), gxf(c.in);
  cf.forward(cast<float>(x), yf, wsf);
  require_close(cast<double>(yf), run_forward(cd, x), 1e-5, 1e-5, "forward float vs double");
  Tensor<double> gxd(c.in);
  cf.backward(cast<float>(x), cast<float>(gy), gxf, wsf);
  cd.backward(x, gy, gxd, wsd);
  require_close(cast<double>(gxf), gxd, 1e-5, 1e-5, "backward float vs double");
}

TEST_CASE("Conv2d reuses one workspace across shapes and layers", "[layers][conv2d]") {
  Workspace<double> ws;
  unsigned seed = 700;
  // Growing and shrinking scratch needs; every result must still match the reference.
  for (int round = 0; round < 2; ++round)
    for (const Case& c : cases()) {
      INFO(c.label << ", round " << round);
      auto conv = make_conv<double>(c, seed++);
      auto x = random_tensor<double>(c.in, seed++);
      Tensor<double> y(conv.output_shape(c.in));
      conv.forward_transformed(transform::Positive{}, BiasMode::transformed, x, y, ws);
      std::vector<double> fb(static_cast<std::size_t>(c.cout));
      for (Index i = 0; conv.has_bias() && i < c.cout; ++i) fb[i] = transform::Positive{}(conv.bias().data()[i]);
      require_close(y, naive_forward(c, conv.weight().view(), conv.has_bias() ? fb.data() : nullptr, x,
                                     transform::Positive{}),
                    1e-12, 1e-12, "shared workspace");
    }
}

TEST_CASE("Conv2d rejects wrong shapes with messages naming layer and shapes", "[layers][conv2d][errors]") {
  Conv2d<float> conv(3, 4, 3, 3, Conv2dOptions().padding(1));
  conv.set_name("conv1");
  Workspace<float> ws;
  Tensor<float> y(Shape{2, 4, 5, 5});
  {
    Tensor<float> x(Shape{2, 5, 5, 5});
    CHECK_THROWS_AS(conv.forward(x, y, ws), ShapeError);
    CHECK_THROWS_WITH(conv.forward(x, y, ws), Catch::Contains("[attrib.shape.200]") &&
                                                  Catch::Contains("Conv2d 'conv1'") &&
                                                  Catch::Contains("[2, 5, 5, 5]") && Catch::Contains("[N, 3, H, W]"));
    Tensor<float> x3(Shape{2, 3, 25});
    CHECK_THROWS_WITH(conv.output_shape(x3.shape()),
                      Catch::Contains("[attrib.shape.200]") && Catch::Contains("[2, 3, 25]"));
  }
  {
    Conv2d<float> big(3, 4, 5, 3, Conv2dOptions().dilation(2));
    big.set_name("c5");
    CHECK_THROWS_WITH(big.output_shape(Shape{1, 3, 8, 9}),
                      Catch::Contains("[attrib.shape.201]") && Catch::Contains("Conv2d 'c5'") &&
                          Catch::Contains("[1, 3, 8, 9]") && Catch::Contains("9x5") &&
                          Catch::Contains("H >= 9, W >= 5"));
    CHECK_NOTHROW(big.output_shape(Shape{1, 3, 9, 5}));
  }
  Tensor<float> x(Shape{2, 3, 5, 5});
  {
    Tensor<float> ybad(Shape{2, 4, 5, 4});
    CHECK_THROWS_WITH(conv.forward(x, ybad, ws), Catch::Contains("[attrib.shape.202]") &&
                                                     Catch::Contains("Conv2d 'conv1'") &&
                                                     Catch::Contains("[2, 4, 5, 4]") &&
                                                     Catch::Contains("expected [2, 4, 5, 5]"));
  }
  {
    Tensor<float> a(Shape{4, 3, 3, 2});
    CHECK_THROWS_WITH(conv.forward_with(a, nullptr, x, y, ws),
                      Catch::Contains("[attrib.shape.203]") && Catch::Contains("[4, 3, 3, 2]") &&
                          Catch::Contains("expected [4, 3, 3, 3]"));
    Tensor<float> gx(Shape{2, 3, 5, 5});
    CHECK_THROWS_WITH(conv.backward_with(a, y, gx, ws), Catch::Contains("[attrib.shape.203]"));
  }
  {
    Tensor<float> gy(Shape{2, 4, 4, 5}), gx(Shape{2, 3, 5, 5});
    CHECK_THROWS_WITH(conv.backward(x, gy, gx, ws), Catch::Contains("[attrib.shape.204]") &&
                                                        Catch::Contains("Conv2d 'conv1'") &&
                                                        Catch::Contains("[2, 4, 4, 5]") &&
                                                        Catch::Contains("expected [2, 4, 5, 5]"));
    Tensor<float> gxbad(Shape{2, 3, 5, 6});
    CHECK_THROWS_WITH(conv.backward(x, y, gxbad, ws), Catch::Contains("[attrib.shape.205]") &&
                                                          Catch::Contains("[2, 3, 5, 6]") &&
                                                          Catch::Contains("expected [2, 3, 5, 5]"));
    Tensor<float> gx4(Shape{2, 4, 5, 5});
    CHECK_THROWS_WITH(conv.backward_transformed(transform::Positive{}, y, gx4, ws),
                      Catch::Contains("[attrib.shape.200]") && Catch::Contains("input signal shape [2, 4, 5, 5]") &&
                          Catch::Contains("[N, 3, H, W]"));
  }
}

TEST_CASE("Conv2d rejects invalid hyper-parameters", "[layers][conv2d][errors]") {
  auto msg = [](auto make) -> std::string {
    try {
      make();
    } catch (const ParameterError& e) {
      return e.what();
    }
    return "no ParameterError";
  };
  CHECK_THAT(msg([] { Conv2d<float>(0, 4, 3, 3); }),
             Catch::Contains("[attrib.param.200]") && Catch::Contains("in_channels = 0"));
  CHECK_THAT(msg([] { Conv2d<float>(3, 4, 0, 3); }), Catch::Contains("[attrib.param.201]") && Catch::Contains("0x3"));
  CHECK_THAT(msg([] { Conv2d<float>(3, 4, 3, 3, Conv2dOptions().stride(1, 0)); }),
             Catch::Contains("[attrib.param.202]") && Catch::Contains("1x0"));
  CHECK_THAT(msg([] { Conv2d<float>(3, 4, 3, 3, Conv2dOptions().padding(0, -1, 0, 0)); }),
             Catch::Contains("[attrib.param.203]") && Catch::Contains("(0, -1, 0, 0)"));
  CHECK_THAT(msg([] { Conv2d<float>(3, 4, 3, 3, Conv2dOptions().dilation(0)); }),
             Catch::Contains("[attrib.param.204]") && Catch::Contains("0x0"));
  CHECK_THAT(msg([] { Conv2d<float>(6, 4, 3, 3, Conv2dOptions().groups(3)); }),
             Catch::Contains("[attrib.param.205]") && Catch::Contains("groups = 3") &&
                 Catch::Contains("out_channels = 4"));
  CHECK_THAT(msg([] { Conv2d<float>(6, 4, 3, 3, Conv2dOptions().groups(0)); }), Catch::Contains("[attrib.param.205]"));
  CHECK_NOTHROW(Conv2d<float>(6, 4, 3, 3, Conv2dOptions().groups(2)));
}

TEST_CASE("Conv2d binds engine weight buffers without copying", "[layers][conv2d]") {
  Case c{"bound", 2, 3, 3, 3, Conv2dOptions().padding(1), Shape{1, 2, 5, 4}};
  auto w = random_tensor<double>(Shape{3, 2, 3, 3}, 800);
  auto b = random_tensor<double>(Shape{3}, 801);
  Conv2d<double> conv(c.cin, c.cout, c.kh, c.kw, c.opt);
  conv.weight().bind(wrap(static_cast<const double*>(w.data()), w.shape()), "conv1");
  conv.bias().bind(wrap(static_cast<const double*>(b.data()), b.shape()), "conv1");
  CHECK(conv.weight().data() == w.data());
  CHECK(conv.bias().data() == b.data());
  CHECK_FALSE(conv.weight().is_owned());
  auto x = random_tensor<double>(c.in, 802);
  Workspace<double> ws;
  Tensor<double> y(conv.output_shape(c.in));
  conv.forward(x, y, ws);
  require_close(y, naive_forward(c, w.cview(), b.data(), x, transform::Identity{}), 1e-12, 1e-12, "bound");
  // The engine updates its buffer in place: the layer sees the change (it holds no copy).
  for (Index i = 0; i < w.size(); ++i) w[i] *= -2;
  conv.forward(x, y, ws);
  require_close(y, naive_forward(c, w.cview(), b.data(), x, transform::Identity{}), 1e-12, 1e-12, "bound, updated");
  CHECK(conv.weight().data() == w.data());
}
