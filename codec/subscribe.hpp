// SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK (MQTT 3.1.1 §3.8–3.11, 5.0 §3.8–3.11).
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "codec/framer.hpp"
#include "codec/protocol.hpp"

namespace mqrelay::codec {

struct subscription_out {
  std::string_view filter;
  std::uint8_t qos = 1;
  bool no_local = false;             // v5 only
  bool retain_as_published = false;  // v5 only
  std::uint8_t retain_handling = 0;  // v5 only: 0 send, 1 send if new, 2 never
};

std::size_t subscribe_size(std::span<const subscription_out> subs, protocol_version v) noexcept;
std::size_t encode_subscribe(std::uint8_t* out, std::uint16_t packet_id, std::span<const subscription_out> subs,
                             protocol_version v) noexcept;

std::size_t unsubscribe_size(std::span<const std::string_view> filters, protocol_version v) noexcept;
std::size_t encode_unsubscribe(std::uint8_t* out, std::uint16_t packet_id, std::span<const std::string_view> filters,
                               protocol_version v) noexcept;

struct subscribe_view {
  std::uint16_t packet_id = 0;
  std::span<const std::uint8_t> properties;
  std::span<const std::uint8_t> entries;  // raw, validated: walk with for_each_subscription
};
// Validates every entry: filter, options (reserved bits, QoS 3, retain handling 3) and at least one.
error decode_subscribe(const frame& f, protocol_version v, subscribe_view& out) noexcept;

struct subscription_entry {
  std::string_view filter;
  std::uint8_t qos = 0;
  bool no_local = false;
  bool retain_as_published = false;
  std::uint8_t retain_handling = 0;
};
template <class F>
void for_each_subscription(const subscribe_view& s, F&& fn);

struct unsubscribe_view {
  std::uint16_t packet_id = 0;
  std::span<const std::uint8_t> properties;
  std::span<const std::uint8_t> entries;  // raw, validated: walk with for_each_unsubscription
};
error decode_unsubscribe(const frame& f, protocol_version v, unsubscribe_view& out) noexcept;
template <class F>
void for_each_unsubscription(const unsubscribe_view& s, F&& fn);

struct suback_view {
  std::uint16_t packet_id = 0;
  std::span<const std::uint8_t> reason_codes;  // one per requested filter, validated
  std::span<const std::uint8_t> properties;
};
error decode_suback(const frame& f, protocol_version v, suback_view& out) noexcept;
// True when a SUBACK code grants the subscription (0, 1 or 2: the granted QoS).
inline bool suback_granted(std::uint8_t code) noexcept { return code <= 2; }

struct unsuback_view {
  std::uint16_t packet_id = 0;
  std::span<const std::uint8_t> reason_codes;  // v5 only
  std::span<const std::uint8_t> properties;
};
error decode_unsuback(const frame& f, protocol_version v, unsuback_view& out) noexcept;

std::size_t encode_suback(std::uint8_t* out, std::uint16_t packet_id, std::span<const std::uint8_t> codes,
                          protocol_version v) noexcept;
std::size_t encode_unsuback(std::uint8_t* out, std::uint16_t packet_id, std::span<const std::uint8_t> codes,
                            protocol_version v) noexcept;

// ---- implementation of the walkers (entries were validated by the decoder)
template <class F>
void for_each_subscription(const subscribe_view& s, F&& fn) {
  const std::uint8_t* p = s.entries.data();
  const std::uint8_t* end = p + s.entries.size();
  while (end - p >= 3) {
    const std::size_t n = (std::size_t{p[0]} << 8) | p[1];
    subscription_entry e;
    e.filter = {reinterpret_cast<const char*>(p + 2), n};
    const std::uint8_t o = p[2 + n];
    e.qos = o & 3;
    e.no_local = o & 4;
    e.retain_as_published = o & 8;
    e.retain_handling = (o >> 4) & 3;
    fn(e);
    p += 3 + n;
  }
}
template <class F>
void for_each_unsubscription(const unsubscribe_view& s, F&& fn) {
  const std::uint8_t* p = s.entries.data();
  const std::uint8_t* end = p + s.entries.size();
  while (end - p >= 2) {
    const std::size_t n = (std::size_t{p[0]} << 8) | p[1];
    fn(std::string_view{reinterpret_cast<const char*>(p + 2), n});
    p += 2 + n;
  }
}

}  // namespace mqrelay::codec
