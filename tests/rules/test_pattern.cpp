// PatternNet / PatternAttribution and pattern estimation: Kindermans et al.'s toy example, the
// streaming fit against a one-shot numpy fit (tools/make_pattern_fixtures.py), the rules against
// a torch autograd implementation and a hand computation, edge cases, save/load, throughput.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <optional>
#include <random>

#include "support/support.hpp"
#include "attrib/attrib.hpp"
#include "attrib/io/patterns.hpp"
#include "attrib/io/safetensors.hpp"
#include "attrib/methods/pattern_fit.hpp"
#include "attrib/rules/pattern.hpp"

using namespace attrib;
using namespace attrib::test;

namespace {

double cosine(const Eigen::VectorXd& a, const Eigen::VectorXd& b) { return a.dot(b) / (a.norm() * b.norm()); }

template <class T>
Eigen::VectorXd row(const Tensor<T>& t, Index r) {
  const Index k = t.size() / t.dim(0);
  Eigen::VectorXd v(k);
  for (Index i = 0; i < k; ++i) v[i] = static_cast<double>(t[r * k + i]);
  return v;
}

/// Toy data x = a y + d eps, a = (1, 0) the signal direction, d = (1, 1) the distractor.
template <class T>
Tensor<T> toy_data(Index n, unsigned seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<double> g(0.0, 1.0);
  Tensor<T> x(Shape{n, 2});
  for (Index i = 0; i < n; ++i) {
    const double y = g(gen), eps = g(gen);
    x.at(i, 0) = static_cast<T>(y + eps);
    x.at(i, 1) = static_cast<T>(eps);
  }
  return x;
}

/// The linear model w = (1, -1): w . a = 1, w . d = 0, so w^T x = y.
template <class T>
Network<T> toy_net() {
  Network<T> n;
  Dense<T> d(2, 1, false);
  d.weight().mutable_view()[0] = T(1);
  d.weight().mutable_view()[1] = T(-1);
  n.add(d, "w");
  return n;
}

std::string fixture_path() { return std::string(ATTRIB_TEST_DATA_DIR) + "/patterns_small.safetensors"; }

/// The fixture's network (see tools/make_pattern_fixtures.py) with its parameters.
template <class T>
Network<T> small_net(const SafeTensors<T>& f) {
  Network<T> n;
  n.add(Conv2d<T>(3, 4, 3, 3, Conv2dOptions{}.padding(1)), "conv1");
  n.add(ReLU<T>(), "relu1");
  n.add(MaxPool2d<T>(2), "pool");
  n.add(Conv2d<T>(4, 6, 3, 3, Conv2dOptions{}.stride(2).padding(1).groups(2)), "conv2");
  n.add(BatchNorm2d<T>(6), "bn2");
  n.add(ReLU<T>(), "relu2");
  n.add(Flatten<T>(), "flatten");
  n.add(Dense<T>(24, 10), "fc1");
  n.add(ReLU<T>(), "relu3");
  n.add(Dense<T>(10, 3), "fc2");
  for (const std::string& name : parameter_names(n)) {
    Param<T>& p = parameter(n, name);
    const Tensor<T>& v = f.get(name);
    REQUIRE(v.shape() == p.shape());
    p.mutable_view().vec() = v.vec();
  }
  return n;
}

const char* const kernels[] = {"conv1", "conv2", "fc1", "fc2"};

template <class T>
Patterns<T> fixture_patterns(const SafeTensors<T>& f, PatternKind kind) {
  Patterns<T> p;
  p.kind = kind;
  for (const char* k : kernels) {
    typename Patterns<T>::Entry e;
    e.pattern = f.get(std::string(to_string(kind)) + "." + k + ".pattern");
    p.nodes[k] = std::move(e);
  }
  return p;
}

template <class T>
Patterns<T> fit_in_batches(const Network<T>& net, PatternKind kind, const Tensor<T>& x, Index batch) {
  PatternFitter<T> fitter(net, kind);
  for (Index b = 0; b < x.dim(0); b += batch) {
    const Index n = std::min(batch, x.dim(0) - b);
    fitter.add_batch(x.cview().slice(b, n));
  }
  return fitter.finish();
}

template <class T>
bool bit_equal(const Tensor<T>& a, const Tensor<T>& b) {
  if (a.shape() != b.shape()) return false;
  for (Index i = 0; i < a.size(); ++i) {
    const T x = a[i], y = b[i];
    if (std::memcmp(&x, &y, sizeof(T)) != 0) return false;
  }
  return true;
}

}  // namespace

