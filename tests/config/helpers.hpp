// Shared helpers for the configuration tests.
#pragma once
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "config/config.hpp"

namespace mqrelay::config::test {

// The name every test document is loaded under: messages start with it.
inline const std::string kFile = "/tmp/mqrelay-config-test/bridge.json";

inline load_result load(const std::string& json, mode m = mode::run) { return load_string(json, kFile, m); }

// A complete standalone configuration that runs: one LocalMqtt → IotCore mapping, a plain local
// broker, an iotCore section. `top` is spliced in at the top level, `iot` inside iotCore (each
// either empty or starting with a member, without a leading comma).
inline std::string doc(const std::string& top = "", const std::string& iot = "") {
  std::string s = R"({"brokerUri": "mqtt://localhost:1883",
  "mqttTopicMapping": {"Up": {"topic": "dev/+/up", "source": "LocalMqtt", "target": "IotCore"}},
  "iotCore": {"iotDataEndpoint": "example-ats.iot.eu-west-1.amazonaws.com", "thingName": "gw1",
              "certificateFilePath": "/c/cert.pem", "privateKeyPath": "/c/key.pem", "rootCaPath": "/c/ca.pem")";
  if (!iot.empty()) s += ", " + iot;
  s += "}";
  if (!top.empty()) s += ", " + top;
  s += "}";
  return s;
}

// All error (or warning) lines joined, for readable failure messages and substring checks.
inline std::string joined(const std::vector<std::string>& lines) {
  std::string s;
  for (const auto& l : lines) s += l + "\n";
  return s;
}

}  // namespace mqrelay::config::test
