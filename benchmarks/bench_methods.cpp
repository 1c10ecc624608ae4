// Cost of the model-agnostic methods on the shipped VGG-style Fashion-MNIST model (fmnist_vgg,
// input [1, 1, 32, 32], float, 1 thread), each as a ratio to the model passes it is built from,
// measured inside the same benchmark iteration with the process CPU clock (the machine is
// shared: ratios within one iteration are what stays comparable). docs/performance.md reports
// the counters. Run:
//   build/benchmarks/bench_methods --benchmark_counters_tabular=true
// (a) Integrated Gradients m = 64 (Gauss-Legendre, with delta; batch_size 64, 16, 4; the model
//     overload, which builds its adaptors per call, and warm adaptors kept across calls) vs 64
//     single gradient passes and vs one batched gradient pass of 64 rows;
// (b) exact Shapley, n = 16 patches of 8x8 pixels: 65 536 coalitions, vs 65 536 forward rows
//     batched (64 per call); coalitions/s;
// (c) one CSC sweep (one image, V = 5, injection at the logits) for Gradient and LRP
//     epsilon-plus-flat vs V single backward passes of the rule (on a fixed trace) and vs one
//     forward + one batched backward pass of V rows;
// (d) DeepSHAP (Rescale) with 16 background items (one-shot deep_shap() and a DeepShap kept
//     across calls) vs 16 DeepLIFT explain() calls.
#include <benchmark/benchmark.h>

#include <ctime>
#include <string>

#include "attrib/attrib.hpp"
#include "attrib/io/fashion_models.hpp"
#include "attrib/methods/methods.hpp"
#include "attrib/metrics/csc.hpp"
#include "attrib/rules/deeplift.hpp"
#include "attrib/rules/presets.hpp"