TEMPLATE_TEST_CASE("Patterns: toy example x = a y + d eps recovers the signal direction a", "[rules][pattern]",
                   float, double) {
  using T = TestType;
  const Network<T> net = toy_net<T>();
  const Tensor<T> x = toy_data<T>(20000, 11);
  const Eigen::VectorXd a = Eigen::Vector2d(1, 0), w = Eigen::Vector2d(1, -1);
  for (PatternKind kind : {PatternKind::linear, PatternKind::relu}) {
    INFO("estimator " << to_string(kind));
    const auto p = std::make_shared<const Patterns<T>>(fit_in_batches(net, kind, x, 1000));
    REQUIRE(p->samples == 20000);
    const Tensor<T>& A = p->pattern("w");
    REQUIRE(A.shape() == (Shape{1, 2}));
    CHECK(cosine(row(A, 0), a) > 0.99);
    CHECK(std::abs(row(A, 0).dot(w) - 1.0) < 1e-6);  // a^T w = 1 by construction of the estimator
    CHECK(cosine(w, a) < 0.75);                     // the gradient points elsewhere

    const Tensor<T> xs = toy_data<T>(8, 12);
    const auto pn = explain(net, PatternNet<T>(p), xs.cview(), 0);
    const auto gr = explain(net, Gradient{}, xs.cview(), 0);
    for (Index b = 0; b < 8; ++b) {
      const Eigen::VectorXd r = row(pn.attribution, b), g = row(gr.attribution, b);
      CHECK(std::abs(cosine(r, a)) > 0.99);
      CHECK(std::abs(cosine(g, a)) < 0.75);
      // PatternNet's signal is the pattern times the logit value y (seed = logit).
      CHECK(r[0] == Approx(row(A, 0)[0] * double(pn.output.at(b, 0))).epsilon(1e-5));
    }
  }
}

TEST_CASE("Patterns: streaming fit over batches equals the one-shot numpy fit", "[rules][pattern]") {
  const auto f = SafeTensors<double>::load(fixture_path());
  const Network<double> net = small_net(f);
  const Tensor<double>& x = f.get("x");
  {
    PatternFitter<double> fitter(net, PatternKind::relu);
    CHECK(fitter.mask_source("conv1") == "relu1");
    CHECK(fitter.mask_source("conv2") == "relu2");  // through BatchNorm2d
    CHECK(fitter.mask_source("fc1") == "relu3");
    CHECK(fitter.mask_source("fc2") == "fc2");      // the logit layer: its own output
    CHECK_THROWS_WITH(fitter.mask_source("bn2"), Catch::Contains("arg.605") && Catch::Contains("BatchNorm2d"));
  }
  for (PatternKind kind : {PatternKind::linear, PatternKind::relu}) {
    for (Index batch : {Index(1), Index(7), x.dim(0)}) {
      INFO("estimator " << to_string(kind) << ", batch size " << batch);
      const Patterns<double> p = fit_in_batches(net, kind, x, batch);
      REQUIRE(p.nodes.size() == 4);
      CHECK(p.samples == x.dim(0));
      for (const char* k : kernels) {
        const std::string key = std::string(to_string(kind)) + "." + k;
        require_close(p.pattern(k), f.get(key + ".pattern"), 1e-10, 1e-10, key);
        const Tensor<double>& act = f.get(key + ".active");
        const auto& e = p.nodes.at(k);
        REQUIRE(static_cast<Index>(e.active.size()) == act.size());
        for (Index j = 0; j < act.size(); ++j) CHECK(double(e.active[std::size_t(j)]) == act[j]);
      }
    }
  }
  // The vectors per unit: samples x output positions.
  const Patterns<double> p = fit_in_batches(net, PatternKind::relu, x, 13);
  CHECK(p.nodes.at("conv1").vectors == 40 * 64);
  CHECK(p.nodes.at("conv2").vectors == 40 * 4);
  CHECK(p.nodes.at("fc1").vectors == 40);
}

