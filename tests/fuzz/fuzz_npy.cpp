// Fuzz target: load_npy<float> and load_npy<double> on arbitrary bytes; a loaded array must
// survive save_npy + load_npy bit for bit.
#include "attrib/io/npy.hpp"
#include "fuzz/fuzz_support.hpp"

namespace {
template <class T>
void load_and_round_trip(const std::string& path) {
  attrib::Tensor<T> t;
  try {
    t = attrib::load_npy<T>(path);
  } catch (const attrib::Error&) {
    return;
  }
  attrib::save_npy(path, t.cview());
  if (!attrib::fuzz::same_bits(attrib::load_npy<T>(path), t)) attrib::fuzz::finding("npy round trip changed the array");
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  load_and_round_trip<float>(attrib::fuzz::write_scratch(data, size));
  load_and_round_trip<double>(attrib::fuzz::write_scratch(data, size));
  return 0;
}
