#include <cmath>
#include <cstring>
#include <limits>

#include "io/io_test_support.hpp"
#include "support/support.hpp"
#include "attrib/io/safetensors.hpp"

using namespace attrib;
using namespace attrib::test;

namespace {

/// 8-byte length (the header's own unless `len` is given), header text, data bytes.
void craft(const std::string& path, const std::string& header, const std::vector<unsigned char>& data,
           std::uint64_t len = std::numeric_limits<std::uint64_t>::max()) {
  std::vector<unsigned char> out;
  append_le(out, len == std::numeric_limits<std::uint64_t>::max() ? header.size() : len, 8);
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), data.begin(), data.end());
  write_bytes(path, out);
}

std::vector<unsigned char> zeros(std::size_t n) { return std::vector<unsigned char>(n, 0); }

/// Values that a lossy or byte-swapping writer would not reproduce.
template <class T>
Tensor<T> awkward_tensor(const Shape& s, unsigned seed) {
  Tensor<T> t = random_tensor<T>(s, seed, T(-1e3), T(1e3));
  const T special[] = {T(-0.0), std::numeric_limits<T>::infinity(), -std::numeric_limits<T>::infinity(),
                       std::numeric_limits<T>::denorm_min(), std::numeric_limits<T>::max(),
                       std::numeric_limits<T>::lowest(), std::numeric_limits<T>::quiet_NaN(), T(1) / T(3)};
  for (Index i = 0; i < t.size() && i < 8; ++i) t[i] = special[i];
  return t;
}

}  // namespace

TEMPLATE_TEST_CASE("safetensors round trip is bit-exact for ranks 1-4 and keeps metadata",
                   "[io][safetensors]", float, double) {
  TempDir dir;
  const std::string path = dir.file("round.safetensors");
  const Tensor<TestType> a = awkward_tensor<TestType>(Shape{11}, 1);
  const Tensor<TestType> b = awkward_tensor<TestType>(Shape{3, 5}, 2);
  const Tensor<TestType> c = awkward_tensor<TestType>(Shape{2, 3, 4}, 3);
  const Tensor<TestType> d = awkward_tensor<TestType>(Shape{2, 3, 7, 9}, 4);
  const Tensor<TestType> empty(Shape{0, 3});
  const std::map<std::string, std::string> meta = {
      {"format", "pt"}, {"quote\"and\\slash", "line\nbreak\ttab \x01 \xc3\xa9"}, {"", "empty key"}};
  save_safetensors<TestType>(path, {{"z.last", a}, {"b", b}, {"layer.0.weight", c}, {"d", d}, {"empty", empty}},
                             meta);

  const auto st = SafeTensors<TestType>::load(path);
  CHECK(st.names() == std::vector<std::string>{"b", "d", "empty", "layer.0.weight", "z.last"});
  CHECK(bit_equal(st.get("z.last"), a));
  CHECK(bit_equal(st.get("b"), b));
  CHECK(bit_equal(st.get("layer.0.weight"), c));
  CHECK(bit_equal(st.get("d"), d));
  CHECK(st.get("empty").shape() == Shape{0, 3});
  CHECK(st.metadata() == meta);
  CHECK(st.contains("b"));
  CHECK_FALSE(st.contains("c"));
  CHECK(st.skipped().empty());
}

