// The name table of the attrib program (registry.hpp).
#include "registry.hpp"

#include <algorithm>
#include <cctype>

namespace attrib::cli {

const std::vector<Method>& methods() {
  static const std::vector<Method> all = [] {
    std::vector<Method> v;
    add_gradient_rules(v);
    add_lrp_rules(v);
    add_deeplift_rules(v);
    add_composites(v);
    add_conservative_composites(v);
    add_methods(v);
    return v;
  }();
  return all;
}

namespace {
std::string lower(std::string s) {
  for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}
}  // namespace

const Method& find_method(const std::string& name) {
  for (const auto& m : methods())
    if (m.name == name) return m;
  std::string close;
  for (const auto& m : methods())
    if (lower(m.name) == lower(name) || lower(m.name).find(lower(name)) != std::string::npos)
      close += (close.empty() ? "" : ", ") + m.name;
  usage("cli.030", "unknown rule or method '", name, "'", close.empty() ? std::string() : "; did you mean " + close + "?",
        " (attrib --list names them all)");
}

std::string list_methods() {
  std::string s;
  for (const auto& m : methods()) {
    std::string line = "  " + m.name;
    line.resize(std::max<std::size_t>(line.size() + 1, 29), ' ');
    std::string fam = m.family;
    fam.resize(11, ' ');
    s += line + fam + m.description + "\n";
  }
  return s;
}

}  // namespace attrib::cli
