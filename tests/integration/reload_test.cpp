// SIGHUP (SPEC §4.10): the relay re-reads its file. Mapping changes apply as subscribe and
// unsubscribe deltas, without dropping a connection or a message in flight; an invalid file is
// logged and the running configuration stays. Through the real binary, between real brokers.
#include <algorithm>
#include <filesystem>
#include <thread>

#include "tests/integration/fixture.hpp"
#include "tests/support/temp_dir.hpp"

namespace mqrelay::test {
namespace {

constexpr const char* kHello = "clients/dev1/hello/world";
constexpr const char* kEvent = "clients/dev1/hello/world/event";

std::size_t occurrences(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto p = text.find(needle); p != std::string::npos; p = text.find(needle, p + 1)) ++n;
  return n;
}

class Reload : public RelayTest {
 protected:
  void start_relaying() {
    start_brokers();
    start_relay(base_config());
    dev_ = device();
    app_ = cloud_app();
    subscribe_all_and_expect_routes_up(*dev_, *app_);
  }
  void sighup() { ASSERT_TRUE(relay_->proc()->signal(SIGHUP)); }
  std::unique_ptr<mqtt_client> dev_, app_;
};

TEST_F(Reload, MappingChangesApplyWithoutReconnectingOrLosingMessages) {
  ASSERT_NO_FATAL_FAILURE(start_relaying());
  // A stream on a topic both configurations relay, with the reload in the middle of it.
  constexpr int kN = 400;
  for (int i = 0; i < kN / 2; ++i) ASSERT_TRUE(dev_->publish(kEvent, std::to_string(i), 1));
  auto& cfg = relay_->config();
  std::erase_if(cfg.mappings, [](const relay_mapping& m) { return m.name == "HelloWorldIotCore"; });  // clients/+/hello/world
  cfg.mappings.push_back({"Sensors", "sensors/#", "LocalMqtt", "IotCore", "fleet/"});
  relay_->rewrite_config();
  ASSERT_NO_FATAL_FAILURE(sighup());
  for (int i = kN / 2; i < kN; ++i) ASSERT_TRUE(dev_->publish(kEvent, std::to_string(i), 1));
  const auto missing = wait_numbers(*app_, kEvent, kN, 30s);
  EXPECT_TRUE(missing.empty()) << "lost across the reload: " << first_few(missing);
  ASSERT_TRUE(relay_->wait_log({"SIGHUP: 3 mappings now"}, 10s)) << "the reload was not applied";

  // The new mapping relays, with its prefix.
  EXPECT_TRUE(probe(*dev_, "sensors/t1", *app_, 10s, "fleet/sensors/t1")) << "sensors/# -> fleet/ not relayed after the reload";
  // The removed one does not: the relay unsubscribed from clients/+/hello/world at the local broker.
  EXPECT_TRUE(relay_->wait_log({"local: unsubscribed from 1 filters"}, 10s)) << "no UNSUBSCRIBE confirmed";
  app_->clear();
  ASSERT_TRUE(dev_->publish(kHello, "after-the-reload", 1));
  ASSERT_TRUE(dev_->publish(kEvent, "marker", 1));
  ASSERT_TRUE(app_->wait_for([](auto& in) { return !real(in, kEvent).empty(); }, 10s)) << "the marker behind it did not come";
  EXPECT_TRUE(real(app_->messages(), kHello).empty()) << "a mapping removed by the reload still relays";

  // Connections kept: one CONNACK each for the whole run.
  const std::string log = relay_->log();
  EXPECT_EQ(occurrences(log, "local: connected to"), 1u);
  EXPECT_EQ(occurrences(log, "iotcore: connected to"), 1u);
  expect_clean_stop();
}

TEST_F(Reload, AnInvalidFileKeepsTheRunningConfiguration) {
  ASSERT_NO_FATAL_FAILURE(start_relaying());
  write_text(relay_->config_path(), "{\"mqttTopicMapping\": {\n  \"Up\": {\"topic\": \"a/#\", \"source\": \"LocalMqtt\",,}\n}\n");
  ASSERT_NO_FATAL_FAILURE(sighup());
  EXPECT_TRUE(relay_->wait_log({"SIGHUP: the file has errors; keeping the running configuration"}, 10s));
  // Valid JSON, but a certificate that cannot be read: nothing of it is applied, the new mapping
  // in it neither.
  auto& cfg = relay_->config();
  cfg.mappings.push_back({"Sensors", "sensors/#", "LocalMqtt", "IotCore", ""});
  const std::string good_cert = cfg.cert;
  cfg.cert = relay_->config_path() + ".missing.pem";
  relay_->rewrite_config();
  ASSERT_NO_FATAL_FAILURE(sighup());
  EXPECT_TRUE(relay_->wait_log({"SIGHUP: IotCore TLS:"}, 10s));
  // What needs a restart is said so, and the rest (here: nothing) applies.
  cfg.mappings.pop_back();
  cfg.cert = good_cert;
  cfg.spooler_bytes = 1u << 20;
  relay_->rewrite_config();
  ASSERT_NO_FATAL_FAILURE(sighup());
  EXPECT_TRUE(relay_->wait_log({"SIGHUP: changes to spooler take effect when mqrelay restarts"}, 10s));
  EXPECT_TRUE(relay_->wait_log({"SIGHUP: mappings and connections unchanged"}, 10s));
  // Still relaying both ways, on the same connections, and not the rejected mapping.
  app_->clear();
  dev_->clear();
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(dev_->publish(kHello, std::to_string(i), 1));
  ASSERT_TRUE(dev_->publish("sensors/t1", "rejected", 1));
  const auto missing = wait_numbers(*app_, kHello, 20, 20s);
  EXPECT_TRUE(missing.empty()) << "not relayed after the rejected reloads: " << first_few(missing);
  EXPECT_TRUE(probe(*app_, "clients/dev1/hello/world/event/response", *dev_)) << "IotCore -> LocalMqtt stopped";
  EXPECT_TRUE(real(app_->messages(), "sensors/t1").empty()) << "a mapping from a rejected file was applied";
  EXPECT_EQ(occurrences(relay_->log(), "local: connected to"), 1u);
  EXPECT_EQ(occurrences(relay_->log(), "iotcore: connected to"), 1u);
  EXPECT_TRUE(relay_->running());
  expect_clean_stop();
}

// A changed brokerUri: the local link reconnects to the new broker at once and relays from there;
// the IoT Core connection stays.
TEST_F(Reload, ANewBrokerUriReconnectsThatLinkOnly) {
  ASSERT_NO_FATAL_FAILURE(start_relaying());
  mosquitto_broker other;
  other.start();
  auto& cfg = relay_->config();
  cfg.local_uri = other.uri();
  relay_->rewrite_config();
  ASSERT_NO_FATAL_FAILURE(sighup());
  ASSERT_TRUE(relay_->wait_log({"SIGHUP: 1 connection(s) reconnect with new settings"}, 10s));
  auto dev2 = std::make_unique<mqtt_client>(client_options{.client_id = "device-2"});
  dev2->connect(other.port());
  ASSERT_EQ(dev2->subscribe("#", 1), 1);
  EXPECT_TRUE(probe(*dev2, kHello, *app_, 20s, kHello)) << "nothing relayed from the new local broker";
  EXPECT_TRUE(probe(*app_, "clients/dev1/hello/world/event/response", *dev2)) << "nothing relayed to the new local broker";
  const std::string log = relay_->log();
  EXPECT_NE(log.find("local: connected to 127.0.0.1:" + std::to_string(other.port())), std::string::npos);
  EXPECT_EQ(occurrences(log, "iotcore: connected to"), 1u) << "the IoT Core connection was not touched";
  expect_clean_stop();
}

// Certificates rotated under the same file names: SIGHUP builds a new TLS context from them and the
// IoT Core connection reconnects with it; a file that is no certificate keeps the running one.
TEST_F(Reload, CertificatesRotatedUnderTheSameNamesAreTakenOnSighup) {
  start_brokers();
  temp_dir d;
  const std::string cert = d.file("thing.pem"), key = d.file("thing.key");
  std::filesystem::copy_file(pki_->client_cert(), cert);
  std::filesystem::copy_file(pki_->client_key(), key);
  std::filesystem::permissions(key, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  auto cfg = base_config();
  cfg.cert = cert;
  cfg.key = key;
  start_relay(cfg);
  dev_ = device();
  app_ = cloud_app();
  ASSERT_NO_FATAL_FAILURE(subscribe_all_and_expect_routes_up(*dev_, *app_));

  write_text(cert, "not a certificate\n");
  ASSERT_NO_FATAL_FAILURE(sighup());
  EXPECT_TRUE(relay_->wait_log({"SIGHUP: IotCore TLS:"}, 10s)) << "a broken certificate was not reported";
  EXPECT_EQ(occurrences(relay_->log(), "iotcore: connected to"), 1u) << "the running connection was dropped";

  std::this_thread::sleep_for(20ms);  // a modification time the file did not have
  std::filesystem::copy_file(pki_->client_cert(), cert, std::filesystem::copy_options::overwrite_existing);
  ASSERT_NO_FATAL_FAILURE(sighup());
  ASSERT_TRUE(relay_->wait_log({"SIGHUP: 1 connection(s) reconnect with new settings"}, 10s))
      << "the rotated certificate was not taken";
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (occurrences(relay_->log(), "iotcore: connected to") < 2 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(100ms);
  EXPECT_EQ(occurrences(relay_->log(), "iotcore: connected to"), 2u) << "no reconnect with the new certificate";
  EXPECT_EQ(occurrences(relay_->log(), "local: connected to"), 1u) << "the local connection was touched";
  app_->clear();
  EXPECT_TRUE(probe(*dev_, kHello, *app_, 20s, kHello)) << "not relaying after the reconnect";
  expect_clean_stop();
}

// The cloud is down when the reload comes: the new filter is subscribed after the reconnect, even
// though the cloud kept the relay's session (a session present skips the full resubscribe).
TEST_F(Reload, WhileALinkIsDownItsNewFiltersAreSubscribedWhenItIsBack) {
  start_brokers(/*local_persistence=*/false, /*cloud_persistence=*/true);
  start_relay(base_config());
  dev_ = device();
  app_ = cloud_app();
  ASSERT_NO_FATAL_FAILURE(subscribe_all_and_expect_routes_up(*dev_, *app_));
  cloud_->stop();
  ASSERT_TRUE(relay_->wait_log({"iotcore: connection closed", "iotcore: TLS", "iotcore: receive from"}, 10s))
      << "the relay did not notice the cloud going down";
  auto& cfg = relay_->config();
  cfg.mappings.push_back({"Commands", "commands/#", "IotCore", "LocalMqtt", "from-cloud/"});
  relay_->rewrite_config();
  ASSERT_NO_FATAL_FAILURE(sighup());
  ASSERT_TRUE(relay_->wait_log({"SIGHUP: 4 mappings now"}, 10s));
  std::string why;
  ASSERT_TRUE(cloud_->restart(why)) << why;
  ASSERT_TRUE(app_->wait_connected(20s));
  ASSERT_EQ(app_->subscribe("#", 1), 1);  // its clean session went with the broker
  ASSERT_TRUE(relay_->wait_log({"session resumed"}, 30s)) << "the cloud did not keep the relay's session";
  EXPECT_TRUE(probe(*app_, "commands/reboot", *dev_, 20s, "from-cloud/commands/reboot"))
      << "the filter added while the cloud was down was not subscribed after the reconnect";
  EXPECT_TRUE(probe(*dev_, kHello, *app_, 10s, kHello)) << "the old routes stopped";
  expect_clean_stop();
}

}  // namespace
}  // namespace mqrelay::test
