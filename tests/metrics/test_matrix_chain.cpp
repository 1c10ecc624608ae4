// Random-matrix chains (rules-spec 6): metric definition, ordering of the families and values
// against the reference table 6.2 (numpy, seed 0, 20 repetitions, metric incl. the diagonal).
#include <map>

#include "support/support.hpp"
#include "attrib/io/fashion_models.hpp"
#include "attrib/io/safetensors.hpp"
#include "attrib/metrics/matrix_chain.hpp"
#include "attrib/metrics/singular_ratio.hpp"
#include "attrib/models/canonize.hpp"

using namespace attrib;

namespace {
// Table 6.2 columns k = 0..8, 12, 16; 0 = "below float64 resolution"; ranges -> geometric middle.
const std::vector<int> table_k{0, 1, 2, 3, 4, 5, 6, 7, 8, 12, 16};
const std::map<std::string, std::vector<double>> table{
    {"vanilla", {0.916, 0.913, 0.910, 0.896, 0.885, 0.874, 0.866, 0.860, 0.853, 0.806, 0.451}},
    {"ReLU", {0.916, 0.639, 0.476, 0.378, 0.301, 0.251, 0.209, 0.182, 0.156, 0.102, 0.046}},
    {"stochastic", {0.915, 0.615, 4.0e-3, 5.8e-7, 6.3e-10, 6.6e-13, 7.8e-16, 0, 0, 0, 0}},
    {"positive", {0.916, 0.629, 5.1e-3, 7.9e-7, 9.1e-10, 1.0e-12, 1.1e-15, 0, 0, 0, 0}},
    {"non-negative", {0.916, 0.78, 0.049, 5.0e-5, 2.1e-7, 1e-9, 3e-12, 1e-14, 0, 0, 0}},
    {"alpha2beta1", {0.916, 0.896, 0.279, 1.5e-2, 5.0e-4, 1.5e-5, 4.1e-7, 1.2e-8, 3.4e-10, 1.8e-15, 0}},
    {"alpha3beta2", {0.916, 0.908, 0.562, 0.103, 2.3e-2, 2.6e-3, 2.0e-4, 1.5e-5, 1.2e-6, 3.4e-10, 6.6e-12}},
    {"alpha4beta3", {0.916, 0.912, 0.731, 0.206, 8.1e-2, 2.3e-2, 4.0e-3, 6.4e-4, 1.0e-4, 3.8e-7, 2.9e-8}},
    {"alpha5beta4", {0.916, 0.913, 0.826, 0.359, 0.162, 6.7e-2, 2.6e-2, 7.5e-3, 1.9e-3, 3.8e-5, 6.5e-6}},
    {"alpha10beta9", {0.916, 0.913, 0.909, 0.863, 0.825, 0.798, 0.773, 0.758, 0.746, 0.703, 0.442}}};

std::map<std::string, MatrixChainResult> run_all(int reps, Index steps) {
  MatrixChainOptions o;
  o.repetitions = reps;
  o.steps = steps;
  std::map<std::string, MatrixChainResult> r;
  for (const auto& f : paper_chain_families()) r[f.label()] = matrix_chain(f, o);
  return r;
}

void compare_with_table(const std::map<std::string, MatrixChainResult>& r) {
  for (const auto& [name, ref] : table) {
    INFO("family " << name);
    REQUIRE(r.count(name));
    const auto& med = r.at(name).median;
    for (std::size_t c = 0; c < table_k.size(); ++c) {
      const auto k = std::size_t(table_k[c]);
      if (k >= med.size()) continue;
      INFO("k = " << k << ": ours " << med[k] << ", table " << ref[c]);
      if (ref[c] == 0) {
        CHECK(std::abs(med[k]) < 1e-13);
      } else if (ref[c] < 1e-13) {
        CHECK(std::abs(med[k]) < 1e-12);  // at float64 resolution: only "tiny"
      } else {
        CHECK(med[k] > ref[c] / 10);
        CHECK(med[k] < ref[c] * 10);
        if (ref[c] > 0.3) CHECK(med[k] == Approx(ref[c]).epsilon(0.15));
      }
    }
  }
  // Ordering of the families after 4 and 8 products (positive and stochastic are within noise
  // of each other and are compared as a group).
  for (std::size_t k : {std::size_t(4), std::size_t(8)}) {
    if (k >= r.at("vanilla").median.size()) continue;
    INFO("k = " << k);
    const auto m = [&](const char* f) { return r.at(f).median[k]; };
    CHECK(m("vanilla") > m("alpha10beta9"));
    CHECK(m("alpha10beta9") > m("ReLU"));
    CHECK(m("ReLU") > m("alpha5beta4"));
    CHECK(m("alpha5beta4") > m("alpha4beta3"));
    CHECK(m("alpha4beta3") > m("alpha3beta2"));
    CHECK(m("alpha3beta2") > m("alpha2beta1"));
    if (k == 4) {
      CHECK(m("alpha2beta1") > m("non-negative"));
      CHECK(m("non-negative") > std::max(m("positive"), m("stochastic")));
    }
  }
}
}  // namespace

