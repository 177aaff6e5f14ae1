// PINGREQ, PINGRESP, DISCONNECT and AUTH (MQTT 3.1.1 §3.12–3.14, 5.0 §3.12–3.15).
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "codec/framer.hpp"
#include "codec/protocol.hpp"

namespace mqrelay::codec {

error decode_pingreq(const frame& f, protocol_version v) noexcept;
error decode_pingresp(const frame& f, protocol_version v) noexcept;
std::size_t encode_pingreq(std::uint8_t* out) noexcept;   // 2 bytes
std::size_t encode_pingresp(std::uint8_t* out) noexcept;  // 2 bytes

struct disconnect_view {
  std::uint8_t reason_code = 0;
  std::span<const std::uint8_t> properties;
  std::string_view reason_string;
};
error decode_disconnect(const frame& f, protocol_version v, disconnect_view& out) noexcept;
// 2 bytes, or 3 for a v5 non-zero reason.
std::size_t encode_disconnect(std::uint8_t* out, std::uint8_t reason, protocol_version v) noexcept;
// A sentence for a v5 DISCONNECT reason code, e.g. "session taken over (0x8E)".
const char* describe_disconnect(std::uint8_t reason) noexcept;

struct auth_view {
  std::uint8_t reason_code = 0;
  std::span<const std::uint8_t> properties;
};
// AUTH exists only in MQTT 5 (the framer refuses it on 3.1.1 connections).
error decode_auth(const frame& f, protocol_version v, auth_view& out) noexcept;
std::size_t encode_auth(std::uint8_t* out, std::uint8_t reason) noexcept;  // no properties

}  // namespace mqrelay::codec
