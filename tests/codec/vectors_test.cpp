// Every packet family, both versions: encode → exact bytes of a hand-written vector → frame →
// decode → the fields the relay relies on.
#include <gtest/gtest.h>

#include <array>
#include <string>

#include "codec/properties.hpp"
#include "tests/codec/vectors.hpp"

namespace mqrelay::codec::test {
namespace {

using enum protocol_version;

// One packet through a framer: exactly one frame that spans the whole input.
struct framed {
  framer fr;
  frame f{};
  framed(const bytes& b, protocol_version v) : fr(v) {
    fr.feed(b);
    const frame_event ev = fr.next();
    EXPECT_EQ(ev.status, frame_status::frame) << describe(ev.err);
    f = ev.f;
    EXPECT_EQ(f.size, b.size());
    EXPECT_EQ(fr.next().status, frame_status::need_more);
  }
};

// Runs an encoder into a buffer with guard bytes: it must write exactly `size` bytes.
template <class F>
bytes encoded(std::size_t size, F&& fn) {
  bytes buf(size + 8, 0xA5);
  const std::size_t n = fn(buf.data());
  EXPECT_EQ(n, size);
  for (std::size_t i = size; i < buf.size(); ++i) EXPECT_EQ(buf[i], 0xA5) << "wrote past the announced size";
  buf.resize(std::min(n, size));
  return buf;
}

TEST(Vectors, ConnectV311) {
  connect_out c;
  c.version = v311;
  c.client_id = "relay-1";
  c.clean_start = true;
  c.keep_alive = 30;
  c.username = "u";
  c.password = "pw";
  c.session_expiry = 99;  // v5-only fields must not leak into a 3.1.1 CONNECT
  EXPECT_EQ(encoded(connect_size(c), [&](auto* o) { return encode_connect(o, c); }), vec::connect_v311());
  framed fr(vec::connect_v311(), v311);
  connect_view cv;
  ASSERT_EQ(decode_connect(fr.f, cv), error::none);
  EXPECT_EQ(cv.version, v311);
  EXPECT_EQ(cv.client_id, "relay-1");
  EXPECT_TRUE(cv.clean_start);
  EXPECT_EQ(cv.keep_alive, 30);
  EXPECT_TRUE(cv.has_username);
  EXPECT_EQ(cv.username, "u");
  EXPECT_TRUE(cv.has_password);
  EXPECT_EQ(sv(cv.password), "pw");
  EXPECT_FALSE(cv.has_will);
}

TEST(Vectors, ConnectV5) {
  connect_out c;
  c.version = v5;
  c.client_id = "c";
  c.keep_alive = 60;
  c.session_expiry = 3600;
  c.receive_maximum = 100;
  c.maximum_packet_size = 65536;
  EXPECT_EQ(encoded(connect_size(c), [&](auto* o) { return encode_connect(o, c); }), vec::connect_v5());
  framed fr(vec::connect_v5(), v5);
  connect_view cv;
  ASSERT_EQ(decode_connect(fr.f, cv), error::none);
  EXPECT_EQ(cv.version, v5);
  EXPECT_EQ(cv.client_id, "c");
  EXPECT_EQ(cv.keep_alive, 60);
  EXPECT_EQ(cv.session_expiry, 3600u);
  EXPECT_EQ(cv.receive_maximum, 100);
  EXPECT_EQ(cv.maximum_packet_size, 65536u);
  EXPECT_FALSE(cv.has_username);
  EXPECT_FALSE(cv.has_password);
}

TEST(Vectors, ConnectV5DefaultsSendNoProperties) {
  connect_out c;
  c.version = v5;
  c.client_id = "";
  const bytes want = cat({{0x10, 13}, lstr("MQTT"), {0x05, 0x02, 0x00, 0x3C}, {0x00}, lstr("")});
  EXPECT_EQ(encoded(connect_size(c), [&](auto* o) { return encode_connect(o, c); }), want);
}

TEST(Vectors, ConnectV5WillDecodes) {
  framed fr(vec::connect_v5_will(), v5);
  connect_view cv;
  ASSERT_EQ(decode_connect(fr.f, cv), error::none);
  EXPECT_EQ(cv.client_id, "id");
  EXPECT_TRUE(cv.clean_start);
  EXPECT_TRUE(cv.has_will);
  EXPECT_EQ(cv.will_qos, 1);
  EXPECT_TRUE(cv.will_retain);
  EXPECT_EQ(cv.will_topic, "w/t");
  EXPECT_EQ(sv(cv.will_payload), "bye");
  EXPECT_EQ(cv.will_properties.size(), 5u);
  EXPECT_EQ(cv.username, "user");
  EXPECT_EQ(copy(cv.password), bytes{0x00});
}

TEST(Vectors, ConnackV311) {
  connack_out c{.session_present = true, .reason_code = 0};
  EXPECT_EQ(encoded(connack_size(c, v311), [&](auto* o) { return encode_connack(o, c, v311); }),
            vec::connack_v311());
  framed fr(vec::connack_v311(), v311);
  connack_view cv;
  ASSERT_EQ(decode_connack(fr.f, v311, cv), error::none);
  EXPECT_TRUE(cv.session_present);
  EXPECT_EQ(cv.reason_code, 0);
  EXPECT_EQ(cv.receive_maximum, 65535);
  EXPECT_EQ(cv.maximum_packet_size, 0u);

  framed refused(vec::connack_v311_refused(), v311);
  ASSERT_EQ(decode_connack(refused.f, v311, cv), error::none);
  EXPECT_EQ(cv.reason_code, 5);
  EXPECT_STREQ(describe_connack(5, v311), "not authorized (5)");
}

TEST(Vectors, ConnackV5) {
  connack_out c{.session_present = false, .reason_code = 0, .receive_maximum = 10, .maximum_packet_size = 1024};
  EXPECT_EQ(encoded(connack_size(c, v5), [&](auto* o) { return encode_connack(o, c, v5); }), vec::connack_v5());
  framed fr(vec::connack_v5(), v5);
  connack_view cv;
  ASSERT_EQ(decode_connack(fr.f, v5, cv), error::none);
  EXPECT_FALSE(cv.session_present);
  EXPECT_EQ(cv.receive_maximum, 10);
  EXPECT_EQ(cv.maximum_packet_size, 1024u);
  EXPECT_EQ(cv.maximum_qos, 2);
  EXPECT_TRUE(cv.retain_available);
  EXPECT_FALSE(cv.has_server_keep_alive);
  EXPECT_FALSE(cv.has_session_expiry);
}

TEST(Vectors, ConnackV5AllProperties) {
  framed fr(vec::connack_v5_rich(), v5);
  connack_view cv;
  ASSERT_EQ(decode_connack(fr.f, v5, cv), error::none);
  EXPECT_TRUE(cv.session_present);
  EXPECT_EQ(cv.maximum_qos, 1);
  EXPECT_FALSE(cv.retain_available);
  EXPECT_EQ(cv.topic_alias_maximum, 5);
  EXPECT_TRUE(cv.has_server_keep_alive);
  EXPECT_EQ(cv.server_keep_alive, 20);
  EXPECT_TRUE(cv.has_session_expiry);
  EXPECT_EQ(cv.session_expiry, 60u);
  EXPECT_EQ(cv.assigned_client_id, "abc");
  EXPECT_EQ(cv.reason_string, "ok");
  EXPECT_FALSE(cv.wildcard_available);
  EXPECT_FALSE(cv.subscription_ids_available);
  EXPECT_FALSE(cv.shared_available);
  EXPECT_EQ(cv.receive_maximum, 32);

  framed refused(vec::connack_v5_refused(), v5);
  ASSERT_EQ(decode_connack(refused.f, v5, cv), error::none);
  EXPECT_EQ(cv.reason_code, 0x87);
  EXPECT_STREQ(describe_connack(0x87, v5), "not authorized (0x87)");
}

TEST(Vectors, PublishV311) {
  const std::string_view payload = "hi";
  publish_out p;
  p.topic_prefix = "a";
  p.topic = "/b";
  p.payload = span_of(payload);
  EXPECT_EQ(encoded(publish_size(p, v311), [&](auto* o) { return encode_publish(o, p, v311); }),
            vec::publish_qos0_v311());
  framed fr(vec::publish_qos0_v311(), v311);
  publish_view pv;
  ASSERT_EQ(decode_publish(fr.f, v311, pv), error::none);
  EXPECT_EQ(pv.topic, "a/b");
  EXPECT_EQ(sv(pv.payload), "hi");
  EXPECT_EQ(pv.qos, 0);
  EXPECT_EQ(pv.packet_id, 0);
  EXPECT_FALSE(pv.retain);
  EXPECT_FALSE(pv.dup);
  EXPECT_TRUE(pv.properties.empty());

  const std::string_view xy = "xy";
  publish_out q;
  q.topic = "s/é";
  q.payload = span_of(xy);
  q.packet_id = 0x1234;
  q.qos = 1;
  q.retain = q.dup = true;
  EXPECT_EQ(encoded(publish_size(q, v311), [&](auto* o) { return encode_publish(o, q, v311); }),
            vec::publish_qos1_v311());
  framed fq(vec::publish_qos1_v311(), v311);
  ASSERT_EQ(decode_publish(fq.f, v311, pv), error::none);
  EXPECT_EQ(pv.topic, "s/é");
  EXPECT_EQ(pv.packet_id, 0x1234);
  EXPECT_EQ(pv.qos, 1);
  EXPECT_TRUE(pv.retain);
  EXPECT_TRUE(pv.dup);
  EXPECT_EQ(sv(pv.payload), "xy");

  publish_out r;
  r.topic = "t";
  r.packet_id = 65535;
  r.qos = 2;
  EXPECT_EQ(encoded(publish_size(r, v311), [&](auto* o) { return encode_publish(o, r, v311); }),
            vec::publish_qos2_empty_v311());
  framed fr2(vec::publish_qos2_empty_v311(), v311);
  ASSERT_EQ(decode_publish(fr2.f, v311, pv), error::none);
  EXPECT_EQ(pv.qos, 2);
  EXPECT_EQ(pv.packet_id, 65535);
  EXPECT_TRUE(pv.payload.empty());
}

TEST(Vectors, PublishV5) {
  const bytes props = vec::publish_v5_props_block();
  const std::string_view hi = "hi";
  publish_out p;
  p.topic = "a/b";
  p.payload = span_of(hi);
  p.packet_id = 7;
  p.qos = 1;
  p.properties = props;
  EXPECT_EQ(encoded(publish_size(p, v5), [&](auto* o) { return encode_publish(o, p, v5); }), vec::publish_qos1_v5());
  framed fr(vec::publish_qos1_v5(), v5);
  publish_view pv;
  ASSERT_EQ(decode_publish(fr.f, v5, pv), error::none);
  EXPECT_EQ(pv.topic, "a/b");
  EXPECT_EQ(pv.packet_id, 7);
  EXPECT_EQ(pv.qos, 1);
  EXPECT_EQ(copy(pv.properties), props);
  EXPECT_EQ(pv.topic_alias, 5);  // reported; the relay refuses it (we grant no aliases)
  EXPECT_EQ(sv(pv.payload), "hi");

  // DUP is dropped on QoS 0 by the encoder (a QoS 0 PUBLISH with DUP is malformed).
  publish_out q;
  q.topic = "a/b";
  q.payload = span_of(hi);
  q.retain = q.dup = true;
  EXPECT_EQ(encoded(publish_size(q, v5), [&](auto* o) { return encode_publish(o, q, v5); }), vec::publish_qos0_v5());
  framed fq(vec::publish_qos0_v5(), v5);
  ASSERT_EQ(decode_publish(fq.f, v5, pv), error::none);
  EXPECT_TRUE(pv.retain);
  EXPECT_FALSE(pv.dup);
  EXPECT_EQ(pv.topic_alias, 0);
  EXPECT_TRUE(pv.properties.empty());

  framed fa(vec::publish_alias_only_v5(), v5);
  ASSERT_EQ(decode_publish(fa.f, v5, pv), error::none);
  EXPECT_TRUE(pv.topic.empty());
  EXPECT_EQ(pv.topic_alias, 2);
  EXPECT_EQ(sv(pv.payload), "z");
}

TEST(Vectors, PublishV311IgnoresProperties) {
  const bytes props = vec::publish_v5_props_block();
  publish_out p;
  p.topic = "a/b";
  p.properties = props;
  EXPECT_EQ(encoded(publish_size(p, v311), [&](auto* o) { return encode_publish(o, p, v311); }),
            cat({{0x30, 5}, lstr("a/b")}));
}

TEST(Vectors, AcksV311) {
  struct row {
    packet_type t;
    bytes wire;
    std::uint16_t id;
  };
  for (const auto& [t, wire, id] : {row{packet_type::puback, vec::puback_v311(), 1},
                                    row{packet_type::pubrec, vec::pubrec_v311(), 2},
                                    row{packet_type::pubrel, vec::pubrel_v311(), 3},
                                    row{packet_type::pubcomp, vec::pubcomp_v311(), 4}}) {
    SCOPED_TRACE(name(t));
    // A 3.1.1 acknowledgement has no reason code even when one is passed.
    EXPECT_EQ(encoded(4, [&](auto* o) { return encode_ack(o, t, id, 0x80, v311); }), wire);
    framed fr(wire, v311);
    ack_view a;
    ASSERT_EQ(decode_ack(fr.f, v311, a), error::none);
    EXPECT_EQ(a.packet_id, id);
    EXPECT_EQ(a.reason_code, 0);
  }
}

TEST(Vectors, AcksV5) {
  ack_view a;
  EXPECT_EQ(encoded(4, [&](auto* o) { return encode_ack(o, packet_type::puback, 1, 0, v5); }), vec::puback_v5());
  framed f1(vec::puback_v5(), v5);
  ASSERT_EQ(decode_ack(f1.f, v5, a), error::none);
  EXPECT_EQ(a.packet_id, 1);
  EXPECT_EQ(a.reason_code, 0);

  EXPECT_EQ(encoded(5, [&](auto* o) { return encode_ack(o, packet_type::puback, 1, 0x10, v5); }),
            vec::puback_v5_reason());
  framed f2(vec::puback_v5_reason(), v5);
  ASSERT_EQ(decode_ack(f2.f, v5, a), error::none);
  EXPECT_EQ(a.reason_code, 0x10);
  EXPECT_FALSE(ack_failed(a.reason_code));

  framed f3(vec::pubrec_v5_props(), v5);
  ASSERT_EQ(decode_ack(f3.f, v5, a), error::none);
  EXPECT_EQ(a.packet_id, 2);
  EXPECT_EQ(a.reason_code, 0x80);
  EXPECT_TRUE(ack_failed(a.reason_code));
  EXPECT_EQ(copy(a.properties), cat({{0x1F}, lstr("bad")}));

  EXPECT_EQ(encoded(5, [&](auto* o) { return encode_ack(o, packet_type::pubrel, 3, 0x92, v5); }), vec::pubrel_v5());
  framed f4(vec::pubrel_v5(), v5);
  ASSERT_EQ(decode_ack(f4.f, v5, a), error::none);
  EXPECT_EQ(a.reason_code, 0x92);

  framed f5(vec::pubcomp_v5(), v5);
  ASSERT_EQ(decode_ack(f5.f, v5, a), error::none);
  EXPECT_EQ(a.packet_id, 4);
  EXPECT_TRUE(a.properties.empty());
}

TEST(Vectors, SubscribeV311) {
  const std::array subs{subscription_out{.filter = "a/#", .qos = 1, .no_local = true},
                        subscription_out{.filter = "x/+/y", .qos = 2, .retain_handling = 2}};
  EXPECT_EQ(encoded(subscribe_size(subs, v311), [&](auto* o) { return encode_subscribe(o, 10, subs, v311); }),
            vec::subscribe_v311());
  framed fr(vec::subscribe_v311(), v311);
  subscribe_view s;
  ASSERT_EQ(decode_subscribe(fr.f, v311, s), error::none);
  EXPECT_EQ(s.packet_id, 10);
  std::vector<subscription_entry> got;
  for_each_subscription(s, [&](const subscription_entry& e) { got.push_back(e); });
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].filter, "a/#");
  EXPECT_EQ(got[0].qos, 1);
  EXPECT_FALSE(got[0].no_local);
  EXPECT_EQ(got[1].filter, "x/+/y");
  EXPECT_EQ(got[1].qos, 2);
  EXPECT_EQ(got[1].retain_handling, 0);
}

