// A small JSON (RFC 8259) syntax checker whose only job is to say *where* a text is invalid.
// simdjson reports what is wrong but not where; when it rejects a text, this pre-scan finds the
// first offending byte so the error can name line and column (SPEC §2).
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace mqrelay::config {

struct syntax_error {
  std::size_t offset = 0;  // byte offset of the first offending byte (== size at end of input)
  std::string message;     // e.g. "expected ',' or '}' after an object member"
};

// Returns the first syntax error of `text`, or nullopt when it is one valid JSON value with only
// whitespace around it. Also reports invalid UTF-8 inside strings, nesting deeper than
// max_depth, and integers that fit neither int64 nor uint64 (simdjson refuses those).
// No allocation besides the message; bounded recursion; never throws (bad_alloc aside).
std::optional<syntax_error> find_syntax_error(std::string_view text, std::size_t max_depth = 1024);

// 1-based line and column of a byte offset: lines end at '\n', columns count UTF-8 code points.
struct line_col {
  std::size_t line = 1;
  std::size_t column = 1;
};
line_col locate(std::string_view text, std::size_t offset) noexcept;

}  // namespace mqrelay::config
