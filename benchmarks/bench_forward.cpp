// One forward of full-size VGG-16 and ResNet-50 (224x224, batch 1, float, 1 thread), built
// twice by benchmarks/CMakeLists.txt: bench_forward (attrib_native_options: -march=native unless
// ATTRIB_NATIVE=OFF) and bench_forward_portable (the compiler's default target), to show what
// the instruction set is worth (docs/performance.md, "Compiler flags"). The networks are built
// and one forward is run before the timing loop. Run both, alternating:
//   for b in bench_forward bench_forward_portable bench_forward bench_forward_portable; do
//     build/benchmarks/$b --benchmark_repetitions=3 --benchmark_report_aggregates_only=true; done
#include <benchmark/benchmark.h>

#include "attrib/attrib.hpp"
#include "attrib/models/builders.hpp"

#ifndef ATTRIB_BENCH_VARIANT
#define ATTRIB_BENCH_VARIANT "native"
#endif

namespace {
using namespace attrib;

template <Network<float> (*Build)(const BuilderOptions&)>
void BM_Forward(benchmark::State& st) {
  const Network<float> net = Build(BuilderOptions{});  // outside the timed loop
  Tensor<float> x(Shape{1, 3, 224, 224});
  Random(1).fill_uniform(x.view(), -1.0, 1.0);
  Trace<float> tr;
  Workspace<float> ws;
  forward(net, x.cview(), tr, ws);  // warm-up: the trace and workspace are allocated here
  for (auto _ : st) {
    forward(net, x.cview(), tr, ws);
    benchmark::DoNotOptimize(tr.result().data());
  }
  st.SetLabel(ATTRIB_BENCH_VARIANT);
}
}  // namespace

BENCHMARK_TEMPLATE(BM_Forward, vgg16<float>)->Name("BM_Forward/vgg16")->Unit(benchmark::kMillisecond)->Iterations(5);
BENCHMARK_TEMPLATE(BM_Forward, resnet50<float>)->Name("BM_Forward/resnet50")->Unit(benchmark::kMillisecond)->Iterations(10);
BENCHMARK_MAIN();
