// Helpers shared by the codec tests: byte vectors, framing one packet, decoding any frame.
#pragma once
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "codec/ack.hpp"
#include "codec/connect.hpp"
#include "codec/control.hpp"
#include "codec/framer.hpp"
#include "codec/protocol.hpp"
#include "codec/publish.hpp"
#include "codec/subscribe.hpp"

namespace mqrelay::codec::test {

using bytes = std::vector<std::uint8_t>;

// Concatenates pieces, so a vector can be written one annotated field per line.
inline bytes cat(std::initializer_list<bytes> parts) {
  bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}
// The characters of s as bytes (no length prefix).
inline bytes str(std::string_view s) { return bytes(s.begin(), s.end()); }
// A two-byte length then the characters (MQTT UTF-8 string / binary data).
// (Not inlined: g++ 12 -O3 gives false array-bounds/null warnings on the inlined vector code.)
[[gnu::noinline]] inline bytes lstr(std::string_view s) {
  bytes out;
  out.reserve(2 + s.size());
  out.push_back(static_cast<std::uint8_t>(s.size() >> 8));
  out.push_back(static_cast<std::uint8_t>(s.size()));
  for (char c : s) out.push_back(static_cast<std::uint8_t>(c));
  return out;
}
inline std::span<const std::uint8_t> span_of(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
inline std::string_view sv(std::span<const std::uint8_t> s) {
  return {reinterpret_cast<const char*>(s.data()), s.size()};
}
inline bytes copy(std::span<const std::uint8_t> s) { return bytes(s.begin(), s.end()); }

// Decodes a frame with the decoder its type calls for; the first error, or none.
inline error decode_any(const frame& f, protocol_version v) {
  switch (f.type) {
    case packet_type::connect: {
      connect_view c;
      const error e = decode_connect(f, c);
      if (e == error::none && c.version != v) return error::bad_protocol;
      return e;
    }
    case packet_type::connack: {
      connack_view c;
      return decode_connack(f, v, c);
    }
    case packet_type::publish: {
      publish_view p;
      return decode_publish(f, v, p);
    }
    case packet_type::puback:
    case packet_type::pubrec:
    case packet_type::pubrel:
    case packet_type::pubcomp: {
      ack_view a;
      return decode_ack(f, v, a);
    }
    case packet_type::subscribe: {
      subscribe_view s;
      return decode_subscribe(f, v, s);
    }
    case packet_type::suback: {
      suback_view s;
      return decode_suback(f, v, s);
    }
    case packet_type::unsubscribe: {
      unsubscribe_view s;
      return decode_unsubscribe(f, v, s);
    }
    case packet_type::unsuback: {
      unsuback_view s;
      return decode_unsuback(f, v, s);
    }
    case packet_type::pingreq: return decode_pingreq(f, v);
    case packet_type::pingresp: return decode_pingresp(f, v);
    case packet_type::disconnect: {
      disconnect_view d;
      return decode_disconnect(f, v, d);
    }
    case packet_type::auth: {
      auth_view a;
      return decode_auth(f, v, a);
    }
    case packet_type::reserved: break;
  }
  return error::reserved_type;
}

// A frame copied out of the framer, for comparing streams.
struct frame_copy {
  packet_type type;
  std::uint8_t flags;
  bytes body;
  std::size_t size;
  bool operator==(const frame_copy&) const = default;
};
inline frame_copy copy(const frame& f) { return {f.type, f.flags, copy(f.body), f.size}; }

}  // namespace mqrelay::codec::test
