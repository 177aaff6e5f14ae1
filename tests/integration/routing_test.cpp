// What a user of the relay relies on for routing (SPEC §4.1–4.4): the seed's three mappings both
// ways, targetTopicPrefix, wildcards, overlapping mappings published once, QoS 0 in -> QoS 1 out,
// MQTT 5 user properties end to end, and `--check` on the configuration the harness writes.
#include "tests/integration/fixture.hpp"
#include "tests/support/process.hpp"

namespace mqrelay::test {
namespace {

// The three mappings of the Greengrass documentation (examples/hello-world-standalone.json).
TEST_F(RelayTest, SeedMappingsBothWays) {
  start_brokers();
  start_relay(base_config());
  auto dev = device();
  auto app = cloud_app();
  ASSERT_NO_FATAL_FAILURE(subscribe_all_and_expect_routes_up(*dev, *app));

  ASSERT_TRUE(dev->publish("clients/dev1/hello/world", "hello", 1));
  ASSERT_TRUE(dev->publish("clients/dev1/hello/world/event", "event", 1));
  ASSERT_TRUE(dev->publish("clients/dev1/not/mapped", "nope", 1));
  ASSERT_TRUE(app->publish("clients/dev1/hello/world/event/response", "response", 1));
  ASSERT_TRUE(app->publish("clients/dev1/hello/world/event", "not back", 1));  // IotCore->Local only for .../response

  EXPECT_TRUE(app->wait_for([](auto& in) { return real(in, "clients/dev1/hello/world").size() == 1 &&
                                                  real(in, "clients/dev1/hello/world/event").size() >= 2; },
                            10s))
      << "device -> cloud: hello/world and hello/world/event";
  EXPECT_TRUE(dev->wait_for([](auto& in) { return real(in, "clients/dev1/hello/world/event/response").size() == 1; }, 10s))
      << "cloud -> device: hello/world/event/response";
  std::this_thread::sleep_for(500ms);  // time for anything wrongly relayed to show up
  const auto at_cloud = app->messages();
  EXPECT_EQ(real(at_cloud, "clients/dev1/hello/world")[0].payload, "hello");
  EXPECT_TRUE(real(at_cloud, "clients/dev1/not/mapped").empty()) << "an unmapped topic was relayed";
  // At the cloud, .../event comes from the device ("event") and from the app itself ("not back").
  EXPECT_EQ(real(at_cloud, "clients/dev1/hello/world/event").size(), 2u);
  const auto at_device = dev->messages();
  EXPECT_EQ(real(at_device, "clients/dev1/hello/world/event/response")[0].payload, "response");
  // The device sees its own "event" publish once; "not back" must not come down from the cloud.
  for (const auto& m : real(at_device, "clients/dev1/hello/world/event")) EXPECT_NE(m.payload, "not back");
  expect_clean_stop();
}

TEST_F(RelayTest, TargetTopicPrefix) {
  start_brokers();
  auto cfg = base_config();
  cfg.mappings = {{"Up", "sensors/#", "LocalMqtt", "IotCore", "gw1/"},
                  {"Down", "cmd/#", "IotCore", "LocalMqtt", "from-cloud/"}};
  start_relay(cfg);
  auto dev = device();
  auto app = cloud_app();
  ASSERT_EQ(dev->subscribe("from-cloud/#", 1), 1);
  ASSERT_EQ(app->subscribe("gw1/#", 1), 1);
  ASSERT_TRUE(probe(*dev, "sensors/probe", *app)) << "nothing relayed LocalMqtt -> IotCore";
  ASSERT_TRUE(probe(*app, "cmd/probe", *dev)) << "nothing relayed IotCore -> LocalMqtt";
  ASSERT_TRUE(dev->publish("sensors/room1/temp", "21.5", 1));
  ASSERT_TRUE(app->publish("cmd/reboot", "now", 1));
  EXPECT_TRUE(app->wait_for([](auto& in) { return !real(in, "gw1/sensors/room1/temp").empty(); }, 10s))
      << "expected gw1/sensors/room1/temp at the cloud";
  EXPECT_TRUE(dev->wait_for([](auto& in) { return !real(in, "from-cloud/cmd/reboot").empty(); }, 10s))
      << "expected from-cloud/cmd/reboot at the local broker";
  EXPECT_EQ(real(app->messages(), "gw1/sensors/room1/temp").at(0).payload, "21.5");
  expect_clean_stop();
}

TEST_F(RelayTest, Wildcards) {
  start_brokers();
  auto cfg = base_config();
  cfg.mappings = {{"Plus", "a/+/c", "LocalMqtt", "IotCore", ""}, {"Hash", "b/#", "LocalMqtt", "IotCore", ""}};
  start_relay(cfg);
  auto dev = device();
  auto app = cloud_app();
  ASSERT_EQ(app->subscribe("#", 1), 1);
  ASSERT_TRUE(probe(*dev, "b/probe", *app));
  ASSERT_TRUE(probe(*dev, "a/probe/c", *app));
  const std::vector<std::string> relayed = {"a/x/c", "a//c", "b", "b/1", "b/1/2/3"};
  const std::vector<std::string> not_relayed = {"a/x/y/c", "a/x", "a/x/c/d", "bb/1", "c/b"};
  for (const auto& t : not_relayed) ASSERT_TRUE(dev->publish(t, "no", 1));
  for (const auto& t : relayed) ASSERT_TRUE(dev->publish(t, "yes", 1));
  EXPECT_TRUE(app->wait_for([&](auto& in) { return real(in).size() >= relayed.size(); }, 10s));
  std::this_thread::sleep_for(500ms);
  std::multiset<std::string> got;
  for (const auto& m : real(app->messages())) got.insert(m.topic);
  EXPECT_EQ(got, std::multiset<std::string>(relayed.begin(), relayed.end()));
  expect_clean_stop();
}

// SPEC §4.2: several mappings giving the same target and target topic publish once.
TEST_F(RelayTest, OverlappingMappingsPublishOnce) {
  start_brokers();
  auto cfg = base_config();
  cfg.mappings = {{"All", "o/#", "LocalMqtt", "IotCore", ""},
                  {"Plus", "o/+/x", "LocalMqtt", "IotCore", ""},
                  {"Exact", "o/1/x", "LocalMqtt", "IotCore", ""},
                  {"Prefixed", "o/1/x", "LocalMqtt", "IotCore", "p/"}};
  start_relay(cfg);
  auto dev = device();
  auto app = cloud_app();
  ASSERT_EQ(app->subscribe("#", 1), 1);
  ASSERT_TRUE(probe(*dev, "o/probe", *app));
  constexpr int n = 20;
  for (int i = 0; i < n; ++i) ASSERT_TRUE(dev->publish("o/1/x", std::to_string(i), 1));
  EXPECT_TRUE(app->wait_for([&](auto& in) { return real(in, "o/1/x").size() >= n && real(in, "p/o/1/x").size() >= n; }, 10s));
  std::this_thread::sleep_for(1s);
  const auto plain = real(app->messages(), "o/1/x");
  const auto prefixed = real(app->messages(), "p/o/1/x");
  EXPECT_EQ(plain.size(), static_cast<std::size_t>(n)) << "o/1/x is matched by 3 mappings with the same target topic";
  EXPECT_EQ(prefixed.size(), static_cast<std::size_t>(n)) << "the prefixed mapping is a different target topic";
  // Order of one topic is kept (SPEC §4.3).
  for (std::size_t i = 0; i < plain.size(); ++i) EXPECT_EQ(plain[i].payload, std::to_string(i));
  expect_clean_stop();
}

// SPEC §4.3: QoS 1 on every side, as Greengrass does.
TEST_F(RelayTest, Qos0PublishArrivesAsQos1) {
  start_brokers();
  start_relay(base_config());
  auto dev = device();
  auto app = cloud_app();
  ASSERT_NO_FATAL_FAILURE(subscribe_all_and_expect_routes_up(*dev, *app));
  ASSERT_TRUE(dev->publish("clients/dev1/hello/world/event", "qos0", 0));
  ASSERT_TRUE(app->wait_for([](auto& in) { return !real(in, "clients/dev1/hello/world/event").empty(); }, 10s));
  EXPECT_EQ(real(app->messages(), "clients/dev1/hello/world/event")[0].qos, 1)
      << "a subscriber at QoS 1 must see the relay's QoS 1 publish";
  ASSERT_TRUE(app->publish("clients/dev1/hello/world/event/response", "down-qos0", 0));
  ASSERT_TRUE(dev->wait_for([](auto& in) { return !real(in, "clients/dev1/hello/world/event/response").empty(); }, 10s));
  EXPECT_EQ(real(dev->messages(), "clients/dev1/hello/world/event/response")[0].qos, 1);
  expect_clean_stop();
}

// SPEC §4.4: between two MQTT 5 endpoints user properties travel with the message.
TEST_F(RelayTest, Mqtt5UserPropertiesBothWays) {
  start_brokers();
  auto cfg = base_config();
  cfg.local_version = "mqtt5";
  cfg.cloud_version = "mqtt5";
  start_relay(cfg);
  auto dev = device("device5", 5);
  auto app = cloud_app("cloud-app5", 5);
  ASSERT_NO_FATAL_FAILURE(subscribe_all_and_expect_routes_up(*dev, *app));
  const user_properties up = {{"device", "dev1"}, {"k", "v1"}, {"k", "v2"}, {"unicode", "\xc3\xa9t\xc3\xa9"}};
  const user_properties down = {{"request-id", "42"}, {"empty", ""}};
  ASSERT_TRUE(dev->publish("clients/dev1/hello/world/event", "up", 1, false, up));
  ASSERT_TRUE(app->publish("clients/dev1/hello/world/event/response", "down", 1, false, down));
  ASSERT_TRUE(app->wait_for([](auto& in) { return !real(in, "clients/dev1/hello/world/event").empty(); }, 10s));
  ASSERT_TRUE(dev->wait_for([](auto& in) { return !real(in, "clients/dev1/hello/world/event/response").empty(); }, 10s));
  EXPECT_EQ(real(app->messages(), "clients/dev1/hello/world/event")[0].props, up);
  EXPECT_EQ(real(dev->messages(), "clients/dev1/hello/world/event/response")[0].props, down);
  expect_clean_stop();
}

// SPEC §4.8: a message over iotCore.maxMessageSizeInBytes is not relayed, and it is acknowledged
// so it cannot block the stream behind it.
TEST_F(RelayTest, TooLargeForIotCoreSkippedStreamContinues) {
  start_brokers();
  auto cfg = base_config();
  cfg.extra_iot_core = "\"maxMessageSizeInBytes\": 1024";
  start_relay(cfg);
  auto dev = device();
  auto app = cloud_app();
  ASSERT_EQ(app->subscribe("#", 1), 1);
  ASSERT_TRUE(probe(*dev, "clients/dev1/hello/world/event", *app));
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(dev->publish("clients/dev1/hello/world/event", "big-" + std::string(4000, 'b'), 1));
    ASSERT_TRUE(dev->publish("clients/dev1/hello/world/event", "small-" + std::to_string(i), 1));
  }
  EXPECT_TRUE(app->wait_for([](auto& in) { return real(in, "clients/dev1/hello/world/event").size() >= 5; }, 15s))
      << "the small messages behind the too-large ones did not all arrive";
  std::this_thread::sleep_for(500ms);
  const auto got = real(app->messages(), "clients/dev1/hello/world/event");
  EXPECT_EQ(got.size(), 5u);
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i].payload, "small-" + std::to_string(i));
  EXPECT_TRUE(relay_->running());
  expect_clean_stop();
}

