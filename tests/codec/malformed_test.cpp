// The malformed-input table (malformed_rows.hpp): each row gives its exact error. Every row is
// also fed one byte at a time: the error must be the same (a prefix is "need more", never a
// different verdict).
#include <gtest/gtest.h>

#include <string>

#include "tests/codec/malformed_rows.hpp"

namespace mqrelay::codec::test {
namespace {

using enum protocol_version;

using malformed::row;
using malformed::rows;

// Framer then decoder; error::none when the packet is accepted whole.
error verdict(const row& r, bool byte_by_byte) {
  framer fr(r.v, r.max_packet);
  frame_event ev;
  if (byte_by_byte) {
    for (std::uint8_t b : r.wire) {
      fr.feed({&b, 1});
      ev = fr.next();
      if (ev.status != frame_status::need_more) break;
    }
  } else {
    fr.feed(r.wire);
    ev = fr.next();
  }
  switch (ev.status) {
    case frame_status::error: return ev.err;
    case frame_status::frame:
      EXPECT_EQ(ev.f.size, r.wire.size()) << "frame does not span the row";
      return decode_any(ev.f, r.v);
    case frame_status::oversize_publish: ADD_FAILURE() << "unexpected oversize publish"; return error::none;
    case frame_status::need_more: ADD_FAILURE() << "need more: row is a prefix"; return error::none;
  }
  return error::none;
}

using malformed::publish_v5_with;

TEST(Malformed, EveryRowGivesItsError) {
  for (const auto& r : rows()) {
    SCOPED_TRACE(r.what);
    EXPECT_EQ(verdict(r, false), r.want) << "got " << describe(verdict(r, false));
  }
}

TEST(Malformed, ByteByByteGivesTheSameError) {
  for (const auto& r : rows()) {
    SCOPED_TRACE(r.what);
    EXPECT_EQ(verdict(r, true), r.want);
  }
}

TEST(Malformed, FramerStaysFailedUntilReset) {
  framer fr(v311);
  fr.feed(bytes{0x00, 0x00});
  EXPECT_EQ(fr.next().err, error::reserved_type);
  fr.feed(vec::pingreq());
  const frame_event again = fr.next();
  EXPECT_EQ(again.status, frame_status::error);
  EXPECT_EQ(again.err, error::reserved_type);
  fr.reset();
  EXPECT_EQ(fr.buffered(), 0u);
  fr.feed(vec::pingreq());
  EXPECT_EQ(fr.next().status, frame_status::frame);
}

// "Need more" is never "malformed": a remaining length announcing more than has arrived, and every
// strict prefix of every valid vector, is need_more.
TEST(Malformed, PrefixesAreNeedMore) {
  for (const auto& n : vec::all()) {
    SCOPED_TRACE(n.name);
    for (std::size_t len = 0; len < n.wire.size(); ++len) {
      framer fr(n.v);
      fr.feed({n.wire.data(), len});
      EXPECT_EQ(fr.next().status, frame_status::need_more) << "prefix of " << len << " bytes";
    }
  }
}

// 3.1.1 has no minimal-encoding rule for the remaining length (§2.2.3): accepted there.
TEST(Malformed, NonMinimalRemainingLengthAcceptedOn311) {
  framer fr(v311);
  fr.feed(bytes{0xC0, 0x80, 0x00});
  const frame_event ev = fr.next();
  ASSERT_EQ(ev.status, frame_status::frame);
  EXPECT_EQ(ev.f.type, packet_type::pingreq);
  EXPECT_EQ(ev.f.size, 3u);
}

// A topic alias from the broker is reported, not refused, by decode_publish (documented in
// publish.hpp): the relay, which grants no aliases, treats it as a protocol error.
TEST(Malformed, TopicAliasIsReportedToTheCaller) {
  framer fr(v5);
  fr.feed(publish_v5_with({0x23, 0x00, 0x09}));
  const frame_event ev = fr.next();
  ASSERT_EQ(ev.status, frame_status::frame);
  publish_view p;
  ASSERT_EQ(decode_publish(ev.f, v5, p), error::none);
  EXPECT_EQ(p.topic_alias, 9);
}

// Decoders given hand-made frames (not from a framer) still refuse bad flags.
TEST(Malformed, DecodersCheckFlagsOfHandMadeFrames) {
  const bytes body{0x00, 0x01};
  frame f{packet_type::puback, 0x02, body, 4};
  ack_view a;
  EXPECT_EQ(decode_ack(f, v311, a), error::reserved_flags);
  f = {packet_type::pubrel, 0x00, body, 4};
  EXPECT_EQ(decode_ack(f, v311, a), error::reserved_flags);
  const bytes pbody = cat({lstr("a"), {0x00, 0x01}});
  frame p{packet_type::publish, 0x06, pbody, 7};
  publish_view pv;
  EXPECT_EQ(decode_publish(p, v311, pv), error::bad_qos);
}

}  // namespace
}  // namespace mqrelay::codec::test