TEST_CASE("matrix chain: metric over the lower triangle with and without the diagonal", "[metrics][matrix_chain]") {
  Eigen::MatrixXd x(3, 2);
  x << 1, 0, 0, 1, 1, 1;  // cos: (1,2) = 0, (1,3) = (2,3) = 1/sqrt(2)
  const double c = 1 / std::sqrt(2.0);
  CHECK(chain_metric(x, true) == Approx((3 + 2 * c) / 6));
  CHECK(chain_metric(x, false) == Approx(2 * c / 3));
  x.row(1).setZero();  // a zero row: its NaN cosines are dropped
  CHECK(chain_metric(x, false) == Approx(c));
  // Random 1000-dim rows: k = 0 value of the table, 1 - metric = 0.916 (0.975 off-diagonal).
  MatrixChainOptions o;
  o.steps = 0;
  o.repetitions = 20;
  CHECK(matrix_chain(ChainSpec{}, o).median[0] == Approx(0.916).margin(0.004));
  o.include_diagonal = false;
  CHECK(matrix_chain(ChainSpec{}, o).median[0] == Approx(0.975).margin(0.004));
}

TEST_CASE("matrix chain: family matrices have the stated sign structure", "[metrics][matrix_chain]") {
  Random rng(2);
  const auto st = chain_matrix({ChainFamily::stochastic, 1}, 5, 4, rng);
  CHECK((st.colwise().sum().array() - 1).abs().maxCoeff() < 1e-14);
  CHECK(st.minCoeff() >= 0);
  CHECK(chain_matrix({ChainFamily::non_negative, 1}, 6, 6, rng).minCoeff() == 0.0);
  Random a(5), b(5);
  const auto n = chain_matrix({ChainFamily::vanilla, 1}, 6, 7, a);
  const auto ab = chain_matrix({ChainFamily::alpha_beta, 3}, 6, 7, b);
  for (Index i = 0; i < n.size(); ++i)
    CHECK(ab.data()[i] == Approx(n.data()[i] > 0 ? 3 * n.data()[i] : 2 * n.data()[i]));
  CHECK(ChainSpec{ChainFamily::alpha_beta, 2}.label() == "alpha2beta1");
}

// [slow]: 24 chains of 100x100 products with SVDs, 20 s at -O1 and 8 min under ASan at -O0; the
// sanitizer run covers the same code through the smaller matrix-chain cases.
TEST_CASE("matrix chain: ordering and values of table 6.2 for 8 products (3 repetitions)",
          "[metrics][matrix_chain][slow]") {
  const auto r = run_all(3, 8);
  compare_with_table(r);
  // Non-negative families reach 1 - 1e-14 within 8 products.
  for (const char* f : {"stochastic", "positive", "non-negative"}) {
    INFO(f);
    CHECK(r.at(f).median[8] < 1e-14);
    CHECK(r.at(f).hi[8] < 1e-14);
  }
}

TEST_CASE("matrix chain: full table 6.2 (16 products, 20 repetitions)", "[metrics][matrix_chain][slow]") {
  compare_with_table(run_all(20, -1));
}

