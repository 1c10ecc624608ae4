// The opt-in parallel batch API (docs/threading.md): explain_batch / ParallelExplainer and
// BatchOptions::threads of the methods. Oracle: the same explanations computed sequentially in
// the caller's thread (one Explainer, item after item; the methods with threads = 1), compared
// byte for byte, for float and double, batches 1, 3 and 16 and 1, 2, 3 and more threads than
// items. Errors of a worker reach the caller with the failing item. Tagged [threads]: the
// ThreadSanitizer build of .ci/run runs these cases too.
#include <algorithm>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "support/support.hpp"
#include "attrib/attrib.hpp"
#include "attrib/explain_batch.hpp"
#include "attrib/methods/expected_gradients.hpp"
#include "attrib/methods/integrated_gradients.hpp"
#include "attrib/methods/smooth_grad.hpp"
#include "attrib/models/builders.hpp"

using namespace attrib;
using namespace attrib::test;

namespace {

template <class T>
bool same_bytes(const Tensor<T>& a, const Tensor<T>& b) {
  return a.shape() == b.shape() && std::memcmp(a.data(), b.data(), sizeof(T) * static_cast<std::size_t>(a.size())) == 0;
}

template <class T>
Network<T> small_net() {
  BuilderOptions o;
  o.width_divisor = 8;
  o.seed = 11;
  return cifar_net<T>(o);
}

/// explain_batch against one Explainer explaining the items one by one (per-item targets).
template <class T, class Rule>
void check_batch(const Network<T>& model, const Rule& rule, Index n, bool keep_layers) {
  const Tensor<T> x = random_tensor<T>(Shape{n, 3, 32, 32}, 200 + unsigned(n));
  std::vector<Index> tg(static_cast<std::size_t>(n));
  for (Index i = 0; i < n; ++i) tg[static_cast<std::size_t>(i)] = (3 * i + 1) % 10;
  ExplainOptions<T> opt;
  opt.keep_layers = keep_layers;

  Explainer<Network<T>, Rule> ex(model, rule);
  std::vector<Tensor<T>> attr, out;
  std::vector<std::vector<Tensor<T>>> layers;
  for (Index i = 0; i < n; ++i) {
    const Explanation<T>& e = ex.explain(x.cview().slice(i, 1), tg[static_cast<std::size_t>(i)], opt);
    attr.push_back(e.attribution);
    out.push_back(e.output);
    layers.push_back(e.layers);
  }
  if (n > 1) REQUIRE_FALSE(same_bytes(attr[0], attr[1]));  // mixing items up would be noticed

  for (Index threads : {Index(1), Index(2), Index(3), n + 2}) {
    INFO("batch " << n << ", threads " << threads);
    ParallelExplainer<Network<T>, Rule> pe(model, rule, ParallelOptions{threads});
    for (int round = 0; round < 2; ++round) {  // the second call reuses the warmed-up workers
      INFO("round " << round);
      const Explanation<T>& e = pe.explain(x.cview(), Targets(tg), opt);
      REQUIRE(e.attribution.shape() == x.shape());
      REQUIRE(e.output.shape() == Shape{n, 10});
      CHECK(e.finite);
      for (Index i = 0; i < n; ++i) {
        INFO("item " << i);
        const auto u = static_cast<std::size_t>(i);
        CHECK(same_bytes(Tensor<T>::copy_of(e.attribution.cview().slice(i, 1)), attr[u]));
        CHECK(same_bytes(Tensor<T>::copy_of(e.output.cview().slice(i, 1)), out[u]));
        REQUIRE(e.layers.size() == layers[u].size());
        for (std::size_t l = 0; l < e.layers.size(); ++l)
          CHECK(same_bytes(Tensor<T>::copy_of(e.layers[l].cview().slice(i, 1)), layers[u][l]));
      }
    }
    const Explanation<T> once = explain_batch(model, rule, x.cview(), Targets(tg), ParallelOptions{threads});
    CHECK(same_bytes(once.attribution, pe.explain(x.cview(), Targets(tg)).attribution));
  }
}

}  // namespace

TEMPLATE_TEST_CASE("explain_batch is bit-identical to explaining the items one by one, for any thread count",
                   "[models][threads]", float, double) {
  using T = TestType;
  const Network<T> model = small_net<T>();
  for (Index n : {Index(1), Index(3), Index(16)}) {
    check_batch(model, Gradient{}, n, n == 3);
    check_batch(model, presets::epsilon_plus_flat(), n, false);
  }
}

