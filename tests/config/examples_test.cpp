// examples/*.json as written, through the library (the CLI test runs them through the binary):
// each loads, gives its routes in file order, and needs exactly what its README line says.
#include <string>
#include <vector>

#include "tests/config/helpers.hpp"

namespace mqrelay::config::test {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string example(const char* name) { return std::string(MQRELAY_SOURCE_DIR) + "/examples/" + name; }

std::vector<std::string> routes(const config& c) {
  std::vector<std::string> out;
  for (const auto& m : c.mappings) out.push_back(route_line(m));
  return out;
}

const char* const kHello = "HelloWorldIotCore: LocalMqtt clients/+/hello/world -> IotCore";
const char* const kEvent = "HelloWorldEvent: LocalMqtt clients/+/hello/world/event -> IotCore";
const char* const kConfirm = "HelloWorldEventConfirmation: IotCore clients/+/hello/world/event/response -> LocalMqtt";

TEST(Examples, ConsoleChecksWithWarningsOnly) {
  const std::string path = example("hello-world-console.json");
  auto r = load_file(path, mode::check);
  ASSERT_TRUE(r.cfg) << joined(r.errors);
  EXPECT_THAT(routes(*r.cfg), ElementsAre(kHello));
  // What the Greengrass nucleus would provide is missing: warned about, named by path.
  EXPECT_THAT(joined(r.warnings), HasSubstr(path + ": /iotCore: missing"));
  EXPECT_THAT(joined(r.warnings), HasSubstr(path + ": /localBroker/rootCaPath: missing"));
  // The Greengrass defaults: TLS to localhost:8883, MQTT 3.1.1, a derived client ID.
  EXPECT_TRUE(r.cfg->local.tls);
  EXPECT_EQ(r.cfg->local.port, 8883);
  EXPECT_EQ(r.cfg->local.client_id, default_client_id(read_machine_id(), path));

  auto run = load_file(path, mode::run);
  EXPECT_FALSE(run.cfg);
  EXPECT_THAT(joined(run.errors), HasSubstr(path + ": /iotCore: missing"));
}

TEST(Examples, DeploymentHasTheThreeMappings) {
  auto r = load_file(example("hello-world-deployment.json"), mode::check);
  ASSERT_TRUE(r.cfg) << joined(r.errors);
  EXPECT_THAT(routes(*r.cfg), ElementsAre(kHello, kEvent, kConfirm));
  for (const auto& w : r.warnings) EXPECT_THAT(w, ::testing::Not(HasSubstr("loop"))) << w;
  for (const auto& w : r.warnings) EXPECT_THAT(w, ::testing::Not(HasSubstr("unknown key"))) << w;
}

TEST(Examples, StandaloneRunsAsWritten) {
  auto r = load_file(example("hello-world-standalone.json"), mode::run);
  ASSERT_TRUE(r.cfg) << joined(r.errors);
  EXPECT_THAT(routes(*r.cfg), ElementsAre(kHello, kEvent, kConfirm));
  EXPECT_TRUE(r.warnings.empty()) << joined(r.warnings);
  EXPECT_FALSE(r.cfg->local.tls);
  EXPECT_EQ(r.cfg->local.host, "localhost");
  EXPECT_EQ(r.cfg->local.port, 1883);
  EXPECT_TRUE(r.cfg->iot_core.present);
  EXPECT_EQ(r.cfg->iot_core.port, 8883);
  EXPECT_EQ(r.cfg->iot_core.max_publishes_per_second, 100u);  // an .amazonaws.com endpoint
}

}  // namespace
}  // namespace mqrelay::config::test