TEST_CASE("matrix chain: fixed matrices, reproducibility and errors", "[metrics][matrix_chain]") {
  // A rank-1 product converges in one step whatever the start.
  Eigen::MatrixXd u = Eigen::MatrixXd::Ones(10, 1), v(1, 6);
  v << 1, 2, 3, 4, 5, 6;
  MatrixChainOptions o;
  o.repetitions = 3;
  const auto r = matrix_chain({Eigen::MatrixXd(u * v)}, false, o);
  CHECK(r.family == "learned");
  CHECK(r.median[1] < 1e-14);
  CHECK(r.median[0] > 0.3);
  o.steps = 2;
  const auto a = matrix_chain({ChainFamily::relu, 1}, o), b = matrix_chain({ChainFamily::relu, 1}, o);
  CHECK(a.metric == b.metric);
  o.shapes = {{4, 5}, {6, 2}};
  CHECK_THROWS_WITH(matrix_chain(ChainSpec{}, o), Catch::Contains("shape.820") && Catch::Contains("[6, 2]"));
  o.shapes = vgg16_chain_shapes();
  o.steps = 17;
  CHECK_THROWS_WITH(matrix_chain(ChainSpec{}, o), Catch::Contains("param.822"));
  o.steps = -1;
  CHECK_THROWS_WITH(matrix_chain({Eigen::MatrixXd(3, 4), Eigen::MatrixXd(5, 2)}, false, o),
                    Catch::Contains("shape.821"));
}

// ---- singular-value ratios (rules-spec 5), in this file because they analyse the same chains ----

namespace {
/// Q diag(s) R with exact rotations: singular values s.
Eigen::MatrixXd with_singular_values(const std::vector<double>& s, double a, double b) {
  const Index n = Index(s.size());
  Eigen::MatrixXd q = Eigen::MatrixXd::Identity(n, n), r = Eigen::MatrixXd::Identity(n, n), d = Eigen::MatrixXd::Zero(n, n);
  q(0, 0) = q(1, 1) = std::cos(a);
  q(0, 1) = -std::sin(a);
  q(1, 0) = std::sin(a);
  r(n - 2, n - 2) = r(n - 1, n - 1) = std::cos(b);
  r(n - 2, n - 1) = std::sin(b);
  r(n - 1, n - 2) = -std::sin(b);
  for (Index i = 0; i < n; ++i) d(i, i) = s[std::size_t(i)];
  return q * d * r;
}
}  // namespace

TEST_CASE("singular ratio: hand-computable matrices", "[metrics][singular_ratio]") {
  Eigen::MatrixXd d(2, 3);
  d << 3, 0, 0, 0, -1, 0;
  CHECK(singular_ratio(d) == Approx(3));
  CHECK(singular_ratio(with_singular_values({1, 5, 2}, 0.3, 1.1)) == Approx(2.5));
  Eigen::MatrixXd rank1 = Eigen::VectorXd::LinSpaced(4, 1, 4) * Eigen::RowVectorXd::Ones(3);
  CHECK(singular_ratio(rank1) > 1e12);
  // [[1, 1], [0, 1]]: sigma = golden ratio and its inverse -> ratio phi^2.
  Eigen::MatrixXd s(2, 2);
  s << 1, 1, 0, 1;
  const double phi = (1 + std::sqrt(5.0)) / 2;
  CHECK(singular_ratio(s) == Approx(phi * phi));
  CHECK_THROWS_WITH(singular_ratio(Eigen::MatrixXd(1, 4)), Catch::Contains("shape.831") && Catch::Contains("[1, 4]"));
}

