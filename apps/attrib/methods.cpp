// Model-agnostic methods of the attrib program (docs/methods.md), with settings sized for a
// report: IG 32 Gauss-Legendre steps, SmoothGrad 32 samples, Occlusion with square windows of
// about 1/7 of the image, sampled Shapley over a 4 x 4 grid of patches (16 pairs), Grad-CAM at
// the last node with a [N, C, H, W] output (upsampled), DeepSHAP and Expected Gradients with the
// inputs plus a zero image as background. They have no backward pass to inject into: no CSC.
#include <attrib/methods/deep_shap.hpp>
#include <attrib/methods/expected_gradients.hpp>
#include <attrib/methods/grad_cam.hpp>
#include <attrib/methods/integrated_gradients.hpp>
#include <attrib/methods/occlusion.hpp>
#include <attrib/methods/shapley.hpp>
#include <attrib/methods/smooth_grad.hpp>

#include "registry.hpp"

namespace attrib::cli {

namespace {
/// A method entry: run(net, ctx, x, c) -> Tensor<T> of x's shape.
template <class Run>
Method method_entry(std::string name, std::string description, HeatmapReduce reduce, Conserves conserves, Run run) {
  Method m;
  m.name = std::move(name);
  m.family = "method";
  m.description = std::move(description);
  m.reduce = reduce;
  m.conserves = conserves;
  m.make = [run](const Network<T>& net, const Context& ctx) -> Attribute {
    auto out = std::make_shared<Tensor<T>>();
    const Network<T>* n = &net;
    const Context* c = &ctx;
    return [run, out, n, c](ConstView<T> x, Index target) -> const Tensor<T>& {
      *out = run(*n, *c, x, target);
      return *out;
    };
  };
  return m;
}

Index spatial_side(ConstView<T> x) { return x.rank() == 4 ? std::min(x.dim(2), x.dim(3)) : 1; }

/// The inputs and a zero image: the background of DeepSHAP and Expected Gradients.
Tensor<T> background(const Context& c) {
  const Shape s = c.images.shape();
  Tensor<T> b(s.with_batch(s.batch() + 1));
  b.set_zero();
  b.view().slice(0, s.batch()).vec() = c.images.vec();
  return b;
}
}  // namespace

void add_methods(std::vector<Method>& v) {
  const auto sum = HeatmapReduce::sum;
  v.push_back(method_entry("integrated_gradients", "Integrated Gradients, zero baseline, 32 steps", sum, Conserves::delta,
                           [](const Network<T>& n, const Context&, ConstView<T> x, Index c) {
                             IntegratedGradientsOptions<T> o;
                             o.steps = 32;
                             o.compute_delta = false;
                             return integrated_gradients(n, x, c, o).attribution;
                           }));
  v.push_back(method_entry("smooth_grad", "SmoothGrad of the gradient, 32 samples, noise 15 %", HeatmapReduce::abs_max,
                           Conserves::nothing, [](const Network<T>& n, const Context&, ConstView<T> x, Index c) {
                             SmoothGradOptions<T> o;
                             o.samples = 32;
                             return smooth_grad(n, x, c, o).attribution;
                           }));
  v.push_back(method_entry("occlusion", "Occlusion with zero windows of side ~1/7 of the image, stride half of it", sum,
                           Conserves::nothing, [](const Network<T>& n, const Context&, ConstView<T> x, Index c) {
                             OcclusionOptions<T> o;
                             if (x.rank() == 4) {
                               const Index k = std::max<Index>(1, spatial_side(x) / 7);
                               o.window = Shape{x.dim(1), k, k};
                               o.stride = Shape{1, std::max<Index>(1, k / 2), std::max<Index>(1, k / 2)};
                             }
                             return occlusion(n, x, c, o).attribution;
                           }));
  v.push_back(method_entry("shapley_sampled", "sampled Shapley values of a 4 x 4 grid of patches, 16 pairs, spread over each patch", sum,
                           Conserves::delta, [](const Network<T>& n, const Context&, ConstView<T> x, Index c) {
                             SampledShapleyOptions<T> o;
                             o.pairs = 16;
                             if (x.rank() == 4)
                               o.groups = patch_groups(Shape{x.dim(1), x.dim(2), x.dim(3)},
                                                       std::max<Index>(1, (x.dim(2) + 3) / 4), std::max<Index>(1, (x.dim(3) + 3) / 4));
                             Tensor<T> a = shapley_sampled(n, x, c, o).attribution;
                             // each element holds its patch's value: spread it over the patch so
                             // that the map sums to f(x) - f(0) (efficiency)
                             if (o.groups.count > 0) {
                               std::vector<Index> size(static_cast<std::size_t>(o.groups.count), 0);
                               for (Index g : o.groups.group)
                                 if (g >= 0) ++size[std::size_t(g)];
                               for (Index i = 0; i < a.size(); ++i) {
                                 const Index g = o.groups.group[std::size_t(i)];
                                 a[i] = g >= 0 ? a[i] / T(size[std::size_t(g)]) : T(0);
                               }
                             }
                             return a;
                           }));
  v.push_back(method_entry("grad_cam", "Grad-CAM at the last [N, C, H, W] node, upsampled (nearest)", sum,
                           Conserves::nothing, [](const Network<T>& n, const Context&, ConstView<T> x, Index c) {
                             if (x.rank() != 4) usage("cli.031", "grad_cam needs an image model [N, C, H, W]");
                             Trace<T> tr;
                             Workspace<T> ws;
                             forward(n, x, tr, ws);
                             Index layer = -1;
                             for (Index i = 0; i < n.size(); ++i)
                               if (tr.output(i).rank() == 4 && tr.output(i).dim(2) > 1) layer = i;
                             if (layer < 0) usage("cli.031", "grad_cam: the model has no [N, C, H, W] node with H > 1");
                             const auto g = grad_cam(n, x, c, layer);
                             const Index h = g.map.dim(1), w = g.map.dim(2), C = x.dim(1), H = x.dim(2), W = x.dim(3);
                             Tensor<T> a(x.shape());
                             for (Index k = 0; k < C; ++k)
                               for (Index y = 0; y < H; ++y)
                                 for (Index xx = 0; xx < W; ++xx) a[(k * H + y) * W + xx] = g.map[(y * h / H) * w + xx * w / W] / T(C);
                             return a;
                           }));
  v.push_back(method_entry("deep_shap", "DeepSHAP (DeepLIFT Rescale) over the inputs and a zero image", sum,
                           Conserves::nothing, [](const Network<T>& n, const Context& ctx, ConstView<T> x, Index c) {
                             const Tensor<T> bg = background(ctx);
                             DeepShapOptions<T> o;
                             o.background = bg.cview();
                             o.compute_delta = false;
                             return deep_shap(n, x, c, o).attribution;
                           }));
  v.push_back(method_entry("expected_gradients", "Expected Gradients over the inputs and a zero image, 32 samples", sum,
                           Conserves::nothing, [](const Network<T>& n, const Context& ctx, ConstView<T> x, Index c) {
                             const Tensor<T> bg = background(ctx);
                             ExpectedGradientsOptions<T> o;
                             o.baselines = bg.cview();
                             o.samples = 32;
                             o.compute_delta = false;
                             return expected_gradients(n, x, c, o).attribution;
                           }));
}

}  // namespace attrib::cli
