#include "config/json_syntax.hpp"

#include <cmath>
#include <cstdint>
#include <cstdlib>

namespace mqrelay::config {
namespace {

// Recursive descent over RFC 8259. Each parse_* either consumes one construct and returns true, or
// records the first error (err_) and returns false; nothing is consumed after an error.
class scanner {
 public:
  scanner(std::string_view t, std::size_t max_depth) : t_(t), max_depth_(max_depth) {}

  std::optional<syntax_error> run() {
    skip_ws();
    if (at_end()) return fail("the text is empty: expected a JSON value"), err_;
    if (!value(0)) return err_;
    skip_ws();
    if (!at_end()) return fail("unexpected text after the JSON value"), err_;
    return std::nullopt;
  }

 private:
  bool at_end() const noexcept { return pos_ >= t_.size(); }
  char peek() const noexcept { return at_end() ? '\0' : t_[pos_]; }

  bool fail(const char* msg) { return fail_at(pos_, msg); }
  bool fail_at(std::size_t at, const char* msg) {
    if (!err_) err_ = syntax_error{at, msg};
    return false;
  }

  void skip_ws() noexcept {
    while (!at_end()) {
      char c = t_[pos_];
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
      ++pos_;
    }
  }

  bool value(std::size_t depth) {
    if (depth >= max_depth_) return fail("nesting too deep");
    switch (peek()) {
      case '{': return object(depth + 1);
      case '[': return array(depth + 1);
      case '"': return string();
      case 't': return literal("true");
      case 'f': return literal("false");
      case 'n': return literal("null");
      case '\0':
        if (at_end()) return fail("unexpected end of input: expected a value");
        return fail("unexpected character: expected a value");
      case '\'': return fail("strings must be in double quotes");
      default:
        if (peek() == '-' || (peek() >= '0' && peek() <= '9')) return number();
        return fail("unexpected character: expected a value (object, array, string, number, true, false or null)");
    }
  }

  bool literal(std::string_view word) {
    if (t_.substr(pos_, word.size()) != word) return fail("invalid literal: expected true, false or null");
    pos_ += word.size();
    return true;
  }

  bool object(std::size_t depth) {
    ++pos_;  // '{'
    skip_ws();
    if (peek() == '}') return ++pos_, true;
    for (;;) {
      skip_ws();
      if (at_end()) return fail("unexpected end of input inside an object: expected '}'");
      if (peek() != '"') return fail(peek() == '}' ? "trailing comma before '}'" : "expected a member name in double quotes");
      if (!string()) return false;
      skip_ws();
      if (peek() != ':') return fail("expected ':' after the member name");
      ++pos_;
      skip_ws();
      if (!value(depth)) return false;
      skip_ws();
      if (peek() == ',') { ++pos_; continue; }
      if (peek() == '}') return ++pos_, true;
      if (at_end()) return fail("unexpected end of input inside an object: expected '}'");
      return fail("expected ',' or '}' after an object member");
    }
  }

  bool array(std::size_t depth) {
    ++pos_;  // '['
    skip_ws();
    if (peek() == ']') return ++pos_, true;
    for (;;) {
      skip_ws();
      if (peek() == ']') return fail("trailing comma before ']'");
      if (!value(depth)) return false;
      skip_ws();
      if (peek() == ',') { ++pos_; continue; }
      if (peek() == ']') return ++pos_, true;
      if (at_end()) return fail("unexpected end of input inside an array: expected ']'");
      return fail("expected ',' or ']' after an array element");
    }
  }

