// The misuse suite, loaders and writers: missing and hostile files, absurd headers, empty and
// unwritable targets. Files are crafted byte by byte in a private temporary directory.
#include <cstdint>
#include <string>
#include <vector>

#include "io/io_test_support.hpp"
#include "misuse/misuse.hpp"
#include "attrib/io/npy.hpp"
#include "attrib/io/safetensors.hpp"
#ifdef ATTRIB_MISUSE_IDX
#  include "attrib/io/idx.hpp"
#endif
#ifdef ATTRIB_MISUSE_PNG
#  include "attrib/io/png.hpp"
#endif

using namespace attrib;
using attrib::test::misuse;
using attrib::test::TempDir;
using attrib::test::write_bytes;

namespace {
/// An npy v1.0 file with the given header dictionary and `data` bytes after it.
std::vector<unsigned char> npy(const std::string& dict, std::size_t data = 0) {
  std::string h = dict;
  while ((10 + h.size() + 1) % 64) h += ' ';
  h += '\n';
  std::vector<unsigned char> out = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0,
                                    static_cast<unsigned char>(h.size() & 0xFF), static_cast<unsigned char>(h.size() >> 8)};
  out.insert(out.end(), h.begin(), h.end());
  out.resize(out.size() + data, 0);
  return out;
}
/// A safetensors file: 8-byte header length, the JSON header, `data` zero bytes.
std::vector<unsigned char> safetensors(const std::string& json, std::size_t data = 0) {
  std::vector<unsigned char> out;
  attrib::test::append_le(out, json.size(), 8);
  out.insert(out.end(), json.begin(), json.end());
  out.resize(out.size() + data, 0);
  return out;
}
}  // namespace

TEST_CASE("misuse: npy loader and writer", "[misuse][io]") {
  TempDir dir;
  const auto f = [&](const char* name, const std::vector<unsigned char>& bytes) {
    write_bytes(dir.file(name), bytes);
    return dir.file(name);
  };
  misuse<IoError>("load_npy of a missing file", "attrib.io.100", [&] { load_npy<float>(dir.file("none.npy")); });
  misuse<IoError>("load_npy of a directory", "attrib.io.100", [&] { load_npy<float>(dir.path().string()); });
  misuse<IoError>("load_npy of an empty file", "attrib.io.130", [&] { load_npy<float>(f("e.npy", {})); });
  misuse<IoError>("load_npy of a text file", "attrib.io.130",
                  [&] { load_npy<float>(f("t.npy", {'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd', '!'})); });
  misuse<IoError>("load_npy of shape (2^40, 2^40, 0)", "attrib.io.139", [&] {
    load_npy<float>(f("o.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776, 1099511627776, 0), }")));
  });
  misuse<IoError>("load_npy of a shape that needs more data than present", "attrib.io.137", [&] {
    load_npy<float>(f("big.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1000000, 1000000), }", 16)));
  });
  misuse<IoError>("load_npy of rank 5", "attrib.io.136", [&] {
    load_npy<float>(f("r5.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 1, 1, 1), }", 4)));
  });
  misuse<IoError>("load_npy of int64 data", "attrib.io.134", [&] {
    load_npy<float>(f("i.npy", npy("{'descr': '<i8', 'fortran_order': False, 'shape': (1,), }", 8)));
  });
  misuse<IoError>("load_npy of Fortran order", "attrib.io.135", [&] {
    load_npy<float>(f("fo.npy", npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", 16)));
  });
  misuse<IoError>("load_npy with a malformed header", "attrib.io.133", [&] {
    load_npy<float>(f("m.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3), }", 16)));
  });
  misuse<IoError>("save_npy of an empty view", "attrib.io.138", [&] { save_npy<float>(dir.file("x.npy"), ConstView<float>()); });
  misuse<IoError>("save_npy into a missing directory", "attrib.io.102",
                  [&] { save_npy<float>(dir.file("no/dir/x.npy"), Tensor<float>(Shape{2}).cview()); });
  misuse<IoError>("save_npy onto a directory", "attrib.io.102",
                  [&] { save_npy<float>(dir.path().string(), Tensor<float>(Shape{2}).cview()); });
}

