// Model loading for the attrib program (model.hpp).
#include "model.hpp"

#include <attrib/io/onnx.hpp>
#include <attrib/models/canonize.hpp>
#include <attrib/models/parameters.hpp>

#include <filesystem>
#include <set>

namespace attrib::cli {

namespace fs = std::filesystem;

namespace {
/// Where shipped models are: the source tree, the install prefix the program was configured
/// for, and share/attrib/models next to the program's bin/ (an install moved elsewhere).
std::vector<std::string> model_dirs() {
  std::vector<std::string> dirs{ATTRIB_MODELS_DIR, ATTRIB_INSTALLED_MODELS_DIR};
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) dirs.push_back((exe.parent_path().parent_path() / "share" / "attrib" / "models").string());
  return dirs;
}
}  // namespace

std::string resolve_model(const std::string& model) {
  std::error_code ec;
  if (fs::is_regular_file(model, ec)) return model;
  const bool is_name = model.find('/') == std::string::npos && model.find('.') == std::string::npos;
  if (is_name)
    for (const std::string& dir : model_dirs()) {
      const std::string p = dir + "/" + model + ".onnx";
      if (fs::is_regular_file(p, ec)) return p;
    }
  std::string names;
  for (const std::string& dir : model_dirs())
    if (fs::is_directory(dir, ec))
      for (const auto& e : fs::directory_iterator(dir, ec))
        if (e.path().extension() == ".onnx" && (", " + names + ",").find(", " + e.path().stem().string() + ",") == std::string::npos)
          names += (names.empty() ? "" : ", ") + e.path().stem().string();
  fail("cli.010", "model '", model, "': no such ONNX file", is_name ? " and no shipped model of that name" : "",
       names.empty() ? std::string() : " (shipped: " + names + ")");
}

std::vector<Index> declared_input(const std::string& path) {
  const std::string bytes = detail::onnxio::read_file(path, "ONNX");
  ::onnx::ModelProto m;
  if (!m.ParseFromString(bytes))
    raise<IoError>("io.201", "ONNX file '", path, "': not a valid ONNX protobuf (", bytes.size(),
                   " bytes; truncated or not an ONNX model)");
  std::set<std::string> init;
  for (const auto& t : m.graph().initializer()) init.insert(t.name());
  for (const auto& in : m.graph().input()) {
    if (init.count(in.name())) continue;
    std::vector<Index> d;
    if (in.type().has_tensor_type() && in.type().tensor_type().has_shape())
      for (const auto& dim : in.type().tensor_type().shape().dim())
        d.push_back(dim.has_dim_value() && dim.dim_value() > 0 ? Index(dim.dim_value()) : Index(-1));
    return d;
  }
  return {};
}

Shape choose_input_shape(const std::vector<Index>& declared, const Options& o, Index channels,
                         std::optional<std::pair<Index, Index>> size) {
  if (o.input_shape) return o.input_shape->with_batch(1);
  if (declared.empty()) usage("cli.011", "model '", o.model, "' declares no input shape; give --input-shape N,C,H,W");
  std::vector<Index> s = declared;
  s[0] = 1;
  if (s.size() == 4) {
    if (s[1] < 0 && channels > 0) s[1] = channels;
    if (size) {
      if (s[2] < 0) s[2] = size->first;
      if (s[3] < 0) s[3] = size->second;
    }
  }
  std::string symbolic;
  for (std::size_t i = 1; i < s.size(); ++i)
    if (s[i] < 0) symbolic += (symbolic.empty() ? "" : ", ") + std::to_string(i);
  if (!symbolic.empty())
    usage("cli.011", "model '", o.model, "': input dimension(s) ", symbolic,
          " are symbolic; give --input-shape N,C,H,W or --size HxW");
  return Shape::from_range(s.begin(), s.end());
}

LoadedModel load_model(const std::string& model, const Shape& input_shape, bool canonize) {
  LoadedModel m;
  m.path = resolve_model(model);
  m.name = fs::path(m.path).stem().string();
  OnnxOptions<T> opt;
  opt.input_shape = input_shape;
  OnnxModel<T> onnx = import_onnx<T>(m.path, opt);
  m.load_report = onnx.report.to_text();
  std::vector<FoldedBatchNorm> folded;
  m.net = canonize ? attrib::canonize(onnx.network, &folded) : std::move(onnx.network);
  for (const auto& f : folded) m.folded_batch_norms.push_back(f.batch_norm + " -> " + f.into);
  m.input_shape = onnx.input_shape;
  m.classes = onnx.output_shape.rank() == 2 ? onnx.output_shape[1] : 0;
  if (m.classes < 1)
    usage("cli.012", "model '", model, "': output shape ", onnx.output_shape, "; attrib explains classifiers [N, classes]");
  for_each_parameter(m.net, [&](const std::string&, const auto& p) { m.parameters += std::size_t(p.view().size()); });
  return m;
}

}  // namespace attrib::cli
