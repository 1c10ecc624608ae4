// attrib info: the load report of a model (layers, parameters, input shape, what was folded or
// stripped); an unsupported model fails with the importer's error, which lists every
// unsupported op at once.
#include <cstdio>

#include "session.hpp"

namespace attrib::cli {

int run_info(const Options& o) {
  const std::string path = resolve_model(o.model);
  const auto declared = declared_input(path);
  std::optional<std::pair<Index, Index>> size = o.pre.size;
  if (!size && !o.input_shape && declared.size() == 4 && (declared[2] < 0 || declared[3] < 0))
    size = std::make_pair(Index(28), Index(28)), std::printf("(symbolic H, W: shown for 28x28; --size HxW to choose)\n");
  const Shape shape = choose_input_shape(declared, o, 0, size);
  const LoadedModel m = load_model(path, shape, o.canonize);
  std::printf("%s", m.load_report.c_str());
  std::printf("canonized: %s", o.canonize ? "" : "no (--no-canonize)");
  if (o.canonize) std::printf("%zu BatchNorm folded into the layer before", m.folded_batch_norms.size());
  for (const auto& f : m.folded_batch_norms) std::printf("\n    %s", f.c_str());
  std::printf("\nparameters: %zu\nclasses: %ld\nnodes (%ld):\n", m.parameters, long(m.classes), long(m.net.size()));
  for (Index i = 0; i < m.net.size(); ++i) {
    const auto& n = m.net.node(i);
    std::printf("  %4ld  %-32s %s\n", long(i), n.name.c_str(), n.kind);
  }
  return 0;
}

}  // namespace attrib::cli
