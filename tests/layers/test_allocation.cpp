// attrib-unity: separate (it replaces the global operator new, which must stay at global scope)
// Proves that Conv2d's primitives and detail::gemm perform no heap allocation once their
// Workspace is warmed up, by counting global operator new AND the malloc family.
//
// This file replaces the global allocation functions of the whole test_layers executable.
// The replacements only forward (operator new -> malloc -> glibc's __libc_malloc) and count
// while a flag is set, so every other test in the binary is unaffected. Under a sanitizer that
// owns malloc (ASan, TSan, MSan) the malloc-level interposition is compiled out -- it would
// pair the sanitizer's allocations with glibc's free -- and only operator new is counted.
#include <atomic>
#include <memory>
#include <cerrno>
#include <cstdlib>
#include <new>
#include <vector>

#include "support/allocation_counter.hpp"
#include "support/layer_checks.hpp"
#include "support/nets.hpp"
#include "attrib/methods/pattern_fit.hpp"
#include "attrib/rules/presets.hpp"
#include "attrib/detail/gemm.hpp"
#include "attrib/attrib.hpp"
#include "attrib/models/builders.hpp"
#include "attrib/layers/activations.hpp"
#include "attrib/layers/conv2d.hpp"
#include "attrib/layers/prelu.hpp"
#include "attrib/layers/rectifiers.hpp"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#  define ATTRIB_TEST_SANITIZER_OWNS_MALLOC 1
#elif defined(__has_feature)
#  if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
#    define ATTRIB_TEST_SANITIZER_OWNS_MALLOC 1
#  endif
#endif
#if defined(__GLIBC__) && !defined(ATTRIB_TEST_SANITIZER_OWNS_MALLOC)
#  define ATTRIB_TEST_COUNT_MALLOC 1
#else
#  define ATTRIB_TEST_COUNT_MALLOC 0
#endif

namespace {

// The tally shared with the other test files of this executable (support/allocation_counter.hpp);
// constant-initialised, so it is usable by allocations before main().
attrib::test::AllocationTally& counter = attrib::test::allocation_tally;

inline void count_new() {
  if (counter.enabled.load(std::memory_order_relaxed)) counter.news.fetch_add(1, std::memory_order_relaxed);
}
[[maybe_unused]] inline void count_malloc() {
  if (counter.enabled.load(std::memory_order_relaxed)) counter.mallocs.fetch_add(1, std::memory_order_relaxed);
}

void* new_impl(std::size_t n) {
  count_new();
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* new_aligned_impl(std::size_t n, std::align_val_t al) {
  count_new();
  const std::size_t a = static_cast<std::size_t>(al);
  if (void* p = std::aligned_alloc(a, (n + a - 1) / a * a + (n == 0 ? a : 0))) return p;
  throw std::bad_alloc();
}

}  // namespace

// ---- malloc family (glibc only): forward to glibc's implementation, count when enabled ----
#if ATTRIB_TEST_COUNT_MALLOC
extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void* __libc_memalign(std::size_t, std::size_t);
void* __libc_valloc(std::size_t);
void* __libc_pvalloc(std::size_t);
void __libc_free(void*);

void* malloc(std::size_t n) noexcept {
  count_malloc();
  return __libc_malloc(n);
}
void* calloc(std::size_t n, std::size_t size) noexcept {
  count_malloc();
  return __libc_calloc(n, size);
}
void* realloc(void* p, std::size_t n) noexcept {
  count_malloc();
  return __libc_realloc(p, n);
}
void* memalign(std::size_t alignment, std::size_t n) noexcept {
  count_malloc();
  return __libc_memalign(alignment, n);
}
void* aligned_alloc(std::size_t alignment, std::size_t n) noexcept {
  count_malloc();
  return __libc_memalign(alignment, n);
}
int posix_memalign(void** out, std::size_t alignment, std::size_t n) noexcept {
  count_malloc();
  if (alignment < sizeof(void*) || (alignment & (alignment - 1)) != 0) return EINVAL;
  void* p = __libc_memalign(alignment, n);
  if (!p) return ENOMEM;
  *out = p;
  return 0;
}
void* valloc(std::size_t n) noexcept {
  count_malloc();
  return __libc_valloc(n);
}
void* pvalloc(std::size_t n) noexcept {
  count_malloc();
  return __libc_pvalloc(n);
}
void free(void* p) noexcept { __libc_free(p); }
}  // extern "C"
#endif

