// Reproduces the experiments of "When Explanations Lie: Why Many Modified BP Attributions Fail"
// (Sixt, Granz & Landgraf, ICML 2020) with attrib: cosine similarity convergence (CSC), the
// random-logit test and cascading parameter randomisation, for every rule of the paper that attrib
// has. Writes CSV, JSON and SVG plots; docs/reproduction.md shows a run.
//
//   05_when_explanations_lie [options]
//     --model fmnist_vgg | vgg16-random   the shipped Fashion-MNIST VGG (default) or a full-size
//                                         VGG-16 with seeded random weights on N(0, 1) images
//     --images N      images (default 20 for fmnist_vgg, 2 for vgg16-random; --full: 200)
//     --samples V     random signals per image for CSC (default 5)
//     --seed S        seed of the random signals, classes, weights and bootstrap (default 0)
//     --out DIR       output directory (default .; must exist)
//     --rules a,b,c   only these rules (keys: --list-rules)
//     --no-sanity     CSC only
//     --full          the paper's protocol: 200 images, every replacement layer of rules-spec 3.3,
//                     all nine randomisation points
//     --list-rules    print the rule keys and exit
//
// Heatmap post-processing for the sanity checks as the paper: abs.max (max_c |h|) for the
// gradient-type rules, sum over channels for the others; normalize_sanity's p = 100 for RectGrad.
// Bad arguments: usage on stderr, exit code 2. Runs in float, single-threaded.
#include <attrib/attrib.hpp>
#include <attrib/io/fashion_models.hpp>
#include <attrib/io/idx.hpp>
#include <attrib/methods/pattern_fit.hpp>
#include <attrib/metrics/sanity.hpp>
#include <attrib/models/builders.hpp>
#include <attrib/report/csc.hpp>
#include <attrib/report/plots.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

