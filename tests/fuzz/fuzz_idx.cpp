// Fuzz target: the IDX reader, plain and gzip. The first byte chooses: bit 0 set - the rest is
// gzip-compressed by the harness before it is written (so mutations of the IDX structure also
// travel through the decompressing path); clear - the rest is written as it is (a plain IDX
// file, or a gzip stream from the seed corpus). Bits 1-2 choose max_items (-1, 0, 1, 3). Each
// file is read with read_idx, load_idx_images<float> and load_idx_labels; what read_idx returns
// must be consistent with its dimensions.
#include <zlib.h>

#include "attrib/io/idx.hpp"
#include "fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const int mode = data[0];
  static constexpr attrib::Index item_limits[] = {-1, 0, 1, 3};
  const attrib::Index max_items = item_limits[(mode >> 1) & 3];
  std::vector<unsigned char> file(data + 1, data + size);
  if (mode & 1) {
    uLongf len = compressBound(uLong(file.size())) + 32;
    std::vector<unsigned char> gz(len);
    z_stream z{};
    // windowBits 15 + 16: a gzip wrapper, as gzread expects
    if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) attrib::fuzz::finding("deflateInit2");
    z.next_in = file.data();
    z.avail_in = uInt(file.size());
    z.next_out = gz.data();
    z.avail_out = uInt(gz.size());
    if (deflate(&z, Z_FINISH) != Z_STREAM_END) attrib::fuzz::finding("deflate");
    gz.resize(z.total_out);
    deflateEnd(&z);
    file.swap(gz);
  }
  const std::string& path = attrib::fuzz::write_scratch(file.data(), file.size());
  try {
    const attrib::IdxArray a = attrib::read_idx(path, max_items);
    std::uint64_t count = 1;
    for (attrib::Index d : a.dims) count *= std::uint64_t(d);
    if (a.dims.empty() || a.dims.size() > 4 || count != a.data.size())
      attrib::fuzz::finding("read_idx: dimensions and data size disagree");
  } catch (const attrib::Error&) {
  }
  try {
    const auto images = attrib::load_idx_images<float>(path, max_items);
    for (attrib::Index i = 0; i < images.size(); ++i)
      if (!(images[i] >= 0.f && images[i] <= 1.f)) attrib::fuzz::finding("load_idx_images: a pixel outside [0, 1]");
  } catch (const attrib::Error&) {
  }
  try {
    for (int label : attrib::load_idx_labels(path, max_items))
      if (label < 0 || label > 255) attrib::fuzz::finding("load_idx_labels: a label outside [0, 255]");
  } catch (const attrib::Error&) {
  }
  return 0;
}