TEST(Vectors, SubscribeV5) {
  // The encoder sends no subscription identifier; the vector has one (as another client would).
  const std::array subs{subscription_out{.filter = "a/#", .qos = 1, .no_local = true, .retain_as_published = true,
                                         .retain_handling = 2},
                        subscription_out{.filter = "$share/g/x", .qos = 0}};
  const bytes want = cat({{0x82, 22}, {0x00, 0x0A}, {0x00}, lstr("a/#"), {0x2D}, lstr("$share/g/x"), {0x00}});
  EXPECT_EQ(encoded(subscribe_size(subs, v5), [&](auto* o) { return encode_subscribe(o, 10, subs, v5); }), want);
  framed fr(vec::subscribe_v5(), v5);
  subscribe_view s;
  ASSERT_EQ(decode_subscribe(fr.f, v5, s), error::none);
  EXPECT_EQ(s.packet_id, 10);
  EXPECT_EQ(copy(s.properties), (bytes{0x0B, 0x01}));
  std::vector<subscription_entry> got;
  for_each_subscription(s, [&](const subscription_entry& e) { got.push_back(e); });
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].filter, "a/#");
  EXPECT_EQ(got[0].qos, 1);
  EXPECT_TRUE(got[0].no_local);
  EXPECT_TRUE(got[0].retain_as_published);
  EXPECT_EQ(got[0].retain_handling, 2);
  EXPECT_EQ(got[1].filter, "$share/g/x");
  EXPECT_EQ(got[1].qos, 0);
  EXPECT_FALSE(got[1].no_local);
}