TEST_CASE("safetensors writer is deterministic and follows the layout", "[io][safetensors]") {
  TempDir dir;
  const Tensor<double> x = random_tensor<double>(Shape{2, 3}, 5);
  const Tensor<double> y = random_tensor<double>(Shape{4}, 6);
  save_safetensors<double>(dir.file("1.st"), {{"x", x}, {"y", y}}, {{"k", "v"}});
  save_safetensors<double>(dir.file("2.st"), {{"y", y}, {"x", x}}, {{"k", "v"}});
  const auto bytes = read_bytes(dir.file("1.st"));
  CHECK(bytes == read_bytes(dir.file("2.st")));

  std::uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | bytes[std::size_t(i)];
  CHECK(n % 8 == 0);
  const std::string header(bytes.begin() + 8, bytes.begin() + 8 + std::ptrdiff_t(n));
  // Exact text: keys sorted, __metadata__ first, offsets contiguous, padding with spaces.
  const std::string expected =
      "{\"__metadata__\":{\"k\":\"v\"},"
      "\"x\":{\"dtype\":\"F64\",\"shape\":[2,3],\"data_offsets\":[0,48]},"
      "\"y\":{\"dtype\":\"F64\",\"shape\":[4],\"data_offsets\":[48,80]}}";
  CHECK(header.substr(0, expected.size()) == expected);
  CHECK(header.find_first_not_of(' ', expected.size()) == std::string::npos);
  CHECK(bytes.size() == 8 + n + 80);
  // The data of x starts right after the header, little-endian binary64.
  double x0;
  std::uint64_t u = 0;
  for (int i = 7; i >= 0; --i) u = (u << 8) | bytes[std::size_t(8 + n + std::uint64_t(i))];
  std::memcpy(&x0, &u, 8);
  CHECK(x0 == x[0]);

  save_safetensors<float>(dir.file("f.st"), {{"x", cast<float>(x)}});
  const auto fb = read_bytes(dir.file("f.st"));
  CHECK(std::string(fb.begin() + 8, fb.end()).find("\"dtype\":\"F32\"") != std::string::npos);
}

TEST_CASE("safetensors reads a hand-made file and converts between F32 and F64", "[io][safetensors]") {
  TempDir dir;
  const std::string path = dir.file("hand.safetensors");
  // 1.0f = 0x3f800000, -2.5f = 0xc0200000; 0.1 = 0x3fb999999999999a; scalar 3.25 = 0x400a000000000000.
  const std::string header =
      "{\"a\":{\"dtype\":\"F32\",\"shape\":[1,2],\"data_offsets\":[0,8]},"
      " \"s\" : {\"shape\":[],\"dtype\":\"F64\",\"data_offsets\":[16,24], \"extra\": null},"
      "\"b\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[8,16]},"
      "\"__metadata__\":{\"format\":\"pt\",\"u\":\"\\u00e9\\ud83d\\ude00\"}}  ";
  craft(path, header,
        {0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x20, 0xc0, 0x9a, 0x99, 0x99, 0x99, 0x99, 0x99, 0xb9, 0x3f,
         0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x40});
  const auto d = SafeTensors<double>::load(path);
  CHECK(d.get("a").shape() == Shape{1, 2});
  CHECK(d.get("a")[0] == 1.0);
  CHECK(d.get("a")[1] == -2.5);
  CHECK(d.get("b")[0] == 0.1);
  CHECK(d.get("s").shape() == Shape{1});  // rank-0 scalar becomes [1]
  CHECK(d.get("s")[0] == 3.25);
  CHECK(d.metadata().at("format") == "pt");
  CHECK(d.metadata().at("u") == "\xc3\xa9\xf0\x9f\x98\x80");
  const auto f = SafeTensors<float>::load(path);
  CHECK(f.get("b")[0] == 0.1f);  // F64 -> float rounds to nearest
  CHECK(f.get("a")[1] == -2.5f);
}

TEST_CASE("safetensors reads the Python-written fixture exactly", "[io][safetensors]") {
  // tools/fixtures.py writes io_check.* from numpy: arange values, exactly representable.
  const auto st = SafeTensors<double>::load(std::string(ATTRIB_TEST_DATA_DIR) + "/layers.safetensors");
  const Tensor<double>& a = st.get("io_check.arange_f64");
  REQUIRE(a.shape() == Shape{2, 3, 4});
  for (Index i = 0; i < a.size(); ++i) CHECK(a[i] == double(i) - 11.5);
  const Tensor<double>& b = st.get("io_check.arange_f32");
  REQUIRE(b.shape() == Shape{2, 1, 2, 3});
  for (Index i = 0; i < b.size(); ++i) CHECK(b[i] == 0.25 * double(i));
  CHECK(st.get("io_check.scalar").shape() == Shape{1});
  CHECK(st.get("io_check.scalar")[0] == -0.5);
  CHECK(st.metadata().at("generator") == "tools/make_layer_fixtures.py");
}

