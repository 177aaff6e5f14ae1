#include "codec/subscribe.hpp"

#include "codec/properties.hpp"
#include "codec/topic.hpp"
#include "codec/wire.hpp"

namespace mqrelay::codec {

namespace {

std::uint32_t subscribe_remaining(std::span<const subscription_out> subs, protocol_version v) noexcept {
  std::size_t n = 2 + (v == protocol_version::v5 ? 1 : 0);
  for (const auto& s : subs) n += 3 + s.filter.size();
  return static_cast<std::uint32_t>(n);
}

std::uint32_t unsubscribe_remaining(std::span<const std::string_view> filters, protocol_version v) noexcept {
  std::size_t n = 2 + (v == protocol_version::v5 ? 1 : 0);
  for (const auto& f : filters) n += 2 + f.size();
  return static_cast<std::uint32_t>(n);
}

// Packet id, then (v5) the property block validated for ctx.
error read_id_and_properties(reader& r, protocol_version v, property_context ctx, std::uint16_t& id,
                             std::span<const std::uint8_t>& props) noexcept {
  if (auto e = r.u16(id); e != error::none) return e;
  if (id == 0) return error::zero_packet_id;
  if (v == protocol_version::v5) {
    if (auto e = read_property_block(r, props); e != error::none) return e;
    if (auto e = validate_properties(props, ctx); e != error::none) return e;
  }
  return error::none;
}

bool valid_suback_code(std::uint8_t c, protocol_version v) noexcept {
  if (c <= 2 || c == 0x80) return true;
  if (v != protocol_version::v5) return false;
  switch (c) {
    case 0x83: case 0x87: case 0x8F: case 0x91: case 0x97: case 0x9E: case 0xA1: case 0xA2:
      return true;
    default:
      return false;
  }
}

bool valid_unsuback_code(std::uint8_t c) noexcept {
  switch (c) {
    case 0x00: case 0x11: case 0x80: case 0x83: case 0x87: case 0x8F: case 0x91:
      return true;
    default:
      return false;
  }
}

}  // namespace

std::size_t subscribe_size(std::span<const subscription_out> subs, protocol_version v) noexcept {
  return packet_size(subscribe_remaining(subs, v));
}

std::size_t encode_subscribe(std::uint8_t* out, std::uint16_t packet_id, std::span<const subscription_out> subs,
                             protocol_version v) noexcept {
  std::uint8_t* o = put_header(out, packet_type::subscribe, 0x02, subscribe_remaining(subs, v));
  o = put_u16(o, packet_id);
  const bool v5 = v == protocol_version::v5;
  if (v5) o = put_u8(o, 0);
  for (const auto& s : subs) {
    o = put_string(o, s.filter);
    std::uint8_t opts = s.qos & 3;
    if (v5) opts |= static_cast<std::uint8_t>((s.no_local ? 4 : 0) | (s.retain_as_published ? 8 : 0) | ((s.retain_handling & 3) << 4));
    o = put_u8(o, opts);
  }
  return static_cast<std::size_t>(o - out);
}

std::size_t unsubscribe_size(std::span<const std::string_view> filters, protocol_version v) noexcept {
  return packet_size(unsubscribe_remaining(filters, v));
}

std::size_t encode_unsubscribe(std::uint8_t* out, std::uint16_t packet_id, std::span<const std::string_view> filters,
                               protocol_version v) noexcept {
  std::uint8_t* o = put_header(out, packet_type::unsubscribe, 0x02, unsubscribe_remaining(filters, v));
  o = put_u16(o, packet_id);
  if (v == protocol_version::v5) o = put_u8(o, 0);
  for (const auto& f : filters) o = put_string(o, f);
  return static_cast<std::size_t>(o - out);
}

error decode_subscribe(const frame& f, protocol_version v, subscribe_view& out) noexcept {
  if (f.type != packet_type::subscribe) return error::protocol_error;
  out = subscribe_view{};
  reader r(f.body);
  if (auto e = read_id_and_properties(r, v, property_context::subscribe, out.packet_id, out.properties); e != error::none)
    return e;
  out.entries = {r.pos(), r.left()};
  if (r.empty()) return error::no_payload_entries;
  while (!r.empty()) {
    std::string_view filter;
    if (auto e = r.utf8(filter); e != error::none) return e;
    if (validate_topic_filter(filter) != topic_error::ok) return error::bad_topic_filter;
    std::uint8_t o = 0;
    if (auto e = r.u8(o); e != error::none) return e;
    if ((o & 3) == 3) return error::bad_qos;
    if (v == protocol_version::v5) {
      if ((o & 0xC0) || ((o >> 4) & 3) == 3) return error::bad_subscription_options;
      // No Local on a shared subscription is a protocol error (5.0 §3.8.3.1).
      if ((o & 4) && filter.starts_with("$share/")) return error::protocol_error;
    } else if (o & 0xFC) {
      return error::bad_subscription_options;
    }
  }
  return error::none;
}

error decode_unsubscribe(const frame& f, protocol_version v, unsubscribe_view& out) noexcept {
  if (f.type != packet_type::unsubscribe) return error::protocol_error;
  out = unsubscribe_view{};
  reader r(f.body);
  if (auto e = read_id_and_properties(r, v, property_context::unsubscribe, out.packet_id, out.properties);
      e != error::none)
    return e;
  out.entries = {r.pos(), r.left()};
  if (r.empty()) return error::no_payload_entries;
  while (!r.empty()) {
    std::string_view filter;
    if (auto e = r.utf8(filter); e != error::none) return e;
    if (validate_topic_filter(filter) != topic_error::ok) return error::bad_topic_filter;
  }
  return error::none;
}

error decode_suback(const frame& f, protocol_version v, suback_view& out) noexcept {
  if (f.type != packet_type::suback) return error::protocol_error;
  out = suback_view{};
  reader r(f.body);
  if (auto e = read_id_and_properties(r, v, property_context::suback, out.packet_id, out.properties); e != error::none)
    return e;
  out.reason_codes = r.rest();
  if (out.reason_codes.empty()) return error::no_payload_entries;
  for (std::uint8_t c : out.reason_codes)
    if (!valid_suback_code(c, v)) return error::bad_reason_code;
  return error::none;
}

error decode_unsuback(const frame& f, protocol_version v, unsuback_view& out) noexcept {
  if (f.type != packet_type::unsuback) return error::protocol_error;
  out = unsuback_view{};
  reader r(f.body);
  if (auto e = read_id_and_properties(r, v, property_context::unsuback, out.packet_id, out.properties);
      e != error::none)
    return e;
  if (v != protocol_version::v5) return r.empty() ? error::none : error::trailing_bytes;
  out.reason_codes = r.rest();
  if (out.reason_codes.empty()) return error::no_payload_entries;
  for (std::uint8_t c : out.reason_codes)
    if (!valid_unsuback_code(c)) return error::bad_reason_code;
  return error::none;
}

std::size_t encode_suback(std::uint8_t* out, std::uint16_t packet_id, std::span<const std::uint8_t> codes,
                          protocol_version v) noexcept {
  const bool v5 = v == protocol_version::v5;
  std::uint8_t* o = put_header(out, packet_type::suback, 0, static_cast<std::uint32_t>(2 + (v5 ? 1 : 0) + codes.size()));
  o = put_u16(o, packet_id);
  if (v5) o = put_u8(o, 0);
  o = put_bytes(o, codes.data(), codes.size());
  return static_cast<std::size_t>(o - out);
}

std::size_t encode_unsuback(std::uint8_t* out, std::uint16_t packet_id, std::span<const std::uint8_t> codes,
                            protocol_version v) noexcept {
  const bool v5 = v == protocol_version::v5;
  std::uint8_t* o =
      put_header(out, packet_type::unsuback, 0, static_cast<std::uint32_t>(2 + (v5 ? 1 + codes.size() : 0)));
  o = put_u16(o, packet_id);
  if (v5) {
    o = put_u8(o, 0);
    o = put_bytes(o, codes.data(), codes.size());
  }
  return static_cast<std::size_t>(o - out);
}

}  // namespace mqrelay::codec
