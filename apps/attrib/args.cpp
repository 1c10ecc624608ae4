// Command-line parsing of the attrib program: every mistake is an ArgumentError with a cli id.
#include <attrib/core/parallel.hpp>

#include <cstdlib>
#include <string>

#include "cli.hpp"

namespace attrib::cli {

std::string usage_text() {
  return "usage: attrib explain MODEL INPUT... [--rule NAME]... [--target top1|topK|all|CLASS] [--out DIR]\n"
         "       attrib report  MODEL INPUT... [--rules NAME,NAME,...] [--out DIR]\n"
         "       attrib info    MODEL [--input-shape N,C,H,W | --size HxW]\n"
         "       attrib --list  (every rule, composite and method name)\n"
         "MODEL: an ONNX file or a shipped model's name (fmnist_mobile, fmnist_small, fmnist_vgg).\n"
         "INPUT: a PNG, JPEG or BMP image, or an .npy array holding the model input.\n"
         "preprocessing: --preset unit|imagenet|symmetric  --mean a,b,c  --std a,b,c  --size HxW\n"
         "               --resize | --center-crop  --grayscale  --layout nchw|nhwc  --input-shape N,C,H,W\n"
         "other: --threads N (explain: N threads, default 1)  --no-canonize (keep BatchNorm layers)  --quiet  --help\n"
         "Errors: one line 'attrib: error [attrib.<id>] ...' and exit code 2 (docs/cli.md).\n";
}

namespace {
std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::size_t p = 0;
  while (true) {
    const std::size_t q = s.find(sep, p);
    out.push_back(s.substr(p, q == std::string::npos ? q : q - p));
    if (q == std::string::npos) return out;
    p = q + 1;
  }
}
double number(const std::string& opt, const std::string& v) {
  char* end = nullptr;
  const double x = std::strtod(v.c_str(), &end);
  if (v.empty() || *end != '\0' || !(x == x) || x > 1e30 || x < -1e30)
    usage("cli.003", opt, " '", v, "': expected a number");
  return x;
}
Index positive(const std::string& opt, const std::string& v, Index hi = Index(1) << 15) {
  char* end = nullptr;
  const long long x = std::strtoll(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0' || x < 1 || x > hi)
    usage("cli.003", opt, " '", v, "': expected an integer in [1, ", hi, "]");
  return Index(x);
}
std::vector<double> numbers(const std::string& opt, const std::string& v) {
  std::vector<double> out;
  for (const auto& p : split(v, ',')) out.push_back(number(opt, p));
  return out;
}
}  // namespace

Options parse_args(int argc, char** argv) {
  Options o;
  std::vector<std::string> positional;
  bool preset_set = false, mean_set = false, std_set = false;
  for (int i = 1; i < argc; ++i) {
    const std::string opt = argv[i];
    const auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage("cli.002", "option ", opt, " needs a value");
      return argv[++i];
    };
    if (opt == "--rule") o.rules.push_back(value());
    else if (opt == "--rules") {
      for (const auto& r : split(value(), ','))
        if (!r.empty()) o.rules.push_back(r);
    } else if (opt == "--target") {
      o.target = value();
      if (o.target == "all") continue;
      const bool top = o.target.rfind("top", 0) == 0;
      positive(opt, top ? o.target.substr(3) : std::string("1"), 1000);
      if (!top) {
        char* end = nullptr;
        const long long c = std::strtoll(o.target.c_str(), &end, 10);
        if (o.target.empty() || *end != '\0' || c < 0) usage("cli.003", "--target '", o.target, "': expected top1, topK, all or a class index >= 0");
      }
    } else if (opt == "--out") o.out = value();
    else if (opt == "--size") {
      const std::string v = value();
      const auto parts = split(v, 'x');
      if (parts.size() != 2) usage("cli.003", "--size '", v, "': expected HxW, e.g. 224x224");
      o.pre.size = std::make_pair(positive(opt, parts[0]), positive(opt, parts[1]));
    } else if (opt == "--resize") o.pre.fit = Preprocess::Fit::resize;
    else if (opt == "--center-crop") o.pre.fit = Preprocess::Fit::center_crop;
    else if (opt == "--mean") o.pre.mean = numbers(opt, value()), mean_set = true;
    else if (opt == "--std") {
      o.pre.std = numbers(opt, value());
      std_set = true;
      for (double s : o.pre.std)
        if (!(s > 0)) usage("cli.003", "--std: ", s, " is not positive");
    } else if (opt == "--grayscale") o.pre.grayscale = true;
    else if (opt == "--layout") {
      const std::string v = value();
      if (v != "nchw" && v != "nhwc") usage("cli.003", "--layout '", v, "': expected nchw or nhwc");
      o.pre.nhwc = v == "nhwc";
    } else if (opt == "--preset") {
      o.pre.preset = value();
      preset_set = true;
      if (o.pre.preset != "unit" && o.pre.preset != "imagenet" && o.pre.preset != "symmetric")
        usage("cli.003", "--preset '", o.pre.preset, "': expected unit ([0, 1]), imagenet or symmetric ([-1, 1])");
    } else if (opt == "--input-shape") {
      const std::string v = value();
      std::vector<Index> dims;
      for (const auto& p : split(v, ',')) dims.push_back(positive(opt, p, Index(1) << 20));
      if (dims.size() < 2 || dims.size() > 4) usage("cli.003", "--input-shape '", v, "': expected 2 to 4 dimensions, e.g. 1,3,224,224");
      o.input_shape = Shape::from_range(dims.begin(), dims.end());
    } else if (opt == "--threads") o.threads = positive(opt, value(), max_threads);
    else if (opt == "--no-canonize") o.canonize = false;
    else if (opt == "--quiet" || opt == "-q") o.quiet = true;
    else if (opt == "--list") o.list = true;
    else if (opt == "--help" || opt == "-h") o.command = "help";
    else if (opt.size() > 1 && opt[0] == '-') usage("cli.001", "unknown option '", opt, "' (attrib --help lists them)");
    else positional.push_back(opt);
  }
  if (o.command == "help") return o;
  if (preset_set && (mean_set || std_set)) usage("cli.003", "--preset and --mean/--std: give one or the other");
  if (o.pre.preset == "imagenet" && !mean_set) o.pre.mean = {0.485, 0.456, 0.406}, o.pre.std = {0.229, 0.224, 0.225};
  if (o.pre.preset == "symmetric" && !mean_set) o.pre.mean = {0.5}, o.pre.std = {0.5};
  if (positional.empty()) {
    if (o.list) return o;
    usage("cli.004", "no command; expected explain, report or info (attrib --help)");
  }
  o.command = positional[0];
  if (o.command != "explain" && o.command != "report" && o.command != "info")
    usage("cli.005", "unknown command '", o.command, "'; expected explain, report or info");
  if (o.list) return o;
  if (positional.size() < 2) usage("cli.004", o.command, ": missing MODEL (an ONNX file or a shipped model's name)");
  o.model = positional[1];
  o.inputs.assign(positional.begin() + 2, positional.end());
  if (o.command == "info" && !o.inputs.empty()) usage("cli.004", "info takes MODEL only, got ", o.inputs.size(), " more argument(s)");
  if (o.command != "info" && o.inputs.empty()) usage("cli.004", o.command, ": missing INPUT (PNG, JPEG, BMP or .npy files)");
  if (o.command == "info" && !o.rules.empty()) usage("cli.003", "info takes no --rule");
  return o;
}

}  // namespace attrib::cli