// The harness's configuration passes the relay's own check (SPEC §2 --check output).
TEST(RelayCli, CheckPrintsTheSeedRoutes) {
  std::string why;
  if (!relay::binary_available(why)) GTEST_FAIL() << why;
  relay_config cfg;
  cfg.local_uri = "mqtt://127.0.0.1:1883";
  cfg.cloud_port = 8883;
  relay r(cfg);
  temp_dir d;
  process p({MQRELAY_BIN, "--config", r.config_path(), "--check"}, d.file("check.log"));
  ASSERT_EQ(p.wait_exit(10s), 0) << p.log();
  const std::string out = p.log();
  EXPECT_NE(out.find("HelloWorldIotCore: LocalMqtt clients/+/hello/world -> IotCore"), std::string::npos) << out;
  EXPECT_NE(out.find("HelloWorldEvent: LocalMqtt clients/+/hello/world/event -> IotCore"), std::string::npos) << out;
  EXPECT_NE(out.find("HelloWorldEventConfirmation: IotCore clients/+/hello/world/event/response -> LocalMqtt"),
            std::string::npos)
      << out;
  EXPECT_EQ(out.find("warning"), std::string::npos) << "the harness config should be warning-free:\n" << out;
}

}  // namespace
}  // namespace mqrelay::test
