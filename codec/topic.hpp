// Topic names, topic filters and MQTT UTF-8 strings (MQTT 3.1.1 §1.5.3, §4.7; MQTT 5 §1.5.4, §4.7, §4.8.2).
//
// Everything here is a pure function over a std::string_view: no allocation, thread-safe.
#pragma once
#include <cstdint>
#include <string_view>

namespace mqrelay::codec {

// Result of validating a string, topic name or topic filter.
enum class topic_error : std::uint8_t {
  ok = 0,
  empty,            // zero-length topic or filter (not allowed by either spec)
  too_long,         // over 65535 bytes
  bad_utf8,         // ill-formed UTF-8, a surrogate, or an overlong encoding
  null_char,        // U+0000
  wildcard_in_name, // '+' or '#' in a topic name (PUBLISH)
  bad_plus,         // '+' not alone in its level ("a+/b")
  bad_hash,         // '#' not alone in the last level ("a/b#", "a/#/b")
  bad_share,        // "$share/" without a valid group name and a non-empty filter
};

// A sentence fragment that says what is wrong, e.g. "'#' must be the last level on its own".
const char* describe(topic_error e) noexcept;

// Well-formed UTF-8 with no U+0000, no surrogates (U+D800..U+DFFF) and no overlong forms,
// at most 65535 bytes. This is what an MQTT receiver must check on every UTF-8 string.
topic_error validate_mqtt_utf8(std::string_view s) noexcept;

// A topic name as carried by PUBLISH: a valid MQTT string, non-empty, without '+' or '#'.
topic_error validate_topic_name(std::string_view topic) noexcept;

// A topic filter as carried by SUBSCRIBE/UNSUBSCRIBE, including "$share/GROUP/filter".
topic_error validate_topic_filter(std::string_view filter) noexcept;

// Splits "$share/GROUP/filter" into its group and filter. For any other filter, group is empty
// and filter is the input. Assumes validate_topic_filter() accepted the input.
struct shared_filter {
  std::string_view group;
  std::string_view filter;
};
shared_filter split_shared(std::string_view filter) noexcept;

// True when the filter (without "$share/…/") contains '+' or '#'.
bool has_wildcard(std::string_view filter) noexcept;

}  // namespace mqrelay::codec