namespace {
using namespace attrib;
using T = float;

const char* const usage_text =
    "usage: 05_when_explanations_lie [--model fmnist_vgg|vgg16-random] [--images N] [--samples V]\n"
    "                                [--seed S] [--out DIR] [--rules a,b,...] [--no-sanity] [--full]\n"
    "                                [--list-rules]\n";

struct RuleInfo {
  const char* key;
  const char* label;
  bool gradient_type;  ///< abs.max post-processing (else sum)
};
// The paper's methods (rules-spec 3.3) that attrib has, plus two Zennit composites.
const RuleInfo all_rules[] = {
    {"gradient", "Gradient", true},
    {"guided-bp", "GuidedBP", true},
    {"deconvnet", "Deconv", true},
    {"rectgrad", "RectGrad", true},
    {"lrp-z", "LRP-z", false},
    {"lrp-a1b0", "LRP a1b0", false},
    {"lrp-a2b1", "LRP a2b1", false},
    {"lrp-a5b4", "LRP a5b4", false},
    {"lrp-cmp-a1b0", "LRP CMP a1b0", false},
    {"lrp-cmp-a2b1", "LRP CMP a2b1", false},
    {"epsilon-plus-flat", "EpsilonPlusFlat", false},
    {"epsilon-gamma-box", "EpsilonGammaBox", false},
    {"dtd", "DTD (as run)", false},
    {"excitation-bp", "Excitation BP", false},
    {"patternnet", "PatternNet", false},
    {"pattern-attribution", "PatternAttr.", false},
    {"deeplift-rescale", "DeepLIFT Resc.", false},
    {"deeplift-revealcancel", "DeepLIFT Rev.C.", false},
    {"deeplift-ablation", "DeepLIFT Abla.", false},
};

[[noreturn]] void bad_usage(const std::string& msg) {
  std::fprintf(stderr, "05_when_explanations_lie: error: %s\n%s", msg.c_str(), usage_text);
  std::exit(2);
}

long long parse_int(const std::string& opt, const std::string& v, long long lo, long long hi) {
  char* end = nullptr;
  const long long x = std::strtoll(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0' || x < lo || x > hi)
    bad_usage(opt + " '" + v + "': expected an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return x;
}

struct Args {
  std::string model = "fmnist_vgg", out = ".";
  long long images = -1;
  int samples = 5;
  std::uint64_t seed = 0;
  std::vector<std::string> rules;  // empty = all
  bool sanity = true, full = false;
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string opt = argv[i];
    const auto value = [&]() -> std::string {
      if (i + 1 >= argc) bad_usage(opt + " needs a value");
      return argv[++i];
    };
    if (opt == "--model") {
      a.model = value();
      if (a.model != "fmnist_vgg" && a.model != "vgg16-random")
        bad_usage("--model '" + a.model + "': expected fmnist_vgg or vgg16-random");
    } else if (opt == "--images") a.images = parse_int(opt, value(), 1, 100000);
    else if (opt == "--samples") a.samples = int(parse_int(opt, value(), 2, 1000));
    else if (opt == "--seed") a.seed = std::uint64_t(parse_int(opt, value(), 0, 1LL << 62));
    else if (opt == "--out") a.out = value();
    else if (opt == "--no-sanity") a.sanity = false;
    else if (opt == "--full") a.full = true;
    else if (opt == "--rules") {
      std::string list = value() + ",";
      for (std::size_t p = 0, q; (q = list.find(',', p)) != std::string::npos; p = q + 1) {
        const std::string key = list.substr(p, q - p);
        bool known = false;
        for (const auto& r : all_rules) known = known || key == r.key;
        if (!known) bad_usage("--rules: unknown rule '" + key + "' (see --list-rules)");
        a.rules.push_back(key);
      }
    } else if (opt == "--list-rules") {
      for (const auto& r : all_rules) std::printf("%-22s %-16s %s\n", r.key, r.label, r.gradient_type ? "abs.max" : "sum");
      std::exit(0);
    } else if (opt == "-h" || opt == "--help") {
      std::printf("%s", usage_text);
      std::exit(0);
    } else bad_usage("unknown argument '" + opt + "'");
  }
  if (a.images < 0) a.images = a.full ? 200 : a.model == "fmnist_vgg" ? 20 : 2;
  return a;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary);
  if (!f) raise<IoError>("io.850", "05_when_explanations_lie: cannot write '", path, "'");
  f << text;
  if (!f) raise<IoError>("io.850", "05_when_explanations_lie: writing '", path, "' failed");
}

/// The model, its images and labels, and the layer names of the protocol.
struct Setup {
  Network<T> net;
  Tensor<T> images;                 ///< [N, C, H, W]
  std::vector<Index> labels;        ///< true labels (fmnist) or predicted classes (random VGG)
  std::vector<std::string> inject;  ///< CSC replacement layers, top first
  std::vector<std::string> points;  ///< randomisation points, top -> bottom
  Tensor<T> pattern_data;           ///< images to fit PatternNet/PatternAttribution on
  double low = 0, high = 1;         ///< input bounds (z^B rules)
  std::string data;                 ///< description of the images
};

Setup fmnist_setup(const Args& a) {
  Setup s;
  const std::string models = ATTRIB_MODELS_DIR;
  s.net = canonize(load_fmnist_vgg<T>(models + "/fmnist_vgg.safetensors"));
  Tensor<T> raw;
  if (fashion_mnist_available("t10k")) {
    auto test = load_fashion_mnist<T>("t10k", a.images);
    raw = std::move(test.images);
    for (int l : test.labels) s.labels.push_back(l);
    s.data = "the first " + std::to_string(s.labels.size()) + " Fashion-MNIST test images";
  } else {
    auto samples = load_fmnist_samples<T>(models + "/fmnist_samples.safetensors");
    const Index n = std::min<Index>(a.images, samples.images.dim(0));
    raw = Tensor<T>::copy_of(samples.images.cview().slice(0, n));
    for (Index i = 0; i < n; ++i) s.labels.push_back(samples.labels[std::size_t(i)]);
    s.data = std::to_string(n) + " bundled sample images (Fashion-MNIST not installed)";
  }
  s.images = pad_images<T>(raw.cview(), 2);
  if (fashion_mnist_available("train")) s.pattern_data = pad_images<T>(load_fashion_mnist<T>("train", 2000).images.cview(), 2);
  else s.pattern_data = s.images;
  // rules-spec 3.3 for VGG-16 mapped by block (fmnist_vgg has 4 conv blocks, VGG-16 5):
  // fc3 -> classifier.6 (logits), fc1 -> classifier.1 (post-ReLU, as Keras' fused ReLU),
  // conv4_3 / conv3_3 / conv2_2 -> the ReLU after the last conv of blocks 4 / 3 / 2.
  s.inject = {"classifier.6"};
  if (a.full) s.inject = {"classifier.6", "classifier.1", "features.26", "features.19", "features.12"};
  // every parameterised layer, top -> bottom (the paper's nine VGG-16 points mapped by block)
  s.points = {"classifier.6", "classifier.3", "classifier.0", "features.24", "features.21", "features.17",
              "features.14", "features.10", "features.7", "features.3", "features.0"};
  return s;
}

Setup vgg16_setup(const Args& a) {
  Setup s;
  // The model's seed must differ from the sanity checks' randomisation seed: randomized_copy()
  // uses the builders' init scheme, so the same seed would reproduce the same weights.
  BuilderOptions bo;
  bo.seed = a.seed ^ 0x76671600ULL;
  s.net = vgg16<T>(bo);
  s.images.resize(Shape{Index(a.images), 3, 224, 224});
  Random rng(a.seed ^ 0x1a9e5ULL);
  rng.fill_normal(s.images.view());
  s.low = s.images.vec().minCoeff();
  s.high = s.images.vec().maxCoeff();
  Trace<T> tr;
  Workspace<T> ws;
  for (Index i = 0; i < s.images.dim(0); ++i) {
    forward(s.net, s.images.cview().slice(i, 1), tr, ws);
    const auto y = tr.output(s.net.size() - 1);
    Index best = 0;
    for (Index k = 1; k < y.size(); ++k)
      if (y[k] > y[best]) best = k;
    s.labels.push_back(best);
  }
  s.data = std::to_string(a.images) + " images of i.i.d. N(0, 1) pixels, 3x224x224; 'label' = the predicted class";
  s.pattern_data.resize(Shape{4, 3, 224, 224});
  rng.fill_normal(s.pattern_data.view());
  // torchvision names: fc3 = classifier.6, fc1 (post-ReLU) = classifier.1, conv4_3 / conv3_3 /
  // conv2_2 (post-ReLU) = features.22 / 15 / 8.
  s.inject = {"classifier.6"};
  if (a.full) s.inject = {"classifier.6", "classifier.1", "features.22", "features.15", "features.8"};
  // the paper's Figure 1 points (fc3, conv5_3, conv4_1, conv2_1, conv1_1); --full: all nine
  s.points = {"classifier.6", "features.28", "features.17", "features.5", "features.0"};
  if (a.full)
    s.points = {"classifier.6", "classifier.0", "features.28", "features.24", "features.21",
                "features.17", "features.10", "features.5", "features.0"};
  return s;
}

std::string fmt(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.6g", v);
  return b;
}

/// Runs CSC and the sanity checks for each selected rule and collects the results.
struct Runner {
  const Args& args;
  const Setup& s;
  std::vector<CscResult> csc;
  std::vector<RandomLogitResult> logit;
  std::vector<RandomizationResult> cascade;
  int done = 0, total = 0;