TEST_CASE("safetensors: missing, unreadable and too short files", "[io][safetensors][errors]") {
  TempDir dir;
  const std::string missing = dir.file("nope.safetensors");
  require_io_error([&] { SafeTensors<double>::load(missing); }, "io.100", {missing, "no such file"});
  require_io_error([&] { SafeTensors<double>::load(dir.path().string()); }, "io.100", {"not a regular file"});
  const std::string tiny = dir.file("tiny.safetensors");
  write_bytes(tiny, {1, 2, 3});
  require_io_error([&] { SafeTensors<double>::load(tiny); }, "io.110", {tiny, "3 bytes"});
}

TEST_CASE("safetensors: header length past the file end or above the limit", "[io][safetensors][errors]") {
  TempDir dir;
  const std::string p = dir.file("len.safetensors");
  craft(p, "{}", {}, 500);
  require_io_error([&] { SafeTensors<double>::load(p); }, "io.111", {p, "header length 500", "byte 0", "10 bytes"});
  craft(p, "{}", {}, 200'000'000);
  require_io_error([&] { SafeTensors<double>::load(p); }, "io.111", {p, "200000000", "limit of 100000000"});
  craft(p, "{}", {}, ~std::uint64_t(0) - 3);  // must not wrap around
  require_io_error([&] { SafeTensors<double>::load(p); }, "io.111", {p});
}

TEST_CASE("safetensors: malformed JSON headers name the byte offset", "[io][safetensors][errors]") {
  TempDir dir;
  const std::string p = dir.file("json.safetensors");
  struct Case { std::string header; std::size_t at; std::string what; };
  const Case cases[] = {
      {"{\"a\":{\"dtype\":\"F32\",,}}", 20, "expected a string key"},
      {"{\"a\":{\"dtype\":\"F32\"}", 20, "end of text"},
      {"", 0, "end of text"},
      {"{\"a\":1,\"a\":2}", 7, "duplicate key \"a\""},
      {"{\"a\":tru}", 8, "literal"},
      {"{\"a\":01}", 6, "leading zeros"},
      {"{\"a\":\"x\ny\"}", 7, "control character"},
      {"{\"a\":\"\\q\"}", 7, "invalid escape"},
      {"{\"a\":\"\\ud800\"}", 6, "surrogate"},
      {"{} x", 3, "after the JSON value"},
      {std::string(100, '[') + std::string(100, ']'), 65, "nesting"},
  };
  for (const auto& c : cases) {
    INFO("header: " << c.header);
    craft(p, c.header, {});
    require_io_error([&] { SafeTensors<double>::load(p); }, "io.112",
                     {p, "malformed JSON header at byte " + std::to_string(8 + c.at), c.what});
  }
}

TEST_CASE("safetensors: structurally wrong headers", "[io][safetensors][errors]") {
  TempDir dir;
  const std::string p = dir.file("struct.safetensors");
  craft(p, "[1, 2]", {});
  require_io_error([&] { SafeTensors<double>::load(p); }, "io.113", {p, "header is a JSON array"});
  craft(p, "{\"w\": 3}", {});
  require_io_error([&] { SafeTensors<double>::load(p); }, "io.113", {"tensor 'w'", "header byte 14", "expected an object"});
  craft(p, "{\"w\":{\"dtype\":\"F32\",\"shape\":[2]}}", zeros(8));
  require_io_error([&] { SafeTensors<double>::load(p); }, "io.113", {"tensor 'w'", "data_offsets"});
  craft(p, "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8,9]}}", zeros(8));
  require_io_error([&] { SafeTensors<double>::load(p); }, "io.113", {"tensor 'w'", "two non-negative integers"});
  craft(p, "{\"w\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", zeros(8));
  require_io_error([&] { SafeTensors<double>::load(p); }, "io.113", {"tensor 'w'", "\"shape\""});
  craft(p, "{\"w\":{\"dtype\":\"F32\",\"shape\":[2.0],\"data_offsets\":[0,8]}}", zeros(8));
  require_io_error([&] { SafeTensors<double>::load(p); }, "io.113", {"tensor 'w'", "\"shape\""});
  craft(p, "{\"w\":{\"dtype\":32,\"shape\":[2],\"data_offsets\":[0,8]}}", zeros(8));
  require_io_error([&] { SafeTensors<double>::load(p); }, "io.113", {"tensor 'w'", "\"dtype\""});
  craft(p, "{\"__metadata__\":{\"k\":1}}", {});
  require_io_error([&] { SafeTensors<double>::load(p); }, "io.113", {p, "metadata value \"k\"", "header byte 29"});
  craft(p, "{\"__metadata__\":[]}", {});
  require_io_error([&] { SafeTensors<double>::load(p); }, "io.113", {"\"__metadata__\"", "array"});
}

