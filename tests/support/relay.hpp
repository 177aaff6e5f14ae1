// The mqrelay binary under test (path compiled in as MQRELAY_BIN = $<TARGET_FILE:mqrelay>).
//
// relay_config builds the SPEC §3 component configuration object (form 1) from the test's brokers
// and certificates; relay writes it to DIR/config.json, runs `mqrelay --config DIR/config.json`
// with stdout+stderr in DIR/relay.log (print log() on failure), and stop() sends SIGTERM expecting
// exit 0 within 10 s (SPEC §4.11). The local client ID is fixed by the test (stable across a
// restart of the relay, so the local broker's persistent session finds it again). Not thread-safe.
#pragma once
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace mqrelay::test {

class certs;

struct relay_mapping {
  std::string name, topic, source, target;  // source/target: "LocalMqtt" | "IotCore"
  std::string prefix;                        // targetTopicPrefix, "" = none
};

// The seed's three mappings (examples/hello-world-standalone.json): clients/+/hello/world and
// clients/+/hello/world/event LocalMqtt -> IotCore, clients/+/hello/world/event/response back.
std::vector<relay_mapping> seed_mappings();

struct relay_config {
  std::vector<relay_mapping> mappings = seed_mappings();
  std::string local_uri{};          // "mqtt://127.0.0.1:PORT" (mosquitto_broker::uri())
  std::string local_version = "mqtt3";
  std::string client_id = "mqrelay-it-local";
  std::uint16_t cloud_port = 0;     // the TLS broker standing in for IoT Core
  std::string cloud_host = "localhost";  // iotDataEndpoint (SNI + host name check)
  std::string cloud_version = "mqtt3";
  std::string thing_name = "mqrelay-it-thing";
  std::string root_ca{}, cert{}, key{};  // defaults from shared_certs() when empty
  std::optional<std::uint64_t> spooler_bytes{};
  std::string log_level = "debug";
  int ack_timeout_s = 0;            // 0 = default
  std::string extra_iot_core{};     // raw JSON members appended inside "iotCore", e.g. "\"x\": 1"
  std::string extra_top_level{};    // raw JSON members appended at the top level, e.g. "\"x\": 1"
  std::vector<std::string> env{};   // "K=V" added to the relay's environment (not to the JSON)
  std::string to_json() const;
};

class relay {
 public:
  explicit relay(relay_config cfg);
  ~relay();
  relay(const relay&) = delete;
  relay& operator=(const relay&) = delete;

  // Is the binary there? (false + why otherwise, e.g. the mqrelay target was not built)
  static bool binary_available(std::string& why);
  void start();  // throws std::runtime_error if the binary is missing
  // SIGTERM; the exit code, nullopt if it did not exit within timeout (then it is SIGKILLed).
  std::optional<int> stop(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  void kill();  // SIGKILL (crash simulation)
  bool running() { return proc_ && proc_->running(); }
  process* proc() { return proc_.get(); }
  std::string log() const;
  // Polls log() until it contains one of `needles`; false after timeout.
  bool wait_log(std::initializer_list<std::string_view> needles, std::chrono::milliseconds timeout) const;
  const std::string& config_path() const { return config_path_; }
  relay_config& config() { return cfg_; }
  void rewrite_config();  // after changing config()

 private:
  relay_config cfg_;
  temp_dir dir_;
  std::string config_path_;
  std::unique_ptr<process> proc_;
};

}  // namespace mqrelay::test
