// Incremental MQTT framer: bytes in arbitrary chunks in, whole packets out as views.
//
// The framer owns one receive buffer. The caller either receives straight into writable() and
// commit()s what arrived, or feed()s a copy (TLS plaintext, tests). next() then returns, one at a
// time: need_more, a frame (a view into the buffer: no copy of topic or payload), an oversize
// PUBLISH (reported once, its bytes then discarded as they stream past, never buffered whole), or
// a typed error (after which the connection must be closed: the framer stays in error).
//
// The fixed header is checked as soon as it arrives, before anything else is buffered: packet
// type, flag nibble, remaining length encoding, per-type length rules and the maximum packet
// size (MQTT 3.1.1 §2.2, 5.0 §2.1, §3.1.2.24). "need more" and "malformed" are never confused:
// a prefix of a valid packet is always need_more.
//
// Views returned by next() stay valid until the next writable(), feed() or reset().
// Not thread-safe; one framer per connection. No allocation once the buffer has grown to the
// largest packet seen (plus the caller's min_free).
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "codec/protocol.hpp"

namespace mqrelay::codec {

struct frame {
  packet_type type = packet_type::reserved;
  std::uint8_t flags = 0;                  // low nibble of the first byte
  std::span<const std::uint8_t> body;      // the remaining_length bytes after the fixed header
  std::size_t size = 0;                    // the whole packet, fixed header included
};

struct oversize_publish {
  std::string_view topic;   // raw topic bytes (not validated)
  std::uint16_t packet_id = 0;
  std::uint8_t qos = 0;
  std::uint32_t remaining_length = 0;
};

enum class frame_status : std::uint8_t { need_more, frame, oversize_publish, error };

struct frame_event {
  frame_status status = frame_status::need_more;
  frame f{};
  oversize_publish oversize{};
  error err = error::none;
};

// Checks a fixed header's first byte for the given version: the type is not reserved and the
// flag nibble is what the type requires. error::none when fine.
error check_first_byte(std::uint8_t b, protocol_version v) noexcept;

class framer {
 public:
  // max_packet_size: the largest whole packet this side accepts (fixed header included).
  explicit framer(protocol_version v, std::uint32_t max_packet_size = 268'435'460u,
                  std::size_t initial_capacity = 64 * 1024);

  // Free space to receive into (at least min_free bytes). Compacts consumed bytes; grows only
  // when less than min_free is free, and then for a large packet being assembled by up to twice
  // what has arrived of it (never beyond its size): memory follows received bytes, not the
  // remaining length a peer announces.
  std::span<std::uint8_t> writable(std::size_t min_free = 16 * 1024);
  void commit(std::size_t n) noexcept { end_ += n; }
  // Copies bytes in (grows as needed).
  void feed(std::span<const std::uint8_t> bytes);

  frame_event next() noexcept;

  void reset() noexcept;
  void set_version(protocol_version v) noexcept { version_ = v; }
  void set_max_packet_size(std::uint32_t n) noexcept { max_packet_ = n; }
  protocol_version version() const noexcept { return version_; }
  std::size_t buffered() const noexcept { return end_ - begin_; }
  std::size_t capacity() const noexcept { return cap_; }

 private:
  void reserve_total(std::size_t need);
  frame_event fail(error e) noexcept;

  std::unique_ptr<std::uint8_t[]> buf_;
  std::size_t cap_ = 0;
  std::size_t begin_ = 0;    // first unconsumed byte
  std::size_t end_ = 0;      // one past the last received byte
  std::size_t pending_ = 0;  // size of the packet being assembled at begin_ (0 = unknown yet)
  std::uint64_t discard_ = 0;  // bytes of an oversize PUBLISH still to skip
  protocol_version version_;
  std::uint32_t max_packet_;
  error failed_ = error::none;
};

}  // namespace mqrelay::codec