TEST_CASE("safetensors: unsupported dtypes are rejected, or skipped on request", "[io][safetensors][errors]") {
  TempDir dir;
  const std::string p = dir.file("dtype.safetensors");
  craft(p,
        "{\"bn.num_batches_tracked\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[0,8]},"
        "\"bn.weight\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]},"
        "\"half\":{\"dtype\":\"F16\",\"shape\":[2,2],\"data_offsets\":[16,24]}}",
        zeros(24));
  require_io_error([&] { SafeTensors<double>::load(p); }, "io.114", {p, "tensor 'bn.num_batches_tracked'", "dtype I64", "F32 and F64"});
  const auto st = SafeTensors<float>::load(p, UnsupportedDtype::skip);
  CHECK(st.names() == std::vector<std::string>{"bn.weight"});
  CHECK(st.skipped() == std::vector<std::string>{"bn.num_batches_tracked", "half"});
  require_io_error([&] { st.get("half"); }, "io.120", {"no tensor 'half'", "available: 'bn.weight'"});

  craft(p, "{\"h\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]}}", zeros(4));
  require_io_error([&] { SafeTensors<float>::load(p); }, "io.114", {"tensor 'h'", "dtype F16"});
  craft(p, "{\"h\":{\"dtype\":\"Q4\",\"shape\":[2],\"data_offsets\":[0,4]}}", zeros(4));
  require_io_error([&] { SafeTensors<float>::load(p); }, "io.114", {"tensor 'h'", "dtype Q4 (unknown)"});
  // Skipped tensors still have their offsets checked against dtype x shape.
  craft(p, "{\"h\":{\"dtype\":\"F16\",\"shape\":[3],\"data_offsets\":[0,4]}}", zeros(4));
  require_io_error([&] { SafeTensors<float>::load(p, UnsupportedDtype::skip); }, "io.117", {"tensor 'h'", "need 6 bytes"});
}

TEST_CASE("safetensors: rank above 4 is refused", "[io][safetensors][errors]") {
  TempDir dir;
  const std::string p = dir.file("rank.safetensors");
  craft(p, "{\"r5\":{\"dtype\":\"F64\",\"shape\":[1,1,1,1,2],\"data_offsets\":[0,16]}}", zeros(16));
  require_io_error([&] { SafeTensors<double>::load(p); }, "io.115", {p, "tensor 'r5'", "rank 5", "header byte 14"});
}

TEST_CASE("safetensors: offsets outside the buffer, truncated data and size mismatches", "[io][safetensors][errors]") {
  TempDir dir;
  const std::string p = dir.file("off.safetensors");
  // A valid file, then truncated by 3 bytes.
  save_safetensors<double>(p, {{"a", random_tensor<double>(Shape{2, 2}, 1)}, {"b", random_tensor<double>(Shape{3}, 2)}});
  auto bytes = read_bytes(p);
  const std::size_t full = bytes.size();
  bytes.resize(full - 3);
  write_bytes(p, bytes);
  require_io_error([&] { SafeTensors<double>::load(p); }, "io.116",
                   {p, "tensor 'b'", "data_offsets [32, 56]", "data buffer of 53 bytes", "truncated"});

  craft(p, "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}", zeros(4));
  require_io_error([&] { SafeTensors<double>::load(p); }, "io.116", {"tensor 'a'", "begin is after its end"});

  craft(p, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,16]}}", zeros(16));
  require_io_error([&] { SafeTensors<double>::load(p); }, "io.117",
                   {p, "tensor 'a'", "[0, 16] (16 bytes)", "dtype F32 and shape [2, 3] need 24 bytes"});
  craft(p, "{\"a\":{\"dtype\":\"F64\",\"shape\":[4611686018427387904, 4],\"data_offsets\":[0,16]}}", zeros(16));
  require_io_error([&] { SafeTensors<double>::load(p); }, "io.117", {"tensor 'a'", "more than 2^62"});
}

