#pragma once
// A small JSON (RFC 8259) reader and string quoter: just enough for safetensors headers and
// the fixture metadata. Not a general JSON library; users should not name anything here.
//
// parse() keeps the byte offset of every value so that callers can say *where* a header is
// wrong. It rejects duplicate object keys, nesting deeper than max_depth, control characters
// in strings, lone surrogates and anything but whitespace after the top-level value.
#include "attrib/core/config.hpp"
#include "attrib/core/error.hpp"
#include <cstdint>
#include <cstdio>
#include <locale>
#include <sstream>
#include <string>
#include <vector>

ATTRIB_BEGIN_NAMESPACE
namespace detail::json {

/// Thrown by parse(): `offset` is the byte offset of the problem within the parsed text.
struct ParseError {
  std::size_t offset;
  std::string what;
};

class Value {
 public:
  enum class Type { null, boolean, number, string, array, object };

  Type type() const { return type_; }
  bool is_object() const { return type_ == Type::object; }
  bool is_array() const { return type_ == Type::array; }
  bool is_string() const { return type_ == Type::string; }
  bool is_number() const { return type_ == Type::number; }
  /// A number written without sign, fraction or exponent that fits in 64 bits.
  bool is_unsigned() const { return type_ == Type::number && integral_ && !negative_; }
  /// Byte offset of the value's first character in the parsed text.
  std::size_t offset() const { return offset_; }

  bool as_bool() const { return boolean_; }
  double as_double() const { return number_; }
  std::uint64_t as_unsigned() const { return magnitude_; }
  const std::string& as_string() const { return text_; }
  /// Array elements (empty unless is_array()).
  const std::vector<Value>& items() const { return items_; }
  /// Object keys in file order and the matching values (empty unless is_object()).
  const std::vector<std::string>& keys() const { return keys_; }
  const std::vector<Value>& values() const { return items_; }
  /// The member called `key`, or nullptr.
  const Value* find(const std::string& key) const {
    for (std::size_t i = 0; i < keys_.size(); ++i)
      if (keys_[i] == key) return &items_[i];
    return nullptr;
  }
  /// "object", "string", ... for messages.
  const char* type_name() const {
    static const char* const names[] = {"null", "boolean", "number", "string", "array", "object"};
    return names[static_cast<int>(type_)];
  }

 private:
  friend class Parser;
  Type type_ = Type::null;
  std::size_t offset_ = 0;
  bool boolean_ = false;
  bool integral_ = false, negative_ = false;
  std::uint64_t magnitude_ = 0;
  double number_ = 0;
  std::string text_;
  std::vector<std::string> keys_;
  std::vector<Value> items_;  // array elements or object values
};

class Parser {
 public:
  static constexpr int max_depth = 64;

  Parser(const char* text, std::size_t size) : s_(text), n_(size) {}

  /// Parses the whole text: one value surrounded by optional whitespace.
  Value parse_document() {
    skip_ws();
    Value v = parse_value(0);
    skip_ws();
    if (pos_ != n_) fail("unexpected character after the JSON value");
    return v;
  }

 private:
  const char* s_;
  std::size_t n_, pos_ = 0;

  [[noreturn]] void fail(const std::string& what) const { fail_at(pos_, what); }
  [[noreturn]] void fail_at(std::size_t at, const std::string& what) const {
#if ATTRIB_NO_EXCEPTIONS
    detail::handle_error("attrib.io.112", "IoError",
                         detail::cat("[attrib.io.112] malformed JSON at byte ", at, ": ", what));
#else
    throw ParseError{at, what};
#endif
  }

  bool at_end() const { return pos_ >= n_; }
  char peek() const { return at_end() ? '\0' : s_[pos_]; }
  void skip_ws() {
    while (!at_end() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r'))
      ++pos_;
  }
  void expect(char c) {
    if (at_end()) fail(std::string("unexpected end of text, expected '") + c + "'");
    if (s_[pos_] != c) fail(std::string("expected '") + c + "', found " + describe(s_[pos_]));
    ++pos_;
  }
  static std::string describe(char c) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f) return std::string("'") + c + "'";
    char buf[8];
    std::snprintf(buf, sizeof buf, "0x%02x", u);
    return std::string("byte ") + buf;
  }

  Value parse_value(int depth) {
    if (depth > max_depth) fail("nesting deeper than 64 levels below the top-level value");
    if (at_end()) fail("unexpected end of text, expected a value");
    Value v;
    v.offset_ = pos_;
    switch (s_[pos_]) {
      case '{': parse_object(v, depth); break;
      case '[': parse_array(v, depth); break;
      case '"': v.type_ = Value::Type::string; v.text_ = parse_string(); break;
      case 't': literal("true"); v.type_ = Value::Type::boolean; v.boolean_ = true; break;
      case 'f': literal("false"); v.type_ = Value::Type::boolean; break;
      case 'n': literal("null"); break;
      default:
        if (s_[pos_] == '-' || (s_[pos_] >= '0' && s_[pos_] <= '9')) parse_number(v);
        else fail("expected a value, found " + describe(s_[pos_]));
    }
    return v;
  }

  void literal(const char* word) {
    for (const char* c = word; *c; ++c, ++pos_)
      if (at_end() || s_[pos_] != *c) fail(std::string("invalid literal, expected '") + word + "'");
  }

