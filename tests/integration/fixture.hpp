// Integration test fixture: a plain mosquitto as the "local" broker, a mosquitto with mutual TLS
// as the "cloud" (IoT Core stand-in), the relay between them, a "device" client on the local
// broker and a "cloud app" client on the cloud broker.
//
// Readiness is observed black-box: probe() publishes numbered "probe-N" messages until one comes
// out at the other side (the relay is connected and subscribed there). Assertions ignore probe
// payloads (real()). On failure, TearDown prints the relay's log and the brokers' logs.
#pragma once
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <functional>
#include <iostream>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/certs.hpp"
#include "tests/support/mosquitto_broker.hpp"
#include "tests/support/mqtt_client.hpp"
#include "tests/support/net.hpp"
#include "tests/support/relay.hpp"

namespace mqrelay::test {

using namespace std::chrono_literals;

// Last n lines of a text.
inline std::string tail_lines(const std::string& text, std::size_t n) {
  std::size_t pos = text.size(), count = 0;
  while (pos > 0 && count <= n) {
    pos = text.rfind('\n', pos - 1);
    if (pos == std::string::npos) return text;
    ++count;
  }
  return text.substr(pos + 1);
}

inline bool is_probe(const received_message& m) { return m.payload.rfind("probe-", 0) == 0; }

// Messages of one topic, probes left out.
inline std::vector<received_message> real(const std::vector<received_message>& all, const std::string& topic = "") {
  std::vector<received_message> out;
  for (const auto& m : all)
    if (!is_probe(m) && (topic.empty() || m.topic == topic)) out.push_back(m);
  return out;
}

class RelayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    if (!relay::binary_available(why)) GTEST_FAIL() << why;
    pki_ = &shared_certs();
  }

  void TearDown() override {
    if (!HasFailure()) return;
    if (relay_) std::cerr << "\n===== relay log (" << relay_->config_path() << ") =====\n" << tail_lines(relay_->log(), 120);
    if (local_) std::cerr << "\n===== local mosquitto log =====\n" << tail_lines(local_->log(), 30);
    if (cloud_) std::cerr << "\n===== cloud mosquitto log =====\n" << tail_lines(cloud_->log(), 30);
    std::cerr << "\n";
  }

  // Brokers. persistence: keep sessions over restart().
  void start_brokers(bool local_persistence = false, bool cloud_persistence = false) {
    local_ = std::make_unique<mosquitto_broker>(broker_options{.persistence = local_persistence});
    local_->start();
    cloud_ = std::make_unique<mosquitto_broker>(broker_options{.tls = true, .persistence = cloud_persistence});
    cloud_->start();
  }

  relay_config base_config() const {
    relay_config c;
    c.local_uri = local_ ? local_->uri() : "";
    c.cloud_port = cloud_ ? cloud_->port() : 0;
    return c;
  }

  void start_relay(relay_config c) {
    relay_ = std::make_unique<relay>(std::move(c));
    relay_->start();
  }

  // Clients. version 4 = MQTT 3.1.1, 5 = MQTT 5. A fixed id + clean_session false = persistent.
  std::unique_ptr<mqtt_client> device(const std::string& id = "device", int version = 4, bool persistent = false) {
    auto c = std::make_unique<mqtt_client>(client_options{.client_id = id, .clean_session = !persistent, .version = version});
    c->connect(local_->port());
    return c;
  }
  std::unique_ptr<mqtt_client> cloud_app(const std::string& id = "cloud-app", int version = 4, bool persistent = false,
                                         bool skip_host_check = false) {
    client_options o{.client_id = id, .clean_session = !persistent, .version = version, .tls = true};
    o.tls_insecure = skip_host_check;
    o.ca = pki_->ca();
    o.cert = pki_->client_cert();
    o.key = pki_->client_key();
    auto c = std::make_unique<mqtt_client>(o);
    c->connect(cloud_->port());
    return c;
  }

  // Publishes probe-K-N on topic from `from` every 250 ms (K numbers the calls, N the tries) until
  // `to` (subscribed to it) receives one of this call's probes, on expect_topic when given (e.g.
  // with a targetTopicPrefix), or timeout. True = the relay carries that route now. Probes of
  // earlier calls still in `to`'s inbox do not count.
  static bool probe(mqtt_client& from, const std::string& topic, mqtt_client& to,
                    std::chrono::milliseconds timeout = 30s, const std::string& expect_topic = "") {
    static std::atomic<int> calls{0};
    const std::string tag = "probe-" + std::to_string(calls.fetch_add(1)) + "-";
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (int n = 0; std::chrono::steady_clock::now() < deadline; ++n) {
      from.publish(topic, tag + std::to_string(n), 1);
      if (to.wait_for(
              [&](const std::vector<received_message>& in) {
                for (const auto& m : in)
                  if (m.payload.rfind(tag, 0) == 0 && (expect_topic.empty() || m.topic == expect_topic)) return true;
                return false;
              },
              250ms))
        return true;
    }
    return false;
  }

  // Device and cloud app subscribe to everything ("#", QoS 1), then the relay must be up on the
  // seed's routes in both directions. Call as ASSERT_NO_FATAL_FAILURE(subscribe_all_and_expect_routes_up(...)).
  void subscribe_all_and_expect_routes_up(mqtt_client& dev, mqtt_client& app) {
    ASSERT_EQ(dev.subscribe("#", 1), 1);
    ASSERT_EQ(app.subscribe("#", 1), 1);
    expect_seed_routes_up(dev, app);
  }

  // The relay is up on the seed's routes in both directions (device/cloud subscribed to "#").
  void expect_seed_routes_up(mqtt_client& dev, mqtt_client& app) {
    ASSERT_TRUE(probe(dev, "clients/dev1/hello/world", app)) << "nothing relayed LocalMqtt -> IotCore within 30 s";
    ASSERT_TRUE(probe(app, "clients/dev1/hello/world/event/response", dev))
        << "nothing relayed IotCore -> LocalMqtt within 30 s";
  }

  // The relay stops with exit 0 on SIGTERM within 10 s (SPEC §2, §4.11).
  void expect_clean_stop() {
    ASSERT_TRUE(relay_);
    const auto rc = relay_->stop(10s);
    ASSERT_TRUE(rc.has_value()) << "the relay did not exit within 10 s of SIGTERM";
    EXPECT_EQ(*rc, 0) << "exit status after SIGTERM";
  }

  // Waits until every number in [0, n) has arrived on topic (payload = the number); returns the
  // missing ones (empty = all there).
  static std::set<int> wait_numbers(mqtt_client& c, const std::string& topic, int n, std::chrono::milliseconds timeout) {
    auto missing = [&](const std::vector<received_message>& in) {
      std::vector<bool> seen(static_cast<std::size_t>(n), false);
      for (const auto& m : in) {
        if (m.topic != topic || is_probe(m)) continue;
        const int v = std::atoi(m.payload.c_str());
        if (v >= 0 && v < n) seen[static_cast<std::size_t>(v)] = true;
      }
      std::set<int> out;
      for (int i = 0; i < n; ++i)
        if (!seen[static_cast<std::size_t>(i)]) out.insert(i);
      return out;
    };
    c.wait_for([&](const std::vector<received_message>& in) { return missing(in).empty(); }, timeout);
    return missing(c.messages());
  }

  static std::string first_few(const std::set<int>& s) {
    std::string o;
    int k = 0;
    for (int v : s) {
      if (k++ == 20) return o + "...";
      o += std::to_string(v) + " ";
    }
    return o;
  }

  const certs* pki_ = nullptr;
  std::unique_ptr<mosquitto_broker> local_, cloud_;
  std::unique_ptr<relay> relay_;
};

}  // namespace mqrelay::test
