#include "codec/topic.hpp"

#include <cstddef>
#include <cstring>

namespace mqrelay::codec {

const char* describe(topic_error e) noexcept {
  switch (e) {
    case topic_error::ok: return "valid";
    case topic_error::empty: return "must not be empty";
    case topic_error::too_long: return "is longer than 65535 bytes";
    case topic_error::bad_utf8: return "is not well-formed UTF-8";
    case topic_error::null_char: return "contains the character U+0000";
    case topic_error::wildcard_in_name: return "contains a wildcard ('+' or '#'), which a topic name cannot";
    case topic_error::bad_plus: return "has a '+' that is not alone in its level";
    case topic_error::bad_hash: return "has a '#' that is not alone in the last level";
    case topic_error::bad_share: return "is a $share filter without a group name and a filter ($share/GROUP/FILTER)";
  }
  return "invalid";
}

namespace {

// Word-at-a-time fast path (SWAR, 8 bytes per step): true when every byte is ASCII, not NUL and,
// when `names`, neither '+' nor '#' -- then the string is a valid MQTT string (and topic name)
// without a per-byte walk. False means "look closer" (the exact, per-byte checks decide), never
// "invalid", so the verdicts and their precedence are those of the slow path.
constexpr std::uint64_t ones = 0x0101010101010101ull;
constexpr std::uint64_t highs = 0x8080808080808080ull;
inline std::uint64_t has_zero_byte(std::uint64_t w) noexcept { return (w - ones) & ~w & highs; }
inline std::uint64_t load8(const char* p) noexcept {
  std::uint64_t w;
  std::memcpy(&w, p, 8);
  return w;
}
inline bool word_plain(std::uint64_t w, bool names) noexcept {
  std::uint64_t bad = (w & highs) | has_zero_byte(w);
  if (names) bad |= has_zero_byte(w ^ (ones * '+')) | has_zero_byte(w ^ (ones * '#'));
  return bad == 0;
}
inline bool plain_ascii(std::string_view s, bool names) noexcept {
  const std::size_t n = s.size();
  const char* p = s.data();
  if (n < 8) {
    for (std::size_t i = 0; i < n; ++i) {
      const auto c = static_cast<unsigned char>(p[i]);
      if (c == 0 || c >= 0x80 || (names && (c == '+' || c == '#'))) return false;
    }
    return true;
  }
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8)
    if (!word_plain(load8(p + i), names)) return false;
  return i == n || word_plain(load8(p + n - 8), names);  // the last, overlapping word
}

}  // namespace

topic_error validate_mqtt_utf8(std::string_view s) noexcept {
  if (s.size() > 65535) return topic_error::too_long;
  if (plain_ascii(s, false)) return topic_error::ok;
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    unsigned char c = *p;
    if (c < 0x80) {
      if (c == 0) return topic_error::null_char;
      ++p;
      continue;
    }
    std::uint32_t cp;
    int n;
    if ((c & 0xE0) == 0xC0) { cp = c & 0x1Fu; n = 1; }
    else if ((c & 0xF0) == 0xE0) { cp = c & 0x0Fu; n = 2; }
    else if ((c & 0xF8) == 0xF0) { cp = c & 0x07u; n = 3; }
    else return topic_error::bad_utf8;
    if (end - p <= n) return topic_error::bad_utf8;
    for (int i = 1; i <= n; ++i) {
      unsigned char cc = p[i];
      if ((cc & 0xC0) != 0x80) return topic_error::bad_utf8;
      cp = (cp << 6) | (cc & 0x3Fu);
    }
    // Overlong forms, surrogates, and code points past U+10FFFF.
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000)) return topic_error::bad_utf8;
    if (cp >= 0xD800 && cp <= 0xDFFF) return topic_error::bad_utf8;
    if (cp > 0x10FFFF) return topic_error::bad_utf8;
    p += n + 1;
  }
  return topic_error::ok;
}

topic_error validate_topic_name(std::string_view topic) noexcept {
  if (topic.empty()) return topic_error::empty;
  if (topic.size() <= 65535 && plain_ascii(topic, true)) return topic_error::ok;
  for (char c : topic)
    if (c == '+' || c == '#') return topic_error::wildcard_in_name;
  return validate_mqtt_utf8(topic);
}

static topic_error validate_plain_filter(std::string_view f) noexcept {
  if (f.empty()) return topic_error::empty;
  const std::size_t n = f.size();
  for (std::size_t i = 0; i < n; ++i) {
    const char c = f[i];
    if (c == '+') {
      const bool start_ok = i == 0 || f[i - 1] == '/';
      const bool end_ok = i + 1 == n || f[i + 1] == '/';
      if (!start_ok || !end_ok) return topic_error::bad_plus;
    } else if (c == '#') {
      const bool start_ok = i == 0 || f[i - 1] == '/';
      if (!start_ok || i + 1 != n) return topic_error::bad_hash;
    }
  }
  return validate_mqtt_utf8(f);
}

shared_filter split_shared(std::string_view filter) noexcept {
  constexpr std::string_view prefix = "$share/";
  if (!filter.starts_with(prefix)) return {{}, filter};
  std::string_view rest = filter.substr(prefix.size());
  const auto slash = rest.find('/');
  if (slash == std::string_view::npos) return {rest, {}};
  return {rest.substr(0, slash), rest.substr(slash + 1)};
}

topic_error validate_topic_filter(std::string_view filter) noexcept {
  if (filter.empty()) return topic_error::empty;
  if (filter.size() > 65535) return topic_error::too_long;
  if (filter.starts_with("$share/")) {
    const auto [group, inner] = split_shared(filter);
    if (group.empty() || inner.empty()) return topic_error::bad_share;
    for (char c : group)
      if (c == '+' || c == '#') return topic_error::bad_share;
    if (auto e = validate_mqtt_utf8(group); e != topic_error::ok) return e;
    return validate_plain_filter(inner);
  }
  return validate_plain_filter(filter);
}

bool has_wildcard(std::string_view filter) noexcept {
  const auto inner = split_shared(filter).filter;
  return inner.find_first_of("+#") != std::string_view::npos;
}

}  // namespace mqrelay::codec