// ---- every replaceable global operator new / delete (so that none falls back to a runtime's
// own version that would pair with ours inconsistently) ----
void* operator new(std::size_t n) { return new_impl(n); }
void* operator new[](std::size_t n) { return new_impl(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  try { return new_impl(n); } catch (...) { return nullptr; }
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  try { return new_impl(n); } catch (...) { return nullptr; }
}
void* operator new(std::size_t n, std::align_val_t a) { return new_aligned_impl(n, a); }
void* operator new[](std::size_t n, std::align_val_t a) { return new_aligned_impl(n, a); }
void* operator new(std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  try { return new_aligned_impl(n, a); } catch (...) { return nullptr; }
}
void* operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  try { return new_aligned_impl(n, a); } catch (...) { return nullptr; }
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }

using namespace attrib;
using namespace attrib::test;

namespace {

struct Counts {
  long news, mallocs;
  long total() const { return news + mallocs; }
};

/// Allocations made by f() (no Catch2 macro may run inside: they allocate).
template <class F>
Counts count_allocations(F&& f) {
  struct Guard {
    Guard() {
      counter.news = 0;
      counter.mallocs = 0;
      counter.enabled = true;
    }
    ~Guard() { counter.enabled = false; }
  };
  {
    Guard g;
    f();
  }
  return {counter.news.load(), counter.mallocs.load()};
}

void warn_if_malloc_uncounted() {
  if (!ATTRIB_TEST_COUNT_MALLOC)
    WARN("malloc-level counting is compiled out (sanitizer owns malloc, or not glibc): "
         "only global operator new is counted here");
}

void* volatile sink;  // keeps the probe allocations below observable

template <class T>
Conv2d<T> make_conv(Index cin, Index cout, Index k, Conv2dOptions opt, unsigned seed) {
  Conv2d<T> conv(cin, cout, k, k, opt);
  conv.set_name("features.block3.conv2");  // longer than any small-string buffer
  fill_random(conv.weight().mutable_view(), seed);
  if (conv.has_bias()) fill_random(conv.bias().mutable_view(), seed + 1);
  return conv;
}

/// Runs every Conv2d primitive once to warm up `ws`, then counts a second round.
template <class T>
Counts conv_primitive_allocations(const Conv2d<T>& conv, const Shape& in, Workspace<T>& ws) {
  Tensor<T> x = random_tensor<T>(in, 11), y(conv.output_shape(in)), gx(in);
  Tensor<T> gy = random_tensor<T>(y.shape(), 12);
  Tensor<T> a = random_tensor<T>(conv.weight().shape(), 13);
  auto all = [&] {
    conv.forward(x, y, ws);
    conv.backward(x, gy, gx, ws);
    conv.forward_transformed(transform::Positive{}, BiasMode::transformed, x, y, ws);
    conv.forward_transformed(transform::Affine<double>{1, 0.25, 0}, BiasMode::unchanged, x, y, ws);
    conv.backward_transformed(transform::Square{}, gy, gx, ws);
    conv.forward_with(a, conv.has_bias() ? conv.bias().data() : nullptr, x, y, ws);
    conv.backward_with(a, gy, gx, ws);
  };
  all();
  return count_allocations(all);
}

template <class T>
T naive_entry(Index i, Index j, Index k, const T* a, Index lda, detail::Trans ta, const T* b, Index ldb,
              detail::Trans tb) {
  double s = 0;
  for (Index p = 0; p < k; ++p) {
    const T av = ta == detail::Trans::no ? a[i * lda + p] : a[p * lda + i];
    const T bv = tb == detail::Trans::no ? b[p * ldb + j] : b[j * ldb + p];
    s += double(av) * double(bv);
  }
  return T(s);
}

}  // namespace

TEST_CASE("The allocation counter sees operator new and malloc", "[layers][allocation]") {
  warn_if_malloc_uncounted();
  const Counts n = count_allocations([] {
    sink = ::operator new(64);
    ::operator delete(sink);
  });
  CHECK(n.news == 1);
  const Counts v = count_allocations([] { std::vector<float> big(1000); sink = big.data(); });
  CHECK(v.news >= 1);
  if (ATTRIB_TEST_COUNT_MALLOC) {
    const Counts m = count_allocations([] {
      sink = std::malloc(100);
      std::free(sink);
      sink = Eigen::internal::aligned_malloc(1 << 20);  // what Eigen's GEMM uses for big blocks
      Eigen::internal::aligned_free(sink);
    });
    CHECK(m.mallocs == 2);
    CHECK(m.news == 0);
  }
  // Outside a counting window nothing is recorded.
  counter.news = 0;
  sink = ::operator new(8);
  ::operator delete(sink);
  CHECK(counter.news.load() == 0);
}

