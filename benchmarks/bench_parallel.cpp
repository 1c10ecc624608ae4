// Speed-up of the opt-in parallel batch API (docs/threading.md) on a batch of 16, as ratios
// measured inside the same benchmark iteration with the wall clock (the machine is shared:
// ratios within one iteration are what stays comparable; state the load next to them):
//   seq_ms     ParallelExplainer with 1 thread (items one by one in the caller's thread),
//   par_ms     ParallelExplainer with threads = the benchmark's argument (bit-identical result),
//   batch_ms   one Explainer::explain() call on the whole [16, ...] batch (for reference),
//   speedup    seq_ms / par_ms (wall clock),
//   seq_cpu_ms, par_cpu_ms  process CPU time (all threads, std::clock) of the same calls,
//   cpu_bound  threads * seq_cpu_ms / par_cpu_ms: the speed-up if every worker had a core of
//              its own (equal chunks), i.e. what the split and the threads cost in CPU time; on
//              a loaded machine (other processes at a higher priority) the wall-clock speed-up
//              stays below it because the workers wait for a core.
// Models: the shipped fmnist_vgg ([1, 1, 32, 32]) and the full-width cifar_net ([1, 3, 32, 32]);
// rules Gradient and EpsilonPlusFlat; and Integrated Gradients (16 steps, batch_size 4) with
// BatchOptions::threads. Run:
//   build/benchmarks/bench_parallel --benchmark_counters_tabular=true
#include <benchmark/benchmark.h>

#include <chrono>
#include <ctime>
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

/// Wall-clock and process CPU milliseconds of f(), added to wall and cpu.
struct Clock {
  double wall = 0, cpu = 0;
  template <class F>
  void time(F&& f) {
    const auto t0 = std::chrono::steady_clock::now();
    const std::clock_t c0 = std::clock();
    f();
    cpu += 1000.0 * double(std::clock() - c0) / CLOCKS_PER_SEC;
    wall += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  }
};

void set_counters(benchmark::State& st, const Clock& seq, const Clock& par) {
  const double n = double(st.iterations());
  st.counters["seq_ms"] = seq.wall / n;
  st.counters["par_ms"] = par.wall / n;
  st.counters["speedup"] = seq.wall / par.wall;
  st.counters["seq_cpu_ms"] = seq.cpu / n;
  st.counters["par_cpu_ms"] = par.cpu / n;
  st.counters["cpu_bound"] = double(st.range(0)) * seq.cpu / par.cpu;
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
  Clock c_seq, c_par, c_batch;
  for (auto _ : st) {
    c_seq.time([&] { benchmark::DoNotOptimize(seq.explain(x.cview(), 3).attribution.data()); });
    c_par.time([&] { benchmark::DoNotOptimize(par.explain(x.cview(), 3).attribution.data()); });
    c_batch.time([&] { benchmark::DoNotOptimize(whole.explain(x.cview(), 3).attribution.data()); });
  }
  set_counters(st, c_seq, c_par);
  st.counters["batch_ms"] = c_batch.wall / double(st.iterations());
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
  Clock c_seq, c_par;
  for (auto _ : st) {
    c_seq.time([&] { benchmark::DoNotOptimize(integrated_gradients(net, one, 3, o).attribution.data()); });
    c_par.time([&] { benchmark::DoNotOptimize(integrated_gradients(net, one, 3, p).attribution.data()); });
  }
  set_counters(st, c_seq, c_par);
}

void register_all() {
  const auto add = [](const std::string& name, auto fn) {
    benchmark::RegisterBenchmark(name.c_str(), fn)->Arg(2)->Arg(3)->Unit(benchmark::kMillisecond)->Iterations(10);
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