TEST(Vectors, Suback) {
  const std::array<std::uint8_t, 2> c3{0x01, 0x80};
  EXPECT_EQ(encoded(6, [&](auto* o) { return encode_suback(o, 10, c3, v311); }), vec::suback_v311());
  framed f3(vec::suback_v311(), v311);
  suback_view s;
  ASSERT_EQ(decode_suback(f3.f, v311, s), error::none);
  EXPECT_EQ(s.packet_id, 10);
  EXPECT_EQ(copy(s.reason_codes), (bytes{0x01, 0x80}));
  EXPECT_TRUE(suback_granted(s.reason_codes[0]));
  EXPECT_FALSE(suback_granted(s.reason_codes[1]));

  const std::array<std::uint8_t, 2> c5{0x01, 0xA2};
  EXPECT_EQ(encoded(7, [&](auto* o) { return encode_suback(o, 10, c5, v5); }), vec::suback_v5());
  framed f5(vec::suback_v5(), v5);
  ASSERT_EQ(decode_suback(f5.f, v5, s), error::none);
  EXPECT_EQ(copy(s.reason_codes), (bytes{0x01, 0xA2}));
}

TEST(Vectors, Unsubscribe) {
  const std::array<std::string_view, 1> filters{"a/#"};
  EXPECT_EQ(encoded(unsubscribe_size(filters, v311), [&](auto* o) { return encode_unsubscribe(o, 11, filters, v311); }),
            vec::unsubscribe_v311());
  EXPECT_EQ(encoded(unsubscribe_size(filters, v5), [&](auto* o) { return encode_unsubscribe(o, 11, filters, v5); }),
            vec::unsubscribe_v5());
  for (auto [v, wire] : {std::pair{v311, vec::unsubscribe_v311()}, std::pair{v5, vec::unsubscribe_v5()}}) {
    framed fr(wire, v);
    unsubscribe_view u;
    ASSERT_EQ(decode_unsubscribe(fr.f, v, u), error::none);
    EXPECT_EQ(u.packet_id, 11);
    std::vector<std::string_view> got;
    for_each_unsubscription(u, [&](std::string_view f) { got.push_back(f); });
    EXPECT_EQ(got, std::vector<std::string_view>{"a/#"});
  }
}