TEST_CASE("Eigen's own product allocates its blocking buffers for conv-sized GEMMs", "[layers][allocation]") {
  // The reason for detail::gemm: Y = W cols as Eigen evaluates it mallocs its packing buffers
  // (beyond EIGEN_STACK_ALLOCATION_LIMIT), even with noalias() and preallocated operands.
  if (!ATTRIB_TEST_COUNT_MALLOC) {
    WARN("malloc-level counting is compiled out; Eigen's allocations cannot be observed here");
    return;
  }
  const Index m = 64, k = 576, n = 784;  // a 64 -> 64 channel 3x3 conv on a 28x28 image
  Tensor<float> a = random_tensor<float>(Shape{m, k}, 1), b = random_tensor<float>(Shape{k, n}, 2), c(Shape{m, n});
  auto am = a.view().mat(m, k);
  auto bm = b.view().mat(k, n);
  auto cm = c.view().mat(m, n);
  cm.noalias() = am * bm;  // warm-up: allocations do not go away on repetition
  const Counts eigen = count_allocations([&] { cm.noalias() = am * bm; });
  CHECK(eigen.mallocs > 0);
  Tensor<float> c2(Shape{m, n});
  std::vector<float> scratch(static_cast<std::size_t>(detail::gemm_scratch_size<float>(m, n, k)));
  const Counts ours = count_allocations([&] {
    detail::gemm(m, n, k, a.data(), k, detail::Trans::no, b.data(), n, detail::Trans::no, c2.data(), n, false,
                 scratch.data());
  });
  CHECK(ours.total() == 0);
  require_close(c2, c, 1e-5, 1e-5, "gemm vs Eigen's product");
}

TEMPLATE_TEST_CASE("detail::gemm matches a naive product for every transpose, stride and path",
                   "[layers][allocation][gemm]", float, double) {
  using detail::Trans;
  struct Dims {
    Index m, n, k;
  };
  // Tiny (coefficient-based), vector-like and blocked sizes, including k larger than a block.
  const Dims dims[] = {{2, 3, 4}, {1, 37, 19}, {23, 1, 30}, {17, 29, 13}, {40, 67, 700}, {129, 45, 33}};
  unsigned seed = 20;
  for (const Dims& d : dims)
    for (Trans ta : {Trans::no, Trans::yes})
      for (Trans tb : {Trans::no, Trans::yes})
        for (bool accumulate : {false, true}) {
          INFO("m " << d.m << ", n " << d.n << ", k " << d.k << ", ta " << int(ta) << ", tb " << int(tb)
                    << ", accumulate " << accumulate);
          // Leading dimensions larger than the logical widths: operands are sub-matrices.
          const Index lda = (ta == Trans::no ? d.k : d.m) + 3, ldb = (tb == Trans::no ? d.n : d.k) + 2,
                      ldc = d.n + 5;
          const Index arows = ta == Trans::no ? d.m : d.k, brows = tb == Trans::no ? d.k : d.n;
          auto a = random_tensor<TestType>(Shape{arows, lda}, seed++);
          auto b = random_tensor<TestType>(Shape{brows, ldb}, seed++);
          auto c = random_tensor<TestType>(Shape{d.m, ldc}, seed++);
          Tensor<TestType> expected = c;
          for (Index i = 0; i < d.m; ++i)
            for (Index j = 0; j < d.n; ++j)
              expected.at(i, j) = (accumulate ? expected.at(i, j) : TestType(0)) +
                                  naive_entry(i, j, d.k, a.data(), lda, ta, b.data(), ldb, tb);
          // A deliberately misaligned scratch pointer: gemm must align the packing buffers itself.
          std::vector<TestType> scratch(static_cast<std::size_t>(detail::gemm_scratch_size<TestType>(d.m, d.n, d.k) + 1));
          detail::gemm(d.m, d.n, d.k, a.data(), lda, ta, b.data(), ldb, tb, c.data(), ldc, accumulate,
                       scratch.data() + 1);
          const double t = std::is_same_v<TestType, float> ? 1e-4 : 1e-12;
          require_close(c, expected, t, t, "gemm");  // also checks the padding columns stayed intact
        }
}

