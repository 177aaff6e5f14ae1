#include "tests/support/relay.hpp"

#include <unistd.h>

#include <csignal>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "tests/support/certs.hpp"

#ifndef MQRELAY_BIN
#define MQRELAY_BIN ""
#endif

namespace mqrelay::test {

namespace {
std::string quoted(const std::string& s) {
  std::string o = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') o += '\\';
    o += c;
  }
  return o + "\"";
}
}  // namespace

std::vector<relay_mapping> seed_mappings() {
  return {{"HelloWorldIotCore", "clients/+/hello/world", "LocalMqtt", "IotCore", ""},
          {"HelloWorldEvent", "clients/+/hello/world/event", "LocalMqtt", "IotCore", ""},
          {"HelloWorldEventConfirmation", "clients/+/hello/world/event/response", "IotCore", "LocalMqtt", ""}};
}

std::string relay_config::to_json() const {
  const certs& pki = shared_certs();
  std::ostringstream j;
  j << "{\n  \"mqttTopicMapping\": {";
  for (std::size_t i = 0; i < mappings.size(); ++i) {
    const auto& m = mappings[i];
    j << (i ? "," : "") << "\n    " << quoted(m.name) << ": {\"topic\": " << quoted(m.topic)
      << ", \"source\": " << quoted(m.source) << ", \"target\": " << quoted(m.target);
    if (!m.prefix.empty()) j << ", \"targetTopicPrefix\": " << quoted(m.prefix);
    j << "}";
  }
  j << "\n  },\n"
    << "  \"brokerUri\": " << quoted(local_uri) << ",\n"
    << "  \"clientId\": " << quoted(client_id) << ",\n"
    << "  \"mqtt\": {\"version\": " << quoted(local_version)
    << ", \"minReconnectDelayMs\": 200, \"maxReconnectDelayMs\": 1000, \"connAckTimeoutMs\": 5000"
    << ", \"pingTimeoutMs\": 5000, \"keepAliveTimeoutSeconds\": 30";
  if (ack_timeout_s > 0) j << ", \"ackTimeoutSeconds\": " << ack_timeout_s;
  j << "},\n"
    << "  \"iotCore\": {\"iotDataEndpoint\": " << quoted(cloud_host) << ", \"port\": " << cloud_port
    << ", \"thingName\": " << quoted(thing_name)
    << ", \"certificateFilePath\": " << quoted(cert.empty() ? pki.client_cert() : cert)
    << ", \"privateKeyPath\": " << quoted(key.empty() ? pki.client_key() : key)
    << ", \"rootCaPath\": " << quoted(root_ca.empty() ? pki.ca() : root_ca)
    << ", \"version\": " << quoted(cloud_version)
    << ", \"minimumReconnectDelaySeconds\": 1, \"maximumReconnectDelaySeconds\": 2"
    << (extra_iot_core.empty() ? "" : ", " + extra_iot_core) << "},\n";
  if (spooler_bytes) j << "  \"spooler\": {\"maxSizeInBytes\": " << *spooler_bytes << "},\n";
  if (!extra_top_level.empty()) j << "  " << extra_top_level << ",\n";
  j << "  \"log\": {\"level\": " << quoted(log_level) << "}\n}\n";
  return j.str();
}

relay::relay(relay_config cfg) : cfg_(std::move(cfg)), config_path_(dir_.file("config.json")) { rewrite_config(); }

relay::~relay() {
  if (proc_) proc_->kill();
}

void relay::rewrite_config() { write_text(config_path_, cfg_.to_json()); }

bool relay::binary_available(std::string& why) {
  const std::string bin = MQRELAY_BIN;
  if (bin.empty()) {
    why = "the mqrelay target did not exist when CMake configured the tests";
    return false;
  }
  if (::access(bin.c_str(), X_OK) != 0) {
    why = bin + " does not exist: build the mqrelay target first";
    return false;
  }
  return true;
}

void relay::start() {
  std::string why;
  if (!binary_available(why)) throw std::runtime_error(why);
  if (proc_) proc_->kill();
  proc_ = std::make_unique<process>(std::vector<std::string>{MQRELAY_BIN, "--config", config_path_},
                                    dir_.file("relay.log"), cfg_.env);
}

std::optional<int> relay::stop(std::chrono::milliseconds timeout) {
  if (!proc_) return std::nullopt;
  if (!proc_->running()) return proc_->exit_code();
  proc_->signal(SIGCONT);
  proc_->signal(SIGTERM);
  auto rc = proc_->wait_exit(timeout);
  if (!rc) proc_->kill();
  return rc;
}

void relay::kill() {
  if (proc_) proc_->kill();
}

std::string relay::log() const { return read_text(dir_.file("relay.log")); }

bool relay::wait_log(std::initializer_list<std::string_view> needles, std::chrono::milliseconds timeout) const {
  const auto until = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const std::string text = log();
    for (std::string_view n : needles)
      if (text.find(n) != std::string::npos) return true;
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace mqrelay::test
