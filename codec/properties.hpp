// MQTT 5 properties (5.0 §2.2.2): a bounds-checked iterator over a raw property block, the
// validation a receiver must do (known identifier, allowed in this packet, not duplicated unless
// repeatable, value in range), and the copy of a PUBLISH's forwardable properties.
//
// A property block is the bytes after the Property Length varint. Nothing here allocates.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "codec/protocol.hpp"

namespace mqrelay::codec {

enum class property_type : std::uint8_t { none, byte, u16, u32, varint, utf8, binary, utf8_pair };

// The wire type of a property identifier; property_type::none for an unknown identifier.
property_type type_of_property(std::uint8_t id) noexcept;

struct property {
  std::uint8_t id = 0;
  property_type type = property_type::none;
  std::uint32_t number = 0;                 // byte, u16, u32, varint
  std::string_view text;                    // utf8, and the name of a utf8_pair
  std::string_view value;                   // the value of a utf8_pair
  std::span<const std::uint8_t> data;       // binary
};

// Where a property block sits: a packet type, or the Will Properties of a CONNECT.
enum class property_context : std::uint8_t {
  connect, connack, publish, will, puback, pubrec, pubrel, pubcomp, subscribe, suback,
  unsubscribe, unsuback, disconnect, auth,
};

// Iterates a property block. next() returns error::none and sets done=true at the end.
// Decodes types and UTF-8 validity; it does not check placement or duplicates (validate does).
class property_reader {
 public:
  explicit property_reader(std::span<const std::uint8_t> block) noexcept : p_(block.data()), end_(block.data() + block.size()) {}
  error next(property& out, bool& done) noexcept;
  const std::uint8_t* pos() const noexcept { return p_; }

 private:
  const std::uint8_t* p_;
  const std::uint8_t* end_;
};

// Full receiver-side validation of a property block in its context (5.0 §2.2.2.2 and each
// packet's property section): identifier known and allowed here, no duplicate of a
// non-repeatable property, values in range (e.g. Receive Maximum 0, Maximum Packet Size 0,
// Topic Alias 0, Payload Format Indicator > 1, Subscription Identifier 0).
error validate_properties(std::span<const std::uint8_t> block, property_context where) noexcept;

// Reads a Property Length varint and the block it announces from r's position.
class reader;
error read_property_block(reader& r, std::span<const std::uint8_t>& block) noexcept;

// Copies a PUBLISH property block minus Topic Alias (0x23) and Subscription Identifier (0x0B),
// which belong to one hop (5.0 §3.3.4). `in` must have been validated; out has room for in.size().
// Returns the bytes written.
std::size_t copy_forwardable_properties(std::span<const std::uint8_t> in, std::uint8_t* out) noexcept;

// Size of a property as encoded (identifier byte included), for encoders.
inline constexpr std::size_t property_u16_size = 3, property_u32_size = 5, property_byte_size = 2;

}  // namespace mqrelay::codec
