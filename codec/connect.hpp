// CONNECT and CONNACK (MQTT 3.1.1 §3.1–3.2, 5.0 §3.1–3.2). The client side (encode CONNECT,
// decode CONNACK) is what the relay uses; the server side (decode CONNECT, encode CONNACK) serves
// the tests' scripted brokers and the benchmark's synthetic brokers.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "codec/framer.hpp"
#include "codec/protocol.hpp"

namespace mqrelay::codec {

struct connect_out {
  protocol_version version = protocol_version::v311;
  std::string_view client_id;
  bool clean_start = true;
  std::uint16_t keep_alive = 60;
  std::optional<std::string_view> username;
  std::optional<std::string_view> password;
  // v5 properties; each is sent only when it differs from the protocol default.
  std::uint32_t session_expiry = 0;       // sent when != 0
  std::uint16_t receive_maximum = 65535;  // sent when != 65535
  std::uint32_t maximum_packet_size = 0;  // sent when != 0 (0 = no limit)
};

std::size_t connect_size(const connect_out& c) noexcept;
std::size_t encode_connect(std::uint8_t* out, const connect_out& c) noexcept;

struct connect_view {
  protocol_version version = protocol_version::v311;
  std::string_view client_id;
  bool clean_start = false;
  std::uint16_t keep_alive = 0;
  bool has_username = false, has_password = false;
  std::string_view username;
  std::span<const std::uint8_t> password;
  bool has_will = false;
  std::string_view will_topic;
  std::span<const std::uint8_t> will_payload;
  std::uint8_t will_qos = 0;
  bool will_retain = false;
  std::span<const std::uint8_t> properties;
  std::span<const std::uint8_t> will_properties;
  std::uint32_t session_expiry = 0;
  std::uint16_t receive_maximum = 65535;
  std::uint32_t maximum_packet_size = 0;
};

// The version comes from the packet's protocol level (3.1.1 level 4 or 5.0 level 5).
error decode_connect(const frame& f, connect_view& out) noexcept;

struct connack_view {
  bool session_present = false;
  std::uint8_t reason_code = 0;  // the 3.1.1 return code too (0..5)
  std::uint16_t receive_maximum = 65535;
  std::uint32_t maximum_packet_size = 0;  // 0 = no limit
  std::uint8_t maximum_qos = 2;
  bool retain_available = true;
  std::uint16_t topic_alias_maximum = 0;
  bool has_server_keep_alive = false;
  std::uint16_t server_keep_alive = 0;
  bool has_session_expiry = false;
  std::uint32_t session_expiry = 0;
  std::string_view assigned_client_id;
  std::string_view reason_string;
  bool wildcard_available = true, subscription_ids_available = true, shared_available = true;
};

error decode_connack(const frame& f, protocol_version v, connack_view& out) noexcept;

// A sentence for a CONNACK refusal, e.g. "not authorized (0x87)" / "bad user name or password (4)".
const char* describe_connack(std::uint8_t reason, protocol_version v) noexcept;

struct connack_out {
  bool session_present = false;
  std::uint8_t reason_code = 0;
  std::uint16_t receive_maximum = 0;      // v5: sent when != 0
  std::uint32_t maximum_packet_size = 0;  // v5: sent when != 0
};
std::size_t connack_size(const connack_out& c, protocol_version v) noexcept;
std::size_t encode_connack(std::uint8_t* out, const connack_out& c, protocol_version v) noexcept;

}  // namespace mqrelay::codec