TEST(Vectors, Unsuback) {
  const std::array<std::uint8_t, 2> codes{0x00, 0x11};
  EXPECT_EQ(encoded(4, [&](auto* o) { return encode_unsuback(o, 11, codes, v311); }), vec::unsuback_v311());
  EXPECT_EQ(encoded(7, [&](auto* o) { return encode_unsuback(o, 11, codes, v5); }), vec::unsuback_v5());
  unsuback_view u;
  framed f3(vec::unsuback_v311(), v311);
  ASSERT_EQ(decode_unsuback(f3.f, v311, u), error::none);
  EXPECT_EQ(u.packet_id, 11);
  EXPECT_TRUE(u.reason_codes.empty());
  framed f5(vec::unsuback_v5(), v5);
  ASSERT_EQ(decode_unsuback(f5.f, v5, u), error::none);
  EXPECT_EQ(copy(u.reason_codes), (bytes{0x00, 0x11}));
}

TEST(Vectors, PingAndDisconnect) {
  EXPECT_EQ(encoded(2, [](auto* o) { return encode_pingreq(o); }), vec::pingreq());
  EXPECT_EQ(encoded(2, [](auto* o) { return encode_pingresp(o); }), vec::pingresp());
  for (auto v : {v311, v5}) {
    framed a(vec::pingreq(), v);
    EXPECT_EQ(decode_pingreq(a.f, v), error::none);
    EXPECT_EQ(decode_pingresp(a.f, v), error::protocol_error);
    framed b(vec::pingresp(), v);
    EXPECT_EQ(decode_pingresp(b.f, v), error::none);
  }
  // 3.1.1 DISCONNECT has no reason code even when one is passed.
  EXPECT_EQ(encoded(2, [](auto* o) { return encode_disconnect(o, 0x8E, v311); }), vec::disconnect_v311());
  EXPECT_EQ(encoded(2, [](auto* o) { return encode_disconnect(o, 0, v5); }), vec::disconnect_v311());
  EXPECT_EQ(encoded(3, [](auto* o) { return encode_disconnect(o, 0x8E, v5); }), vec::disconnect_v5());
  disconnect_view d;
  framed d3(vec::disconnect_v311(), v311);
  ASSERT_EQ(decode_disconnect(d3.f, v311, d), error::none);
  EXPECT_EQ(d.reason_code, 0);
  framed d5(vec::disconnect_v5(), v5);
  ASSERT_EQ(decode_disconnect(d5.f, v5, d), error::none);
  EXPECT_EQ(d.reason_code, 0x8E);
  EXPECT_STREQ(describe_disconnect(0x8E), "session taken over (0x8E)");
  framed dp(vec::disconnect_v5_props(), v5);
  ASSERT_EQ(decode_disconnect(dp.f, v5, d), error::none);
  EXPECT_EQ(d.reason_code, 0x8B);
  EXPECT_EQ(d.reason_string, "bye");
}

