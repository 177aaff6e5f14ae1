#include "codec/protocol.hpp"

namespace mqrelay::codec {

const char* name(packet_type t) noexcept {
  switch (t) {
    case packet_type::reserved: return "reserved packet type 0";
    case packet_type::connect: return "CONNECT";
    case packet_type::connack: return "CONNACK";
    case packet_type::publish: return "PUBLISH";
    case packet_type::puback: return "PUBACK";
    case packet_type::pubrec: return "PUBREC";
    case packet_type::pubrel: return "PUBREL";
    case packet_type::pubcomp: return "PUBCOMP";
    case packet_type::subscribe: return "SUBSCRIBE";
    case packet_type::suback: return "SUBACK";
    case packet_type::unsubscribe: return "UNSUBSCRIBE";
    case packet_type::unsuback: return "UNSUBACK";
    case packet_type::pingreq: return "PINGREQ";
    case packet_type::pingresp: return "PINGRESP";
    case packet_type::disconnect: return "DISCONNECT";
    case packet_type::auth: return "AUTH";
  }
  return "unknown packet type";
}

const char* describe(error e) noexcept {
  switch (e) {
    case error::none: return "no error";
    case error::reserved_type: return "reserved packet type (0, or AUTH on MQTT 3.1.1)";
    case error::reserved_flags: return "fixed-header flags not the ones the packet type requires";
    case error::bad_remaining_length: return "variable byte integer longer than 4 bytes or not minimally encoded";
    case error::truncated: return "a field runs past the end of the packet";
    case error::trailing_bytes: return "unexpected bytes after the last field of the packet";
    case error::bad_utf8: return "string is not well-formed UTF-8";
    case error::null_char: return "string contains U+0000";
    case error::wildcard_in_topic: return "PUBLISH topic name contains a wildcard ('+' or '#')";
    case error::empty_topic: return "PUBLISH with an empty topic name and no topic alias";
    case error::zero_packet_id: return "packet identifier 0 where one is required";
    case error::bad_qos: return "PUBLISH with QoS 3, or DUP set on QoS 0";
    case error::duplicate_property: return "a property that may appear once appears twice";
    case error::bad_property: return "unknown property identifier or property value out of range";
    case error::property_not_allowed: return "property not allowed in this packet";
    case error::packet_too_large: return "packet larger than the maximum packet size";
    case error::protocol_error: return "protocol error";
    case error::bad_reason_code: return "reason code not valid for this packet";
    case error::bad_connect_flags: return "CONNECT/CONNACK flags break their rules";
    case error::bad_protocol: return "CONNECT protocol name or level is not MQTT 3.1.1 or 5";
    case error::no_payload_entries: return "SUBSCRIBE/UNSUBSCRIBE/SUBACK/UNSUBACK without any entry";
    case error::bad_topic_filter: return "invalid topic filter";
    case error::bad_subscription_options: return "reserved bits or retain handling 3 in subscription options";
  }
  return "unknown error";
}

std::uint8_t reason_code(error e) noexcept {
  switch (e) {
    case error::none: return 0x00;
    case error::packet_too_large: return 0x95;
    case error::protocol_error:
    case error::duplicate_property:
    case error::property_not_allowed:
    case error::reserved_type:
      return 0x82;
    default: return 0x81;
  }
}

}  // namespace mqrelay::codec