  bool selected(const RuleInfo& r) const {
    if (args.rules.empty()) return true;
    for (const auto& k : args.rules)
      if (k == r.key) return true;
    return false;
  }

  SanityOptions sanity_options(const RuleInfo& info) const {
    SanityOptions o;
    o.reduce = info.gradient_type ? HeatmapReduce::abs_max : HeatmapReduce::sum;
    o.percentile = std::string(info.key) == "rectgrad" ? 100.0 : 99.5;
    o.seed = args.seed;
    return o;
  }

  /// `make(net)` builds the rule for a network (model-bound rules such as PatternAttribution
  /// must be rebuilt for every partially randomised network).
  template <class Make>
  void run(const RuleInfo& info, Make&& make) {
    if (!selected(info)) return;
    ++done;
    const auto rule = make(s.net);
    auto t0 = std::chrono::steady_clock::now();
    std::string line;
    for (const auto& layer : s.inject) {
      CscOptions co;
      co.samples = args.samples;
      co.seed = args.seed;
      CscResult r = cosine_similarity_convergence(s.net, rule, s.images.cview(), layer, co);
      r.rule = info.label;
      // the input of a grey-scale model has one channel (|cos| = 1 trivially): report the lowest
      // layer with more than one channel as well
      const CscLayer& in = r.layers.back();
      const CscLayer* low = &in;
      for (const auto& l : r.layers)
        if (l.channels > 1) low = &l;
      line += " | CSC@" + layer + ": median |cos| at " + low->name + " " + fmt(low->median) + " (baseline " +
              fmt(low->baseline) + ")";
      if (low != &in) line += ", input " + fmt(in.median) + " (" + std::to_string(in.channels) + " channel)";
      csc.push_back(std::move(r));
    }
    std::printf("[%2d/%d] %-16s%s  %.1f s\n", done, total, info.label, line.c_str(), seconds_since(t0));
    std::fflush(stdout);
    if (!args.sanity) return;
    t0 = std::chrono::steady_clock::now();
    const SanityOptions so = sanity_options(info);
    RandomLogitResult rl = random_logit_test(s.net, rule, s.images.cview(), s.labels, so);
    rl.rule = info.label;
    RandomizationResult rr = cascade_for(rule, make, so);
    rr.rule = info.label;
    std::printf("        %-16s | random-logit SSIM %s [%s, %s] | randomisation", info.label, fmt(rl.summary.median).c_str(),
                fmt(rl.summary.lo).c_str(), fmt(rl.summary.hi).c_str());
    for (const auto& st : rr.steps) std::printf(" %s %.3f", st.layer.c_str(), st.summary.median);
    std::printf("  %.1f s\n", seconds_since(t0));
    std::fflush(stdout);
    logit.push_back(std::move(rl));
    cascade.push_back(std::move(rr));
  }

