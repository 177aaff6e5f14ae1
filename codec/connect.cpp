#include "codec/connect.hpp"

#include "codec/properties.hpp"
#include "codec/wire.hpp"

namespace mqrelay::codec {

namespace {

std::size_t connect_props_size(const connect_out& c) noexcept {
  std::size_t n = 0;
  if (c.session_expiry) n += property_u32_size;
  if (c.receive_maximum != 65535) n += property_u16_size;
  if (c.maximum_packet_size) n += property_u32_size;
  return n;
}

std::uint32_t connect_remaining(const connect_out& c) noexcept {
  std::size_t n = 2 + 4 + 1 + 1 + 2;  // "MQTT", level, flags, keep alive
  if (c.version == protocol_version::v5) {
    const std::size_t p = connect_props_size(c);
    n += varint_size(static_cast<std::uint32_t>(p)) + p;
  }
  n += 2 + c.client_id.size();
  if (c.username) n += 2 + c.username->size();
  if (c.password) n += 2 + c.password->size();
  return static_cast<std::uint32_t>(n);
}

}  // namespace

std::size_t connect_size(const connect_out& c) noexcept { return packet_size(connect_remaining(c)); }

std::size_t encode_connect(std::uint8_t* out, const connect_out& c) noexcept {
  std::uint8_t* o = put_header(out, packet_type::connect, 0, connect_remaining(c));
  o = put_string(o, "MQTT");
  o = put_u8(o, static_cast<std::uint8_t>(c.version));
  std::uint8_t flags = c.clean_start ? 0x02 : 0x00;
  if (c.username) flags |= 0x80;
  if (c.password) flags |= 0x40;
  o = put_u8(o, flags);
  o = put_u16(o, c.keep_alive);
  if (c.version == protocol_version::v5) {
    o = put_varint(o, static_cast<std::uint32_t>(connect_props_size(c)));
    if (c.session_expiry) o = put_u32(put_u8(o, prop::session_expiry_interval), c.session_expiry);
    if (c.receive_maximum != 65535) o = put_u16(put_u8(o, prop::receive_maximum), c.receive_maximum);
    if (c.maximum_packet_size) o = put_u32(put_u8(o, prop::maximum_packet_size), c.maximum_packet_size);
  }
  o = put_string(o, c.client_id);
  if (c.username) o = put_string(o, *c.username);
  if (c.password) o = put_string(o, *c.password);
  return static_cast<std::size_t>(o - out);
}

error decode_connect(const frame& f, connect_view& out) noexcept {
  if (f.type != packet_type::connect) return error::protocol_error;
  out = connect_view{};
  reader r(f.body);
  std::string_view name;
  if (auto e = r.raw_string(name); e != error::none) return e;
  std::uint8_t level = 0, flags = 0;
  if (auto e = r.u8(level); e != error::none) return e;
  if (name != "MQTT" || (level != 4 && level != 5)) return error::bad_protocol;
  out.version = static_cast<protocol_version>(level);
  const bool v5 = level == 5;
  if (auto e = r.u8(flags); e != error::none) return e;
  if (flags & 0x01) return error::bad_connect_flags;  // reserved (3.1.2.3)
  out.clean_start = flags & 0x02;
  out.has_will = flags & 0x04;
  out.will_qos = (flags >> 3) & 3;
  out.will_retain = flags & 0x20;
  out.has_password = flags & 0x40;
  out.has_username = flags & 0x80;
  if (out.will_qos == 3) return error::bad_connect_flags;
  if (!out.has_will && (out.will_qos || out.will_retain)) return error::bad_connect_flags;
  if (!v5 && out.has_password && !out.has_username) return error::bad_connect_flags;
  if (auto e = r.u16(out.keep_alive); e != error::none) return e;
  if (v5) {
    if (auto e = read_property_block(r, out.properties); e != error::none) return e;
    if (auto e = validate_properties(out.properties, property_context::connect); e != error::none) return e;
    property_reader pr(out.properties);
    property p;
    bool done = false;
    while (pr.next(p, done) == error::none && !done) {
      if (p.id == prop::session_expiry_interval) out.session_expiry = p.number;
      if (p.id == prop::receive_maximum) out.receive_maximum = static_cast<std::uint16_t>(p.number);
      if (p.id == prop::maximum_packet_size) out.maximum_packet_size = p.number;
    }
  }
  if (auto e = r.utf8(out.client_id); e != error::none) return e;
  if (out.has_will) {
    if (v5) {
      if (auto e = read_property_block(r, out.will_properties); e != error::none) return e;
      if (auto e = validate_properties(out.will_properties, property_context::will); e != error::none) return e;
    }
    if (auto e = r.utf8(out.will_topic); e != error::none) return e;
    if (auto e = validate_topic_name(out.will_topic); e != topic_error::ok) return from_topic_error(e);
    if (auto e = r.binary(out.will_payload); e != error::none) return e;
  }
  if (out.has_username)
    if (auto e = r.utf8(out.username); e != error::none) return e;
  if (out.has_password)
    if (auto e = r.binary(out.password); e != error::none) return e;
  return r.empty() ? error::none : error::trailing_bytes;
}

namespace {
bool valid_connack_reason(std::uint8_t rc, protocol_version v) noexcept {
  if (v != protocol_version::v5) return rc <= 5;
  switch (rc) {
    case 0x00: case 0x80: case 0x81: case 0x82: case 0x83: case 0x84: case 0x85: case 0x86: case 0x87:
    case 0x88: case 0x89: case 0x8A: case 0x8C: case 0x90: case 0x95: case 0x97: case 0x99: case 0x9A:
    case 0x9B: case 0x9C: case 0x9D: case 0x9F:
      return true;
    default:
      return false;
  }
}
}  // namespace

error decode_connack(const frame& f, protocol_version v, connack_view& out) noexcept {
  if (f.type != packet_type::connack) return error::protocol_error;
  out = connack_view{};
  reader r(f.body);
  std::uint8_t flags = 0;
  if (auto e = r.u8(flags); e != error::none) return e;
  if (auto e = r.u8(out.reason_code); e != error::none) return e;
  if (flags & 0xFE) return error::bad_connect_flags;  // 3.2.2.1: bits 7-1 reserved
  out.session_present = flags & 1;
  if (!valid_connack_reason(out.reason_code, v)) return error::bad_reason_code;
  if (out.reason_code != 0 && out.session_present) return error::bad_connect_flags;  // 3.2.2-4 / 3.2.2-6
  if (v != protocol_version::v5) return r.empty() ? error::none : error::trailing_bytes;
  std::span<const std::uint8_t> block;
  if (auto e = read_property_block(r, block); e != error::none) return e;
  if (!r.empty()) return error::trailing_bytes;
  if (auto e = validate_properties(block, property_context::connack); e != error::none) return e;
  property_reader pr(block);
  property p;
  bool done = false;
  while (pr.next(p, done) == error::none && !done) {
    switch (p.id) {
      case prop::receive_maximum: out.receive_maximum = static_cast<std::uint16_t>(p.number); break;
      case prop::maximum_packet_size: out.maximum_packet_size = p.number; break;
      case prop::maximum_qos: out.maximum_qos = static_cast<std::uint8_t>(p.number); break;
      case prop::retain_available: out.retain_available = p.number != 0; break;
      case prop::topic_alias_maximum: out.topic_alias_maximum = static_cast<std::uint16_t>(p.number); break;
      case prop::server_keep_alive:
        out.has_server_keep_alive = true;
        out.server_keep_alive = static_cast<std::uint16_t>(p.number);
        break;
      case prop::session_expiry_interval:
        out.has_session_expiry = true;
        out.session_expiry = p.number;
        break;
      case prop::assigned_client_identifier: out.assigned_client_id = p.text; break;
      case prop::reason_string: out.reason_string = p.text; break;
      case prop::wildcard_subscription_available: out.wildcard_available = p.number != 0; break;
      case prop::subscription_identifier_available: out.subscription_ids_available = p.number != 0; break;
      case prop::shared_subscription_available: out.shared_available = p.number != 0; break;
      default: break;
    }
  }
  return error::none;
}

const char* describe_connack(std::uint8_t rc, protocol_version v) noexcept {
  if (v != protocol_version::v5) {
    switch (rc) {
      case 0: return "accepted (0)";
      case 1: return "unacceptable protocol version (1)";
      case 2: return "client identifier rejected (2)";
      case 3: return "server unavailable (3)";
      case 4: return "bad user name or password (4)";
      case 5: return "not authorized (5)";
      default: return "unknown return code";
    }
  }
  switch (rc) {
    case 0x00: return "success (0x00)";
    case 0x80: return "unspecified error (0x80)";
    case 0x81: return "malformed packet (0x81)";
    case 0x82: return "protocol error (0x82)";
    case 0x83: return "implementation specific error (0x83)";
    case 0x84: return "unsupported protocol version (0x84)";
    case 0x85: return "client identifier not valid (0x85)";
    case 0x86: return "bad user name or password (0x86)";
    case 0x87: return "not authorized (0x87)";
    case 0x88: return "server unavailable (0x88)";
    case 0x89: return "server busy (0x89)";
    case 0x8A: return "banned (0x8A)";
    case 0x8C: return "bad authentication method (0x8C)";
    case 0x90: return "topic name invalid (0x90)";
    case 0x95: return "packet too large (0x95)";
    case 0x97: return "quota exceeded (0x97)";
    case 0x99: return "payload format invalid (0x99)";
    case 0x9A: return "retain not supported (0x9A)";
    case 0x9B: return "QoS not supported (0x9B)";
    case 0x9C: return "use another server (0x9C)";
    case 0x9D: return "server moved (0x9D)";
    case 0x9F: return "connection rate exceeded (0x9F)";
    default: return "unknown reason code";
  }
}

namespace {
std::uint32_t connack_remaining(const connack_out& c, protocol_version v) noexcept {
  if (v != protocol_version::v5) return 2;
  std::size_t p = 0;
  if (c.receive_maximum) p += property_u16_size;
  if (c.maximum_packet_size) p += property_u32_size;
  return static_cast<std::uint32_t>(2 + varint_size(static_cast<std::uint32_t>(p)) + p);
}
}  // namespace

std::size_t connack_size(const connack_out& c, protocol_version v) noexcept {
  return packet_size(connack_remaining(c, v));
}

std::size_t encode_connack(std::uint8_t* out, const connack_out& c, protocol_version v) noexcept {
  const std::uint32_t rl = connack_remaining(c, v);
  std::uint8_t* o = put_header(out, packet_type::connack, 0, rl);
  o = put_u8(o, c.session_present ? 1 : 0);
  o = put_u8(o, c.reason_code);
  if (v == protocol_version::v5) {
    o = put_varint(o, rl - 2 - 1);
    if (c.receive_maximum) o = put_u16(put_u8(o, prop::receive_maximum), c.receive_maximum);
    if (c.maximum_packet_size) o = put_u32(put_u8(o, prop::maximum_packet_size), c.maximum_packet_size);
  }
  return static_cast<std::size_t>(o - out);
}

}  // namespace mqrelay::codec
