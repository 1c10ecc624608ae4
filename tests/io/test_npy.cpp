#include <cmath>
#include <cstring>
#include <limits>

#include "io/io_test_support.hpp"
#include "support/support.hpp"
#include "attrib/io/npy.hpp"

using namespace attrib;
using namespace attrib::test;

namespace {

// Written by numpy 1.24 (np.save / numpy.lib.format.write_array) on this machine; see the
// Python line in each comment.
// np.save(f, np.array([[1.5, -2.0, 0.25], [3.0, -0.0, 1e-3]], dtype='<f4'))
const char* const np_f4_2x3 =
    "934e554d5059010076007b276465736372273a20273c6634272c2027666f727472616e5f6f72646572273a2046616c73"
    "652c20277368617065273a2028322c2033292c207d202020202020202020202020202020202020202020202020202020"
    "202020202020202020202020202020202020202020202020202020202020200a0000c03f000000c00000803e00004040"
    "000000806f12833a";
// write_array(f, np.array([0.1, -7.0, 2.0**-1074], dtype='<f8'), version=(2, 0))
const char* const np_f8_3_v2 =
    "934e554d50590200740000007b276465736372273a20273c6638272c2027666f727472616e5f6f72646572273a204661"
    "6c73652c20277368617065273a2028332c292c207d202020202020202020202020202020202020202020202020202020"
    "202020202020202020202020202020202020202020202020202020202020200a9a9999999999b93f0000000000001cc0"
    "0100000000000000";
// np.save(f, np.array(3.25, dtype='<f8'))
const char* const np_f8_scalar =
    "934e554d5059010076007b276465736372273a20273c6638272c2027666f727472616e5f6f72646572273a2046616c73"
    "652c20277368617065273a2028292c207d20202020202020202020202020202020202020202020202020202020202020"
    "202020202020202020202020202020202020202020202020202020202020200a0000000000000a40";
// np.save(f, np.arange(6, dtype='<f8').reshape(2, 3))
const char* const np_f8_2x3 =
    "934e554d5059010076007b276465736372273a20273c6638272c2027666f727472616e5f6f72646572273a2046616c73"
    "652c20277368617065273a2028322c2033292c207d202020202020202020202020202020202020202020202020202020"
    "202020202020202020202020202020202020202020202020202020202020200a0000000000000000000000000000f03f"
    "0000000000000040000000000000084000000000000010400000000000001440";
// np.save(f, np.arange(5, dtype='<f4'))
const char* const np_f4_5 =
    "934e554d5059010076007b276465736372273a20273c6634272c2027666f727472616e5f6f72646572273a2046616c73"
    "652c20277368617065273a2028352c292c207d2020202020202020202020202020202020202020202020202020202020"
    "202020202020202020202020202020202020202020202020202020202020200a000000000000803f0000004000004040"
    "00008040";

/// A v1.0 file with the given header dict text (padded like numpy) and data bytes.
std::vector<unsigned char> npy_bytes(const std::string& dict, const std::vector<unsigned char>& data,
                                     int major = 1, int minor = 0) {
  std::vector<unsigned char> out = {0x93, 'N', 'U', 'M', 'P', 'Y', static_cast<unsigned char>(major),
                                    static_cast<unsigned char>(minor)};
  std::string h = dict;
  const std::size_t pre = major == 1 ? 10 : 12;
  h.append(64 - (pre + h.size() + 1) % 64, ' ');
  h += '\n';
  append_le(out, h.size(), major == 1 ? 2 : 4);
  out.insert(out.end(), h.begin(), h.end());
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

std::string f8_dict(const std::string& shape) {
  return "{'descr': '<f8', 'fortran_order': False, 'shape': " + shape + ", }";
}

}  // namespace

TEMPLATE_TEST_CASE("npy round trip is bit-exact for ranks 1-4", "[io][npy]", float, double) {
  TempDir dir;
  const Shape shapes[] = {Shape{7}, Shape{3, 5}, Shape{2, 3, 4}, Shape{2, 3, 7, 9}, Shape{0, 4}};
  int k = 0;
  for (const Shape& s : shapes) {
    Tensor<TestType> t = random_tensor<TestType>(s, unsigned(10 + k), TestType(-1e4), TestType(1e4));
    if (t.size() >= 4) {
      t[0] = -TestType(0);
      t[1] = std::numeric_limits<TestType>::quiet_NaN();
      t[2] = std::numeric_limits<TestType>::denorm_min();
      t[3] = -std::numeric_limits<TestType>::infinity();
    }
    const std::string p = dir.file("t" + std::to_string(k++) + ".npy");
    save_npy<TestType>(p, t);
    CHECK(bit_equal(load_npy<TestType>(p), t));
    const auto bytes = read_bytes(p);
    const std::size_t data_start = 10 + std::size_t(bytes[8]) + 256 * std::size_t(bytes[9]);
    CHECK(data_start % 64 == 0);
    CHECK(bytes.size() == data_start + sizeof(TestType) * std::size_t(t.size()));
  }
}

TEST_CASE("npy writer produces the same bytes as numpy.save", "[io][npy]") {
  TempDir dir;
  Tensor<double> a(Shape{2, 3});
  for (Index i = 0; i < 6; ++i) a[i] = double(i);
  save_npy<double>(dir.file("a.npy"), a);
  CHECK(read_bytes(dir.file("a.npy")) == from_hex(np_f8_2x3));
  Tensor<float> b(Shape{5});
  for (Index i = 0; i < 5; ++i) b[i] = float(i);
  save_npy<float>(dir.file("b.npy"), b);
  CHECK(read_bytes(dir.file("b.npy")) == from_hex(np_f4_5));
}

TEST_CASE("npy reads numpy-written files (v1.0, v2.0, 0-d) and converts between f4 and f8", "[io][npy]") {
  TempDir dir;
  const std::string p = dir.file("np.npy");
  write_bytes(p, from_hex(np_f4_2x3));
  const auto a = load_npy<double>(p);
  REQUIRE(a.shape() == Shape{2, 3});
  const double ea[] = {1.5, -2.0, 0.25, 3.0, -0.0, double(1e-3f)};
  for (int i = 0; i < 6; ++i) CHECK(a[i] == ea[i]);
  CHECK(std::signbit(a[4]));
  CHECK(load_npy<float>(p)[5] == 1e-3f);

  write_bytes(p, from_hex(np_f8_3_v2));
  const auto b = load_npy<double>(p);
  REQUIRE(b.shape() == Shape{3});
  CHECK(b[0] == 0.1);
  CHECK(b[1] == -7.0);
  CHECK(b[2] == std::numeric_limits<double>::denorm_min());
  CHECK(load_npy<float>(p)[0] == 0.1f);  // rounds to nearest

  write_bytes(p, from_hex(np_f8_scalar));
  const auto c = load_npy<double>(p);
  CHECK(c.shape() == Shape{1});
  CHECK(c[0] == 3.25);

  // Python 2 era headers: long suffixes and double quotes.
  write_bytes(p, npy_bytes("{\"descr\": \"<f8\", \"fortran_order\": False, \"shape\": (1L, 2L)}",
                           std::vector<unsigned char>(16, 0)));
  CHECK(load_npy<double>(p).shape() == Shape{1, 2});
}

TEST_CASE("npy: missing files, bad magic, versions and header lengths", "[io][npy][errors]") {
  TempDir dir;
  const std::string p = dir.file("bad.npy");
  require_io_error([&] { load_npy<double>(p); }, "io.100", {p, "no such file"});
  write_bytes(p, {0x93, 'N', 'U'});
  require_io_error([&] { load_npy<double>(p); }, "io.130", {p, "3 bytes"});
  write_bytes(p, {'P', 'K', 3, 4, 0, 0, 0, 0, 0, 0, 0, 0});
  require_io_error([&] { load_npy<double>(p); }, "io.130", {p, "magic", "byte 0"});
  auto v3 = npy_bytes(f8_dict("(1,)"), std::vector<unsigned char>(8, 0), 3);
  write_bytes(p, v3);
  require_io_error([&] { load_npy<double>(p); }, "io.131", {p, "version 3.0", "byte 6"});
  write_bytes(p, npy_bytes(f8_dict("(1,)"), std::vector<unsigned char>(8, 0), 1, 1));
  require_io_error([&] { load_npy<double>(p); }, "io.131", {"version 1.1"});
  write_bytes(p, {0x93, 'N', 'U', 'M', 'P', 'Y', 2, 0, 10, 0});
  require_io_error([&] { load_npy<double>(p); }, "io.132", {p, "too short for the header length"});
  auto full = npy_bytes(f8_dict("(1,)"), {});
  full.resize(40);
  write_bytes(p, full);
  require_io_error([&] { load_npy<double>(p); }, "io.132", {p, "header length 118", "byte 8", "40 bytes"});
}

TEST_CASE("npy: malformed header dicts name the byte offset", "[io][npy][errors]") {
  TempDir dir;
  const std::string p = dir.file("dict.npy");
  struct Case { std::string dict; std::size_t at; std::string what; };
  const Case cases[] = {
      {"{'descr': '<f8', 'fortran_order': False, 'shape': (1,), 'extra': 1}", 56, "unexpected key 'extra'"},
      {"{'descr': '<f8', 'fortran_order': Fals, 'shape': (1,)}", 34, "True or False"},
      {"{'descr': '<f8', 'shape': (1,)}", 0, "must contain"},
      {"{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': (1,)}", 17, "given twice"},
      {"{'descr': '<f8', 'fortran_order': False, 'shape': (1, -2)}", 54, "non-negative integer"},
      {"{'descr': '<f8, 'fortran_order': False, 'shape': (1,)}", 17, "expected '}'"},
      {"['descr']", 0, "expected '{'"},
      {"{'descr': '<f8', 'fortran_order': False, 'shape': (1,)} 7", 56, "after the header dict"},
  };
  for (const auto& c : cases) {
    INFO("dict: " << c.dict);
    write_bytes(p, npy_bytes(c.dict, std::vector<unsigned char>(8, 0)));
    require_io_error([&] { load_npy<double>(p); }, "io.133",
                     {p, "malformed header at byte " + std::to_string(10 + c.at), c.what});
  }
}

TEST_CASE("npy: unsupported dtype, memory order and rank", "[io][npy][errors]") {
  TempDir dir;
  const std::string p = dir.file("kind.npy");
  const std::vector<unsigned char> d8(8, 0);
  for (const char* descr : {">f8", "<i8", "<f2", "|u1", "=f8"}) {
    write_bytes(p, npy_bytes("{'descr': '" + std::string(descr) + "', 'fortran_order': False, 'shape': (1,), }", d8));
    require_io_error([&] { load_npy<double>(p); }, "io.134", {p, std::string("dtype '") + descr + "'"});
  }
  write_bytes(p, npy_bytes("{'descr': [('x', '<f8')], 'fortran_order': False, 'shape': (1,), }", d8));
  require_io_error([&] { load_npy<double>(p); }, "io.134", {p, "structured dtype"});
  write_bytes(p, npy_bytes("{'descr': '<f8', 'fortran_order': True, 'shape': (1,), }", d8));
  require_io_error([&] { load_npy<double>(p); }, "io.135", {p, "fortran_order"});
  write_bytes(p, npy_bytes(f8_dict("(1, 1, 1, 1, 1)"), d8));
  require_io_error([&] { load_npy<double>(p); }, "io.136", {p, "rank 5"});
}

TEST_CASE("npy: truncated data and trailing bytes", "[io][npy][errors]") {
  TempDir dir;
  const std::string p = dir.file("data.npy");
  write_bytes(p, npy_bytes(f8_dict("(2, 3)"), std::vector<unsigned char>(47, 0)));
  require_io_error([&] { load_npy<double>(p); }, "io.137", {p, "shape [2, 3]", "needs 48 data bytes", "from byte 128", "has 47", "truncated"});
  write_bytes(p, npy_bytes(f8_dict("(2, 3)"), std::vector<unsigned char>(50, 0)));
  require_io_error([&] { load_npy<double>(p); }, "io.137", {p, "2 trailing bytes", "from byte 176"});
  write_bytes(p, npy_bytes(f8_dict("(1099511627776, 1099511627776)"), std::vector<unsigned char>(8, 0)));
  require_io_error([&] { load_npy<double>(p); }, "io.139", {p, "(1099511627776, 1099511627776)", "overflows"});
  write_bytes(p, npy_bytes(f8_dict("(1099511627776, 1048576)"), std::vector<unsigned char>(8, 0)));
  require_io_error([&] { load_npy<double>(p); }, "io.137", {p, "needs more data bytes"});
  write_bytes(p, npy_bytes(f8_dict("(0, 1099511627776)"), {}));
  CHECK(load_npy<double>(p).size() == 0);
}

TEST_CASE("npy writer rejects empty views and unwritable paths", "[io][npy][errors]") {
  TempDir dir;
  require_io_error([&] { save_npy<double>(dir.file("e.npy"), ConstView<double>()); }, "io.138", {"empty view"});
  const std::string bad = dir.file("missing/dir/x.npy");
  require_io_error([&] { save_npy<double>(bad, Tensor<double>(Shape{2})); }, "io.102", {bad, "cannot create a temporary file", "No such file or directory"});
}

TEST_CASE("npy: corrupted and truncated files give IoError or a valid load, nothing else", "[io][npy][errors]") {
  TempDir dir;
  const std::string good = dir.file("good.npy"), p = dir.file("bad.npy");
  save_npy<double>(good, random_tensor<double>(Shape{2, 3, 4}, 1));
  const auto bytes = read_bytes(good);
  std::mt19937 gen(7);
  int loaded = 0, rejected = 0;
  for (int iter = 0; iter < 500; ++iter) {
    auto b = bytes;
    if (iter % 4 == 0) {
      b.resize(std::uniform_int_distribution<std::size_t>(0, b.size() - 1)(gen));
    } else {
      for (int k = 0; k < 1 + iter % 3; ++k)
        b[std::uniform_int_distribution<std::size_t>(0, 127)(gen)] =
            static_cast<unsigned char>(std::uniform_int_distribution<int>(0, 255)(gen));
    }
    write_bytes(p, b);
    try {
      load_npy<float>(p);
      ++loaded;
    } catch (const IoError&) {
      ++rejected;
    }
  }
  INFO(loaded << " loaded, " << rejected << " rejected");
  CHECK(rejected > 250);
  CHECK(loaded > 0);
}

// Issue #16 item 6: a shape whose product overflows (hidden by a zero dimension) is an IoError
// naming the file (before: signed overflow in Shape::size(), caught by UBSan).
TEST_CASE("npy: a shape whose product overflows is refused", "[io][npy][errors]") {
  TempDir dir;
  std::string h = "{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776, 1099511627776, 0), }";
  while ((10 + h.size() + 1) % 64) h += ' ';
  h += '\n';
  std::vector<unsigned char> b = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, static_cast<unsigned char>(h.size()), 0};
  b.insert(b.end(), h.begin(), h.end());
  write_bytes(dir.file("o.npy"), b);
  require_io_error([&] { load_npy<float>(dir.file("o.npy")); }, "io.139",
                   {"o.npy", "(1099511627776, 1099511627776, 0)", "overflows"});
}
