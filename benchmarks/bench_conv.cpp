// Conv2d on the 13 convolution layers of VGG-16 (224x224 input, batch 1, float, one thread)
// against a plain Eigen GEMM of the same (M, N, K) and storage order:
//   forward   Y[M=Cout, N=H*W] = W[M, K=Cin*9] * cols[K, N]        (row-major)
//   backward  gcols[K, N]      = W^T * gY[M, N], then col2im
// Each reports a "GFLOP/s" counter (2*M*N*K per iteration, divided by CPU time) and Conv2d the
// scratch it holds ("workspace_MB"); im2col of the whole image (no bands) is timed as well.
// docs/performance.md lists the results and the commands that produced them.
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include "attrib/detail/im2col.hpp"
#include "attrib/layers/conv2d.hpp"

namespace {

using namespace attrib;
using Mat = Eigen::Map<Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>;

struct VggLayer {
  const char* name;
  Index cin, cout, size;  // size: input height = width
};
// Pooling halves the resolution after each block.
const VggLayer vgg16[] = {
    {"conv1_1", 3, 64, 224},   {"conv1_2", 64, 64, 224},  {"conv2_1", 64, 128, 112}, {"conv2_2", 128, 128, 112},
    {"conv3_1", 128, 256, 56}, {"conv3_2", 256, 256, 56}, {"conv3_3", 256, 256, 56}, {"conv4_1", 256, 512, 28},
    {"conv4_2", 512, 512, 28}, {"conv4_3", 512, 512, 28}, {"conv5_1", 512, 512, 14}, {"conv5_2", 512, 512, 14},
    {"conv5_3", 512, 512, 14},
};

struct Gemm {
  Index m, n, k;
};
Gemm gemm_of(const VggLayer& l) { return {l.cout, l.size * l.size, l.cin * 9}; }

std::vector<float> random_vector(Index n, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  std::vector<float> v(static_cast<std::size_t>(n));
  for (float& x : v) x = u(gen);
  return v;
}

Conv2d<float> make_conv(const VggLayer& l) {
  Conv2d<float> conv(l.cin, l.cout, 3, 3, Conv2dOptions().padding(1));
  conv.set_name(l.name);
  const auto w = random_vector(conv.weight().shape().size(), 1);
  conv.weight().assign(wrap(w.data(), conv.weight().shape()), l.name);
  const auto b = random_vector(l.cout, 2);
  conv.bias().assign(wrap(b.data(), Shape{l.cout}), l.name);
  return conv;
}

void set_counters(benchmark::State& state, const Gemm& g) {
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * double(g.m) * double(g.n) * double(g.k) * 1e-9,
                                                 benchmark::Counter::kIsIterationInvariantRate);
  state.counters["M"] = double(g.m);
  state.counters["N"] = double(g.n);
  state.counters["K"] = double(g.k);
}

void conv_forward(benchmark::State& state, const VggLayer& l) {
  const Conv2d<float> conv = make_conv(l);
  const Shape in{1, l.cin, l.size, l.size};
  const auto x = random_vector(in.size(), 3);
  Tensor<float> y(conv.output_shape(in));
  Workspace<float> ws;
  conv.forward(wrap(x.data(), in), y, ws);  // warm-up: sizes the workspace
  for (auto _ : state) {
    conv.forward(wrap(x.data(), in), y, ws);
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  set_counters(state, gemm_of(l));
  state.counters["workspace_MB"] = double(ws.bytes()) * 1e-6;
}

void conv_backward(benchmark::State& state, const VggLayer& l) {
  const Conv2d<float> conv = make_conv(l);
  const Shape in{1, l.cin, l.size, l.size};
  const auto x = random_vector(in.size(), 3);
  const Shape out = conv.output_shape(in);
  const auto gy = random_vector(out.size(), 4);
  Tensor<float> gx(in);
  Workspace<float> ws;
  conv.backward(wrap(x.data(), in), wrap(gy.data(), out), gx, ws);
  for (auto _ : state) {
    conv.backward(wrap(x.data(), in), wrap(gy.data(), out), gx, ws);
    benchmark::DoNotOptimize(gx.data());
    benchmark::ClobberMemory();
  }
  set_counters(state, gemm_of(l));
  state.counters["workspace_MB"] = double(ws.bytes()) * 1e-6;
}

// Eigen's own product on row-major operands of the convolution's GEMM shape.
void eigen_gemm(benchmark::State& state, const VggLayer& l, bool transposed_lhs) {
  const Gemm g = gemm_of(l);
  auto a = random_vector(g.m * g.k, 5);
  auto b = random_vector(transposed_lhs ? g.m * g.n : g.k * g.n, 6);
  std::vector<float> c(static_cast<std::size_t>(transposed_lhs ? g.k * g.n : g.m * g.n));
  Mat A(a.data(), g.m, g.k);
  for (auto _ : state) {
    if (transposed_lhs) Mat(c.data(), g.k, g.n).noalias() = A.transpose() * Mat(b.data(), g.m, g.n);
    else Mat(c.data(), g.m, g.n).noalias() = A * Mat(b.data(), g.k, g.n);
    benchmark::DoNotOptimize(c.data());
    benchmark::ClobberMemory();
  }
  set_counters(state, g);
}

// im2col alone (the copy the convolution adds on top of the GEMM).
void im2col_only(benchmark::State& state, const VggLayer& l) {
  detail::ConvGeometry geo{l.cin, l.size, l.size, 3, 3, 1, 1, 1, 1, 1, 1, l.size, l.size};
  const auto x = random_vector(l.cin * l.size * l.size, 3);
  std::vector<float> cols(static_cast<std::size_t>(geo.column_rows() * geo.column_cols()));
  for (auto _ : state) {
    detail::im2col(x.data(), geo, 0, l.size, cols.data());
    benchmark::DoNotOptimize(cols.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(cols.size() * sizeof(float)));
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::AddCustomContext("eigen", std::to_string(EIGEN_WORLD_VERSION) + "." + std::to_string(EIGEN_MAJOR_VERSION) +
                                           "." + std::to_string(EIGEN_MINOR_VERSION));
  benchmark::AddCustomContext("eigen_simd", Eigen::SimdInstructionSetsInUse());
  benchmark::AddCustomContext("eigen_threads", std::to_string(Eigen::nbThreads()));
  // Interleaved per layer so that ours and the reference GEMM see the same machine state.
  for (const VggLayer& l : vgg16) {
    const std::string n = l.name;
    benchmark::RegisterBenchmark(("forward/" + n + "/attrib").c_str(), conv_forward, l)->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("forward/" + n + "/eigen_gemm").c_str(), eigen_gemm, l, false)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("backward/" + n + "/attrib").c_str(), conv_backward, l)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("backward/" + n + "/eigen_gemm").c_str(), eigen_gemm, l, true)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("im2col/" + n).c_str(), im2col_only, l)->Unit(benchmark::kMillisecond);
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