TEST_CASE("Patterns: float fit agrees with the double fixture", "[rules][pattern]") {
  const auto f = SafeTensors<float>::load(fixture_path());
  const Network<float> net = small_net(f);
  const Patterns<float> p = fit_in_batches(net, PatternKind::relu, f.get("x"), 7);
  for (const char* k : kernels) {
    const auto ref = f.get(std::string("relu.") + k + ".pattern");
    const auto& a = p.pattern(k);
    double scale = ref.vec().cwiseAbs().maxCoeff();
    require_close(a, ref, 1e-3, 1e-4 * scale, k);
  }
}

TEMPLATE_TEST_CASE("PatternNet and PatternAttribution match the torch autograd fixture", "[rules][pattern]", float,
                   double) {
  using T = TestType;
  const auto f = SafeTensors<T>::load(fixture_path());
  const Network<T> net = small_net(f);
  const Tensor<T>& xe = f.get("x_explain");
  std::vector<Index> targets;
  for (Index i = 0; i < f.get("targets").size(); ++i) targets.push_back(static_cast<Index>(f.get("targets")[i]));
  const double rtol = std::is_same_v<T, double> ? 1e-10 : 1e-4;
  for (PatternKind kind : {PatternKind::linear, PatternKind::relu}) {
    const std::string k = to_string(kind);
    INFO("patterns " << k);
    auto p = std::make_shared<const Patterns<T>>(fixture_patterns(f, kind));
    const auto pn = explain(net, PatternNet<T>(p), xe.cview(), targets);
    const Tensor<T>& want_pn = f.get(k + ".patternnet");
    require_close(pn.attribution, want_pn, rtol, rtol * want_pn.vec().cwiseAbs().maxCoeff(), "PatternNet");
    const auto pa = explain(net, PatternAttribution<T>(net, p), xe.cview(), targets);
    const Tensor<T>& want_pa = f.get(k + ".patternattribution");
    require_close(pa.attribution, want_pa, rtol, rtol * want_pa.vec().cwiseAbs().maxCoeff(), "PatternAttribution");
    // Not the gradient: the rules differ from it.
    const auto gr = explain(net, Gradient{}, xe.cview(), targets);
    CHECK((gr.attribution.vec() - pn.attribution.vec()).norm() > 1e-3 * pn.attribution.vec().norm());
  }
}

TEMPLATE_TEST_CASE("PatternNet and PatternAttribution: hand computation", "[rules][pattern]", float, double) {
  using T = TestType;
  // x = (1, 2), W1 = [[1, 0], [0, -1]] -> z = (1, -2), ReLU mask (1, 0); W2 = [2, 3] -> logit 2.
  Network<T> net;
  Dense<T> d1(2, 2, false), d2(2, 1, false);
  const T w1[] = {1, 0, 0, -1}, w2[] = {2, 3};
  std::copy(w1, w1 + 4, d1.weight().mutable_view().data());
  std::copy(w2, w2 + 2, d2.weight().mutable_view().data());
  net.add(d1, "h");
  net.add(ReLU<T>(), "relu");
  net.add(d2, "out");
  Patterns<T> pat;
  pat.nodes["h"].pattern = Tensor<T>(Shape{2, 2}, std::vector<T>{0.5, 0.25, 1, 1});
  pat.nodes["out"].pattern = Tensor<T>(Shape{1, 2}, std::vector<T>{1, -1});
  auto p = std::make_shared<const Patterns<T>>(pat);
  const Tensor<T> x(Shape{1, 2}, std::vector<T>{1, 2});
  // PatternNet: r = 2; A2^T r = (2, -2); ReLU (2, 0); A1^T (2, 0) = (1, 0.5).
  const auto pn = explain(net, PatternNet<T>(p), x.cview(), 0);
  CHECK(pn.attribution[0] == Approx(1.0));
  CHECK(pn.attribution[1] == Approx(0.5));
  // PatternAttribution: A2 (.) W2 = (2, -3): (4, -6); ReLU (4, 0); A1 (.) W1 = [[0.5, 0], [0, -1]]: (2, 0).
  const auto pa = explain(net, PatternAttribution<T>(net, p), x.cview(), 0);
  CHECK(pa.attribution[0] == Approx(2.0));
  CHECK(pa.attribution[1] == Approx(0.0).margin(1e-12));
  // A (.) W is precomputed once: changing the network's weights afterwards does not change it.
  PatternAttribution<T> rule(net, p);
  net.template layer<Dense<T>>("out").weight().mutable_view()[1] = T(5);
  CHECK(rule.products->at("out").vec()[1] == Approx(-3.0));
}

