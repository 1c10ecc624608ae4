// The threading contract (docs/threading.md): a const model is shared by several threads, each
// with its own Explainer (trace, workspace); every explanation is bit-identical to the same
// explanation computed sequentially. Catch2 assertions are not thread-safe, so the threads only
// compute and the main thread compares. Built once under ThreadSanitizer (see the doc).
#include <atomic>
#include <cstring>
#include <exception>
#include <thread>
#include <vector>

#include "support/support.hpp"
#include "attrib/attrib.hpp"
#include "attrib/models/builders.hpp"

using namespace attrib;
using namespace attrib::test;

namespace {

struct Case {
  Tensor<float> x;
  Index target;
};

/// What one explanation produced, copied out of the Explainer.
struct Result {
  Tensor<float> attribution, output;
  std::vector<Tensor<float>> layers;
};

/// -1 if a and b have the same shape and the same bits, else the first differing element
/// (or -2 for a shape mismatch).
Index first_difference(const Tensor<float>& a, const Tensor<float>& b) {
  if (a.shape() != b.shape()) return -2;
  for (Index i = 0; i < a.size(); ++i)
    if (std::memcmp(&a.data()[i], &b.data()[i], sizeof(float)) != 0) return i;
  return -1;
}

/// Explains cases[order[0]], cases[order[1]], ... `rounds` times with one Explainer; the result
/// of round r for case c is out[r * cases.size() + c].
void explain_cases(const Network<float>& model, const std::vector<Case>& cases,
                   const std::vector<std::size_t>& order, int rounds, std::vector<Result>& out) {
  Explainer ex(model, Gradient{});
  ExplainOptions<float> opt;
  opt.keep_layers = true;
  out.resize(cases.size() * static_cast<std::size_t>(rounds));
  for (int r = 0; r < rounds; ++r)
    for (std::size_t c : order) {
      const Explanation<float>& e = ex.explain(cases[c].x.cview(), cases[c].target, opt);
      out[static_cast<std::size_t>(r) * cases.size() + c] = {e.attribution, e.output, e.layers};
    }
}

void require_identical(const Result& got, const Result& want, const std::string& what) {
  INFO(what);
  CHECK(first_difference(got.output, want.output) == -1);
  CHECK(first_difference(got.attribution, want.attribution) == -1);
  REQUIRE(got.layers.size() == want.layers.size());
  for (std::size_t l = 0; l < got.layers.size(); ++l) {
    INFO("read-out at node " << l);
    CHECK(first_difference(got.layers[l], want.layers[l]) == -1);
  }
}

/// Two threads share `model` (const) and explain all cases, in opposite orders, twice each.
void check_shared_model(const Network<float>& model, const Shape& sample, Index classes) {
  std::vector<Case> cases;
  for (unsigned k = 0; k < 4; ++k) {
    const Shape s = sample.with_batch(k == 3 ? 2 : 1);  // the last case is a batch of two
    cases.push_back({random_tensor<float>(s, 100 + k), static_cast<Index>((3 * k + 1) % classes)});
  }
  const std::vector<std::size_t> forward_order{0, 1, 2, 3}, reverse_order{3, 2, 1, 0};

  std::vector<Result> sequential;
  explain_cases(model, cases, forward_order, 1, sequential);
  // The cases must give different explanations, or mixing them up would go unnoticed.
  for (std::size_t a = 0; a < 3; ++a) {
    INFO("case " << a);
    REQUIRE(sequential[a].attribution.vec().cwiseAbs().maxCoeff() > 0);
    REQUIRE(first_difference(sequential[a].attribution, sequential[a + 1].attribution) != -1);
  }

  constexpr int rounds = 2;
  std::vector<Result> results[2];
  std::exception_ptr errors[2];
  std::atomic<int> ready{0};
  const auto work = [&](int t) {
    try {
      ready.fetch_add(1);
      while (ready.load() < 2) std::this_thread::yield();  // start together
      explain_cases(model, cases, t == 0 ? forward_order : reverse_order, rounds, results[t]);
    } catch (...) {
      errors[t] = std::current_exception();
    }
  };
  std::thread t0(work, 0), t1(work, 1);
  t0.join();
  t1.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);

  for (int t = 0; t < 2; ++t)
    for (int r = 0; r < rounds; ++r)
      for (std::size_t c = 0; c < cases.size(); ++c)
        require_identical(results[t][static_cast<std::size_t>(r) * cases.size() + c], sequential[c],
                          "thread " + std::to_string(t) + ", round " + std::to_string(r) + ", case " +
                              std::to_string(c));
}

}  // namespace

TEST_CASE("A const cifar_net shared by two threads gives bit-identical explanations",
          "[models][threads]") {
  BuilderOptions o;
  o.width_divisor = 4;
  o.seed = 7;
  const Network<float> model = cifar_net<float>(o);
  check_shared_model(model, Shape{1, 3, 32, 32}, 10);
}

TEST_CASE("A const resnet50 shared by two threads gives bit-identical explanations",
          "[models][threads]") {
  BuilderOptions o;
  o.width_divisor = 16;
  o.num_classes = 20;
  o.seed = 8;
  const Network<float> model = resnet50<float>(o);
  check_shared_model(model, Shape{1, 3, 64, 64}, 20);
}