TEST_CASE("misuse: safetensors loader and writer", "[misuse][io]") {
  TempDir dir;
  const auto f = [&](const char* name, const std::vector<unsigned char>& bytes) {
    write_bytes(dir.file(name), bytes);
    return dir.file(name);
  };
  using ST = SafeTensors<float>;
  misuse<IoError>("safetensors: missing file", "attrib.io.100", [&] { ST::load(dir.file("none.safetensors")); });
  misuse<IoError>("safetensors: 3-byte file", "attrib.io.110", [&] { ST::load(f("s.st", {1, 2, 3})); });
  misuse<IoError>("safetensors: header length 2^63", "attrib.io.111", [&] {
    std::vector<unsigned char> b;
    attrib::test::append_le(b, std::uint64_t(1) << 63, 8);
    ST::load(f("h.st", b));
  });
  misuse<IoError>("safetensors: header that is not JSON", "attrib.io.112", [&] { ST::load(f("j.st", safetensors("{not json"))); });
  misuse<IoError>("safetensors: shape whose byte count overflows", "attrib.io.117", [&] {
    ST::load(f("o.st", safetensors(R"({"w": {"dtype": "F32", "shape": [4294967296, 4294967296, 4294967296], "data_offsets": [0, 4]}})", 4)));
  });
  misuse<IoError>("safetensors: data offsets past the end", "attrib.io.116", [&] {
    ST::load(f("d.st", safetensors(R"({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}})", 4)));
  });
  misuse<IoError>("safetensors: unsupported dtype", "attrib.io.114", [&] {
    ST::load(f("t.st", safetensors(R"({"w": {"dtype": "I64", "shape": [1], "data_offsets": [0, 8]}})", 8)));
  });
  misuse<IoError>("save_safetensors with an empty name", "attrib.io.121",
                  [&] { save_safetensors<float>(dir.file("x.st"), {{"", Tensor<float>(Shape{1}).cview()}}); });
  misuse<IoError>("save_safetensors into a missing directory", "attrib.io.102",
                  [&] { save_safetensors<float>(dir.file("no/x.st"), {{"w", Tensor<float>(Shape{1}).cview()}}); });
  misuse<IoError>("SafeTensors::get of a missing name", "attrib.io.120", [&] {
    save_safetensors<float>(dir.file("ok.st"), {{"w", Tensor<float>(Shape{1}).cview()}});
    ST::load(dir.file("ok.st")).get("v");
  });
}

#ifdef ATTRIB_MISUSE_IDX
TEST_CASE("misuse: IDX loader", "[misuse][io]") {
  TempDir dir;
  const auto f = [&](const char* name, const std::vector<unsigned char>& bytes) {
    write_bytes(dir.file(name), bytes);
    return dir.file(name);
  };
  misuse<IoError>("read_idx of a missing file", "attrib.io.300", [&] { read_idx(dir.file("none.idx")); });
  misuse<ArgumentError>("read_idx with max_items = -2", "attrib.io.310", [&] { read_idx(f("a.idx", {0, 0, 8, 1, 0, 0, 0, 0}), -2); });
  misuse<IoError>("read_idx of a 2-byte file", "attrib.io.305", [&] { read_idx(f("s.idx", {0, 0})); });
  misuse<IoError>("read_idx with a bad magic number", "attrib.io.302", [&] { read_idx(f("m.idx", {1, 2, 3, 4})); });
  misuse<IoError>("read_idx of float32 data", "attrib.io.303", [&] { read_idx(f("f.idx", {0, 0, 0x0D, 1, 0, 0, 0, 1, 0, 0, 0, 0})); });
  misuse<IoError>("read_idx of rank 0", "attrib.io.304", [&] { read_idx(f("r.idx", {0, 0, 8, 0})); });
  misuse<IoError>("read_idx declaring 2^40 bytes", "attrib.io.308",
                  [&] { read_idx(f("h.idx", {0, 0, 8, 3, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 1, 0})); });
  misuse<IoError>("read_idx declaring 4 GB (over the 1 GiB limit)", "attrib.io.313",
                  [&] { read_idx(f("l.idx", {0, 0, 8, 2, 0, 1, 0, 0, 0, 1, 0, 0})); });
  misuse<IoError>("read_idx with truncated data", "attrib.io.306", [&] { read_idx(f("t.idx", {0, 0, 8, 1, 0, 0, 0, 9, 1, 2})); });
  misuse<IoError>("load_idx_images of a rank-1 file", "attrib.io.309",
                  [&] { load_idx_images<float>(f("l1.idx", {0, 0, 8, 1, 0, 0, 0, 1, 7})); });
}
#endif

#ifdef ATTRIB_MISUSE_PNG
TEST_CASE("misuse: PNG reader and writer", "[misuse][io]") {
  TempDir dir;
  misuse<IoError>("decode_png of a text buffer", "attrib.io.323", [&] { decode_png({'n', 'o', 't', ' ', 'p', 'n', 'g'}); });
  misuse<IoError>("read_png of a missing file", "attrib.io.321", [&] { read_png(dir.file("none.png")); });
  misuse<IoError>("write_png into a missing directory", "attrib.io.320",
                  [&] { write_png(dir.file("no/x.png"), Image(2, 2, 3)); });
  misuse<IoError>("encode_png of a 0-channel image", "attrib.io.322", [&] {
    Image img;
    img.width = 2;
    img.height = 2;
    encode_png(img);
  });
}
#endif
