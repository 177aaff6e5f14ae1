// PUBACK, PUBREC, PUBREL, PUBCOMP (MQTT 3.1.1 §3.4–3.7, 5.0 §3.4–3.7).
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>

#include "codec/framer.hpp"
#include "codec/protocol.hpp"

namespace mqrelay::codec {

struct ack_view {
  std::uint16_t packet_id = 0;
  std::uint8_t reason_code = 0;              // 0 when absent (and always for 3.1.1)
  std::span<const std::uint8_t> properties;  // raw v5 block, validated
};

// f.type must be one of the four acknowledgement types (else error::protocol_error).
// Checks packet id != 0, the reason code is one the type allows, and the properties.
error decode_ack(const frame& f, protocol_version v, ack_view& out) noexcept;

// Writes the packet (t one of puback, pubrec, pubrel, pubcomp) and returns its size:
// 4 bytes for 3.1.1 or reason 0, 5 bytes for a v5 non-zero reason.
std::size_t encode_ack(std::uint8_t* out, packet_type t, std::uint16_t packet_id, std::uint8_t reason,
                       protocol_version v) noexcept;

// True when a v5 PUBACK/PUBREC reason code says the publish was not accepted (>= 0x80).
inline bool ack_failed(std::uint8_t reason) noexcept { return reason >= 0x80; }

}  // namespace mqrelay::codec
