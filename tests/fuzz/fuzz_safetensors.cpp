// Fuzz target: SafeTensors<float>/<double>::load on arbitrary bytes, with both dtype policies; a
// loaded file must survive save_safetensors + load bit for bit (tensors and metadata).
#include <optional>

#include "attrib/io/safetensors.hpp"
#include "fuzz/fuzz_support.hpp"

namespace {
template <class T>
void load_and_round_trip(const std::string& path, attrib::UnsupportedDtype policy) {
  using attrib::SafeTensors;
  std::optional<SafeTensors<T>> st;
  try {
    st = SafeTensors<T>::load(path, policy);
  } catch (const attrib::Error&) {
    return;
  }
  std::vector<std::pair<std::string, attrib::ConstView<T>>> tensors;
  for (const auto& name : st->names()) tensors.emplace_back(name, st->get(name).cview());
  try {
    attrib::save_safetensors(path, tensors, st->metadata());
  } catch (const attrib::Error&) {
    return;  // names the writer refuses (empty, "__metadata__")
  }
  const auto again = SafeTensors<T>::load(path);
  if (again.names() != st->names() || again.metadata() != st->metadata())
    attrib::fuzz::finding("safetensors round trip changed the names or the metadata");
  for (const auto& name : st->names())
    if (!attrib::fuzz::same_bits(again.get(name), st->get(name)))
      attrib::fuzz::finding("safetensors round trip changed tensor '" + name + "'");
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  load_and_round_trip<float>(attrib::fuzz::write_scratch(data, size), attrib::UnsupportedDtype::reject);
  load_and_round_trip<double>(attrib::fuzz::write_scratch(data, size), attrib::UnsupportedDtype::skip);
  return 0;
}
