// Speed-up of the opt-in parallel batch API (docs/threading.md) on a batch of 16, as ratios
// measured inside the same benchmark iteration with the wall clock (the machine is shared:
// ratios within one iteration are what stays comparable; state the load next to them):
//   seq_ms     ParallelExplainer with 1 thread (items one by one in the caller's thread),
//   par_ms     ParallelExplainer with threads = the benchmark's argument (bit-identical result),
//   batch_ms   one Explainer::explain() call on the whole [16, ...] batch (for reference),
//   speedup    seq_ms / par_ms.
// Models: the shipped fmnist_vgg ([1, 1, 32, 32]) and the full-width cifar_net ([1, 3, 32, 32]);
// rules Gradient and EpsilonPlusFlat; and Integrated Gradients (16 steps, batch_size 4) with
// BatchOptions::threads. Run:
//   build/benchmarks/bench_parallel --benchmark_counters_tabular=true
#include <benchmark/benchmark.h>

#include <chrono>
#include <string>

#include "attrib/attrib.hpp"
#include "attrib/explain_batch.hpp"
#include "attrib/io/fashion_models.hpp"
#include "attrib/methods/integrated_gradients.hpp"
#include "attrib/models/builders.hpp"
#include "attrib/rules/presets.hpp"

namespace {
using namespace attrib;
using Net = Network<float>;

const Net& fmnist_vgg() {
  static const Net n = load_fmnist_vgg<float>(std::string(ATTRIB_MODELS_DIR) + "/fmnist_vgg.safetensors");
  return n;
}
const Net& cifar() {
  static const Net n = cifar_net<float>();
  return n;
}
Tensor<float> batch(Index c) {
  Tensor<float> t(Shape{16, c, 32, 32});
  Random(1).fill_uniform(t.view(), 0.0, 1.0);
  return t;
}

template <class F>
double wall_ms(F&& f) {
  const auto t0 = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

template <const Net& (*Model)(), class Rule>
void BM_ExplainBatch(benchmark::State& st, Index channels, Rule rule) {
  const Net& net = Model();
  const Tensor<float> x = batch(channels);
  ParallelExplainer<Net, Rule> seq(net, rule, ParallelOptions{1}), par(net, rule, ParallelOptions{st.range(0)});
  Explainer<Net, Rule> whole(net, rule);
  seq.explain(x.cview(), 3);  // warm-up: every worker's Explainer allocates here
  par.explain(x.cview(), 3);
  whole.explain(x.cview(), 3);
  double t_seq = 0, t_par = 0, t_batch = 0;
  for (auto _ : st) {
    t_seq += wall_ms([&] { benchmark::DoNotOptimize(seq.explain(x.cview(), 3).attribution.data()); });
    t_par += wall_ms([&] { benchmark::DoNotOptimize(par.explain(x.cview(), 3).attribution.data()); });
    t_batch += wall_ms([&] { benchmark::DoNotOptimize(whole.explain(x.cview(), 3).attribution.data()); });
  }
  const double n = double(st.iterations());
  st.counters["seq_ms"] = t_seq / n;
  st.counters["par_ms"] = t_par / n;
  st.counters["batch_ms"] = t_batch / n;
  st.counters["speedup"] = t_seq / t_par;
}

void BM_IntegratedGradients(benchmark::State& st) {
  const Net& net = fmnist_vgg();
  const Tensor<float> x = batch(1);
  const ConstView<float> one = x.cview().slice(0, 1);
  IntegratedGradientsOptions<float> o;
  o.steps = 16;
  o.batch_size = 4;
  o.compute_delta = false;
  IntegratedGradientsOptions<float> p = o;
  p.threads = st.range(0);
  double t_seq = 0, t_par = 0;
  for (auto _ : st) {
    t_seq += wall_ms([&] { benchmark::DoNotOptimize(integrated_gradients(net, one, 3, o).attribution.data()); });
    t_par += wall_ms([&] { benchmark::DoNotOptimize(integrated_gradients(net, one, 3, p).attribution.data()); });
  }
  const double n = double(st.iterations());
  st.counters["seq_ms"] = t_seq / n;
  st.counters["par_ms"] = t_par / n;
  st.counters["speedup"] = t_seq / t_par;
}

void register_all() {
  const auto add = [](const std::string& name, auto fn) {
    benchmark::RegisterBenchmark(name.c_str(), fn)->Arg(2)->Unit(benchmark::kMillisecond)->Iterations(10);
  };
  add("BM_ExplainBatch16/fmnist_vgg_gradient", [](benchmark::State& st) { BM_ExplainBatch<fmnist_vgg>(st, 1, Gradient{}); });
  add("BM_ExplainBatch16/fmnist_vgg_epsilon_plus_flat",
      [](benchmark::State& st) { BM_ExplainBatch<fmnist_vgg>(st, 1, presets::epsilon_plus_flat()); });
  add("BM_ExplainBatch16/cifar_net_gradient", [](benchmark::State& st) { BM_ExplainBatch<cifar>(st, 3, Gradient{}); });
  add("BM_ExplainBatch16/cifar_net_epsilon_plus_flat",
      [](benchmark::State& st) { BM_ExplainBatch<cifar>(st, 3, presets::epsilon_plus_flat()); });
  add("BM_IntegratedGradients16/fmnist_vgg", BM_IntegratedGradients);
}
}  // namespace

int main(int argc, char** argv) {
  register_all();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
}
