// A warmed-up ParallelExplainer (docs/threading.md) makes no heap allocation: its workers'
// Explainers, the result tensors and the team's job hand-over are all reused. Counted with the
// tally of test_allocation.cpp (atomic: the workers' allocations are counted too).
#include "support/allocation_counter.hpp"
#include "support/support.hpp"
#include "attrib/explain_batch.hpp"
#include "attrib/models/builders.hpp"
#include "attrib/rules/gradient.hpp"
#include "attrib/rules/presets.hpp"

using namespace attrib;
using namespace attrib::test;

TEST_CASE("A warmed-up ParallelExplainer allocates nothing per item or per call", "[layers][allocation]") {
  REQUIRE(allocation_counting_works());
  BuilderOptions o;
  o.width_divisor = 8;
  const Network<float> model = cifar_net<float>(o);
  const Tensor<float> x = random_tensor<float>(Shape{6, 3, 32, 32}, 3);
  ParallelExplainer<Network<float>, Gradient> grad(model, Gradient{}, ParallelOptions{2});
  auto epf = presets::epsilon_plus_flat();
  ParallelExplainer<Network<float>, decltype(epf)> lrp(model, epf, ParallelOptions{3});
  ExplainOptions<float> opt;
  opt.keep_layers = true;
  grad.explain(x.cview(), 4, opt);  // warm-up
  lrp.explain(x.cview(), 4);
  CHECK(allocations_in([&] { grad.explain(x.cview(), 4, opt); }) == 0);
  CHECK(allocations_in([&] { lrp.explain(x.cview(), 4); }) == 0);
  // A control: a fresh ParallelExplainer (threads, Explainers) does allocate.
  CHECK(allocations_in([&] { ParallelExplainer<Network<float>, Gradient>(model, Gradient{}, ParallelOptions{2}).explain(x.cview(), 4); }) > 0);
}