TEST_CASE("explain_batch rethrows a worker's error in the caller with the first failing item", "[models][threads]") {
  const Network<float> model = small_net<float>();
  Tensor<float> x = random_tensor<float>(Shape{16, 3, 32, 32}, 5);
  x.view().slice(9, 1)[7] = std::numeric_limits<float>::quiet_NaN();   // in the last worker's chunk for 3 threads
  x.view().slice(12, 1)[0] = std::numeric_limits<float>::infinity();  // a later one: never reported
  for (Index threads : {Index(1), Index(2), Index(3), Index(20)}) {
    INFO("threads " << threads);
    ParallelExplainer<Network<float>, Gradient> pe(model, Gradient{}, ParallelOptions{threads});
    bool thrown = false;
    try {
      pe.explain(x.cview(), 2);
    } catch (const ArgumentError& e) {
      thrown = true;
      CHECK(e.id() == "attrib.arg.032");
      CHECK(std::string(e.what()).find("explain_batch: item 9 of 16: explain: input") != std::string::npos);
    }
    CHECK(thrown);
    // The object stays usable after an error.
    const Explanation<float>& ok = pe.explain(x.cview().slice(0, 4), 2);
    CHECK(ok.attribution.shape() == Shape{4, 3, 32, 32});
  }
  // Item 0 fails: reported from the warm-up phase.
  x.view().slice(0, 1)[3] = std::numeric_limits<float>::quiet_NaN();
  CHECK_THROWS_WITH(explain_batch(model, Gradient{}, x.cview(), 2, ParallelOptions{3}),
                    Catch::Contains("[attrib.arg.032] explain_batch: item 0 of 16"));
  // An out-of-range target of one item.
  const Tensor<float> y = random_tensor<float>(Shape{4, 3, 32, 32}, 6);
  CHECK_THROWS_WITH(explain_batch(model, Gradient{}, y.cview(), Targets({0, 1, 2, 10}), ParallelOptions{2}),
                    Catch::Contains("[attrib.arg.031] explain_batch: item 3 of 4"));
}

TEST_CASE("explain_batch refuses bad arguments with typed errors", "[models][threads]") {
  const Network<float> model = small_net<float>();
  const Tensor<float> x = random_tensor<float>(Shape{4, 3, 32, 32}, 7);
  CHECK_THROWS_WITH((ParallelExplainer<Network<float>, Gradient>(model, Gradient{}, ParallelOptions{0})),
                    Catch::Contains("[attrib.param.060]"));
  CHECK_THROWS_WITH(explain_batch(model, Gradient{}, x.cview(), 1, ParallelOptions{max_threads + 1}),
                    Catch::Contains("[attrib.param.060]"));
  CHECK_THROWS_WITH(explain_batch(model, Gradient{}, Tensor<float>().cview(), 1), Catch::Contains("[attrib.shape.036]"));
  CHECK_THROWS_WITH(explain_batch(model, Gradient{}, x.cview(), Targets({1, 2}), ParallelOptions{2}),
                    Catch::Contains("[attrib.arg.036]"));
  ExplainOptions<float> opt;
  opt.conservation = true;
  CHECK_THROWS_WITH(explain_batch(model, Gradient{}, x.cview(), 1, ParallelOptions{2}, opt), Catch::Contains("[attrib.param.061]"));
  const Tensor<float> seed(Shape{2, 10});
  opt = {};
  opt.seed = seed.cview();
  CHECK_THROWS_WITH(explain_batch(model, Gradient{}, x.cview(), 1, ParallelOptions{2}, opt), Catch::Contains("[attrib.shape.037]"));
  const Tensor<float> ref(Shape{2, 3, 32, 32});
  opt = {};
  opt.reference = ref.cview();
  CHECK_THROWS_WITH(explain_batch(model, Gradient{}, x.cview(), 1, ParallelOptions{2}, opt), Catch::Contains("[attrib.shape.038]"));
}

TEMPLATE_TEST_CASE("explain_batch passes per-item seeds and references", "[models][threads]", float, double) {
  using T = TestType;
  const Network<T> model = small_net<T>();
  const Index n = 5;
  const Tensor<T> x = random_tensor<T>(Shape{n, 3, 32, 32}, 8), seed = random_tensor<T>(Shape{n, 10}, 9),
                  ref = random_tensor<T>(Shape{n, 3, 32, 32}, 10, T(-0.1), T(0.1));
  ExplainOptions<T> opt;
  opt.seed = seed.cview();
  opt.reference = ref.cview();
  const DeepLift rule{};
  const Explanation<T> got = explain_batch(model, rule, x.cview(), 0, ParallelOptions{2}, opt);
  Explainer<Network<T>, DeepLift> ex(model, rule);
  for (Index i = 0; i < n; ++i) {
    INFO("item " << i);
    ExplainOptions<T> one;
    one.seed = seed.cview().slice(i, 1);
    one.reference = ref.cview().slice(i, 1);
    CHECK(same_bytes(Tensor<T>::copy_of(got.attribution.cview().slice(i, 1)),
                     ex.explain(x.cview().slice(i, 1), 0, one).attribution));
  }
}

