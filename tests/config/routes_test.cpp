// Route lines, relay-loop warnings (SPEC §4.9), default client ID, key-file permissions.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <set>

#include "config/internal.hpp"
#include "tests/config/helpers.hpp"

namespace mqrelay::config::test {
namespace {

using ::testing::HasSubstr;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::SizeIs;

TEST(RouteLine, Format) {
  mapping m{"HelloWorldIotCore", "clients/+/hello/world", endpoint::local_mqtt, endpoint::iot_core, "", false, false};
  EXPECT_EQ(route_line(m), "HelloWorldIotCore: LocalMqtt clients/+/hello/world -> IotCore");
  m.target_topic_prefix = "from/gw/";
  EXPECT_EQ(route_line(m), "HelloWorldIotCore: LocalMqtt clients/+/hello/world -> IotCore prefix=from/gw/");
  EXPECT_STREQ(endpoint_name(endpoint::pubsub), "Pubsub");
}

std::vector<std::string> loops(const std::string& mappings, const std::string& extra = "") {
  auto r = load(R"({"brokerUri": "mqtt://h", "iotCore": {"iotDataEndpoint": "h", "thingName": "t", "certificateFilePath": "c",
      "privateKeyPath": "k", "rootCaPath": "r")" + extra + R"(}, "mqttTopicMapping": {)" + mappings + "}}");
  EXPECT_TRUE(r.cfg) << joined(r.errors);
  if (!r.cfg) return {};
  // load_* already include the loop warnings; loop_warnings() alone must say the same.
  auto lw = loop_warnings(*r.cfg);
  std::size_t in_load = 0;
  for (const auto& w : r.warnings) in_load += w.find("possible relay loop") != std::string::npos;
  EXPECT_EQ(in_load, lw.size());
  return lw;
}

TEST(Loops, SameFilterBothWaysWarnsOnce) {
  auto w = loops(R"("Up": {"topic": "a/#", "source": "LocalMqtt", "target": "IotCore"},
                    "Down": {"topic": "a/#", "source": "IotCore", "target": "LocalMqtt"})");
  ASSERT_THAT(w, SizeIs(1));
  EXPECT_THAT(w[0], HasSubstr(kFile + ": possible relay loop: "));
  EXPECT_THAT(w[0], HasSubstr("\"Up\" (LocalMqtt a/# -> IotCore)"));
  EXPECT_THAT(w[0], HasSubstr("\"Down\" (IotCore a/# -> LocalMqtt)"));
}