TEST(Vectors, Auth) {
  EXPECT_EQ(encoded(4, [](auto* o) { return encode_auth(o, 0x18); }), vec::auth_v5());
  EXPECT_EQ(encoded(2, [](auto* o) { return encode_auth(o, 0); }), (bytes{0xF0, 0x00}));
  framed fr(vec::auth_v5(), v5);
  auth_view a;
  ASSERT_EQ(decode_auth(fr.f, v5, a), error::none);
  EXPECT_EQ(a.reason_code, 0x18);
  EXPECT_EQ(decode_auth(fr.f, v311, a), error::protocol_error);
}

TEST(Vectors, EveryVectorDecodesWithoutError) {
  for (const auto& n : vec::all()) {
    SCOPED_TRACE(n.name);
    framed fr(n.wire, n.v);
    EXPECT_EQ(decode_any(fr.f, n.v), error::none);
  }
}

TEST(Vectors, DecoderRefusesAnotherTypesFrame) {
  framed fr(vec::pingreq(), v5);
  publish_view p;
  ack_view a;
  connack_view c;
  suback_view s;
  EXPECT_EQ(decode_ack(fr.f, v5, a), error::protocol_error);
  EXPECT_EQ(decode_connack(fr.f, v5, c), error::protocol_error);
  EXPECT_EQ(decode_suback(fr.f, v5, s), error::protocol_error);
  connect_view cv;
  EXPECT_EQ(decode_connect(fr.f, cv), error::protocol_error);
}

TEST(Errors, EveryErrorHasADescriptionAndReasonCode) {
  for (int i = 0; i <= static_cast<int>(error::bad_subscription_options); ++i) {
    const auto e = static_cast<error>(i);
    EXPECT_STRNE(describe(e), "unknown error") << i;
    if (e != error::none) {
      EXPECT_GE(reason_code(e), 0x80) << i;
    }
  }
  EXPECT_EQ(reason_code(error::packet_too_large), 0x95);
  EXPECT_EQ(reason_code(error::bad_utf8), 0x81);
  EXPECT_EQ(reason_code(error::protocol_error), 0x82);
  EXPECT_EQ(reason_code(error::none), 0x00);
}

}  // namespace
}  // namespace mqrelay::codec::test