TEST_CASE("Conv2d primitives do not allocate with a warmed-up workspace", "[layers][allocation]") {
  warn_if_malloc_uncounted();
  struct Config {
    const char* label;
    Index cin, cout, k;
    Conv2dOptions opt;
    Shape in;
  };
  const Config configs[] = {
      // Packing buffers of 0.9 MB: Eigen's own product would malloc them (see the test above).
      {"3x3 pad 1, 32 -> 32 on 28x28", 32, 32, 3, Conv2dOptions().padding(1), Shape{1, 32, 28, 28}},
      {"1x1 (input used as columns), batch 2", 64, 128, 1, Conv2dOptions(), Shape{2, 64, 28, 28}},
      {"several bands of output rows", 16, 8, 3, Conv2dOptions().padding(1), Shape{1, 16, 67, 64}},
      {"strided, dilated, grouped, no bias", 8, 12, 3,
       Conv2dOptions().stride(2).dilation(2).padding(1, 2, 0, 1).groups(4).bias(false), Shape{2, 8, 13, 11}},
      {"depthwise", 16, 16, 3, Conv2dOptions().groups(16).padding(1), Shape{2, 16, 9, 9}},
      {"tiny product", 1, 2, 2, Conv2dOptions(), Shape{1, 1, 3, 3}},
  };
  for (const Config& c : configs) {
    INFO(c.label);
    {
      auto conv = make_conv<float>(c.cin, c.cout, c.k, c.opt, 30);
      Workspace<float> ws;
      const Counts n = conv_primitive_allocations(conv, c.in, ws);
      CHECK(n.news == 0);
      CHECK(n.mallocs == 0);
    }
    {
      auto conv = make_conv<double>(c.cin, c.cout, c.k, c.opt, 31);
      Workspace<double> ws;
      CHECK(conv_primitive_allocations(conv, c.in, ws).total() == 0);
    }
  }
}

TEST_CASE("Conv2d primitives do not allocate on real VGG-16 layer sizes", "[layers][allocation][slow]") {
  warn_if_malloc_uncounted();
  struct Config {
    Index cin, cout, size;
  };
  // conv1_1, conv3_1 and conv5_1 of VGG-16 (224x224 input), batch 1, float.
  for (const Config& c : {Config{3, 64, 224}, Config{128, 256, 56}, Config{512, 512, 14}}) {
    INFO("VGG layer " << c.cin << " -> " << c.cout << " at " << c.size << "x" << c.size);
    auto conv = make_conv<float>(c.cin, c.cout, 3, Conv2dOptions().padding(1), 40);
    Workspace<float> ws;
    CHECK(conv_primitive_allocations(conv, Shape{1, c.cin, c.size, c.size}, ws).total() == 0);
  }
}

TEST_CASE("Dense primitives do not allocate with a warmed-up workspace", "[layers][allocation]") {
  warn_if_malloc_uncounted();
  Dense<float> d(300, 200);
  d.set_name("classifier.0.long_layer_name");
  fill_random(d.weight().mutable_view(), 21);
  Workspace<float> ws;
  Tensor<float> x = random_tensor<float>(Shape{16, 300}, 22), y(Shape{16, 200}), gx(x.shape());
  Tensor<float> gy = random_tensor<float>(y.shape(), 23);
  auto all = [&] {
    d.forward(x, y, ws);
    d.backward(x, gy, gx, ws);
    d.forward_transformed(transform::Negative{}, BiasMode::transformed, x, y, ws);
    d.backward_transformed(transform::Positive{}, gy, gx, ws);
  };
  all();
  CHECK(count_allocations(all).total() == 0);
  // Batch 1 takes the matrix-vector path.
  Tensor<float> x1 = random_tensor<float>(Shape{1, 300}, 26), y1(Shape{1, 200}), g1(x1.shape());
  Tensor<float> gy1 = random_tensor<float>(y1.shape(), 27);
  auto one = [&] {
    d.forward(x1, y1, ws);
    d.backward(x1, gy1, g1, ws);
    d.forward_transformed(transform::Square{}, BiasMode::none, x1, y1, ws);
  };
  one();
  CHECK(count_allocations(one).total() == 0);
}