TEST_CASE("Patterns: units never active get pattern 0 (count 0)", "[rules][pattern]") {
  const auto f = SafeTensors<double>::load(fixture_path());
  const Network<double> net = small_net(f);
  const Patterns<double> p = fit_in_batches(net, PatternKind::relu, f.get("x"), 40);
  const auto& e = p.nodes.at("fc1");
  CHECK(e.active[7] == 0);
  const Eigen::VectorXd dead = row(e.pattern, 7);
  CHECK(dead.norm() == 0.0);
  CHECK(row(e.pattern, 0).norm() > 0.0);
  // The linear estimator counts every vector.
  const Patterns<double> lin = fit_in_batches(net, PatternKind::linear, f.get("x"), 40);
  CHECK(lin.nodes.at("fc1").active[7] == 40);
  CHECK(row(lin.nodes.at("fc1").pattern, 7).norm() > 0.0);
}

TEST_CASE("Patterns: errors (NaN data, no data, missing or misshapen pattern)", "[rules][pattern]") {
  const auto f = SafeTensors<double>::load(fixture_path());
  const Network<double> net = small_net(f);
  Tensor<double> x = Tensor<double>::copy_of(f.get("x").cview().slice(0, 3));
  PatternFitter<double> fitter(net, PatternKind::relu);
  CHECK_THROWS_WITH(fitter.finish(), Catch::Contains("arg.603") && Catch::Contains("no data"));
  x[x.size() / 3 + 5] = std::nan("");
  CHECK_THROWS_AS(fitter.add_batch(x.cview()), ArgumentError);
  CHECK_THROWS_WITH(fitter.add_batch(x.cview()),
                    Catch::Contains("arg.601") && Catch::Contains("non-finite") && Catch::Contains("batch item 1"));
  CHECK(fitter.samples() == 0);  // the bad batch was not counted

  Network<double> no_kernels;
  no_kernels.add(ReLU<double>(), "r");
  CHECK_THROWS_WITH(PatternFitter<double>(no_kernels, PatternKind::linear), Catch::Contains("arg.604"));

  const Tensor<double>& xe = f.get("x_explain");
  Patterns<double> missing = fixture_patterns(f, PatternKind::relu);
  missing.nodes.erase("fc1");
  auto pm = std::make_shared<const Patterns<double>>(missing);
  CHECK_THROWS_AS(explain(net, PatternNet<double>(pm), xe.cview(), 0), RuleError);
  CHECK_THROWS_WITH(explain(net, PatternNet<double>(pm), xe.cview(), 0),
                    Catch::Contains("rule.600") && Catch::Contains("Dense 'fc1'") && Catch::Contains("'conv1'"));
  CHECK_THROWS_WITH(explain(net, PatternAttribution<double>(net, pm), xe.cview(), 0),
                    Catch::Contains("rule.600") && Catch::Contains("Dense 'fc1'"));

  Patterns<double> bad = fixture_patterns(f, PatternKind::relu);
  bad.nodes["conv2"].pattern = Tensor<double>(Shape{6, 4, 3, 3});
  auto pb = std::make_shared<const Patterns<double>>(bad);
  CHECK_THROWS_WITH(explain(net, PatternNet<double>(pb), xe.cview(), 0),
                    Catch::Contains("shape.600") && Catch::Contains("Conv2d 'conv2'") &&
                        Catch::Contains("[6, 4, 3, 3]") && Catch::Contains("[6, 2, 3, 3]"));
  CHECK_THROWS_AS(PatternAttribution<double>(net, pb), ShapeError);
  CHECK_THROWS_AS(PatternNet<double>(nullptr), ArgumentError);
}

