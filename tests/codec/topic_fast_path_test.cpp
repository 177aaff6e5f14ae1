// The word-at-a-time fast path of validate_topic_name / validate_mqtt_utf8 (codec/topic.cpp) must
// give exactly the verdicts of a plain per-byte reference, whatever the length and where the
// interesting byte sits (inside a word, in the overlapping last word, in a short string).
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "codec/topic.hpp"

namespace mqrelay::codec {
namespace {

// The per-byte rules, written independently of codec/topic.cpp.
topic_error reference_utf8(std::string_view s) {
  if (s.size() > 65535) return topic_error::too_long;
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == 0) return topic_error::null_char;
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t n;
    std::uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) n = 1, cp = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF) n = 2, cp = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4) n = 3, cp = c & 0x07;
    else return topic_error::bad_utf8;
    if (i + n >= s.size()) return topic_error::bad_utf8;
    for (std::size_t k = 1; k <= n; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return topic_error::bad_utf8;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return topic_error::bad_utf8;
    i += n + 1;
  }
  return topic_error::ok;
}
topic_error reference_name(std::string_view s) {
  if (s.empty()) return topic_error::empty;
  if (s.find_first_of("+#") != std::string_view::npos) return topic_error::wildcard_in_name;
  return reference_utf8(s);
}

TEST(TopicFastPath, AgreesWithPerByteReference) {
  const std::string pieces[] = {"a", "/", "Z", "0", "+", "#", std::string("\0", 1), "\x7F", "\xC3\xA9", "\xE2\x82\xAC",
                                "\xF0\x9F\x98\x80", "\x80", "\xC3", "\xED\xA0\x80", "\xC0\xAF", "\xF4\x90\x80\x80", "\xFF"};
  std::mt19937 rng(12345);
  std::uniform_int_distribution<std::size_t> len(0, 40), pick(0, std::size(pieces) - 1), plain(0, 3);
  std::size_t checked = 0;
  for (int round = 0; round < 200000; ++round) {
    std::string s;
    const std::size_t n = len(rng);
    const bool mostly_plain = round % 2 == 0;  // half the strings: ASCII with at most one odd piece
    const std::size_t odd_at = mostly_plain ? len(rng) : 0;
    while (s.size() < n) {
      if (mostly_plain && s.size() != odd_at) s += pieces[plain(rng)];
      else s += pieces[pick(rng)];
    }
    ASSERT_EQ(validate_topic_name(s), reference_name(s)) << testing::PrintToString(s);
    ASSERT_EQ(validate_mqtt_utf8(s), reference_utf8(s)) << testing::PrintToString(s);
    ++checked;
  }
  EXPECT_EQ(checked, 200000u);
  // Each special byte at every position of strings of 1..24 bytes.
  for (std::size_t n = 1; n <= 24; ++n)
    for (std::size_t at = 0; at < n; ++at)
      for (char c : {'+', '#', '\0', '\x80', '\xFF'}) {
        std::string s(n, 'x');
        s[at] = c;
        EXPECT_EQ(validate_topic_name(s), reference_name(s)) << n << " " << at;
        EXPECT_EQ(validate_mqtt_utf8(s), reference_utf8(s)) << n << " " << at;
      }
  EXPECT_EQ(validate_topic_name(std::string(65536, 'a')), topic_error::too_long);
  EXPECT_EQ(validate_topic_name(std::string(65535, 'a')), topic_error::ok);
}

}  // namespace
}  // namespace mqrelay::codec