namespace {
using namespace attrib;
using Net = Network<float>;

const Net& vgg() {
  static const Net n = load_fmnist_vgg<float>(std::string(ATTRIB_MODELS_DIR) + "/fmnist_vgg.safetensors");
  return n;
}
Tensor<float> uniform(const Shape& s, std::uint64_t seed) {
  Tensor<float> t(s);
  Random(seed).fill_uniform(t.view(), 0.0, 1.0);  // pixel / 255 range
  return t;
}
const Tensor<float>& image() {
  static const Tensor<float> x = uniform(Shape{1, 1, 32, 32}, 1);
  return x;
}
constexpr Index target = 3;

/// Process CPU seconds spent in f().
template <class F>
double cpu_seconds(F&& f) {
  const std::clock_t t0 = std::clock();
  f();
  return double(std::clock() - t0) / CLOCKS_PER_SEC;
}

/// (a) IG m = 64 vs 64 single gradient passes vs one batched pass of 64 rows.
void BM_IntegratedGradients(benchmark::State& st) {
  const Net& net = vgg();
  Explainer<Net, Gradient> one(net, Gradient{});
  const Tensor<float> x64 = [] {
    Tensor<float> t(Shape{64, 1, 32, 32});
    for (Index k = 0; k < 64; ++k) t.view().slice(k, 1).vec() = float(k + 0.5) / 64.0f * image().vec();
    return t;
  }();
  IntegratedGradientsOptions<float> o;
  o.steps = 64;
  o.batch_size = 64;
  o.batch_size = st.range(0);
  // Warm: the function / gradient adaptors kept across calls (the model overload builds them per call).
  auto f = model_function(net);
  auto g = rule_attributor(net, Gradient{});
  double t_ig = 0, t_warm = 0, t_single = 0, t_batched = 0;
  for (auto _ : st) {
    t_ig += cpu_seconds([&] { benchmark::DoNotOptimize(integrated_gradients(net, image().cview(), target, o).attribution.data()); });
    t_warm += cpu_seconds([&] { benchmark::DoNotOptimize(integrated_gradients(f, g, image(), target, o).attribution.data()); });
    t_single += cpu_seconds([&] {
      for (Index k = 0; k < 64; ++k) benchmark::DoNotOptimize(one.explain(x64.view().slice(k, 1), target).attribution.data());
    });
    t_batched += cpu_seconds([&] { benchmark::DoNotOptimize(one.explain(x64.cview(), target).attribution.data()); });
  }
  const double it = double(st.iterations());
  st.counters["ig_s"] = t_ig / it;
  st.counters["64_single_s"] = t_single / it;
  st.counters["batched64_s"] = t_batched / it;
  st.counters["ig/64_single"] = t_ig / t_single;
  st.counters["ig/batched64"] = t_ig / t_batched;
  st.counters["ig_warm/64_single"] = t_warm / t_single;
  st.counters["ig_warm/batched64"] = t_warm / t_batched;
}

/// (b) exact Shapley over 16 patches vs 65 536 forward rows in batches of 64.
void BM_ShapleyExact16(benchmark::State& st) {
  const Net& net = vgg();
  ShapleyOptions<float> o;
  o.groups = patch_groups(Shape{1, 32, 32}, 8, 8);
  o.batch_size = 64;
  Tensor<float> rows(Shape{64, 1, 32, 32});
  for (Index k = 0; k < 64; ++k) rows.view().slice(k, 1).vec() = image().vec();
  Trace<float> tr;
  Workspace<float> ws;
  double t_shap = 0, t_fwd = 0;
  for (auto _ : st) {
    t_shap += cpu_seconds([&] { benchmark::DoNotOptimize(shapley_exact(net, image().cview(), target, o).attribution.data()); });
    t_fwd += cpu_seconds([&] {
      for (Index c = 0; c < 65536 / 64; ++c) {
        forward(net, rows.cview(), tr, ws);
        benchmark::DoNotOptimize(tr.result().data());
      }
    });
  }
  const double it = double(st.iterations());
  st.counters["shapley_s"] = t_shap / it;
  st.counters["fwd65536_s"] = t_fwd / it;
  st.counters["coalitions_per_s"] = 65536.0 * it / t_shap;
  st.counters["shapley/fwd65536"] = t_shap / t_fwd;
}

/// (c) a CSC sweep over N images vs N x (V = 5 backward passes) of the same rule, and vs what
/// the sweep must do per image anyway: one forward of the image and one backward of the V-row
/// tile with every layer read out (keep_layers), plus the pairwise |cos| of all layers.
template <class Rule>
void BM_CscSweep(benchmark::State& st, Rule rule) {
  const Index n = st.range(0);
  const Net& net = vgg();
  const Index logits = net.size() - 1;
  const Tensor<float> images = uniform(Shape{n, 1, 32, 32}, 5);
  CscOptions co;
  co.samples = 5;
  Explainer<Net, Rule> single(net, rule), batched(net, rule);
  Tensor<float> x5(Shape{5, 1, 32, 32});
  Trace<float> tr;
  Workspace<float> ws;
  ExplainOptions<float> keep;
  keep.keep_layers = true;
  double t_csc = 0, t_back = 0, t_keep = 0, t_pairs = 0;
  for (auto _ : st) {
    t_csc += cpu_seconds([&] {
      benchmark::DoNotOptimize(cosine_similarity_convergence(net, rule, images.cview(), logits, co).layers.data());
    });
    for (Index i = 0; i < n; ++i) {
      const auto xi = images.cview().slice(i, 1);
      single.explain(xi, target);  // fills its trace: explain_trace() is backward only
      t_back += cpu_seconds([&] {
        for (int k = 0; k < 5; ++k) benchmark::DoNotOptimize(single.explain_trace(target).attribution.data());
      });
      for (Index k = 0; k < 5; ++k) x5.view().slice(k, 1).vec() = xi.vec();
      const Explanation<float>* e = nullptr;
      t_keep += cpu_seconds([&] {
        forward(net, xi, tr, ws);
        e = &batched.explain(x5.cview(), target, keep);
      });
      t_pairs += cpu_seconds([&] {
        double sum = 0;
        for (const auto& maps : e->layers) detail::csc_pairs(maps, 5, [&](double c) { sum += c; });
        detail::csc_pairs(e->attribution, 5, [&](double c) { sum += c; });
        benchmark::DoNotOptimize(sum);
      });
    }
  }
  const double it = double(st.iterations());
  st.counters["csc_s"] = t_csc / it;
  st.counters["5_backward_s"] = t_back / it;
  st.counters["csc/5_backward"] = t_csc / t_back;
  st.counters["fwd+explain5_keep_s"] = t_keep / it;
  st.counters["pairs_s"] = t_pairs / it;
  st.counters["csc/(fwd+explain5_keep+pairs)"] = t_csc / (t_keep + t_pairs);
}

/// (d) DeepSHAP with 16 background items vs 16 DeepLIFT explain() calls.
void BM_DeepShap16(benchmark::State& st, bool compute_delta) {
  const Index batch = st.range(0);
  const Net& net = vgg();
  const Tensor<float> bg = uniform(Shape{16, 1, 32, 32}, 2);
  DeepShapOptions<float> o;
  o.background = bg;
  o.batch_size = batch;
  o.compute_delta = compute_delta;
  Explainer<Net, DeepLift> dl(net, DeepLiftRescale());
  ExplainOptions<float> eo;
  // What deep_shap runs per chunk of 16 rows, on a warm Explainer: x tiled, the background as references.
  Tensor<float> x16(Shape{16, 1, 32, 32});
  for (Index k = 0; k < 16; ++k) x16.view().slice(k, 1).vec() = image().vec();
  Explainer<Net, DeepLift> dl16(net, DeepLiftRescale());
  ExplainOptions<float> eo16;
  eo16.reference = bg.cview();
  DeepShap<Net> kept(net);  // kept across iterations: warm after the first
  kept(image().cview(), target, o);
  double t_shap = 0, t_kept = 0, t_dl = 0, t_b16 = 0;
  for (auto _ : st) {
    t_shap += cpu_seconds([&] { benchmark::DoNotOptimize(deep_shap(net, image().cview(), target, o).attribution.data()); });
    t_kept += cpu_seconds([&] { benchmark::DoNotOptimize(kept(image().cview(), target, o).attribution.data()); });
    t_b16 += cpu_seconds([&] { benchmark::DoNotOptimize(dl16.explain(x16.cview(), target, eo16).attribution.data()); });
    t_dl += cpu_seconds([&] {
      for (Index k = 0; k < 16; ++k) {
        eo.reference = bg.view().slice(k, 1);
        benchmark::DoNotOptimize(dl.explain(image().cview(), target, eo).attribution.data());
      }
    });
  }
  const double it = double(st.iterations());
  st.counters["deepshap_s"] = t_shap / it;
  st.counters["16_deeplift_s"] = t_dl / it;
  st.counters["deepshap/16_deeplift"] = t_shap / t_dl;
  st.counters["kept/16_deeplift"] = t_kept / t_dl;
  st.counters["batched16_warm/16_deeplift"] = t_b16 / t_dl;
}

void register_all() {
  benchmark::RegisterBenchmark("BM_IntegratedGradients/m64/batch_size", BM_IntegratedGradients)
      ->Arg(64)
      ->Arg(16)
      ->Arg(4)
      ->Unit(benchmark::kMillisecond)
      ->Iterations(3);
  benchmark::RegisterBenchmark("BM_ShapleyExact16", BM_ShapleyExact16)->Unit(benchmark::kMillisecond)->Iterations(1);
  benchmark::RegisterBenchmark("BM_CscSweep/gradient/images", [](benchmark::State& st) { BM_CscSweep(st, Gradient{}); })
      ->Arg(1)
      ->Arg(20)
      ->Unit(benchmark::kMillisecond)
      ->Iterations(5);
  benchmark::RegisterBenchmark("BM_CscSweep/epsilon_plus_flat/images",
                               [](benchmark::State& st) { BM_CscSweep(st, presets::epsilon_plus_flat()); })
      ->Arg(1)
      ->Arg(20)
      ->Unit(benchmark::kMillisecond)
      ->Iterations(5);
  benchmark::RegisterBenchmark("BM_DeepShap16/with_delta/batch_size", [](benchmark::State& st) { BM_DeepShap16(st, true); })
      ->Arg(16)
      ->Arg(4)
      ->Arg(1)
      ->Unit(benchmark::kMillisecond)
      ->Iterations(5);
  benchmark::RegisterBenchmark("BM_DeepShap16/no_delta/batch_size", [](benchmark::State& st) { BM_DeepShap16(st, false); })
      ->Arg(16)
      ->Unit(benchmark::kMillisecond)
      ->Iterations(5);
}
}  // namespace

int main(int argc, char** argv) {
  register_all();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
