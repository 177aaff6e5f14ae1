// MQTT protocol constants shared by every packet family and the typed decode errors.
//
// MQTT 3.1.1: https://docs.oasis-open.org/mqtt/mqtt/v3.1.1/os/mqtt-v3.1.1-os.html
// MQTT 5.0:   https://docs.oasis-open.org/mqtt/mqtt/v5.0/os/mqtt-v5.0-os.html
#pragma once
#include <cstdint>

namespace mqrelay::codec {

// The protocol level byte of CONNECT (3.1.1 §3.1.2.2, 5.0 §3.1.2.2).
enum class protocol_version : std::uint8_t { v311 = 4, v5 = 5 };

// Control packet types (high nibble of the fixed header, 5.0 §2.1.2).
enum class packet_type : std::uint8_t {
  reserved = 0,
  connect = 1,
  connack,
  publish,
  puback,
  pubrec,
  pubrel,
  pubcomp,
  subscribe,
  suback,
  unsubscribe,
  unsuback,
  pingreq,
  pingresp,
  disconnect,
  auth,
};

const char* name(packet_type t) noexcept;

// One value per malformed-packet rule a receiver enforces, so tests and logs can say which.
enum class error : std::uint8_t {
  none = 0,
  reserved_type,          // packet type 0, or AUTH (15) on an MQTT 3.1.1 connection
  reserved_flags,         // fixed-header flag nibble not what the type requires
  bad_remaining_length,   // remaining length longer than 4 bytes
  truncated,              // a field runs past the end of the packet
  trailing_bytes,         // bytes left over after the last field
  bad_utf8,               // ill-formed UTF-8, surrogate, overlong form
  null_char,              // U+0000 in a UTF-8 string
  wildcard_in_topic,      // '+' or '#' in a PUBLISH topic name
  empty_topic,            // zero-length PUBLISH topic (and no topic alias)
  zero_packet_id,         // packet identifier 0 where one is required
  bad_qos,                // QoS 3, or DUP set on a QoS 0 PUBLISH
  duplicate_property,     // a non-repeatable property present twice
  bad_property,           // unknown property identifier or value out of range
  property_not_allowed,   // property not valid in this packet type
  packet_too_large,       // larger than the maximum packet size we accept
  protocol_error,         // a well-formed packet that breaks a protocol rule
  bad_reason_code,        // reason/return code not valid for this packet
  bad_connect_flags,      // CONNECT/CONNACK flags break their rules
  bad_protocol,           // CONNECT protocol name/level not MQTT 3.1.1 or 5
  no_payload_entries,     // SUBSCRIBE/UNSUBSCRIBE/SUBACK/UNSUBACK with no entries
  bad_topic_filter,       // invalid topic filter in SUBSCRIBE/UNSUBSCRIBE
  bad_subscription_options, // reserved bits or retain handling 3 in subscription options
};

// A sentence fragment naming the broken rule, e.g. "PUBLISH with QoS 3".
const char* describe(error e) noexcept;

// The MQTT 5 reason code to send in a DISCONNECT for this error:
// 0x81 malformed packet, 0x82 protocol error, 0x95 packet too large.
std::uint8_t reason_code(error e) noexcept;

// Maximum remaining length representable by the 4-byte variable byte integer (5.0 §1.5.5).
inline constexpr std::uint32_t max_remaining_length = 268'435'455;

// MQTT 5 property identifiers (5.0 §2.2.2.2).
namespace prop {
inline constexpr std::uint8_t payload_format_indicator = 0x01;
inline constexpr std::uint8_t message_expiry_interval = 0x02;
inline constexpr std::uint8_t content_type = 0x03;
inline constexpr std::uint8_t response_topic = 0x08;
inline constexpr std::uint8_t correlation_data = 0x09;
inline constexpr std::uint8_t subscription_identifier = 0x0B;
inline constexpr std::uint8_t session_expiry_interval = 0x11;
inline constexpr std::uint8_t assigned_client_identifier = 0x12;
inline constexpr std::uint8_t server_keep_alive = 0x13;
inline constexpr std::uint8_t authentication_method = 0x15;
inline constexpr std::uint8_t authentication_data = 0x16;
inline constexpr std::uint8_t request_problem_information = 0x17;
inline constexpr std::uint8_t will_delay_interval = 0x18;
inline constexpr std::uint8_t request_response_information = 0x19;
inline constexpr std::uint8_t response_information = 0x1A;
inline constexpr std::uint8_t server_reference = 0x1C;
inline constexpr std::uint8_t reason_string = 0x1F;
inline constexpr std::uint8_t receive_maximum = 0x21;
inline constexpr std::uint8_t topic_alias_maximum = 0x22;
inline constexpr std::uint8_t topic_alias = 0x23;
inline constexpr std::uint8_t maximum_qos = 0x24;
inline constexpr std::uint8_t retain_available = 0x25;
inline constexpr std::uint8_t user_property = 0x26;
inline constexpr std::uint8_t maximum_packet_size = 0x27;
inline constexpr std::uint8_t wildcard_subscription_available = 0x28;
inline constexpr std::uint8_t subscription_identifier_available = 0x29;
inline constexpr std::uint8_t shared_subscription_available = 0x2A;
}  // namespace prop

}  // namespace mqrelay::codec
