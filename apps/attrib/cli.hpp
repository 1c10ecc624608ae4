#pragma once
// The attrib command-line program (docs/cli.md): shared types of its translation units.
// Everything runs in float. Errors are attrib's typed errors; the program's own ids are
// "cli.NNN" (docs/errors.md), raised through cli::fail / cli::usage.
#include <attrib/core/error.hpp>
#include <attrib/core/tensor.hpp>
#include <attrib/io/heatmap.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace attrib::cli {

using T = float;

/// Bad command line: ArgumentError with a cli id.
template <class... A>
[[noreturn]] void usage(const char* id, const A&... a) {
  raise<ArgumentError>(id, a...);
}
/// A file the program cannot read or write: IoError with a cli id.
template <class... A>
[[noreturn]] void fail(const char* id, const A&... a) {
  raise<IoError>(id, a...);
}

/// How images become model inputs (docs/cli.md, "Preprocessing").
struct Preprocess {
  std::optional<std::pair<Index, Index>> size;  ///< --size HxW (target height, width)
  enum class Fit { exact, resize, center_crop } fit = Fit::exact;
  std::vector<double> mean{0.0}, std{1.0};  ///< per channel (one value: every channel)
  bool grayscale = false;
  bool nhwc = false;                         ///< --layout nhwc
  std::string preset = "unit";
};

/// The options every subcommand understands.
struct Options {
  std::string command, model;
  std::vector<std::string> inputs;
  std::vector<std::string> rules;  ///< --rule / --rules
  std::string target = "top1";
  std::string out;
  std::optional<Shape> input_shape;
  Preprocess pre;
  bool quiet = false, canonize = true, list = false;
  Index threads = 1;  ///< --threads N: explanations computed by N threads (explain)
};

Options parse_args(int argc, char** argv);
std::string usage_text();

/// One preprocessed input: the model input [1, C, H, W] (or [1, ...] from .npy) and a picture of
/// it in [0, 1] for overlays (empty when the input is not an image).
struct Input {
  std::string path, stem;
  Tensor<T> x;
  Tensor<T> display;  ///< [1, C, H, W] in [0, 1]
};

}  // namespace attrib::cli