TEMPLATE_TEST_CASE("Element-wise activations do not allocate", "[layers][allocation][activations]", float, double) {
  warn_if_malloc_uncounted();
  using T = TestType;
  const Shape s{2, 3, 8, 8};
  Tensor<T> x = random_tensor<T>(s, 28, T(-8), T(8)), gy = random_tensor<T>(s, 29), y(s), gx(s);
  Workspace<T> ws;
  auto check = [&](auto layer) {
    layer.set_name("features.block3.activation_with_a_long_name");
    auto all = [&] {
      layer.forward(x, y, ws);
      layer.backward(x, gy, gx, ws);
      layer.derivative(x, gx);
      layer.map([](const auto& f, T a, T b) { return (f.value(a) - f.value(b)) / (a - b); }, y, x, gy);
    };
    all();
    INFO(layer.kind);
    CHECK(count_allocations(all).total() == 0);
  };
  check(Sigmoid<T>());
  check(Tanh<T>());
  check(SiLU<T>());
  check(GELU<T>());
  check(GELU<T>(GeluApproximation::tanh));
  check(Softplus<T>());
  check(ELU<T>());
  check(LeakyReLU<T>());
  check(ReLU6<T>());
  check(Clip<T>(T(-1), T(2)));
  check(HardSigmoid<T>());
  check(HardSwish<T>());
  check(PReLU<T>(1));
  check(PReLU<T>(3));
}

TEST_CASE("A reused Explainer makes no allocation per call, for every rule family", "[layers][allocation][explain]") {
  warn_if_malloc_uncounted();
  ExplainOptions<float> opt;
  opt.keep_layers = true;
  opt.conservation = true;
  for (int which = 0; which < 2; ++which) {
    // A CIFAR CNN, and a small network with every role (batch norm, residual sum, average pool).
    const auto net = which == 0 ? cifar_net<float>({10, 8, 1}) : all_roles_net<float>();
    const Shape in = which == 0 ? Shape{2, 3, 32, 32} : Shape{2, 3, 8, 8};
    Tensor<float> x = random_tensor<float>(in, 24), x2 = random_tensor<float>(in, 25);
    PatternFitter<float> fitter(net, PatternKind::relu);
    fitter.add_batch(random_tensor<float>(in.with_batch(8), 26).cview());
    const auto patterns = std::make_shared<const Patterns<float>>(fitter.finish());
    const Index classes = which == 0 ? 10 : 3;
    auto check = [&](auto rule) {
      Explainer ex(net, rule);
      ex.explain(x.cview(), Targets({1, 2}), opt);
      ex.explain(x2.cview(), 3 % classes, opt);
      const Targets t({3 % classes, 4 % classes});
      const Index c = 5 % classes;
      const Counts many = count_allocations([&] { ex.explain(x.cview(), t, opt); });
      const Counts one = count_allocations([&] { ex.explain(x2.cview(), c, opt); });  // a bare int target
      INFO(rule_name(rule) << " on network " << which);
      CHECK(many.total() == 0);
      CHECK(one.total() == 0);
    };
    check(Gradient{});
    check(GradientTimesInput{});
    check(GuidedBackprop{});
    check(Deconvnet{});
    check(RectGrad{});
    check(RectGradConstant(0.01));
    check(LrpZ{});
    check(LrpEpsilon{});
    check(LrpZPlus{});
    check(LrpAlphaBeta(2, 1));
    check(LrpGamma{});
    check(LrpFlat{});
    check(LrpWSquare{});
    check(LrpWSquare(true, 1e-6));
    check(LrpZBox(-1.0, 1.0));
    check(ExcitationBackprop{});
    LrpEpsilon eps_maxpool;
    eps_maxpool.maxpool = MaxPoolRule::epsilon;
    check(eps_maxpool);
    check(presets::epsilon_plus());
    check(presets::epsilon_plus_flat());
    check(presets::epsilon_gamma_box(-1.0, 1.0));
    check(presets::epsilon_alpha2_beta1_flat());
    check(presets::excitation_backprop());
    check(presets::epsilon_plus_flat_conservative());
    check(presets::lrp_cmp_alpha1_beta0());
    check(presets::deep_taylor(-1.0, 1.0));
    check(DeepLiftRescale());
    check(DeepLiftRevealCancel());
    check(DeepLiftGenomicsDefault());
    check(DeepLiftAblation());
    check(DeepLift(DeepLiftNonlinear::rescale, DeepLiftLinear::standard, DeepLiftMaxPool::cross_max));
    check(PatternNet<float>(patterns));
    check(PatternAttribution<float>(net, patterns));
  }
}