  /// The library's cascading_randomization, except for rules bound to the model's weights
  /// (PatternAttribution holds A (.) W): for those the same cascade is rebuilt here with the rule
  /// rebuilt on every partially random network (same random copy, same bootstrap seeds).
  template <class Rule, class Make>
  RandomizationResult cascade_for(const Rule& rule, Make& make, const SanityOptions& o) {
    if constexpr (!std::is_same_v<Rule, PatternAttribution<T>>) {
      (void)make;
      return cascading_randomization(s.net, rule, s.images.cview(), s.labels, s.points, o);
    } else {
      const Index n = s.images.dim(0);
      const auto heatmap = [&](const Network<T>& net, const Rule& r, Index i) {
        return postprocess_heatmaps<T>(explain(net, r, s.images.cview().slice(i, 1), s.labels[std::size_t(i)])
                                           .attribution.cview(),
                                       o.reduce)[0];
      };
      std::vector<Map2d> original;
      for (Index i = 0; i < n; ++i) original.push_back(heatmap(s.net, rule, i));
      const Network<T> random = randomized_copy(s.net, o.seed);
      Network<T> cascade = s.net;
      RandomizationResult r;
      Index above = s.net.size();
      for (std::size_t k = 0; k < s.points.size(); ++k) {
        const Index id = s.net.find(s.points[k]);
        for (Index i = id; i < above; ++i)
          cascade.visit(i, [&](auto& dst) {
            random.visit(i, [&](const auto& src) {
              if constexpr (std::is_same_v<std::decay_t<decltype(dst)>, std::decay_t<decltype(src)>>) dst = src;
            });
          });
        above = id;
        const Rule rebuilt = make(cascade);
        RandomizationStep st;
        st.layer = s.points[k];
        st.node = id;
        for (Index i = 0; i < n; ++i)
          st.scores.push_back(ssim_flipped(heatmap(cascade, rebuilt, i), original[std::size_t(i)], o.percentile));
        st.summary = bootstrap_median(st.scores, o.resamples, o.confidence, o.seed ^ (0xb0075ULL + k));
        r.steps.push_back(std::move(st));
      }
      return r;
    }
  }
};

std::string sanity_csv(const std::vector<RandomLogitResult>& logit, const std::vector<RandomizationResult>& cascade) {
  std::string s = "test,rule,point,images,median,band_lo,band_hi\n";
  for (const auto& r : logit)
    s += "random_logit," + csv_field(r.rule) + ",," + std::to_string(r.scores.size()) + "," + fmt(r.summary.median) + "," +
         fmt(r.summary.lo) + "," + fmt(r.summary.hi) + "\n";
  for (const auto& r : cascade)
    for (const auto& st : r.steps)
      s += "randomization," + csv_field(r.rule) + "," + csv_field(st.layer) + "," + std::to_string(st.scores.size()) + "," +
           fmt(st.summary.median) + "," + fmt(st.summary.lo) + "," + fmt(st.summary.hi) + "\n";
  return s;
}

int run(const Args& a) {
  const auto t_start = std::chrono::steady_clock::now();
  Setup s = a.model == "fmnist_vgg" ? fmnist_setup(a) : vgg16_setup(a);
  std::printf("model %s (%lld nodes), %s, V = %d, seed %llu\n", a.model.c_str(), (long long)s.net.size(),
              s.data.c_str(), a.samples, (unsigned long long)a.seed);
  if (a.model == "vgg16-random")
    std::printf("note: random weights (no pretrained ImageNet weights are available offline)\n");
  std::printf("CSC injected at:");
  for (const auto& l : s.inject) std::printf(" %s", l.c_str());
  std::printf("\n");

  Runner run{a, s, {}, {}, {}, 0, 0};
  for (const auto& r : all_rules) run.total += run.selected(r) ? 1 : 0;
  const auto rule_info = [](const char* key) -> const RuleInfo& {
    for (const auto& r : all_rules)
      if (std::string(key) == r.key) return r;
    raise<ArgumentError>("arg.850", "05_when_explanations_lie: no rule '", key, "'");
  };
  const auto fixed = [](auto rule) { return [rule](const Network<T>&) { return rule; }; };
  run.run(rule_info("gradient"), fixed(Gradient{}));
  // innvestigate starts GuidedBP, Deconvnet and RectGrad from the logit value (rules-spec 10.8)
  run.run(rule_info("guided-bp"), fixed(GuidedBackpropLogitSeed{}));
  run.run(rule_info("deconvnet"), fixed(DeconvnetLogitSeed{}));
  run.run(rule_info("rectgrad"), fixed(RectGradLogitSeed{}));
  run.run(rule_info("lrp-z"), fixed(LrpZ{}));
  run.run(rule_info("lrp-a1b0"), fixed(LrpAlphaBeta(1, 0)));
  run.run(rule_info("lrp-a2b1"), fixed(LrpAlphaBeta(2, 1)));
  run.run(rule_info("lrp-a5b4"), fixed(LrpAlphaBeta(5, 4)));
  run.run(rule_info("lrp-cmp-a1b0"), fixed(presets::lrp_cmp_alpha1_beta0()));
  run.run(rule_info("lrp-cmp-a2b1"), fixed(presets::lrp_cmp_alpha2_beta1()));
  run.run(rule_info("epsilon-plus-flat"), fixed(presets::epsilon_plus_flat_conservative()));
  run.run(rule_info("epsilon-gamma-box"), fixed(presets::epsilon_gamma_box(s.low, s.high)));
  // DTD as iNNvestigate ran it (rules-spec 2.12): alpha1beta0 with bias on every Conv2d/Dense,
  // z^B on the first one
  run.run(rule_info("dtd"), fixed(Composite(LrpAlphaBeta(1, 0, true), LrpZBox(s.low, s.high))
                                      .map(presets::first_linear(), 1)));
  run.run(rule_info("excitation-bp"), fixed(ExcitationBackprop{}));
  const RuleInfo& pn = rule_info("patternnet");
  const RuleInfo& pa = rule_info("pattern-attribution");
  if (run.selected(pn) || run.selected(pa)) {
    const auto t0 = std::chrono::steady_clock::now();
    PatternFitter<T> fitter(s.net, PatternKind::relu);
    for (Index b = 0; b < s.pattern_data.dim(0); b += 100)
      fitter.add_batch(s.pattern_data.cview().slice(b, std::min<Index>(100, s.pattern_data.dim(0) - b)));
    const auto patterns = std::make_shared<const Patterns<T>>(fitter.finish());
    std::printf("        patterns (relu) fitted on %lld images in %.1f s\n", (long long)s.pattern_data.dim(0),
                seconds_since(t0));
    run.run(pn, [patterns](const Network<T>&) { return PatternNet<T>(patterns); });
    run.run(pa, [patterns](const Network<T>& net) { return PatternAttribution<T>(net, patterns); });
  }
  run.run(rule_info("deeplift-rescale"), fixed(DeepLiftRescale()));
  run.run(rule_info("deeplift-revealcancel"), fixed(DeepLiftRevealCancel()));
  run.run(rule_info("deeplift-ablation"), fixed(DeepLiftAblation()));

  const std::string dir = a.out + "/";
  write_text(dir + "csc.csv", to_csv(run.csc));
  write_text(dir + "csc.json", to_json(run.csc));
  for (const auto& layer : s.inject) {
    std::vector<CscResult> at;
    for (const auto& r : run.csc)
      if (s.net.node(r.injected).name == layer) at.push_back(r);
    CscPlotOptions po;
    po.title = "CSC on " + a.model + ", random relevance at " + layer + " (" + std::to_string(s.labels.size()) +
               " images, V = " + std::to_string(a.samples) + ")";
    write_text(dir + (layer == s.inject.front() ? std::string("csc.svg") : "csc_" + layer + ".svg"), csc_svg(at, po));
  }
  std::printf("wrote %scsc.csv, %scsc.json, %scsc.svg\n", dir.c_str(), dir.c_str(), dir.c_str());
  if (a.sanity) {
    write_text(dir + "sanity.csv", sanity_csv(run.logit, run.cascade));
    SanityPlotOptions so;
    so.title = "random-logit test on " + a.model + " (median, 99.5 % bootstrap band)";
    write_text(dir + "random_logit.svg", random_logit_svg(run.logit, so));
    so.title = "cascading randomisation on " + a.model + " (median, 99.5 % bootstrap band)";
    write_text(dir + "randomization.svg", randomization_svg(run.cascade, so));
    std::printf("wrote %ssanity.csv, %srandom_logit.svg, %srandomization.svg\n", dir.c_str(), dir.c_str(), dir.c_str());
  }
  std::printf("total %.1f s\nOK\n", seconds_since(t_start));
  return 0;
}
}  // namespace

int main(int argc, char** argv) {
  const Args a = parse(argc, argv);
  try {
    return run(a);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "05_when_explanations_lie: error: %s\n", e.what());
    return 1;
  }
}