  static int hex(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  // One UTF-8 sequence starting at pos_ (RFC 3629: no overlongs, no surrogates, ≤ U+10FFFF).
  bool utf8() {
    auto b = [&](std::size_t i) { return static_cast<std::uint8_t>(t_[pos_ + i]); };
    std::uint8_t c = b(0);
    std::size_t n = 0;
    std::uint8_t lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) n = 1;
    else if (c == 0xE0) n = 2, lo = 0xA0;
    else if (c >= 0xE1 && c <= 0xEC) n = 2;
    else if (c == 0xED) n = 2, hi = 0x9F;
    else if (c >= 0xEE && c <= 0xEF) n = 2;
    else if (c == 0xF0) n = 3, lo = 0x90;
    else if (c >= 0xF1 && c <= 0xF3) n = 3;
    else if (c == 0xF4) n = 3, hi = 0x8F;
    else return fail("invalid UTF-8 byte");
    if (pos_ + n >= t_.size()) return fail("truncated UTF-8 sequence");
    if (b(1) < lo || b(1) > hi) return fail("invalid UTF-8 sequence");
    for (std::size_t i = 2; i <= n; ++i)
      if (b(i) < 0x80 || b(i) > 0xBF) return fail("invalid UTF-8 sequence");
    pos_ += n + 1;
    return true;
  }

  bool string() {
    ++pos_;  // '"'
    for (;;) {
      if (at_end()) return fail("unexpected end of input inside a string: missing '\"'");
      auto c = static_cast<unsigned char>(t_[pos_]);
      if (c == '"') return ++pos_, true;
      if (c < 0x20) return fail(c == '\n' ? "line break inside a string (missing '\"'?)" : "control character inside a string: escape it");
      if (c == '\\') {
        ++pos_;
        if (at_end()) return fail("unexpected end of input in an escape sequence");
        char e = t_[pos_];
        if (e == 'u') {
          for (std::size_t i = 1; i <= 4; ++i)
            if (pos_ + i >= t_.size() || hex(t_[pos_ + i]) < 0) return fail("\\u must be followed by 4 hexadecimal digits");
          pos_ += 5;
        } else if (e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' || e == 'r' || e == 't') {
          ++pos_;
        } else {
          return fail("invalid escape sequence");
        }
        continue;
      }
      if (c >= 0x80) {
        if (!utf8()) return false;
        continue;
      }
      ++pos_;
    }
  }

  bool digits() {
    if (at_end() || peek() < '0' || peek() > '9') return fail("expected a digit");
    while (!at_end() && peek() >= '0' && peek() <= '9') ++pos_;
    return true;
  }

  bool number() {
    const std::size_t start = pos_;
    const bool negative = peek() == '-';
    if (negative) ++pos_;
    if (peek() == '0') {
      ++pos_;
      if (peek() >= '0' && peek() <= '9') return fail("leading zeros are not allowed in numbers");
    } else if (!digits()) {
      return false;
    }
    bool integer = true;
    if (peek() == '.') {
      integer = false;
      ++pos_;
      if (!digits()) return false;
    }
    if (peek() == 'e' || peek() == 'E') {
      integer = false;
      ++pos_;
      if (peek() == '+' || peek() == '-') ++pos_;
      if (!digits()) return false;
    }
    if (!integer) {
      // simdjson refuses numbers that overflow a double (1e400).
      const std::string copy(t_.substr(start, pos_ - start));
      if (std::isinf(std::strtod(copy.c_str(), nullptr))) return fail_at(start, "number out of range (beyond a double)");
    }
    if (integer) {
      // simdjson accepts integers within int64 or uint64 only.
      std::string_view d = t_.substr(start + (negative ? 1 : 0), pos_ - start - (negative ? 1 : 0));
      constexpr std::string_view max_u = "18446744073709551615", max_neg = "9223372036854775808";
      std::string_view limit = negative ? max_neg : max_u;
      if (d.size() > limit.size() || (d.size() == limit.size() && d > limit))
        return fail_at(start, "integer out of range (beyond 64 bits)");
    }
    return true;
  }

  std::string_view t_;
  std::size_t max_depth_;
  std::size_t pos_ = 0;
  std::optional<syntax_error> err_;
};

}  // namespace

std::optional<syntax_error> find_syntax_error(std::string_view text, std::size_t max_depth) {
  return scanner(text, max_depth).run();
}

line_col locate(std::string_view text, std::size_t offset) noexcept {
  line_col lc;
  if (offset > text.size()) offset = text.size();
  for (std::size_t i = 0; i < offset; ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c == '\n') {
      ++lc.line;
      lc.column = 1;
    } else if ((c & 0xC0) != 0x80) {  // not a UTF-8 continuation byte
      ++lc.column;
    }
  }
  return lc;
}

}  // namespace mqrelay::config
