// Malformed inputs, one row per rule a receiver must enforce (MQTT 3.1.1 and 5.0), each with the
// exact error the framer or the decoder must give. Used by malformed_test.cpp and as fuzz seeds.
#pragma once
#include <string>
#include <vector>

#include "tests/codec/vectors.hpp"

namespace mqrelay::codec::test::malformed {

using enum protocol_version;

struct row {
  const char* what;
  protocol_version v;
  bytes wire;
  error want;
  std::uint32_t max_packet = 268'435'460u;
};

inline bytes u16(unsigned v) { return {static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)}; }
inline bytes prop_block(const bytes& props) { return cat({{static_cast<std::uint8_t>(props.size())}, props}); }
// A v5 PUBLISH QoS 0 to "a/b" with the given property block and payload "x".
inline bytes publish_v5_with(const bytes& props) {
  const bytes body = cat({lstr("a/b"), prop_block(props), str("x")});
  return cat({{0x30, static_cast<std::uint8_t>(body.size())}, body});
}
inline bytes packet(std::uint8_t b0, const bytes& body) {
  return cat({{b0, static_cast<std::uint8_t>(body.size())}, body});
}
inline bytes connack_v5_with(const bytes& props) { return packet(0x20, cat({{0x00, 0x00}, prop_block(props)})); }
inline bytes connect_v311_flags(std::uint8_t flags, const bytes& rest) {
  return packet(0x10, cat({lstr("MQTT"), {0x04, flags, 0x00, 0x3C}, lstr("id"), rest}));
}
inline bytes connect_v5_props(const bytes& props) {
  return packet(0x10, cat({lstr("MQTT"), {0x05, 0x02, 0x00, 0x3C}, prop_block(props), lstr("id")}));
}
inline const bytes empty_user_prop{0x26, 0x00, 0x00, 0x00, 0x00};  // user property "" = ""

