// Every key of SPEC §3.1/§3.2: default, a valid value, wrong type, negative, out of range.
#include <functional>
#include <optional>

#include "tests/config/helpers.hpp"

namespace mqrelay::config::test {
namespace {

using ::testing::HasSubstr;

// Where a key lives in the test document.
enum class at { top, mqtt, iot, spooler };

struct int_key {
  at where;
  const char* key;
  std::uint64_t default_value;
  std::uint64_t valid;               // a non-default value inside the range
  std::optional<std::string> below;  // a non-negative value under the minimum, if any
  std::optional<std::string> above;  // a value over the maximum, if any
  std::function<std::uint64_t(const config&)> get;
};

std::string with(at where, const std::string& key, const std::string& value) {
  const std::string member = "\"" + key + "\": " + value;
  switch (where) {
    case at::top: return doc(member);
    case at::mqtt: return doc("\"mqtt\": {" + member + "}");
    case at::iot: return doc("", member);
    case at::spooler: return doc("\"spooler\": {" + member + "}");
  }
  return "";
}

std::string pointer(at where, const std::string& key) {
  switch (where) {
    case at::top: return "/" + key;
    case at::mqtt: return "/mqtt/" + key;
    case at::iot: return "/iotCore/" + key;
    case at::spooler: return "/spooler/" + key;
  }
  return "";
}

const std::vector<int_key>& int_keys() {
  static const std::vector<int_key> keys = {
      {at::top, "startupTimeoutSeconds", 120, 30, std::nullopt, "4294967296", [](const config& c) { return c.startup_timeout_s; }},
      {at::mqtt, "ackTimeoutSeconds", 60, 10, "0", "4294968", [](const config& c) { return c.local.ack_timeout_s; }},
      {at::mqtt, "connAckTimeoutMs", 20000, 5000, "0", "4294967296", [](const config& c) { return c.local.conn_ack_timeout_ms; }},
      {at::mqtt, "pingTimeoutMs", 30000, 10000, "0", "4294967296", [](const config& c) { return c.local.ping_timeout_ms; }},
      {at::mqtt, "keepAliveTimeoutSeconds", 60, 120, std::nullopt, "65536", [](const config& c) { return c.local.keep_alive_s; }},
      {at::mqtt, "minReconnectDelayMs", 1000, 500, std::nullopt, "4294967296", [](const config& c) { return c.local.min_reconnect_delay_ms; }},
      {at::mqtt, "maxReconnectDelayMs", 30000, 60000, std::nullopt, "4294967296", [](const config& c) { return c.local.max_reconnect_delay_ms; }},
      {at::mqtt, "receiveMaximum", 100, 65535, "0", "65536", [](const config& c) { return c.local.receive_maximum; }},
      {at::mqtt, "maximumPacketSize", 0, 1048576, "0", "4294967296", [](const config& c) { return c.local.maximum_packet_size; }},
      {at::mqtt, "sessionExpiryInterval", 4294967295u, 3600, std::nullopt, "4294967296", [](const config& c) { return c.local.session_expiry; }},
      {at::iot, "port", 8883, 443, "0", "65536", [](const config& c) { return c.iot_core.port; }},
      {at::iot, "minimumReconnectDelaySeconds", 1, 5, std::nullopt, "4294968", [](const config& c) { return c.iot_core.min_reconnect_delay_s; }},
      {at::iot, "maximumReconnectDelaySeconds", 120, 300, std::nullopt, "4294968", [](const config& c) { return c.iot_core.max_reconnect_delay_s; }},
      {at::iot, "maxInFlightPublishes", 100, 20, "0", "65536", [](const config& c) { return c.iot_core.max_in_flight; }},
      {at::iot, "maxMessageSizeInBytes", 131072, 65536, "0", "268435456", [](const config& c) { return c.iot_core.max_message_size; }},
      {at::iot, "connections", 1, 4, "0", "101", [](const config& c) { return c.iot_core.connections; }},
      {at::iot, "maxPublishesPerSecond", 100, 50, std::nullopt, "4294967296", [](const config& c) { return c.iot_core.max_publishes_per_second; }},
      {at::iot, "maxBytesPerSecond", 524288, 100000, std::nullopt, "4294967296", [](const config& c) { return c.iot_core.max_bytes_per_second; }},
      {at::spooler, "maxSizeInBytes", 67108864, 1048576, "1023", "281474976710657", [](const config& c) { return c.spooler_max_bytes; }},
  };
  return keys;
}

class IntKey : public ::testing::TestWithParam<std::size_t> {};

TEST_P(IntKey, DefaultValidWrongTypeNegativeOutOfRange) {
  const int_key& k = int_keys()[GetParam()];
  SCOPED_TRACE(k.key);
  const std::string ptr = kFile + ": " + pointer(k.where, k.key) + ": ";

  auto def = load(doc());
  ASSERT_TRUE(def.cfg) << joined(def.errors);
  EXPECT_EQ(k.get(*def.cfg), k.default_value);

  auto ok = load(with(k.where, k.key, std::to_string(k.valid)));
  ASSERT_TRUE(ok.cfg) << joined(ok.errors);
  EXPECT_EQ(k.get(*ok.cfg), k.valid);

  // An integer written as a float is the same integer.
  auto as_float = load(with(k.where, k.key, std::to_string(k.valid) + ".0"));
  ASSERT_TRUE(as_float.cfg) << joined(as_float.errors);
  EXPECT_EQ(k.get(*as_float.cfg), k.valid);

  for (const char* wrong : {"\"10\"", "true", "null", "[1]", "{}", "1.5"}) {
    auto r = load(with(k.where, k.key, wrong));
    EXPECT_FALSE(r.cfg) << wrong;
    ASSERT_EQ(r.errors.size(), 1u) << joined(r.errors);
    EXPECT_THAT(r.errors[0], HasSubstr(ptr + "must be an integer")) << wrong;
  }

  auto neg = load(with(k.where, k.key, "-1"));
  EXPECT_FALSE(neg.cfg);
  ASSERT_EQ(neg.errors.size(), 1u) << joined(neg.errors);
  EXPECT_THAT(neg.errors[0], HasSubstr(ptr + "must not be negative"));

  for (const auto& bad : {k.below, k.above}) {
    if (!bad) continue;
    auto r = load(with(k.where, k.key, *bad));
    EXPECT_FALSE(r.cfg) << *bad;
    ASSERT_EQ(r.errors.size(), 1u) << joined(r.errors);
    EXPECT_THAT(r.errors[0], HasSubstr(ptr + "out of range")) << *bad;
  }
}

INSTANTIATE_TEST_SUITE_P(AllIntegerKeys, IntKey, ::testing::Range<std::size_t>(0, int_keys().size()),
                         [](const auto& p) { return std::string(int_keys()[p.param].key); });

TEST(Keys, RateLimitsAreOffForOtherEndpoints) {
  auto r = load(doc("", R"("iotDataEndpoint": "127.0.0.1")"));
  // The document above has two iotDataEndpoint keys; the last one wins (with a warning).
  ASSERT_TRUE(r.cfg) << joined(r.errors);
  EXPECT_EQ(r.cfg->iot_core.endpoint, "127.0.0.1");
  EXPECT_EQ(r.cfg->iot_core.max_publishes_per_second, 0u);
  EXPECT_EQ(r.cfg->iot_core.max_bytes_per_second, 0u);
  EXPECT_THAT(joined(r.warnings), HasSubstr("/iotCore/iotDataEndpoint: duplicate key"));
}

TEST(Keys, RateLimitsDefaultOnChinaRegions) {
  auto r = load(doc("", R"("iotDataEndpoint": "x-ats.iot.cn-north-1.amazonaws.com.cn")"));
  ASSERT_TRUE(r.cfg) << joined(r.errors);
  EXPECT_EQ(r.cfg->iot_core.max_publishes_per_second, 100u);
  EXPECT_EQ(r.cfg->iot_core.max_bytes_per_second, 524288u);
}

TEST(Keys, IotKeepAliveIsClampedToIotCoreLimits) {
  struct { const char* ms; std::uint32_t s; bool warned; } cases[] = {
      {"60000", 60, false}, {"1000", 30, true}, {"0", 1200, true}, {"5000000", 1200, true}, {"30500", 31, true}};
  for (const auto& c : cases) {
    auto r = load(doc("", std::string("\"keepAliveTimeoutMs\": ") + c.ms));
    ASSERT_TRUE(r.cfg) << joined(r.errors);
    EXPECT_EQ(r.cfg->iot_core.keep_alive_s, c.s) << c.ms;
    EXPECT_EQ(joined(r.warnings).find("/iotCore/keepAliveTimeoutMs") != std::string::npos, c.warned) << c.ms;
  }
  auto neg = load(doc("", "\"keepAliveTimeoutMs\": -5"));
  EXPECT_THAT(joined(neg.errors), HasSubstr("/iotCore/keepAliveTimeoutMs: must not be negative"));
}

TEST(Keys, PingTimeoutMustBeBelowKeepAlive) {
  auto r = load(doc(R"("mqtt": {"keepAliveTimeoutSeconds": 10, "pingTimeoutMs": 10000})"));
  EXPECT_FALSE(r.cfg);
  EXPECT_THAT(joined(r.errors), HasSubstr("/mqtt/pingTimeoutMs: pingTimeoutMs (10000) must be below"));
  // The default ping timeout (30 s) against a short keep alive.
  auto r2 = load(doc(R"("mqtt": {"keepAliveTimeoutSeconds": 20})"));
  EXPECT_THAT(joined(r2.errors), HasSubstr("/mqtt/keepAliveTimeoutSeconds: pingTimeoutMs (30000) must be below"));
  // keep alive 0 turns keep alive off: no constraint.
  auto r3 = load(doc(R"("mqtt": {"keepAliveTimeoutSeconds": 0, "pingTimeoutMs": 90000})"));
  ASSERT_TRUE(r3.cfg) << joined(r3.errors);
  EXPECT_EQ(r3.cfg->local.keep_alive_s, 0u);
}

TEST(Keys, ReconnectDelayMaxNotBelowMin) {
  auto r = load(doc(R"("mqtt": {"minReconnectDelayMs": 5000, "maxReconnectDelayMs": 4000})"));
  EXPECT_THAT(joined(r.errors), HasSubstr("/mqtt/maxReconnectDelayMs: maxReconnectDelayMs (4000) must not be below"));
  auto r2 = load(doc("", R"("minimumReconnectDelaySeconds": 200)"));  // above the default maximum of 120
  EXPECT_THAT(joined(r2.errors), HasSubstr("/iotCore/minimumReconnectDelaySeconds: maximumReconnectDelaySeconds (120)"));
}

TEST(Keys, MqttVersionAnyCase) {
  for (const char* v : {"mqtt5", "MQTT5", "Mqtt5"}) {
    auto r = load(doc(std::string(R"("mqtt": {"version": ")") + v + "\"}"));
    ASSERT_TRUE(r.cfg) << joined(r.errors);
    EXPECT_EQ(r.cfg->local.version, codec::protocol_version::v5);
  }
  auto d = load(doc());
  ASSERT_TRUE(d.cfg);
  EXPECT_EQ(d.cfg->local.version, codec::protocol_version::v311);
  EXPECT_EQ(d.cfg->iot_core.version, codec::protocol_version::v311);
  auto bad = load(doc(R"("mqtt": {"version": "mqtt4"})"));
  EXPECT_THAT(joined(bad.errors), HasSubstr("/mqtt/version: must be \"mqtt3\" or \"mqtt5\", not \"mqtt4\""));
  auto iot = load(doc("", R"("version": "MQTT5")"));
  ASSERT_TRUE(iot.cfg);
  EXPECT_EQ(iot.cfg->iot_core.version, codec::protocol_version::v5);
  auto wrong = load(doc(R"("mqtt": {"version": 5})"));
  EXPECT_THAT(joined(wrong.errors), HasSubstr("/mqtt/version: must be a string, not an integer"));
}

TEST(Keys, BrokerUri) {
  struct { const char* uri; bool tls; const char* host; int port; } ok[] = {
      {"ssl://localhost:8883", true, "localhost", 8883}, {"mqtt://broker", false, "broker", 1883},
      {"tcp://10.0.0.2:1884", false, "10.0.0.2", 1884}, {"SSL://h", true, "h", 8883},
      {"mqtt://[::1]:1900/", false, "::1", 1900}};
  for (const auto& c : ok) {
    auto r = load(doc().replace(doc().find("mqtt://localhost:1883"), 21, c.uri), mode::check);  // TLS: no CA needed to check
    ASSERT_TRUE(r.cfg) << c.uri << joined(r.errors);
    EXPECT_EQ(r.cfg->local.tls, c.tls);
    EXPECT_EQ(r.cfg->local.host, c.host);
    EXPECT_EQ(r.cfg->local.port, c.port);
    EXPECT_EQ(r.cfg->local.uri, c.uri);
  }
  for (const char* bad : {"localhost:1883", "http://x", "mqtt://", "mqtt://h:0", "mqtt://h:65536", "mqtt://h:x",
                          "mqtt://u:p@h", "mqtt://h/path", "mqtt://h h"}) {
    auto r = load(doc().replace(doc().find("mqtt://localhost:1883"), 21, bad));
    EXPECT_FALSE(r.cfg) << bad;
    EXPECT_THAT(joined(r.errors), HasSubstr(kFile + ": /brokerUri: invalid broker URI")) << bad;
  }
}

TEST(Keys, BrokerUriDefaultAndAlias) {
  auto r = load(R"({"brokerServerUri": "tcp://alias:1999", "localBroker": {}})");
  ASSERT_TRUE(r.cfg) << joined(r.errors);
  EXPECT_EQ(r.cfg->local.host, "alias");
  EXPECT_EQ(r.cfg->local.port, 1999);
  EXPECT_FALSE(r.cfg->local.tls);
  EXPECT_THAT(joined(r.warnings), HasSubstr("/brokerServerUri: deprecated"));

  auto both = load(R"({"brokerUri": "mqtt://a", "brokerServerUri": "mqtt://b"})");
  ASSERT_TRUE(both.cfg) << joined(both.errors);
  EXPECT_EQ(both.cfg->local.host, "a");
  EXPECT_THAT(joined(both.warnings), HasSubstr("/brokerServerUri: ignored"));

  // The default is TLS to localhost:8883, which needs the broker's CA to run.
  auto def = load(R"({"localBroker": {"rootCaPath": "/c/ca.pem"}})");
  ASSERT_TRUE(def.cfg) << joined(def.errors);
  EXPECT_TRUE(def.cfg->local.tls);
  EXPECT_EQ(def.cfg->local.host, "localhost");
  EXPECT_EQ(def.cfg->local.port, 8883);
  auto no_ca = load("{}");
  EXPECT_THAT(joined(no_ca.errors), HasSubstr("/localBroker/rootCaPath: missing"));
}

TEST(Keys, LocalBrokerSection) {
  auto r = load(R"({"brokerUri": "ssl://b:8883", "localBroker": {"rootCaPath": "ca.pem", "certificateFilePath": "/x/c.pem",
               "privateKeyPath": "/x/k.pem", "username": "u", "password": "p"}})");
  ASSERT_TRUE(r.cfg) << joined(r.errors);
  EXPECT_EQ(r.cfg->local.root_ca_path, "/tmp/mqrelay-config-test/ca.pem");  // relative to the file
  EXPECT_EQ(r.cfg->local.certificate_file_path, "/x/c.pem");
  EXPECT_EQ(r.cfg->local.username, "u");
  EXPECT_EQ(r.cfg->local.password, "p");

  auto half = load(R"({"brokerUri": "ssl://b", "localBroker": {"rootCaPath": "/ca", "certificateFilePath": "/c"}})");
  EXPECT_THAT(joined(half.errors), HasSubstr("/localBroker/privateKeyPath: a client certificate needs both"));
  auto pw = load(R"({"brokerUri": "mqtt://b", "localBroker": {"password": "p"}})");
  EXPECT_THAT(joined(pw.errors), HasSubstr("/localBroker/password: MQTT 3.1.1 sends a password only with a username"));
  auto pw5 = load(R"({"brokerUri": "mqtt://b", "mqtt": {"version": "mqtt5"}, "localBroker": {"password": "p"}})");
  EXPECT_TRUE(pw5.cfg) << joined(pw5.errors);
  auto type = load(R"({"brokerUri": "mqtt://b", "localBroker": {"username": 7}})");
  EXPECT_THAT(joined(type.errors), HasSubstr("/localBroker/username: must be a string, not an integer"));
  auto plain = load(R"({"brokerUri": "mqtt://b", "localBroker": {"rootCaPath": "/ca"}})");
  EXPECT_THAT(joined(plain.warnings), HasSubstr("/localBroker: certificates are ignored"));
}

TEST(Keys, IotCoreStringsAndRequiredKeys) {
  auto r = load(doc());
  ASSERT_TRUE(r.cfg) << joined(r.errors);
  const auto& ic = r.cfg->iot_core;
  EXPECT_TRUE(ic.present);
  EXPECT_EQ(ic.endpoint, "example-ats.iot.eu-west-1.amazonaws.com");
  EXPECT_EQ(ic.thing_name, "gw1");
  EXPECT_EQ(ic.certificate_file_path, "/c/cert.pem");
  EXPECT_EQ(ic.private_key_path, "/c/key.pem");
  EXPECT_EQ(ic.root_ca_path, "/c/ca.pem");

  const std::vector<std::pair<std::string, std::string>> required = {
      {"iotDataEndpoint", "\"h.example\""}, {"thingName", "\"gw\""}, {"certificateFilePath", "\"/c\""},
      {"privateKeyPath", "\"/k\""}, {"rootCaPath", "\"/ca\""}};
  for (const auto& [key, value] : required) {
    std::string iot;
    for (const auto& [k, v] : required)
      if (k != key) iot += (iot.empty() ? "" : ", ") + ("\"" + k + "\": " + v);
    const std::string d = R"({"brokerUri": "mqtt://h", "mqttTopicMapping": {"U": {"topic": "a", "source": "LocalMqtt",
        "target": "IotCore"}}, "iotCore": {)" + iot + "}}";
    auto run = load(d, mode::run);
    EXPECT_THAT(joined(run.errors), HasSubstr(std::string("/iotCore/") + key + ": missing required key")) << d;
    auto check = load(d, mode::check);
    EXPECT_TRUE(check.errors.empty()) << joined(check.errors);
    EXPECT_THAT(joined(check.warnings), HasSubstr(std::string("/iotCore/") + key + ": missing required key"));
  }
}

TEST(Keys, ThingName) {
  EXPECT_THAT(joined(load(doc("", R"("thingName": "$gw")")).errors), HasSubstr("/iotCore/thingName: must not start with '$'"));
  EXPECT_THAT(joined(load(doc("", R"("thingName": "")")).errors), HasSubstr("/iotCore/thingName: must not be empty"));
  const std::string n128(128, 't');
  EXPECT_TRUE(load(doc("", "\"thingName\": \"" + n128 + "\"")).cfg);
  EXPECT_THAT(joined(load(doc("", "\"thingName\": \"" + n128 + "t\"")).errors), HasSubstr("128-byte"));
  // With a pool, "#N" must fit too.
  EXPECT_THAT(joined(load(doc("", "\"thingName\": \"" + n128 + "\", \"connections\": 2")).errors), HasSubstr("#N"));
}

TEST(Keys, IotDataEndpointIsAHostName) {
  for (const char* bad : {"https://x.amazonaws.com", "x.amazonaws.com:8883", "", "a b"}) {
    auto r = load(doc("", std::string("\"iotDataEndpoint\": \"") + bad + "\""));
    EXPECT_THAT(joined(r.errors), HasSubstr("/iotCore/iotDataEndpoint: must be a host name")) << bad;
  }
}

TEST(Keys, IotCoreRequiredOnlyWhenUsed) {
  const std::string local_only = R"({"brokerUri": "mqtt://h", "mqttTopicMapping": {"L": {"topic": "a", "source": "LocalMqtt",
      "target": "LocalMqtt", "targetTopicPrefix": "copy/"}}})";
  auto r = load(local_only);
  ASSERT_TRUE(r.cfg) << joined(r.errors);
  EXPECT_FALSE(r.cfg->iot_core.present);
  const std::string uses_iot = R"({"brokerUri": "mqtt://h", "mqttTopicMapping": {"U": {"topic": "a", "source": "LocalMqtt", "target": "IotCore"}}})";
  EXPECT_THAT(joined(load(uses_iot, mode::run).errors), HasSubstr(kFile + ": /iotCore: missing"));
  auto check = load(uses_iot, mode::check);
  ASSERT_TRUE(check.cfg) << joined(check.errors);
  EXPECT_THAT(joined(check.warnings), HasSubstr("/iotCore: missing"));
}

