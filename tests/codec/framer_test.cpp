// The framer: variable byte integer boundaries, identical frames whatever the chunking, the
// receive-in-place path (writable/commit), and the oversize PUBLISH discard with bounded memory.
#include <gtest/gtest.h>

#include <memory>
#include <random>

#include "codec/wire.hpp"
#include "tests/codec/vectors.hpp"

namespace mqrelay::codec::test {
namespace {

using enum protocol_version;

// Drains every event; stops at need_more or error (an error is recorded as a type-0 frame).
void drain(framer& fr, std::vector<frame_copy>& out) {
  for (;;) {
    const frame_event ev = fr.next();
    if (ev.status == frame_status::need_more) return;
    if (ev.status == frame_status::error) {
      out.push_back({packet_type::reserved, static_cast<std::uint8_t>(ev.err), {}, 0});
      return;
    }
    ASSERT_EQ(ev.status, frame_status::frame);
    out.push_back(copy(ev.f));
  }
}

std::vector<frame_copy> feed_chunks(const bytes& stream, protocol_version v, const std::vector<std::size_t>& cuts) {
  framer fr(v, 268'435'460u, 16);  // small initial buffer: growth is exercised too
  std::vector<frame_copy> out;
  std::size_t at = 0;
  for (std::size_t c : cuts) {
    fr.feed({stream.data() + at, c});
    at += c;
    drain(fr, out);
  }
  EXPECT_EQ(at, stream.size());
  EXPECT_EQ(fr.buffered(), 0u);
  return out;
}

std::vector<std::size_t> random_cuts(std::size_t total, std::mt19937& rng, std::size_t max_chunk) {
  std::vector<std::size_t> cuts;
  std::uniform_int_distribution<std::size_t> d(1, max_chunk);
  for (std::size_t at = 0; at < total;) {
    const std::size_t c = std::min(d(rng), total - at);
    cuts.push_back(c);
    at += c;
  }
  return cuts;
}

TEST(Framer, WholeByteByByteAndRandomChunksGiveIdenticalFrames) {
  for (auto v : {v311, v5}) {
    SCOPED_TRACE(v == v5 ? "v5" : "v311");
    bytes stream;
    std::vector<frame_copy> want;
    for (const auto& n : vec::all()) {
      if (n.v != v) continue;
      // Expected frame, from the vector itself: type and flags from byte 0, body after the length.
      std::size_t hdr = 2;
      while (n.wire[hdr - 1] & 0x80) ++hdr;
      want.push_back({static_cast<packet_type>(n.wire[0] >> 4), static_cast<std::uint8_t>(n.wire[0] & 0x0F),
                      bytes(n.wire.begin() + static_cast<std::ptrdiff_t>(hdr), n.wire.end()), n.wire.size()});
      stream.insert(stream.end(), n.wire.begin(), n.wire.end());
    }
    EXPECT_EQ(feed_chunks(stream, v, {stream.size()}), want) << "whole";
    EXPECT_EQ(feed_chunks(stream, v, std::vector<std::size_t>(stream.size(), 1)), want) << "byte by byte";
    for (unsigned seed = 1; seed <= 50; ++seed) {
      std::mt19937 rng(seed);
      EXPECT_EQ(feed_chunks(stream, v, random_cuts(stream.size(), rng, 1 + seed % 40)), want) << "seed " << seed;
    }
  }
}

// The receive-in-place path: recv() into writable(), commit(), next() until need_more.
TEST(Framer, WritableCommitGivesTheSameFrames) {
  bytes stream;
  std::vector<frame_copy> want;
  for (const auto& n : vec::all())
    if (n.v == v5) stream.insert(stream.end(), n.wire.begin(), n.wire.end());
  want = feed_chunks(stream, v5, {stream.size()});
  std::mt19937 rng(7);
  for (int round = 0; round < 20; ++round) {
    framer fr(v5, 268'435'460u, 8);
    std::vector<frame_copy> got;
    std::size_t at = 0;
    for (std::size_t c : random_cuts(stream.size(), rng, 64)) {
      auto w = fr.writable(8);
      ASSERT_GE(w.size(), 8u);
      c = std::min(c, w.size());
      std::memcpy(w.data(), stream.data() + at, c);
      fr.commit(c);
      at += c;
      drain(fr, got);
    }
    while (at < stream.size()) {  // the rest, if chunks were clipped to the free space
      auto w = fr.writable(8);
      const std::size_t c = std::min(w.size(), stream.size() - at);
      std::memcpy(w.data(), stream.data() + at, c);
      fr.commit(c);
      at += c;
      drain(fr, got);
    }
    EXPECT_EQ(got, want);
  }
}

// A DISCONNECT (v5: any length) with a body of n bytes, to exercise every remaining-length width.
// Encodes into a heap buffer (g++ 12 warns wrongly about vector::data() being null here).
template <class F>
bytes build(std::size_t cap, F&& fn) {
  std::unique_ptr<std::uint8_t[]> buf(new std::uint8_t[cap]);
  const std::uint8_t* begin = buf.get();
  const std::uint8_t* end = fn(buf.get());
  return bytes(begin, end);
}

bytes disconnect_of(std::uint32_t n) {
  return build(packet_size(n), [n](std::uint8_t* p) {
    std::uint8_t* o = put_header(p, packet_type::disconnect, 0, n);
    std::fill(o, o + n, std::uint8_t{0x5A});
    return o + n;
  });
}

TEST(Framer, VarintBoundaries) {
  struct b {
    std::uint32_t value;
    std::size_t width;
  };
  for (auto [value, width] : {b{0, 1}, b{127, 1}, b{128, 2}, b{16383, 2}, b{16384, 3}, b{2097151, 3}, b{2097152, 4},
                              b{268435455, 4}}) {
    SCOPED_TRACE(value);
    EXPECT_EQ(varint_size(value), width);
    std::uint8_t buf[8];
    ASSERT_EQ(static_cast<std::size_t>(put_varint(buf, value) - buf), width);
    std::uint32_t back = 0;
    reader r(std::span<const std::uint8_t>(buf, width));
    ASSERT_EQ(r.varint(back), error::none);
    EXPECT_EQ(back, value);
    EXPECT_TRUE(r.empty());
    // Every strict prefix is truncated, not malformed.
    for (std::size_t k = 0; k < width; ++k) {
      reader rp(std::span<const std::uint8_t>(buf, k));
      EXPECT_EQ(rp.varint(back), error::truncated);
    }
    if (value <= 2097152) {  // through the framer, whole packet (up to 2 MiB)
      framer fr(v5);
      const bytes pkt = disconnect_of(value);
      fr.feed(pkt);
      const frame_event ev = fr.next();
      ASSERT_EQ(ev.status, frame_status::frame);
      EXPECT_EQ(ev.f.body.size(), value);
      EXPECT_EQ(ev.f.size, 1 + width + value);
    } else {  // the largest: a PUBLISH header, reported oversize with the length decoded
      framer fr(v5, 1024);
      fr.feed(build(8, [value](std::uint8_t* p) { return put_header(p, packet_type::publish, 0, value); }));
      fr.feed(lstr("t"));
      const frame_event ev = fr.next();
      ASSERT_EQ(ev.status, frame_status::oversize_publish);
      EXPECT_EQ(ev.oversize.remaining_length, value);
    }
  }
  const std::uint8_t five[] = {0x80, 0x80, 0x80, 0x80, 0x01};
  std::uint32_t v = 0;
  reader r5(five);
  EXPECT_EQ(r5.varint(v), error::bad_remaining_length);
  const std::uint8_t not_minimal[] = {0x80, 0x00};
  reader rn(not_minimal);
  EXPECT_EQ(rn.varint(v), error::bad_remaining_length);
}

// A PUBLISH larger than the limit: reported once (topic, packet id, QoS, length) as soon as its
// topic and id are in, then discarded as it streams past; memory never grows with its size.
TEST(Framer, OversizePublishIsDiscardedWithBoundedMemory) {
  constexpr std::uint32_t limit = 64 * 1024;
  constexpr std::size_t payload = 10 * 1024 * 1024;
  const std::string topic = "big/topic";
  const std::uint32_t rl = static_cast<std::uint32_t>(2 + topic.size() + 2 + payload);
  const bytes head = build(32, [&](std::uint8_t* p) {
    return put_u16(put_string(put_header(p, packet_type::publish, 0x02, rl), topic), 0x4242);  // QoS 1
  });
  const bytes tail = cat({vec::puback_v311(), vec::publish_qos0_v311()});  // what follows on the wire

  for (bool in_place : {false, true}) {
    SCOPED_TRACE(in_place ? "writable/commit" : "feed");
    framer fr(v311, limit, 64 * 1024);
    std::size_t max_cap = fr.capacity(), max_buffered = 0, oversize_events = 0;
    std::vector<frame_copy> frames;
    std::mt19937 rng(3);
    std::uniform_int_distribution<std::size_t> d(1, 9000);
    const std::size_t total = head.size() + payload + tail.size();
    auto byte_at = [&](std::size_t i) -> std::uint8_t {
      if (i < head.size()) return head[i];
      if (i < head.size() + payload) return static_cast<std::uint8_t>(i * 31);
      return tail[i - head.size() - payload];
    };
    bytes chunk;
    for (std::size_t at = 0; at < total;) {
      std::size_t c = std::min(d(rng), total - at);
      if (in_place) {
        auto w = fr.writable(16 * 1024);
        c = std::min(c, w.size());
        for (std::size_t i = 0; i < c; ++i) w[i] = byte_at(at + i);
        fr.commit(c);
      } else {
        chunk.resize(c);
        for (std::size_t i = 0; i < c; ++i) chunk[i] = byte_at(at + i);
        fr.feed(chunk);
      }
      at += c;
      max_buffered = std::max(max_buffered, fr.buffered());
      for (;;) {
        const frame_event ev = fr.next();
        if (ev.status == frame_status::need_more) break;
        ASSERT_NE(ev.status, frame_status::error) << describe(ev.err);
        if (ev.status == frame_status::oversize_publish) {
          ++oversize_events;
          EXPECT_EQ(ev.oversize.topic, topic);
          EXPECT_EQ(ev.oversize.packet_id, 0x4242);
          EXPECT_EQ(ev.oversize.qos, 1);
          EXPECT_EQ(ev.oversize.remaining_length, rl);
        } else {
          frames.push_back(copy(ev.f));
        }
      }
      max_cap = std::max(max_cap, fr.capacity());
    }
    EXPECT_EQ(oversize_events, 1u);
    ASSERT_EQ(frames.size(), 2u);
    EXPECT_EQ(frames[0].type, packet_type::puback);
    EXPECT_EQ(frames[1].type, packet_type::publish);
    EXPECT_EQ(frames[1].size, vec::publish_qos0_v311().size());
    EXPECT_LE(max_cap, 64u * 1024u) << "the buffer grew while discarding";
    EXPECT_LE(max_buffered, 64u * 1024u);
  }
}

// The oversize report waits for the topic and packet id: before that it is need_more.
TEST(Framer, OversizeReportWaitsForTopicAndPacketId) {
  framer fr(v5, 32);
  const bytes head = cat({{0x34, 0x80, 0x01}, lstr("abc"), {0x00, 0x09}});  // QoS 2, rl 128
  for (std::size_t i = 0; i < head.size(); ++i) {
    EXPECT_EQ(fr.next().status, frame_status::need_more) << i;
    fr.feed({&head[i], 1});
  }
  frame_event ev = fr.next();
  ASSERT_EQ(ev.status, frame_status::oversize_publish);
  EXPECT_EQ(ev.oversize.topic, "abc");
  EXPECT_EQ(ev.oversize.packet_id, 9);
  EXPECT_EQ(ev.oversize.qos, 2);
  // The remaining 128 - 7 bytes are skipped, then the stream continues.
  fr.feed(bytes(121, 0xEE));
  EXPECT_EQ(fr.next().status, frame_status::need_more);
  fr.feed(vec::pingresp());
  ev = fr.next();
  ASSERT_EQ(ev.status, frame_status::frame);
  EXPECT_EQ(ev.f.type, packet_type::pingresp);
}

TEST(Framer, OversizeRulesForOtherPackets) {
  {  // QoS 1 oversize with packet id 0
    framer fr(v311, 16);
    fr.feed(cat({{0x32, 0x40}, lstr("a"), {0x00, 0x00}}));
    EXPECT_EQ(fr.next().err, error::zero_packet_id);
  }
  {  // topic length past the announced packet
    framer fr(v311, 16);
    fr.feed(cat({{0x30, 0x14}, {0x00, 0x20}}));
    EXPECT_EQ(fr.next().err, error::truncated);
  }
  {  // any other oversize type is an error as soon as the length is known
    framer fr(v5, 16);
    fr.feed(bytes{0x20, 0x7F});
    EXPECT_EQ(fr.next().err, error::packet_too_large);
  }
  {  // exactly at the limit is accepted
    const bytes p = vec::publish_qos0_v311();
    framer fr(v311, static_cast<std::uint32_t>(p.size()));
    fr.feed(p);
    EXPECT_EQ(fr.next().status, frame_status::frame);
    fr.set_max_packet_size(static_cast<std::uint32_t>(p.size() - 1));
    fr.feed(p);
    EXPECT_EQ(fr.next().status, frame_status::oversize_publish);
  }
}

TEST(Framer, WritableGrowsWithArrivedBytesNotAnnouncedLength) {
  // A header announcing ~256 MiB: nothing large is allocated before the bytes come.
  {
    framer fr(v311, 268'435'460u, 1024);
    fr.feed(build(16, [](std::uint8_t* p) { return put_string(put_header(p, packet_type::publish, 0, 268'435'000u), "t"); }));
    EXPECT_EQ(fr.next().status, frame_status::need_more);
    const auto w = fr.writable(16 * 1024);
    EXPECT_GE(w.size(), 16u * 1024u);
    EXPECT_LE(fr.capacity(), 64u * 1024u);
  }
  // A 100 000-byte PUBLISH received in place, 16 KiB at a time: it completes, and the buffer
  // ends within twice the packet.
  const std::uint32_t rl = 100'000;
  bytes pkt = build(packet_size(rl), [rl](std::uint8_t* p) {
    std::uint8_t* o = put_string(put_header(p, packet_type::publish, 0, rl), "t");
    std::fill(o, p + packet_size(rl), std::uint8_t{0x33});
    return p + packet_size(rl);
  });
  framer fr(v311, 268'435'460u, 1024);
  std::size_t at = 0;
  frame_event ev;
  while (at < pkt.size()) {
    auto w = fr.writable(16 * 1024);
    ASSERT_GE(w.size(), 16u * 1024u);
    const std::size_t c = std::min(w.size(), pkt.size() - at);
    std::memcpy(w.data(), pkt.data() + at, c);
    fr.commit(c);
    at += c;
    ev = fr.next();
    if (at < pkt.size()) {
      EXPECT_EQ(ev.status, frame_status::need_more);
    }
  }
  ASSERT_EQ(ev.status, frame_status::frame);
  EXPECT_EQ(ev.f.size, pkt.size());
  EXPECT_LE(fr.capacity(), 2 * pkt.size());
}

TEST(Framer, VersionMattersForAuthAndLengths) {
  framer fr(v311);
  fr.feed(vec::auth_v5());
  EXPECT_EQ(fr.next().err, error::reserved_type);
  fr.reset();
  fr.set_version(v5);
  fr.feed(vec::auth_v5());
  EXPECT_EQ(fr.next().status, frame_status::frame);
  EXPECT_EQ(fr.version(), v5);
}

}  // namespace
}  // namespace mqrelay::codec::test
