#include "codec/properties.hpp"

#include <cstring>

#include "codec/wire.hpp"

namespace mqrelay::codec {

property_type type_of_property(std::uint8_t id) noexcept {
  switch (id) {
    case prop::payload_format_indicator:
    case prop::request_problem_information:
    case prop::request_response_information:
    case prop::maximum_qos:
    case prop::retain_available:
    case prop::wildcard_subscription_available:
    case prop::subscription_identifier_available:
    case prop::shared_subscription_available:
      return property_type::byte;
    case prop::server_keep_alive:
    case prop::receive_maximum:
    case prop::topic_alias_maximum:
    case prop::topic_alias:
      return property_type::u16;
    case prop::message_expiry_interval:
    case prop::session_expiry_interval:
    case prop::will_delay_interval:
    case prop::maximum_packet_size:
      return property_type::u32;
    case prop::subscription_identifier:
      return property_type::varint;
    case prop::content_type:
    case prop::response_topic:
    case prop::assigned_client_identifier:
    case prop::authentication_method:
    case prop::response_information:
    case prop::server_reference:
    case prop::reason_string:
      return property_type::utf8;
    case prop::correlation_data:
    case prop::authentication_data:
      return property_type::binary;
    case prop::user_property:
      return property_type::utf8_pair;
    default:
      return property_type::none;
  }
}

error property_reader::next(property& out, bool& done) noexcept {
  if (p_ == end_) {
    done = true;
    return error::none;
  }
  done = false;
  reader r(p_, end_);
  std::uint8_t id = 0;
  if (auto e = r.u8(id); e != error::none) return e;
  out = property{};
  out.id = id;
  out.type = type_of_property(id);
  error e = error::none;
  switch (out.type) {
    case property_type::none:
      return error::bad_property;
    case property_type::byte: {
      std::uint8_t v = 0;
      e = r.u8(v);
      out.number = v;
      break;
    }
    case property_type::u16: {
      std::uint16_t v = 0;
      e = r.u16(v);
      out.number = v;
      break;
    }
    case property_type::u32:
      e = r.u32(out.number);
      break;
    case property_type::varint:
      e = r.varint(out.number);
      if (e == error::bad_remaining_length) e = error::bad_property;
      break;
    case property_type::utf8:
      e = r.utf8(out.text);
      break;
    case property_type::binary:
      e = r.binary(out.data);
      break;
    case property_type::utf8_pair:
      e = r.utf8(out.text);
      if (e == error::none) e = r.utf8(out.value);
      break;
  }
  if (e != error::none) return e;
  p_ = r.pos();
  return error::none;
}

namespace {

constexpr std::uint32_t bit(property_context c) { return 1u << static_cast<unsigned>(c); }
constexpr std::uint32_t acks = bit(property_context::puback) | bit(property_context::pubrec) |
                               bit(property_context::pubrel) | bit(property_context::pubcomp);
constexpr std::uint32_t all = (1u << 14) - 1;

// Where each property may appear (5.0 §2.2.2.2 table).
std::uint32_t allowed_in(std::uint8_t id) noexcept {
  using C = property_context;
  switch (id) {
    case prop::payload_format_indicator:
    case prop::message_expiry_interval:
    case prop::content_type:
    case prop::response_topic:
    case prop::correlation_data:
      return bit(C::publish) | bit(C::will);
    case prop::subscription_identifier: return bit(C::publish) | bit(C::subscribe);
    case prop::session_expiry_interval: return bit(C::connect) | bit(C::connack) | bit(C::disconnect);
    case prop::assigned_client_identifier:
    case prop::server_keep_alive:
    case prop::response_information:
    case prop::maximum_qos:
    case prop::retain_available:
    case prop::wildcard_subscription_available:
    case prop::subscription_identifier_available:
    case prop::shared_subscription_available:
      return bit(C::connack);
    case prop::authentication_method:
    case prop::authentication_data:
      return bit(C::connect) | bit(C::connack) | bit(C::auth);
    case prop::request_problem_information:
    case prop::request_response_information:
      return bit(C::connect);
    case prop::will_delay_interval: return bit(C::will);
    case prop::server_reference: return bit(C::connack) | bit(C::disconnect);
    case prop::reason_string:
      return bit(C::connack) | acks | bit(C::suback) | bit(C::unsuback) | bit(C::disconnect) | bit(C::auth);
    case prop::receive_maximum:
    case prop::topic_alias_maximum:
    case prop::maximum_packet_size:
      return bit(C::connect) | bit(C::connack);
    case prop::topic_alias: return bit(C::publish);
    case prop::user_property: return all;
    default: return 0;
  }
}

}  // namespace

error validate_properties(std::span<const std::uint8_t> block, property_context where) noexcept {
  property_reader pr(block);
  std::uint64_t seen = 0;  // identifiers are < 64
  for (;;) {
    property p;
    bool done = false;
    if (auto e = pr.next(p, done); e != error::none) return e;
    if (done) {
      // Authentication Data without an Authentication Method is a protocol error
      // (5.0 §3.1.2.11.10, §3.2.2.3.18, §3.15.2.2.3).
      constexpr std::uint64_t data_bit = std::uint64_t{1} << prop::authentication_data;
      constexpr std::uint64_t method_bit = std::uint64_t{1} << prop::authentication_method;
      if ((seen & data_bit) && !(seen & method_bit)) return error::protocol_error;
      return error::none;
    }
    if ((allowed_in(p.id) & bit(where)) == 0) return error::property_not_allowed;
    const bool repeatable = p.id == prop::user_property ||
                            (p.id == prop::subscription_identifier && where == property_context::publish);
    const std::uint64_t m = std::uint64_t{1} << p.id;
    if (!repeatable && (seen & m)) return error::duplicate_property;
    seen |= m;
    switch (p.id) {
      case prop::payload_format_indicator:
      case prop::request_problem_information:
      case prop::request_response_information:
      case prop::maximum_qos:
      case prop::retain_available:
      case prop::wildcard_subscription_available:
      case prop::subscription_identifier_available:
      case prop::shared_subscription_available:
        if (p.number > 1) return error::bad_property;
        break;
      case prop::receive_maximum:
      case prop::maximum_packet_size:
      case prop::topic_alias:
      case prop::subscription_identifier:
        if (p.number == 0) return error::bad_property;
        break;
      case prop::response_topic:
        if (validate_topic_name(p.text) != topic_error::ok) return error::bad_property;
        break;
      default:
        break;
    }
  }
}

error read_property_block(reader& r, std::span<const std::uint8_t>& block) noexcept {
  std::uint32_t n = 0;
  if (auto e = r.varint(n); e != error::none) return e == error::bad_remaining_length ? error::bad_property : e;
  return r.bytes(n, block);
}

std::size_t copy_forwardable_properties(std::span<const std::uint8_t> in, std::uint8_t* out) noexcept {
  property_reader pr(in);
  std::uint8_t* o = out;
  for (;;) {
    const std::uint8_t* start = pr.pos();
    property p;
    bool done = false;
    if (pr.next(p, done) != error::none || done) break;
    if (p.id != prop::topic_alias && p.id != prop::subscription_identifier) {
      const auto whole = static_cast<std::size_t>(pr.pos() - start);
      std::memcpy(o, start, whole);
      o += whole;
    }
  }
  return static_cast<std::size_t>(o - out);
}

}  // namespace mqrelay::codec
