// The local broker misbehaves on cue (SPEC §4.7, §4.8): refused CONNACK, a malformed packet, a
// connection cut in the middle of a packet, a PUBACK that never comes. The cloud is the real TLS
// mosquitto. In every case the relay stays up, reconnects, and relays correctly afterwards.
#include <algorithm>
#include <atomic>
#include <cctype>
#include <set>
#include <thread>

#include "tests/integration/fixture.hpp"
#include "tests/support/fake_broker.hpp"

namespace mqrelay::test {
namespace {

constexpr const char* kHello = "clients/dev1/hello/world";
constexpr const char* kResponse = "clients/dev1/hello/world/event/response";

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool has_packet(const std::vector<fake_packet>& r, std::uint8_t type, int min_conn = 0) {
  return std::any_of(r.begin(), r.end(), [&](const fake_packet& p) { return p.type == type && p.conn >= min_conn; });
}

class FakeLocal : public RelayTest {
 protected:
  void start_cloud(std::string extra_conf = {}) {
    cloud_ = std::make_unique<mosquitto_broker>(broker_options{.tls = true, .extra_conf = std::move(extra_conf)});
    cloud_->start();
  }
  void start_relay_on(const fake_broker& fb, const std::string& version = "mqtt3", int ack_timeout_s = 0) {
    auto cfg = base_config();
    cfg.local_uri = fb.uri();
    cfg.local_version = version;
    cfg.ack_timeout_s = ack_timeout_s;
    start_relay(cfg);
  }
  void TearDown() override {
    if (HasFailure() && fake_) {
      const auto got = fake_->received();
      std::cerr << "\n===== packets received by the fake broker: " << got.size() << " (the first 200) =====\n";
      for (std::size_t i = 0; i < got.size() && i < 200; ++i) {
        const fake_packet& p = got[i];
        std::cerr << "conn " << p.conn << " type " << int(p.type) << " flags " << int(p.flags) << " len "
                  << p.body.size() << (p.type == mqtt_type::publish ? " topic " + p.topic() : std::string()) << "\n";
      }
    }
    RelayTest::TearDown();
  }
  std::unique_ptr<fake_broker> fake_;
};

// ---- refused CONNACK: 3.1.1 return code 5 (not authorized), MQTT 5 reason code 0x87 ----
class ConnackRefused : public FakeLocal, public ::testing::WithParamInterface<const char*> {};

TEST_P(ConnackRefused, RelayStaysUpAndRetries) {
  start_cloud();
  const bool v5 = std::string(GetParam()) == "mqtt5";
  fake_ = std::make_unique<fake_broker>([v5](fake_connection& c) {
    if (c.expect_connect()) c.send(fake_wire::connack(v5 ? 0x87 : 5, false, v5));
    c.close();
  });
  start_relay_on(*fake_, GetParam());
  EXPECT_TRUE(fake_->wait_for([](auto& r) {
    return std::count_if(r.begin(), r.end(), [](auto& p) { return p.type == mqtt_type::connect; }) >= 3;
  }, 20s)) << "expected the relay to retry the refused connection (backoff 200..1000 ms), CONNECTs seen: "
           << fake_->connections();
  for (const auto& p : fake_->received())
    if (p.type == mqtt_type::connect) {
      EXPECT_EQ(p.client_id(), "mqrelay-it-local");
      EXPECT_EQ(p.v5, v5);
    }
  EXPECT_TRUE(relay_->running());
  const auto log = lower(relay_->log());
  EXPECT_TRUE(log.find("connack") != std::string::npos || log.find("refus") != std::string::npos ||
              log.find("authori") != std::string::npos)
      << "the log should say the broker refused the connection";
  expect_clean_stop();
}

INSTANTIATE_TEST_SUITE_P(Versions, ConnackRefused, ::testing::Values("mqtt3", "mqtt5"));

// ---- a malformed packet closes the link, which reconnects and works ----
struct malformed_case {
  const char* name;
  std::string bytes;
};
void PrintTo(const malformed_case& c, std::ostream* os) { *os << c.name; }

class Malformed : public FakeLocal, public ::testing::WithParamInterface<malformed_case> {};

TEST_P(Malformed, LinkClosedReconnectedAndRelaying) {
  start_cloud();
  const std::string bad = GetParam().bytes;
  fake_ = std::make_unique<fake_broker>([bad](fake_connection& c) {
    if (!c.expect_connect()) return;
    c.send(fake_wire::connack(0, false, c.v5()));
    if (!c.serve_until_subscribed()) return;
    if (c.index() == 0) {
      c.send(bad);
      c.serve_until([](const fake_packet&) { return false; }, 10s);  // until the relay closes
      c.close();
      return;
    }
    std::this_thread::sleep_for(500ms);  // the cloud link is up by now in practice; queued otherwise
    c.send(fake_wire::publish(kHello, "after-malformed", 1, 7, c.v5()));
  });
  start_relay_on(*fake_);
  auto app = cloud_app();
  ASSERT_EQ(app->subscribe("#", 1), 1);
  EXPECT_TRUE(app->wait_for([](auto& in) { return !real(in, kHello).empty(); }, 30s))
      << "nothing relayed after the reconnect; connections to the fake broker: " << fake_->connections();
  EXPECT_GE(fake_->connections(), 2) << "the malformed packet should close the link and the relay reconnect";
  EXPECT_TRUE(fake_->wait_for(
      [](auto& r) {
        return std::any_of(r.begin(), r.end(), [](auto& p) {
          return p.type == mqtt_type::puback && p.conn >= 1 && p.body.size() == 2 && p.body[0] == 0 && p.body[1] == 7;
        });
      },
      10s))
      << "the relayed message was never PUBACKed to its source";
  EXPECT_TRUE(relay_->running());
  EXPECT_NE(lower(relay_->log()).find("malformed"), std::string::npos) << "the log should say why the link closed";
  expect_clean_stop();
}

INSTANTIATE_TEST_SUITE_P(
    Cases, Malformed,
    ::testing::Values(
        // remaining length with 5 bytes (MQTT 3.1.1 §2.2.3: at most 4)
        malformed_case{"LengthOver4Bytes", std::string("\x30\xff\xff\xff\xff\x01", 6)},
        // PUBLISH QoS 1 whose topic length (16) runs past the remaining length (4)
        malformed_case{"TopicPastEnd", std::string("\x32\x04\x00\x10\x61\x62", 6)},
        // reserved packet type 0
        malformed_case{"ReservedType", std::string("\x00\x00", 2)},
        // PUBACK with remaining length 1 (3.1.1 requires 2)
        malformed_case{"ShortPuback", std::string("\x40\x01\x00", 3)}),
    [](const ::testing::TestParamInfo<malformed_case>& p) { return std::string(p.param.name); });

// ---- a connection cut in the middle of a PUBLISH ----
TEST_F(FakeLocal, ConnectionCutMidPacketNeverRelaysTheFragment) {
  start_cloud();
  fake_ = std::make_unique<fake_broker>([](fake_connection& c) {
    if (!c.expect_connect()) return;
    c.send(fake_wire::connack(0, false, c.v5()));
    if (!c.serve_until_subscribed()) return;
    std::this_thread::sleep_for(500ms);
    if (c.index() == 0) {
      const std::string whole = fake_wire::publish(kHello, "fragment-" + std::string(200, 'f'), 1, 3, c.v5());
      c.send(std::string_view(whole).substr(0, whole.size() / 2));
      std::this_thread::sleep_for(300ms);
      c.close();
      return;
    }
    c.send(fake_wire::publish(kHello, "whole", 1, 4, c.v5()));
  });
  start_relay_on(*fake_);
  auto app = cloud_app();
  ASSERT_EQ(app->subscribe("#", 1), 1);
  EXPECT_TRUE(app->wait_for([](auto& in) { return !real(in, kHello).empty(); }, 30s))
      << "nothing relayed after the reconnect; connections: " << fake_->connections();
  std::this_thread::sleep_for(500ms);
  for (const auto& m : app->messages())
    EXPECT_EQ(m.payload.rfind("fragment-", 0), std::string::npos) << "a truncated packet was relayed";
  EXPECT_TRUE(relay_->running());
  expect_clean_stop();
}

// ---- a PUBACK that never comes: after ackTimeoutSeconds the link is broken, the relay
// reconnects and resends the unacknowledged PUBLISH with DUP set (session present) ----
TEST_F(FakeLocal, MissingPubackResentWithDupAfterReconnect) {
  start_cloud();
  fake_ = std::make_unique<fake_broker>([](fake_connection& c) {
    if (!c.expect_connect()) return;
    c.send(fake_wire::connack(0, /*session_present=*/c.index() > 0, c.v5()));
    if (c.index() == 0) {
      c.serve_until([](const fake_packet&) { return false; }, 40s, /*puback=*/false);
      c.close();
    }
  });
  start_relay_on(*fake_, "mqtt3", /*ack_timeout_s=*/2);
  auto app = cloud_app();
  // Publish until the relay (subscribed at the cloud) delivers one to the fake broker.
  ASSERT_TRUE(fake_->wait_for([](auto& r) { return has_packet(r, mqtt_type::subscribe); }, 20s))
      << "the relay never subscribed at the fake local broker";
  bool delivered = false;
  for (int i = 0; i < 60 && !delivered; ++i) {
    app->publish(kResponse, "needs-ack-" + std::to_string(i), 1);
    delivered = fake_->wait_for([](auto& r) { return has_packet(r, mqtt_type::publish); }, 500ms);
  }
  ASSERT_TRUE(delivered) << "nothing relayed IotCore -> LocalMqtt within 30 s";
  fake_packet first;
  for (const auto& p : fake_->received())
    if (p.type == mqtt_type::publish) {
      first = p;
      break;
    }
  EXPECT_EQ(first.conn, 0);
  EXPECT_EQ(first.topic(), kResponse);
  EXPECT_EQ(first.qos(), 1) << "QoS 1 on every side";
  EXPECT_FALSE(first.dup());
  const bool resent = fake_->wait_for(
      [&](auto& r) {
        return std::any_of(r.begin(), r.end(), [&](const fake_packet& p) {
          return p.type == mqtt_type::publish && p.conn >= 1 && p.payload() == first.payload();
        });
      },
      30s);
  ASSERT_TRUE(resent) << "the unacknowledged PUBLISH was not sent again after the ack timeout (2 s); connections: "
                      << fake_->connections();
  for (const auto& p : fake_->received())
    if (p.type == mqtt_type::publish && p.conn >= 1 && p.payload() == first.payload()) {
      EXPECT_TRUE(p.dup()) << "a resent PUBLISH carries DUP (MQTT 3.1.1 §4.4)";
      EXPECT_EQ(p.packet_id(), first.packet_id()) << "a resent PUBLISH keeps its packet identifier";
      break;
    }
  EXPECT_TRUE(relay_->running());
  expect_clean_stop();
}

// ---- PUBACKs to the source leave in the order its PUBLISHes came ([MQTT-4.6.0-2]) ----
// MQTT 3.1.1 and 5 §4.6: a client MUST send PUBACKs in the order the PUBLISHes were received.
// With ack chaining a PUBACK waits for the message's targets, and targets finish out of order.
// Here PUBLISH 1 goes to the cloud, which is stopped (SIGSTOP: connected, silent), and PUBLISH 2
// goes round through the local broker itself (a LocalMqtt -> LocalMqtt mapping with a prefix),
// which acknowledges it at once. PUBACK 2 must not leave before PUBACK 1, and message 2 must still
// be relayed meanwhile: only its acknowledgement waits.
constexpr const char* kLoopBack = "back/loop/x";

relay_config with_loop_mapping(relay_config cfg, const fake_broker& fb) {
  cfg.local_uri = fb.uri();
  cfg.mappings.push_back({"Loop", "loop/#", "LocalMqtt", "LocalMqtt", "back/"});
  return cfg;
}

bool has_publish_on(const std::vector<fake_packet>& r, const std::string& topic) {
  return std::any_of(r.begin(), r.end(), [&](const fake_packet& p) { return p.type == mqtt_type::publish && p.topic() == topic; });
}

// The script's start: CONNACK (session present from the second connection on), and on the first
// connection only, SUBACK and then wait (up to 30 s) for the test to set phase to 1. True when the
// script goes on.
bool first_connection_until_go(fake_connection& c, const std::atomic<int>& phase) {
  if (!c.expect_connect()) return false;
  c.send(fake_wire::connack(0, c.index() > 0, c.v5()));
  if (c.index() > 0 || !c.serve_until_subscribed()) return false;
  for (int i = 0; i < 300 && phase.load() < 1; ++i) std::this_thread::sleep_for(100ms);
  return phase.load() >= 1;
}

TEST_F(FakeLocal, PubacksLeaveInTheOrderThePublishesCame) {
  start_cloud();
  std::atomic<int> phase{0};  // 1: the cloud is stopped, send
  fake_ = std::make_unique<fake_broker>([&](fake_connection& c) {
    if (!first_connection_until_go(c, phase)) return;
    c.send(fake_wire::publish(kHello, "to-the-cloud", 1, 1, c.v5()) + fake_wire::publish("loop/x", "back-home", 1, 2, c.v5()));
    c.serve_until([](const fake_packet&) { return false; }, 40s);  // acknowledges the relay's PUBLISH at once
  });
  start_relay(with_loop_mapping(base_config(), *fake_));
  ASSERT_TRUE(relay_->wait_log({"iotcore: subscribed to"}, 30s)) << "the relay did not get ready at the cloud within 30 s";
  ASSERT_TRUE(cloud_->proc()->signal(SIGSTOP));
  phase = 1;
  const auto pubacks = [](const std::vector<fake_packet>& r) {
    std::vector<int> ids;
    for (const auto& p : r)
      if (p.puback_id() >= 0) ids.push_back(p.puback_id());
    return ids;
  };
  const bool relayed = fake_->wait_for([](auto& r) { return has_publish_on(r, kLoopBack); }, 10s);
  std::this_thread::sleep_for(300ms);  // an early PUBACK 2 would be here by now
  const auto while_stopped = pubacks(fake_->received());
  ASSERT_TRUE(cloud_->proc()->signal(SIGCONT));
  EXPECT_TRUE(relayed) << "message 2 was not relayed while message 1 waited for the stopped cloud";
  EXPECT_TRUE(while_stopped.empty()) << "PUBACK " << (while_stopped.empty() ? 0 : while_stopped[0])
                                     << " left while PUBLISH 1 still waited for its target";
  ASSERT_TRUE(fake_->wait_for(
      [&](auto& r) {
        const auto ids = pubacks(r);
        return std::count(ids.begin(), ids.end(), 1) && std::count(ids.begin(), ids.end(), 2);
      },
      20s))
      << "PUBACKs 1 and 2 did not both come after the cloud resumed";
  EXPECT_EQ(pubacks(fake_->received()), (std::vector<int>{1, 2})) << "PUBACKs in the order of the PUBLISHes, each once";
  EXPECT_EQ(fake_->connections(), 1);
  expect_clean_stop();
}

// ---- PUBACKs to the local broker: held to leave together, never long, never early ----
// While a source has many QoS 1 messages unacknowledged with the relay (256 or more), the relay
// holds its PUBACKs until 128 are ready, or 500 us after the first, so that they leave in one
// write and the source refills its window in one go (bench/run.sh br-relay-q1). Here, with the
// cloud down, the local broker sends 9 publishes that come back to it (a LocalMqtt -> LocalMqtt
// mapping) and then 260 that the relay must keep unacknowledged (their target is down; SPEC §4.5).
// Once the relay has read them all, the broker acknowledges the 9 it got back: their 9 PUBACKs
// must then leave on the hold's deadline, not at the loop's next idle wake-up (1 s later); the 260
// only once the cloud is back and has them.
namespace held {
constexpr int kStuck = 260, kFirst = 9;
constexpr std::uint16_t kFirstId = 1, kStuckId = 101;  // first packet ids
bool first(int id) { return id >= kFirstId && id < kFirstId + kFirst; }
bool stuck(int id) { return id >= kStuckId && id < kStuckId + kStuck; }
}  // namespace held

TEST_F(FakeLocal, HeldPubacksLeaveWithinTheHoldAndNeverBeforeTheTarget) {
  using namespace held;
  start_cloud();
  std::atomic<int> phase{0};       // 1: the cloud is down, send; 2: the script's part is over
  std::atomic<int> came_back{0};   // the 9 relayed back to the local broker
  std::atomic<long> first_ms{-1};  // our PUBACKs of those 9 sent -> the relay's PUBACK of the 9th
  std::atomic<int> stuck_acked_early{0};
  fake_ = std::make_unique<fake_broker>([&](fake_connection& c) {
    if (!first_connection_until_go(c, phase)) return;
    std::string all;
    for (int i = 0; i < kFirst; ++i)
      all += fake_wire::publish("loop/x", "first-" + std::to_string(i), 1, static_cast<std::uint16_t>(kFirstId + i), c.v5());
    for (int i = 0; i < kStuck; ++i)
      all += fake_wire::publish(kHello, "stuck-" + std::to_string(i), 1, static_cast<std::uint16_t>(kStuckId + i), c.v5());
    c.send(all);
    std::string acks;  // for the relay's PUBLISHes of the 9, sent together below
    auto until = std::chrono::steady_clock::now() + 5s;
    while (came_back.load() < kFirst && std::chrono::steady_clock::now() < until && !c.closed()) {
      auto p = c.read(5s);
      if (!p) break;
      if (stuck(p->puback_id()) || first(p->puback_id())) ++stuck_acked_early;  // nothing is finished yet
      if (p->type == mqtt_type::publish && p->topic() == kLoopBack) {
        acks += fake_wire::puback(p->packet_id());
        ++came_back;
      }
    }
    if (came_back.load() < kFirst) return;
    std::this_thread::sleep_for(200ms);  // the relay has read all 269 by now: 269 unacknowledged with it
    const auto t0 = std::chrono::steady_clock::now();
    c.send(acks);
    std::set<int> got;
    until = t0 + 5s;
    while (static_cast<int>(got.size()) < kFirst && std::chrono::steady_clock::now() < until && !c.closed()) {
      auto p = c.read(5s);
      if (!p) break;
      const int id = p->puback_id();
      if (first(id)) got.insert(id);
      if (stuck(id)) ++stuck_acked_early;
    }
    if (static_cast<int>(got.size()) == kFirst)
      first_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
    phase = 2;
    c.serve_until([](const fake_packet&) { return false; }, 40s);
  });
  start_relay(with_loop_mapping(base_config(), *fake_));
  ASSERT_TRUE(relay_->wait_log({"iotcore: connected to"}, 30s)) << "the relay did not connect to the cloud within 30 s";
  cloud_->stop();
  ASSERT_TRUE(relay_->wait_log({"iotcore: connection closed", "iotcore: TLS", "iotcore: receive from"}, 10s))
      << "the relay did not notice the cloud going down within 10 s";
  phase = 1;
  for (int i = 0; i < 400 && phase.load() < 2; ++i) std::this_thread::sleep_for(100ms);
  ASSERT_EQ(came_back.load(), kFirst) << "the 9 looping publishes did not all come back within 5 s";
  ASSERT_EQ(phase.load(), 2) << "the fake local broker's script did not get that far";
  ASSERT_GE(first_ms.load(), 0) << "the PUBACKs of the 9 did not all come within 5 s of their targets' PUBACKs";
  EXPECT_LT(first_ms.load(), 300) << "held PUBACKs leave within the hold time (500 us) of the first, not at the "
                                     "loop's next idle wake-up (1 s)";
  EXPECT_EQ(stuck_acked_early.load(), 0) << "a message was acknowledged to its source before its target had it";
  std::string why;
  ASSERT_TRUE(cloud_->restart(why)) << why;
  EXPECT_TRUE(fake_->wait_for(
      [](auto& r) {
        std::set<int> ids;
        for (const auto& p : r)
          if (stuck(p.puback_id())) ids.insert(p.puback_id());
        return static_cast<int>(ids.size()) == kStuck;
      },
      30s))
      << "the messages kept while the cloud was down were not all acknowledged after it came back";
  EXPECT_EQ(fake_->connections(), 1) << "no reconnect to the local broker on the way";
  expect_clean_stop();
}

// ---- packet ids wrap while the oldest stays unacknowledged ----
// The relay numbers its packets 1, 2, ... 65535 and then reuses the ids that are free. Here the
// local broker never acknowledges the first publish and, once the ids have wrapped, the next four;
// it acknowledges everything else, then drops the connection. After the reconnect exactly those
// five are sent again, each once, oldest first, with DUP set. (The send-order list was once a
// deque pruned only from its front: with the first publish stuck there it also kept the
// acknowledged first uses of the reused ids, and sent those ids twice after a reconnect.)
namespace wrap {
constexpr int kAfterWrap = 4;
// Fed conn 0's publishes in order: which ones the fake broker leaves unacknowledged (the first,
// and the first kAfterWrap once an id is not above the one before).
struct holder {
  std::uint16_t prev = 0;
  bool wrapped = false;
  int held_after = 0;
  std::size_t seen = 0;
  bool hold(std::uint16_t id) {
    if (seen++ > 0 && id <= prev) wrapped = true;
    prev = id;
    if (seen == 1) return true;
    if (!wrapped || held_after == kAfterWrap) return false;
    ++held_after;
    return true;
  }
};
}  // namespace wrap

TEST_F(FakeLocal, IdsWrappedBehindAStuckPublishAreResentOnce) {
  // One SUBSCRIBE (id 1, acknowledged), then the publishes: the first gets id 2 and is held, the
  // next 65,533 use ids 3..65535, and four more reuse ids 1, 3, 4, 5.
  constexpr int kTotal = 1 + 65533 + wrap::kAfterWrap;
  const auto payload = [](int i) {
    std::string s = "m";  // (GCC 12 warns wrongly on "m" + std::to_string(i): -Wrestrict)
    s += std::to_string(i);
    return s;
  };
  // The app publishes faster than the chain drains (PUBACKs to the cloud wait for the local
  // broker's): the cloud broker must queue them all, not drop past its default 1,000.
  // And it sends them without waiting for the relay's PUBACKs (max_inflight_messages 0): those
  // leave in order ([MQTT-4.6.0-2]), so all of them wait behind the first, held publish.
  start_cloud("max_queued_messages 0\nmax_inflight_messages 0\n");
  fake_ = std::make_unique<fake_broker>([](fake_connection& c) {
    if (!c.expect_connect()) return;
    c.send(fake_wire::connack(0, /*session_present=*/c.index() > 0, c.v5()));
    if (c.index() > 0 || !c.serve_until_subscribed()) return;
    wrap::holder h;
    while (h.held_after < wrap::kAfterWrap) {
      auto p = c.read(20s);
      if (!p) return;
      if (p->type == mqtt_type::pingreq) c.send(fake_wire::pingresp());
      if (p->type != mqtt_type::publish) continue;
      if (!h.hold(p->packet_id())) c.send(fake_wire::puback(p->packet_id()));
    }
    c.close();
  });
  start_relay_on(*fake_, "mqtt3", /*ack_timeout_s=*/120);
  ASSERT_TRUE(relay_->wait_log({"iotcore: subscribed to"}, 20s)) << "the relay never subscribed at the cloud";
  auto app = cloud_app();
  for (int i = 0; i < kTotal; ++i) ASSERT_TRUE(app->publish(kResponse, payload(i), 1));
  ASSERT_TRUE(app->wait_all_published(60s)) << "the cloud app could not publish " << kTotal << " messages";

  const auto resent_of = [](const std::vector<fake_packet>& r) {
    std::vector<std::pair<std::uint16_t, std::string>> v;
    for (const auto& p : r)
      if (p.type == mqtt_type::publish && p.conn >= 1 && p.dup()) v.emplace_back(p.packet_id(), p.payload());
    return v;
  };
  // Polled, not a wait_for predicate: that would scan every packet received on each new one.
  bool five = false;
  for (const auto give_up = std::chrono::steady_clock::now() + 90s; !five && std::chrono::steady_clock::now() < give_up;) {
    std::this_thread::sleep_for(250ms);
    five = fake_->connections() >= 2 && resent_of(fake_->received()).size() >= 5;
  }
  std::this_thread::sleep_for(1s);  // a duplicate would follow at once
  const auto all = fake_->received();
  std::size_t publishes0 = 0;
  std::vector<std::pair<std::uint16_t, std::string>> held;
  wrap::holder h;
  for (const auto& p : all)
    if (p.type == mqtt_type::publish && p.conn == 0) {
      ++publishes0;
      if (h.hold(p.packet_id())) held.emplace_back(p.packet_id(), p.payload());
    }
  ASSERT_EQ(publishes0, static_cast<std::size_t>(kTotal)) << "publishes on the first connection";
  ASSERT_EQ(held.size(), 5u);
  EXPECT_EQ(held[0], std::make_pair(std::uint16_t{2}, payload(0)));
  EXPECT_EQ(held[1], std::make_pair(std::uint16_t{1}, payload(65534))) << "id 1 (the SUBSCRIBE's, acknowledged) reused first";
  EXPECT_TRUE(five) << "expected 5 resent publishes after the reconnect; connections: " << fake_->connections();
  EXPECT_EQ(resent_of(all), held) << "each unacknowledged publish resent once, oldest first, same id";
  EXPECT_TRUE(relay_->running());
  expect_clean_stop();
}

}  // namespace
}  // namespace mqrelay::test