TEST_CASE("singular ratio: chain items of diagonal matrices and the product identity", "[metrics][singular_ratio]") {
  // M1 = diag(4, 1), M2 = diag(9, 1): T_1 = diag(2, 1) diag(3, 1) = diag(6, 1).
  Eigen::MatrixXd m1 = Eigen::Vector2d(4, 1).asDiagonal(), m2 = Eigen::Vector2d(9, 1).asDiagonal();
  const auto t = chain_items({m1, m2});
  REQUIRE(t.size() == 1);
  CHECK(singular_ratio(t[0]) == Approx(6));
  // General square matrices: U1 S1^1/2 T1 T2 S3^1/2 V3^T = M1 M2 M3.
  Random rng(3);
  std::vector<Eigen::MatrixXd> ms;
  for (int k = 0; k < 3; ++k) {
    Eigen::MatrixXd m(4, 4);
    for (Index i = 0; i < 16; ++i) m.data()[i] = rng.normal();
    ms.push_back(m);
  }
  const auto items = chain_items(ms);
  REQUIRE(items.size() == 2);
  Eigen::JacobiSVD<Eigen::MatrixXd> a(ms[0], Eigen::ComputeFullU | Eigen::ComputeFullV),
      c(ms[2], Eigen::ComputeFullU | Eigen::ComputeFullV);
  const Eigen::MatrixXd rebuilt = a.matrixU() * Eigen::VectorXd(a.singularValues().cwiseSqrt()).asDiagonal() * items[0] *
                                  items[1] * Eigen::VectorXd(c.singularValues().cwiseSqrt()).asDiagonal() *
                                  c.matrixV().transpose();
  CHECK((rebuilt - ms[0] * ms[1] * ms[2]).cwiseAbs().maxCoeff() < 1e-10);
  CHECK(product_ratio({m1, m2, Eigen::MatrixXd(Eigen::Vector2d(1, 2).asDiagonal())}) == Approx(4.5));
  CHECK_THROWS_WITH(chain_items({Eigen::MatrixXd(2, 3), Eigen::MatrixXd(2, 2)}), Catch::Contains("shape.832"));
}

TEST_CASE("singular ratio: kernel matrices of a network (centre tap, full, fc on a 3x3 map)",
          "[metrics][singular_ratio]") {
  Network<double> n;
  Conv2d<double> c(2, 3, 3, 3, Conv2dOptions{}.padding(1));
  for (Index i = 0; i < c.weight().shape().size(); ++i) c.weight().mutable_view()[i] = double(i);
  n.add(c, "conv");
  n.add(ReLU<double>(), "relu");
  n.add(Flatten<double>(), "flatten");
  Dense<double> d(3 * 3 * 3, 2);
  for (Index i = 0; i < d.weight().shape().size(); ++i) d.weight().mutable_view()[i] = double(100 + i);
  n.add(d, "fc");
  Dense<double> out(2, 2);
  out.weight().mutable_view().vec() << 2, 1, 1, 3;
  n.add(out, "out");
  const auto k = kernel_matrices(n);
  REQUIRE(k.size() == 3);
  CHECK(k[0].name == "conv");
  // Centre tap: weight [o, c, 1, 1] at flat index ((o * 2 + c) * 3 + 1) * 3 + 1.
  REQUIRE(k[0].matrix.rows() == 2);
  REQUIRE(k[0].matrix.cols() == 3);
  for (Index o = 0; o < 3; ++o)
    for (Index ci = 0; ci < 2; ++ci) CHECK(k[0].matrix(ci, o) == double(((o * 2 + ci) * 3 + 1) * 3 + 1));
  // fc on a flattened 3 x 3 x 3 map: rows of the centre position c * 9 + 4 of W^T.
  REQUIRE(k[1].matrix.rows() == 3);
  for (Index o = 0; o < 2; ++o)
    for (Index ci = 0; ci < 3; ++ci) CHECK(k[1].matrix(ci, o) == double(100 + o * 27 + ci * 9 + 4));
  CHECK(k[2].matrix.rows() == 2);
  const auto f = kernel_matrices(n, KernelView::full);
  REQUIRE(f[0].matrix.rows() == 18);
  CHECK(f[0].matrix((2 * 3 + 0) * 2 + 1, 2) == double(((2 * 2 + 1) * 3 + 2) * 3 + 0));  // o 2, c 1, y 2, x 0
  CHECK(f[1].matrix.rows() == 27);
  const auto rep = singular_ratio_report(n);
  CHECK(rep.layer_ratio.size() == 3);
  CHECK(rep.chain_ratio.size() == 2);
  for (double r : rep.chain_ratio) CHECK(std::isfinite(r));
  CHECK(rep.chain_ratio_product == Approx(rep.chain_ratio[0] * rep.chain_ratio[1]));
  CHECK(rep.layer_ratio[2] == Approx(singular_ratio(k[2].matrix)));
  CHECK(rep.product_ratio == Approx(singular_ratio(Eigen::MatrixXd(k[1].matrix * k[2].matrix))));
  const auto full = singular_ratio_report(n, KernelView::full);
  CHECK(full.chain_ratio.empty());
  CHECK(std::isnan(full.product_ratio));
}

