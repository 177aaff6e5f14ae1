// Both file forms, mappings, route options, syntax errors with line:column, unknown keys.
#include "config/json_syntax.hpp"
#include "tests/config/helpers.hpp"

namespace mqrelay::config::test {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

const std::string kMerge = "/components/aws.greengrass.clientdevices.mqtt.Bridge/configurationUpdate/merge";

// A deployment document whose merge string is `inner` (escaped here).
std::string deployment(const std::string& inner) {
  std::string esc;
  for (char c : inner) {
    if (c == '"' || c == '\\') esc += '\\';
    if (c == '\n') {
      esc += "\\n";
      continue;
    }
    esc += c;
  }
  return R"({"targetArn": "arn:aws:iot:eu-west-1:123456789012:thing/gw", "components": {
    "aws.greengrass.Nucleus": {"version": "2.12.0"},
    "aws.greengrass.clientdevices.mqtt.Bridge": {"version": "2.3.0", "configurationUpdate": {"merge": ")" +
         esc + "\"}}}}";
}

TEST(Forms, ComponentObjectMappingsInFileOrder) {
  auto r = load(R"({"brokerUri": "mqtt://h", "mqttTopicMapping": {
      "Zeta": {"topic": "z/#", "source": "LocalMqtt", "target": "LocalMqtt", "targetTopicPrefix": "copy/"},
      "Alpha": {"topic": "$share/g/a/+", "source": "LocalMqtt", "target": "LocalMqtt", "targetTopicPrefix": "b/"}}})");
  ASSERT_TRUE(r.cfg) << joined(r.errors);
  ASSERT_EQ(r.cfg->mappings.size(), 2u);
  EXPECT_EQ(r.cfg->mappings[0].name, "Zeta");
  EXPECT_EQ(r.cfg->mappings[0].target_topic_prefix, "copy/");
  EXPECT_EQ(r.cfg->mappings[1].name, "Alpha");
  EXPECT_EQ(r.cfg->mappings[1].topic, "$share/g/a/+");
  EXPECT_EQ(r.cfg->path, kFile);
}

TEST(Forms, DeploymentDocumentIsTheSameConfiguration) {
  const std::string inner = doc();
  auto plain = load(inner);
  auto dep = load(deployment(inner));
  ASSERT_TRUE(plain.cfg) << joined(plain.errors);
  ASSERT_TRUE(dep.cfg) << joined(dep.errors);
  ASSERT_EQ(dep.cfg->mappings.size(), 1u);
  EXPECT_EQ(route_line(dep.cfg->mappings[0]), route_line(plain.cfg->mappings[0]));
  EXPECT_EQ(dep.cfg->iot_core.thing_name, "gw1");
  EXPECT_EQ(dep.cfg->local.client_id, plain.cfg->local.client_id);
  EXPECT_TRUE(dep.warnings.empty()) << joined(dep.warnings);  // other components and keys are fine
}

TEST(Forms, ErrorsInsideTheMergeStringPointIntoIt) {
  auto r = load(deployment(R"({"mqttTopicMapping": {"X": {"topic": "a/#/b", "source": "LocalMqtt", "target": "IotCore"}}})"),
                mode::check);
  EXPECT_FALSE(r.cfg);
  ASSERT_EQ(r.errors.size(), 1u) << joined(r.errors);
  EXPECT_THAT(r.errors[0], HasSubstr(kFile + ": " + kMerge + ": /mqttTopicMapping/X/topic: invalid topic filter \"a/#/b\""));
}

TEST(Forms, SyntaxErrorInsideTheMergeString) {
  auto r = load(deployment("{\"mqttTopicMapping\": {\n  \"X\": {\"topic\" \"a\"}}}"));
  ASSERT_EQ(r.errors.size(), 1u) << joined(r.errors);
  EXPECT_EQ(r.errors[0], kFile + ": " + kMerge + ": line 2, column 17: invalid JSON: expected ':' after the member name");
}

TEST(Forms, DeploymentProblems) {
  EXPECT_THAT(joined(load(R"({"components": {"aws.greengrass.Nucleus": {}}})").errors),
              HasSubstr(kFile + ": /components: no \"aws.greengrass.clientdevices.mqtt.Bridge\" component"));
  EXPECT_THAT(joined(load(R"({"components": {"aws.greengrass.clientdevices.mqtt.Bridge": {"configurationUpdate": {"merge": 5}}}})").errors),
              HasSubstr(kMerge + ": must be a string of serialized JSON, not an integer"));
  auto no_merge = load(R"({"components": {"aws.greengrass.clientdevices.mqtt.Bridge": {"version": "2.3.0"}}})", mode::check);
  ASSERT_TRUE(no_merge.cfg) << joined(no_merge.errors);
  EXPECT_TRUE(no_merge.cfg->mappings.empty());
  EXPECT_THAT(joined(no_merge.warnings), HasSubstr("no configurationUpdate.merge"));
  EXPECT_THAT(joined(load(deployment("[1]")).errors), HasSubstr(kMerge + ": must be an object, not an array"));
  EXPECT_THAT(joined(load(R"({"components": [], "deploymentNme": 1})").warnings),
              HasSubstr("/deploymentNme: unknown key, ignored (did you mean \"deploymentName\"?)"));
}

TEST(Forms, JsonSyntaxErrorsNameLineAndColumn) {
  struct { const char* text; const char* where; const char* what; } cases[] = {
      {"{\n  \"a\": 1,\n}", "line 3, column 1", "trailing comma before '}'"},
      {"{\"a\": tru}", "line 1, column 7", "invalid literal"},
      {"", "line 1, column 1", "empty"},
      {"{\"a\": 1} x", "line 1, column 10", "unexpected text after the JSON value"},
      {"{\n\n  \"é\": 'x'}", "line 3, column 8", "double quotes"},
      {"{\"a\": \"unterminated}", "line 1, column 21", "inside a string"},
      {"{\"a\": 01}", "line 1, column 8", "leading zeros"},
      {"{\"a\": 99999999999999999999}", "line 1, column 7", "integer out of range"},
      {"{\"a\": \"\xC3\x28\"}", "line 1, column 8", "invalid UTF-8"},
      {"[[[[", "line 1, column 5", "unexpected end of input"},
      {"{\n \"a\": -1e400}", "line 2, column 7", "number out of range"},
  };
  for (const auto& c : cases) {
    auto r = load(c.text);
    ASSERT_EQ(r.errors.size(), 1u) << c.text << joined(r.errors);
    EXPECT_THAT(r.errors[0], HasSubstr(kFile + ": " + c.where + ": invalid JSON: ")) << c.text;
    EXPECT_THAT(r.errors[0], HasSubstr(c.what)) << c.text;
  }
}

TEST(Forms, SyntaxScannerAgreesWithValidJson) {
  for (const char* ok : {"{}", "[]", "0", "-0.5e+3", "\"\\u00e9\\n\"", "{\"a\": [1, {\"b\": null}], \"c\": true}",
                         " \n\t{\"x\": \"\xE2\x82\xAC\"} \r\n", "18446744073709551615", "-9223372036854775808"})
    EXPECT_FALSE(find_syntax_error(ok).has_value()) << ok;
  EXPECT_TRUE(find_syntax_error(std::string(2000, '[')).has_value());  // too deep, not a stack overflow
  EXPECT_EQ(locate("ab\ncé\nd", 6).line, 2u);
  EXPECT_EQ(locate("ab\ncé\nd", 7).line, 3u);
  EXPECT_EQ(locate("ab\ncé\nd", 6).column, 3u);  // 'c', 'é' (2 bytes) → column 3
}

TEST(Forms, TopLevelMustBeAnObject) {
  EXPECT_THAT(joined(load("[]").errors), HasSubstr(kFile + ": the configuration must be a JSON object, not an array"));
  EXPECT_THAT(joined(load("\"x\"").errors), HasSubstr("not a string"));
}

TEST(Forms, UnknownKeysAreWarnedWithTheirPath) {
  auto r = load(doc(R"("mqttTopicMaping": {}, "mqtt": {"keepAliveTimeoutSecond": 5}, "spooler": {"other": 1})",
                    R"("thingname": "x")"));
  ASSERT_TRUE(r.cfg) << joined(r.errors);
  const std::string w = joined(r.warnings);
  EXPECT_THAT(w, HasSubstr(kFile + ": /mqttTopicMaping: unknown key, ignored (did you mean \"mqttTopicMapping\"?)"));
  EXPECT_THAT(w, HasSubstr("/mqtt/keepAliveTimeoutSecond: unknown key, ignored (did you mean \"keepAliveTimeoutSeconds\"?)"));
  EXPECT_THAT(w, HasSubstr("/spooler/other: unknown key, ignored\n"));
  EXPECT_THAT(w, HasSubstr("/iotCore/thingname: unknown key, ignored (did you mean \"thingName\"?)"));
  auto m = load(R"({"brokerUri": "mqtt://h", "mqttTopicMapping": {"a/b~c": {"topic": "t", "source": "LocalMqtt",
      "target": "LocalMqtt", "targetTopicPrefix": "p/", "qos": 1}}})");
  EXPECT_THAT(joined(m.warnings), HasSubstr("/mqttTopicMapping/a~1b~0c/qos: unknown key"));  // RFC 6901 escaping
}

