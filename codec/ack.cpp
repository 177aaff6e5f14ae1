#include "codec/ack.hpp"

#include "codec/properties.hpp"
#include "codec/wire.hpp"

namespace mqrelay::codec {

namespace {
bool valid_reason(packet_type t, std::uint8_t rc) noexcept {
  if (t == packet_type::pubrel || t == packet_type::pubcomp) return rc == 0x00 || rc == 0x92;
  switch (rc) {  // PUBACK and PUBREC (5.0 §3.4.2.1, §3.5.2.1)
    case 0x00: case 0x10: case 0x80: case 0x83: case 0x87: case 0x90: case 0x91: case 0x97: case 0x99:
      return true;
    default:
      return false;
  }
}

property_context context_of(packet_type t) noexcept {
  switch (t) {
    case packet_type::puback: return property_context::puback;
    case packet_type::pubrec: return property_context::pubrec;
    case packet_type::pubrel: return property_context::pubrel;
    default: return property_context::pubcomp;
  }
}
}  // namespace

error decode_ack(const frame& f, protocol_version v, ack_view& out) noexcept {
  if (f.type != packet_type::puback && f.type != packet_type::pubrec && f.type != packet_type::pubrel &&
      f.type != packet_type::pubcomp)
    return error::protocol_error;
  // PUBREL's flags are 0b0010, the others' 0 (5.0 §2.1.3); the framer checks too, this covers
  // frames built by hand.
  if (f.flags != (f.type == packet_type::pubrel ? 0x02 : 0x00)) return error::reserved_flags;
  reader r(f.body);
  out = ack_view{};
  if (auto e = r.u16(out.packet_id); e != error::none) return e;
  if (out.packet_id == 0) return error::zero_packet_id;
  if (v != protocol_version::v5) return r.empty() ? error::none : error::trailing_bytes;
  if (r.empty()) return error::none;
  if (auto e = r.u8(out.reason_code); e != error::none) return e;
  if (!valid_reason(f.type, out.reason_code)) return error::bad_reason_code;
  if (r.empty()) return error::none;
  if (auto e = read_property_block(r, out.properties); e != error::none) return e;
  if (!r.empty()) return error::trailing_bytes;
  return validate_properties(out.properties, context_of(f.type));
}

std::size_t encode_ack(std::uint8_t* out, packet_type t, std::uint16_t packet_id, std::uint8_t reason,
                       protocol_version v) noexcept {
  const bool with_reason = v == protocol_version::v5 && reason != 0;
  const std::uint8_t flags = t == packet_type::pubrel ? 0x02 : 0x00;
  std::uint8_t* o = put_header(out, t, flags, with_reason ? 3 : 2);
  o = put_u16(o, packet_id);
  if (with_reason) o = put_u8(o, reason);
  return static_cast<std::size_t>(o - out);
}

}  // namespace mqrelay::codec