TEST_CASE("matrix chain: backward_chain reverses and transposes", "[metrics][matrix_chain]") {
  Eigen::MatrixXd a(2, 3), b(3, 4);
  a << 1, 2, 3, 4, 5, 6;
  b.setConstant(7);
  b(2, 1) = -1;
  const auto c = backward_chain({a, b});
  REQUIRE(c.size() == 2);
  CHECK(c[0].rows() == 4);
  CHECK(c[0](1, 2) == -1);
  CHECK(c[1](2, 1) == 6);
  MatrixChainOptions o;
  o.repetitions = 2;
  CHECK(matrix_chain(c, true, o).metric[0].size() == 3);
}

TEST_CASE("singular ratio: pattern matrices A and A (.) W, fc on an even-sized map", "[metrics][singular_ratio]") {
  Network<double> n;
  Conv2d<double> c(1, 2, 3, 3, Conv2dOptions{}.padding(1));
  for (Index i = 0; i < c.weight().shape().size(); ++i) c.weight().mutable_view()[i] = double(i + 1);
  n.add(c, "conv");
  n.add(ReLU<double>(), "relu");
  n.add(MaxPool2d<double>(2, 2), "pool");
  n.add(Flatten<double>(), "flatten");
  Dense<double> d(2 * 2 * 2, 3);
  for (Index i = 0; i < d.weight().shape().size(); ++i) d.weight().mutable_view()[i] = double(50 + i);
  n.add(d, "fc");
  Patterns<double> p;
  Tensor<double> a(c.weight().shape()), b(d.weight().shape());
  for (Index i = 0; i < a.size(); ++i) a[i] = 0.5 * double(i) - 2;
  for (Index i = 0; i < b.size(); ++i) b[i] = double(i % 5) - 1.5;
  p.nodes["conv"].pattern = Tensor<double>::copy_of(a.cview());
  p.nodes["fc"].pattern = Tensor<double>::copy_of(b.cview());

  // fc on a flattened 2 x 2 x 2 map: rows of position [1, 1], i.e. flat index c * 4 + 3.
  const auto w = kernel_matrices(n);
  REQUIRE(w.size() == 2);
  REQUIRE(w[1].matrix.rows() == 2);
  for (Index o = 0; o < 3; ++o)
    for (Index ci = 0; ci < 2; ++ci) CHECK(w[1].matrix(ci, o) == double(50 + o * 8 + ci * 4 + 3));

  const auto pa = pattern_matrices(n, p, PatternMatrix::pattern);
  const auto paw = pattern_matrices(n, p);  // A (.) W
  REQUIRE(pa.size() == 2);
  REQUIRE(paw.size() == 2);
  for (Index o = 0; o < 2; ++o) {  // conv centre tap: flat index (o * 3 + 1) * 3 + 1
    const Index k = (o * 3 + 1) * 3 + 1;
    CHECK(pa[0].matrix(0, o) == Approx(0.5 * double(k) - 2));
    CHECK(paw[0].matrix(0, o) == Approx((0.5 * double(k) - 2) * double(k + 1)));
  }
  for (Index o = 0; o < 3; ++o)
    for (Index ci = 0; ci < 2; ++ci) {
      const Index k = o * 8 + ci * 4 + 3;
      CHECK(pa[1].matrix(ci, o) == Approx(double(k % 5) - 1.5));
      CHECK(paw[1].matrix(ci, o) == Approx((double(k % 5) - 1.5) * double(50 + k)));
    }
  // The 1 x 2 first layer has rank 1: ratio +inf in the report instead of an error.
  const auto rep = singular_ratio_report(paw);
  CHECK(std::isinf(rep.layer_ratio[0]));
  CHECK(rep.layer_ratio[1] == Approx(singular_ratio(paw[1].matrix)));

  Patterns<double> missing;
  missing.nodes["conv"].pattern = Tensor<double>::copy_of(a.cview());
  CHECK_THROWS_WITH(pattern_matrices(n, missing), Catch::Contains("rule.600") && Catch::Contains("'fc'"));
  Patterns<double> wrong = missing;
  wrong.nodes["fc"].pattern = Tensor<double>(Shape{3, 4});
  CHECK_THROWS_WITH(pattern_matrices(n, wrong), Catch::Contains("shape.600") && Catch::Contains("[3, 8]"));
}