TEST_CASE("Patterns: progress callback and fit_patterns sources", "[rules][pattern]") {
  const auto f = SafeTensors<double>::load(fixture_path());
  const Network<double> net = small_net(f);
  const Tensor<double>& x = f.get("x");
  std::vector<PatternProgress> seen;
  Index pos = 0;
  const Patterns<double> a = fit_patterns(
      net, PatternKind::relu,
      [&](Tensor<double>& batch) {
        if (pos >= x.dim(0)) return false;
        const Index n = std::min<Index>(16, x.dim(0) - pos);
        batch = Tensor<double>::copy_of(x.cview().slice(pos, n));
        pos += n;
        return true;
      },
      [&](const PatternProgress& pr) { seen.push_back(pr); });
  REQUIRE(seen.size() == 3);
  CHECK(seen[0].batches == 1);
  CHECK(seen[0].samples == 16);
  CHECK(seen[2].batches == 3);
  CHECK(seen[2].samples == 40);
  Index pos2 = 0;
  const Patterns<double> b = fit_patterns(net, PatternKind::relu, [&]() -> std::optional<ConstView<double>> {
    if (pos2 >= x.dim(0)) return std::nullopt;
    const Index n = std::min<Index>(9, x.dim(0) - pos2);
    pos2 += n;
    return x.cview().slice(pos2 - n, n);
  });
  for (const char* k : kernels) require_close(a.pattern(k), b.pattern(k), 1e-12, 1e-12, k);
}

TEMPLATE_TEST_CASE("Patterns: save/load round trip is bit-exact", "[rules][pattern]", float, double) {
  using T = TestType;
  const auto f = SafeTensors<T>::load(fixture_path());
  const Network<T> net = small_net(f);
  const Patterns<T> p = fit_in_batches(net, PatternKind::relu, f.get("x"), 11);
  const std::string path = std::string("test_pattern_roundtrip_") + (sizeof(T) == 4 ? "f" : "d") + ".safetensors";
  save_patterns(path, p);
  const Patterns<T> q = load_patterns<T>(path);
  CHECK(q.kind == PatternKind::relu);
  CHECK(q.samples == 40);
  REQUIRE(q.nodes.size() == p.nodes.size());
  for (const auto& [name, e] : p.nodes) {
    INFO(name);
    REQUIRE(q.contains(name));
    const auto& g = q.nodes.at(name);
    CHECK(bit_equal(g.pattern, e.pattern));
    CHECK(g.vectors == e.vectors);
    CHECK(g.active == e.active);
  }
  // The loaded patterns give the same explanation, bit for bit.
  const Tensor<T>& xe = f.get("x_explain");
  const auto r1 = explain(net, PatternNet<T>(std::make_shared<const Patterns<T>>(p)), xe.cview(), 1);
  const auto r2 = explain(net, PatternNet<T>(std::make_shared<const Patterns<T>>(q)), xe.cview(), 1);
  CHECK(bit_equal(r1.attribution, r2.attribution));
  // The file is a plain safetensors file with the documented names and metadata.
  const auto st = SafeTensors<T>::load(path);
  CHECK(st.contains("conv2.pattern"));
  CHECK(st.metadata().at("format") == "attrib.patterns");
  CHECK(st.metadata().at("estimator") == "relu");
  CHECK(st.metadata().at("fc1.vectors") == "40");
  // A safetensors file that is not a patterns file.
  const std::string other = path + ".other";
  save_safetensors<T>(other, {{"conv1.pattern", p.pattern("conv1").cview()}});
  CHECK_THROWS_WITH(load_patterns<T>(other), Catch::Contains("io.600") && Catch::Contains("format"));
  save_safetensors<T>(other, {{"conv1.pattern", p.pattern("conv1").cview()}},
                      {{"format", "attrib.patterns"}, {"version", "1"}, {"estimator", "relu"}, {"samples", "4"},
                       {"conv1.vectors", "10"}, {"conv1.active", "1,2,x,4"}});
  CHECK_THROWS_WITH(load_patterns<T>(other), Catch::Contains("io.604") && Catch::Contains("conv1.active"));
  save_safetensors<T>(other, {{"conv1.pattern", p.pattern("conv1").cview()}},
                      {{"format", "attrib.patterns"}, {"version", "1"}, {"estimator", "relu"}, {"samples", "4"},
                       {"conv1.vectors", "10"}, {"conv1.active", "1,2,3"}});
  CHECK_THROWS_WITH(load_patterns<T>(other), Catch::Contains("io.605") && Catch::Contains("expected 4"));
  std::remove(path.c_str());
  std::remove(other.c_str());
}

