// Whole-network timings on full-size VGG-16 and ResNet-50 (224x224, batch 1, float, 1 thread):
// our forward, and for each rule family the backward pass alone (on a fixed trace) and the
// whole explain() call. docs/performance.md reports them as ratios to our forward measured in
// the same run. Run:
//   build/benchmarks/bench_models --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include "attrib/attrib.hpp"
#include "attrib/models/builders.hpp"

namespace {
using namespace attrib;

const Network<float>& vgg() {
  static const Network<float> n = vgg16<float>();
  return n;
}
const Network<float>& resnet() {
  static const Network<float> n = resnet50<float>();
  return n;
}
const Tensor<float>& image() {
  static const Tensor<float> x = [] {
    Tensor<float> t(Shape{1, 3, 224, 224});
    Random(1).fill_uniform(t.view(), -1.0, 1.0);
    return t;
  }();
  return x;
}

// Every benchmark builds its network (the first call of vgg() / resnet()) and runs one warm-up
// call (allocating its trace and workspace) before the timed loop.
template <const Network<float>& (*Net)()>
void BM_Forward(benchmark::State& st) {
  const Network<float>& net = Net();
  const Tensor<float>& x = image();
  Trace<float> tr;
  Workspace<float> ws;
  forward(net, x.cview(), tr, ws);
  for (auto _ : st) {
    forward(net, x.cview(), tr, ws);
    benchmark::DoNotOptimize(tr.result().data());
  }
}

/// Backward pass only: the trace is computed once, then explain_trace() runs the rule.
template <const Network<float>& (*Net)(), class Rule>
void BM_Backward(benchmark::State& st, Rule rule) {
  Explainer<Network<float>, Rule> ex(Net(), rule);
  Workspace<float> ws;
  forward(Net(), image().cview(), ex.trace(), ws);
  ex.explain_trace(3);
  for (auto _ : st) benchmark::DoNotOptimize(ex.explain_trace(3).attribution.data());
}

/// The whole explain() call (forward + backward, and the reference forward for DeepLIFT).
template <const Network<float>& (*Net)(), class Rule>
void BM_Explain(benchmark::State& st, Rule rule) {
  Explainer<Network<float>, Rule> ex(Net(), rule);
  const Tensor<float>& x = image();
  ex.explain(x.cview(), 3);
  for (auto _ : st) benchmark::DoNotOptimize(ex.explain(x.cview(), 3).attribution.data());
}

template <const Network<float>& (*Net)(), class Rule>
void add_rule(const std::string& label, Rule rule) {
  benchmark::RegisterBenchmark(("BM_Backward/" + label).c_str(),
                               [rule](benchmark::State& st) { BM_Backward<Net>(st, rule); })
      ->Unit(benchmark::kMillisecond)
      ->Iterations(2);
  benchmark::RegisterBenchmark(("BM_Explain/" + label).c_str(),
                               [rule](benchmark::State& st) { BM_Explain<Net>(st, rule); })
      ->Unit(benchmark::kMillisecond)
      ->Iterations(2);
}

void register_all() {
  benchmark::RegisterBenchmark("BM_Forward/vgg16", BM_Forward<vgg>)->Unit(benchmark::kMillisecond)->Iterations(3);
  add_rule<vgg>("vgg16_gradient", Gradient{});
  add_rule<vgg>("vgg16_guided", GuidedBackprop{});
  add_rule<vgg>("vgg16_rectgrad", RectGrad{});
  add_rule<vgg>("vgg16_lrp_epsilon", LrpEpsilon{});
  add_rule<vgg>("vgg16_lrp_alpha2beta1", LrpAlphaBeta(2, 1));
  add_rule<vgg>("vgg16_epsilon_plus_flat", presets::epsilon_plus_flat());
  add_rule<vgg>("vgg16_epsilon_gamma_box", presets::epsilon_gamma_box(-1.0, 1.0));
  add_rule<vgg>("vgg16_deeplift_rescale", DeepLiftRescale());
  add_rule<vgg>("vgg16_deeplift_revealcancel", DeepLiftRevealCancel());
  benchmark::RegisterBenchmark("BM_Forward/resnet50", BM_Forward<resnet>)->Unit(benchmark::kMillisecond)->Iterations(3);
  add_rule<resnet>("resnet50_gradient", Gradient{});
  add_rule<resnet>("resnet50_lrp_epsilon", LrpEpsilon{});
  add_rule<resnet>("resnet50_epsilon_plus_flat", presets::epsilon_plus_flat());
  add_rule<resnet>("resnet50_lrp_alpha2beta1", LrpAlphaBeta(2, 1));
  add_rule<resnet>("resnet50_deeplift_rescale", DeepLiftRescale());
  add_rule<resnet>("resnet50_deeplift_revealcancel", DeepLiftRevealCancel());
}
}  // namespace

int main(int argc, char** argv) {
  register_all();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
}
