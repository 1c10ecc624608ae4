#pragma once
// Save/load of fitted patterns (attrib/methods/pattern_fit.hpp, attrib/rules/pattern.hpp) as
// safetensors files (docs/patterns.md, "File format").
//
// Errors: ArgumentError arg.606 (save), IoError io.600-io.605 (load) besides the safetensors
// reader's own.
#include "attrib/core/config.hpp"
#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "attrib/io/safetensors.hpp"
#include "attrib/rules/pattern.hpp"

ATTRIB_BEGIN_NAMESPACE

namespace detail::patterns {
inline constexpr const char* format = "attrib.patterns";
inline constexpr const char* version = "1";

inline std::int64_t parse_count(const std::string& path, const std::string& key, const std::string& s) {
  if (s.empty() || s.size() > 18 || s.find_first_not_of("0123456789") != std::string::npos)
    raise<IoError>("io.604", "patterns file '", path, "': metadata \"", key, "\" = \"", s,
                   "\" is not a non-negative integer");
  return std::stoll(s);
}
}  // namespace detail::patterns

/// Writes patterns as safetensors: one tensor "<node>.pattern" per node (F32 for float, F64 for
/// double) and metadata format = "attrib.patterns", version = "1", estimator, samples,
/// "<node>.vectors" and "<node>.active" (comma-separated per-unit counts).
template <class T>
void save_patterns(const std::string& path, const Patterns<T>& p) {
  std::vector<std::pair<std::string, ConstView<T>>> tensors;
  std::map<std::string, std::string> meta{{"format", detail::patterns::format},
                                          {"version", detail::patterns::version},
                                          {"estimator", to_string(p.kind)},
                                          {"samples", std::to_string(p.samples)}};
  for (const auto& [name, e] : p.nodes) {
    if (static_cast<Index>(e.active.size()) != e.pattern.shape()[0])
      raise<ArgumentError>("arg.606", "save_patterns: node '", name, "' has ", e.active.size(),
                           " active counts for a pattern of shape ", e.pattern.shape());
    tensors.emplace_back(name + ".pattern", e.pattern.cview());
    meta[name + ".vectors"] = std::to_string(e.vectors);
    std::string act;
    for (std::size_t j = 0; j < e.active.size(); ++j) act += (j ? "," : "") + std::to_string(e.active[j]);
    meta[name + ".active"] = act;
  }
  save_safetensors<T>(path, tensors, meta);
}

/// Reads what save_patterns wrote (F32 or F64, converted to T). IoError io.600-io.605 for a
/// file that is not a patterns file or has inconsistent metadata; other safetensors errors as
/// SafeTensors::load.
template <class T>
Patterns<T> load_patterns(const std::string& path) {
  const SafeTensors<T> st = SafeTensors<T>::load(path);
  const auto& meta = st.metadata();
  const auto get = [&](const std::string& key) -> const std::string& {
    auto it = meta.find(key);
    if (it == meta.end())
      raise<IoError>("io.600", "patterns file '", path, "': metadata \"", key,
                     "\" is missing (not written by save_patterns?)");
    return it->second;
  };
  if (get("format") != detail::patterns::format || get("version") != detail::patterns::version)
    raise<IoError>("io.601", "patterns file '", path, "': format \"", get("format"), "\" version \"",
                   get("version"), "\", expected \"", detail::patterns::format, "\" version \"",
                   detail::patterns::version, "\"");
  Patterns<T> p;
  const std::string& est = get("estimator");
  if (est == "linear") p.kind = PatternKind::linear;
  else if (est == "relu") p.kind = PatternKind::relu;
  else
    raise<IoError>("io.602", "patterns file '", path, "': estimator \"", est, "\", expected \"linear\" or \"relu\"");
  p.samples = detail::patterns::parse_count(path, "samples", get("samples"));
  const std::string suffix = ".pattern";
  for (const std::string& tname : st.names()) {
    if (tname.size() <= suffix.size() || tname.compare(tname.size() - suffix.size(), suffix.size(), suffix) != 0)
      raise<IoError>("io.603", "patterns file '", path, "': tensor '", tname, "' is not named '<node>.pattern'");
    const std::string node = tname.substr(0, tname.size() - suffix.size());
    typename Patterns<T>::Entry e;
    e.pattern = st.get(tname);
    if (e.pattern.rank() != 2 && e.pattern.rank() != 4)
      raise<IoError>("io.605", "patterns file '", path, "': tensor '", tname, "' has shape ", e.pattern.shape(),
                     ", expected a Dense [out, in] or Conv2d [out, in/groups, kh, kw] weight shape");
    e.vectors = detail::patterns::parse_count(path, node + ".vectors", get(node + ".vectors"));
    const std::string& act = get(node + ".active");
    std::size_t pos = 0;
    while (pos <= act.size()) {
      const std::size_t comma = std::min(act.find(',', pos), act.size());
      e.active.push_back(detail::patterns::parse_count(path, node + ".active", act.substr(pos, comma - pos)));
      pos = comma + 1;
    }
    if (static_cast<Index>(e.active.size()) != e.pattern.shape()[0])
      raise<IoError>("io.605", "patterns file '", path, "': metadata \"", node, ".active\" has ", e.active.size(),
                     " counts, expected ", e.pattern.shape()[0], " (one per unit of the pattern of shape ",
                     e.pattern.shape(), ")");
    p.nodes[node] = std::move(e);
  }
  return p;
}

ATTRIB_END_NAMESPACE