TEMPLATE_TEST_CASE("Methods with BatchOptions::threads are bit-identical to threads = 1", "[methods][threads]", float, double) {
  using T = TestType;
  const Network<T> model = small_net<T>();
  const Tensor<T> x = random_tensor<T>(Shape{3, 3, 32, 32}, 12);
  const Targets tg({1, 4, 7});
  for (Index threads : {Index(2), Index(3), Index(40)}) {
    INFO("threads " << threads);
    SmoothGradOptions<T> sg;
    sg.samples = 5;
    sg.batch_size = 4;  // 15 rows: chunks of 4, 4, 4, 3
    sg.seed = 3;
    std::vector<Index> progress;
    sg.progress = [&](Index done, Index) { progress.push_back(done); };
    const auto s1 = smooth_grad(model, x.cview(), tg, sg);
    const std::vector<Index> serial_progress = progress;
    progress.clear();
    sg.threads = threads;
    const auto sn = smooth_grad(model, x.cview(), tg, sg);
    CHECK(same_bytes(sn.attribution, s1.attribution));
    CHECK(same_bytes(sn.standard_error, s1.standard_error));
    CHECK(progress == serial_progress);

    IntegratedGradientsOptions<T> ig;
    ig.steps = 6;
    ig.batch_size = 5;
    const auto i1 = integrated_gradients(model, x.cview(), tg, ig, presets::epsilon_plus_flat());
    ig.threads = threads;
    const auto in = integrated_gradients(model, x.cview(), tg, ig, presets::epsilon_plus_flat());
    CHECK(same_bytes(in.attribution, i1.attribution));
    CHECK(in.delta == i1.delta);

    const Tensor<T> data = random_tensor<T>(Shape{4, 3, 32, 32}, 13);
    ExpectedGradientsOptions<T> eg;
    eg.baselines = data.cview();
    eg.samples = 4;
    eg.batch_size = 3;
    const auto e1 = expected_gradients(model, x.cview(), tg, eg);
    eg.threads = threads;
    const auto en = expected_gradients(model, x.cview(), tg, eg);
    CHECK(same_bytes(en.attribution, e1.attribution));
    CHECK(same_bytes(en.standard_error, e1.standard_error));
  }
}

TEST_CASE("Methods refuse threads with a callable attributor or out of range", "[methods][threads]") {
  const Network<float> model = small_net<float>();
  const Tensor<float> x = random_tensor<float>(Shape{1, 3, 32, 32}, 14);
  SmoothGradOptions<float> sg;
  sg.samples = 2;
  sg.threads = 0;
  CHECK_THROWS_WITH(smooth_grad(model, x.cview(), 1, sg), Catch::Contains("[attrib.param.705] smooth_grad"));
  sg.threads = 2;
  auto g = rule_attributor(model);
  CHECK_THROWS_WITH(smooth_grad(g, x.cview(), 1, sg), Catch::Contains("[attrib.param.706] smooth_grad"));
}

TEST_CASE("parallel_for visits every item once in contiguous chunks and rethrows the first failure", "[core][threads]") {
  for (Index threads : {Index(1), Index(2), Index(3), Index(9)}) {
    INFO("threads " << threads);
    const Index n = 7;
    std::vector<Index> worker_of(static_cast<std::size_t>(n), -1), visits(static_cast<std::size_t>(n), 0);
    parallel_for(n, ParallelOptions{threads}, [&](Index w, Index i) {
      worker_of[static_cast<std::size_t>(i)] = w;
      ++visits[static_cast<std::size_t>(i)];
    });
    for (Index i = 0; i < n; ++i) {
      CHECK(visits[static_cast<std::size_t>(i)] == 1);
      if (i > 0) CHECK(worker_of[static_cast<std::size_t>(i)] >= worker_of[static_cast<std::size_t>(i - 1)]);  // contiguous
    }
    CHECK(worker_of.back() == std::min(threads, n) - 1);
    // Items 2 and 5 fail: item 2's error is the one a sequential loop meets first.
    CHECK_THROWS_WITH(parallel_for(n, ParallelOptions{threads},
                                   [&](Index, Index i) {
                                     if (i == 2 || i == 5) raise<ArgumentError>("arg.999", "item ", i, " failed");
                                   }),
                      "[attrib.arg.999] item 2 failed");
  }
  CHECK_THROWS_WITH(parallel_for(3, ParallelOptions{-1}, [](Index, Index) {}), Catch::Contains("[attrib.param.062]"));
}
