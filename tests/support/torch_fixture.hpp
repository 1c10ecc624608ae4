#pragma once
// Reading the PyTorch fixtures of tests/data (tools/make_*_fixtures.py): metadata lists, the
// network's node list and parameters against the fixture's, and the relative error measure the
// fixture tests report. Shared by the model, rule and DeepLIFT fixture tests.
#include <algorithm>
#include <cmath>
#include <iterator>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "support/support.hpp"
#include "attrib/io/safetensors.hpp"
#include "attrib/models/network.hpp"
#include "attrib/models/parameters.hpp"

namespace attrib::test {

inline std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream in(s);
  while (std::getline(in, part, sep)) parts.push_back(part);
  return parts;
}

inline std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

/// The metadata value of `key`; the test fails (naming the key) if it is absent.
inline const std::string& meta(const std::map<std::string, std::string>& m, const std::string& key) {
  INFO("metadata key " << key);
  const auto it = m.find(key);
  REQUIRE(it != m.end());
  return it->second;
}

/// Node names, kinds and (with the metadata key node_inputs present) input indices of the network
/// equal the fixture's ("nodes", "node_kinds": comma lists; "node_inputs": ';' list of ',' lists).
template <class T>
void check_fixture_nodes(const Network<T>& net, const SafeTensors<T>& st) {
  const auto& m = st.metadata();
  const auto names = split(meta(m, "nodes"), ','), kinds = split(meta(m, "node_kinds"), ',');
  REQUIRE(net.size() == Index(names.size()));
  REQUIRE(kinds.size() == names.size());
  const bool with_inputs = m.count("node_inputs") != 0;
  const auto inputs = with_inputs ? split(m.at("node_inputs"), ';') : std::vector<std::string>{};
  if (with_inputs) REQUIRE(inputs.size() == names.size());
  for (Index i = 0; i < net.size(); ++i) {
    const NodeInfo& n = net.node(i);
    const auto k = std::size_t(i);
    INFO("node " << i << " '" << n.name << "'");
    CHECK(n.name == names[k]);
    CHECK(std::string(n.kind) == kinds[k]);
    if (!with_inputs) continue;
    std::string ins;
    for (int a = 0; a < n.arity; ++a) ins += (a ? "," : "") + std::to_string(n.inputs[std::size_t(a)]);
    CHECK(ins == inputs[k]);
  }
}

/// The network's and the fixture's parameter names (fixture tensors without a '/': data/, act/,
/// grad/ ... hold references) agree in both directions; then every parameter is assigned.
template <class T>
void load_fixture_parameters(Network<T>& net, const SafeTensors<T>& st) {
  std::vector<std::string> ours = parameter_names(net), theirs;
  for (const auto& n : st.names())
    if (n.find('/') == std::string::npos) theirs.push_back(n);
  std::sort(ours.begin(), ours.end());
  std::sort(theirs.begin(), theirs.end());
  std::vector<std::string> only_ours, only_theirs;
  std::set_difference(ours.begin(), ours.end(), theirs.begin(), theirs.end(), std::back_inserter(only_ours));
  std::set_difference(theirs.begin(), theirs.end(), ours.begin(), ours.end(), std::back_inserter(only_theirs));
  INFO(ours.size() << " parameters in the network, " << theirs.size() << " in the fixture");
  INFO("only in the network: " << join(only_ours));
  INFO("only in the fixture: " << join(only_theirs));
  REQUIRE(only_ours.empty());
  REQUIRE(only_theirs.empty());
  REQUIRE(ours.size() == theirs.size());  // no duplicate names either
  for (const auto& name : theirs) parameter(net, name).assign(st.get(name), name);
}

inline double max_abs(ConstView<double> v) {
  double m = 0;
  for (Index i = 0; i < v.size(); ++i) m = std::max(m, std::abs(v[i]));
  return m;
}

/// max |ours - ref| / max |ref| (the reference is PyTorch's float64 value in both precisions);
/// fails on a shape mismatch, an all-zero reference or a non-finite value of ours.
template <class T>
double relative_error(ConstView<T> ours, ConstView<double> ref, const std::string& what) {
  INFO(what << ": shapes " << ours.shape() << " vs " << ref.shape());
  REQUIRE(ours.shape() == ref.shape());
  const double scale = max_abs(ref);
  REQUIRE(scale > 0);
  double worst = 0;
  for (Index i = 0; i < ref.size(); ++i) {
    REQUIRE(std::isfinite(double(ours[i])));
    worst = std::max(worst, std::abs(double(ours[i]) - ref[i]));
  }
  return worst / scale;
}

}  // namespace attrib::test
