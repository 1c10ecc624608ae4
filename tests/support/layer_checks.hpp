#pragma once
// Generic property checks every layer test runs: backward vs central finite differences,
// transformed primitives vs the adjoint identity <A x, y> = <x, A^T y>, batch = per sample.
#include "support/support.hpp"
#include "attrib/core/transform.hpp"
#include "attrib/core/workspace.hpp"

namespace attrib::test {

template <class L>
Tensor<double> run_forward(const L& layer, const Tensor<double>& x) {
  Workspace<double> ws;
  Tensor<double> y(layer.output_shape(x.shape()));
  layer.forward(x, y, ws);
  return y;
}

/// Backward (input gradient) against central finite differences of <gy, f(x)>.
template <class L>
void check_backward_fd(const L& layer, const Tensor<double>& x, unsigned seed, double tol = 1e-6) {
  Workspace<double> ws;
  const Shape out = layer.output_shape(x.shape());
  Tensor<double> gy = random_tensor<double>(out, seed);
  Tensor<double> gx(x.shape());
  layer.backward(x, gy, gx, ws);
  auto f = [&](const Tensor<double>& xx) { return run_forward(layer, xx); };
  require_close(gx, fd_gradient(f, x, gy), tol, tol, std::string(L::kind) + " backward vs FD");
}

/// forward_transformed (without bias) is linear in x and backward_transformed is its
/// transpose: <A x, y> == <x, A^T y>; also A x is checked against FD of backward.
template <class L, class F>
void check_adjoint(const L& layer, const F& f, const Shape& in, unsigned seed) {
  Workspace<double> ws;
  const Shape out = layer.output_shape(in);
  Tensor<double> x = random_tensor<double>(in, seed), y = random_tensor<double>(out, seed + 1);
  Tensor<double> ax(out), aty(in);
  layer.forward_transformed(f, BiasMode::none, x, ax, ws);
  layer.backward_transformed(f, y, aty, ws);
  const double lhs = dot<double>(ax, y), rhs = dot<double>(x, aty);
  INFO(L::kind << " adjoint: <Ax,y> = " << lhs << ", <x,A^T y> = " << rhs);
  CHECK(std::abs(lhs - rhs) <= 1e-10 * (1 + std::abs(lhs)));
}

/// Running a batch equals running each sample alone.
template <class L>
void check_batch_equals_samples(const L& layer, const Tensor<double>& x) {
  Tensor<double> yb = run_forward(layer, x);
  const Index n = x.shape().batch();
  for (Index i = 0; i < n; ++i) {
    Tensor<double> xi = Tensor<double>::copy_of(x.view().slice(i, 1));
    Tensor<double> yi = run_forward(layer, xi);
    Tensor<double> yb_i = Tensor<double>::copy_of(yb.view().slice(i, 1));
    require_close(yi, yb_i, 1e-12, 1e-12, "batch item vs single sample");
  }
}

}  // namespace attrib::test
