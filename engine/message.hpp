// message: one relayed PUBLISH, copied once out of the receive buffer when it enters the relay
// (STYLE lesson 5) and shared by every target it routes to until each has acknowledged it.
//
// Life cycle (SPEC §4.5 ack chaining):
//   source thread: message_pool::make() copies topic, forwardable properties and payload;
//                  pending = number of deliveries; each delivery goes to its target's inbox.
//   target thread: after the target's PUBACK (or a drop), finish() decrements pending; the
//                  thread that reaches zero hands the message back to the source link.
//   source thread: sends the source PUBACK (QoS 1, same connection generation; after the PUBACKs
//                  of the source's earlier messages, ack_order) and recycles the memory into its pool.
// Memory is only ever allocated and freed by the source thread, so the pool needs no locks.
#pragma once
#include <atomic>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace mqrelay::engine {

class link;

struct message {
  std::atomic<std::uint32_t> pending{0};  // deliveries not yet finished
  std::uint32_t ack_ticket = 0;            // QoS 1: its place in the source's PUBACK order (ack_order)
  link* source = nullptr;
  std::uint32_t generation = 0;            // source connection generation when received
  std::uint32_t alloc_bytes = 0;           // bytes counted in the spooler
  std::uint32_t payload_len = 0;
  std::uint32_t props_len = 0;
  std::uint16_t topic_len = 0;
  std::uint16_t packet_id = 0;             // at the source (QoS 1)
  std::uint8_t qos = 0;                    // as received from the source
  bool retain = false;                     // as received
  std::uint8_t size_class = 0;

  std::uint8_t* bytes() noexcept { return reinterpret_cast<std::uint8_t*>(this + 1); }
  const std::uint8_t* bytes() const noexcept { return reinterpret_cast<const std::uint8_t*>(this + 1); }
  std::string_view topic() const noexcept { return {reinterpret_cast<const char*>(bytes()), topic_len}; }
  std::span<const std::uint8_t> properties() const noexcept { return {bytes() + topic_len, props_len}; }
  std::span<const std::uint8_t> payload() const noexcept { return {bytes() + topic_len + props_len, payload_len}; }
};

// Per-source-link allocator of messages in power-of-two size classes (128 B .. 1 MiB; larger
// ones come straight from malloc). 128 B holds the 40 B header, a short topic and a 64 B payload:
// typical telemetry costs half the block (and the spooler charge) of a 256 B smallest class.
// Free blocks are kept for reuse up to `cache_limit` bytes.
// Not thread-safe: only the owning source link's thread calls it.
class message_pool {
 public:
  explicit message_pool(std::size_t cache_limit = 16u << 20) : cache_limit_(cache_limit) {}
  ~message_pool();
  message_pool(const message_pool&) = delete;
  message_pool& operator=(const message_pool&) = delete;

  // A message with room for the given sizes, fields zeroed. Throws std::bad_alloc.
  message* make(std::size_t topic_len, std::size_t props_len, std::size_t payload_len);
  void recycle(message* m) noexcept;

 private:
  static constexpr int kClasses = 14;  // 128 << 13 = 1 MiB
  std::vector<void*> free_[kClasses];
  std::size_t cached_ = 0;
  std::size_t cache_limit_;
};

}  // namespace mqrelay::engine
