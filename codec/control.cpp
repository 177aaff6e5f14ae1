#include "codec/control.hpp"

#include "codec/properties.hpp"
#include "codec/wire.hpp"

namespace mqrelay::codec {

error decode_pingreq(const frame& f, protocol_version) noexcept {
  if (f.type != packet_type::pingreq) return error::protocol_error;
  return f.body.empty() ? error::none : error::trailing_bytes;
}
error decode_pingresp(const frame& f, protocol_version) noexcept {
  if (f.type != packet_type::pingresp) return error::protocol_error;
  return f.body.empty() ? error::none : error::trailing_bytes;
}
std::size_t encode_pingreq(std::uint8_t* out) noexcept {
  out[0] = 0xC0;
  out[1] = 0;
  return 2;
}
std::size_t encode_pingresp(std::uint8_t* out) noexcept {
  out[0] = 0xD0;
  out[1] = 0;
  return 2;
}

namespace {
bool valid_disconnect_reason(std::uint8_t rc) noexcept {
  switch (rc) {
    case 0x00: case 0x04: case 0x80: case 0x81: case 0x82: case 0x83: case 0x87: case 0x89: case 0x8B:
    case 0x8D: case 0x8E: case 0x8F: case 0x90: case 0x93: case 0x94: case 0x95: case 0x96: case 0x97:
    case 0x98: case 0x99: case 0x9A: case 0x9B: case 0x9C: case 0x9D: case 0x9E: case 0x9F: case 0xA0:
    case 0xA1: case 0xA2:
      return true;
    default:
      return false;
  }
}
}  // namespace

error decode_disconnect(const frame& f, protocol_version v, disconnect_view& out) noexcept {
  if (f.type != packet_type::disconnect) return error::protocol_error;
  out = disconnect_view{};
  if (v != protocol_version::v5) return f.body.empty() ? error::none : error::trailing_bytes;
  reader r(f.body);
  if (r.empty()) return error::none;
  if (auto e = r.u8(out.reason_code); e != error::none) return e;
  if (!valid_disconnect_reason(out.reason_code)) return error::bad_reason_code;
  if (r.empty()) return error::none;
  if (auto e = read_property_block(r, out.properties); e != error::none) return e;
  if (!r.empty()) return error::trailing_bytes;
  if (auto e = validate_properties(out.properties, property_context::disconnect); e != error::none) return e;
  property_reader pr(out.properties);
  property p;
  bool done = false;
  while (pr.next(p, done) == error::none && !done)
    if (p.id == prop::reason_string) out.reason_string = p.text;
  return error::none;
}

std::size_t encode_disconnect(std::uint8_t* out, std::uint8_t reason, protocol_version v) noexcept {
  out[0] = 0xE0;
  if (v == protocol_version::v5 && reason != 0) {
    out[1] = 1;
    out[2] = reason;
    return 3;
  }
  out[1] = 0;
  return 2;
}

const char* describe_disconnect(std::uint8_t rc) noexcept {
  switch (rc) {
    case 0x00: return "normal disconnection (0x00)";
    case 0x04: return "disconnect with will message (0x04)";
    case 0x80: return "unspecified error (0x80)";
    case 0x81: return "malformed packet (0x81)";
    case 0x82: return "protocol error (0x82)";
    case 0x83: return "implementation specific error (0x83)";
    case 0x87: return "not authorized (0x87)";
    case 0x89: return "server busy (0x89)";
    case 0x8B: return "server shutting down (0x8B)";
    case 0x8D: return "keep alive timeout (0x8D)";
    case 0x8E: return "session taken over (0x8E)";
    case 0x8F: return "topic filter invalid (0x8F)";
    case 0x90: return "topic name invalid (0x90)";
    case 0x93: return "receive maximum exceeded (0x93)";
    case 0x94: return "topic alias invalid (0x94)";
    case 0x95: return "packet too large (0x95)";
    case 0x96: return "message rate too high (0x96)";
    case 0x97: return "quota exceeded (0x97)";
    case 0x98: return "administrative action (0x98)";
    case 0x99: return "payload format invalid (0x99)";
    case 0x9A: return "retain not supported (0x9A)";
    case 0x9B: return "QoS not supported (0x9B)";
    case 0x9C: return "use another server (0x9C)";
    case 0x9D: return "server moved (0x9D)";
    case 0x9E: return "shared subscriptions not supported (0x9E)";
    case 0x9F: return "connection rate exceeded (0x9F)";
    case 0xA0: return "maximum connect time (0xA0)";
    case 0xA1: return "subscription identifiers not supported (0xA1)";
    case 0xA2: return "wildcard subscriptions not supported (0xA2)";
    default: return "unknown reason code";
  }
}

error decode_auth(const frame& f, protocol_version v, auth_view& out) noexcept {
  if (f.type != packet_type::auth || v != protocol_version::v5) return error::protocol_error;
  out = auth_view{};
  reader r(f.body);
  if (r.empty()) return error::none;
  if (auto e = r.u8(out.reason_code); e != error::none) return e;
  if (out.reason_code != 0x00 && out.reason_code != 0x18 && out.reason_code != 0x19) return error::bad_reason_code;
  if (r.empty()) return error::none;
  if (auto e = read_property_block(r, out.properties); e != error::none) return e;
  if (!r.empty()) return error::trailing_bytes;
  return validate_properties(out.properties, property_context::auth);
}

std::size_t encode_auth(std::uint8_t* out, std::uint8_t reason) noexcept {
  out[0] = 0xF0;
  if (reason == 0) {
    out[1] = 0;
    return 2;
  }
  out[1] = 2;
  out[2] = reason;
  out[3] = 0;
  return 4;
}

}  // namespace mqrelay::codec
