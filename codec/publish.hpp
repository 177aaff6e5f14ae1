// PUBLISH (MQTT 3.1.1 §3.3, 5.0 §3.3): the zero-copy decoder and the encoder of the hot path.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "codec/framer.hpp"
#include "codec/protocol.hpp"

namespace mqrelay::codec {

struct publish_view {
  std::string_view topic;                   // validated topic name; empty only with a topic alias (v5)
  std::span<const std::uint8_t> payload;
  std::uint16_t packet_id = 0;              // 0 for QoS 0
  std::uint8_t qos = 0;
  bool retain = false;
  bool dup = false;
  std::span<const std::uint8_t> properties; // raw v5 property block (validated), empty for 3.1.1
  std::uint16_t topic_alias = 0;            // 0 = absent. We never grant aliases: callers treat
                                            // a non-zero alias as a protocol error (5.0 §3.3.2.3.4).
};

// Validates every field (topic name UTF-8 and wildcards, packet id, properties) and fills out
// with views into f.body. f must come from a framer (flags already checked).
error decode_publish(const frame& f, protocol_version v, publish_view& out) noexcept;

struct publish_out {
  std::string_view topic_prefix;            // the topic on the wire is prefix + topic
  std::string_view topic;
  std::span<const std::uint8_t> payload;
  std::uint16_t packet_id = 0;              // ignored for QoS 0
  std::uint8_t qos = 0;
  bool retain = false;
  bool dup = false;
  std::span<const std::uint8_t> properties; // raw v5 property block (without its length); ignored for 3.1.1
};

// Exact encoded size of the whole packet.
std::size_t publish_size(const publish_out& p, protocol_version v) noexcept;
// Writes the packet at out (publish_size bytes available) and returns the bytes written.
std::size_t encode_publish(std::uint8_t* out, const publish_out& p, protocol_version v) noexcept;

}  // namespace mqrelay::codec
