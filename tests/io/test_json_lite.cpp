#include <catch2/catch.hpp>
#include <cstdint>
#include <string>

#include "attrib/io/detail/json_lite.hpp"

using attrib::detail::json::ParseError;
using attrib::detail::json::Value;
using attrib::detail::json::parse;
using attrib::detail::json::quote;

namespace {
ParseError parse_error(const std::string& text) {
  try {
    parse(text);
  } catch (const ParseError& e) {
    return e;
  }
  FAIL("no ParseError for: " << text);
  return {};
}
}  // namespace

TEST_CASE("json_lite parses nested documents and keeps value offsets", "[io][json]") {
  const Value v = parse(" {\"a\": [1, 2.5, -3, true, false, null], \"b\": {\"c\": \"d\"}, \"e\": []} ");
  REQUIRE(v.is_object());
  CHECK(v.keys() == std::vector<std::string>{"a", "b", "e"});
  const Value& a = *v.find("a");
  REQUIRE(a.items().size() == 6);
  CHECK(a.offset() == 7);
  CHECK(a.items()[0].is_unsigned());
  CHECK(a.items()[0].as_unsigned() == 1);
  CHECK(a.items()[1].is_number());
  CHECK_FALSE(a.items()[1].is_unsigned());
  CHECK(a.items()[1].as_double() == 2.5);
  CHECK_FALSE(a.items()[2].is_unsigned());
  CHECK(a.items()[2].as_double() == -3.0);
  CHECK(a.items()[3].as_bool());
  CHECK_FALSE(a.items()[4].as_bool());
  CHECK(a.items()[5].type() == Value::Type::null);
  CHECK(v.find("b")->find("c")->as_string() == "d");
  CHECK(v.find("b")->find("c")->offset() == 51);
  CHECK(v.find("e")->is_array());
  CHECK(v.find("zz") == nullptr);
}

TEST_CASE("json_lite integers are exact up to 2^64 - 1 and flagged beyond", "[io][json]") {
  CHECK(parse("18446744073709551615").as_unsigned() == UINT64_MAX);
  CHECK(parse("18446744073709551615").is_unsigned());
  CHECK_FALSE(parse("18446744073709551616").is_unsigned());
  CHECK(parse("9007199254740993").as_unsigned() == 9007199254740993ull);  // not a double
  CHECK_FALSE(parse("1e3").is_unsigned());
  CHECK(parse("1e3").as_double() == 1000.0);
  CHECK_FALSE(parse("-0").is_unsigned());
  CHECK(parse("0").is_unsigned());
}

TEST_CASE("json_lite string escapes and quote() round trip", "[io][json]") {
  CHECK(parse("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"").as_string() == "\"\\/\b\f\n\r\t");
  CHECK(parse("\"\\u0041\\u00e9\\u20ac\\ud83d\\ude00\"").as_string() == "A\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
  std::string all;
  for (int c = 1; c < 256; ++c) all += static_cast<char>(c);
  CHECK(parse(quote(all)).as_string() == all);
  CHECK(quote("a\"b\x01") == "\"a\\\"b\\u0001\"");
}

TEST_CASE("json_lite rejects malformed text with the byte offset", "[io][json][errors]") {
  struct Case { const char* text; std::size_t at; const char* what; };
  const Case cases[] = {
      {"{\"a\" 1}", 5, "expected ':'"},
      {"[1 2]", 3, "expected ']'"},
      {"[1,]", 3, "expected a value"},
      {"\"abc", 4, "unterminated"},
      {"\"\\u12g4\"", 5, "hex digits"},
      {"\"\\udc00\"", 1, "lone low surrogate"},
      {"\"\\ud800\\u0041\"", 1, "low surrogate"},
      {"-", 1, "invalid number"},
      {"1.", 2, "decimal point"},
      {"1e+", 3, "exponent"},
      {"nul", 3, "literal"},
      {"{\"k\":1,\"k\":1}", 7, "duplicate key"},
      {"1 2", 2, "after the JSON value"},
  };
  for (const auto& c : cases) {
    INFO("text: " << c.text);
    const ParseError e = parse_error(c.text);
    CHECK(e.offset == c.at);
    CHECK(e.what.find(c.what) != std::string::npos);
  }
  CHECK(parse_error(std::string(66, '[') + std::string(66, ']')).offset == 65);
  CHECK_NOTHROW(parse(std::string(65, '[') + std::string(65, ']')));
}