TEST(Loops, NoWarningWhenTopicsCannotMeet) {
  EXPECT_THAT(loops(R"("Up": {"topic": "dev/+/up", "source": "LocalMqtt", "target": "IotCore"},
                       "Down": {"topic": "dev/+/down", "source": "IotCore", "target": "LocalMqtt"})"), IsEmpty());
  // A prefix moves the relayed copies out of the other mapping's filter.
  EXPECT_THAT(loops(R"("Up": {"topic": "a/#", "source": "LocalMqtt", "target": "IotCore", "targetTopicPrefix": "gw/"},
                       "Down": {"topic": "a/#", "source": "IotCore", "target": "LocalMqtt", "targetTopicPrefix": "cloud/"})"),
              IsEmpty());
  // With a prefix on one side only, what comes down from IotCore goes back up once (under gw/).
  EXPECT_THAT(loops(R"("Up": {"topic": "a/#", "source": "LocalMqtt", "target": "IotCore", "targetTopicPrefix": "gw/"},
                       "Down": {"topic": "a/#", "source": "IotCore", "target": "LocalMqtt"})"),
              ElementsAre(HasSubstr("sends back to IotCore what mapping \"Down\"")));
  // Two mappings in the same direction are no loop.
  EXPECT_THAT(loops(R"("A": {"topic": "#", "source": "LocalMqtt", "target": "IotCore"},
                       "B": {"topic": "#", "source": "LocalMqtt", "target": "IotCore"})"), IsEmpty());
  // '#' does not match $-topics (MQTT §4.7.2): IoT Core's $aws/… coming down is not sent back up.
  EXPECT_THAT(loops(R"("Up": {"topic": "#", "source": "LocalMqtt", "target": "IotCore"},
                       "Shadow": {"topic": "$aws/things/gw/shadow/#", "source": "IotCore", "target": "LocalMqtt"})"), IsEmpty());
  // The Greengrass hello-world mappings.
  EXPECT_THAT(loops(R"("HelloWorldIotCore": {"topic": "clients/+/hello/world", "source": "LocalMqtt", "target": "IotCore"},
                       "HelloWorldEventConfirmation": {"topic": "clients/+/hello/world/event/response", "source": "IotCore", "target": "LocalMqtt"})"),
              IsEmpty());
}

TEST(Loops, PrefixIntoTheOtherFilterStillLoops) {
  auto w = loops(R"("Up": {"topic": "a/#", "source": "LocalMqtt", "target": "IotCore", "targetTopicPrefix": "gw/"},
                    "Down": {"topic": "gw/a/+", "source": "IotCore", "target": "LocalMqtt"})");
  EXPECT_THAT(w, SizeIs(1));
  // A prefix glued onto a wildcard level is widened: warned (conservatively).
  EXPECT_THAT(loops(R"("Up": {"topic": "+/x", "source": "LocalMqtt", "target": "IotCore", "targetTopicPrefix": "gw"},
                       "Down": {"topic": "gwfoo/x", "source": "IotCore", "target": "LocalMqtt"})"), SizeIs(1));
  // $share groups are stripped before comparing.
  EXPECT_THAT(loops(R"("Up": {"topic": "$share/g/a/#", "source": "LocalMqtt", "target": "IotCore"},
                       "Down": {"topic": "a/b", "source": "IotCore", "target": "LocalMqtt"})"), SizeIs(1));
}

TEST(Loops, SelfFeedingMapping) {
  EXPECT_THAT(loops(R"("Echo": {"topic": "#", "source": "LocalMqtt", "target": "LocalMqtt", "targetTopicPrefix": "copy/"})"),
              ElementsAre(HasSubstr("receives what it publishes itself")));
  EXPECT_THAT(loops(R"("Echo": {"topic": "in/#", "source": "LocalMqtt", "target": "LocalMqtt", "targetTopicPrefix": "copy/"})"),
              IsEmpty());
}

TEST(Loops, NoLocalOnAnMqtt5SourceBreaksTheLoop) {
  const std::string maps = R"("Up": {"topic": "a/#", "source": "LocalMqtt", "target": "IotCore"},
                              "Down": {"topic": "a/#", "source": "IotCore", "target": "LocalMqtt"})";
  const std::string opts = R"(}, "mqtt5RouteOptions": {"Up": {"noLocal": true}, "Down": {"noLocal": true})";
  // noLocal needs MQTT 5 on both sources (IotCore via iotCore.version).
  EXPECT_THAT(loops(maps + opts), SizeIs(1));
  auto r = load(R"({"brokerUri": "mqtt://h", "mqtt": {"version": "mqtt5"}, "iotCore": {"iotDataEndpoint": "h", "thingName": "t",
      "certificateFilePath": "c", "privateKeyPath": "k", "rootCaPath": "r", "version": "mqtt5"}, "mqttTopicMapping": {)" +
                maps + opts + "}}");
  ASSERT_TRUE(r.cfg) << joined(r.errors);
  EXPECT_THAT(loop_warnings(*r.cfg), IsEmpty());
  // With a connection pool, noLocal on IotCore cannot be relied upon.
  auto pool = *r.cfg;
  pool.iot_core.connections = 2;
  EXPECT_THAT(loop_warnings(pool), SizeIs(1));
}

TEST(ClientId, StableAndShapedLikeGreengrass) {
  const std::string a = default_client_id("3d1219c7c4c5404aaa1f6d2a48adfda4", "/etc/mqrelay/bridge.json");
  EXPECT_EQ(a, default_client_id("3d1219c7c4c5404aaa1f6d2a48adfda4", "/etc/mqrelay/bridge.json"));
  ASSERT_EQ(a.size(), 23u);
  EXPECT_EQ(a.substr(0, 12), "mqtt-bridge-");
  for (char c : a.substr(12)) EXPECT_TRUE((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z')) << a;
  // Pinned: a persistent session must find itself again after an upgrade.
  EXPECT_EQ(a, "mqtt-bridge-" + a.substr(12));
  EXPECT_NE(a, default_client_id("3d1219c7c4c5404aaa1f6d2a48adfda5", "/etc/mqrelay/bridge.json"));
  EXPECT_NE(a, default_client_id("3d1219c7c4c5404aaa1f6d2a48adfda4", "/etc/mqrelay/other.json"));
  std::set<std::string> ids;
  for (int i = 0; i < 1000; ++i) ids.insert(default_client_id("m", "/etc/" + std::to_string(i)));
  EXPECT_EQ(ids.size(), 1000u);
  // The file path enters as an absolute path: "x.json" from the working directory is the same file.
  auto rel = load_string(R"({"brokerUri": "mqtt://h"})", "x.json", mode::run);
  char cwd[4096];
  ASSERT_NE(::getcwd(cwd, sizeof cwd), nullptr);
  ASSERT_TRUE(rel.cfg);
  EXPECT_EQ(rel.cfg->path, std::string(cwd) + "/x.json");
  EXPECT_EQ(rel.cfg->local.client_id, default_client_id(read_machine_id(), std::string(cwd) + "/x.json"));
  EXPECT_FALSE(read_machine_id().empty());
}

TEST(ClientId, PinnedValue) {
  // If this changes, every deployed relay loses its persistent session: don't.
  EXPECT_EQ(default_client_id("0123456789abcdef0123456789abcdef", "/etc/mqrelay/config.json"), "mqtt-bridge-7mw56c5v9k4");
}

class KeyFile : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/mqrelay-keytest-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    std::ofstream(dir_ + "/key.pem") << "not really a key\n";
    std::ofstream(dir_ + "/cert.pem") << "cert\n";
  }
  void TearDown() override {
    ::unlink((dir_ + "/key.pem").c_str());
    ::unlink((dir_ + "/cert.pem").c_str());
    ::rmdir(dir_.c_str());
  }
  load_result load_with_key(mode m) {
    return load_string(R"({"brokerUri": "mqtt://h", "mqttTopicMapping": {"U": {"topic": "a", "source": "LocalMqtt", "target": "IotCore"}},
        "iotCore": {"iotDataEndpoint": "h", "thingName": "t", "certificateFilePath": "cert.pem", "privateKeyPath": "key.pem",
        "rootCaPath": "missing-ca.pem"}})",
                       dir_ + "/bridge.json", m);
  }
  std::string dir_;
};

TEST_F(KeyFile, ReadableByOthersIsWarned) {
  ASSERT_EQ(::chmod((dir_ + "/key.pem").c_str(), 0644), 0);
  auto r = load_with_key(mode::run);
  ASSERT_TRUE(r.cfg) << joined(r.errors);
  EXPECT_EQ(r.cfg->iot_core.private_key_path, dir_ + "/key.pem");  // relative to the file
  EXPECT_THAT(joined(r.warnings), HasSubstr("/iotCore/privateKeyPath: the private key \"" + dir_ + "/key.pem\" is readable by group/others (mode 0644)"));
  // Run mode leaves unreadable files to the engine (exit 1); check mode says so now.
  EXPECT_THAT(joined(r.warnings), ::testing::Not(HasSubstr("missing-ca.pem")));
  EXPECT_THAT(joined(load_with_key(mode::check).warnings), HasSubstr("/iotCore/rootCaPath: cannot read"));
}

TEST_F(KeyFile, PrivateKeyIsQuiet) {
  ASSERT_EQ(::chmod((dir_ + "/key.pem").c_str(), 0600), 0);
  auto r = load_with_key(mode::run);
  ASSERT_TRUE(r.cfg) << joined(r.errors);
  EXPECT_THAT(joined(r.warnings), ::testing::Not(HasSubstr("readable by group/others")));
}

}  // namespace
}  // namespace mqrelay::config::test

namespace mqrelay::config::test {
namespace {

TEST(Loops, ManyLoopsAreSummarised) {
  std::string maps;
  for (int i = 0; i < 30; ++i) {
    if (i) maps += ", ";
    maps += "\"up" + std::to_string(i) + R"(": {"topic": "#", "source": "LocalMqtt", "target": "IotCore"}, )";
    maps += "\"down" + std::to_string(i) + R"(": {"topic": "#", "source": "IotCore", "target": "LocalMqtt"})";
  }
  auto w = loops(maps);
  ASSERT_EQ(w.size(), 101u);  // 900 pairs loop: 100 listed, then one summary line
  EXPECT_THAT(w.back(), HasSubstr(": 800 more possible relay loops not listed"));
}

}  // namespace
}  // namespace mqrelay::config::test
