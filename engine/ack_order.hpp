// ack_order: a source's PUBACKs in the order its QoS 1 PUBLISHes arrived.
//
// MQTT 3.1.1 §4.6 and MQTT 5 §4.6 [MQTT-4.6.0-2]: a client MUST send PUBACK packets in the order
// in which the corresponding PUBLISH packets were received. With ack chaining (SPEC §4.5) a
// message's PUBACK waits for its targets, and targets finish out of order: two IoT Core
// connections, a mapping to another target, IoT Core itself (it does not promise PUBACK order).
// So each QoS 1 PUBLISH takes a ticket when it arrives; done(ticket) marks it finished; release()
// hands the packet ids of the finished ones at the head to `ack`, oldest first, and stops at the
// first unfinished one.
//
// A ring of 32-bit entries (packet id | finished bit), indexed by ticket. Tickets are a 32-bit
// counter that wraps; the capacity is a power of two, so ticket & mask stays right across the wrap.
// It grows (doubling, in ticket order) only when more are waiting than it holds: the source's window
// bounds that (Receive Maximum, mosquitto's max_inflight_messages), and the spooler bounds it for a
// source that ignores its window. Nothing else allocates. Only the source link's thread uses it.
#pragma once
#include <cstdint>
#include <memory>

namespace mqrelay::engine {

class ack_order {
 public:
  // first_ticket: where the counter starts (tests start it near the wrap).
  explicit ack_order(std::uint32_t initial_capacity = 256, std::uint32_t first_ticket = 0)
      : cap_(round_up(initial_capacity)), ring_(new std::uint32_t[cap_]), head_(first_ticket), tail_(first_ticket) {}

  bool empty() const noexcept { return head_ == tail_; }
  std::uint32_t waiting() const noexcept { return tail_ - head_; }

  // A QoS 1 PUBLISH arrived with this packet id; returns its ticket. Throws std::bad_alloc.
  std::uint32_t push(std::uint16_t packet_id, bool finished = false) {
    if (tail_ - head_ == cap_) grow();
    const std::uint32_t t = tail_++;
    ring_[t & mask()] = packet_id | (finished ? kFinished : 0u);
    return t;
  }

  // The message of this ticket needs nothing more before its PUBACK. Call release() after.
  void done(std::uint32_t ticket) noexcept { ring_[ticket & mask()] |= kFinished; }

  // ack(packet_id) for each finished one at the head, oldest first; returns how many.
  template <class F>
  std::uint32_t release(F&& ack) {
    std::uint32_t n = 0;
    while (head_ != tail_) {
      const std::uint32_t e = ring_[head_ & mask()];
      if (!(e & kFinished)) break;
      ack(static_cast<std::uint16_t>(e));
      ++head_;
      ++n;
    }
    return n;
  }

  // A new connection: what was waiting is the broker's to redeliver. Tickets of the old
  // connection must not be passed to done() afterwards.
  void clear() noexcept { head_ = tail_ = 0; }

 private:
  static constexpr std::uint32_t kFinished = 1u << 16;
  static std::uint32_t round_up(std::uint32_t n) {
    std::uint32_t c = 16;
    while (c < n) c <<= 1;
    return c;
  }
  std::uint32_t mask() const noexcept { return cap_ - 1; }
  void grow() {
    std::unique_ptr<std::uint32_t[]> bigger(new std::uint32_t[2 * cap_]);
    const std::uint32_t new_mask = 2 * cap_ - 1;
    for (std::uint32_t t = head_; t != tail_; ++t) bigger[t & new_mask] = ring_[t & mask()];
    ring_ = std::move(bigger);
    cap_ *= 2;
  }

  std::uint32_t cap_;  // a power of two
  std::unique_ptr<std::uint32_t[]> ring_;
  std::uint32_t head_ = 0, tail_ = 0;
};

}  // namespace mqrelay::engine