TEST(Forms, MappingErrors) {
  auto mapping = [](const std::string& body) {
    return load(R"({"brokerUri": "mqtt://h", "iotCore": {"iotDataEndpoint": "h", "thingName": "t", "certificateFilePath": "c",
        "privateKeyPath": "k", "rootCaPath": "r"}, "mqttTopicMapping": {"M": )" + body + "}}");
  };
  struct { const char* body; const char* error; } cases[] = {
      {R"({"source": "LocalMqtt", "target": "IotCore"})", "/mqttTopicMapping/M: missing required key \"topic\""},
      {R"({"topic": "a"})", "/mqttTopicMapping/M: missing required key \"source\""},
      {R"({"topic": "a", "source": "LocalMqtt"})", "/mqttTopicMapping/M: missing required key \"target\""},
      {R"({"topic": "", "source": "LocalMqtt", "target": "IotCore"})", "/mqttTopicMapping/M/topic: invalid topic filter \"\""},
      {R"({"topic": "a#", "source": "LocalMqtt", "target": "IotCore"})", "/mqttTopicMapping/M/topic: invalid topic filter"},
      {R"({"topic": 3, "source": "LocalMqtt", "target": "IotCore"})", "/mqttTopicMapping/M/topic: must be a string, not an integer"},
      {R"({"topic": "a", "source": "Local", "target": "IotCore"})", "/mqttTopicMapping/M/source: must be LocalMqtt or IotCore, not \"Local\""},
      {R"({"topic": "a", "source": "localmqtt", "target": "IotCore"})", "(did you mean LocalMqtt?)"},
      {R"({"topic": "a", "source": "Pubsub", "target": "IotCore"})", "/mqttTopicMapping/M/source: Pubsub (Greengrass local publish/subscribe) is not supported yet"},
      {R"({"topic": "a", "source": "IotCore", "target": "Pubsub"})", "/mqttTopicMapping/M/target: Pubsub"},
      {R"({"topic": "a", "source": "IotCore", "target": "IotCore"})", "/mqttTopicMapping/M/target: equal to source (IotCore) without a targetTopicPrefix"},
      {R"({"topic": "a", "source": "IotCore", "target": "IotCore", "targetTopicPrefix": ""})", "/mqttTopicMapping/M/target: equal to source"},
      {R"({"topic": "a", "source": "IotCore", "target": "LocalMqtt", "targetTopicPrefix": "x/+/"})", "/mqttTopicMapping/M/targetTopicPrefix: must not contain '+' or '#'"},
      {R"({"topic": "a", "source": "IotCore", "target": "LocalMqtt", "targetTopicPrefix": 1})", "/mqttTopicMapping/M/targetTopicPrefix: must be a string"},
      {R"("x")", "/mqttTopicMapping/M: must be an object, not a string"},
  };
  for (const auto& c : cases) {
    auto r = mapping(c.body);
    EXPECT_FALSE(r.cfg) << c.body;
    EXPECT_THAT(joined(r.errors), HasSubstr(c.error)) << c.body;
  }
  auto ok = mapping(R"({"topic": "a", "source": "IotCore", "target": "IotCore", "targetTopicPrefix": "echo/"})");
  EXPECT_TRUE(ok.cfg) << joined(ok.errors);
  EXPECT_THAT(joined(load(R"({"mqttTopicMapping": []})").errors), HasSubstr("/mqttTopicMapping: must be an object, not an array"));
  EXPECT_THAT(joined(load(R"({"brokerUri": "mqtt://h", "mqttTopicMapping": {}})").warnings), HasSubstr("no mappings"));
}

TEST(Forms, Mqtt5RouteOptions) {
  auto r = load(R"({"brokerUri": "mqtt://h", "mqtt": {"version": "mqtt5"}, "mqttTopicMapping": {
      "A": {"topic": "a/#", "source": "LocalMqtt", "target": "LocalMqtt", "targetTopicPrefix": "x/"},
      "B": {"topic": "b/#", "source": "LocalMqtt", "target": "LocalMqtt", "targetTopicPrefix": "y/"}},
      "mqtt5RouteOptions": {"A": {"noLocal": true, "retainAsPublished": true}, "Nope": {"noLocal": true}}})");
  ASSERT_TRUE(r.cfg) << joined(r.errors);
  EXPECT_TRUE(r.cfg->mappings[0].no_local);
  EXPECT_TRUE(r.cfg->mappings[0].retain_as_published);
  EXPECT_FALSE(r.cfg->mappings[1].no_local);
  EXPECT_FALSE(r.cfg->mappings[1].retain_as_published);
  EXPECT_THAT(joined(r.warnings), HasSubstr(kFile + ": /mqtt5RouteOptions/Nope: no mapping named \"Nope\""));

  auto v3 = load(R"({"brokerUri": "mqtt://h", "mqttTopicMapping": {"A": {"topic": "a", "source": "LocalMqtt",
      "target": "LocalMqtt", "targetTopicPrefix": "x/"}}, "mqtt5RouteOptions": {"A": {"retainAsPublished": true}}})");
  ASSERT_TRUE(v3.cfg);
  EXPECT_THAT(joined(v3.warnings), HasSubstr("/mqtt5RouteOptions/A: has no effect"));
  auto bad = load(R"({"brokerUri": "mqtt://h", "mqtt5RouteOptions": {"A": {"noLocal": 1, "retain": true}}})");
  EXPECT_THAT(joined(bad.errors), HasSubstr("/mqtt5RouteOptions/A/noLocal: must be true or false, not an integer"));
  EXPECT_THAT(joined(bad.warnings), HasSubstr("/mqtt5RouteOptions/A/retain: unknown key"));
}