  void parse_object(Value& v, int depth) {
    v.type_ = Value::Type::object;
    expect('{');
    skip_ws();
    if (peek() == '}') { ++pos_; return; }
    for (;;) {
      skip_ws();
      const std::size_t key_at = pos_;
      if (peek() != '"') fail("expected a string key");
      std::string key = parse_string();
      for (const auto& k : v.keys_)
        if (k == key) fail_at(key_at, "duplicate key \"" + key + "\"");
      skip_ws();
      expect(':');
      skip_ws();
      v.keys_.push_back(std::move(key));
      v.items_.push_back(parse_value(depth + 1));
      skip_ws();
      if (peek() == ',') { ++pos_; continue; }
      expect('}');
      return;
    }
  }

  void parse_array(Value& v, int depth) {
    v.type_ = Value::Type::array;
    expect('[');
    skip_ws();
    if (peek() == ']') { ++pos_; return; }
    for (;;) {
      skip_ws();
      v.items_.push_back(parse_value(depth + 1));
      skip_ws();
      if (peek() == ',') { ++pos_; continue; }
      expect(']');
      return;
    }
  }

  unsigned hex4() {
    unsigned u = 0;
    for (int i = 0; i < 4; ++i, ++pos_) {
      const char c = peek();
      u <<= 4;
      if (c >= '0' && c <= '9') u |= unsigned(c - '0');
      else if (c >= 'a' && c <= 'f') u |= unsigned(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') u |= unsigned(c - 'A' + 10);
      else fail("invalid \\u escape, expected 4 hex digits");
    }
    return u;
  }
  static void append_utf8(std::string& out, unsigned cp) {
    if (cp < 0x80) {
      out += char(cp);
    } else if (cp < 0x800) {
      out += char(0xC0 | (cp >> 6));
      out += char(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += char(0xE0 | (cp >> 12));
      out += char(0x80 | ((cp >> 6) & 0x3F));
      out += char(0x80 | (cp & 0x3F));
    } else {
      out += char(0xF0 | (cp >> 18));
      out += char(0x80 | ((cp >> 12) & 0x3F));
      out += char(0x80 | ((cp >> 6) & 0x3F));
      out += char(0x80 | (cp & 0x3F));
    }
  }

  std::string parse_string() {
    expect('"');
    std::string out;
    for (;;) {
      if (at_end()) fail("unterminated string");
      const char c = s_[pos_];
      if (c == '"') { ++pos_; return out; }
      if (static_cast<unsigned char>(c) < 0x20) fail("control character " + describe(c) + " in string");
      if (c != '\\') { out += c; ++pos_; continue; }
      ++pos_;
      const char e = peek();
      ++pos_;
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          const std::size_t at = pos_ - 2;
          unsigned cp = hex4();
          if (cp >= 0xDC00 && cp <= 0xDFFF) fail_at(at, "lone low surrogate in \\u escape");
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (peek() != '\\' || pos_ + 1 >= n_ || s_[pos_ + 1] != 'u')
              fail_at(at, "high surrogate not followed by a low surrogate");
            pos_ += 2;
            const unsigned lo = hex4();
            if (lo < 0xDC00 || lo > 0xDFFF) fail_at(at, "high surrogate not followed by a low surrogate");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          }
          append_utf8(out, cp);
          break;
        }
        default:
          --pos_;
          fail("invalid escape sequence");
      }
    }
  }

  void parse_number(Value& v) {
    v.type_ = Value::Type::number;
    const std::size_t start = pos_;
    bool overflow = false;
    if (peek() == '-') { v.negative_ = true; ++pos_; }
    if (peek() == '0') {
      ++pos_;
      if (peek() >= '0' && peek() <= '9') fail("leading zeros are not allowed in numbers");
    } else if (peek() >= '1' && peek() <= '9') {
      while (peek() >= '0' && peek() <= '9') {
        const auto d = static_cast<std::uint64_t>(peek() - '0');
        if (v.magnitude_ > (UINT64_MAX - d) / 10) overflow = true;
        else v.magnitude_ = v.magnitude_ * 10 + d;
        ++pos_;
      }
    } else {
      fail("invalid number");
    }
    bool integral = true;
    if (peek() == '.') {
      integral = false;
      ++pos_;
      if (!(peek() >= '0' && peek() <= '9')) fail("expected a digit after the decimal point");
      while (peek() >= '0' && peek() <= '9') ++pos_;
    }
    if (peek() == 'e' || peek() == 'E') {
      integral = false;
      ++pos_;
      if (peek() == '+' || peek() == '-') ++pos_;
      if (!(peek() >= '0' && peek() <= '9')) fail("expected a digit in the exponent");
      while (peek() >= '0' && peek() <= '9') ++pos_;
    }
    v.integral_ = integral && !overflow;
    std::istringstream is(std::string(s_ + start, pos_ - start));
    is.imbue(std::locale::classic());  // '.' whatever the global locale says
    is >> v.number_;
  }
};

/// Parses `text` (a complete JSON document); throws ParseError.
inline Value parse(const std::string& text) { return Parser(text.data(), text.size()).parse_document(); }

/// `s` as a JSON string literal, with quotes and escapes.
inline std::string quote(const std::string& s) {
  std::string out = "\"";
  for (const char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

}  // namespace detail::json
ATTRIB_END_NAMESPACE
