// Bounds-checked reading and unchecked writing of MQTT's primitive data types
// (MQTT 5.0 §1.5: two/four byte integers, variable byte integers, UTF-8 strings, binary data).
//
// reader: a cursor over a span that never reads past its end; every getter returns an error
//         instead. Strings are returned as views into the input (no copy).
// put_*:  write into a caller's buffer that the caller sized exactly (the *_size functions);
//         they assert (debug builds) what the caller must guarantee: lengths that fit the field.
//
// Header-only so that the hot path (PUBLISH decode and encode) inlines completely.
#pragma once
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

#include "codec/protocol.hpp"
#include "codec/topic.hpp"

namespace mqrelay::codec {

inline error from_topic_error(topic_error e) noexcept {
  switch (e) {
    case topic_error::ok: return error::none;
    case topic_error::null_char: return error::null_char;
    case topic_error::wildcard_in_name: return error::wildcard_in_topic;
    case topic_error::empty: return error::empty_topic;
    case topic_error::bad_plus:
    case topic_error::bad_hash:
    case topic_error::bad_share: return error::bad_topic_filter;
    default: return error::bad_utf8;
  }
}

class reader {
 public:
  explicit reader(std::span<const std::uint8_t> s) noexcept : p_(s.data()), end_(s.data() + s.size()) {}
  reader(const std::uint8_t* p, const std::uint8_t* end) noexcept : p_(p), end_(end) {}

  std::size_t left() const noexcept { return static_cast<std::size_t>(end_ - p_); }
  bool empty() const noexcept { return p_ == end_; }
  const std::uint8_t* pos() const noexcept { return p_; }

  error u8(std::uint8_t& v) noexcept {
    if (p_ == end_) return error::truncated;
    v = *p_++;
    return error::none;
  }
  error u16(std::uint16_t& v) noexcept {
    if (left() < 2) return error::truncated;
    v = static_cast<std::uint16_t>((p_[0] << 8) | p_[1]);
    p_ += 2;
    return error::none;
  }
  error u32(std::uint32_t& v) noexcept {
    if (left() < 4) return error::truncated;
    v = (std::uint32_t{p_[0]} << 24) | (std::uint32_t{p_[1]} << 16) | (std::uint32_t{p_[2]} << 8) | p_[3];
    p_ += 4;
    return error::none;
  }
  // Variable byte integer, at most 4 bytes, minimally encoded (5.0 §1.5.5). Else malformed.
  error varint(std::uint32_t& v) noexcept {
    std::uint32_t value = 0;
    for (int i = 0; i < 4; ++i) {
      if (p_ == end_) return error::truncated;
      const std::uint8_t b = *p_++;
      value |= std::uint32_t{b & 0x7Fu} << (7 * i);
      if ((b & 0x80) == 0) {
        if (i > 0 && b == 0) return error::bad_remaining_length;  // not minimal (5.0 §1.5.5)
        v = value;
        return error::none;
      }
    }
    return error::bad_remaining_length;
  }
  error bytes(std::size_t n, std::span<const std::uint8_t>& out) noexcept {
    if (left() < n) return error::truncated;
    out = {p_, n};
    p_ += n;
    return error::none;
  }
  // Binary data: two-byte length then bytes.
  error binary(std::span<const std::uint8_t>& out) noexcept {
    std::uint16_t n = 0;
    if (auto e = u16(n); e != error::none) return e;
    return bytes(n, out);
  }
  // A UTF-8 string without validation (caller validates as it needs, e.g. as a topic name).
  error raw_string(std::string_view& out) noexcept {
    std::span<const std::uint8_t> b;
    if (auto e = binary(b); e != error::none) return e;
    out = {reinterpret_cast<const char*>(b.data()), b.size()};
    return error::none;
  }
  // A UTF-8 string, validated as MQTT requires (well-formed, no U+0000, no surrogates).
  error utf8(std::string_view& out) noexcept {
    if (auto e = raw_string(out); e != error::none) return e;
    return from_topic_error(validate_mqtt_utf8(out));
  }
  std::span<const std::uint8_t> rest() noexcept {
    std::span<const std::uint8_t> r{p_, left()};
    p_ = end_;
    return r;
  }

 private:
  const std::uint8_t* p_;
  const std::uint8_t* end_;
};

inline constexpr std::size_t varint_size(std::uint32_t v) noexcept {
  return v < 128u ? 1 : v < 16384u ? 2 : v < 2097152u ? 3 : 4;
}
inline std::uint8_t* put_u8(std::uint8_t* o, std::uint8_t v) noexcept {
  *o = v;
  return o + 1;
}
inline std::uint8_t* put_u16(std::uint8_t* o, std::uint16_t v) noexcept {
  o[0] = static_cast<std::uint8_t>(v >> 8);
  o[1] = static_cast<std::uint8_t>(v);
  return o + 2;
}
inline std::uint8_t* put_u32(std::uint8_t* o, std::uint32_t v) noexcept {
  o[0] = static_cast<std::uint8_t>(v >> 24);
  o[1] = static_cast<std::uint8_t>(v >> 16);
  o[2] = static_cast<std::uint8_t>(v >> 8);
  o[3] = static_cast<std::uint8_t>(v);
  return o + 4;
}
inline std::uint8_t* put_varint(std::uint8_t* o, std::uint32_t v) noexcept {
  assert(v <= max_remaining_length);
  do {
    std::uint8_t b = static_cast<std::uint8_t>(v & 0x7F);
    v >>= 7;
    if (v) b |= 0x80;
    *o++ = b;
  } while (v);
  return o;
}
inline std::uint8_t* put_bytes(std::uint8_t* o, const void* p, std::size_t n) noexcept {
  if (n) std::memcpy(o, p, n);
  return o + n;
}
// Two-byte length then the bytes (UTF-8 string or binary data).
inline std::uint8_t* put_string(std::uint8_t* o, std::string_view s) noexcept {
  assert(s.size() <= 65535);
  o = put_u16(o, static_cast<std::uint16_t>(s.size()));
  return put_bytes(o, s.data(), s.size());
}
inline std::uint8_t* put_binary(std::uint8_t* o, std::span<const std::uint8_t> s) noexcept {
  assert(s.size() <= 65535);
  o = put_u16(o, static_cast<std::uint16_t>(s.size()));
  return put_bytes(o, s.data(), s.size());
}
// Fixed header: type/flags byte then the remaining length.
inline std::uint8_t* put_header(std::uint8_t* o, packet_type t, std::uint8_t flags, std::uint32_t remaining) noexcept {
  *o++ = static_cast<std::uint8_t>((static_cast<std::uint8_t>(t) << 4) | flags);
  return put_varint(o, remaining);
}
// Size of a whole packet whose remaining length is `remaining`.
inline constexpr std::size_t packet_size(std::uint32_t remaining) noexcept {
  return 1 + varint_size(remaining) + remaining;
}

}  // namespace mqrelay::codec