TEST_CASE("matrix chain: learned family from the shipped VGG-style model vs numpy", "[metrics][matrix_chain]") {
  // tools/make_chain_fixtures.py computes the same chain with numpy from the weights file: BN
  // folded, centre taps (fc1 on the 32 x 2 x 2 map: position [1, 1]), one fixed start matrix.
  const auto fx = SafeTensors<double>::load(std::string(ATTRIB_TEST_DATA_DIR) + "/chain_learned.safetensors");
  const Network<double> net =
      canonize(load_fmnist_vgg<double>(std::string(ATTRIB_MODELS_DIR) + "/fmnist_vgg.safetensors"));
  const auto ks = kernel_matrices(net);
  REQUIRE(ks.size() == 11);
  const auto rep = singular_ratio_report(ks);
  const Tensor<double> lr = fx.get("layer_ratio");
  REQUIRE(Index(rep.layer_ratio.size()) == lr.size());
  CHECK(std::isinf(rep.layer_ratio[0]));  // 1 x 8: the grey-scale input layer has rank 1
  for (Index l = 1; l < lr.size(); ++l) CHECK(rep.layer_ratio[std::size_t(l)] == Approx(lr[l]).epsilon(1e-10));
  CHECK(rep.product_ratio == Approx(fx.get("product_ratio")[0]).epsilon(1e-10));

  std::vector<Eigen::MatrixXd> forward;
  for (const auto& k : ks) forward.push_back(k.matrix);
  const auto back = backward_chain(forward);
  const Tensor<double> x0 = fx.get("x0");
  MatrixChainOptions o;
  o.repetitions = 1;
  o.start = Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
      x0.data(), x0.dim(0), x0.dim(1));
  std::vector<Eigen::MatrixXd> absolute;
  for (const auto& m : back) absolute.push_back(m.cwiseAbs());
  const auto check = [&](const MatrixChainResult& r, const char* key) {
    INFO(key);
    const Tensor<double> want = fx.get(key);
    REQUIRE(Index(r.metric[0].size()) == want.size());
    for (Index k = 0; k < want.size(); ++k) {
      if (std::isnan(want[k])) CHECK(std::isnan(r.metric[0][std::size_t(k)]));
      else CHECK(r.metric[0][std::size_t(k)] == Approx(want[k]).epsilon(1e-10));
    }
    return r;
  };
  const auto relu = check(matrix_chain(back, true, o), "relu");
  check(matrix_chain(back, false, o), "linear");
  const auto pos = check(matrix_chain(absolute, false, o), "abs");
  // The paper's finding on trained weights: the gradient's chain (signed, ReLU-clipped) does not
  // become rank 1 (1 - metric stays large before the final 8 -> 1 map), while the entry-wise
  // positive chain of the same matrices does within a few products (Theorem 1).
  CHECK(1 - relu.metric[0][9] > 0.03);
  CHECK(1 - pos.metric[0][8] < 1e-10);
  // Deterministic start: every repetition sees the same X_0.
  o.repetitions = 2;
  const auto twice = matrix_chain(back, true, o);
  for (std::size_t k = 0; k + 1 < twice.metric[0].size(); ++k) CHECK(twice.metric[0][k] == twice.metric[1][k]);
  o.start = Eigen::MatrixXd::Ones(4, 3);
  CHECK_THROWS_WITH(matrix_chain(back, true, o), Catch::Contains("shape.880") && Catch::Contains("[4, 3]"));
}