TEST_CASE("safetensors: overlapping tensors, holes and trailing bytes", "[io][safetensors][errors]") {
  TempDir dir;
  const std::string p = dir.file("cover.safetensors");
  craft(p,
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
        "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
        zeros(12));
  require_io_error([&] { SafeTensors<double>::load(p); }, "io.118", {p, "'a' [0, 8]", "'b' [4, 12]", "overlap"});
  craft(p,
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
        "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}",
        zeros(12));
  require_io_error([&] { SafeTensors<double>::load(p); }, "io.119", {p, "[4, 8)", "before tensor 'b'"});
  const std::string h = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
  craft(p, h, zeros(7));
  require_io_error([&] { SafeTensors<double>::load(p); }, "io.119",
                   {p, "3 trailing bytes", "file byte " + std::to_string(8 + h.size() + 4)});
  // Zero-size tensors may share an offset with their neighbours.
  craft(p,
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
        "\"e\":{\"dtype\":\"F32\",\"shape\":[0,5],\"data_offsets\":[4,4]},"
        "\"f\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}",
        zeros(4));
  const auto st = SafeTensors<double>::load(p);
  CHECK(st.get("e").shape() == Shape{0, 5});
  CHECK(st.get("f").size() == 0);
}

TEST_CASE("safetensors: missing tensor names list what is available", "[io][safetensors][errors]") {
  TempDir dir;
  const std::string p = dir.file("names.safetensors");
  save_safetensors<float>(p, {{"w", Tensor<float>(Shape{1})}, {"b", Tensor<float>(Shape{1})}});
  const auto st = SafeTensors<float>::load(p);
  require_io_error([&] { st.get("weight"); }, "io.120", {p, "no tensor 'weight'", "available: 'b', 'w'"});
}

TEST_CASE("safetensors writer rejects bad names and unwritable paths", "[io][safetensors][errors]") {
  TempDir dir;
  const Tensor<double> t(Shape{2});
  const std::string p = dir.file("w.safetensors");
  require_io_error([&] { save_safetensors<double>(p, {{"", t}}); }, "io.121", {p, "invalid tensor name ''"});
  require_io_error([&] { save_safetensors<double>(p, {{"__metadata__", t}}); }, "io.121", {"'__metadata__'"});
  require_io_error([&] { save_safetensors<double>(p, {{"a", t}, {"a", t}}); }, "io.121", {"'a' given twice"});
  require_io_error([&] { save_safetensors<double>(p, {{"a", ConstView<double>()}}); }, "io.121", {"'a' is an empty view"});
  const std::string bad = dir.file("no/such/dir/w.safetensors");
  require_io_error([&] { save_safetensors<double>(bad, {{"a", t}}); }, "io.102", {bad, "cannot create a temporary file", "No such file or directory"});
}

TEST_CASE("safetensors: corrupted and truncated files give IoError or a valid load, nothing else",
          "[io][safetensors][errors]") {
  TempDir dir;
  const std::string good = dir.file("good.safetensors"), p = dir.file("bad.safetensors");
  save_safetensors<double>(good, {{"w", random_tensor<double>(Shape{2, 3, 2, 2}, 1)},
                                  {"b", random_tensor<double>(Shape{3}, 2)}},
                           {{"k", "v"}});
  const auto bytes = read_bytes(good);
  std::mt19937 gen(42);
  int loaded = 0, rejected = 0;
  for (int iter = 0; iter < 500; ++iter) {
    auto b = bytes;
    if (iter % 4 == 0) {
      b.resize(std::uniform_int_distribution<std::size_t>(0, b.size() - 1)(gen));
    } else {
      const std::size_t span = iter % 2 ? 8 + 160 : b.size();  // mostly the length and header
      for (int k = 0; k < 1 + iter % 3; ++k)
        b[std::uniform_int_distribution<std::size_t>(0, span - 1)(gen)] =
            static_cast<unsigned char>(std::uniform_int_distribution<int>(0, 255)(gen));
    }
    write_bytes(p, b);
    try {
      const auto st = SafeTensors<float>::load(p);
      ++loaded;
    } catch (const IoError&) {
      ++rejected;
    }
  }
  INFO(loaded << " loaded, " << rejected << " rejected");
  CHECK(rejected > 250);
  CHECK(loaded > 0);
}
