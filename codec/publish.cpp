#include "codec/publish.hpp"

#include <cassert>

#include "codec/properties.hpp"
#include "codec/topic.hpp"
#include "codec/wire.hpp"

namespace mqrelay::codec {

error decode_publish(const frame& f, protocol_version v, publish_view& out) noexcept {
  const std::uint8_t* p = f.body.data();
  const std::uint8_t* end = p + f.body.size();
  out.qos = (f.flags >> 1) & 3;
  out.dup = (f.flags & 8) != 0;
  out.retain = (f.flags & 1) != 0;
  out.topic_alias = 0;
  out.properties = {};
  out.packet_id = 0;
  if (out.qos == 3 || (out.dup && out.qos == 0)) return error::bad_qos;  // frames not from a framer
  if (end - p < 2) return error::truncated;
  const std::size_t tlen = (std::size_t{p[0]} << 8) | p[1];
  p += 2;
  if (static_cast<std::size_t>(end - p) < tlen) return error::truncated;
  out.topic = {reinterpret_cast<const char*>(p), tlen};
  p += tlen;
  if (out.qos) {
    if (end - p < 2) return error::truncated;
    out.packet_id = static_cast<std::uint16_t>((p[0] << 8) | p[1]);
    p += 2;
    if (out.packet_id == 0) return error::zero_packet_id;
  }
  if (v == protocol_version::v5 && p < end && *p == 0) {
    ++p;  // no properties: the common case, without the property reader
  } else if (v == protocol_version::v5) {
    reader r(p, end);
    std::span<const std::uint8_t> block;
    if (auto e = read_property_block(r, block); e != error::none) return e;
    if (!block.empty()) {
      if (auto e = validate_properties(block, property_context::publish); e != error::none) return e;
      property_reader pr(block);
      property pp;
      bool done = false;
      while (pr.next(pp, done) == error::none && !done)
        if (pp.id == prop::topic_alias) out.topic_alias = static_cast<std::uint16_t>(pp.number);
    }
    out.properties = block;
    p = r.pos();
  }
  if (tlen == 0) {
    if (out.topic_alias == 0) return error::empty_topic;
  } else if (auto e = validate_topic_name(out.topic); e != topic_error::ok) {
    return from_topic_error(e);
  }
  out.payload = {p, static_cast<std::size_t>(end - p)};
  return error::none;
}

namespace {
inline std::uint32_t publish_remaining(const publish_out& p, protocol_version v) noexcept {
  std::size_t n = 2 + p.topic_prefix.size() + p.topic.size() + (p.qos ? 2 : 0) + p.payload.size();
  if (v == protocol_version::v5) n += varint_size(static_cast<std::uint32_t>(p.properties.size())) + p.properties.size();
  return static_cast<std::uint32_t>(n);
}
}  // namespace

std::size_t publish_size(const publish_out& p, protocol_version v) noexcept {
  return packet_size(publish_remaining(p, v));
}

std::size_t encode_publish(std::uint8_t* out, const publish_out& p, protocol_version v) noexcept {
  assert(p.topic_prefix.size() + p.topic.size() <= 65535);
  assert(p.qos <= 2 && (p.qos == 0 || p.packet_id != 0));
  const std::uint32_t rl = publish_remaining(p, v);
  const std::uint8_t flags = static_cast<std::uint8_t>((p.dup && p.qos ? 8 : 0) | (p.qos << 1) | (p.retain ? 1 : 0));
  std::uint8_t* o = put_header(out, packet_type::publish, flags, rl);
  o = put_u16(o, static_cast<std::uint16_t>(p.topic_prefix.size() + p.topic.size()));
  o = put_bytes(o, p.topic_prefix.data(), p.topic_prefix.size());
  o = put_bytes(o, p.topic.data(), p.topic.size());
  if (p.qos) o = put_u16(o, p.packet_id);
  if (v == protocol_version::v5) {
    o = put_varint(o, static_cast<std::uint32_t>(p.properties.size()));
    o = put_bytes(o, p.properties.data(), p.properties.size());
  }
  o = put_bytes(o, p.payload.data(), p.payload.size());
  return static_cast<std::size_t>(o - out);
}

}  // namespace mqrelay::codec
