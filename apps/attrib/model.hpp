#pragma once
// Loading the model: an ONNX file or a shipped model's name, its input shape (symbolic
// dimensions from --input-shape, --size or the first image), BatchNorm canonized by default.
#include <attrib/io/detail/onnx_graph.hpp>
#include <attrib/models/network.hpp>

#include "cli.hpp"

namespace attrib::cli {

struct LoadedModel {
  std::string path;         ///< the ONNX file
  std::string name;         ///< shipped name or file stem
  Network<T> net;
  Shape input_shape;        ///< [1, ...]
  Index classes = 0;
  std::vector<std::string> folded_batch_norms;  ///< "bn -> conv" (canonize)
  std::string load_report;  ///< OnnxLoadReport::to_text()
  std::size_t parameters = 0;
};

/// The ONNX file of a MODEL argument: an existing path, or models/<name>.onnx of the shipped
/// models (build tree, then the installed share/attrib/models).
std::string resolve_model(const std::string& model);

/// The declared input dims of the file (numbers, or -1 where symbolic) and the graph input name.
std::vector<Index> declared_input(const std::string& path);

/// Imports and (unless canonize is false) canonizes the model for the given input shape.
LoadedModel load_model(const std::string& model, const Shape& input_shape, bool canonize);

/// The input shape to import for: --input-shape, else the declared dims with symbolic ones
/// filled from `channels` / `size` (when known), else an error naming the symbolic dims.
Shape choose_input_shape(const std::vector<Index>& declared, const Options& o, Index channels,
                         std::optional<std::pair<Index, Index>> size);

}  // namespace attrib::cli