inline std::vector<row> rows() {
  // clang-format off
  return {
    // ---- fixed header (framer): 3.1.1 §2.2, 5.0 §2.1
    {"packet type 0", v311, {0x00, 0x00}, error::reserved_type},
    {"packet type 0 (v5)", v5, {0x00, 0x00}, error::reserved_type},
    {"AUTH on 3.1.1 (type 15 reserved)", v311, {0xF0, 0x00}, error::reserved_type},
    {"CONNECT flags 1", v311, {0x11, 0x00}, error::reserved_flags},
    {"CONNACK flags 1", v5, {0x21, 0x02, 0x00, 0x00}, error::reserved_flags},
    {"PUBACK flags 2", v311, {0x42, 0x02, 0x00, 0x01}, error::reserved_flags},
    {"PUBREC flags 1", v5, {0x51, 0x02, 0x00, 0x01}, error::reserved_flags},
    {"PUBREL flags 0 (must be 0b0010)", v311, {0x60, 0x02, 0x00, 0x01}, error::reserved_flags},
    {"PUBREL flags 3", v5, {0x63, 0x02, 0x00, 0x01}, error::reserved_flags},
    {"PUBCOMP flags 2", v311, {0x72, 0x02, 0x00, 0x01}, error::reserved_flags},
    {"SUBSCRIBE flags 0", v311, {0x80, 0x06, 0x00, 0x01, 0x00, 0x01, 'a', 0x00}, error::reserved_flags},
    {"SUBACK flags 2", v311, {0x92, 0x03, 0x00, 0x01, 0x00}, error::reserved_flags},
    {"UNSUBSCRIBE flags 0", v5, {0xA0, 0x00}, error::reserved_flags},
    {"UNSUBACK flags 8", v311, {0xB8, 0x02, 0x00, 0x01}, error::reserved_flags},
    {"PINGREQ flags 1", v311, {0xC1, 0x00}, error::reserved_flags},
    {"PINGRESP flags 4", v5, {0xD4, 0x00}, error::reserved_flags},
    {"DISCONNECT flags 2", v5, {0xE2, 0x00}, error::reserved_flags},
    {"AUTH flags 1", v5, {0xF1, 0x00}, error::reserved_flags},
    {"PUBLISH QoS 3", v311, {0x36, 0x07, 0x00, 0x01, 'a', 0x00, 0x01, 'x', 'y'}, error::bad_qos},
    {"PUBLISH QoS 3 (v5)", v5, {0x37, 0x00}, error::bad_qos},
    {"PUBLISH DUP on QoS 0", v311, {0x38, 0x04, 0x00, 0x01, 'a', 'x'}, error::bad_qos},
    {"remaining length of 5 bytes", v311, {0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F}, error::bad_remaining_length},
    {"remaining length of 5 bytes (v5)", v5, {0xE0, 0x80, 0x80, 0x80, 0x80, 0x01}, error::bad_remaining_length},
    {"remaining length not minimal (v5)", v5, {0xC0, 0x80, 0x00}, error::bad_remaining_length},
    {"remaining length not minimal, 4 bytes (v5)", v5, {0xE0, 0x81, 0x80, 0x80, 0x00, 0x01}, error::bad_remaining_length},
    {"larger than maximum packet size", v311, {0x90, 0x05, 0x00, 0x01, 0x00, 0x01, 0x02}, error::packet_too_large, 6},
    {"larger than maximum packet size (v5 CONNACK)", v5, connack_v5_with(empty_user_prop), error::packet_too_large, 8},
    // ---- per-type lengths known from the fixed header
    {"PINGREQ with a body", v311, {0xC0, 0x01, 0x00}, error::trailing_bytes},
    {"PINGRESP with a body", v5, {0xD0, 0x01, 0x00}, error::trailing_bytes},
    {"3.1.1 PUBACK of 3 bytes", v311, {0x40, 0x03, 0x00, 0x01, 0x00}, error::trailing_bytes},
    {"PUBACK of 1 byte", v311, {0x40, 0x01, 0x00}, error::truncated},
    {"PUBACK of 1 byte (v5)", v5, {0x40, 0x01, 0x00}, error::truncated},
    {"3.1.1 PUBREC of 4 bytes", v311, {0x50, 0x04, 0x00, 0x01, 0x00, 0x00}, error::trailing_bytes},
    {"3.1.1 UNSUBACK of 3 bytes", v311, {0xB0, 0x03, 0x00, 0x01, 0x00}, error::trailing_bytes},
    {"3.1.1 CONNACK of 3 bytes", v311, {0x20, 0x03, 0x00, 0x00, 0x00}, error::trailing_bytes},
    {"v5 CONNACK without property length", v5, {0x20, 0x02, 0x00, 0x00}, error::truncated},
    {"3.1.1 DISCONNECT with a body", v311, {0xE0, 0x01, 0x00}, error::trailing_bytes},
    {"SUBSCRIBE with no payload (3.1.1)", v311, {0x82, 0x02, 0x00, 0x01}, error::truncated},
    {"SUBACK with no reason codes (3.1.1)", v311, {0x90, 0x02, 0x00, 0x01}, error::truncated},
    {"SUBACK with no reason codes (v5)", v5, {0x90, 0x03, 0x00, 0x01, 0x00}, error::truncated},
    {"UNSUBACK with no reason codes (v5)", v5, {0xB0, 0x03, 0x00, 0x01, 0x00}, error::truncated},
    {"PUBLISH shorter than its topic length field", v311, {0x30, 0x01, 0x00}, error::truncated},
    {"QoS 1 PUBLISH shorter than topic length + id", v311, {0x32, 0x03, 0x00, 0x00, 0x01}, error::truncated},
    // ---- PUBLISH (3.3)
    {"topic length past the packet", v311, {0x30, 0x03, 0x00, 0x05, 'a'}, error::truncated},
    {"QoS 1 without room for the packet id", v311, cat({{0x32, 0x05}, lstr("a/b")}), error::truncated},
    {"QoS 1 packet id 0", v311, cat({{0x32, 0x07}, lstr("a/b"), u16(0)}), error::zero_packet_id},
    {"QoS 2 packet id 0 (v5)", v5, cat({{0x34, 0x08}, lstr("a/b"), u16(0), {0x00}}), error::zero_packet_id},
    {"topic ill-formed UTF-8", v311, cat({{0x30, 0x04}, lstr("\xC3\x28")}), error::bad_utf8},
    {"topic overlong UTF-8 ('/' as C0 AF)", v311, cat({{0x30, 0x04}, lstr("\xC0\xAF")}), error::bad_utf8},
    {"topic UTF-16 surrogate", v5, cat({{0x30, 0x06}, lstr("\xED\xA0\x80"), {0x00}}), error::bad_utf8},
    {"topic truncated UTF-8 sequence", v311, cat({{0x30, 0x04}, lstr("a\xE2")}), error::bad_utf8},
    {"topic code point past U+10FFFF", v311, cat({{0x30, 0x06}, lstr("\xF4\x90\x80\x80")}), error::bad_utf8},
    {"topic with U+0000", v311, cat({{0x30, 0x05}, lstr(std::string("a\0b", 3))}), error::null_char},
    {"topic with '+'", v311, cat({{0x30, 0x05}, lstr("a/+")}), error::wildcard_in_topic},
    {"topic with '#'", v5, cat({{0x30, 0x06}, lstr("a/#"), {0x00}}), error::wildcard_in_topic},
    {"empty topic (3.1.1)", v311, {0x30, 0x03, 0x00, 0x00, 'x'}, error::empty_topic},
    {"empty topic without topic alias (v5)", v5, {0x30, 0x03, 0x00, 0x00, 0x00}, error::empty_topic},
    {"property length past the packet", v5, cat({{0x30, 0x07}, lstr("a/b"), {0x05, 0x01}}), error::truncated},
    {"property length of 5 bytes", v5, cat({{0x30, 0x0A}, lstr("a/b"), {0xFF, 0xFF, 0xFF, 0xFF, 0x7F}}), error::bad_property},
    {"property value past the block", v5, publish_v5_with({0x02, 0x00, 0x00}), error::truncated},
    {"duplicate payload format indicator", v5, publish_v5_with({0x01, 0x00, 0x01, 0x01}), error::duplicate_property},
    {"duplicate topic alias", v5, publish_v5_with({0x23, 0x00, 0x01, 0x23, 0x00, 0x02}), error::duplicate_property},
    {"session expiry in PUBLISH", v5, publish_v5_with({0x11, 0x00, 0x00, 0x00, 0x01}), error::property_not_allowed},
    {"reason string in PUBLISH", v5, publish_v5_with(cat({{0x1F}, lstr("r")})), error::property_not_allowed},
    {"unknown property identifier 0x7F", v5, publish_v5_with({0x7F, 0x00}), error::bad_property},
    {"property identifier 0 (reserved)", v5, publish_v5_with({0x00, 0x00}), error::bad_property},
    {"payload format indicator 2", v5, publish_v5_with({0x01, 0x02}), error::bad_property},
    {"topic alias 0", v5, publish_v5_with({0x23, 0x00, 0x00}), error::bad_property},
    {"subscription identifier 0", v5, publish_v5_with({0x0B, 0x00}), error::bad_property},
    {"subscription identifier of 5 bytes", v5, publish_v5_with({0x0B, 0x80, 0x80, 0x80, 0x80, 0x01}), error::bad_property},
    {"response topic with a wildcard", v5, publish_v5_with(cat({{0x08}, lstr("r/#")})), error::bad_property},
    {"content type ill-formed UTF-8", v5, publish_v5_with(cat({{0x03}, lstr("\xFF")})), error::bad_utf8},
    {"user property value with U+0000", v5, publish_v5_with(cat({{0x26}, lstr("k"), lstr(std::string("\0", 1))})), error::null_char},
    // ---- PUBACK / PUBREC / PUBREL / PUBCOMP (3.4-3.7)
    {"PUBACK packet id 0", v311, {0x40, 0x02, 0x00, 0x00}, error::zero_packet_id},
    {"PUBREL packet id 0 (v5)", v5, {0x62, 0x02, 0x00, 0x00}, error::zero_packet_id},
    {"PUBACK reason 0x05", v5, {0x40, 0x03, 0x00, 0x01, 0x05}, error::bad_reason_code},
    {"PUBREC reason 0x92 (PUBREL/PUBCOMP only)", v5, {0x50, 0x03, 0x00, 0x01, 0x92}, error::bad_reason_code},
    {"PUBCOMP reason 0x10", v5, {0x70, 0x03, 0x00, 0x01, 0x10}, error::bad_reason_code},
    {"PUBACK property length past the packet", v5, {0x40, 0x04, 0x00, 0x01, 0x00, 0x03}, error::truncated},
    {"PUBACK bytes after the properties", v5, {0x40, 0x05, 0x00, 0x01, 0x00, 0x00, 0xFF}, error::trailing_bytes},
    {"topic alias in PUBACK", v5, {0x40, 0x07, 0x00, 0x01, 0x00, 0x03, 0x23, 0x00, 0x01}, error::property_not_allowed},
    {"duplicate reason string in PUBCOMP", v5, cat({{0x70, 0x0C, 0x00, 0x01, 0x00, 0x08}, {0x1F}, lstr("a"), {0x1F}, lstr("b")}), error::duplicate_property},
    // ---- CONNACK (3.2)
    {"CONNACK reserved flag bits", v311, {0x20, 0x02, 0x02, 0x00}, error::bad_connect_flags},
    {"CONNACK session present with a refusal", v311, {0x20, 0x02, 0x01, 0x05}, error::bad_connect_flags},
    {"CONNACK session present with a refusal (v5)", v5, {0x20, 0x03, 0x01, 0x87, 0x00}, error::bad_connect_flags},
    {"CONNACK return code 6", v311, {0x20, 0x02, 0x00, 0x06}, error::bad_reason_code},
    {"CONNACK reason 0x01 (v5)", v5, {0x20, 0x03, 0x00, 0x01, 0x00}, error::bad_reason_code},
    {"CONNACK bytes after the properties", v5, {0x20, 0x04, 0x00, 0x00, 0x00, 0x00}, error::trailing_bytes},
    {"CONNACK maximum QoS 2", v5, connack_v5_with({0x24, 0x02}), error::bad_property},
    {"CONNACK receive maximum 0", v5, connack_v5_with({0x21, 0x00, 0x00}), error::bad_property},
    {"CONNACK maximum packet size 0", v5, connack_v5_with({0x27, 0x00, 0x00, 0x00, 0x00}), error::bad_property},
    {"CONNACK retain available 2", v5, connack_v5_with({0x25, 0x02}), error::bad_property},
    {"CONNACK topic alias (PUBLISH only)", v5, connack_v5_with({0x23, 0x00, 0x01}), error::property_not_allowed},
    {"CONNACK duplicate receive maximum", v5, connack_v5_with({0x21, 0x00, 0x01, 0x21, 0x00, 0x02}), error::duplicate_property},
    {"CONNACK assigned client id truncated", v5, connack_v5_with({0x12, 0x00, 0x05, 'a'}), error::truncated},
    // ---- CONNECT (3.1)
    {"CONNECT protocol name MQIsdp", v311, packet(0x10, cat({lstr("MQIsdp"), {0x03, 0x02, 0x00, 0x3C}, lstr("id")})), error::bad_protocol},
    {"CONNECT protocol level 3", v311, packet(0x10, cat({lstr("MQTT"), {0x03, 0x02, 0x00, 0x3C}, lstr("id")})), error::bad_protocol},
    {"CONNECT reserved flag bit 0", v311, connect_v311_flags(0x03, {}), error::bad_connect_flags},
    {"CONNECT will QoS 3", v311, connect_v311_flags(0x1C, cat({lstr("t"), lstr("p")})), error::bad_connect_flags},
    {"CONNECT will QoS without will flag", v311, connect_v311_flags(0x0A, {}), error::bad_connect_flags},
    {"CONNECT will retain without will flag", v311, connect_v311_flags(0x22, {}), error::bad_connect_flags},
    {"CONNECT password without user name (3.1.1)", v311, connect_v311_flags(0x42, lstr("pw")), error::bad_connect_flags},
    {"CONNECT user name flag, no user name", v311, connect_v311_flags(0x82, {}), error::truncated},
    {"CONNECT will topic with a wildcard", v311, connect_v311_flags(0x06, cat({lstr("a/+"), lstr("p")})), error::wildcard_in_topic},
    {"CONNECT client id ill-formed UTF-8", v311, packet(0x10, cat({lstr("MQTT"), {0x04, 0x02, 0x00, 0x3C}, lstr("\xC3")})), error::bad_utf8},
    {"CONNECT bytes after the payload", v311, connect_v311_flags(0x02, {0x00}), error::trailing_bytes},
    {"CONNECT topic alias property", v5, connect_v5_props({0x23, 0x00, 0x01}), error::property_not_allowed},
    {"CONNECT duplicate session expiry", v5, connect_v5_props({0x11, 0, 0, 0, 1, 0x11, 0, 0, 0, 2}), error::duplicate_property},
    {"CONNECT request problem information 2", v5, connect_v5_props({0x17, 0x02}), error::bad_property},
    {"CONNECT authentication data without method", v5, connect_v5_props(cat({{0x16}, lstr("d")})), error::protocol_error},
    {"AUTH authentication data without method", v5, cat({{0xF0, 0x06, 0x18, 0x04}, {0x16}, lstr("d")}), error::protocol_error},
    // ---- SUBSCRIBE / UNSUBSCRIBE (3.8, 3.10)
    {"SUBSCRIBE packet id 0", v311, cat({{0x82, 0x06}, u16(0), lstr("a"), {0x00}}), error::zero_packet_id},
    {"SUBSCRIBE with no entries (v5)", v5, cat({{0x82, 0x08}, u16(1), prop_block(empty_user_prop)}), error::no_payload_entries},
    {"SUBSCRIBE options QoS 3", v311, cat({{0x82, 0x06}, u16(1), lstr("a"), {0x03}}), error::bad_qos},
    {"SUBSCRIBE reserved option bits (3.1.1)", v311, cat({{0x82, 0x06}, u16(1), lstr("a"), {0x04}}), error::bad_subscription_options},
    {"SUBSCRIBE reserved option bits (v5)", v5, cat({{0x82, 0x07}, u16(1), {0x00}, lstr("a"), {0x40}}), error::bad_subscription_options},
    {"SUBSCRIBE retain handling 3", v5, cat({{0x82, 0x07}, u16(1), {0x00}, lstr("a"), {0x30}}), error::bad_subscription_options},
    {"SUBSCRIBE no local on a shared subscription", v5, cat({{0x82, 0x10}, u16(1), {0x00}, lstr("$share/g/a"), {0x04}}), error::protocol_error},
    {"SUBSCRIBE filter 'a/#/b'", v311, cat({{0x82, 0x0A}, u16(1), lstr("a/#/b"), {0x00}}), error::bad_topic_filter},
    {"SUBSCRIBE filter 'a+'", v311, cat({{0x82, 0x07}, u16(1), lstr("a+"), {0x00}}), error::bad_topic_filter},
    {"SUBSCRIBE empty filter", v311, cat({{0x82, 0x09}, u16(1), lstr("a"), {0x00}, lstr(""), {0x00}}), error::bad_topic_filter},
    {"SUBSCRIBE '$share/g' without a filter", v311, cat({{0x82, 0x0E}, u16(1), lstr("$share/g/"), {0x00}}), error::bad_topic_filter},
    {"SUBSCRIBE filter length past the packet", v311, cat({{0x82, 0x06}, u16(1), {0x00, 0x05, 'a', 0x00}}), error::truncated},
    {"SUBSCRIBE entry without options", v311, cat({{0x82, 0x09}, u16(1), lstr("a"), {0x00}, lstr("b")}), error::truncated},
    {"SUBSCRIBE filter with U+0000", v311, cat({{0x82, 0x07}, u16(1), lstr(std::string("a\0", 2)), {0x00}}), error::null_char},
    {"SUBSCRIBE topic alias property", v5, cat({{0x82, 0x0A}, u16(1), {0x03, 0x23, 0x00, 0x01}, lstr("a"), {0x00}}), error::property_not_allowed},
    {"SUBSCRIBE two subscription identifiers", v5, cat({{0x82, 0x0B}, u16(1), {0x04, 0x0B, 0x01, 0x0B, 0x02}, lstr("a"), {0x00}}), error::duplicate_property},
    {"UNSUBSCRIBE packet id 0", v311, cat({{0xA2, 0x05}, u16(0), lstr("a")}), error::zero_packet_id},
    {"UNSUBSCRIBE with no entries (v5)", v5, cat({{0xA2, 0x08}, u16(1), prop_block(empty_user_prop)}), error::no_payload_entries},
    {"UNSUBSCRIBE bad filter", v311, cat({{0xA2, 0x06}, u16(1), lstr("#a")}), error::bad_topic_filter},
    {"UNSUBSCRIBE subscription identifier property", v5, cat({{0xA2, 0x08}, u16(1), {0x02, 0x0B, 0x01}, lstr("a")}), error::property_not_allowed},
    // ---- SUBACK / UNSUBACK (3.9, 3.11)
    {"SUBACK packet id 0", v311, {0x90, 0x03, 0x00, 0x00, 0x00}, error::zero_packet_id},
    {"SUBACK with no reason codes (v5, properties only)", v5, cat({{0x90, 0x08}, u16(1), prop_block(empty_user_prop)}), error::no_payload_entries},
    {"SUBACK return code 3", v311, {0x90, 0x03, 0x00, 0x01, 0x03}, error::bad_reason_code},
    {"SUBACK v5-only code 0x83 on 3.1.1", v311, {0x90, 0x03, 0x00, 0x01, 0x83}, error::bad_reason_code},
    {"SUBACK reason 0x05 (v5)", v5, {0x90, 0x04, 0x00, 0x01, 0x00, 0x05}, error::bad_reason_code},
    {"SUBACK topic alias property", v5, {0x90, 0x07, 0x00, 0x01, 0x03, 0x23, 0x00, 0x01, 0x00}, error::property_not_allowed},
    {"UNSUBACK packet id 0", v311, {0xB0, 0x02, 0x00, 0x00}, error::zero_packet_id},
    {"UNSUBACK with no reason codes (v5, properties only)", v5, cat({{0xB0, 0x08}, u16(1), prop_block(empty_user_prop)}), error::no_payload_entries},
    {"UNSUBACK reason 0x01", v5, {0xB0, 0x04, 0x00, 0x01, 0x00, 0x01}, error::bad_reason_code},
    // ---- DISCONNECT / AUTH (3.14, 3.15)
    {"DISCONNECT reason 0x01", v5, {0xE0, 0x01, 0x01}, error::bad_reason_code},
    {"DISCONNECT property length past the packet", v5, {0xE0, 0x02, 0x00, 0x01}, error::truncated},
    {"DISCONNECT bytes after the properties", v5, {0xE0, 0x03, 0x00, 0x00, 0x00}, error::trailing_bytes},
    {"DISCONNECT maximum QoS property", v5, {0xE0, 0x04, 0x00, 0x02, 0x24, 0x01}, error::property_not_allowed},
    {"AUTH reason 0x01", v5, {0xF0, 0x01, 0x01}, error::bad_reason_code},
    {"AUTH bytes after the properties", v5, {0xF0, 0x03, 0x18, 0x00, 0x00}, error::trailing_bytes},
    {"AUTH reason string twice", v5, cat({{0xF0, 0x0A, 0x18, 0x08}, {0x1F}, lstr("a"), {0x1F}, lstr("b")}), error::duplicate_property},
  };
  // clang-format on
}

}  // namespace mqrelay::codec::test::malformed