TEST(Keys, ClientId) {
  auto r = load(doc(R"("clientId": "my-relay")"));
  ASSERT_TRUE(r.cfg);
  EXPECT_EQ(r.cfg->local.client_id, "my-relay");
  EXPECT_THAT(joined(load(doc(R"("clientId": "")")).errors), HasSubstr("/clientId: must not be empty"));
  EXPECT_THAT(joined(load(doc(R"("clientId": 12)")).errors), HasSubstr("/clientId: must be a string"));
  auto def = load(doc());
  ASSERT_TRUE(def.cfg);
  EXPECT_EQ(def.cfg->local.client_id, default_client_id(read_machine_id(), kFile));
}

TEST(Keys, SpoolerMetricsLog) {
  auto r = load(doc(R"("spooler": {"keepQos0WhenOffline": true}, "metrics": {"listen": "127.0.0.1:9100"}, "log": {"level": "DEBUG"})"));
  ASSERT_TRUE(r.cfg) << joined(r.errors);
  EXPECT_TRUE(r.cfg->keep_qos0_when_offline);
  EXPECT_EQ(r.cfg->metrics_listen, "127.0.0.1:9100");
  EXPECT_EQ(r.cfg->log, log_level::debug);
  auto d = load(doc());
  ASSERT_TRUE(d.cfg);
  EXPECT_FALSE(d.cfg->keep_qos0_when_offline);
  EXPECT_EQ(d.cfg->metrics_listen, "");
  EXPECT_EQ(d.cfg->log, log_level::info);
  EXPECT_THAT(joined(load(doc(R"("spooler": {"keepQos0WhenOffline": "yes"})")).errors),
              HasSubstr("/spooler/keepQos0WhenOffline: must be true or false, not a string"));
  for (const char* bad : {"9100", "host:", ":9100", "h:0", "h:70000", "h:12a"})
    EXPECT_THAT(joined(load(doc(std::string(R"("metrics": {"listen": ")") + bad + "\"}")).errors),
                HasSubstr("/metrics/listen: must be host:port")) << bad;
  EXPECT_TRUE(load(doc(R"("metrics": {"listen": "[::1]:9100"})")).cfg);
  EXPECT_THAT(joined(load(doc(R"("log": {"level": "verbose"})")).errors), HasSubstr("/log/level: must be error, warn, info or debug"));
  EXPECT_THAT(joined(load(doc(R"("log": "debug")")).errors), HasSubstr("/log: must be an object, not a string"));
}

}  // namespace
}  // namespace mqrelay::config::test

namespace mqrelay::config::test {
namespace {

TEST(Keys, UnusedIotCoreSectionOnlyWarns) {
  auto r = load(R"({"brokerUri": "mqtt://h", "iotCore": {"thingName": "t"}, "mqttTopicMapping": {"L": {"topic": "a",
      "source": "LocalMqtt", "target": "LocalMqtt", "targetTopicPrefix": "b/"}}})");
  ASSERT_TRUE(r.cfg) << joined(r.errors);
  EXPECT_THAT(joined(r.warnings), HasSubstr("/iotCore/iotDataEndpoint: missing required key (the section is unused"));
}

}  // namespace
}  // namespace mqrelay::config::test