TEST(Forms, DuplicateKeysLastWins) {
  auto r = load(R"({"brokerUri": "mqtt://a", "brokerUri": "mqtt://b"})");
  ASSERT_TRUE(r.cfg) << joined(r.errors);
  EXPECT_EQ(r.cfg->local.host, "b");
  EXPECT_THAT(joined(r.warnings), HasSubstr("/brokerUri: duplicate key"));
}

TEST(Forms, CheckModeTurnsMissingIntoWarningsButNotWrongValues) {
  const std::string gg = R"({"mqttTopicMapping": {"Up": {"topic": "a", "source": "LocalMqtt", "target": "IotCore"}}})";
  auto check = load(gg, mode::check);
  ASSERT_TRUE(check.cfg);
  EXPECT_TRUE(check.errors.empty());
  auto run = load(gg, mode::run);
  EXPECT_FALSE(run.cfg);
  EXPECT_THAT(run.errors, ElementsAre(HasSubstr("/iotCore: missing"), HasSubstr("/localBroker/rootCaPath: missing")));
  auto wrong = load(R"({"mqtt": {"receiveMaximum": 0}})", mode::check);
  EXPECT_FALSE(wrong.cfg);
}

TEST(Forms, LoadFileReadsAndNamesTheFile) {
  auto missing = load_file("/nonexistent/mqrelay.json", mode::check);
  EXPECT_FALSE(missing.cfg);
  EXPECT_THAT(joined(missing.errors), HasSubstr("/nonexistent/mqrelay.json: cannot open: No such file or directory"));
  auto dir = load_file("/tmp", mode::check);
  EXPECT_THAT(joined(dir.errors), HasSubstr("/tmp: cannot read: is a directory"));
}

}  // namespace
}  // namespace mqrelay::config::test