TEST_CASE("Patterns: fitting throughput on a small VGG-like net", "[rules][pattern][bench][slow]") {
  using T = float;
  Random rng(3);
  Network<T> net;
  auto conv = [&](Index ci, Index co) {
    Conv2d<T> c(ci, co, 3, 3, Conv2dOptions{}.padding(1));
    rng.fill_normal(c.weight().mutable_view(), 0, std::sqrt(2.0 / (9.0 * double(ci))));
    return c;
  };
  net.add(conv(3, 32), "features.0");
  net.add(ReLU<T>(), "features.1");
  net.add(conv(32, 32), "features.2");
  net.add(ReLU<T>(), "features.3");
  net.add(MaxPool2d<T>(2), "features.4");
  net.add(conv(32, 64), "features.5");
  net.add(ReLU<T>(), "features.6");
  net.add(conv(64, 64), "features.7");
  net.add(ReLU<T>(), "features.8");
  net.add(MaxPool2d<T>(2), "features.9");
  net.add(Flatten<T>(), "flatten");
  Dense<T> fc1(64 * 8 * 8, 256), fc2(256, 10);
  rng.fill_normal(fc1.weight().mutable_view(), 0, std::sqrt(2.0 / 4096));
  rng.fill_normal(fc2.weight().mutable_view(), 0, std::sqrt(2.0 / 256));
  net.add(fc1, "classifier.0");
  net.add(ReLU<T>(), "classifier.1");
  net.add(fc2, "classifier.2");
  const Index batch = 32, batches = 8;
  Tensor<T> x(Shape{batch, 3, 32, 32});
  rng.fill_normal(x.view(), 0, 1);
  using clock = std::chrono::steady_clock;
  PatternFitter<T> fitter(net, PatternKind::relu);
  fitter.add_batch(x.cview());  // warm-up
  auto t0 = clock::now();
  for (Index b = 0; b < batches; ++b) fitter.add_batch(x.cview());
  const double fit_s = std::chrono::duration<double>(clock::now() - t0).count();
  Trace<T> tr;
  Workspace<T> ws;
  forward(net, x.cview(), tr, ws);
  t0 = clock::now();
  for (Index b = 0; b < batches; ++b) forward(net, x.cview(), tr, ws);
  const double fwd_s = std::chrono::duration<double>(clock::now() - t0).count();
  const double n = double(batch * batches);
  std::printf("pattern fit (relu, float net, 32x32x3 VGG-like, batch %ld): %.1f samples/s; forward alone %.1f "
              "samples/s; fit / forward time %.2f\n",
              long(batch), n / fit_s, n / fwd_s, fit_s / fwd_s);
  const Patterns<T> p = fitter.finish();
  CHECK(p.samples == batch * (batches + 1));
  CHECK(p.nodes.size() == 6);
}
