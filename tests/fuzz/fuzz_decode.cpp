// Fuzz target: the framer and every decoder, both protocol versions.
//
// Input: byte 0 configures the run, the rest is the byte stream from the peer.
//   bit 0     protocol version (0 = 3.1.1, 1 = 5.0)
//   bits 1-2  framer maximum packet size: no limit, 16, 64 or 1024 bytes (oversize paths)
//   bits 3-7  seed of the chunking (0 = the whole stream in one feed)
// Every frame is decoded by the decoder of its type, and its body is also handed to every other
// decoder (type forced, flags made valid) in both versions, so each decoder sees arbitrary
// bodies. Views of successful decodes are read whole (ASan catches a view past the buffer) and
// checked against the contracts: a decoded PUBLISH topic is a valid topic name, a validated
// property block walks to its end, forwardable properties are a valid PUBLISH block.
#include <cstddef>
#include <cstdint>
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <span>
#include <vector>

#include "codec/properties.hpp"
#include "codec/topic.hpp"
#include "tests/codec/codec_support.hpp"

namespace {

using namespace mqrelay::codec;

volatile std::uint32_t sink;

void touch(std::span<const std::uint8_t> s) {
  std::uint32_t h = 0;
  for (std::uint8_t b : s) h = h * 31 + b;
  sink = h;
}
void touch(std::string_view s) { touch(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(s.data()), s.size())); }

void check(bool ok) {
  if (!ok) std::abort();
}

// A validated property block must iterate to its end without error.
void walk_properties(std::span<const std::uint8_t> block) {
  property_reader pr(block);
  for (;;) {
    property p;
    bool done = false;
    check(pr.next(p, done) == error::none);
    if (done) break;
    touch(p.text);
    touch(p.value);
    touch(p.data);
  }
}

std::uint8_t canonical_flags(packet_type t) {
  return (t == packet_type::pubrel || t == packet_type::subscribe || t == packet_type::unsubscribe) ? 0x02 : 0x00;
}

void decode_all_ways(const frame& f, protocol_version v) {
  switch (f.type) {
    case packet_type::publish: {
      publish_view p;
      if (decode_publish(f, v, p) != error::none) break;
      check(p.topic.empty() ? p.topic_alias != 0 : validate_topic_name(p.topic) == topic_error::ok);
      check(p.qos <= 2 && (p.qos == 0) == (p.packet_id == 0));
      touch(p.topic);
      touch(p.payload);
      walk_properties(p.properties);
      std::vector<std::uint8_t> out(p.properties.size() + 1);
      const std::size_t n = copy_forwardable_properties(p.properties, out.data());
      check(n <= p.properties.size());
      check(validate_properties({out.data(), n}, property_context::publish) == error::none);
      break;
    }
    case packet_type::connect: {
      connect_view c;
      if (decode_connect(f, c) != error::none) break;
      touch(c.client_id);
      touch(c.username);
      touch(c.password);
      touch(c.will_topic);
      touch(c.will_payload);
      walk_properties(c.properties);
      walk_properties(c.will_properties);
      break;
    }
    case packet_type::connack: {
      connack_view c;
      if (decode_connack(f, v, c) != error::none) break;
      touch(c.assigned_client_id);
      touch(c.reason_string);
      check(c.maximum_qos <= 2);
      break;
    }
    case packet_type::subscribe: {
      subscribe_view s;
      if (decode_subscribe(f, v, s) != error::none) break;
      walk_properties(s.properties);
      std::size_t n = 0;
      for_each_subscription(s, [&](const subscription_entry& e) {
        check(validate_topic_filter(e.filter) == topic_error::ok);
        check(e.qos <= 2 && e.retain_handling <= 2);
        ++n;
      });
      check(n > 0);
      break;
    }
    case packet_type::unsubscribe: {
      unsubscribe_view s;
      if (decode_unsubscribe(f, v, s) != error::none) break;
      walk_properties(s.properties);
      std::size_t n = 0;
      for_each_unsubscription(s, [&](std::string_view filter) {
        check(validate_topic_filter(filter) == topic_error::ok);
        ++n;
      });
      check(n > 0);
      break;
    }
    case packet_type::suback: {
      suback_view s;
      if (decode_suback(f, v, s) != error::none) break;
      check(!s.reason_codes.empty());
      walk_properties(s.properties);
      break;
    }
    case packet_type::unsuback: {
      unsuback_view s;
      if (decode_unsuback(f, v, s) != error::none) break;
      walk_properties(s.properties);
      break;
    }
    case packet_type::disconnect: {
      disconnect_view d;
      if (decode_disconnect(f, v, d) != error::none) break;
      walk_properties(d.properties);
      touch(d.reason_string);
      sink = static_cast<std::uint32_t>(describe_disconnect(d.reason_code)[0]);
      break;
    }
    case packet_type::auth: {
      auth_view a;
      if (decode_auth(f, v, a) != error::none) break;
      walk_properties(a.properties);
      break;
    }
    case packet_type::puback:
    case packet_type::pubrec:
    case packet_type::pubrel:
    case packet_type::pubcomp: {
      ack_view a;
      if (decode_ack(f, v, a) != error::none) break;
      check(a.packet_id != 0);
      walk_properties(a.properties);
      break;
    }
    default: {
      const error e = mqrelay::codec::test::decode_any(f, v);
      sink = static_cast<std::uint32_t>(describe(e)[0]) + reason_code(e);
      break;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t cfg = data[0];
  const protocol_version v = (cfg & 1) ? protocol_version::v5 : protocol_version::v311;
  static constexpr std::uint32_t limits[] = {268'435'460u, 16, 64, 1024};
  const std::uint32_t max_packet = limits[(cfg >> 1) & 3];
  std::uint32_t seed = cfg >> 3;
  const std::uint8_t* p = data + 1;
  std::size_t left = size - 1;

  framer fr(v, max_packet, 32);
  bool failed = false;
  while (left > 0 && !failed) {
    std::size_t chunk = left;
    if (seed) {
      seed = seed * 1103515245u + 12345u;
      chunk = std::min<std::size_t>(left, 1 + ((seed >> 16) % 17));
    }
    if ((seed >> 8) & 1) {
      auto w = fr.writable(chunk);
      check(w.size() >= chunk);
      std::memcpy(w.data(), p, chunk);
      fr.commit(chunk);
    } else {
      fr.feed({p, chunk});
    }
    p += chunk;
    left -= chunk;
    for (;;) {
      const frame_event ev = fr.next();
      if (ev.status == frame_status::need_more) break;
      if (ev.status == frame_status::error) {
        check(ev.err != error::none);
        failed = true;
        break;
      }
      if (ev.status == frame_status::oversize_publish) {
        touch(ev.oversize.topic);
        check(ev.oversize.qos <= 2);
        continue;
      }
      const frame& f = ev.f;
      check(f.size > f.body.size() && f.size <= f.body.size() + 5 && f.size <= max_packet);
      check(check_first_byte(static_cast<std::uint8_t>((static_cast<unsigned>(f.type) << 4) | f.flags), v) ==
            error::none);
      touch(f.body);
      decode_all_ways(f, v);
      // Every decoder on this body, both versions (type forced, flags made valid).
      for (int t = 1; t <= 15; ++t) {
        frame g = f;
        g.type = static_cast<packet_type>(t);
        g.flags = canonical_flags(g.type);
        decode_all_ways(g, protocol_version::v311);
        decode_all_ways(g, protocol_version::v5);
      }
    }
  }
  return 0;
}
